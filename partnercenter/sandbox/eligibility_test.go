package sandbox_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

var allPolicies = []string{
	pc.PolicyDealTypeCosellOrPartnerLed, pc.PolicyMicrosoftReferralAcceptedOrWon, pc.PolicySolutionIncentiveEligible,
	pc.PolicyDealValueEligible, pc.PolicyCustomerManaged,
}

// coSell creates a partner referral from body and its Microsoft referral,
// and lets the clock accept the latter.
func coSell(t *testing.T, c *client, clock *fakeClock, body map[string]any) pc.Referral {
	t.Helper()
	p := c.create(body)
	c.create(minimal(map[string]any{"engagementId": p.EngagementID, "organizationId": "msft"}))
	clock.Advance(time.Second)
	return p
}

func eligibility(t *testing.T, c *client, id string) pc.ReferralEligibility {
	t.Helper()
	r := c.do(http.MethodPost, "/v1.0/engagements/referrals/"+id+"/dealregistrations/eligibility", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("eligibility: %d %s", r.StatusCode, r.body)
	}
	return decode[pc.ReferralEligibility](t, r.body)
}

func names(ps []pc.EligibilityPolicy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.PolicyName)
	}
	return out
}

func TestEligibilityPolicies(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Second})
	details := func(value any, currency string, solutionIDs ...string) map[string]any {
		var sols []any
		for _, id := range solutionIDs {
			sols = append(sols, map[string]any{"id": id, "name": "Sol " + id})
		}
		return map[string]any{"dealValue": value, "currency": currency, "requirements": map[string]any{"solutions": sols}}
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		setup  func(p pc.Referral) // after the partner referral exists
		noMSFT bool
		failed []string
	}{
		{"all pass", minimal(nil), nil, false, nil},
		{"independent", minimal(map[string]any{"type": "Independent"}), nil, false, []string{pc.PolicyDealTypeCosellOrPartnerLed}},
		{"not shared with Microsoft sellers", minimal(map[string]any{"consent": map[string]any{"consentToContact": true}}), nil, false, []string{pc.PolicyDealTypeCosellOrPartnerLed}},
		{"no Microsoft referral", minimal(nil), nil, true, []string{pc.PolicyMicrosoftReferralAcceptedOrWon}},
		{"Microsoft referral declined", minimal(nil), func(p pc.Referral) {
			ms := msftOf(t, c, p)
			c.patch(ms.ID, []pc.PatchOp{{Op: "replace", Path: "/status", Value: "Closed"}, {Op: "replace", Path: "/substatus", Value: "Declined"}})
		}, false, []string{pc.PolicyMicrosoftReferralAcceptedOrWon}},
		{"Microsoft referral won", minimal(nil), func(p pc.Referral) {
			ms := msftOf(t, c, p)
			c.patch(ms.ID, []pc.PatchOp{{Op: "replace", Path: "/status", Value: "Closed"}, {Op: "replace", Path: "/substatus", Value: "Won"}})
		}, false, nil},
		{"solution not in the catalog", minimal(map[string]any{"details": details(30000, "USD", "SOL-8163-XCJ")}), nil, false, []string{pc.PolicySolutionIncentiveEligible}},
		{"no solution", minimal(map[string]any{"details": details(30000, "USD")}), nil, false, []string{pc.PolicySolutionIncentiveEligible}},
		{"SOL-AZIP- prefix", minimal(map[string]any{"details": details(30000, "USD", "SOL-8163-XCJ", "sol-azip-0042")}), nil, false, nil},
		{"SOL-34104-EBB", minimal(map[string]any{"details": details(30000, "USD", "SOL-34104-EBB")}), nil, false, nil},
		{"exactly 25,000 USD", minimal(map[string]any{"details": details(25000, "USD", "DEAL-123456-XYZ")}), nil, false, []string{pc.PolicyDealValueEligible}},
		{"25,000.01 USD", minimal(map[string]any{"details": details("25000.01", "USD", "DEAL-123456-XYZ")}), nil, false, nil},
		{"22,000 EUR is enough", minimal(map[string]any{"details": details(22000, "EUR", "DEAL-123456-XYZ")}), nil, false, nil},
		{"3,000,000 JPY is not", minimal(map[string]any{"details": details(3000000, "JPY", "DEAL-123456-XYZ")}), nil, false, []string{pc.PolicyDealValueEligible}},
		{"unknown currency", minimal(map[string]any{"details": details(1e9, "XXX", "DEAL-123456-XYZ")}), nil, false, []string{pc.PolicyDealValueEligible}},
		{"no deal value", minimal(map[string]any{"details": details(nil, "USD", "DEAL-123456-XYZ")}), nil, false, []string{pc.PolicyDealValueEligible}},
		{"customer not matched", minimal(map[string]any{"customerProfile": map[string]any{"name": "C", "isMatchingComplete": false}}), nil, false, []string{pc.PolicyCustomerManaged}},
		{"everything fails", minimal(map[string]any{"type": "Independent", "details": details(1, "USD"), "customerProfile": map[string]any{"name": "C"}}), nil, true, allPolicies},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p pc.Referral
			if tc.noMSFT {
				p = c.create(tc.body)
			} else {
				p = coSell(t, c, clock, tc.body)
			}
			if tc.setup != nil {
				tc.setup(p)
			}
			el := eligibility(t, c, p.ID)
			if el.IsEligible != (len(tc.failed) == 0) {
				t.Errorf("isEligible %v with failed %v", el.IsEligible, names(el.FailedPolicies))
			}
			if got := names(el.FailedPolicies); !slices.Equal(got, tc.failed) {
				t.Errorf("failed %v, want %v", got, tc.failed)
			}
			all := append(names(el.PassedPolicies), names(el.FailedPolicies)...)
			slices.Sort(all)
			want := slices.Clone(allPolicies)
			slices.Sort(want)
			if !slices.Equal(all, want) {
				t.Errorf("policies %v", all)
			}
			for _, pol := range append(el.PassedPolicies, el.FailedPolicies...) {
				if len(pol.ReferralProperties) == 0 {
					t.Errorf("%s has no referralProperties", pol.PolicyName)
				}
			}
		})
	}
}

func msftOf(t *testing.T, c *client, p pc.Referral) pc.Referral {
	t.Helper()
	page := decode[pc.ReferralPage](t, c.do(http.MethodGet, p.Links.RelatedReferrals.URI, nil).body)
	for _, r := range page.Value {
		if r.OrganizationID == "msft" {
			return r
		}
	}
	t.Fatal("no Microsoft referral")
	return pc.Referral{}
}

func TestEligibilityOptions(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Second, PartnerIneligible: true,
		AzureIPCoSellSolutions: []string{"SOL-8163-XCJ"}, FXToUSD: map[string]float64{"USD": 1, "XXX": 1000}})
	r := c.do(http.MethodGet, "/v1.0/engagements/partners/dealregistrationeligibility", nil)
	if pe := decode[pc.PartnerEligibility](t, r.body); pe.IsEligible || len(pe.Policies) != 1 || pe.Policies[0].IsEligible {
		t.Errorf("partner eligibility %s", r.body)
	}
	body := minimal(map[string]any{"details": map[string]any{"dealValue": 30, "currency": "XXX",
		"requirements": map[string]any{"solutions": []any{map[string]any{"id": "SOL-8163-XCJ"}}}}})
	p := coSell(t, c, clock, body)
	if el := eligibility(t, c, p.ID); !el.IsEligible {
		t.Errorf("not eligible with the custom catalog and FX table: %v", names(el.FailedPolicies))
	}
	before := c.dump()
	r = c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, registrationOps("AzureIPCoSell"))
	if e := wantError(t, r, http.StatusBadRequest, "/registrations/-"); !strings.Contains(e.Message, "partner") {
		t.Errorf("message %s", e.Message)
	}
	if !reflect.DeepEqual(before, c.dump()) {
		t.Errorf("refused registration changed the store")
	}
}

func registrationOps(typ string) []pc.PatchOp {
	return []pc.PatchOp{{Op: "add", Path: "/registrations/-", Value: map[string]any{
		"type": typ,
		"contract": map[string]any{"currency": "USD", "value": 250000, "term": "Finite", // dates: the fake clock starts 2026-03-01
			"signDateTime": "2026-02-20T00:00:00Z", "startDateTime": "2026-02-25T00:00:00Z", "endDateTime": "2027-02-24T00:00:00Z"},
		"solutionDetails": []any{map[string]any{"id": "DEAL-123456-XYZ", "isDeployedOnAzure": true, "value": 250000, "currency": "USD"}},
	}}}
}

func TestDealRegistration(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Second})

	t.Run("ineligible", func(t *testing.T) {
		p := coSell(t, c, clock, minimal(map[string]any{"customerProfile": map[string]any{"name": "C"}, "type": "Independent"}))
		before := c.dump()
		e := wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, registrationOps("AzureIPCoSell")), http.StatusBadRequest, "/registrations/-")
		if !strings.Contains(e.Message, pc.PolicyCustomerManaged) || !strings.Contains(e.Message, pc.PolicyDealTypeCosellOrPartnerLed) {
			t.Errorf("message does not name the failed policies: %s", e.Message)
		}
		if !reflect.DeepEqual(before, c.dump()) {
			t.Errorf("refused registration changed the store")
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		p := coSell(t, c, clock, minimal(nil))
		wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, registrationOps("Other")), http.StatusBadRequest, "/registrations/0/type")
	})
	t.Run("eligible, with a change that makes it so in the same patch", func(t *testing.T) {
		p := coSell(t, c, clock, minimal(map[string]any{"customerProfile": map[string]any{"name": "C"}}))
		ops := append([]pc.PatchOp{{Op: "replace", Path: "/customerProfile/isMatchingComplete", Value: true}}, registrationOps("AzureIPCoSell")...)
		got := c.patch(p.ID, ops)
		if len(got.Registrations) != 1 || got.Registrations[0].ID == "" || got.Registrations[0].Contract == nil || *got.Registrations[0].Contract.Value != 250000 {
			t.Fatalf("registrations %+v", got.Registrations)
		}
		// One registration per referral (the Swagger's paths name only
		// /registrations/0): a second add is a 409 (error-codes.md).
		wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, registrationOps("AzureIPCoSell")), http.StatusConflict, "/registrations/-")
		if got.Registrations[0].RegistrationDateTime == nil {
			t.Errorf("no registrationDateTime")
		}
	})
}
