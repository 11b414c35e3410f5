package partnercenter

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// TestPacerDelay checks the bounds of the backoff: full jitter under an
// exponential ceiling capped by MaxDelay, after a capped Retry-After.
func TestPacerDelay(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 5 * time.Second}
	tests := []struct {
		name   string
		retry  int
		err    error
		lo, hi time.Duration
	}{
		{"first retry", 1, errors.New("x"), 0, 100 * time.Millisecond},
		{"third retry doubles twice", 3, errors.New("x"), 0, 400 * time.Millisecond},
		{"capped by MaxDelay", 8, errors.New("x"), 0, time.Second},
		{"huge retry count does not overflow", 500, errors.New("x"), 0, time.Second},
		{"after Retry-After", 1, &APIError{StatusCode: 429, Wait: 2 * time.Second}, 2 * time.Second, 2*time.Second + 100*time.Millisecond},
		{"Retry-After capped", 1, &APIError{StatusCode: 503, Wait: time.Hour}, 5 * time.Second, 5*time.Second + 100*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pacer{policy: policy, rnd: rand.New(rand.NewPCG(1, 1))}
			var sum time.Duration
			const n = 200
			for range n {
				d := p.delay(tt.retry, tt.err)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("delay %v outside [%v, %v]", d, tt.lo, tt.hi)
				}
				sum += d - tt.lo
			}
			// Full jitter: the mean sits near the middle of the range.
			if mean, mid := sum/n, (tt.hi-tt.lo)/2; mean < mid/2 || mean > mid*3/2 {
				t.Errorf("mean jitter %v, want about %v", mean, mid)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"120", 2 * time.Minute},
		{" 3 ", 3 * time.Second},
		{"Sat, 21 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Sat, 21 Nov 2026 11:00:00 GMT", 0},
		{"soon", 0},
		{"99999999999999", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEscapeQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"$filter=engagementId eq 'e1'&$top=2", "$filter=engagementId%20eq%20'e1'&$top=2"},
		{"$skiptoken=a%2Fb", "$skiptoken=a%2Fb"},
		{"x=100%", "x=100%25"},
		{`x="q"<>`, "x=%22q%22%3C%3E"},
	}
	for _, tt := range tests {
		if got := escapeQuery(tt.in); got != tt.want {
			t.Errorf("escapeQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
