package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// The request examples of reference/, copied verbatim to testdata/requests,
// are accepted as they are, and nothing they say is lost.
func TestDocumentCreateExamplesAccepted(t *testing.T) {
	c := start(t, sandbox.Options{})

	for _, name := range []string{"create-referral.json", "create-partner-led.json"} {
		t.Run(name, func(t *testing.T) {
			body := readTestdata(t, "requests/"+name)
			r := c.do(http.MethodPost, "/v1.0/engagements/referrals", body)
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("status %d: %s", r.StatusCode, r.body)
			}
			assertKept(t, body, r.body)
			ref := decode[pc.Referral](t, r.body)
			if ref.OrganizationID != "7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d" || ref.Status != pc.StatusNew || ref.Substatus != pc.SubstatusPending {
				t.Errorf("org %s status %s/%s", ref.OrganizationID, ref.Status, ref.Substatus)
			}
			if r.Header.Get("Location") != c.base+"/v1.0/engagements/referrals/"+ref.ID {
				t.Errorf("Location %q", r.Header.Get("Location"))
			}
			if r.Header.Get("ETag") != ref.ETag || !strings.HasPrefix(ref.ETag, `"`) || !strings.HasSuffix(ref.ETag, `"`) {
				t.Errorf("ETag header %q, eTag %q", r.Header.Get("ETag"), ref.ETag)
			}
			// A new engagement, reachable through the relatedReferrals link.
			list := decode[pc.ReferralPage](t, c.do(http.MethodGet, ref.Links.RelatedReferrals.URI, nil).body)
			if len(list.Value) != 1 || list.Value[0].ID != ref.ID {
				t.Errorf("relatedReferrals lists %d referrals", len(list.Value))
			}
		})
	}

	t.Run("create-microsoft-link.json", func(t *testing.T) {
		partner := c.create(readTestdata(t, "requests/create-partner-led.json"))
		body := bytes.ReplaceAll(readTestdata(t, "requests/create-microsoft-link.json"),
			[]byte("<ENTER_ENGAGEMENT_ID_OF_PARTNER_REFERRAL>"), []byte(partner.EngagementID))
		r := c.do(http.MethodPost, "/v1.0/engagements/referrals", body)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("status %d: %s", r.StatusCode, r.body)
		}
		assertKept(t, body, r.body)
		ms := decode[pc.Referral](t, r.body)
		if ms.EngagementID != partner.EngagementID || ms.OrganizationID != "msft" || ms.OrganizationName != "Microsoft" || ms.ID == partner.ID {
			t.Errorf("link: engagement %s (want %s), org %s %s", ms.EngagementID, partner.EngagementID, ms.OrganizationID, ms.OrganizationName)
		}
		list := decode[pc.ReferralPage](t, c.do(http.MethodGet, ms.Links.RelatedReferrals.URI, nil).body)
		if len(list.Value) != 2 {
			t.Errorf("engagement has %d referrals, want 2", len(list.Value))
		}
	})
}

func TestDocumentPatchExamplesAccepted(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(readTestdata(t, "requests/create-referral.json"))

	// In document order; the last one closes the referral as Won.
	for _, name := range []string{"patch-update-referral.json", "patch-sample-1-dealvalue-notes.json", "patch-sample-3-team.json", "patch-sample-2-won.json"} {
		body := readTestdata(t, "requests/"+name)
		r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, body, "Prefer", "return=representation")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, r.StatusCode, r.body)
		}
	}
	got := c.get(ref.ID)
	if got.Details.DealValue == nil || *got.Details.DealValue != 10000 || got.Details.Notes != "Lorem ipsum dolor sit amet." {
		t.Errorf("details: %+v", got.Details)
	}
	if got.Status != pc.StatusClosed || got.Substatus != pc.SubstatusWon {
		t.Errorf("status %s/%s", got.Status, got.Substatus)
	}
	if n := len(got.Team); n != 3 || got.Team[1].Email != "jane.doe@contoso.com" {
		t.Errorf("team: %+v", got.Team)
	}
}

func TestDocumentDealRegistrationExampleAccepted(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Minute})
	partner := c.create(readTestdata(t, "requests/create-partner-led.json"))
	c.create(bytes.ReplaceAll(readTestdata(t, "requests/create-microsoft-link.json"),
		[]byte("<ENTER_ENGAGEMENT_ID_OF_PARTNER_REFERRAL>"), []byte(partner.EngagementID)))
	// The partner-led example's solution is not in the catalog; the
	// registration example registers DEAL-123456-XYZ, so add it.
	c.patch(partner.ID, []pc.PatchOp{{Op: "add", Path: "/details/requirements/solutions/-",
		Value: map[string]any{"id": "DEAL-123456-XYZ", "name": "Contoso Experience Platform"}}})

	body := readTestdata(t, "requests/patch-deal-registration.json")
	r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+partner.ID, body)
	e := wantError(t, r, http.StatusBadRequest, "/registrations/-")
	if !strings.Contains(e.Message, "isMicrosoftReferralAcceptedOrWon") {
		t.Errorf("message does not name the failed policy: %s", e.Message)
	}

	clock.Advance(time.Minute)
	r = c.do(http.MethodPost, "/v1.0/engagements/referrals/"+partner.ID+"/dealregistrations/eligibility", nil, "Prefer", "return=representation")
	el := decode[pc.ReferralEligibility](t, r.body)
	if !el.IsEligible {
		t.Fatalf("not eligible after acceptance: %s", r.body)
	}
	r = c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+partner.ID, body)
	if r.StatusCode != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("registration: %d %s", r.StatusCode, r.body)
	}
	got := c.get(partner.ID)
	if len(got.Registrations) != 1 || got.Registrations[0].ID == "" || got.Registrations[0].Type != pc.RegistrationTypeAzureIPCoSell {
		t.Fatalf("registrations: %+v", got.Registrations)
	}
	// Everything the example registered is stored.
	var ops []struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &ops); err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(got.Registrations[0])
	assertKept(t, ops[0].Value, stored)
}

// The response examples decode into the wire types and encode back without
// losing a modelled field.
func TestDocumentResponsesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file string
		into func() any
		skip []string // fields the wire types deliberately do not model
	}{
		{"responses/create-referral.json", func() any { return new(pc.Referral) }, nil},
		{"responses/get-referral-v1.0.json", func() any { return new(pc.Referral) }, nil},
		// The legacy API named the substatus "statusDetail"; v1.0 calls it substatus.
		{"responses/get-referral-v1-legacy.json", func() any { return new(pc.Referral) }, []string{".statusdetail"}},
		{"responses/referral-eligibility.json", func() any { return new(pc.ReferralEligibility) }, nil},
		{"responses/partner-eligibility.json", func() any { return new(pc.PartnerEligibility) }, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := readTestdata(t, tc.file)
			v := tc.into()
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			assertKept(t, b, again, tc.skip...)
		})
	}
}

// The sandbox answers in the shape of the documents' response examples.
func TestAnswersShapedLikeDocumentExamples(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: time.Second})
	created := c.do(http.MethodPost, "/v1.0/engagements/referrals", readTestdata(t, "requests/create-referral.json"))

	t.Run("create", func(t *testing.T) {
		// The example omits closingDateTime that its request sent; it has
		// nothing the answer lacks.
		assertShaped(t, readTestdata(t, "responses/create-referral.json"), created.body)
	})
	t.Run("get", func(t *testing.T) {
		ref := decode[pc.Referral](t, created.body)
		r := c.do(http.MethodGet, "/v1.0/engagements/referrals/"+ref.ID, nil)
		assertShaped(t, readTestdata(t, "responses/get-referral-v1.0.json"), r.body)
		if !strings.HasPrefix(decode[pc.Referral](t, r.body).ODataContext, c.base+"/") {
			t.Errorf("@odata.context not on this host: %s", r.body)
		}
	})
	t.Run("eligibility", func(t *testing.T) {
		p := c.create(minimal(nil))
		ms := c.create(minimal(map[string]any{"engagementId": p.EngagementID, "organizationId": "msft"}))
		_ = ms
		clock.Advance(time.Second)
		r := c.do(http.MethodPost, "/v1.0/engagements/referrals/"+p.ID+"/dealregistrations/eligibility", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", r.StatusCode, r.body)
		}
		assertShaped(t, readTestdata(t, "responses/referral-eligibility.json"), r.body)
		got := decode[pc.ReferralEligibility](t, r.body)
		want := decode[pc.ReferralEligibility](t, readTestdata(t, "responses/referral-eligibility.json"))
		for i, p := range want.PassedPolicies {
			if got.PassedPolicies[i].PolicyName != p.PolicyName {
				t.Errorf("policy %d is %s, want %s", i, got.PassedPolicies[i].PolicyName, p.PolicyName)
			}
		}
		if got.FailedPolicies == nil || !bytes.Contains(r.body, []byte(`"failedPolicies": []`)) {
			t.Errorf("failedPolicies should be an empty array: %s", r.body)
		}
	})
	t.Run("partner eligibility", func(t *testing.T) {
		r := c.do(http.MethodGet, "/v1.0/engagements/partners/dealregistrationeligibility", nil, "Prefer", "return=representation")
		assertShaped(t, readTestdata(t, "responses/partner-eligibility.json"), r.body)
		assertKept(t, readTestdata(t, "responses/partner-eligibility.json"), r.body)
	})
}
