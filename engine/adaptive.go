package engine

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AdaptiveLimiter paces every request of a run with a token bucket whose
// rate it finds by itself, as TCP finds a path's capacity: it starts low,
// doubles while answers are clean (slow start), and after the first
// throttled answer (429, or 503) grows additively and cuts multiplicatively
// (AIMD). It never exceeds Max when Max is set (--rate).
//
// The x/time/rate bucket does the pacing; this type only moves its rate.
// Observe is called after every answer, Wait before every attempt; both are
// safe for concurrent use.
type AdaptiveLimiter struct {
	lim *rate.Limiter
	now func() time.Time

	mu         sync.Mutex
	cur        float64 // requests per second now
	max        float64 // 0: no ceiling
	min        float64
	slowStart  bool
	lastChange time.Time // last increase or decrease
	lastCut    time.Time
	throttled  int64
	answers    int64
}

// AdaptiveOptions configure NewAdaptiveLimiter; zero fields take defaults.
type AdaptiveOptions struct {
	Start float64 // first rate, requests/s (default 20, or Max when lower)
	Max   float64 // ceiling, requests/s (0: none)
	Min   float64 // floor (default 1)
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// Tuning, measured against the sandbox's token-bucket limiter (see
// BenchmarkAdaptiveThroughput): a cut of 10% and growth of 2% a second keep
// the sawtooth within ~5% of the limit, and one cut per second at most
// stops the burst of 429s already in flight from cutting several times.
const (
	adaptiveCut       = 0.90
	adaptiveGrowth    = 0.02
	adaptiveInterval  = time.Second
	slowStartInterval = 500 * time.Millisecond
)

// NewAdaptiveLimiter returns a limiter in slow start.
func NewAdaptiveLimiter(o AdaptiveOptions) *AdaptiveLimiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Min <= 0 {
		o.Min = 1
	}
	if o.Start <= 0 {
		o.Start = 20
	}
	if o.Max > 0 && o.Start > o.Max {
		o.Start = o.Max
	}
	a := &AdaptiveLimiter{now: o.Now, cur: o.Start, max: o.Max, min: o.Min, slowStart: true, lastChange: o.Now()}
	a.lim = rate.NewLimiter(rate.Limit(o.Start), burstFor(o.Start))
	return a
}

// burstFor keeps the bucket small: a burst of a tenth of a second's worth
// would itself trip a server's limiter.
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
	if status == 429 || status == 503 {
		a.throttled++
		if now.Sub(a.lastCut) < adaptiveInterval {
			return
		}
		if a.slowStart {
			a.slowStart = false
			a.set(a.cur / 2)
		} else {
			a.set(a.cur * adaptiveCut)
		}
		a.lastCut, a.lastChange = now, now
		return
	}
	interval := adaptiveInterval
	if a.slowStart {
		interval = slowStartInterval
	}
	if now.Sub(a.lastChange) < interval || now.Sub(a.lastCut) < adaptiveInterval {
		return
	}
	if a.slowStart {
		a.set(a.cur * 2)
	} else {
		a.set(a.cur * (1 + adaptiveGrowth))
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
