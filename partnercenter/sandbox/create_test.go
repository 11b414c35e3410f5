package sandbox_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

func TestCreateRejects(t *testing.T) {
	c := start(t, sandbox.Options{})
	withDetails := func(d map[string]any) map[string]any {
		base := minimal(nil)["details"].(map[string]any)
		for k, v := range d {
			base[k] = v
		}
		return minimal(map[string]any{"details": base})
	}
	for _, tc := range []struct {
		name   string
		body   any
		target string
	}{
		{"empty body", "", "body"},
		{"malformed JSON", `{"name": "x",`, "body"},
		{"trailing garbage", `{"name": "x"} x`, "body"},
		{"array body", `[]`, "body"},
		{"string body", `"referral"`, "body"},
		{"no type", minimal(map[string]any{"type": nil}), "type"},
		{"no customerProfile", minimal(map[string]any{"customerProfile": nil}), "customerProfile"},
		{"no consent", minimal(map[string]any{"consent": nil}), "consent"},
		{"no details", minimal(map[string]any{"details": nil}), "details"},
		{"no name", minimal(map[string]any{"name": nil}), "name"},
		{"blank name", minimal(map[string]any{"name": "  "}), "name"},
		{"no customer name", minimal(map[string]any{"customerProfile": map[string]any{"address": map[string]any{"country": "US"}}}), "customerProfile.name"},
		{"unknown type", minimal(map[string]any{"type": "Private"}), "type"},
		{"unknown status", minimal(map[string]any{"status": "Open"}), "status"},
		{"unknown substatus", minimal(map[string]any{"status": "New", "substatus": "Waiting"}), "substatus"},
		{"unknown qualification", minimal(map[string]any{"qualification": "Hot"}), "qualification"},
		{"pair not allowed", minimal(map[string]any{"status": "New", "substatus": "Won"}), "substatus"},
		{"closed without substatus", minimal(map[string]any{"status": "Closed"}), "substatus"},
		{"status of wrong type", minimal(map[string]any{"status": 5}), "status"},
		{"name of wrong type", minimal(map[string]any{"name": []any{"x"}}), "name"},
		{"deal value not a number", withDetails(map[string]any{"dealValue": "abc"}), "details.dealValue"},
		{"deal value NaN", withDetails(map[string]any{"dealValue": "NaN"}), "details.dealValue"},
		{"deal value infinite", withDetails(map[string]any{"dealValue": "-Inf"}), "details.dealValue"},
		{"deal value negative", withDetails(map[string]any{"dealValue": -1}), "details.dealValue"},
		{"deal value object", withDetails(map[string]any{"dealValue": map[string]any{}}), "details.dealValue"},
		{"bad closing date", withDetails(map[string]any{"closingDateTime": "2024-13-01"}), "details.closingDateTime"},
		{"bad currency", withDetails(map[string]any{"currency": "US Dollar"}), "details.currency"},
		{"bad solution price", withDetails(map[string]any{"requirements": map[string]any{"solutions": []any{map[string]any{"id": "a"}, map[string]any{"id": "b", "price": true}}}}), "details.requirements.solutions[1].price"},
		{"bad team e-mail type", minimal(map[string]any{"team": []any{map[string]any{"email": "a@b.c"}, map[string]any{"email": 5}}}), "team[1].email"},
		{"bad country", minimal(map[string]any{"customerProfile": map[string]any{"name": "C", "address": map[string]any{"country": "USA"}}}), "customerProfile.address.country"},
		{"consent of wrong type", minimal(map[string]any{"consent": map[string]any{"consentToContact": "yes"}}), "consent.consentToContact"},
		{"unknown engagement", minimal(map[string]any{"engagementId": "00000000-0000-0000-0000-000000000000"}), "engagementId"},
		{"services co-sell without play", minimal(map[string]any{"partnerRole": "Solution design", "solutionArea": "Data and AI"}), "solutionPlay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(http.MethodPost, "/v1.0/engagements/referrals", tc.body)
			wantError(t, r, http.StatusBadRequest, tc.target)
		})
	}
	if n := len(c.dump()); n != 0 {
		t.Errorf("%d referrals stored after rejected creates", n)
	}
}

func TestCreateDefaultsAndLeniency(t *testing.T) {
	c := start(t, sandbox.Options{OrganizationID: "11111111-2222-3333-4444-555555555555", OrganizationName: "Fabrikam"})
	for _, tc := range []struct {
		name          string
		body          map[string]any
		status        pc.ReferralStatus
		substatus     pc.ReferralSubstatus
		typ           pc.ReferralType
		qualification pc.ReferralQualification
	}{
		{"defaults", minimal(nil), pc.StatusNew, pc.SubstatusPending, pc.TypeShared, ""},
		{"substatus implies status", minimal(map[string]any{"substatus": "Received"}), pc.StatusNew, pc.SubstatusReceived, pc.TypeShared, ""},
		{"active defaults to accepted", minimal(map[string]any{"status": "Active"}), pc.StatusActive, pc.SubstatusAccepted, pc.TypeShared, ""},
		{"closed lost", minimal(map[string]any{"status": "Closed", "substatus": "Lost"}), pc.StatusClosed, pc.SubstatusLost, pc.TypeShared, ""},
		{"enums in another case", minimal(map[string]any{"status": "new", "substatus": "RECEIVED", "type": "independent", "qualification": "salesqualified"}),
			pc.StatusNew, pc.SubstatusReceived, pc.TypeIndependent, pc.QualificationSalesQualified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Server-owned fields in the body are ignored.
			tc.body["id"] = "mine"
			tc.body["organizationId"] = "someone-else"
			tc.body["eTag"] = `"x"`
			ref := c.create(tc.body)
			if ref.Status != tc.status || ref.Substatus != tc.substatus || ref.Type != tc.typ || ref.Qualification != tc.qualification {
				t.Errorf("got %s/%s %s %s", ref.Status, ref.Substatus, ref.Type, ref.Qualification)
			}
			if ref.ID == "mine" || ref.ETag == `"x"` || ref.OrganizationID != "11111111-2222-3333-4444-555555555555" || ref.OrganizationName != "Fabrikam" {
				t.Errorf("server-owned fields: id %s eTag %s org %s %s", ref.ID, ref.ETag, ref.OrganizationID, ref.OrganizationName)
			}
			if ref.CreatedDateTime == nil || ref.UpdatedDateTime == nil || ref.EngagementID == "" || ref.Links == nil {
				t.Errorf("missing server fields: %+v", ref)
			}
		})
	}
	t.Run("deal value as a string", func(t *testing.T) {
		body := minimal(nil)
		body["details"].(map[string]any)["dealValue"] = "42000.5"
		ref := c.create(body)
		if ref.Details.DealValue == nil || *ref.Details.DealValue != 42000.5 {
			t.Errorf("dealValue %v", ref.Details.DealValue)
		}
	})
}

func TestAuth(t *testing.T) {
	c := start(t, sandbox.Options{Token: "s3cret"})
	for _, tc := range []struct {
		name, header string
		want         int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"empty token", "Bearer ", http.StatusUnauthorized},
		{"other scheme", "Basic s3cret", http.StatusUnauthorized},
		{"right token", "Bearer s3cret", http.StatusOK},
		{"scheme in lower case", "bearer s3cret", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil, "Authorization", tc.header)
			if tc.want == http.StatusUnauthorized {
				wantError(t, r, http.StatusUnauthorized, "Authorization")
				if r.Header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
				}
				return
			}
			if r.StatusCode != tc.want {
				t.Errorf("status %d: %s", r.StatusCode, r.body)
			}
		})
	}
	t.Run("any token when none is set", func(t *testing.T) {
		c := start(t, sandbox.Options{})
		if r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil, "Authorization", "Bearer whatever"); r.StatusCode != http.StatusOK {
			t.Errorf("status %d", r.StatusCode)
		}
		wantError(t, c.do(http.MethodGet, "/v1.0/engagements/referrals", nil, "Authorization", ""), http.StatusUnauthorized, "Authorization")
	})
	t.Run("admin dump needs none", func(t *testing.T) {
		if refs := c.dump(); refs == nil || len(refs) != 0 {
			t.Errorf("dump: %v", refs)
		}
	})
}

func TestGet(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	r := c.do(http.MethodGet, "/v1.0/engagements/referrals/"+ref.ID, nil)
	got := decode[pc.Referral](t, r.body)
	if r.StatusCode != http.StatusOK || r.Header.Get("ETag") != got.ETag || got.ETag != ref.ETag {
		t.Errorf("%d ETag %q eTag %q", r.StatusCode, r.Header.Get("ETag"), got.ETag)
	}
	if got.Links.Self.URI != c.base+"/v1.0/engagements/referrals/"+ref.ID || got.Links.Self.Method != "GET" {
		t.Errorf("self link %+v", got.Links.Self)
	}
	if !strings.HasPrefix(got.Links.RelatedReferrals.URI, c.base+"/v1.0/engagements/referrals?$filter=") {
		t.Errorf("relatedReferrals link %+v", got.Links.RelatedReferrals)
	}
	if legacy := c.do(http.MethodGet, "/v1/referrals/"+ref.ID, nil); legacy.StatusCode != http.StatusOK || decode[pc.Referral](t, legacy.body).ID != ref.ID {
		t.Errorf("legacy path: %d", legacy.StatusCode)
	}
	if upper := c.do(http.MethodGet, "/V1.0/Engagements/Referrals/"+strings.ToUpper(ref.ID), nil); upper.StatusCode != http.StatusOK {
		t.Errorf("paths and ids should match case-insensitively: %d", upper.StatusCode)
	}
	wantError(t, c.do(http.MethodGet, "/v1.0/engagements/referrals/nope", nil), http.StatusNotFound, "id")
	wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/nope", `[{"op":"replace","path":"/name","value":"x"}]`), http.StatusNotFound, "id")
	wantError(t, c.do(http.MethodPost, "/v1.0/engagements/referrals/nope/dealregistrations/eligibility", nil), http.StatusNotFound, "id")
}

func TestRoutes(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/v1.0/engagements/nothing", http.StatusNotFound, ""},
		{http.MethodGet, "/", http.StatusNotFound, ""},
		{http.MethodDelete, "/v1.0/engagements/referrals/" + ref.ID, http.StatusMethodNotAllowed, "GET, PATCH"},
		{http.MethodPut, "/v1.0/engagements/referrals", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodGet, "/v1.0/engagements/referrals/" + ref.ID + "/dealregistrations/eligibility", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/v1.0/engagements/partners/dealregistrationeligibility", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/v1.0/engagements/referrals/" + ref.ID + "/other", http.StatusNotFound, ""},
	} {
		r := c.do(tc.method, tc.path, nil)
		// error-codes.md's target: "the target where the error originated":
		// the path for a 404, the method for a 405.
		target := tc.path
		if tc.status == http.StatusMethodNotAllowed {
			target = tc.method
		}
		wantError(t, r, tc.status, target)
		if r.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.Header.Get("Allow"), tc.allow)
		}
		if r.Header.Get("Request-ID") == "" {
			t.Errorf("%s %s: no Request-ID", tc.method, tc.path)
		}
	}
}

func TestOversizedBody(t *testing.T) {
	c := start(t, sandbox.Options{MaxBodyBytes: 1024})
	big := minimal(map[string]any{"name": strings.Repeat("x", 2048)})
	// error-codes.md: 413 Request Entity Too Large, "the request size
	// exceeds the maximum limit"; the code is the documented invalidRequest.
	e := wantError(t, c.do(http.MethodPost, "/v1.0/engagements/referrals", big), http.StatusRequestEntityTooLarge, "body")
	if e.Code != "invalidRequest" || e.InnerError == nil || e.InnerError.Code != "requestEntityTooLarge" {
		t.Errorf("code %s, inner %+v", e.Code, e.InnerError)
	}
	ref := c.create(minimal(nil))
	ops := `[{"op":"replace","path":"/details/notes","value":"` + strings.Repeat("y", 2048) + `"}]`
	wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, ops), http.StatusRequestEntityTooLarge, "body")
	if got := c.get(ref.ID); got.ETag != ref.ETag {
		t.Errorf("oversized patch changed the referral")
	}
}

// A panic is answered 500 with the error body, and the sandbox goes on
// serving: the state lock is released.
func TestPanicIsAnswered(t *testing.T) {
	var calls atomic.Int64 // a Now that panics on one chosen call
	panicAt := int64(-1)
	var mu sync.Mutex
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if calls.Add(1) == panicAt {
			panic("clock broke")
		}
		return time.Now()
	}
	c := start(t, sandbox.Options{Now: now, AcceptAfter: time.Hour})
	p := c.create(minimal(nil))
	c.create(minimal(map[string]any{"engagementId": p.EngagementID, "organizationId": "msft"}))
	// A get reads the clock for the fault source, then under the lock for
	// the pending acceptance: panic on the second.
	mu.Lock()
	panicAt = calls.Load() + 2
	mu.Unlock()
	wantError(t, c.do(http.MethodGet, "/v1.0/engagements/referrals/"+p.ID, nil), http.StatusInternalServerError, "")
	if got := c.get(p.ID); got.ID != p.ID {
		t.Errorf("get after a panic: %+v", got)
	}
}
