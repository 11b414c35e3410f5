package sandbox

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults are the failures the sandbox injects. The zero value injects none.
type Faults struct {
	Latency   time.Duration // added to every request
	Jitter    time.Duration // ± uniform, seeded
	RateLimit float64       // requests per second over all clients; 0 = none; beyond it: 429 + Retry-After (seconds)
	// MinuteLimit caps the requests of each fixed minute (0 = none);
	// Penalty makes every refusal a penalty box of at least that long;
	// PartnerCenter429 answers 429s in Partner Center's body shape. See
	// throttle.go.
	MinuteLimit      int
	Penalty          time.Duration
	PartnerCenter429 bool
	FailRate         float64 // fraction of requests answered 500/503 before any change
	DropRate         float64 // fraction of writes (POST/PATCH) committed and then the connection is dropped with no response
	Seed             int64   // same seed + same request order => same fault sequence

	// ConflictRate is the fraction of PATCH requests carrying If-Match
	// that meet a second writer: just before the patch, the referral gets a
	// new eTag and updatedDateTime (as an edit in the Partner Center UI of
	// fields refbatch does not patch would give it), so the If-Match no
	// longer matches and the answer is 412 (If-Match "*" still matches).
	ConflictRate float64
}

// faultDecision is what the sandbox does to one request.
type faultDecision struct {
	delay      time.Duration
	throttled  bool
	retryAfter time.Duration
	fail       int  // 0, 500 or 503
	drop       bool // honoured only by a write that commits
	conflict   bool // honoured only by a PATCH with If-Match of an existing referral

	partnerCenter429 bool // a throttled answer in Partner Center's body shape
}

// faultState draws fault decisions from seeded sources. Every request
// draws the same number of values from each whatever happens to it, so the
// n-th request of a run always gets the n-th decision: same seed and same
// request order give the same faults. The conflict draw comes from a second
// stream of the same seed, so that adding it left the sequences of the
// other faults, which tests and rehearsals pin by seed, as they were.
type faultState struct {
	mu       sync.Mutex
	f        Faults
	rng      *rand.Rand
	conflict *rand.Rand
	throttle throttle
}

func (fs *faultState) set(f Faults, now time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
	fs.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x5eed_2e_fba7c4))
	fs.conflict = rand.New(rand.NewPCG(uint64(f.Seed), 0xc0_f11c7_e7a9))
	fs.throttle = newThrottle(f, now)
}

func (fs *faultState) decide(now time.Time) faultDecision {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	jitterDraw, failDraw, kindDraw, dropDraw := fs.rng.Float64(), fs.rng.Float64(), fs.rng.Float64(), fs.rng.Float64()
	conflictDraw := fs.conflict.Float64()

	var d faultDecision
	d.delay = fs.f.Latency
	if fs.f.Jitter > 0 {
		d.delay += time.Duration((2*jitterDraw - 1) * float64(fs.f.Jitter))
	}
	d.delay = max(d.delay, 0)
	d.throttled, d.retryAfter = fs.throttle.admit(now)
	d.partnerCenter429 = fs.f.PartnerCenter429
	if !d.throttled && failDraw < fs.f.FailRate {
		d.fail = http.StatusInternalServerError
		if kindDraw < 0.5 {
			d.fail = http.StatusServiceUnavailable
		}
	}
	d.drop = dropDraw < fs.f.DropRate
	d.conflict = conflictDraw < fs.f.ConflictRate
	return d
}

// sleep waits d or until ctx is done, and reports whether it waited it all.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryAfterSeconds renders a Retry-After header value: whole seconds,
// rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
