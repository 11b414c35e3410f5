package batch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/engine"
	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// templateClock is the day the template fixtures are run on: their
// contracts were signed within the 60 days before it (register-deals.md).
var templateClock = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// templateEnv is a sandbox on the fixed clock, seeded with the referrals
// the fixtures' update and registration rows name, and a client with a
// journal.
type templateEnv struct {
	sb *batch.Sandbox
	c  *batch.Client
}

func newTemplateEnv(t *testing.T) *templateEnv {
	t.Helper()
	now := func() time.Time { return templateClock }
	sb, err := batch.StartSandbox(t.Context(), batch.SandboxConfig{Options: &sandbox.Options{Now: now, AcceptAfter: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if err := sb.Server().Seed(seededReferrals()...); err != nil {
		t.Fatal(err)
	}
	jr, err := batch.OpenJournal(t.Context(), filepath.Join(t.TempDir(), "refbatch.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jr.Close() })
	c, err := batch.NewClient(jr, sb.Endpoint(), batch.Config{Now: now, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	return &templateEnv{sb: sb, c: c}
}

// seededReferrals are what the fixtures' downloaded rows describe as
// existing: ref-u1…u6 (co-sell template updates; u5 is Partner-led with no
// Microsoft referral yet, so its row upgrades it) and ref-r1…r8 (deal
// registration rows), each co-sell ref-r with Microsoft's accepted referral
// in its engagement, 30 days old.
func seededReferrals() []pc.Referral {
	created := templateClock.AddDate(0, 0, -30)
	closing := time.Date(2027, 12, 15, 0, 0, 0, 0, time.UTC)
	partner := func(id, eng, crm, customer string, value float64) pc.Referral {
		return pc.Referral{
			ID: id, EngagementID: eng, ExternalReferenceID: crm, Name: "Downloaded " + id,
			Type: pc.TypeShared, Status: pc.StatusActive, Substatus: pc.SubstatusAccepted,
			CreatedDateTime: &created,
			CustomerProfile: &pc.CustomerProfile{Name: customer, Address: &pc.Address{City: "Redmond", Country: "US"},
				IsMatchingComplete: new(true)},
			Consent: &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true, ConsentToShareInfoWithOthers: true, ConsentToContact: true},
			Details: &pc.ReferralDetails{DealValue: pc.NewAmount(value), Currency: "USD", ClosingDateTime: &closing,
				Requirements: &pc.Requirements{Solutions: []pc.Solution{{ID: "SOL-34104-EBB"}}}},
		}
	}
	microsoft := func(id, eng string) pc.Referral {
		return pc.Referral{ID: id, EngagementID: eng, OrganizationID: pc.MicrosoftOrganizationID, Name: "Microsoft " + id,
			Type: pc.TypeShared, Status: pc.StatusActive, Substatus: pc.SubstatusAccepted, CreatedDateTime: &created,
			CustomerProfile: &pc.CustomerProfile{Name: "x"}, Consent: &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
			Details: &pc.ReferralDetails{DealValue: pc.NewAmount(1), Currency: "USD", ClosingDateTime: &closing}}
	}
	var refs []pc.Referral
	for i := 1; i <= 6; i++ {
		eng := fmt.Sprintf("eeeeeeee-0000-4000-8000-00000000000%d", i)
		customer := fmt.Sprintf("Downloaded Customer %d", i)
		if i == 6 {
			customer = "Downloaded Customer 6 Ltd" // the row's name differs: read-only, not sent
		}
		refs = append(refs, partner(fmt.Sprintf("ref-u%d", i), eng, fmt.Sprintf("MS-CRM-U0%d", i), customer, 60000))
		if i != 5 {
			refs = append(refs, microsoft(fmt.Sprintf("msft-u%d", i), eng))
		}
	}
	for i := 1; i <= 8; i++ {
		eng := fmt.Sprintf("rrrrrrrr-0000-4000-8000-00000000000%d", i)
		refs = append(refs, partner(fmt.Sprintf("ref-r%d", i), eng, fmt.Sprintf("MS-CRM-R0%d", i), fmt.Sprintf("Registered Customer %d", i), 300000),
			microsoft(fmt.Sprintf("msft-r%d", i), eng))
	}
	return refs
}

// wire reads GET /_sandbox/referrals: what Partner Center holds.
func (e *templateEnv) wire(t *testing.T) []pc.Referral {
	t.Helper()
	resp, err := http.Get(e.sb.URL + sandbox.AdminReferralsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var refs []pc.Referral
	if err := json.NewDecoder(resp.Body).Decode(&refs); err != nil {
		t.Fatal(err)
	}
	return refs
}

func byExternalID(refs []pc.Referral, crm string) (partner, microsoft *pc.Referral) {
	for i := range refs {
		if refs[i].ExternalReferenceID == crm && refs[i].OrganizationID != pc.MicrosoftOrganizationID {
			partner = &refs[i]
		}
	}
	if partner == nil {
		return nil, nil
	}
	for i := range refs {
		if refs[i].EngagementID == partner.EngagementID && refs[i].OrganizationID == pc.MicrosoftOrganizationID {
			microsoft = &refs[i]
		}
	}
	return partner, microsoft
}

func byID(refs []pc.Referral, id string) *pc.Referral {
	for i := range refs {
		if refs[i].ID == id {
			return &refs[i]
		}
	}
	return nil
}

type solution struct {
	ID, Currency    string
	Price, Quantity float64
}

func solutionsOf(r *pc.Referral) []solution {
	var out []solution
	if r.Details == nil || r.Details.Requirements == nil {
		return nil
	}
	for _, s := range r.Details.Requirements.Solutions {
		x := solution{ID: s.ID, Currency: s.Currency}
		if s.Price != nil {
			x.Price = float64(*s.Price)
		}
		if s.Quantity != nil {
			x.Quantity = float64(*s.Quantity)
		}
		out = append(out, x)
	}
	return out
}

func intentOf(r *pc.Referral) string {
	if r.Details == nil || r.Details.Requirements == nil || r.Details.Requirements.AdditionalRequirements == nil {
		return ""
	}
	for _, a := range r.Details.Requirements.AdditionalRequirements.Attributes {
		if a.Type == pc.AttributeCustomerMarketplaceIntent {
			return a.ID
		}
	}
	return ""
}

func dunsOf(r *pc.Referral) string {
	var ids []pc.CustomerID
	if r.CustomerProfile == nil || json.Unmarshal(r.CustomerProfile.IDs, &ids) != nil {
		return ""
	}
	for _, id := range ids {
		if id.ProfileType == "Duns" {
			return id.ID
		}
	}
	return ""
}

func emails(ms []pc.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Email)
	}
	return out
}

// TestCosellTemplateOnTheWire validates, plans and runs Microsoft's co-sell
// bulk template fixture (CSV and XLSX, written by another library than
// excelize) against the sandbox, and checks every value where the Swagger
// puts it.
func TestCosellTemplateOnTheWire(t *testing.T) {
	for _, file := range []string{"../samples/ms-cosell-template.csv", "../samples/ms-cosell-template.xlsx"} {
		t.Run(filepath.Ext(file), func(t *testing.T) {
			e := newTemplateEnv(t)
			ctx := t.Context()
			v, err := e.c.Validate(ctx, file, batch.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			// Row 11 closes a deal as Error, which the API cannot say.
			if v.Summary.Rows != 12 || v.Summary.Valid != 11 || v.Summary.ByRule[refbatch.RuleCloseError] != 1 {
				t.Errorf("validate: %+v", v.Summary)
			}
			plans, _, err := e.c.Plan(ctx, file, batch.PlanOptions{Online: true})
			if err != nil {
				t.Fatal(err)
			}
			checkCosellPlan(t, plans)

			res, err := e.c.Run(ctx, file)
			if err == nil || !strings.Contains(err.Error(), "1 ") {
				// One row is invalid: the run reports it.
				t.Logf("run: %v", err)
			}
			if res == nil {
				t.Fatal("no result")
			}
			// Linked: four co-sell creates, and ref-u5's upgrade to co-sell.
			want := map[refbatch.Outcome]int{refbatch.OutcomeCreated: 2, refbatch.OutcomeLinked: 5, refbatch.OutcomeUpdated: 4, refbatch.OutcomeSkippedInvalid: 1}
			for o, n := range want {
				if res.Counts[o] != n {
					t.Errorf("%s: %d rows, want %d (counts %v, problems %+v)", o, res.Counts[o], n, res.Counts, res.Problems)
				}
			}
			checkCosellWire(t, e.wire(t))
		})
	}
}

// checkCosellPlan: the plan sends what the run will, and never the
// read-only customer fields on an update.
func checkCosellPlan(t *testing.T, plans []engine.RowPlan) {
	t.Helper()
	if len(plans) != 12 {
		t.Fatalf("%d row plans, want 12", len(plans))
	}
	for _, p := range plans {
		for _, req := range p.Requests {
			if req.Step != refbatch.StepPatch {
				continue
			}
			for _, ro := range []string{"/customerProfile/name", "/customerProfile/address", "/customerProfile/ids", "/mpnId"} {
				if strings.Contains(string(req.Body), `"`+ro) {
					t.Errorf("row %d: the patch sends read-only %s: %s", p.Row, ro, req.Body)
				}
			}
		}
	}
}

func checkCosellWire(t *testing.T, refs []pc.Referral) {
	t.Helper()
	creates := []struct {
		crm, stage, intent, duns, code string
		typ                            pc.ReferralType
		share                          bool
		solutions                      []solution
		team                           []string
	}{
		{"MS-CRM-001", "Qualify", "Yes", "81466841", "ProofOfConceptOrDemo", pc.TypeShared, true,
			[]solution{{"SOL-34104-EBB", "USD", 10, 100}, {"SOL-8163-XCJ", "", 0, 0}}, []string{"bob.partner@contoso.example"}},
		{"MS-CRM-002", "Develop", "HaveNotDecided", "81466842", "WorkloadSpecificValueProposition", pc.TypeShared, true,
			[]solution{{"SOL-8163-XCJ", "USD", 80000, 1}}, []string{"bob.partner@contoso.example", "ann.engineer@contoso.example"}},
		{"MS-CRM-003", "Propose", "No", "81466843", "", pc.TypeShared, true,
			[]solution{{"SOL-34104-EBB", "", 0, 0}}, []string{"bob.partner@contoso.example"}},
		{"MS-CRM-004", "", "No", "81466844", "", pc.TypeIndependent, false,
			[]solution{{"SOL-34104-EBB", "EUR", 12.5, 40}}, nil},
		{"MS-CRM-005", "Close", "Yes", "81466845", "GeneralOrOther", pc.TypeShared, true,
			[]solution{{"SOL-34104-EBB", "USD", 260000, 1}, {"SOL-8163-XCJ", "USD", 0, 1}, {"SOL-1234-PQRS", "", 0, 0}}, []string{"bob.partner@contoso.example"}},
		{"MS-CRM-006", "", "No", "81466846", "QuotesOrLicensing", pc.TypeShared, true,
			[]solution{{"SOL-8163-XCJ", "", 0, 0}}, []string{"cy.seller@contoso.example"}},
	}
	for _, c := range creates {
		p, m := byExternalID(refs, c.crm)
		if p == nil {
			t.Errorf("%s: not created", c.crm)
			continue
		}
		if p.CampaignID != "BingSummer2027" || p.MpnID != "1234567" || dunsOf(p) != c.duns {
			t.Errorf("%s: campaignId %q mpnId %q duns %q", c.crm, p.CampaignID, p.MpnID, dunsOf(p))
		}
		if p.SalesStage != c.stage || intentOf(p) != c.intent {
			t.Errorf("%s: salesStage %q intent %q, want %q %q", c.crm, p.SalesStage, intentOf(p), c.stage, c.intent)
		}
		// New + Accepted in the template is Active/Accepted on the wire.
		if p.Status != pc.StatusActive || p.Substatus != pc.SubstatusAccepted {
			t.Errorf("%s: %s/%s", c.crm, p.Status, p.Substatus)
		}
		if p.Type != c.typ || p.Consent.ConsentToShareReferralWithMicrosoftSellers != c.share || !p.Consent.ConsentToContact {
			t.Errorf("%s: type %s consent %+v", c.crm, p.Type, p.Consent)
		}
		if got := solutionsOf(p); !slices.Equal(got, c.solutions) {
			t.Errorf("%s: solutions %+v\nwant %+v", c.crm, got, c.solutions)
		}
		if got := emails(p.Team); !slices.Equal(got, c.team) {
			t.Errorf("%s: team %q, want %q", c.crm, got, c.team)
		}
		if p.CustomerProfile == nil || len(p.CustomerProfile.Team) != 1 || p.CustomerProfile.Team[0].Email == "" {
			t.Errorf("%s: customer contact %+v", c.crm, p.CustomerProfile)
		}
		switch {
		case c.code == "" && m != nil:
			t.Errorf("%s: linked to Microsoft without asking for help", c.crm)
		case c.code != "" && (m == nil || m.InviteContext == nil || m.InviteContext.AssistanceRequestCode != c.code):
			t.Errorf("%s: Microsoft referral %+v, want assistance %s", c.crm, m, c.code)
		}
	}

	updates := []struct {
		id, status, substatus, reason, stage string
		team                                 []string
	}{
		{"ref-u1", "Closed", "Won", "", "", nil},
		{"ref-u2", "Closed", "Lost", "Customer chose another vendor", "", nil},
		{"ref-u3", "Closed", "Declined", "Project budget isn't adequate", "", nil},
		{"ref-u4", "Active", "Accepted", "", "", nil}, // Error: refused before sending
		{"ref-u5", "Active", "Accepted", "", "Propose", nil},
		{"ref-u6", "Active", "Accepted", "", "Close", []string{"ann.engineer@contoso.example"}},
	}
	for _, u := range updates {
		r := byID(refs, u.id)
		if r == nil {
			t.Fatalf("%s is gone", u.id)
		}
		if string(r.Status) != u.status || string(r.Substatus) != u.substatus || r.StatusReason != u.reason || r.SalesStage != u.stage {
			t.Errorf("%s: %s/%s reason %q stage %q, want %s/%s %q %q", u.id, r.Status, r.Substatus, r.StatusReason, r.SalesStage, u.status, u.substatus, u.reason, u.stage)
		}
		if got := emails(r.Team); !slices.Equal(got, u.team) {
			t.Errorf("%s: team %q, want %q", u.id, got, u.team)
		}
		// "SOL-34104-EBB, USD, 75, 1200" prices the solution the referral has.
		if got, want := solutionsOf(r), []solution{{"SOL-34104-EBB", "USD", 75, 1200}}; u.id != "ref-u4" && !slices.Equal(got, want) {
			t.Errorf("%s: solutions %+v, want %+v", u.id, got, want)
		}
	}
	// ref-u5 asked for Microsoft's help: upgraded to co-sell, with the
	// help code it gave (2) and the referral's own customer.
	if _, m := byExternalID(refs, "MS-CRM-U05"); m == nil || m.InviteContext == nil ||
		m.InviteContext.AssistanceRequestCode != "CustomerTechnicalArchitecture" || m.CustomerProfile == nil || m.CustomerProfile.Name != "Downloaded Customer 5" {
		t.Errorf("ref-u5: Microsoft referral %+v, want the upgrade's", m)
	}
	// Read-only after creation: the row's other customer name is not sent.
	if r := byID(refs, "ref-u6"); r.CustomerProfile.Name != "Downloaded Customer 6 Ltd" {
		t.Errorf("ref-u6: customer name %q was changed", r.CustomerProfile.Name)
	}
}

// TestDealRegistrationTemplateOnTheWire runs Microsoft's deal registrations
// bulk template fixture against the sandbox: each valid row registers its
// deal with the contract and solution values where the Swagger puts them.
func TestDealRegistrationTemplateOnTheWire(t *testing.T) {
	for _, file := range []string{"../samples/ms-dealreg-template.csv", "../samples/ms-dealreg-template.xlsx"} {
		t.Run(filepath.Ext(file), func(t *testing.T) {
			e := newTemplateEnv(t)
			ctx := context.Background()
			v, err := e.c.Validate(ctx, file, batch.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			// r6 starts before it is signed; r8 is Approved and cannot change.
			if v.Summary.Rows != 8 || v.Summary.Valid != 6 || v.Summary.ByRule[refbatch.RuleLifecycleContract] != 1 || v.Summary.ByRule[refbatch.RuleLifecycleRegistrationEdit] != 1 {
				t.Errorf("validate: %+v", v.Summary)
			}
			if _, _, err := e.c.Plan(ctx, file, batch.PlanOptions{Online: true}); err != nil {
				t.Fatal(err)
			}
			res, _ := e.c.Run(ctx, file)
			if res == nil {
				t.Fatal("no result")
			}
			if res.Counts[refbatch.OutcomeRegistered] != 6 || res.Counts[refbatch.OutcomeSkippedInvalid] != 2 {
				t.Errorf("counts %v, problems %+v", res.Counts, res.Problems)
			}
			refs := e.wire(t)
			want := []struct {
				id, term, currency, pricing, deploy string
				value                               float64
				sign, start, end                    string
				transacted                          bool
			}{
				{"ref-r1", "Finite", "USD", "PayAsYouGo", "Customer", 250000, "2026-11-02", "2026-11-05", "2029-11-04", true},
				{"ref-r2", "Perpetual", "USD", "Other", "Partner", 400000, "2026-11-10", "2026-11-12", "", false},
				{"ref-r3", "Finite", "USD", "Other", "Customer", 120000, "2026-11-03", "2026-11-03", "2028-11-02", false},
				{"ref-r4", "Finite", "USD", "PayAsYouGo", "Partner", 90000, "2026-10-31", "2026-11-01", "2027-10-31", true},
				{"ref-r5", "Finite", "USD", "Other", "Customer", 70000, "2026-11-01", "2026-11-15", "2028-11-14", false},
				{"ref-r7", "Perpetual", "USD", "PayAsYouGo", "Partner", 600000, "2026-11-05", "2026-11-06", "", false},
			}
			day := func(p *time.Time) string {
				if p == nil {
					return ""
				}
				return p.UTC().Format(time.DateOnly)
			}
			for _, w := range want {
				r := byID(refs, w.id)
				if r == nil || len(r.Registrations) != 1 {
					t.Errorf("%s: registrations %+v", w.id, r)
					continue
				}
				reg := r.Registrations[0]
				c := reg.Contract
				if reg.Type != pc.RegistrationTypeAzureIPCoSell || c == nil || c.Term != w.term || c.Currency != w.currency || c.Value == nil || float64(*c.Value) != w.value ||
					day(c.SignDateTime) != w.sign || day(c.StartDateTime) != w.start || day(c.EndDateTime) != w.end {
					t.Errorf("%s: registration %+v contract %+v", w.id, reg, c)
				}
				if len(reg.SolutionDetails) != 1 {
					t.Errorf("%s: solution details %+v", w.id, reg.SolutionDetails)
					continue
				}
				sd := reg.SolutionDetails[0]
				mt := sd.MarketplaceTransactionDetails
				if sd.ID != "SOL-34104-EBB" || sd.PricingModel != w.pricing || sd.PrimaryDeploymentOn != w.deploy || !sd.IsDeployedOnAzure ||
					sd.Value == nil || float64(*sd.Value) != w.value || sd.Currency != "USD" || mt == nil || mt.IsMarketplaceTransacted != w.transacted {
					t.Errorf("%s: solution details %+v", w.id, sd)
				}
			}
			for _, id := range []string{"ref-r6", "ref-r8"} {
				if r := byID(refs, id); len(r.Registrations) != 0 {
					t.Errorf("%s: registered although the row is invalid: %+v", id, r.Registrations)
				}
			}
		})
	}
}
