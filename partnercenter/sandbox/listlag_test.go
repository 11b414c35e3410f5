package sandbox_test

import (
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// TestListLag: under ListLag a new referral is listed from ListLag after
// its creation, with its created values, and a change shows in listings
// ListLag after it was written, however soon after the creation it came;
// a read by id is current at once.
func TestListLag(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, ListLag: 2 * time.Second})
	ref := c.create(minimal(nil))
	listed := func() (pc.Referral, bool) {
		page := decode[struct{ Value []pc.Referral }](t, c.do("GET", "/v1.0/engagements/referrals", nil).body)
		for _, r := range page.Value {
			if r.ID == ref.ID {
				return r, true
			}
		}
		return pc.Referral{}, false
	}
	if _, ok := listed(); ok {
		t.Fatal("listed at once")
	}
	clock.Advance(300 * time.Millisecond)
	c.patch(ref.ID, []map[string]any{{"op": "replace", "path": "/name", "value": "Renamed"}}, "If-Match", "*")
	if got := c.get(ref.ID); got.Name != "Renamed" {
		t.Fatalf("read by id = %q, want the change at once", got.Name)
	}
	clock.Advance(1800 * time.Millisecond) // 2.1 s after the creation, 1.8 s after the change
	if r, ok := listed(); !ok || r.Name != "Contoso deal" {
		t.Fatalf("2.1 s after creation: listed %v, name %q; want the created values", ok, r.Name)
	}
	clock.Advance(300 * time.Millisecond) // 2.1 s after the change
	if r, ok := listed(); !ok || r.Name != "Renamed" {
		t.Fatalf("2.1 s after the change: name %q, want Renamed", r.Name)
	}
}
