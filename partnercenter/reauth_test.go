package partnercenter_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// rotatingSource hands out tokens in order; Invalidate of the current one
// moves to the next, as a refreshing source would.
type rotatingSource struct {
	mu          sync.Mutex
	tokens      []string
	i           int
	invalidated []string
}

func (s *rotatingSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[min(s.i, len(s.tokens)-1)], nil
}

func (s *rotatingSource) Invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, tok)
	if s.tokens[min(s.i, len(s.tokens)-1)] == tok {
		s.i++
	}
}

func TestUnauthorizedRefreshesOnceAndRetries(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Token: "good"})
	ts := httptest.NewServer(sb)
	defer ts.Close()

	cases := []struct {
		name      string
		tokens    []string
		wantErr   bool
		wantTries int
	}{
		{"stale then fresh", []string{"stale", "good"}, false, 2},
		{"refused twice", []string{"stale", "still-bad", "good"}, true, 2},
		{"fresh at once", []string{"good"}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &rotatingSource{tokens: tc.tokens}
			var at attempts
			c := newTestClient(t, ts.URL, partnercenter.WithTokenSource(src), partnercenter.WithObserver(at.observe))
			before := len(sb.Referrals())
			// A create too: a 401 comes before the service acts.
			_, err := c.Create(context.Background(), &partnercenter.Referral{Name: "R", Type: "Independent",
				CustomerProfile: &partnercenter.CustomerProfile{Name: "C"}, Consent: &partnercenter.Consent{}, Details: &partnercenter.ReferralDetails{}})
			if tc.wantErr {
				if err == nil || partnercenter.Classify(err) != partnercenter.Fatal {
					t.Fatalf("err = %v, want a Fatal 401", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n := len(at.list()); n != tc.wantTries {
				t.Errorf("%d attempts, want %d", n, tc.wantTries)
			}
			if tc.wantTries == 2 && len(src.invalidated) != 1 {
				t.Errorf("Invalidate called %d times, want once", len(src.invalidated))
			}
			created := len(sb.Referrals()) - before
			if want := map[bool]int{true: 0, false: 1}[tc.wantErr]; created != want {
				t.Errorf("%d referrals created, want %d", created, want)
			}
		})
	}
}

// A TokenSource without Invalidate keeps the old behaviour: one 401, Fatal.
func TestUnauthorizedWithoutInvalidatorIsFatalAtOnce(t *testing.T) {
	ts := httptest.NewServer(sandbox.New(sandbox.Options{Token: "good"}))
	defer ts.Close()
	var at attempts
	c := newTestClient(t, ts.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("bad")), partnercenter.WithObserver(at.observe))
	if _, err := c.Get(context.Background(), "x"); partnercenter.Classify(err) != partnercenter.Fatal {
		t.Fatalf("err = %v, want Fatal", err)
	}
	if n := len(at.list()); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}
