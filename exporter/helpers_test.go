package exporter

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/refbatch/refbatch"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testHeader builds a Header as the importer would: canonical columns found
// by name, unknown headers left zero.
func testHeader(file string, row int, names ...string) *refbatch.Header {
	h := refbatch.NewHeader(file, "Pipeline", row, names)
	for i, n := range names {
		if c, ok := refbatch.ColumnByName(n); ok {
			h.Index[c] = i
			h.Columns[i] = c
		}
	}
	return h
}

// testInput is one data row and its findings.
type testInput struct {
	row      *refbatch.Row
	findings []refbatch.Finding
}

// testCase is a whole input: header, rows, header findings.
type testCase struct {
	name   string
	header *refbatch.Header
	rows   []testInput
	extra  []refbatch.Finding
}

func (tc testCase) summary() refbatch.Summary {
	var s refbatch.Summary
	for _, in := range tc.rows {
		s.Add(in.findings)
	}
	for _, f := range tc.extra {
		s.Count(f)
	}
	return s
}

// allFindings lists the findings in report order: header ones first.
func (tc testCase) allFindings() []refbatch.Finding {
	out := append([]refbatch.Finding(nil), tc.extra...)
	for _, in := range tc.rows {
		out = append(out, in.findings...)
	}
	return out
}

func newRow(h *refbatch.Header, number int, raw ...string) *refbatch.Row {
	return &refbatch.Row{Header: h, Number: number, Raw: raw}
}

// basicCase has a title row above the header (row 2), an unknown header, a
// blank row skipped (6), errors and warnings, a cell with both, a finding on
// an absent column, a whole-row finding and values that look like formulas.
func basicCase() testCase {
	h := testHeader("in/Q3-pipeline.xlsx", 2, "Name", "Amount", "Currency", "Close Date", "Favourite Colour", "Notes")
	r3 := newRow(h, 3, "Contoso cloud", "30000", "USD", "2026-03-31", "blue", "")
	r4 := newRow(h, 4, "Fabrikam", "-5", "usd", "2020-01-01", "", "multi\nline")
	r5 := newRow(h, 5, `=HYPERLINK("http://evil.example","click")`, "1000", "=1+2", "2026-12-31", "", "@SUM(A1:A2)")
	r7 := newRow(h, 7, "Northwind", "25000", "", "soon")
	const (
		E = refbatch.SeverityError
		W = refbatch.SeverityWarning
	)
	return testCase{
		name:   "basic",
		header: h,
		extra: []refbatch.Finding{{
			Row: 2, Cell: "E2", Header: "Favourite Colour", Rule: refbatch.RuleHeader, Severity: W,
			Message: `unknown header "Favourite Colour": column ignored`, Value: "Favourite Colour",
		}},
		rows: []testInput{
			{row: r3},
			{row: r4, findings: []refbatch.Finding{
				r4.Finding(refbatch.ColDealValue, refbatch.RuleValue, E, "Deal Value must be a positive number, got -5"),
				r4.Finding(refbatch.ColClosingDate, refbatch.RuleDate, W, "Closing Date 2020-01-01 is in the past"),
				r4.Finding(refbatch.ColClosingDate, refbatch.RuleDealReg, E, "contract dates: Closing Date before Contract Sign Date"),
				r4.Finding(refbatch.ColCustomerName, refbatch.RuleRequired, E, "Customer Name is required to create a referral"),
			}},
			{row: r5, findings: []refbatch.Finding{
				r5.Finding(refbatch.ColCurrency, refbatch.RuleEnum, E, `=1+2 is not a known Currency`),
				r5.Finding(refbatch.ColNotes, refbatch.RuleContact, W, "-check the notes: @SUM(A1:A2)"),
			}},
			{row: r7, findings: []refbatch.Finding{
				r7.Finding(refbatch.ColCurrency, refbatch.RuleRequired, E, "Currency is required to create a referral"),
				r7.Finding(refbatch.ColClosingDate, refbatch.RuleDate, E, `Closing Date "soon" is not a date`),
				r7.Finding(0, refbatch.RuleDuplicate, W, "same External Reference ID as row 3"),
			}},
		},
	}
}

func cleanCase() testCase {
	h := testHeader("in/clean.csv", 1, "Name", "Deal Value")
	return testCase{name: "clean", header: h, rows: []testInput{
		{row: newRow(h, 2, "A", "1")}, {row: newRow(h, 3, "B", "2")},
	}}
}

func emptyCase() testCase {
	return testCase{name: "empty", header: testHeader("in/empty.csv", 1, "Name")}
}

// writeReport writes tc to dir/report<ext> and returns the path.
func writeReport(t testing.TB, tc testCase, dir, ext string) string {
	t.Helper()
	path := filepath.Join(dir, "report"+ext)
	r, err := NewReport(path, tc.header)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range tc.rows {
		if err := r.WriteRow(in.row, in.findings); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(tc.summary(), tc.extra); err != nil {
		t.Fatal(err)
	}
	return path
}

// dirNames lists a directory, to prove no temporary file is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkGolden compares got with the golden file, rewriting it under -update.
func checkGolden(t *testing.T, got []byte, golden string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if intended):\n%s", golden, got)
	}
}
