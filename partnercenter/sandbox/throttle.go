package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Throttle shapes, set in Faults (all counted over every client, on the
// injected clock):
//
//   - RateLimit: a token bucket of RateLimit requests per second holding
//     one second's worth; beyond it 429 with the time until a token is
//     free as Retry-After (whole seconds, at least 1).
//   - MinuteLimit: at most MinuteLimit requests per fixed minute, the first
//     window starting with the first request (API Management's
//     rate-limit policy with a renewal period of 60 s); beyond it 429 with
//     the rest of the window as Retry-After.
//   - Penalty: a penalty box. A refusal announces a Retry-After of at
//     least Penalty, and every request until then is refused too, with
//     what remains of it.
//
// PartnerCenter429 answers a throttled request as Partner Center does,
// {"statusCode":429,"message":"Rate limit is exceeded. Try again in N
// seconds."}, instead of the documented {"error":{…}} envelope.
type throttle struct {
	bucket      *rate.Limiter
	minuteLimit int
	windowStart time.Time // zero until the first request
	windowUsed  int
	penalty     time.Duration
	boxedUntil  time.Time
}

func newThrottle(f Faults, now time.Time) throttle {
	t := throttle{minuteLimit: f.MinuteLimit, penalty: f.Penalty}
	if f.RateLimit > 0 {
		// A bucket holding one second's worth of requests.
		burst := max(1, int(math.Ceil(f.RateLimit)))
		t.bucket = rate.NewLimiter(rate.Limit(f.RateLimit), burst)
		// Start the bucket full at the injected clock's "now".
		t.bucket.SetBurstAt(now, burst)
	}
	return t
}

// admit decides one request: refused, and the Retry-After to announce.
func (t *throttle) admit(now time.Time) (refused bool, retryAfter time.Duration) {
	if now.Before(t.boxedUntil) {
		return true, t.boxedUntil.Sub(now)
	}
	if t.minuteLimit > 0 {
		if t.windowStart.IsZero() || now.Sub(t.windowStart) >= time.Minute {
			t.windowStart, t.windowUsed = now, 0
		}
		if t.windowUsed >= t.minuteLimit {
			return t.refuse(now, t.windowStart.Add(time.Minute).Sub(now))
		}
	}
	if t.bucket != nil {
		r := t.bucket.ReserveN(now, 1)
		if wait := r.DelayFrom(now); wait > 0 || !r.OK() {
			r.CancelAt(now)
			return t.refuse(now, wait)
		}
	}
	if t.minuteLimit > 0 {
		t.windowUsed++
	}
	return false, 0
}

// refuse announces at least a second (Retry-After is in whole seconds),
// and at least the penalty, which then holds for every request.
func (t *throttle) refuse(now time.Time, wait time.Duration) (bool, time.Duration) {
	wait = max(wait, time.Second)
	if t.penalty > 0 {
		wait = max(wait, t.penalty)
		t.boxedUntil = now.Add(wait)
	}
	return true, wait
}

// writeThrottled answers a throttled request: 429 with Retry-After, in
// the body shape Faults.PartnerCenter429 chooses.
func writeThrottled(w http.ResponseWriter, retryAfter time.Duration, partnerCenter bool) {
	secs := retryAfterSeconds(retryAfter)
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	if partnerCenter {
		writeJSON(w, http.StatusTooManyRequests, map[string]any{
			"statusCode": http.StatusTooManyRequests,
			"message":    fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", secs),
		})
		return
	}
	writeError(w, &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests, message: "rate limit exceeded; retry after the time in Retry-After"})
}
