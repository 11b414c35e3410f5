package partnercenter_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
)

func ptr(f float64) *float64 { return &f }

// templateCells is a co-sell template row's create: the columns Microsoft's
// bulk template adds to refbatch's own (bulk-operations.md).
var templateCells = with(partnerLedCells, cells{
	refbatch.ColExternalReferenceID:       "MS-CRM-101",
	refbatch.ColMarketplacePurchaseIntent: "HaveNotDecided",
	refbatch.ColSalesStage:                "Develop",
	refbatch.ColMarketingCampaignID:       "BingSummer2027",
	refbatch.ColDUNSID:                    "081466849",
	refbatch.ColPartnerID:                 "1234567",
	refbatch.ColSolutions: []refbatch.SolutionLine{
		{ID: "SOL-34104-EBB", Currency: "USD", Price: ptr(10), Quantity: ptr(100)},
		{ID: "SOL-8163-XCJ", Currency: "EUR", Price: ptr(12.5), Quantity: ptr(40)},
		{ID: "SOL-1234-PQRS"},
	},
	refbatch.ColTeamMembers: []refbatch.Member{
		{FirstName: "Bob", LastName: "Partner", Phone: "4255550101", Email: "bob.partner@contoso.example"},
		{FirstName: "Ann", LastName: "Engineer", Phone: "4255550102", Email: "ann.engineer@contoso.example"},
	},
})

// TestMapperTemplateColumns: the template's columns in a create body and
// in update patches, each checked against its golden file, accepted by the
// sandbox and read back where the Swagger puts it.
func TestMapperTemplateColumns(t *testing.T) {
	e := newMappingEnv(t)
	row := makeRow(t, 2, templateCells)
	req, err := e.m.Create(row)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("create-template", "create-template.json"), req.Body)
	_, created := e.create(t, templateCells)
	got := decodeReferral(t, e.get(t, created.ID).Raw)

	if got.CampaignID != "BingSummer2027" {
		t.Errorf("campaignId %q", got.CampaignID)
	}
	if got.MpnID != "1234567" {
		t.Errorf("mpnId %q", got.MpnID)
	}
	if got.Details == nil || got.Details.Requirements == nil {
		t.Fatalf("details %+v", got.Details)
	}
	if got.SalesStage != "Develop" {
		t.Errorf("salesStage %q", got.SalesStage)
	}
	ar := got.Details.Requirements.AdditionalRequirements
	if ar == nil || len(ar.Attributes) != 1 || ar.Attributes[0].ID != "HaveNotDecided" || ar.Attributes[0].Type != partnercenter.AttributeCustomerMarketplaceIntent {
		t.Errorf("additionalRequirements %+v", ar)
	}
	var ids []partnercenter.CustomerID
	if err := json.Unmarshal(got.CustomerProfile.IDs, &ids); err != nil || len(ids) != 1 || ids[0] != (partnercenter.CustomerID{ProfileType: "Duns", ID: "081466849"}) {
		t.Errorf("customerProfile.ids %s (%v)", got.CustomerProfile.IDs, err)
	}
	type sol struct {
		id, cur   string
		price, qt float64
	}
	var sols []sol
	for _, s := range got.Details.Requirements.Solutions {
		x := sol{id: s.ID, cur: s.Currency}
		if s.Price != nil {
			x.price = float64(*s.Price)
		}
		if s.Quantity != nil {
			x.qt = float64(*s.Quantity)
		}
		sols = append(sols, x)
	}
	if want := []sol{{"SOL-34104-EBB", "USD", 10, 100}, {"SOL-8163-XCJ", "EUR", 12.5, 40}, {"SOL-1234-PQRS", "", 0, 0}}; !slices.Equal(sols, want) {
		t.Errorf("solutions %+v\nwant      %+v", sols, want)
	}
	var emails []string
	for _, m := range got.Team {
		emails = append(emails, m.Email)
	}
	if want := []string{"bob.partner@contoso.example", "ann.engineer@contoso.example"}; !slices.Equal(emails, want) {
		t.Errorf("team %q, want %q", emails, want)
	}
	// The referral shows everything the row says: nothing to patch.
	if req, ok, err := e.m.Patch(makeRow(t, 3, with(templateCells, cells{refbatch.ColReferralID: created.ID})), e.get(t, created.ID)); err != nil || ok {
		t.Errorf("Patch against its own creation = ok %v, err %v: %s", ok, err, req.Body)
	}

	patches := []struct {
		name   string
		update cells
		paths  []string
		check  func(t *testing.T, r partnercenter.Referral)
	}{
		{name: "patch-template-stage", update: cells{
			refbatch.ColSalesStage:                "Propose",
			refbatch.ColMarketingCampaignID:       "FallPromo2027",
			refbatch.ColMarketplacePurchaseIntent: "Yes",
			refbatch.ColTeamMembers: []refbatch.Member{
				{FirstName: "Ann", LastName: "Engineer", Email: "ANN.ENGINEER@contoso.example"}, // already there
				{FirstName: "Cy", LastName: "Seller", Phone: "4165550100", Email: "cy.seller@contoso.example"},
				{FirstName: "Di", LastName: "Architect", Email: "di.architect@contoso.example"},
			},
		}, paths: []string{"/salesStage", "/campaignId", "/details/requirements/additionalRequirements", "/team/-", "/team/-"},
			check: func(t *testing.T, r partnercenter.Referral) {
				if r.SalesStage != "Propose" || r.CampaignID != "FallPromo2027" || len(r.Team) != 4 || r.Team[3].Email != "di.architect@contoso.example" {
					t.Errorf("salesStage %q campaignId %q team %+v", r.SalesStage, r.CampaignID, r.Team)
				}
				if a := r.Details.Requirements.AdditionalRequirements.Attributes; len(a) != 1 || a[0].ID != "Yes" {
					t.Errorf("attributes %+v", a)
				}
			}},
		{name: "patch-close-reason", update: cells{
			refbatch.ColStatus:      "Closed",
			refbatch.ColSubstatus:   "Lost",
			refbatch.ColCloseReason: "3",
		}, paths: []string{"/status", "/substatus", "/statusReason"},
			check: func(t *testing.T, r partnercenter.Referral) {
				if r.Status != partnercenter.StatusClosed || r.Substatus != partnercenter.SubstatusLost || r.StatusReason != "Customer chose another vendor" {
					t.Errorf("status %s/%s reason %q", r.Status, r.Substatus, r.StatusReason)
				}
			}},
	}
	for _, tt := range patches {
		t.Run(tt.name, func(t *testing.T) {
			row := makeRow(t, 5, with(tt.update, cells{refbatch.ColReferralID: created.ID}))
			live := e.get(t, created.ID)
			req, ok, err := e.m.Patch(row, live)
			if err != nil || !ok {
				t.Fatalf("Patch = ok %v, err %v", ok, err)
			}
			var ops []partnercenter.PatchOp
			if err := json.Unmarshal(req.Body, &ops); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, op := range ops {
				paths = append(paths, op.Path)
			}
			if !slices.Equal(paths, tt.paths) {
				t.Errorf("paths %q\nwant  %q", paths, tt.paths)
			}
			golden(t, filepath.Join(tt.name, tt.name+".json"), req.Body)
			e.patch(t, req, live)
			fresh := e.get(t, created.ID)
			tt.check(t, decodeReferral(t, fresh.Raw))
			if req, ok, err := e.m.Patch(row, fresh); err != nil || ok {
				t.Errorf("Patch after applying = ok %v, err %v: %s", ok, err, req.Body)
			}
		})
	}
}
