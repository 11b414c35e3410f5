package engine

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AdaptiveLimiter paces every request of a run with a token bucket whose
// rate it finds by itself. It starts in slow start (doubling while answers
// are clean) unless it is told where the last run against the same
// endpoint ended (AdaptiveOptions.Learnt: then it starts there and only
// grows slowly). A throttled answer (429, 509, or a storm of 503s) cuts
// the rate to just below what the server let through since its previous
// refusal (see cut), and never to more than half the rate that was
// refused in slow start. From then on it grows 1% per Retry-After of
// clean answers (at least a second: the dearer a refusal, the slower it
// probes) and, on a throttled answer, drops to just below the measured
// rate again (AIMD anchored on a measurement). It never exceeds Max when
// Max is set (--rate).
//
// The server's Retry-After pauses every worker (the client's pacer holds
// them; Throttled tells the limiter): the answers that arrive during the
// pause left before it and do not cut again, and a pause counts in the
// measured rate only for as long as a server's bucket refills in it (at
// most bucketHeld). Against a window (a count per minute, say) that reading
// would spend each window in seconds and then wait for the next: once two
// refusals in a row came with a long Retry-After, each after the server let
// the same count through, the limiter takes the limit for a window, counts
// pauses in full from then on, and paces the run at the window's count
// over its length (see Throttled).
//
// x/time/rate does the pacing; this type only moves its rate. Observe is
// called after every answer, Wait before every attempt, Throttled after a
// throttled answer with a Retry-After; all are safe for concurrent use.
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
	pauseUntil time.Time // the end of the server's last Retry-After
	ok         okWindow
	unavail    okWindow // 503 answers
	seen       okWindow // every answer
	throttled  int64
	answers    int64
	cuts       int64
	// The cycle: successful answers since the last cut. Between two
	// refusals a server's token bucket went from empty to empty, so what
	// it let through over that time is its rate (see cut).
	okTotal     int64
	cycleStart  time.Time
	cycleOK     int64
	cyclePaused time.Duration // pausedSum at cycleStart
	cycleHeld   time.Duration // heldSum at cycleStart
	// Pauses: pausedSum is the time every Retry-After paused the run,
	// heldSum the same with each pause counted for at most bucketHeld
	// (what a server's bucket can refill in it), pauseLen the length of
	// the last pause.
	pausedSum, heldSum, pauseLen time.Duration
	// fromStart: the cycle began at the run's start, when the server's
	// bucket is full, not after a pause; startEst is its rate read as if
	// the start had been a pause, applied when the refusal that ends the
	// cycle proves dear (see Throttled).
	fromStart bool
	startEst  float64
	growEvery time.Duration // growthInterval, or the last refusal's Retry-After when longer
	cutTo     float64       // the rate the last cut set: just below what the server allowed
	learnt    float64       // AdaptiveOptions.Learnt
	// A window (see Throttled): lastOK and lastRun are the successful
	// answers and the time outside pauses of the cycle the last cut
	// ended; longOK is lastOK of the cut before when its refusal's
	// Retry-After was long, else 0; window is set once two long refusals
	// in a row came after the same count, windowLen its length.
	lastOK    int64
	lastRun   time.Duration
	longOK    int64
	window    bool
	windowLen time.Duration
}

// AdaptiveOptions configure NewAdaptiveLimiter; zero fields take defaults.
type AdaptiveOptions struct {
	Start float64 // first rate, requests/s (default: Learnt, else Max when set, else 50)
	Max   float64 // ceiling, requests/s (0: none)
	Min   float64 // floor (default 1)
	// Learnt is the rate a previous run against the same endpoint ended at
	// (LearntRate, kept in the journal): the run starts there, without
	// slow start, so its first requests never burst above what the API
	// allowed last time. 0: nothing learnt.
	Learnt float64
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// Tuning, measured against the sandbox's throttle shapes with
// BenchmarkThrottle (engine): see the README's figures.
const (
	slowStartInterval = 500 * time.Millisecond // doubling period while clean
	cutCooldown       = 300 * time.Millisecond // answers already in flight do not cut twice
	minMeasured       = 250 * time.Millisecond // the shortest cycle a measurement is read from
	growthInterval    = time.Second            // at least; the last Retry-After when longer
	growth            = 0.01                   // per growthInterval of clean answers
	// bucketHeld is the most of a pause counted in a measured rate: a
	// server's token bucket refills during a pause, up to what it holds,
	// assumed about a second's worth (the sandbox's holds exactly that).
	// A bucket holding less makes the measured rate low (the run is
	// slower than it could be, not refused); one holding more makes it
	// high, and the cut after the next refusal lowers it again.
	bucketHeld       = time.Second
	belowMeasured    = 0.985 // the rate set after a cut, relative to the measured limit
	steadyCut        = 0.97  // a cut never keeps more than this of the current rate
	unavailableShare = 0.2   // 503s are a throttle when they are this share of the last second's answers
	// sameCount is how close two cycles' counts of successful answers
	// must be for their refusals to read as a window's: the answers in
	// flight at a refusal land in the next cycle. A penalty box whose
	// rate the run's start overestimated twice over gives cycles 25%
	// apart.
	sameCount = 0.1
)

// NewAdaptiveLimiter returns a limiter in slow start, or at the learnt
// rate.
func NewAdaptiveLimiter(o AdaptiveOptions) *AdaptiveLimiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Min <= 0 {
		o.Min = 1
	}
	slowStart := true
	switch {
	case o.Start > 0:
	case o.Learnt > 0:
		o.Start, slowStart = o.Learnt, false
	case o.Max > 0:
		// The user said what the API allows: start there; a 429 still cuts.
		o.Start = o.Max
	default:
		o.Start = 50
	}
	if o.Max > 0 && o.Start > o.Max {
		o.Start = o.Max
	}
	o.Start = max(o.Start, o.Min)
	now := o.Now()
	a := &AdaptiveLimiter{now: o.Now, cur: o.Start, max: o.Max, min: o.Min, slowStart: slowStart, lastChange: now,
		cycleStart: now, fromStart: true, growEvery: growthInterval, learnt: o.Learnt}
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

// LearntRate returns the rate to remember for the next run against the
// same endpoint (see AdaptiveOptions.Learnt). After a throttled answer it
// is the rate the last cut set, just below what the server allowed (not
// what clean answers grew it to since: a server's bucket hides a rate a
// little above its limit for a while). A run never throttled ran clean at
// the rate in force, but one that started from a learnt rate remembers at
// most 10% more than it, so that runs do not ratchet the rate up. ok is
// false when the run saw too few answers to have learnt anything.
func (a *AdaptiveLimiter) LearntRate() (r float64, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.answers < minLearnt:
		return 0, false
	case a.cuts > 0:
		return a.cutTo, true
	case a.learnt > 0:
		return min(a.cur, a.learnt*1.1), true
	}
	return a.cur, true
}

// minLearnt is the fewest answers after which LearntRate speaks.
const minLearnt = 20

// Throttled records the server's Retry-After of a throttled answer: every
// worker waits it out (the client's pacer holds them), so the answers that
// arrive meanwhile left before it and do not cut again, and the pause
// counts in the next measured rate for at most bucketHeld.
//
// The Retry-After that follows a cut also says what a refusal costs. The
// rate then grows 1% per Retry-After of clean answers (at least a second):
// against a per-second bucket (Retry-After 1 s) that is 1% a second, a
// probe that overshoots costs a second; against a 10 s penalty box 1% per
// 10 s, so the run spends less of its time in the box. And a refusal that
// costs more than bucketHeld ends a first cycle conservatively: the rate
// the run's start showed is read as if the start had been a pause (the
// server's bucket was full then), which for a penalty box is its rate, so
// that the run goes into the box once and not twice.
func (a *AdaptiveLimiter) Throttled(retryAfter time.Duration) {
	now := a.now()
	until := now.Add(retryAfter)
	a.mu.Lock()
	defer a.mu.Unlock()
	if !until.After(a.pauseUntil) {
		return
	}
	running := now.Before(a.pauseUntil)
	if running { // the running pause grows
		grown := until.Sub(a.pauseUntil)
		a.pausedSum += grown
		a.heldSum += min(a.pauseLen+grown, bucketHeld) - min(a.pauseLen, bucketHeld)
		a.pauseLen += grown
	} else { // a new pause
		a.pauseLen = retryAfter
		a.pausedSum += retryAfter
		a.heldSum += min(retryAfter, bucketHeld)
	}
	a.pauseUntil = until
	a.lastChange = until
	// What a refusal costs is the Retry-After of the one that cut, which
	// starts the pause; the refusals of requests already in flight only
	// stretch it a little (whole seconds from a later moment).
	if running || a.cuts == 0 || now.Sub(a.lastCut) >= cutCooldown {
		return
	}
	a.growEvery = max(growthInterval, retryAfter)
	long := retryAfter > bucketHeld
	// What a window let through, over the time from the end of the pause
	// that began the cycle to the end of this one: the window the cycle
	// used, from its start to its end.
	windowLen := a.lastRun + retryAfter
	windowRate := float64(a.lastOK) / windowLen.Seconds()
	switch {
	case a.window:
		a.growEvery = max(a.growEvery, a.windowLen)
		a.set(min(a.cur, windowRate*belowMeasured))
		a.cutTo = a.cur
		return
	case !long:
		a.longOK = 0
	case a.longOK > 0 && math.Abs(float64(a.lastOK-a.longOK)) <= sameCount*float64(a.longOK) && retryAfter >= a.lastRun:
		// Two long refusals in a row, each after the server let the same
		// count through, and this pause longer than the run's time since
		// the last: a window (N requests a minute, say), not a bucket.
		// Pacing the run at the window's count over its length beats
		// spending each window in seconds and waiting for the next (a
		// refusal every window, every request held up for most of a
		// minute). The rate then grows 1% a window. (A penalty box the
		// run steps into now and then, after minutes of clean answers,
		// also admits about the same count each time, but its pause is
		// short beside them: it stays a bucket.)
		a.window, a.windowLen = true, windowLen
		a.growEvery = max(a.growEvery, a.windowLen)
		a.set(min(a.cur, windowRate*belowMeasured))
		a.cutTo = a.cur
		a.startEst = 0
		return
	default:
		a.longOK = a.lastOK
	}
	if a.startEst > 0 && long {
		a.set(min(a.cur, a.startEst*belowMeasured))
		a.cutTo = a.cur
		a.startEst = 0
	}
}

// Observe records one answer's HTTP status (0 for none): 429, 509 and a
// storm of 503s cut the rate, other answers let it grow.
func (a *AdaptiveLimiter) Observe(status int) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answers++
	a.seen.add(now)
	if status == 503 {
		// A 503 is a throttle when many answers are: then the service is
		// shedding load. A few among clean answers are failures (the
		// engine retries them), and cutting on each starved the run: with
		// 5% of answers 503, the rate fell to 2 requests/s.
		a.unavail.add(now)
		if seen := a.seen.rate(now); seen == 0 || a.unavail.rate(now) < unavailableShare*seen {
			a.throttled++
			return
		}
	}
	if status == 429 || status == 509 || status == 503 {
		a.throttled++
		// Answers to requests that left before the cut (or before the
		// server's pause began) say nothing new.
		if now.Before(a.pauseUntil) || now.Sub(a.lastCut) < cutCooldown {
			return
		}
		a.cut(now)
		return
	}
	if status == 0 || status >= 300 {
		return
	}
	a.ok.add(now)
	a.okTotal++
	if now.Before(a.pauseUntil) {
		return
	}
	interval := a.growEvery
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

// cut lowers the rate after a throttled answer: to just below what the
// server let through since the previous refusal (the cycle), and at least
// to steadyCut of the rate in force (half of it in slow start, where the
// rate doubled since the last clean period).
//
// Why the cycle and not the last second: once every worker waits out a
// Retry-After, the server's bucket refills meanwhile, and the first second
// after the pause shows that refill, not the limit. From one refusal to
// the next a token bucket goes from empty to empty: what it let through is
// what it held when the cycle began plus its rate times the cycle. So the
// successful answers are divided by the time the run was not paused plus
// each pause up to bucketHeld, the time that refill took: after a 1 s
// Retry-After that is the whole cycle, and the figure is the bucket's rate
// exactly; after a 10 s penalty box, whose bucket refilled in its first
// second and then waited, it is the rate too, where the whole cycle gave a
// third of it and the time outside pauses alone the refused rate. A
// per-minute window gives the window's count over the time it took plus a
// second: a rate that uses a window up in seconds and then waits for the
// next, which is all a window allows (see the README).
func (a *AdaptiveLimiter) cut(now time.Time) {
	a.cuts++
	next := a.cur * steadyCut
	if a.slowStart {
		a.slowStart = false
		next = a.cur / 2
	}
	paused := a.pausedSum - a.cyclePaused
	held := a.heldSum - a.cycleHeld
	measured := now.Sub(a.cycleStart) - paused + held
	ok := float64(a.okTotal - a.cycleOK)
	a.lastOK, a.lastRun = a.okTotal-a.cycleOK, now.Sub(a.cycleStart)-paused
	a.startEst = 0
	if measured >= minMeasured && ok > 0 {
		next = min(next, ok/measured.Seconds()*belowMeasured)
		if a.fromStart {
			a.startEst = ok / (measured + bucketHeld).Seconds()
		}
	}
	a.fromStart = false
	a.cycleStart, a.cycleOK = now, a.okTotal
	a.cyclePaused, a.cycleHeld = a.pausedSum, a.heldSum
	a.lastCut, a.lastChange = now, now
	a.set(next)
	a.cutTo = a.cur
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
