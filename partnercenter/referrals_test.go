package partnercenter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// recorded is one request as the recording handler saw it.
type recorded struct {
	method, path, query, requestID string
}

// recorder is a real http.Handler in front of the sandbox that records the
// client-request-id of every request; with noPrefer it strips the Prefer
// header, so the sandbox answers a PATCH 204 as the documents' example does.
type recorder struct {
	next     http.Handler
	noPrefer atomic.Bool
	mu       sync.Mutex
	reqs     []recorded
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("client-request-id")})
	rc.mu.Unlock()
	if rc.noPrefer.Load() {
		r.Header.Del("Prefer")
	}
	rc.next.ServeHTTP(w, r)
}

func (rc *recorder) last() recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *recorder) all() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

func newRecordedSandbox(t *testing.T, opts sandbox.Options) (*partnercenter.Referrals, *recorder) {
	t.Helper()
	rec := &recorder{next: sandbox.New(opts)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return partnercenter.NewReferrals(newTestClient(t, srv.URL)), rec
}

// TestReferrals drives every call of the engine's API against the sandbox
// and checks the client-request-id the engine chose reaches the server.
func TestReferrals(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	api, rec := newRecordedSandbox(t, sandbox.Options{Token: testToken, Now: clk.Now})
	ctx := t.Context()
	m := partnercenter.NewMapper()

	checkID := func(t *testing.T, method, id string) {
		t.Helper()
		got := rec.last()
		if got.method != method || got.requestID != id {
			t.Errorf("server saw %s with client-request-id %q, want %s with %q", got.method, got.requestID, method, id)
		}
	}

	req, err := m.Create(makeRow(t, 2, privateCells))
	if err != nil {
		t.Fatal(err)
	}
	id := partnercenter.NewClientRequestID()
	created, err := api.Create(ctx, id, req.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkID(t, http.MethodPost, id)
	if created.ID == "" || created.EngagementID == "" || created.OrganizationID == "" || created.ETag == "" ||
		created.ExternalReferenceID != "CRM-1001" || created.Status != "New" || created.Substatus != "Pending" ||
		!created.Created.Equal(clk.Now()) {
		t.Errorf("created %+v", created)
	}
	if r := decodeReferral(t, created.Raw); r.ID != created.ID || r.Name != "Contoso supply chain pilot" {
		t.Errorf("Raw is not the referral: %s", created.Raw)
	}

	t.Run("get", func(t *testing.T) {
		id := partnercenter.NewClientRequestID()
		got, err := api.Get(ctx, id, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkID(t, http.MethodGet, id)
		if got.ID != created.ID || got.ETag != created.ETag || !json.Valid(got.Raw) {
			t.Errorf("got %+v", got)
		}
		_, err = api.Get(ctx, partnercenter.NewClientRequestID(), "00000000-0000-0000-0000-000000000000")
		if !refbatch.IsNotFound(err) || refbatch.IsRetryable(err) {
			t.Errorf("unknown id: err %v, IsNotFound %v", err, refbatch.IsNotFound(err))
		}
	})

	t.Run("patch", func(t *testing.T) {
		live, _ := api.Get(ctx, "", created.ID)
		patch := json.RawMessage(`[{"op":"replace","path":"/details/notes","value":"patched"}]`)
		id := partnercenter.NewClientRequestID()
		got, err := api.Patch(ctx, id, created.ID, live.ETag, patch)
		if err != nil {
			t.Fatal(err)
		}
		checkID(t, http.MethodPatch, id)
		if got.ETag == "" || got.ETag == live.ETag || got.ID != created.ID {
			t.Errorf("patched %+v", got)
		}
		if r := decodeReferral(t, got.Raw); r.Details.Notes != "patched" {
			t.Errorf("Raw after patch: %s", got.Raw)
		}
		_, err = api.Patch(ctx, "", created.ID, live.ETag, patch)
		if !refbatch.IsConflict(err) || refbatch.IsInDoubt(err) {
			t.Errorf("stale If-Match: err %v, IsConflict %v", err, refbatch.IsConflict(err))
		}
		if _, err := api.Patch(ctx, "", created.ID, got.ETag, json.RawMessage(`[{"op":"remove","path":"/name"}]`)); err == nil {
			t.Error("a remove op was sent")
		}

		rec.noPrefer.Store(true)
		defer rec.noPrefer.Store(false)
		no, err := api.Patch(ctx, "", created.ID, got.ETag, json.RawMessage(`[{"op":"replace","path":"/details/notes","value":"204"}]`))
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := api.Get(ctx, "", created.ID)
		if no.ID != created.ID || no.ETag == "" || no.ETag != fresh.ETag || no.Raw != nil {
			t.Errorf("204 answer: %+v, want the id and the new ETag %s only", no, fresh.ETag)
		}
	})

	t.Run("eligibility", func(t *testing.T) {
		id := partnercenter.NewClientRequestID()
		el, err := api.Eligibility(ctx, id, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkID(t, http.MethodPost, id)
		var names []string
		for _, f := range el.Failed {
			name, _, _ := strings.Cut(f, ":")
			names = append(names, name)
		}
		// A Private referral of a solution outside the catalog, with no
		// Microsoft referral and no matching customer.
		want := []string{partnercenter.PolicyDealTypeCosellOrPartnerLed, partnercenter.PolicyMicrosoftReferralAcceptedOrWon,
			partnercenter.PolicySolutionIncentiveEligible, partnercenter.PolicyCustomerManaged}
		if el.Eligible || !slices.Equal(names, want) {
			t.Errorf("eligibility %+v, want failed %v", el, want)
		}
	})

	t.Run("newest and engagement over pages", func(t *testing.T) {
		const n = 130 // more than the sandbox's page of 100
		body, _ := m.Create(makeRow(t, 2, partnerLedCells))
		for range n {
			clk.Add(time.Second)
			if _, err := api.Create(ctx, "", body.Body); err != nil {
				t.Fatal(err)
			}
		}
		before := len(rec.all())
		var got []refbatch.Remote
		for r, err := range api.Newest(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if len(got) != n+1 {
			t.Fatalf("Newest yielded %d, want %d", len(got), n+1)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Created.After(got[i-1].Created) {
				t.Fatalf("not newest first at %d: %v after %v", i, got[i].Created, got[i-1].Created)
			}
		}
		if got[n].ID != created.ID || got[0].Raw == nil || decodeReferral(t, got[0].Raw).ID != got[0].ID {
			t.Errorf("oldest %s, want %s; newest raw %s", got[n].ID, created.ID, got[0].Raw)
		}
		pages := rec.all()[before:]
		if len(pages) != 2 {
			t.Fatalf("%d list requests, want 2 pages", len(pages))
		}
		if q := pages[0].query; !strings.Contains(q, "orderby=createdDateTime%20desc") || strings.Contains(q, "top") {
			t.Errorf("first page query %q", q)
		}
		if !strings.Contains(pages[1].query, "skiptoken") {
			t.Errorf("second page query %q, want the nextLink's", pages[1].query)
		}

		// Stopping early stops the listing.
		before = len(rec.all())
		for range api.Newest(ctx) {
			break
		}
		if extra := len(rec.all()) - before; extra != 1 {
			t.Errorf("an early stop sent %d requests", extra)
		}

		var eng []string
		for r, err := range api.Engagement(ctx, created.EngagementID) {
			if err != nil {
				t.Fatal(err)
			}
			eng = append(eng, r.ID)
		}
		if !slices.Equal(eng, []string{created.ID}) {
			t.Errorf("engagement %v", eng)
		}
		if q := rec.last().query; !strings.Contains(q, "filter=engagementId%20eq%20%27"+created.EngagementID+"%27") {
			t.Errorf("engagement query %q", q)
		}
	})

	t.Run("list error", func(t *testing.T) {
		bad, _ := newRecordedSandbox(t, sandbox.Options{Token: "another-token"})
		for _, err := range bad.Newest(ctx) {
			if !refbatch.IsFatal(err) {
				t.Errorf("err %v, want fatal", err)
			}
		}
	})
}

// TestReferralsRequestIDOnList: the first page of a listing carries the
// caller's client-request-id.
func TestReferralsRequestIDOnList(t *testing.T) {
	api, rec := newRecordedSandbox(t, sandbox.Options{Token: testToken})
	id := partnercenter.NewClientRequestID()
	ctx := partnercenter.WithClientRequestID(t.Context(), id)
	for _, err := range api.Newest(ctx) {
		t.Fatal(err)
	}
	if got := rec.last().requestID; got != id {
		t.Errorf("client-request-id %q, want %q", got, id)
	}
}
