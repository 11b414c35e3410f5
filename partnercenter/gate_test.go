package partnercenter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
)

// throttleRecorder is a Limiter that records the Retry-Afters it is told.
type throttleRecorder struct{ got atomic.Int64 }

func (l *throttleRecorder) Wait(context.Context) error { return nil }
func (l *throttleRecorder) Throttled(d time.Duration)  { l.got.Store(int64(d)) }

// TestThrottleHoldsEveryCall: a 429 with Retry-After (here Partner
// Center's own body, and a 509) holds back every later call of the client,
// the engine's single-attempt view included, until it passes: a call whose
// context ends first never reaches the server. The limiter is told the
// Retry-After, and the error answers refbatch.RetryAfter.
func TestThrottleHoldsEveryCall(t *testing.T) {
	for _, status := range []int{429, 509} {
		var requests atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"statusCode":429,"message":"Rate limit is exceeded. Try again in 57 seconds."}`))
		}))
		lim := &throttleRecorder{}
		c := newTestClient(t, srv.URL, partnercenter.WithLimiter(lim),
			partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1, MaxRetryAfter: time.Hour}))
		api := partnercenter.NewReferrals(c)
		_, err := api.Get(t.Context(), "", "00000000-0000-0000-0000-000000000001")
		if d, ok := refbatch.RetryAfter(err); !ok || d != 57*time.Second {
			t.Errorf("%d: RetryAfter = %v, %v (%v); want 57s from the message", status, d, ok, err)
		}
		if partnercenter.IsInDoubt(err) || partnercenter.Classify(err) != partnercenter.RetryAfter {
			t.Errorf("%d: class %v, in doubt %v", status, partnercenter.Classify(err), partnercenter.IsInDoubt(err))
		}
		if got := time.Duration(lim.got.Load()); got != 57*time.Second {
			t.Errorf("%d: the limiter was told %v", status, got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		_, err = c.Get(ctx, "00000000-0000-0000-0000-000000000002")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || requests.Load() != 1 {
			t.Errorf("%d: a call during the Retry-After reached the server (%d requests) or did not wait: %v", status, requests.Load(), err)
		}
		srv.Close()
	}
}
