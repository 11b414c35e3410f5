package engine_test

import (
	"testing"
	"time"

	"github.com/refbatch/refbatch/engine"
)

// clock is a manual clock for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)} }
func answers(l *engine.AdaptiveLimiter, c *clock, n int, every time.Duration, status func(i int) int) {
	for i := 0; i < n; i++ {
		c.advance(every)
		l.Observe(status(i))
	}
}

// TestAdaptiveFindsTheLimit: clean answers grow the rate (slow start), 429s
// cut it, and the measured rate of successful answers anchors the cut.
func TestAdaptiveFindsTheLimit(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now})
	start := l.Rate()
	answers(l, c, 200, 10*time.Millisecond, func(int) int { return 200 })
	grown := l.Rate()
	if grown <= start*2 {
		t.Fatalf("after 2 s of clean answers the rate is %.0f, started at %.0f: slow start should have doubled it several times", grown, start)
	}
	// The server now lets 100/s through and refuses the rest.
	answers(l, c, 300, 5*time.Millisecond, func(i int) int {
		if i%2 == 0 {
			return 200
		}
		return 429
	})
	if r := l.Rate(); r > 110 || r < 50 {
		t.Errorf("after a second of 50%% 429s at 200 answers/s the rate is %.1f, want near the 100/s that succeeded", r)
	}
	if _, throttled := l.Counts(); throttled != 150 {
		t.Errorf("throttled %d, want 150", throttled)
	}
}

// TestAdaptiveIgnoresSporadic503: a few 503s among clean answers are
// failures, not throttling: they must not starve the run.
func TestAdaptiveIgnoresSporadic503(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now, Max: 80})
	answers(l, c, 2000, 12*time.Millisecond, func(i int) int {
		if i%20 == 7 {
			return 503
		}
		return 200
	})
	if r := l.Rate(); r < 79 {
		t.Errorf("with 5%% of answers 503 the rate fell to %.1f, want it to stay at the ceiling of 80", r)
	}
	// A storm of 503s is the service shedding load: then it cuts.
	answers(l, c, 100, 12*time.Millisecond, func(i int) int { return 503 })
	if r := l.Rate(); r >= 79 {
		t.Errorf("a second of nothing but 503s left the rate at %.1f", r)
	}
}

// TestAdaptiveLearntRate: a run told the rate the last one ended at starts
// there without slow start; after a throttled answer it remembers the rate
// the cut set, below what the server allowed since the previous refusal.
func TestAdaptiveLearntRate(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now, Learnt: 40})
	if r := l.Rate(); r != 40 {
		t.Fatalf("starts at %.1f, want the learnt 40", r)
	}
	// The server lets 30/s through, then refuses with a Retry-After.
	answers(l, c, 30, time.Second/30, func(int) int { return 200 })
	if r := l.Rate(); r > 41 {
		t.Errorf("after a clean second the rate is %.1f: a learnt rate grows slowly, no slow start", r)
	}
	if _, ok := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now}).LearntRate(); ok {
		t.Error("a limiter that saw no answer has learnt a rate")
	}
	answers(l, c, 60, time.Second/30, func(int) int { return 200 })
	l.Observe(429)
	l.Throttled(time.Second)
	got, ok := l.LearntRate()
	if !ok || got > 30 || got < 25 {
		t.Errorf("learnt %.1f (%v), want just below the 30/s the server allowed", got, ok)
	}
	// Answers to requests that left before the pause do not cut again.
	c.advance(100 * time.Millisecond)
	l.Observe(429)
	if again, _ := l.LearntRate(); again != got {
		t.Errorf("an answer during the pause cut again: %.1f, then %.1f", got, again)
	}
}

// simServer models the sandbox's throttle shapes on the manual clock: a
// token bucket of perSec requests a second holding one second's worth
// (full at the start), a fixed window of perMin requests a minute starting
// with the first request, and a penalty box (after a refusal everything is
// refused for at least penalty). A refusal announces a Retry-After of at
// least a second.
type simServer struct {
	perSec  float64
	perMin  int
	penalty time.Duration

	tokens      float64
	last        time.Time
	window      time.Time
	windowUsed  int
	boxedUntil  time.Time
	started     bool
	ok, refused int
}

func (s *simServer) admit(now time.Time) (ok bool, retryAfter time.Duration) {
	if !s.started {
		s.started, s.tokens, s.last, s.window = true, s.perSec, now, now
	}
	if now.Before(s.boxedUntil) {
		s.refused++
		return false, s.boxedUntil.Sub(now)
	}
	wait := time.Duration(0)
	if s.perMin > 0 {
		if now.Sub(s.window) >= time.Minute {
			s.window, s.windowUsed = now, 0
		}
		if s.windowUsed >= s.perMin {
			wait = s.window.Add(time.Minute).Sub(now)
		}
	}
	if s.perSec > 0 && wait == 0 {
		s.tokens = min(s.perSec, s.tokens+now.Sub(s.last).Seconds()*s.perSec)
		s.last = now
		if s.tokens < 1 {
			wait = time.Second
		}
	}
	if wait == 0 {
		if s.perSec > 0 {
			s.tokens--
		}
		s.windowUsed++
		s.ok++
		return true, 0
	}
	s.refused++
	wait = max(wait, time.Second, s.penalty)
	if s.penalty > 0 {
		s.boxedUntil = now.Add(wait)
	}
	return false, wait
}

// simulate sends requests paced at the limiter's rate, each answered at
// once, until want succeeded; a refusal pauses the run for its
// Retry-After as the client's shared gate does. It returns the time taken
// and the time spent paused.
func simulate(l *engine.AdaptiveLimiter, c *clock, s *simServer, want int) (took, paused time.Duration) {
	start := c.t
	for s.ok < want {
		c.advance(time.Duration(float64(time.Second) / l.Rate()))
		ok, retryAfter := s.admit(c.t)
		if ok {
			l.Observe(200)
			continue
		}
		l.Observe(429)
		l.Throttled(retryAfter)
		c.advance(retryAfter)
		paused += retryAfter
	}
	return c.t.Sub(start), paused
}

// TestAdaptivePenaltyBox: against a 20/s bucket whose refusal puts every
// request in a 10 s box, the run goes into the box once (its start, from
// a full bucket, finds the limit) and then runs just below the limit.
func TestAdaptivePenaltyBox(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now})
	s := &simServer{perSec: 20, penalty: 10 * time.Second}
	took, paused := simulate(l, c, s, 1200) // a minute's worth
	if s.refused != 1 {
		t.Errorf("refused %d times, want once: every refusal costs 10 s", s.refused)
	}
	if share := float64(s.ok) / (took - paused).Seconds() / 20; share < 0.95 {
		t.Errorf("%.1f%% of the limit outside the box, want ≥ 95%%", 100*share)
	}
	if r, _ := l.LearntRate(); r > 20 || r < 18 {
		t.Errorf("learnt %.1f/s, want just below 20", r)
	}
	// Ten minutes on: the rate probes above the limit at 1% per 10 s
	// (the Retry-After), so the box costs a small share of the time.
	took, paused = simulate(l, c, s, 1200+12000)
	t.Logf("10 min more: %d refusals, %.1f%% of the limit over the whole time", s.refused-1, 100*12000/took.Seconds()/20)
	if share := 12000 / took.Seconds() / 20; share < 0.85 {
		t.Errorf("%.1f%% of the limit over ten more minutes, box included, want ≥ 85%%", 100*share)
	}
}

// TestAdaptivePerSecondBucket: against a plain 20/s bucket (Retry-After
// 1 s) the first refusal cuts on what the cycle showed, pauses included,
// as before: a refusal there costs a second.
func TestAdaptivePerSecondBucket(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now})
	s := &simServer{perSec: 20}
	took, _ := simulate(l, c, s, 1200)
	if share := float64(s.ok) / took.Seconds() / 20; share < 0.95 {
		t.Errorf("%.1f%% of the limit, want ≥ 95%%", 100*share)
	}
	if share := float64(s.refused) / float64(s.ok+s.refused); share > 0.02 {
		t.Errorf("%.1f%% refused, want ≤ 2%%", 100*share)
	}
}

// TestAdaptiveMinuteWindow: against 300 requests a minute, the run cannot
// tell the first refusal from a penalty box's and spends the next window
// at the rate its start showed; the second refusal, after the same count,
// shows a window, and from then on the run is paced at the window's rate:
// no more refusals a window, no minute-long pauses.
func TestAdaptiveMinuteWindow(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now})
	s := &simServer{perMin: 300}
	simulate(l, c, s, 601) // the 601st is refused first
	if s.refused != 2 {
		t.Errorf("two windows' worth refused %d times, want 2 (one a window)", s.refused)
	}
	if r := l.Rate(); r > 5 || r < 4.5 {
		t.Errorf("after two windows the rate is %.2f/s, want just below 5 (300 a minute)", r)
	}
	// The run waits for the window it used up, then is paced.
	refused := s.refused
	took, paused := simulate(l, c, s, 601+1500)
	running := took - paused
	t.Logf("5 windows more: %v (%v paused), %d refusals", took, paused, s.refused-refused)
	if s.refused-refused > 2 {
		t.Errorf("five more windows' worth refused %d times, want at most 2", s.refused-refused)
	}
	if share := 1500 / running.Seconds() / 5; share < 0.95 || share > 1.05 {
		t.Errorf("paced at %.1f%% of the window's rate outside pauses, want 95%% to 105%%", 100*share)
	}
	if r, _ := l.LearntRate(); r > 5 || r < 4.5 {
		t.Errorf("learnt %.2f/s, want just below 5", r)
	}
}

// TestAdaptiveRefusalsInFlight: the refusals of requests already in flight
// stretch a 1 s pause a little; that does not make the refusal a dear one
// (only a Retry-After over a second reads the run's start conservatively).
func TestAdaptiveRefusalsInFlight(t *testing.T) {
	c := newClock()
	l := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now})
	answers(l, c, 100, 10*time.Millisecond, func(int) int { return 200 })
	c.advance(10 * time.Millisecond)
	l.Observe(429)
	l.Throttled(time.Second)
	c.advance(20 * time.Millisecond)
	l.Observe(429)
	l.Throttled(time.Second)
	if r := l.Rate(); r < 90 {
		t.Errorf("after 100 clean answers in a second and a 1 s Retry-After the rate is %.1f, want just below 100", r)
	}
	// A 10 s Retry-After (a penalty box) reads the start as if it had
	// been a pause: 100 answers over the second they took and the second
	// the server's full bucket stood for.
	c = newClock()
	l = engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Now: c.now})
	answers(l, c, 100, 10*time.Millisecond, func(int) int { return 200 })
	c.advance(10 * time.Millisecond)
	l.Observe(429)
	l.Throttled(10 * time.Second)
	if r := l.Rate(); r > 50 || r < 45 {
		t.Errorf("after 100 clean answers in a second and a 10 s Retry-After the rate is %.1f, want just below 50", r)
	}
}
