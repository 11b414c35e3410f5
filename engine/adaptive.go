package engine

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AdaptiveLimiter paces every request of a run with a token bucket whose
// rate it finds by itself. It starts in slow start (doubling while answers
// are clean); the first throttled answer (429, or 503) halves the rate and
// opens a short measuring window in which the server's own limit shows as
// the rate of successful answers (its bucket is empty then), and the rate
// is set just below that. From then on it grows slowly while answers are
// clean and, on a throttled answer, drops to just below the successful
// rate of the last second (AIMD anchored on a measurement). It never
// exceeds Max when Max is set (--rate).
//
// x/time/rate does the pacing; this type only moves its rate. Observe is
// called after every answer, Wait before every attempt; both are safe for
// concurrent use.
type AdaptiveLimiter struct {
	lim *rate.Limiter
	now func() time.Time

	mu         sync.Mutex
	cur        float64 // requests per second now
	max        float64 // 0: no ceiling
	min        float64
	slowStart  bool
	measuring  bool
	measureAt  time.Time
	measureOK  int
	lastChange time.Time // last increase or decrease
	lastCut    time.Time
	ok         okWindow
	unavail    okWindow // 503 answers
	seen       okWindow // every answer
	throttled  int64
	answers    int64
}

// AdaptiveOptions configure NewAdaptiveLimiter; zero fields take defaults.
type AdaptiveOptions struct {
	Start float64 // first rate, requests/s (default: Max when set, else 50)
	Max   float64 // ceiling, requests/s (0: none)
	Min   float64 // floor (default 1)
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// Tuning, measured against the sandbox's token-bucket limiter with
// BenchmarkRunAgainstRateLimit (cmd/refbatch): see the README's figures.
const (
	slowStartInterval = 500 * time.Millisecond // doubling period while clean
	measureWindow     = 200 * time.Millisecond // after the first 429: read the server's limit
	cutCooldown       = 300 * time.Millisecond // answers already in flight do not cut twice
	growthInterval    = time.Second
	growth            = 0.01  // per growthInterval of clean answers
	belowMeasured     = 0.985 // the rate set after a cut, relative to the measured limit
	steadyCut         = 0.97  // a cut never keeps more than this of the current rate
	unavailableShare  = 0.2   // 503s are a throttle when they are this share of the last second's answers
)

// NewAdaptiveLimiter returns a limiter in slow start.
func NewAdaptiveLimiter(o AdaptiveOptions) *AdaptiveLimiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Min <= 0 {
		o.Min = 1
	}
	switch {
	case o.Start > 0:
	case o.Max > 0:
		// The user said what the API allows: start there; a 429 still cuts.
		o.Start = o.Max
	default:
		o.Start = 50
	}
	if o.Max > 0 && o.Start > o.Max {
		o.Start = o.Max
	}
	now := o.Now()
	a := &AdaptiveLimiter{now: o.Now, cur: o.Start, max: o.Max, min: o.Min, slowStart: true, lastChange: now}
	a.lim = rate.NewLimiter(rate.Limit(o.Start), burstFor(o.Start))
	return a
}

// burstFor keeps the bucket small: a burst of many requests at once would
// itself trip a server's limiter.
func burstFor(r float64) int { return max(1, int(r/20)) }

// Wait blocks until a request may leave or ctx ends.
func (a *AdaptiveLimiter) Wait(ctx context.Context) error { return a.lim.Wait(ctx) }

// Rate returns the current rate in requests per second.
func (a *AdaptiveLimiter) Rate() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

// Counts returns how many answers were observed and how many were throttled.
func (a *AdaptiveLimiter) Counts() (answers, throttled int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.answers, a.throttled
}

// Observe records one answer's HTTP status (0 for none): 429 and 503 cut
// the rate, other answers let it grow.
func (a *AdaptiveLimiter) Observe(status int) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answers++
	a.seen.add(now)
	if status == 503 {
		// A 503 is a throttle when many answers are: then the service is
		// shedding load. A few among clean answers are failures (the
		// pacer retries them), and cutting on each starved the run: with
		// 5% of answers 503, the rate fell to 2 requests/s.
		a.unavail.add(now)
		if seen := a.seen.rate(now); seen == 0 || a.unavail.rate(now) < unavailableShare*seen {
			a.throttled++
			return
		}
	}
	if status == 429 || status == 503 {
		a.throttled++
		if a.measuring || now.Sub(a.lastCut) < cutCooldown {
			return
		}
		a.lastCut, a.lastChange = now, now
		if a.slowStart {
			a.slowStart = false
			a.measuring, a.measureAt, a.measureOK = true, now, 0
			a.set(a.cur / 2)
			return
		}
		next := a.cur * steadyCut
		if est := a.ok.rate(now); est > 0 {
			next = min(next, est*belowMeasured)
		}
		a.set(next)
		return
	}
	if status == 0 || status >= 300 {
		return
	}
	a.ok.add(now)
	if a.measuring {
		a.measureOK++
		if d := now.Sub(a.measureAt); d >= measureWindow {
			a.measuring = false
			a.lastChange = now
			a.set(min(a.cur, float64(a.measureOK)/d.Seconds()*belowMeasured))
		}
		return
	}
	interval := growthInterval
	if a.slowStart {
		interval = slowStartInterval
	}
	if now.Sub(a.lastChange) < interval || now.Sub(a.lastCut) < growthInterval {
		return
	}
	if a.slowStart {
		a.set(a.cur * 2)
	} else {
		a.set(a.cur * (1 + growth))
	}
	a.lastChange = now
}

func (a *AdaptiveLimiter) set(r float64) {
	r = max(r, a.min)
	if a.max > 0 {
		r = min(r, a.max)
	}
	a.cur = r
	a.lim.SetLimit(rate.Limit(r))
	a.lim.SetBurst(burstFor(r))
}

// okWindow counts successful answers over the last second in 20 slots of
// 50 ms.
type okWindow struct {
	slots [20]int
	at    [20]int64 // which 50 ms tick each slot holds
}

const okSlot = 50 * time.Millisecond

func (w *okWindow) add(now time.Time) {
	tick := now.UnixNano() / int64(okSlot)
	i := tick % int64(len(w.slots))
	if w.at[i] != tick {
		w.at[i], w.slots[i] = tick, 0
	}
	w.slots[i]++
}

// rate is the successful answers per second over the last second, the
// current (partial) slot excluded.
func (w *okWindow) rate(now time.Time) float64 {
	tick := now.UnixNano() / int64(okSlot)
	n := 0
	for i := range w.slots {
		if t := w.at[i]; t < tick && t >= tick-int64(len(w.slots))+1 {
			n += w.slots[i]
		}
	}
	return float64(n) / (okSlot * time.Duration(len(w.slots)-1)).Seconds()
}
