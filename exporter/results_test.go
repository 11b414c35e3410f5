package exporter

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// resultsInput is one input row and what the run did with it.
type resultsInput struct {
	row *refbatch.Row
	res RowResult
}

// resultsCase has its header in row 4 under three title rows, a blank row
// skipped (6), a row shorter than the header, a header given twice and
// values that look like formulas in input cells and in results.
func resultsCase() (*refbatch.Header, []resultsInput) {
	h := testHeader("in/Q3-pipeline.xlsx", 4, "External Reference ID", "Name", "Deal Value", "Currency", "Notes", "Notes")
	return h, []resultsInput{
		{newRow(h, 5, "EXT-1", "Contoso cloud", "30000", "USD", "first", "dup"), RowResult{
			Outcome: refbatch.OutcomeCreated, ReferralID: "3f1c2b7e-0000-4000-8000-000000000001",
			EngagementID: "9a8b7c6d-0000-4000-8000-000000000001", ClientRequestID: "c1d2e3f4-0000-4000-8000-000000000001",
		}},
		{newRow(h, 7, "EXT-2", `=cmd|' /C calc'!A0`, "1000", "+1+2", "@SUM(A1:A2)", ""), RowResult{
			Outcome: refbatch.OutcomeFailed, Error: "-409 Conflict: =already exists", ClientRequestID: "c1d2e3f4-0000-4000-8000-000000000002",
		}},
		{newRow(h, 8, "EXT-3", "Fabrikam", "-5"), RowResult{
			Outcome: refbatch.OutcomeSkippedInvalid, Error: "Deal Value must be a positive number",
		}},
		{newRow(h, 9, "EXT-4", "Northwind", "25000", "EUR", "co-sell"), RowResult{
			Outcome: refbatch.OutcomeLinked, ReferralID: "3f1c2b7e-0000-4000-8000-000000000004",
			EngagementID: "9a8b7c6d-0000-4000-8000-000000000004", MicrosoftReferralID: "5e5e5e5e-0000-4000-8000-000000000004",
		}},
		{newRow(h, 10, "EXT-5", "Litware", "1", "USD"), RowResult{
			Outcome: refbatch.OutcomeInDoubt, Error: "no answer after the create was sent",
		}},
	}
}

// writeResults writes resultsCase to dir/results<ext> and returns the path.
func writeResults(t testing.TB, dir, ext string, summary map[refbatch.Outcome]int) string {
	t.Helper()
	h, rows := resultsCase()
	path := filepath.Join(dir, "results"+ext)
	r, err := NewResults(path, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range rows {
		if err := r.WriteRow(in.row, in.res); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(summary); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResultsXLSX(t *testing.T) {
	h, rows := resultsCase()
	f := openXLSX(t, writeResults(t, t.TempDir(), FormatXLSX, nil))
	const sheet = SheetResults
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetResults, SheetSummary}) {
		t.Fatalf("sheets %v", got)
	}

	t.Run("header at its row, result columns right of it", func(t *testing.T) {
		want := append(slices.Clone(h.Names), resultHeaders[:]...)
		for i, name := range want {
			if got := cellValue(t, f, sheet, refbatch.CellRef(i, 4)); got != name {
				t.Errorf("%s = %q, want %q", refbatch.CellRef(i, 4), got, name)
			}
		}
		if got := cellValue(t, f, sheet, "G4"); got != OutcomeHeader {
			t.Errorf("G4 = %q: Outcome must follow the last input column F", got)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 4 || panes.TopLeftCell != "A5" {
			t.Errorf("panes %+v: header row not frozen", panes)
		}
	})

	t.Run("title rows as in the report", func(t *testing.T) {
		if got := cellValue(t, f, SheetSummary, "A2"); !strings.Contains(got, "Q3-pipeline.xlsx") || !strings.Contains(got, "G to N") {
			t.Errorf("Summary A2 = %q", got)
		}
		// Blank in the input (no TitleRows), so empty, but not hidden:
		// they are the user's rows.
		for _, r := range []int{2, 3} {
			if visible, err := f.GetRowVisible(sheet, r); err != nil || !visible {
				t.Errorf("title row %d visible=%v, %v; want visible", r, visible, err)
			}
		}
	})

	t.Run("every cell at its input address", func(t *testing.T) {
		for _, in := range rows {
			for i := range h.Names {
				want := ""
				if i < len(in.row.Raw) {
					want = in.row.Raw[i]
				}
				if got := cellValue(t, f, sheet, refbatch.CellRef(i, in.row.Number)); got != want {
					t.Errorf("%s = %q, want %q", refbatch.CellRef(i, in.row.Number), got, want)
				}
			}
			for i, want := range in.res.fields() {
				ref := refbatch.CellRef(len(h.Names)+i, in.row.Number)
				if got := cellValue(t, f, sheet, ref); got != want {
					t.Errorf("%s = %q, want %q", ref, got, want)
				}
			}
		}
		got, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 || len(got[5]) != 0 {
			t.Errorf("%d rows, row 6 %q: want 10 rows and row 6 empty", len(got), got[5])
		}
	})

	t.Run("formulas stay text", func(t *testing.T) {
		for _, ref := range []string{"B7", "D7", "E7", "K7"} {
			formula, err := f.GetCellFormula(sheet, ref)
			if err != nil || formula != "" {
				t.Errorf("%s has formula %q, %v", ref, formula, err)
			}
			if typ, err := f.GetCellType(sheet, ref); err != nil || typ != excelize.CellTypeInlineString {
				t.Errorf("%s type %v, %v; want an inline string", ref, typ, err)
			}
		}
	})

	t.Run("outcome colours", func(t *testing.T) {
		for ref, want := range map[string]string{
			"G5": fillGood, "G7": fillError, "G8": fillWarning, "G9": fillGood, "G10": fillWarning, "H5": "",
		} {
			if got := fillColor(t, f, sheet, ref); got != want {
				t.Errorf("%s fill %q, want %q", ref, got, want)
			}
		}
	})

	t.Run("summary", func(t *testing.T) {
		got, err := f.GetRows(SheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]string{}
		for _, line := range got {
			if len(line) == 2 {
				counts[line[0]] = line[1]
			}
		}
		for k, want := range map[string]string{
			"File": "in/Q3-pipeline.xlsx", "Sheet": "Pipeline", "Header row": "4", "Rows": "5",
			"created": "1", "linked": "1", "failed": "1", "skipped-invalid": "1", "in-doubt": "1", "updated": "0",
		} {
			if counts[k] != want {
				t.Errorf("summary %s = %q, want %q", k, counts[k], want)
			}
		}
	})
}

func TestResultsTextGolden(t *testing.T) {
	for _, ext := range []string{FormatJSON, FormatCSV} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			got, err := os.ReadFile(writeResults(t, dir, ext, nil))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, got, filepath.Join("testdata", "results", "results"+ext))
			if names := dirNames(t, dir); !slices.Equal(names, []string{"results" + ext}) {
				t.Errorf("directory holds %v, want only the export", names)
			}
		})
	}
}

func TestResultsCSV(t *testing.T) {
	h, rows := resultsCase()
	data, err := os.ReadFile(writeResults(t, t.TempDir(), FormatCSV, nil))
	if err != nil {
		t.Fatal(err)
	}
	text, ok := strings.CutPrefix(string(data), "\ufeff")
	if !ok {
		t.Error("no byte order mark")
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(h.Names), resultHeaders[:]...); !slices.Equal(recs[0], want) {
		t.Errorf("head %q, want %q", recs[0], want)
	}
	if len(recs) != len(rows)+1 {
		t.Fatalf("%d lines, want %d", len(recs), len(rows)+1)
	}
	for i, rec := range recs {
		if len(rec) != len(h.Names)+len(resultHeaders) {
			t.Errorf("line %d has %d fields", i+1, len(rec))
		}
		for _, field := range rec {
			if field != "" && strings.ContainsRune("=+-@\t\r", rune(field[0])) {
				t.Errorf("line %d: field %q not neutralised", i+1, field)
			}
		}
	}
	if got := recs[2]; got[1] != `'=cmd|' /C calc'!A0` || got[len(h.Names)+4] != "'-409 Conflict: =already exists" {
		t.Errorf("row 7 = %q", got)
	}
	if got := recs[4][len(h.Names)+3]; got != rows[3].res.MicrosoftReferralID {
		t.Errorf("Microsoft Referral ID %q", got)
	}
}

func TestResultsJSON(t *testing.T) {
	h, rows := resultsCase()
	var got struct {
		Summary map[string]int `json:"summary"`
		Rows    []struct {
			Row                 int               `json:"row"`
			Outcome             string            `json:"outcome"`
			ReferralID          string            `json:"referralId"`
			EngagementID        string            `json:"engagementId"`
			MicrosoftReferralID string            `json:"microsoftReferralId"`
			Error               string            `json:"error"`
			ClientRequestID     string            `json:"clientRequestId"`
			Cells               map[string]string `json:"cells"`
		} `json:"rows"`
	}
	// A summary given to Close wins over the rows written: an export may
	// hold only some of a run's rows.
	summary := map[refbatch.Outcome]int{refbatch.OutcomeCreated: 40, refbatch.OutcomeFailed: 2, "exotic": 1}
	data, err := os.ReadFile(writeResults(t, t.TempDir(), FormatJSON, summary))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Summary["created"] != 40 || got.Summary["failed"] != 2 || got.Summary["exotic"] != 1 || got.Summary["linked"] != 0 || len(got.Summary) != len(refbatch.Outcomes())+1 {
		t.Errorf("summary %v", got.Summary)
	}
	if len(got.Rows) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got.Rows), len(rows))
	}
	for i, in := range rows {
		g := got.Rows[i]
		if g.Row != in.row.Number || g.Outcome != string(in.res.Outcome) || g.ReferralID != in.res.ReferralID ||
			g.EngagementID != in.res.EngagementID || g.MicrosoftReferralID != in.res.MicrosoftReferralID ||
			g.Error != in.res.Error || g.ClientRequestID != in.res.ClientRequestID {
			t.Errorf("row %d: %+v", in.row.Number, g)
		}
		if len(g.Cells) != len(h.Names) {
			t.Errorf("row %d: %d cells, want %d", in.row.Number, len(g.Cells), len(h.Names))
		}
	}
	// JSON is not a spreadsheet: values are as read; the second "Notes" is
	// keyed by its column letter.
	if c := got.Rows[1].Cells; c["Name"] != `=cmd|' /C calc'!A0` || c["Notes"] != "@SUM(A1:A2)" {
		t.Errorf("row 7 cells %v", c)
	}
	if c := got.Rows[0].Cells; c["F"] != "dup" || c["Notes"] != "first" {
		t.Errorf("row 5 cells %v", c)
	}
}

func TestCellKeys(t *testing.T) {
	h := testHeader("x", 1, "B", "", "Name", "", "Name", "D", " ")
	want := []string{"B", "Column B", "Name", "D", "E", "F", "G"}
	if got := cellKeys(h); !slices.Equal(got, want) {
		t.Errorf("cellKeys = %q, want %q", got, want)
	}
}

func TestResultsFileMode(t *testing.T) {
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		t.Run(ext, func(t *testing.T) {
			fi, err := os.Stat(writeResults(t, t.TempDir(), ext, nil))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}

func TestResultsAbortLeavesNothing(t *testing.T) {
	h, rows := resultsCase()
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		t.Run(ext, func(t *testing.T) {
			for _, old := range []bool{false, true} {
				dir := t.TempDir()
				path := filepath.Join(dir, "results"+ext)
				if old {
					// An older export at the path survives an aborted new one.
					if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				r, err := NewResults(path, h)
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range rows {
					if err := r.WriteRow(in.row, in.res); err != nil {
						t.Fatal(err)
					}
				}
				if err := r.Abort(); err != nil {
					t.Fatal(err)
				}
				if err := r.Abort(); err != nil {
					t.Errorf("second Abort: %v", err)
				}
				if err := r.Close(nil); err == nil {
					t.Error("Close after Abort succeeded")
				}
				var want []string
				if old {
					want = []string{"results" + ext}
				}
				if names := dirNames(t, dir); !slices.Equal(names, want) {
					t.Errorf("directory holds %v, want %v", names, want)
				}
				if data, err := os.ReadFile(path); old && string(data) != "old" {
					t.Errorf("old export replaced by %q, %v", data, err)
				}
			}
		})
	}
}

func TestResultsRowsInFileOrder(t *testing.T) {
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			h := testHeader("x", 3, "Name")
			r, err := NewResults(filepath.Join(dir, "r"+ext), h)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.WriteRow(newRow(h, 5, "x"), RowResult{Outcome: refbatch.OutcomeCreated}); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteRow(newRow(h, 4, "y"), RowResult{}); err == nil {
				t.Error("row 4 after row 5 accepted")
			}
			// A failed write aborts: nothing is left.
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("after a failed WriteRow the directory holds %v", names)
			}
			if err := r.WriteRow(newRow(h, 6, "z"), RowResult{}); err == nil {
				t.Error("WriteRow after a failure succeeded")
			}
			if err := r.Close(nil); err == nil {
				t.Error("Close after a failure succeeded")
			}
		})
	}
}

func TestResultsFormat(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"out.xls", "out"} {
		if _, err := ResultsFormat(p); !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), "results") {
			t.Errorf("ResultsFormat(%q): %v", p, err)
		}
		if _, err := NewResults(filepath.Join(dir, p), testHeader("x", 1, "Name")); !errors.Is(err, refbatch.ErrUsage) {
			t.Errorf("NewResults(%q): %v, want a usage error", p, err)
		}
	}
	if _, err := NewResults(filepath.Join(dir, "r.csv"), nil); err == nil {
		t.Error("NewResults without a header succeeded")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("left %v", names)
	}
}

// TestResultsCellsBeyondHeader: the importer refuses such rows, but a cell
// without a header is kept, after the result columns, rather than dropped.
func TestResultsCellsBeyondHeader(t *testing.T) {
	h := testHeader("x", 1, "Name")
	dir := t.TempDir()
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		r, err := NewResults(filepath.Join(dir, "r"+ext), h)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.WriteRow(newRow(h, 2, "A", "stray"), RowResult{Outcome: refbatch.OutcomeCreated}); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(nil); err != nil {
			t.Fatal(err)
		}
	}
	f := openXLSX(t, filepath.Join(dir, "r.xlsx"))
	if got := cellValue(t, f, SheetResults, "J2"); got != "stray" {
		t.Errorf("J2 = %q, want the stray cell after the eight result columns", got)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "r.csv"))
	if !strings.HasSuffix(string(data), "A,created,,,,,,,,stray\n") {
		t.Errorf("csv %q", data)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "r.json"))
	if !strings.Contains(string(data), `"cells":{"Name":"A","B":"stray"}`) {
		t.Errorf("json %s", data)
	}
}
