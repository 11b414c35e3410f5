package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// faultRun creates data with faults off, switches faults on, sends the same
// sequence of reads and writes, and records what happened to each request.
func faultRun(t *testing.T, f sandbox.Faults) (outcomes []string, stored int, creates int) {
	t.Helper()
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	c.srv.SetFaults(f)
	for i := range 60 {
		var r *response
		var err error
		switch i % 3 {
		case 0:
			r, err = c.try(http.MethodGet, "/v1.0/engagements/referrals/"+ref.ID, nil)
		case 1:
			r, err = c.try(http.MethodPost, "/v1.0/engagements/referrals", minimal(map[string]any{"name": "r" + strconv.Itoa(i)}))
		case 2:
			r, err = c.try(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: strconv.Itoa(i)}})
		}
		switch {
		case err != nil:
			outcomes = append(outcomes, "dropped")
		default:
			outcomes = append(outcomes, strconv.Itoa(r.StatusCode))
			if r.StatusCode >= 500 {
				wantError(t, r, r.StatusCode, "")
			}
		}
		if i%3 == 1 && (err != nil || r.StatusCode == http.StatusCreated) {
			creates++
		}
	}
	return outcomes, len(c.dump()) - 1, creates
}

func TestFaultsReproducibleBySeed(t *testing.T) {
	f := sandbox.Faults{FailRate: 0.25, DropRate: 0.3, Seed: 7}
	a, storedA, createsA := faultRun(t, f)
	b, _, _ := faultRun(t, f)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	f.Seed = 8
	if other, _, _ := faultRun(t, f); slices.Equal(a, other) {
		t.Errorf("seeds 7 and 8 gave the same faults: %v", a)
	}
	count := map[string]int{}
	for i, o := range a {
		count[o]++
		if o == "dropped" && i%3 == 0 {
			t.Errorf("request %d, a read, was dropped", i)
		}
	}
	if count["500"] == 0 || count["503"] == 0 || count["dropped"] == 0 || count["201"] == 0 || count["204"] == 0 {
		t.Errorf("outcomes %v: want some of each", count)
	}
	// Dropped creates are committed; failed ones are not.
	if storedA != createsA {
		t.Errorf("%d referrals stored, want %d (201s and drops)", storedA, createsA)
	}
}

func TestSetFaultsReseeds(t *testing.T) {
	c := start(t, sandbox.Options{})
	seq := func() []int {
		var out []int
		for range 20 {
			out = append(out, c.do(http.MethodGet, "/v1.0/engagements/referrals", nil).StatusCode)
		}
		return out
	}
	c.srv.SetFaults(sandbox.Faults{FailRate: 0.5, Seed: 3})
	a := seq()
	c.srv.SetFaults(sandbox.Faults{FailRate: 0.5, Seed: 3})
	if b := seq(); !slices.Equal(a, b) {
		t.Errorf("SetFaults with the same seed did not restart the sequence:\n%v\n%v", a, b)
	}
}

func TestDropCommitsThenDrops(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	c.srv.SetFaults(sandbox.Faults{DropRate: 1})

	_, err := c.try(http.MethodPost, "/v1.0/engagements/referrals", minimal(map[string]any{"name": "in doubt"}))
	if err == nil {
		t.Fatal("create answered; want a dropped connection")
	}
	var names []string
	for _, r := range c.dump() {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"Contoso deal", "in doubt"}) {
		t.Errorf("stored %v: the dropped create must be committed", names)
	}

	_, err = c.try(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "committed"}}, "Prefer", "return=representation")
	if err == nil {
		t.Fatal("patch answered; want a dropped connection")
	}
	// Reads, the eligibility POST and rejected writes are answered.
	if r := c.do(http.MethodGet, "/v1.0/engagements/referrals/"+ref.ID, nil); decode[pc.Referral](t, r.body).Details.Notes != "committed" {
		t.Errorf("dropped patch not committed: %s", r.body)
	}
	if r := c.do(http.MethodPost, "/v1.0/engagements/referrals/"+ref.ID+"/dealregistrations/eligibility", nil); r.StatusCode != http.StatusOK {
		t.Errorf("eligibility: %d", r.StatusCode)
	}
	wantError(t, c.do(http.MethodPost, "/v1.0/engagements/referrals", minimal(map[string]any{"type": "Private"})), http.StatusBadRequest, "type")
	wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, `[{"op":"remove","path":"/name"}]`), http.StatusBadRequest, "[0].op")
}

func TestFailRateChangesNothing(t *testing.T) {
	c := start(t, sandbox.Options{Faults: sandbox.Faults{FailRate: 1, Seed: 1}})
	seen := map[int]bool{}
	for range 20 {
		r := c.do(http.MethodPost, "/v1.0/engagements/referrals", minimal(nil))
		seen[r.StatusCode] = true
		switch r.StatusCode {
		case http.StatusServiceUnavailable:
			wantError(t, r, r.StatusCode, "")
			if r.Header.Get("Retry-After") != "1" {
				t.Errorf("503 without Retry-After")
			}
		case http.StatusInternalServerError:
			wantError(t, r, r.StatusCode, "")
		default:
			t.Fatalf("status %d", r.StatusCode)
		}
	}
	if !seen[500] || !seen[503] {
		t.Errorf("statuses %v: want both 500 and 503", seen)
	}
	if n := len(c.dump()); n != 0 {
		t.Errorf("%d referrals stored by failed requests", n)
	}
	// Failures come before auth: a request without a token fails the same way.
	r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil, "Authorization", "")
	if r.StatusCode < 500 {
		t.Errorf("status %d", r.StatusCode)
	}
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now})
	c.srv.SetFaults(sandbox.Faults{RateLimit: 2})
	for i := range 2 {
		if r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, r.StatusCode)
		}
	}
	r := c.do(http.MethodPost, "/v1.0/engagements/referrals", minimal(nil))
	wantError(t, r, http.StatusTooManyRequests, "")
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if n := len(c.dump()); n != 0 {
		t.Errorf("a throttled create was stored")
	}
	clock.Advance(500 * time.Millisecond)
	if r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil); r.StatusCode != http.StatusOK {
		t.Errorf("after half a second at 2/s: %d", r.StatusCode)
	}
	if r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("bucket should be empty again: %d", r.StatusCode)
	}
}

func TestLatency(t *testing.T) {
	c := start(t, sandbox.Options{Faults: sandbox.Faults{Latency: 80 * time.Millisecond, Jitter: 20 * time.Millisecond, Seed: 1}})
	begin := time.Now()
	c.do(http.MethodGet, "/v1.0/engagements/referrals", nil)
	if d := time.Since(begin); d < 60*time.Millisecond {
		t.Errorf("answered in %v; want at least 60ms", d)
	}
	// The sleep ends when the client gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1.0/engagements/referrals", nil)
	req.Header.Set("Authorization", "Bearer t")
	if _, err := c.hc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want a deadline", err)
	}
	// The admin dump is never delayed.
	begin = time.Now()
	c.dump()
	if d := time.Since(begin); d > 50*time.Millisecond {
		t.Errorf("admin dump took %v", d)
	}
}

func TestConcurrentClients(t *testing.T) {
	c := start(t, sandbox.Options{})
	const workers, each = 8, 15
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				r, err := c.try(http.MethodPost, "/v1.0/engagements/referrals", minimal(map[string]any{"name": name}))
				if err != nil || r.StatusCode != http.StatusCreated {
					t.Errorf("create %s: %v", name, err)
					return
				}
				ref := decode[pc.Referral](t, r.body)
				r, err = c.try(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: name}}, "If-Match", ref.ETag)
				if err != nil || r.StatusCode != http.StatusNoContent {
					t.Errorf("patch %s: %v", name, err)
				}
				c.try(http.MethodGet, "/v1.0/engagements/referrals?$top=7", nil)
			}
		})
	}
	wg.Wait()
	refs := c.srv.Referrals()
	if len(refs) != workers*each {
		t.Fatalf("%d referrals, want %d", len(refs), workers*each)
	}
	etags := map[string]bool{}
	for i, r := range refs {
		if r.Details.Notes != r.Name || etags[r.ETag] {
			t.Errorf("referral %d: notes %q name %q eTag %s", i, r.Details.Notes, r.Name, r.ETag)
		}
		etags[r.ETag] = true
		if i > 0 && r.CreatedDateTime.Before(*refs[i-1].CreatedDateTime) {
			t.Errorf("Referrals not in creation order at %d", i)
		}
	}
	// Referrals returns copies.
	refs[0].Details.Notes = "changed"
	if c.srv.Referrals()[0].Details.Notes == "changed" {
		t.Errorf("Referrals shares state with the server")
	}
}
