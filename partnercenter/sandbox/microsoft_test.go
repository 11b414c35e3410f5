package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// linkCosell creates a partner referral with crm as its externalReferenceId
// and Microsoft's referral in its engagement (the co-sell link), and
// returns both ids.
func linkCosell(c *client, crm string, dealValue float64) (partner, microsoft string) {
	p := c.create(minimal(map[string]any{"externalReferenceId": crm,
		"details": map[string]any{"dealValue": dealValue, "currency": "USD",
			"requirements": map[string]any{"solutions": []any{map[string]any{"id": "SOL-AZIP-0001"}}}}}))
	m := c.create(minimal(map[string]any{"externalReferenceId": crm, "engagementId": p.EngagementID, "organizationId": "msft",
		"details": map[string]any{"dealValue": dealValue, "currency": "USD"}}))
	return p.ID, m.ID
}

// TestMicrosoftDeclines: with a decline rate, Microsoft declines about that
// share of co-sell links when they come due, with a documented reason; the
// same seed declines the same referrals whatever order they were sent in;
// a deal below USD 25,000 is declined without a reason.
func TestMicrosoftDeclines(t *testing.T) {
	const n = 40
	declinedSet := func(seed int64, reverse bool) []string {
		clock := newFakeClock()
		c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Hour, DeclineRate: 0.5, Faults: sandbox.Faults{Seed: seed}})
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		if reverse {
			slices.Reverse(order)
		}
		ids := map[string]string{}
		for _, i := range order {
			crm := fmt.Sprintf("CRM-%03d", i)
			_, ids[crm] = linkCosell(c, crm, 100000)
		}
		clock.Advance(time.Hour - time.Second)
		for crm, id := range ids {
			if got := c.get(id); got.Status != pc.StatusNew {
				t.Fatalf("%s is %s/%s before it is due", crm, got.Status, got.Substatus)
			}
		}
		clock.Advance(time.Second)
		var declined []string
		for crm, id := range ids {
			got := c.get(id)
			switch {
			case got.Status == pc.StatusActive && got.Substatus == pc.SubstatusAccepted:
			case got.Status == pc.StatusClosed && got.Substatus == pc.SubstatusDeclined:
				if got.StatusReason != sandbox.DeclineNoCustomerRecord && got.StatusReason != sandbox.DeclineNoSeller {
					t.Errorf("%s declined with reason %q", crm, got.StatusReason)
				}
				if got.ClosedDateTime == nil {
					t.Errorf("%s declined without closedDateTime", crm)
				}
				declined = append(declined, crm)
			default:
				t.Errorf("%s is %s/%s", crm, got.Status, got.Substatus)
			}
		}
		slices.Sort(declined)
		return declined
	}
	a, b := declinedSet(7, false), declinedSet(7, true)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 declined %v, then in reverse order %v", a, b)
	}
	if len(a) < n/4 || len(a) > 3*n/4 {
		t.Errorf("%d of %d declined at rate 0.5", len(a), n)
	}
	if c := declinedSet(8, false); slices.Equal(c, a) {
		t.Errorf("seeds 7 and 8 declined the same %v", c)
	}

	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Minute, DeclineRate: 0.01})
	_, small := linkCosell(c, "CRM-SMALL", 24000)
	clock.Advance(time.Minute)
	if got := c.get(small); got.Substatus != pc.SubstatusDeclined || got.StatusReason != "" {
		t.Errorf("a USD 24,000 deal is %s/%s %q, want declined without a reason", got.Status, got.Substatus, got.StatusReason)
	}
}

// TestMicrosoftExpires: Microsoft's referral carries expirationDateTime and,
// still New then, turns Closed/Expired; a terminal referral refuses a patch.
func TestMicrosoftExpires(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, ExpireAfter: 14 * 24 * time.Hour})
	created := clock.Now()
	_, ms := linkCosell(c, "CRM-EXP", 100000)
	got := c.get(ms)
	if got.ExpirationDateTime == nil || !got.ExpirationDateTime.Equal(created.Add(14*24*time.Hour)) {
		t.Fatalf("expirationDateTime %v, want 14 days after %v", got.ExpirationDateTime, created)
	}
	clock.Advance(14*24*time.Hour - time.Second)
	if got := c.get(ms); got.Status != pc.StatusNew {
		t.Fatalf("%s/%s a second before it expires", got.Status, got.Substatus)
	}
	clock.Advance(time.Second)
	got = c.get(ms)
	if got.Status != pc.StatusClosed || got.Substatus != pc.SubstatusExpired || got.ClosedDateTime == nil {
		t.Fatalf("%s/%s closed %v, want Closed/Expired", got.Status, got.Substatus, got.ClosedDateTime)
	}
	// The listing sees it too (a reader of any kind applies what is due).
	r := c.do(http.MethodGet, "/v1.0/engagements/referrals?$filter="+url.QueryEscape("substatus eq 'Expired'"), nil)
	if r.StatusCode != http.StatusOK || !json.Valid(r.body) || !containsID(r.body, ms) {
		t.Errorf("the listing of Expired referrals: %d %s", r.StatusCode, r.body)
	}
	resp := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ms, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "too late"}})
	if e := wantError(t, resp, http.StatusBadRequest, "/details/notes"); e.Code != "invalidRequest" {
		t.Errorf("code %q", e.Code)
	}
}

func containsID(body []byte, id string) bool {
	var page struct {
		Items []pc.Referral `json:"items"`
		Value []pc.Referral `json:"value"`
	}
	_ = json.Unmarshal(body, &page)
	for _, r := range append(page.Items, page.Value...) {
		if r.ID == id {
			return true
		}
	}
	return false
}

// TestMicrosoftReviewsRegistrations: a registration is ReviewPending, then
// Approved after the review delay; one registered within 72 hours of its
// referral's creation Fails; a registration under review or decided cannot
// be edited, and a Won referral still takes its registration.
func TestMicrosoftReviewsRegistrations(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Minute, ReviewAfter: 48 * time.Hour})
	old, _ := linkCosell(c, "CRM-OLD", 100000)
	clock.Advance(4 * 24 * time.Hour) // Microsoft accepted; the deal is 4 days old
	young, _ := linkCosell(c, "CRM-YOUNG", 100000)
	clock.Advance(time.Minute)
	won := []pc.PatchOp{{Op: "replace", Path: "/status", Value: "Closed"}, {Op: "replace", Path: "/substatus", Value: "Won"}}
	sign := clock.Now().AddDate(0, 0, -1)
	register := []pc.PatchOp{{Op: "add", Path: "/registrations/-", Value: map[string]any{"type": "AzureIPCoSell",
		"contract":        map[string]any{"value": 100000, "currency": "USD", "term": "Finite", "signDateTime": sign, "startDateTime": sign, "endDateTime": sign.AddDate(1, 0, 0)},
		"solutionDetails": []any{map[string]any{"id": "SOL-AZIP-0001", "isDeployedOnAzure": true, "primaryDeploymentOn": "Partner", "pricingModel": "Other"}}}}}
	for _, id := range []string{old, young} {
		c.patch(id, won)
		if got := c.patch(id, register); got.Registrations[0].Status != sandbox.RegistrationReviewPending {
			t.Fatalf("new registration %+v", got.Registrations[0])
		}
	}
	edit := []pc.PatchOp{{Op: "replace", Path: "/registrations/0/contract/value", Value: 120000}}
	wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+old, edit), http.StatusBadRequest, "/registrations/0")
	clock.Advance(48*time.Hour - time.Second)
	if got := c.get(old); got.Registrations[0].Status != sandbox.RegistrationReviewPending {
		t.Fatalf("decided a second early: %+v", got.Registrations[0])
	}
	clock.Advance(time.Second)
	if reg := c.get(old).Registrations[0]; reg.Status != sandbox.RegistrationApproved || reg.StatusHistory == nil || reg.StatusHistory.ApprovedDateTime == nil {
		t.Errorf("the 4-day-old deal's registration %+v, want Approved", reg)
	}
	reg := c.get(young).Registrations[0]
	if reg.Status != sandbox.RegistrationFailed || reg.StatusHistory == nil || reg.StatusHistory.FailedDateTime == nil || len(reg.Extra["statusReason"]) == 0 {
		t.Errorf("the 1-minute-old deal's registration %+v, want Failed with a reason", reg)
	}
	wantError(t, c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+old, edit), http.StatusBadRequest, "/registrations/0")
}

// TestShareCannotBeWithdrawn: a referral shared with Microsoft sellers
// stays shared.
func TestShareCannotBeWithdrawn(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, []pc.PatchOp{{Op: "replace", Path: "/consent/consentToShareReferralWithMicrosoftSellers", Value: false}})
	wantError(t, r, http.StatusBadRequest, "/consent/consentToShareReferralWithMicrosoftSellers")
	if !c.get(ref.ID).Consent.ConsentToShareReferralWithMicrosoftSellers {
		t.Error("the sharing was withdrawn")
	}
}
