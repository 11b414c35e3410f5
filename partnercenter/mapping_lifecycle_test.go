package partnercenter_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
)

// registered creates, links and registers a co-sell deal of cosellCells in
// the sandbox and returns its live state.
func registered(t *testing.T, e *mappingEnv) refbatch.Remote {
	t.Helper()
	row, created := e.create(t, cosellCells)
	link, err := e.m.Link(row, created)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.Create(t.Context(), partnercenter.NewClientRequestID(), link.Body); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(acceptAfter + time.Minute)
	live := e.get(t, created.ID)
	reg, ok, err := e.m.Register(row, live)
	if err != nil || !ok {
		t.Fatalf("Register = ok %v, err %v", ok, err)
	}
	e.patch(t, reg, live)
	return e.get(t, created.ID)
}

// TestMapperRegistrationEdit: a registration row on a referral that has its
// registration edits it with replace operations on the Swagger's
// /registrations/0/… paths, only for the columns that differ; the sandbox
// accepts the edit, and the edited referral needs nothing more.
func TestMapperRegistrationEdit(t *testing.T) {
	e := newMappingEnv(t)
	live := registered(t, e)
	if !live.Registered {
		t.Fatalf("remote %+v: not Registered", live)
	}
	edit := func(more cells) refbatch.Row {
		cs := with(cosellCells, more)
		delete(cs, refbatch.ColExternalReferenceID)
		cs[refbatch.ColReferralID] = live.ID
		return *makeRow(t, 3, cs)
	}
	for _, tc := range []struct {
		name  string
		more  cells
		paths []string
	}{
		{"same values", cells{}, nil},
		{"contract value", cells{refbatch.ColContractValue: 300000.0}, []string{
			"/registrations/0/contract/value", "/registrations/0/solutionDetails/0/value"}},
		{"dates and term", cells{refbatch.ColContractEndDate: date(2028, 2, 28), refbatch.ColContractTerm: "Perpetual"}, []string{
			"/registrations/0/contract/term", "/registrations/0/contract/endDateTime"}},
		{"solution details", cells{refbatch.ColPricingModel: "PayAsYouGo", refbatch.ColMarketplaceTransacted: false}, []string{
			"/registrations/0/solutionDetails/0/pricingModel",
			"/registrations/0/solutionDetails/0/marketplaceTransactionDetails/isMarketplaceTransacted"}},
		{"a solution the registration has not", cells{refbatch.ColSolutionIDs: []string{"SOL-OTHER-0002"}, refbatch.ColPricingModel: "PayAsYouGo"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := edit(tc.more)
			req, ok, err := e.m.Register(&row, live)
			if err != nil || ok != (tc.paths != nil) {
				t.Fatalf("Register = ok %v, err %v: %s", ok, err, req.Body)
			}
			if !ok {
				return
			}
			var ops []partnercenter.PatchOp
			if err := json.Unmarshal(req.Body, &ops); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, op := range ops {
				if op.Op != partnercenter.OpReplace {
					t.Errorf("op %+v, want replace", op)
				}
				paths = append(paths, op.Path)
			}
			if !slices.Equal(paths, tc.paths) {
				t.Errorf("paths %v, want %v", paths, tc.paths)
			}
		})
	}

	// The sandbox takes an edit while the registration is not under review
	// (ActionRequired, or no review), and then nothing is left to send.
	row := edit(cells{refbatch.ColContractValue: 300000.0, refbatch.ColPricingModel: "PayAsYouGo"})
	req, _, err := e.m.Register(&row, live)
	if err != nil {
		t.Fatal(err)
	}
	after := e.patch(t, req, live)
	got := decodeReferral(t, after.Raw)
	if len(got.Registrations) != 1 || float64(*got.Registrations[0].Contract.Value) != 300000 || got.Registrations[0].SolutionDetails[0].PricingModel != "PayAsYouGo" {
		t.Errorf("registrations %+v", got.Registrations)
	}
	if req, ok, err := e.m.Register(&row, e.get(t, live.ID)); ok || err != nil {
		t.Errorf("after the edit: Register = ok %v, err %v: %s", ok, err, req.Body)
	}
}

// TestMapperUpgradeLink: the link of an update row that upgrades a referral
// to Co-sell is made from the partner referral as Partner Center holds it
// (the row fills only what changes), with the row's help code and notes and
// any value its patch changed.
func TestMapperUpgradeLink(t *testing.T) {
	e := newMappingEnv(t)
	_, created := e.create(t, partnerLedCells)
	live := e.get(t, created.ID)
	row := makeRow(t, 4, cells{refbatch.ColReferralID: created.ID, refbatch.ColDealType: "Co-sell",
		refbatch.ColAssistanceRequestCode: "CustomerTechnicalArchitecture", refbatch.ColInviteNotes: "Architecture review", refbatch.ColDealValue: 70000.0})
	if !e.m.WantsLink(row) {
		t.Fatal("the row wants no link")
	}
	link, err := e.m.Link(row, live)
	if err != nil {
		t.Fatal(err)
	}
	msft, err := e.api.Create(t.Context(), partnercenter.NewClientRequestID(), link.Body)
	if err != nil {
		t.Fatalf("the sandbox refused the upgrade's link: %v\n%s", err, link.Body)
	}
	m, p := decodeReferral(t, msft.Raw), decodeReferral(t, live.Raw)
	if m.EngagementID != p.EngagementID || m.OrganizationID != partnercenter.MicrosoftOrganizationID || m.Name != p.Name ||
		m.CustomerProfile == nil || m.CustomerProfile.Name != p.CustomerProfile.Name || m.ExternalReferenceID != p.ExternalReferenceID {
		t.Errorf("Microsoft referral %+v\nof partner referral %+v", m, p)
	}
	if m.InviteContext == nil || m.InviteContext.AssistanceRequestCode != "CustomerTechnicalArchitecture" || m.InviteContext.Notes != "Architecture review" {
		t.Errorf("invite context %+v", m.InviteContext)
	}
	if m.Details == nil || m.Details.DealValue == nil || float64(*m.Details.DealValue) != 70000 || m.Details.Currency != p.Details.Currency ||
		!strings.Contains(string(link.Body), `"closingDateTime"`) {
		t.Errorf("details %+v: want the row's deal value and the referral's currency and closing date", m.Details)
	}
}
