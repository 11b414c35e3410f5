package importer

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/importer/xlsxtest"
)

// totalRowWant is one row as Next returns it from testdata/totals.
type totalRowWant struct {
	number    int
	notLoaded bool
	findings  []string // "rule@cell", in order
}

// TestTotalRowsKept: a total row is returned in its place with NotLoaded
// set and its own total-row finding (not the next or previous row's), so
// reports list every row; a note beside it stays a finding of that row;
// a deal whose name starts with "Total" and a referral with a SUM of its
// own are referrals. The CSV is committed; the workbook has the same cells
// with SUM and SUBTOTAL formulas, written by xlsxtest (not excelize).
func TestTotalRowsKept(t *testing.T) {
	csvWant := []totalRowWant{
		{3, false, nil},
		{4, false, nil},
		{5, true, []string{"total-row@A5"}},
		{7, false, nil},
		{8, true, []string{"total-row@A8", "stray-cell@F8"}},
	}
	xlsxWant := append(append([]totalRowWant(nil), csvWant...),
		totalRowWant{9, true, []string{"total-row@E9"}}, // a SUBTOTAL formula alone
		totalRowWant{10, false, nil},                    // a referral with a SUM of its own
	)
	book := filepath.Join(t.TempDir(), "pipeline.xlsx")
	if err := xlsxtest.WriteFile(book, [][]any{
		{"Q3 pipeline"},
		{"Name", "External Reference ID", "Deal Type", "Customer Name", "Deal Value"},
		{"Total Rewards rollout", "CRM-1", "Private", "Contoso", 30000.0},
		{"Deal two", "CRM-2", "Private", "Fabrikam", 20000.0},
		{"Subtotal", nil, nil, nil, xlsxtest.Formula{F: "SUM(E3:E4)", V: 50000.0}},
		nil,
		{"Deal three", "CRM-3", "Private", "Northwind", 10000.0},
		{"Grand Total:", nil, nil, nil, xlsxtest.Formula{F: "SUM(E3:E4,E7)", V: 60000.0}, "incl. Q2 carry-over"},
		{nil, nil, nil, nil, xlsxtest.Formula{F: "SUBTOTAL(9,E3:E8)", V: 60000.0}},
		{"Deal four", "CRM-4", "Private", "Litware", xlsxtest.Formula{F: "SUM(1000,2000)", V: 3000.0}},
	}, xlsxtest.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       []totalRowWant
	}{
		{"csv", filepath.Join("testdata", "totals", "pipeline.csv"), csvWant},
		{"xlsx", book, xlsxWant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(t.Context(), tc.path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var got []totalRowWant
			for {
				row, finds, err := r.Next(t.Context())
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				g := totalRowWant{number: row.Number, notLoaded: row.NotLoaded != ""}
				if g.notLoaded && (row.NotLoaded != refbatch.NotLoadedTotal || row.NotLoadedNote() != "total row: not loaded") {
					t.Errorf("row %d: NotLoaded %q, note %q", row.Number, row.NotLoaded, row.NotLoadedNote())
				}
				for _, f := range finds {
					if f.Row != row.Number {
						t.Errorf("row %d carries a finding of row %d: %s", row.Number, f.Row, f.Message)
					}
					g.findings = append(g.findings, f.Rule+"@"+f.Cell)
				}
				got = append(got, g)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("rows %+v, want %+v", got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.number != w.number || g.notLoaded != w.notLoaded || len(g.findings) != len(w.findings) {
					t.Errorf("row %+v, want %+v", g, w)
					continue
				}
				for j := range g.findings {
					if g.findings[j] != w.findings[j] {
						t.Errorf("row %d findings %v, want %v", g.number, g.findings, w.findings)
					}
				}
			}
		})
	}
}
