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
