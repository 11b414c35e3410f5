package batch

import (
	"testing"
	"time"
)

// TestEndpointDefaults: against Partner Center a deal waits 72 hours
// before it is registered and a lost write is proven absent only after
// DefaultSettle; an API on this machine (a sandbox) registers at once and
// settles in a second; what the endpoint says wins.
func TestEndpointDefaults(t *testing.T) {
	for _, tc := range []struct {
		ep          Endpoint
		age, settle time.Duration
	}{
		{Endpoint{URL: "https://api.partner.microsoft.com"}, RegisterAgeMicrosoft, 0},
		{Endpoint{}, RegisterAgeMicrosoft, 0},
		{Endpoint{URL: "http://127.0.0.1:8765"}, 0, LocalSettle},
		{Endpoint{URL: "http://localhost:8765", Settle: 3 * time.Second}, 0, 3 * time.Second},
		{Endpoint{URL: "https://api.partner.microsoft.com", RegisterAge: -1}, -1, 0},
	} {
		got := tc.ep.withDefaults()
		if got.RegisterAge != tc.age || got.Settle != tc.settle {
			t.Errorf("%q: register age %v, settle %v; want %v, %v", tc.ep.URL, got.RegisterAge, got.Settle, tc.age, tc.settle)
		}
	}
	c, err := NewClient(nil, Endpoint{URL: "https://api.partner.microsoft.com"}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.settle() != DefaultSettle {
		t.Errorf("Partner Center settles in %v, want %v", c.settle(), DefaultSettle)
	}
}
