package partnercenter_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/refbatch/refbatch/partnercenter"
)

// The engine hands the client a token bucket.
var _ partnercenter.Limiter = (*rate.Limiter)(nil)

const referralJSON = `{"id":"4111fffc-f9ee-4d53-bba6-569135228642","name":"n","eTag":"\"e2\""}`

// TestRetryDecision checks which calls the pacer repeats after a transient
// failure: reads and PATCH with If-Match are repeated until they succeed,
// a create and a PATCH without If-Match never are.
func TestRetryDecision(t *testing.T) {
	const id = "4111fffc-f9ee-4d53-bba6-569135228642"
	ops := []partnercenter.PatchOp{{Op: "replace", Path: "/details/dealValue", Value: 10000}}
	tests := []struct {
		name      string
		fail      func(t *testing.T, w http.ResponseWriter)
		do        func(ctx context.Context, c *partnercenter.Client) error
		wantCalls int // server hits; the first two fail
		wantErr   bool
	}{
		{"get after 503", fail503, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Get(ctx, id)
			return err
		}, 3, false},
		{"get after a dropped connection", failDrop, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Get(ctx, id)
			return err
		}, 3, false},
		{"patch with If-Match after 500", fail500, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Patch(ctx, id, ops, `"e1"`, true)
			return err
		}, 3, false},
		{"referral eligibility after 429", fail429, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.ReferralEligibility(ctx, id)
			return err
		}, 3, false},
		{"partner eligibility after 408", fail408, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.PartnerEligibility(ctx)
			return err
		}, 3, false},
		{"create after 503: never retried", fail503, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Create(ctx, &partnercenter.Referral{Name: "n"})
			return err
		}, 1, true},
		{"create after a dropped connection: never retried", failDrop, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Create(ctx, &partnercenter.Referral{Name: "n"})
			return err
		}, 1, true},
		{"create after 429: never retried", fail429, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Create(ctx, &partnercenter.Referral{Name: "n"})
			return err
		}, 1, true},
		{"patch without If-Match after 500: never retried", fail500, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Patch(ctx, id, ops, "", true)
			return err
		}, 1, true},
		{"get after 404: permanent", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(404) }, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Get(ctx, id)
			return err
		}, 1, true},
		{"get after 401: fatal", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(401) }, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Get(ctx, id)
			return err
		}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= 2 {
					tt.fail(t, w)
					return
				}
				if r.URL.Path == "/v1.0/engagements/partners/dealregistrationeligibility" || r.Method == http.MethodPost && r.URL.Path != "/v1.0/engagements/referrals" {
					writeJSON(w, 200, `{"isEligible":true}`)
					return
				}
				writeJSON(w, 200, referralJSON)
			})
			var seen attempts
			c := newTestClient(t, srv.URL, partnercenter.WithObserver(seen.observe),
				// No keep-alive: the transport must not hide a retry of its own.
				partnercenter.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
			ctx := t.Context()
			err := tt.do(ctx, c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			reqs := srv.requests()
			if len(reqs) != tt.wantCalls {
				t.Fatalf("server saw %d requests, want %d", len(reqs), tt.wantCalls)
			}
			ats := seen.list()
			if len(ats) != tt.wantCalls {
				t.Fatalf("observer saw %d attempts, want %d", len(ats), tt.wantCalls)
			}
			// One call, one client-request-id, on every attempt.
			id := reqs[0].Header.Get("client-request-id")
			if _, err := uuid.Parse(id); err != nil {
				t.Fatalf("client-request-id %q is not a GUID", id)
			}
			for i, r := range reqs {
				if got := r.Header.Get("client-request-id"); got != id {
					t.Errorf("attempt %d sent client-request-id %q, want %q", i+1, got, id)
				}
				if ats[i].N != i+1 || ats[i].ClientRequestID != id {
					t.Errorf("observer attempt %d = %+v", i+1, ats[i])
				}
			}
		})
	}
}

func fail503(t *testing.T, w http.ResponseWriter)  { w.WriteHeader(503) }
func fail500(t *testing.T, w http.ResponseWriter)  { w.WriteHeader(500) }
func fail408(t *testing.T, w http.ResponseWriter)  { w.WriteHeader(408) }
func failDrop(t *testing.T, w http.ResponseWriter) { dropConnection(t, w) }
func fail429(t *testing.T, w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1") // capped to fastRetries.MaxRetryAfter
	w.WriteHeader(429)
}

func TestRetryBound(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(500) })
	c := newTestClient(t, srv.URL)
	_, err := c.Get(t.Context(), "x")
	if partnercenter.Classify(err) != partnercenter.Retryable {
		t.Fatalf("err = %v", err)
	}
	if got := len(srv.requests()); got != fastRetries.MaxAttempts {
		t.Errorf("%d attempts, want %d", got, fastRetries.MaxAttempts)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		cap        time.Duration
		min, max   time.Duration
	}{
		{"waits what the server asks", "1", time.Minute, time.Second, 3 * time.Second},
		{"caps a long wait", "3600", 150 * time.Millisecond, 150 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(429)
					return
				}
				writeJSON(w, 200, referralJSON)
			})
			p := fastRetries
			p.MaxRetryAfter = tt.cap
			c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(p))
			start := time.Now()
			if _, err := c.Get(t.Context(), "x"); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < tt.min || d > tt.max {
				t.Errorf("took %v, want between %v and %v", d, tt.min, tt.max)
			}
		})
	}
}

// TestPacerCancelWhileSleeping: a caller that gives up while the pacer
// sleeps on a long Retry-After gets control back at once.
func TestPacerCancelWhileSleeping(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(503)
	})
	p := fastRetries
	p.MaxRetryAfter = time.Minute
	c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(p))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Get(ctx, "x")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("returned after %v", d)
	}
	if partnercenter.Classify(err) != partnercenter.Canceled {
		t.Errorf("Classify = %v (%v)", partnercenter.Classify(err), err)
	}
	if ae, ok := errors.AsType[*partnercenter.APIError](err); !ok || ae.StatusCode != 503 {
		t.Errorf("the last answer is lost: %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestPacerDeadlineTooClose: when the wait would outlast the caller's
// deadline, the pacer returns the last error at once instead of sleeping
// into DeadlineExceeded.
func TestPacerDeadlineTooClose(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	})
	p := fastRetries
	p.MaxRetryAfter = time.Minute
	c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(p))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, "x")
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if got := partnercenter.Classify(err); got != partnercenter.RetryAfter {
		t.Errorf("Classify = %v (%v)", got, err)
	}
}

// TestAttemptTimeout: an attempt that hangs is abandoned after
// AttemptTimeout and, for a GET, tried again.
func TestAttemptTimeout(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		writeJSON(w, 200, referralJSON)
	})
	p := fastRetries
	p.AttemptTimeout = 200 * time.Millisecond
	var seen attempts
	c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(p), partnercenter.WithObserver(seen.observe))
	if _, err := c.Get(t.Context(), "x"); err != nil {
		t.Fatal(err)
	}
	ats := seen.list()
	if len(ats) != 2 || !errors.Is(ats[0].Err, partnercenter.ErrAttemptTimeout) || partnercenter.Classify(ats[0].Err) != partnercenter.Retryable {
		t.Fatalf("attempts = %+v", ats)
	}

	// A create that times out is not repeated, and is in doubt.
	srv2 := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		<-r.Context().Done()
	})
	c2 := newTestClient(t, srv2.URL, partnercenter.WithRetryPolicy(p))
	_, err := c2.Create(t.Context(), &partnercenter.Referral{Name: "n"})
	if !errors.Is(err, partnercenter.ErrAttemptTimeout) || !partnercenter.IsInDoubt(err) || len(srv2.requests()) != 1 {
		t.Errorf("err = %v, in doubt %v, requests %d", err, partnercenter.IsInDoubt(err), len(srv2.requests()))
	}
}

// TestPatchRetryAfterLostAnswer: a PATCH with If-Match whose first answer
// was lost is retried; its 412 may be the first PATCH's own doing, so the
// error is a Conflict that is also in doubt.
func TestPatchRetryAfterLostAnswer(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			dropConnection(t, w)
			return
		}
		writeJSON(w, 412, `{"error":{"code":"PreconditionFailed","message":"eTag mismatch"}}`)
	})
	c := newTestClient(t, srv.URL)
	_, err := c.Patch(t.Context(), "x", []partnercenter.PatchOp{{Op: "replace", Path: "/name", Value: "n"}}, `"e1"`, false)
	if partnercenter.Classify(err) != partnercenter.Conflict || !partnercenter.IsInDoubt(err) {
		t.Errorf("Classify %v, IsInDoubt %v: %v", partnercenter.Classify(err), partnercenter.IsInDoubt(err), err)
	}
}

type countingLimiter struct {
	n   atomic.Int32
	err error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.n.Add(1)
	return l.err
}

func TestLimiter(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(503)
			return
		}
		writeJSON(w, 200, referralJSON)
	})
	t.Run("every attempt waits", func(t *testing.T) {
		var l countingLimiter
		c := newTestClient(t, srv.URL, partnercenter.WithLimiter(&l))
		if _, err := c.Get(t.Context(), "x"); err != nil {
			t.Fatal(err)
		}
		if got := l.n.Load(); got != 2 {
			t.Errorf("limiter waited %d times, want 2", got)
		}
	})
	t.Run("a token bucket whose wait passes the deadline", func(t *testing.T) {
		l := rate.NewLimiter(rate.Every(time.Hour), 1)
		l.Allow() // empty the bucket
		c := newTestClient(t, srv.URL, partnercenter.WithLimiter(l))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		before := len(srv.requests())
		_, err := c.Get(ctx, "x")
		if partnercenter.Classify(err) != partnercenter.Canceled {
			t.Errorf("Classify = %v (%v)", partnercenter.Classify(err), err)
		}
		if len(srv.requests()) != before {
			t.Error("a request left without the limiter's permission")
		}
	})
}
