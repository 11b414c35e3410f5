package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// TestDocumentedFilters: every $filter and query option that
// get-a-list-of-referrals.md, referral-resources.md and the Swagger show
// answers 200 with the right subset.
func TestDocumentedFilters(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now})
	mk := func(name string, over map[string]any) pc.Referral {
		over["name"] = name
		r := c.create(minimal(over))
		clock.Advance(time.Minute)
		return r
	}
	mk("a", map[string]any{"qualification": "SalesQualified", "type": "Shared"})
	b := mk("b", map[string]any{"qualification": "Direct", "type": "Independent",
		"customerProfile": map[string]any{"name": "B", "address": map[string]any{"country": "DE"}}})
	mk("c", map[string]any{"type": "Shared", "team": []any{map[string]any{"email": "sue@contoso.example"}}})
	mk("d", map[string]any{"qualification": "None", "status": "Closed", "substatus": "Won"})
	clock.Advance(time.Hour)
	c.patch(b.ID, `[{"op":"replace","path":"/details/notes","value":"touched"}]`)
	since := clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{q("$filter", "status eq 'New' and qualification eq 'SalesQualified'"), []string{"a"}},
		{q("$filter", "customerProfile/address/country eq 'US' and direction eq 'Outgoing'"), []string{"a", "c", "d"}},
		{q("$filter", "(type eq 'Shared' and direction eq 'Outgoing')"), []string{"a", "c", "d"}},
		{q("$filter", "team/any(t:t/email eq 'sue@contoso.example')"), []string{"c"}},
		{q("$filter", "updatedDateTime gt "+since), []string{"b"}},
		{q("$filter", "updatedDateTime lt "+since, "$orderby", "updatedDateTime desc"), []string{"d", "c", "a"}},
		{q("$filter", "qualification eq 'None' or status eq 'Closed'"), []string{"d"}},
		{q("$filter", "details/dealValue gt 29999.5 and details/dealValue lt 30000.5"), []string{"a", "b", "c", "d"}},
		{q("$filter", "customerProfile/isMatchingComplete eq true and not (name eq 'a')"), []string{"c", "d"}}, // b's profile has no isMatchingComplete
		{q("$orderby", "updatedDateTime desc"), []string{"b", "d", "c", "a"}},
		{q("$orderby", "createdDateTime desc", "$skip", "1", "$top", "2"), []string{"c", "b"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			if got := listAll(t, c, tc.query); fmt.Sprint(got) != fmt.Sprint([][]string{tc.want}) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("$count and @odata.context", func(t *testing.T) {
		r := c.do(http.MethodGet, "/v1.0/engagements/referrals"+q("$count", "true", "$top", "1", "$filter", "type eq 'Shared'"), nil)
		page := decode[map[string]any](t, r.body)
		if page["@odata.count"] != float64(3) || !strings.HasSuffix(fmt.Sprint(page["@odata.context"]), "/v1.0/$metadata#Referrals") {
			t.Errorf("page %s", r.body)
		}
	})
	t.Run("$select", func(t *testing.T) {
		r := c.do(http.MethodGet, "/v1.0/engagements/referrals"+q("$select", "id,name,customerProfile/address/country", "$top", "1"), nil)
		page := decode[struct{ Value []map[string]any }](t, r.body)
		got := page.Value[0]
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		if fmt.Sprint(keys) != "[customerProfile id name]" || fmt.Sprint(got["customerProfile"]) != "map[address:map[country:US]]" {
			t.Errorf("selected %v", got)
		}
	})
}

// TestErrorVocabulary: error-codes.md's camelCase codes, by status, with the
// sandbox's specific code as innerError; headers.md's client-request-id
// echoed; a huge URL answered 414 with the JSON body.
func TestErrorVocabulary(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{http.MethodGet, "/v1.0/engagements/referrals/nope", "", 404, "itemNotFound"},
		{http.MethodPost, "/v1.0/engagements/referrals", `{"name":1}`, 400, "invalidRequest"},
		{http.MethodPatch, "/v1.0/engagements/referrals/" + ref.ID, `[{"op":"replace","path":"/name","value":"x"}]`, 412, "preconditionFailed"},
		{http.MethodDelete, "/v1.0/engagements/referrals", "", 405, "invalidRequest"},
		{http.MethodGet, "/v1.0/engagements/referrals?$filter=" + strings.Repeat("x", sandbox.MaxURIBytes), "", 414, "invalidRequest"},
	} {
		var body any
		if tc.body != "" {
			body = []byte(tc.body)
		}
		r := c.do(tc.method, tc.path, body, "If-Match", `"stale"`, "client-request-id", "cid-123")
		if r.StatusCode != tc.status {
			t.Errorf("%s %.60s: status %d, want %d", tc.method, tc.path, r.StatusCode, tc.status)
			continue
		}
		e := decode[pc.ErrorEnvelope](t, r.body)
		if e.Error.Code != tc.code {
			t.Errorf("%s %.60s: code %q, want %q", tc.method, tc.path, e.Error.Code, tc.code)
		}
		if got := r.Header.Get("client-request-id"); got != "cid-123" {
			t.Errorf("client-request-id %q not echoed", got)
		}
	}
	wantError(t, c.do(http.MethodGet, "/v1.0/engagements/referrals?$filter=status%20eq%20'New'%20xor", nil), 400, "$filter")
}

// TestVocabulary: enums of the Swagger (salesStage, assistanceRequestCode)
// and of referral-resources.md (None), ISO 4217 currencies and ISO 3166
// countries, and the array caps.
func TestVocabulary(t *testing.T) {
	c := start(t, sandbox.Options{})
	for _, tc := range []struct {
		name   string
		over   map[string]any
		target string // "" = accepted
	}{
		{"salesStage", map[string]any{"salesStage": "develop"}, ""},
		{"bad salesStage", map[string]any{"salesStage": "Negotiate"}, "salesStage"},
		{"assistanceRequestCode", map[string]any{"inviteContext": map[string]any{"assistanceRequestCode": "QuotesOrLicensing"}}, ""},
		{"bad assistanceRequestCode", map[string]any{"inviteContext": map[string]any{"assistanceRequestCode": "Lunch"}}, "inviteContext.assistanceRequestCode"},
		{"qualification None", map[string]any{"qualification": "None"}, ""},
		{"status None is the default", map[string]any{"status": "None", "substatus": "None"}, ""},
		{"bad currency", map[string]any{"details": map[string]any{"currency": "ABC"}}, "details.currency"},
		{"bad country", map[string]any{"customerProfile": map[string]any{"name": "C", "address": map[string]any{"country": "XY"}}}, "customerProfile.address.country"},
		{"too many team members", map[string]any{"team": slices.Repeat([]any{map[string]any{"email": "a@b.c"}}, sandbox.MaxTeamMembers+1)}, "team"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(http.MethodPost, "/v1.0/engagements/referrals", minimal(tc.over))
			if tc.target == "" {
				if r.StatusCode != http.StatusCreated {
					t.Errorf("%d %s", r.StatusCode, r.body)
				}
				return
			}
			wantError(t, r, http.StatusBadRequest, tc.target)
		})
	}
}

// TestDealRegistrationFormRules: the registration form of register-deals.md
// ("Co-sell deal registration"), one case per rule, each refusal naming it.
func TestDealRegistrationFormRules(t *testing.T) {
	clock := newFakeClock() // 2026-03-01
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Second})
	contract := func(over map[string]any) map[string]any {
		m := map[string]any{"currency": "USD", "value": 100000, "term": "Finite",
			"signDateTime": "2026-02-20T00:00:00Z", "startDateTime": "2026-02-25T00:00:00Z", "endDateTime": "2027-02-24T00:00:00Z"}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	reg := func(con map[string]any, solutionValue float64) []pc.PatchOp {
		return []pc.PatchOp{{Op: "add", Path: "/registrations/-", Value: map[string]any{"type": "AzureIPCoSell", "contract": con,
			"solutionDetails": []any{map[string]any{"id": "DEAL-123456-XYZ", "isDeployedOnAzure": true, "value": solutionValue, "currency": "USD"}}}}}
	}
	for _, tc := range []struct {
		name  string
		ops   []pc.PatchOp
		rule  string // "" = accepted
		field string
	}{
		{"valid", reg(contract(nil), 90000), "", ""},
		{"perpetual without end date, 6 years of 25,001", reg(contract(map[string]any{"term": "Perpetual", "endDateTime": nil, "value": 150006}), 1000), "", ""},
		{"annual value 25,000 is not greater", reg(contract(map[string]any{"value": 25000}), 1000), "annualContractValue", "/contract/value"},
		{"perpetual value spread over 6 years", reg(contract(map[string]any{"term": "Perpetual", "endDateTime": nil, "value": 150000}), 1000), "annualContractValue", "/contract/value"},
		{"solution value above contract value", reg(contract(nil), 100001), "solutionValueNotAboveContractValue", "/solutionDetails/0/value"},
		{"sign date 61 days ago", reg(contract(map[string]any{"signDateTime": "2025-12-30T00:00:00Z"}), 1000), "signDateWithin60Days", "/contract/signDateTime"},
		{"sign date in the future", reg(contract(map[string]any{"signDateTime": "2026-03-02T00:00:00Z"}), 1000), "signDateWithin60Days", "/contract/signDateTime"},
		{"start date 91 days ago", reg(contract(map[string]any{"startDateTime": "2025-11-30T00:00:00Z"}), 1000), "startDateWithin90Days", "/contract/startDateTime"},
		{"end date before start date", reg(contract(map[string]any{"endDateTime": "2026-02-24T00:00:00Z"}), 1000), "endDateOnOrAfterStartDate", "/contract/endDateTime"},
		{"end date missing, not perpetual", reg(contract(map[string]any{"endDateTime": nil}), 1000), "endDateOnOrAfterStartDate", "/contract/endDateTime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := coSell(t, c, clock, minimal(nil))
			r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, tc.ops, "Prefer", "return=representation")
			if tc.rule == "" {
				if r.StatusCode != http.StatusOK {
					t.Errorf("refused: %d %s", r.StatusCode, r.body)
				}
				return
			}
			e := wantError(t, r, http.StatusBadRequest, "/registrations/-"+tc.field)
			if !strings.HasPrefix(e.Message, tc.rule+":") {
				t.Errorf("message does not name %s: %s", tc.rule, e.Message)
			}
		})
	}
	t.Run("an edit is held to the rules too", func(t *testing.T) {
		p := coSell(t, c, clock, minimal(nil))
		c.patch(p.ID, reg(contract(nil), 90000))
		r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, `[{"op":"replace","path":"/registrations/0/solutionDetails/0/value","value":200000}]`)
		wantError(t, r, http.StatusBadRequest, "/registrations/0/solutionDetails/0/value")
	})
}

// TestHugeURLGetsJSON: a 1 MiB URL (beyond net/http's default header
// limit) is answered 414 with the JSON error body when served as
// NewHTTPServer serves it.
func TestHugeURLGetsJSON(t *testing.T) {
	ts := httptest.NewUnstartedServer(sandbox.New(sandbox.Options{}))
	ts.Config.MaxHeaderBytes = sandbox.ServerMaxHeaderBytes
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1.0/engagements/referrals?$filter="+strings.Repeat("x", 1<<20), nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e pc.ErrorEnvelope
	if resp.StatusCode != http.StatusRequestURITooLong || json.NewDecoder(resp.Body).Decode(&e) != nil || e.Error.Code != "invalidRequest" {
		t.Errorf("status %d, body %+v", resp.StatusCode, e)
	}
}
