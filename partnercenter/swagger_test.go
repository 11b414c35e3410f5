package partnercenter_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// Tests held to Microsoft's Swagger for the Referrals connector
// (PowerPlatformConnectors, certified-connectors/PartnerCenterReferrals/
// apiDefinition.swagger.json) and to the Partner REST documents
// (MicrosoftDocs/partner-rest, partner-rest/develop/).

func readSwagger(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "swagger", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func generic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// TestSwaggerMaximalBodyRoundTrips: every property of the Swagger's Referral
// (its 42, each nested one, and one it does not name) survives a decode and
// an encode, value for value.
func TestSwaggerMaximalBodyRoundTrips(t *testing.T) {
	in := readSwagger(t, "referral-maximal.json")
	var r partnercenter.Referral
	if err := json.Unmarshal(in, &r); err != nil {
		t.Fatal(err)
	}
	if r.Extra["futureProperty"] == nil || r.SalesStage != "Develop" || r.TrackingInfo.MicrosoftMsxID != "7-ABCDEFG" ||
		r.Registrations[0].StatusHistory.PassedDateTime == nil || r.Registrations[0].SolutionDetails[0].Name != "Contoso on Azure" {
		t.Errorf("not modelled: %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := generic(t, in), generic(t, out); !reflect.DeepEqual(want, got) {
		t.Errorf("round trip differs\n got %s\nwant %s", out, in)
	}
}

// TestSandboxKeepsEveryField: POST the maximal body, GET it back: every
// property the caller owns is answered as sent, unknown ones included.
// Server-owned ones (id, dates, eTag, links, organization, direction) and
// the Swagger's readOnly registrations are the sandbox's.
func TestSandboxKeepsEveryField(t *testing.T) {
	_, srv := newSandbox(t, sandbox.Options{Token: testToken})
	c := newTestClient(t, srv.URL)
	api := partnercenter.NewReferrals(c)
	in := readSwagger(t, "referral-maximal.json")
	// Its engagementId names no engagement of this sandbox: a create with
	// one links to it (create-referral.txt), so it is left out here.
	body := generic(t, in).(map[string]any)
	delete(body, "engagementId")
	in, _ = json.Marshal(body)
	created, err := api.Create(t.Context(), "", in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := api.Get(t.Context(), "", created.ID)
	if err != nil {
		t.Fatal(err)
	}
	serverOwned := map[string]bool{"@odata.context": true, "id": true, "engagementId": true, "organizationId": true,
		"organizationName": true, "createdDateTime": true, "updatedDateTime": true, "expirationDateTime": true,
		"acceptedDateTime": true, "closedDateTime": true, "eTag": true, "links": true, "direction": true, "registrations": true}
	want := generic(t, in).(map[string]any)
	have := generic(t, got.Raw).(map[string]any)
	for k, v := range want {
		if serverOwned[k] {
			continue
		}
		if !reflect.DeepEqual(have[k], v) {
			t.Errorf("%s: got %v, want %v", k, have[k], v)
		}
	}
	if _, ok := have["registrations"]; ok {
		t.Errorf("registrations (readOnly in the Swagger) were taken from the create body")
	}
}

// TestSwaggerPatchPaths: every path of the Swagger's UpdateReferralDetails
// enum (30) is accepted with a valid value, and the registration patch
// (DealRegistration) too; paths outside it stay refused.
func TestSwaggerPatchPaths(t *testing.T) {
	now := time.Now().UTC()
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.RFC3339) }
	_, srv := newSandbox(t, sandbox.Options{Token: testToken})
	c := newTestClient(t, srv.URL)
	ctx := t.Context()
	// Active: a Won referral is terminal, and only its registration can
	// change (bulk-operations.md).
	active := eligibleReferral()
	active.Status, active.Substatus = partnercenter.StatusActive, partnercenter.SubstatusAccepted
	ref, err := c.Create(ctx, active)
	if err != nil {
		t.Fatal(err)
	}
	member := map[string]any{"firstName": "Ann", "lastName": "Lee", "email": "ann@contoso.example", "phoneNumber": "123"}
	registration := map[string]any{
		"type":     "AzureIPCoSell",
		"contract": map[string]any{"value": 100000, "currency": "USD", "term": "Finite", "signDateTime": day(-5), "startDateTime": day(-3), "endDateTime": day(360)},
		"solutionDetails": []any{map[string]any{"id": "SOL-AZIP-0001", "value": 90000, "currency": "USD", "isDeployedOnAzure": true,
			"primaryDeploymentOn": "Partner", "pricingModel": "Other",
			"marketplaceTransactionDetails": map[string]any{"isMarketplaceTransacted": false}}},
	}
	// Microsoft's side of the co-sell deal, accepted (isMicrosoftReferralAcceptedOrWon).
	ms, err := c.Create(ctx, &partnercenter.Referral{Name: "Microsoft side", EngagementID: ref.EngagementID, OrganizationID: "msft",
		Type: partnercenter.TypeShared, CustomerProfile: &partnercenter.CustomerProfile{Name: "Fabrikam"},
		Consent: &partnercenter.Consent{}, Details: &partnercenter.ReferralDetails{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Patch(ctx, ms.ID, []partnercenter.PatchOp{{Op: "replace", Path: "/status", Value: "Active"}, {Op: "replace", Path: "/substatus", Value: "Accepted"}}, "", false); err != nil {
		t.Fatal(err)
	}
	// The registration first (the Swagger's /registrations/0/… paths need one).
	if _, err := c.Patch(ctx, ref.ID, []partnercenter.PatchOp{{Op: "add", Path: "/registrations/-", Value: registration}}, "", true); err != nil {
		t.Fatalf("add /registrations/-: %v", err)
	}
	paths := []struct {
		op, path string
		value    any
	}{
		{"replace", "/campaignId", "CAMPAIGN-1"},
		{"replace", "/consent/consentToShareReferralWithMicrosoftSellers", true},
		{"replace", "/customerProfile/team", []any{member}},
		{"add", "/customerProfile/team/-", member},
		{"replace", "/details/closingDateTime", day(30)},
		{"replace", "/details/currency", "USD"},
		{"replace", "/details/dealValue", 60000},
		{"replace", "/details/notes", "notes"},
		{"replace", "/details/requirements/solutions", []any{map[string]any{"id": "SOL-AZIP-0001"}}},
		{"add", "/details/requirements/solutions/-", map[string]any{"id": "SOL-AZIP-0002"}},
		{"replace", "/externalReferenceId", "CRM-9"},
		{"replace", "/referralProgram", "AzureIPCoSell"},
		{"replace", "/salesStage", "Propose"},
		{"replace", "/status", "Active"},
		{"replace", "/substatus", "Accepted"},
		{"replace", "/statusReason", "won"},
		{"replace", "/team", []any{member}},
		{"add", "/team/-", member},
		{"replace", "/registrations/0/contract/startDateTime", day(-2)},
		{"replace", "/registrations/0/contract/endDateTime", day(365)},
		{"replace", "/registrations/0/contract/signDateTime", day(-4)},
		{"replace", "/registrations/0/contract/term", "Finite"},
		{"replace", "/registrations/0/contract/value", 110000},
		{"replace", "/registrations/0/solutionDetails/0/value", 95000},
		{"replace", "/registrations/0/solutionDetails/0/currency", "USD"},
		{"replace", "/registrations/0/solutionDetails/0/isDeployedOnAzure", true},
		{"replace", "/registrations/0/solutionDetails/0/primaryDeploymentOn", "Customer"},
		{"replace", "/registrations/0/solutionDetails/0/pricingModel", "PayAsYouGo"},
		{"replace", "/registrations/0/solutionDetails/0/marketplaceTransactionDetails/isMarketplaceTransacted", true},
		{"replace", "/registrations/0/solutionDetails/0/marketplaceTransactionDetails/marketplaceTransactionDateTime", day(-1)},
	}
	if len(paths) != 30 {
		t.Fatalf("%d paths; the Swagger lists 30", len(paths))
	}
	for _, p := range paths {
		t.Run(p.op+" "+p.path, func(t *testing.T) {
			if _, err := c.Patch(ctx, ref.ID, []partnercenter.PatchOp{{Op: p.op, Path: p.path, Value: p.value}}, "", true); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
	for _, path := range []string{"/id", "/engagementId", "/createdDateTime", "/organizationId", "/eTag", "/links", "/favorite", "/registrations/0/id"} {
		t.Run("refused "+path, func(t *testing.T) {
			_, err := c.Patch(ctx, ref.ID, []partnercenter.PatchOp{{Op: "replace", Path: path, Value: "x"}}, "", true)
			if partnercenter.Classify(err) != partnercenter.Permanent {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// eligibleReferral is a co-sell referral that passes every eligibility
// policy once Microsoft's referral of its engagement is accepted.
func eligibleReferral() *partnercenter.Referral {
	yes := true
	return &partnercenter.Referral{
		Name: "Eligible", Type: partnercenter.TypeShared, Status: "Closed", Substatus: "Won",
		CustomerProfile: &partnercenter.CustomerProfile{Name: "Fabrikam", IsMatchingComplete: &yes, Address: &partnercenter.Address{Country: "US"}},
		Consent:         &partnercenter.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
		Details: &partnercenter.ReferralDetails{DealValue: partnercenter.NewAmount(50000), Currency: "USD",
			Requirements: &partnercenter.Requirements{Solutions: []partnercenter.Solution{{ID: "SOL-AZIP-0001"}}}},
	}
}

// TestListReadsOddReferrals: shapes the documents use or the service sends
// (customerProfile.ids as an object, referral-resources.md's
// CustomerProfileType; dealValue ""; a bare or empty date) and a member that
// fits no field never fail the page: every referral is yielded, the odd
// member kept as sent.
func TestListReadsOddReferrals(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"value":[
			{"id":"a","customerProfile":{"name":"A","ids":{"Duns":"123456789","External":"X-1"}}},
			{"id":"b","details":{"dealValue":"","closingDateTime":"2026-03-31"},"createdDateTime":""},
			{"id":"c","details":{"dealValue":{"amount":5}},"team":"nobody","updatedDateTime":"last tuesday"},
			{"id":"d","status":"New"}]}`)
	})
	c := newTestClient(t, srv.URL)
	var got []partnercenter.Referral
	for r, err := range c.List(t.Context(), partnercenter.ListQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 4 {
		t.Fatalf("%d referrals, want 4", len(got))
	}
	if ids := got[0].CustomerProfile.IDs.Entries(); fmt.Sprint(ids) != "[{Duns 123456789} {External X-1}]" {
		t.Errorf("ids %v", ids)
	}
	if d := got[1].Details; d.DealValue != nil || d.ClosingDateTime == nil || !d.ClosingDateTime.Equal(time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)) || got[1].CreatedDateTime != nil {
		t.Errorf("b: %+v, created %v", d, got[1].CreatedDateTime)
	}
	c3, _ := json.Marshal(got[2])
	for _, kept := range []string{`"team":"nobody"`, `"updatedDateTime":"last tuesday"`, `"dealValue":{"amount":5}`} {
		if !strings.Contains(string(c3), kept) {
			t.Errorf("c lost %s: %s", kept, c3)
		}
	}
}

// TestSandboxAcceptsOddShapes: the sandbox reads the same odd-but-documented
// shapes (ids as an object, "" for an amount, a bare or empty date), keeps
// them, and the client lists them without losing a referral.
func TestSandboxAcceptsOddShapes(t *testing.T) {
	_, srv := newSandbox(t, sandbox.Options{Token: testToken})
	c := newTestClient(t, srv.URL)
	api := partnercenter.NewReferrals(c)
	body := `{"name":"Odd","type":"Independent","consent":{"consentToContact":true},
		"customerProfile":{"name":"Fabrikam","ids":{"Duns":"123456789"}},
		"details":{"dealValue":"","closingDateTime":"2026-03-31","currency":"EUR"},"expirationDateTime":""}`
	created, err := api.Create(t.Context(), "", json.RawMessage(body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(created.Raw), `"ids": {`) || !strings.Contains(string(created.Raw), `"closingDateTime": "2026-03-31T00:00:00Z"`) {
		t.Errorf("answer %s", created.Raw)
	}
	n := 0
	for r, err := range c.List(t.Context(), partnercenter.ListQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.CustomerProfile.IDs.Entries()) != "[{Duns 123456789}]" {
			t.Errorf("ids %s", r.CustomerProfile.IDs)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d referrals listed", n)
	}
}
