package importer_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/importer"
)

// readAll reads every row of a fixture with the importer's defaults.
func readAll(t *testing.T, path string) (*refbatch.Header, []refbatch.Finding, []*refbatch.Row) {
	t.Helper()
	ctx := context.Background()
	r, err := importer.Open(ctx, path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	finds := append([]refbatch.Finding(nil), r.HeaderFindings()...)
	var rows []*refbatch.Row
	for {
		row, f, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		finds = append(finds, f...)
		rows = append(rows, row)
	}
	return r.Header(), finds, rows
}

// TestMicrosoftTemplates reads the fixtures laid out as Microsoft's bulk
// templates (samples/gen/mstemplates) as CSV and as a workbook: every
// header recognised, every cell format read.
func TestMicrosoftTemplates(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run("cosell"+ext, func(t *testing.T) {
			h, finds, rows := readAll(t, "../samples/ms-cosell-template"+ext)
			if len(h.Names) != 57 || h.Template != refbatch.TemplateCosell {
				t.Fatalf("%d headers, template %q", len(h.Names), h.Template)
			}
			recognised := 0
			for i := range h.Names {
				if h.Columns[i].Valid() {
					recognised++
				}
			}
			if recognised+len(h.Ignored) != 57 {
				t.Errorf("%d mapped + %d ignored of 57 headers", recognised, len(h.Ignored))
			}
			for _, f := range finds {
				t.Errorf("unexpected finding %s %s: %s", f.Cell, f.Rule, f.Message)
			}
			if len(rows) != 12 {
				t.Fatalf("%d rows", len(rows))
			}
			first := rows[0]
			if first.Action != refbatch.ActionCreate || first.DealType != refbatch.DealTypeCosell ||
				first.AssistanceRequestCode != "ProofOfConceptOrDemo" || first.SalesStage != refbatch.SalesStageQualify ||
				first.MarketplacePurchaseIntent != refbatch.IntentYes || first.DUNSID != "81466841" ||
				first.PartnerID != "1234567" || first.MarketingCampaignID != "BingSummer2027" || !first.ConsentToContact {
				t.Errorf("row 2: %+v", first)
			}
			if len(first.SolutionLines) != 2 || first.SolutionLines[0].ID != "SOL-34104-EBB" || first.SolutionLines[0].Currency != "USD" ||
				*first.SolutionLines[0].Price != 10 || *first.SolutionLines[0].Quantity != 100 || first.SolutionLines[1].Price != nil {
				t.Errorf("row 2 solutions %+v", first.SolutionLines)
			}
			if len(first.SolutionIDs) != 2 || len(first.TeamMembers) != 1 || first.TeamMembers[0].Email != "bob.partner@contoso.example" {
				t.Errorf("row 2 solution ids %v, team %+v", first.SolutionIDs, first.TeamMembers)
			}
			if d := first.ClosingDate; d.Year() != 2027 || d.Month() != 11 || d.Day() != 30 {
				t.Errorf("closing date %v", d)
			}
			if rows[1].MarketplacePurchaseIntent != refbatch.IntentHaveNotDecided || len(rows[1].TeamMembers) != 2 {
				t.Errorf("row 3: %+v", rows[1])
			}
			if rows[3].DealType != refbatch.DealTypePrivate || rows[2].DealType != refbatch.DealTypePartnerLed {
				t.Errorf("deal types %q %q", rows[3].DealType, rows[2].DealType)
			}
			lost := rows[7]
			if lost.Action != refbatch.ActionUpdate || lost.Substatus != refbatch.SubstatusLost || lost.StatusReason != "Customer chose another vendor" {
				t.Errorf("row 9: %q %q %q", lost.Action, lost.Substatus, lost.StatusReason)
			}
			if rows[9].Substatus != refbatch.SubstatusError || rows[10].DealType != refbatch.DealTypeCosell || rows[10].SalesStage != refbatch.SalesStagePropose {
				t.Errorf("rows 11, 12: %q %q %q", rows[9].Substatus, rows[10].DealType, rows[10].SalesStage)
			}
		})
		t.Run("dealreg"+ext, func(t *testing.T) {
			h, finds, rows := readAll(t, "../samples/ms-dealreg-template"+ext)
			if len(h.Names) != 24 || h.Template != refbatch.TemplateDealRegistration {
				t.Fatalf("%d headers, template %q", len(h.Names), h.Template)
			}
			mapped := 0
			for i := range h.Names {
				if h.Columns[i].Valid() {
					mapped++
				}
			}
			if mapped != 16 || len(h.Ignored) != 8 {
				t.Errorf("%d mapped, %d ignored", mapped, len(h.Ignored))
			}
			if len(finds) != 0 || len(rows) != 8 {
				t.Fatalf("%d findings (%v), %d rows", len(finds), finds, len(rows))
			}
			for _, r := range rows {
				if !r.RegisterDeal || r.Action != refbatch.ActionUpdate || r.RegistrationType != refbatch.RegistrationTypeAzureIPCoSell {
					t.Errorf("row %d: register %v, action %q", r.Number, r.RegisterDeal, r.Action)
				}
			}
			if rows[0].PricingModel != "PayAsYouGo" || rows[0].PrimaryDeploymentOn != "Customer" || rows[0].SolutionValue != 250000 {
				t.Errorf("row 2: %+v", rows[0])
			}
		})
	}
}

// TestTemplateCellErrors: a malformed numbered cell is an error on its own
// cell, a filled IoT column a warning, and a co-sell template create
// without Marketplace Purchase Intent an error.
func TestTemplateCellErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.csv")
	csv := "Deal Name,Partner Referral Status,Solution 1,Solution 2,Team member 1,CLA Number\n" +
		"Deal,New,\"SOL-1, USD, ten, 1\",\"SOL-2,a,b,c,d\",Bob,CLA-9\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	_, finds, rows := readAll(t, path)
	row := rows[0]
	got := map[string]string{}
	for _, f := range finds {
		got[f.Cell+" "+f.Rule] = string(f.Severity)
	}
	want := map[string]string{"C2 value": "error", "D2 value": "error", "E2 value": "error", "F2 header": "warning", " marketplace-intent": "error"}
	if len(finds) != len(want) {
		t.Errorf("%d findings, want %d: %v", len(finds), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if !row.Invalid.Has(refbatch.ColSolutions) || !row.Invalid.Has(refbatch.ColTeamMembers) {
		t.Errorf("invalid %v", row.Invalid.Columns())
	}
}

// TestSolutionCellCommas: the parts of a "Solution n" cell are separated by
// commas, so a thousands separator in its price cannot be read; it is an
// error on the cell, not a price of 1. A currency must be a code.
func TestSolutionCellCommas(t *testing.T) {
	for _, tc := range []struct {
		cell string
		ok   bool
	}{
		{"SOL-1, USD, 1000, 5", true},
		{"SOL-1, USD, 1000", true},
		{"SOL-1", true},
		{"SOL-1, USD, 1,000", false},
		{"SOL-1, USD, 1,000, 5", false},
		{"SOL-1, US Dollar, 10, 1", false},
		{"SOL-1, USD, 10, 2.5", false},
	} {
		path := filepath.Join(t.TempDir(), "s.csv")
		csv := "Deal Name,Partner Referral Status,Solution 1\nDeal,New,\"" + tc.cell + "\"\n"
		if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		_, finds, rows := readAll(t, path)
		bad := rows[0].Invalid.Has(refbatch.ColSolutions)
		if bad == tc.ok {
			t.Errorf("%q: invalid %v, want %v (%v)", tc.cell, bad, !tc.ok, finds)
		}
	}
}
