package sandbox

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

// TestThrottleShapes: the per-minute window refuses past its count until
// the minute ends, the penalty box refuses everything for the Retry-After
// it announced, and the bucket allows one second's worth at once.
func TestThrottleShapes(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

	win := newThrottle(Faults{MinuteLimit: 3}, t0)
	for i := range 3 {
		if refused, _ := win.admit(t0.Add(time.Duration(i) * time.Second)); refused {
			t.Fatalf("window: request %d refused", i)
		}
	}
	if refused, ra := win.admit(t0.Add(10 * time.Second)); !refused || ra != 50*time.Second {
		t.Errorf("window: 4th request refused=%v retry-after %v, want 50s", refused, ra)
	}
	if refused, _ := win.admit(t0.Add(time.Minute)); refused {
		t.Error("window: a request of the next minute refused")
	}

	box := newThrottle(Faults{RateLimit: 2, Penalty: 10 * time.Second}, t0)
	box.admit(t0)
	box.admit(t0)
	if refused, ra := box.admit(t0); !refused || ra != 10*time.Second {
		t.Fatalf("penalty: 3rd request refused=%v retry-after %v, want the 10s penalty", refused, ra)
	}
	// The bucket has long refilled, but the box holds.
	if refused, ra := box.admit(t0.Add(9 * time.Second)); !refused || ra != time.Second {
		t.Errorf("penalty: during the box refused=%v retry-after %v, want 1s left", refused, ra)
	}
	if refused, _ := box.admit(t0.Add(10 * time.Second)); refused {
		t.Error("penalty: refused after the box ended")
	}
}

// TestPartnerCenter429Body: the 429 in Partner Center's shape.
func TestPartnerCenter429Body(t *testing.T) {
	w := httptest.NewRecorder()
	writeThrottled(w, 57*time.Second, true)
	var body struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 429 || body.StatusCode != 429 ||
		body.Message != "Rate limit is exceeded. Try again in 57 seconds." || w.Header().Get("Retry-After") != "57" {
		t.Errorf("%d %s %q: %+v %v", w.Code, w.Header().Get("Retry-After"), w.Body, body, err)
	}
}
