package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/importer/xlsxtest"
)

// TestTotalRowsInEveryReport (issue 17, item 8): a sheet with a subtotal
// row between its deals and a total row below them. Every row of the file,
// the two total rows included, is in the pre-flight report (.xlsx Report
// sheet at its own row, .csv and .json with its finding) and in the results
// export, in row order, as "not loaded"; the run sends nothing for them
// and exits 0; validate, run, status and export count the same 7 rows.
// The workbook is written by xlsxtest (SUM formulas with cached values),
// not excelize; the CSV holds the same cells with the values.
func TestTotalRowsInEveryReport(t *testing.T) {
	for _, kind := range []string{"xlsx", "csv"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "pipeline."+kind)
			rows := pipelineRows(5) // header in row 1, deals in rows 2 to 6
			var subtotal, total any = 11000.0, 29000.0
			if kind == "xlsx" {
				subtotal, total = xlsxtest.Formula{F: "SUM(H2:H3)", V: 11000.0}, xlsxtest.Formula{F: "SUBTOTAL(9,H2:H7)", V: 29000.0}
			}
			rows = slices.Insert(rows, 3, []any{"Subtotal", "", "", "", "", "", "", subtotal}) // row 4
			rows = append(rows, []any{"Total", "", "", "", "", "", "", total})                 // row 8
			if kind == "xlsx" {
				if err := xlsxtest.WriteFile(input, rows, xlsxtest.Options{}); err != nil {
					t.Fatal(err)
				}
			} else {
				writePipelineCSV(t, input, rows)
			}
			checkTotalRowReports(t, dir, input)
			checkTotalRowRun(t, dir, input)
		})
	}
}

// totalRowNumbers are the total rows of TestTotalRowsInEveryReport's file.
var totalRowNumbers = map[int]bool{4: true, 8: true}

func checkTotalRowReports(t *testing.T, dir, input string) {
	t.Helper()
	for _, ext := range []string{"json", "csv", "xlsx"} {
		report := filepath.Join(dir, "report."+ext)
		code, out, errOut := refbatchCmd(t, "validate", "--today", sampleExported, "--report", report, input)
		if code != exitOK {
			t.Fatalf("validate --report %s exited %d\n%s%s", ext, code, out, errOut)
		}
		if !strings.Contains(out, "7 rows, 5 valid, 2 not loaded (total rows), 0 errors, 2 warnings") {
			t.Errorf("validate output:\n%s", out)
		}
		switch ext {
		case "json":
			var doc struct {
				Summary  refbatch.Summary
				Findings []refbatch.Finding
			}
			b, _ := os.ReadFile(report)
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if s := doc.Summary; s.Rows != 7 || s.Valid != 5 || s.NotLoaded != 2 || s.Errors != 0 || s.Warnings != 2 || s.ByRule["total-row"] != 2 {
				t.Errorf("json summary %+v", s)
			}
			if len(doc.Findings) != 2 || doc.Findings[0].Row != 4 || doc.Findings[0].Cell != "A4" || doc.Findings[1].Row != 8 || doc.Findings[1].Cell != "A8" {
				t.Errorf("json findings %+v", doc.Findings)
			}
		case "csv":
			recs := readCSVReport(t, report)
			var got []string
			for _, r := range recs[1:] {
				got = append(got, r[0]+" "+r[1]+" "+r[4])
			}
			if want := []string{"4 A4 total-row", "8 A8 total-row"}; !slices.Equal(got, want) {
				t.Errorf("csv report rows %q, want %q", got, want)
			}
		case "xlsx":
			sheet := sheetRows(t, report, "Report")
			findings := slices.Index(sheet[0], "Findings")
			if findings < 0 {
				t.Fatalf("no Findings column in %q", sheet[0])
			}
			for n := 2; n <= 8; n++ {
				r := sheet[n-1]
				note := ""
				if findings < len(r) {
					note = r[findings]
				}
				switch {
				case totalRowNumbers[n] && (r[0] != map[int]string{4: "Subtotal", 8: "Total"}[n] || !strings.Contains(note, "total row: not loaded")):
					t.Errorf("Report row %d: %q, findings %q", n, r[0], note)
				case !totalRowNumbers[n] && (r[0] != "create" || note != ""):
					t.Errorf("Report row %d: %q, findings %q", n, r[0], note)
				}
			}
		}
	}
}

func checkTotalRowRun(t *testing.T, dir, input string) {
	t.Helper()
	code, out, errOut := refbatchCmd(t, "run", "--sandbox", "--today", sampleExported, "--quiet", input)
	if code != exitOK {
		t.Fatalf("run exited %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"7 rows, 5 valid, 2 not loaded (total rows)", "7 rows: 5 created, 2 not-loaded"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	if refs := referralsIn(t, filepath.Join(dir, ".refbatch", "sandbox-state.json")); len(refs) != 5 {
		t.Errorf("%d referrals on the sandbox, want 5", len(refs))
	}
	jpath := filepath.Join(dir, ".refbatch", "sandbox.db")
	code, out, errOut = refbatchCmd(t, "status", "--journal", jpath, "--format", "json", "--rows")
	if code != exitOK {
		t.Fatalf("status exited %d: %s", code, errOut)
	}
	var statuses []batch.RunStatus
	if err := json.Unmarshal([]byte(out), &statuses); err != nil || len(statuses) != 1 {
		t.Fatalf("status: %v\n%s", err, out)
	}
	st := statuses[0]
	if st.Rows != 7 || st.Outcomes[refbatch.OutcomeCreated] != 5 || st.Outcomes[refbatch.OutcomeNotLoaded] != 2 || st.Finished == nil {
		t.Errorf("status: %d rows, %v, finished %v", st.Rows, st.Outcomes, st.Finished)
	}
	for _, r := range st.RowList {
		if totalRowNumbers[r.Row] != (r.Outcome == refbatch.OutcomeNotLoaded) || totalRowNumbers[r.Row] && (r.Error != "total row: not loaded" || r.ClientRequestID != "") {
			t.Errorf("status row %+v", r)
		}
	}

	results := filepath.Join(dir, "results.xlsx")
	code, out, errOut = refbatchCmd(t, "export", "--journal", jpath, "--out", results)
	if code != exitOK || !strings.Contains(out, "7 rows exported") {
		t.Fatalf("export exited %d\n%s%s", code, out, errOut)
	}
	sheet := sheetRows(t, results, "Results")
	outcome, errCol := slices.Index(sheet[0], "Outcome"), slices.Index(sheet[0], "Error")
	if outcome < 0 || errCol < 0 {
		t.Fatalf("Results header %q", sheet[0])
	}
	for n := 2; n <= 8; n++ {
		r := sheet[n-1]
		want, wantErr := string(refbatch.OutcomeCreated), ""
		if totalRowNumbers[n] {
			want, wantErr = string(refbatch.OutcomeNotLoaded), "total row: not loaded"
		}
		got, gotErr := cellAt(r, outcome), cellAt(r, errCol)
		if got != want || gotErr != wantErr {
			t.Errorf("Results row %d: %q %q, want %q %q", n, got, gotErr, want, wantErr)
		}
	}
	if len(sheet) != 8 {
		t.Errorf("Results sheet has %d rows, want the header and 7", len(sheet))
	}
}

func cellAt(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// sheetRows reads a sheet of a workbook refbatch wrote.
func sheetRows(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readCSVReport(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
