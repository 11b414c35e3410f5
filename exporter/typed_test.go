package exporter

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

const (
	dateFormat     = "m/d/yyyy"
	currencyFormat = "$#,##0.00"
)

// typedInput writes an .xlsx input as a sales team's would be: a title row,
// the header in row 2, a date cell in m/d/yyyy, an amount in a currency
// format, a boolean and text that looks like a number; then reads it back
// as the importer does (the stored value, the number format of the style)
// into Rows with Cells set.
func typedInput(t *testing.T) (*refbatch.Header, []*refbatch.Row) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "typed.xlsx")
	in := excelize.NewFile()
	defer in.Close()
	const sheet = "Sheet1"
	date, amount := dateFormat, currencyFormat
	dateStyle, err := in.NewStyle(&excelize.Style{CustomNumFmt: &date})
	if err != nil {
		t.Fatal(err)
	}
	amountStyle, err := in.NewStyle(&excelize.Style{CustomNumFmt: &amount})
	if err != nil {
		t.Fatal(err)
	}
	set := func(cell string, v any, style int) {
		t.Helper()
		if err := in.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
		if style != 0 {
			if err := in.SetCellStyle(sheet, cell, cell, style); err != nil {
				t.Fatal(err)
			}
		}
	}
	set("A1", "Q3 pipeline: Contoso EMEA", 0)
	for i, h := range []string{"Name", "Deal Value", "Closing Date", "Help Needed", "Postal Code", "Favourite Colour"} {
		set(refbatch.CellRef(i, 2), h, 0)
	}
	set("A3", "Contoso cloud", 0)
	set("B3", 30000, amountStyle)
	set("C3", 46477, dateStyle) // 2027-03-31
	set("D3", true, 0)
	set("E3", "00123", 0)
	set("F3", "blue", 0)
	set("A4", "Fabrikam", 0)
	set("B4", -5, amountStyle)
	set("C4", 43831, dateStyle) // 2020-01-01
	set("D4", false, 0)
	set("E4", "98052", 0)
	if err := in.SaveAs(path); err != nil {
		t.Fatal(err)
	}

	f := openXLSX(t, path)
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	h := testHeader(path, 2, rows[1]...)
	var out []*refbatch.Row
	for r := 3; r <= len(rows); r++ {
		row := &refbatch.Row{Header: h, Number: r, Raw: rows[r-1]}
		for i := range row.Raw {
			ref := refbatch.CellRef(i, r)
			typ, err := f.GetCellType(sheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			ct := refbatch.CellType{}
			switch typ {
			case excelize.CellTypeBool:
				ct.Kind = refbatch.CellBool
				if row.Raw[i] == "1" {
					ct.Value = 1
				}
			case excelize.CellTypeNumber, excelize.CellTypeUnset:
				ct.Kind = refbatch.CellNumber
				if ct.Value, err = strconv.ParseFloat(row.Raw[i], 64); err != nil {
					t.Fatal(err)
				}
				ct.Format = numFmtOf(t, f, sheet, ref)
				if ct.Format == dateFormat {
					ct.Kind = refbatch.CellDate
				}
			}
			row.Cells = append(row.Cells, ct)
		}
		out = append(out, row)
	}
	if k := out[0].Cells[2].Kind; k != refbatch.CellDate {
		t.Fatalf("input C3 read as kind %d, not a date", k)
	}
	return h, out
}

// numFmtOf returns the number format code of a cell's style.
func numFmtOf(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	if st.NumFmt == 0 {
		return ""
	}
	return "builtin " + strconv.Itoa(st.NumFmt)
}

// typedCase is the typed input with findings: an error on the amount of row
// 4, a warning on its date, a long finding on row 3 and a warning on the
// unknown header.
func typedCase(t *testing.T) testCase {
	h, rows := typedInput(t)
	r3, r4 := rows[0], rows[1]
	const (
		E = refbatch.SeverityError
		W = refbatch.SeverityWarning
	)
	long := "Name should say what the customer buys and for whom, so that the Microsoft seller who picks the referral up understands it without opening the spreadsheet: add the product and the customer's department"
	return testCase{
		name:   "typed",
		header: h,
		extra: []refbatch.Finding{{
			Row: 2, Cell: "F2", Header: "Favourite Colour", Rule: refbatch.RuleHeader, Severity: W,
			Message: `unknown header "Favourite Colour": column ignored`, Value: "Favourite Colour",
		}},
		rows: []testInput{
			{row: r3, findings: []refbatch.Finding{r3.Finding(refbatch.ColName, "style", W, long)}},
			{row: r4, findings: []refbatch.Finding{
				r4.Finding(refbatch.ColDealValue, refbatch.RuleValue, E, "Deal Value must be a positive number"),
				r4.Finding(refbatch.ColClosingDate, refbatch.RuleDate, W, "Closing Date is in the past"),
			}},
		},
	}
}

func TestXLSXReportKeepsCellTypes(t *testing.T) {
	tc := typedCase(t)
	f := openXLSX(t, writeReport(t, tc, t.TempDir(), FormatXLSX))
	const sheet = SheetReport

	raw := func(cell string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	typ := func(cell string) excelize.CellType {
		t.Helper()
		typ, err := f.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		return typ
	}
	isNumber := func(cell string) bool {
		switch typ(cell) {
		case excelize.CellTypeNumber, excelize.CellTypeUnset:
			return raw(cell) != ""
		}
		return false
	}

	for _, c := range []struct {
		cell, format, raw, shown string
	}{
		{"B3", currencyFormat, "30000", "$30,000.00"},
		{"C3", dateFormat, "46477", "3/31/2027"},
		{"B4", currencyFormat, "-5", "-$5.00"},  // with an error
		{"C4", dateFormat, "43831", "1/1/2020"}, // with a warning
	} {
		if !isNumber(c.cell) {
			t.Errorf("%s: type %v, want a number", c.cell, typ(c.cell))
		}
		if got := numFmtOf(t, f, sheet, c.cell); got != c.format {
			t.Errorf("%s: number format %q, want %q", c.cell, got, c.format)
		}
		if got := raw(c.cell); got != c.raw {
			t.Errorf("%s: stored %q, want %q", c.cell, got, c.raw)
		}
		if got := cellValue(t, f, sheet, c.cell); got != c.shown {
			t.Errorf("%s: shown %q, want %q", c.cell, got, c.shown)
		}
	}
	for cell, want := range map[string]string{"B4": fillError, "C4": fillWarning, "B3": "", "C3": ""} {
		if got := fillColor(t, f, sheet, cell); got != want {
			t.Errorf("%s fill %q, want %q", cell, got, want)
		}
	}
	for cell, want := range map[string]string{"D3": "TRUE", "D4": "FALSE"} {
		if typ(cell) != excelize.CellTypeBool || cellValue(t, f, sheet, cell) != want {
			t.Errorf("%s: type %v value %q, want the boolean %s", cell, typ(cell), cellValue(t, f, sheet, cell), want)
		}
	}
	for _, cell := range []string{"A3", "E3", "E4"} {
		if typ(cell) != excelize.CellTypeInlineString {
			t.Errorf("%s: type %v, want text", cell, typ(cell))
		}
	}
	if got := cellValue(t, f, sheet, "E3"); got != "00123" {
		t.Errorf("E3 = %q: text that looks like a number must stay text", got)
	}

	t.Run("row heights fit the findings", func(t *testing.T) {
		for r, minLines := range map[int]int{3: 3, 4: 2} {
			text := cellValue(t, f, sheet, refbatch.CellRef(len(tc.header.Names), r))
			want := wrappedHeight(text, findingsWidth)
			got, err := f.GetRowHeight(sheet, r)
			if err != nil {
				t.Fatal(err)
			}
			if got != want || got < float64(minLines*lineHeight) {
				t.Errorf("row %d height %v, want %v (at least %d lines) for %q", r, got, want, minLines, text)
			}
		}
		// The taller rows' cells align to the top, typed or not.
		for _, cell := range []string{"A3", "B3", "C3", "C4"} {
			id, _ := f.GetCellStyle(sheet, cell)
			st, _ := f.GetStyle(id)
			if st.Alignment == nil || st.Alignment.Vertical != "top" {
				t.Errorf("%s not aligned to the top", cell)
			}
		}
	})

	t.Run("header cell with a finding is highlighted", func(t *testing.T) {
		if got := fillColor(t, f, sheet, "F2"); got != fillWarning {
			t.Errorf("unknown header F2 fill %q, want %q", got, fillWarning)
		}
		id, _ := f.GetCellStyle(sheet, "F2")
		if st, _ := f.GetStyle(id); st.Font == nil || !st.Font.Bold {
			t.Error("F2 lost the header's bold font")
		}
		if got := cellValue(t, f, sheet, "F2"); got != "Favourite Colour" {
			t.Errorf("F2 = %q", got)
		}
		if got := fillColor(t, f, sheet, "E2"); got != "D9D9D9" {
			t.Errorf("header E2 fill %q, want the header's grey", got)
		}
		comments, err := f.GetComments(sheet)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range comments {
			found = found || c.Cell == "F2"
		}
		if !found {
			t.Error("no comment on F2")
		}
	})

	t.Run("title rows are not hidden", func(t *testing.T) {
		if visible, err := f.GetRowVisible(sheet, 1); err != nil || !visible {
			t.Errorf("row 1 visible=%v, %v", visible, err)
		}
	})

	t.Run("findings sheet shows the date", func(t *testing.T) {
		rows, err := f.GetRows(SheetFindings)
		if err != nil {
			t.Fatal(err)
		}
		values := map[string]string{}
		for _, r := range rows[1:] {
			values[r[1]] = r[7]
		}
		if values["C4"] != "1/1/2020" || values["B4"] != "-$5.00" {
			t.Errorf("Findings values %v", values)
		}
	})
}

// TestTextReportValuesAsDisplayed: the .csv and .json reports give a typed
// cell's value as the spreadsheet displays it, not its serial.
func TestTextReportValuesAsDisplayed(t *testing.T) {
	tc := typedCase(t)
	dir := t.TempDir()

	b, err := os.ReadFile(writeReport(t, tc, dir, FormatJSON))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []refbatch.Finding `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.Cell] = f.Value
	}
	want := map[string]string{"F2": "Favourite Colour", "A3": "Contoso cloud", "B4": "-$5.00", "C4": "1/1/2020"}
	for cell, v := range want {
		if got[cell] != v {
			t.Errorf("json value of %s = %q, want %q", cell, got[cell], v)
		}
	}

	b, err = os.ReadFile(writeReport(t, tc, dir, FormatCSV))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		if w, ok := want[rec[1]]; ok && NeutralizeCSV(w) != rec[7] {
			t.Errorf("csv value of %s = %q, want %q", rec[1], rec[7], NeutralizeCSV(w))
		}
	}
	// The caller's findings keep their value (Row.Finding's ISO date).
	if v := tc.rows[1].findings[1].Value; v != "2020-01-01" {
		t.Errorf("the caller's finding was changed: %q", v)
	}
}

func TestResultsKeepCellTypes(t *testing.T) {
	h, rows := typedInput(t)
	dir := t.TempDir()
	write := func(ext string) string {
		path := filepath.Join(dir, "results"+ext)
		r, err := NewResults(path, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if err := r.WriteRow(row, RowResult{Outcome: refbatch.OutcomeCreated, ReferralID: "id"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(nil); err != nil {
			t.Fatal(err)
		}
		return path
	}

	f := openXLSX(t, write(FormatXLSX))
	for cell, format := range map[string]string{"B3": currencyFormat, "C3": dateFormat} {
		if got := numFmtOf(t, f, SheetResults, cell); got != format {
			t.Errorf("results %s format %q, want %q", cell, got, format)
		}
	}
	if got := cellValue(t, f, SheetResults, "C3"); got != "3/31/2027" {
		t.Errorf("results C3 = %q", got)
	}

	b, err := os.ReadFile(write(FormatCSV))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n")
	if want := "Contoso cloud,30000,3/31/2027,TRUE,00123,blue,created,id,,,,,,"; lines[1] != want {
		t.Errorf("csv row 3 = %q\nwant %q", lines[1], want)
	}

	b, err = os.ReadFile(write(FormatJSON))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Closing Date":"1/1/2020"`) || !strings.Contains(string(b), `"Deal Value":"-5"`) {
		t.Errorf("json results:\n%s", b)
	}
	// The rows the caller handed over are unchanged.
	if rows[0].Raw[2] != "46477" {
		t.Errorf("row 3's Raw was changed: %q", rows[0].Raw[2])
	}
}

// TestCellsShorterThanRaw: a Cells slice shorter than Raw, or a typed
// cell that is blank, falls back to text.
func TestCellsShorterThanRaw(t *testing.T) {
	h := testHeader("x.xlsx", 1, "Name", "Deal Value", "Closing Date")
	row := newRow(h, 2, "a", "12.5", "46477")
	row.Cells = []refbatch.CellType{{}, {Kind: refbatch.CellNumber, Value: 12.5}}
	blank := newRow(h, 3, "b", "", "")
	blank.Cells = []refbatch.CellType{{}, {Kind: refbatch.CellNumber, Value: 0, Format: currencyFormat}}
	tc := testCase{header: h, rows: []testInput{{row: row}, {row: blank}}}
	f := openXLSX(t, writeReport(t, tc, t.TempDir(), FormatXLSX))
	if typ, _ := f.GetCellType(SheetReport, "C2"); typ != excelize.CellTypeInlineString {
		t.Errorf("C2 (no CellType) type %v, want text", typ)
	}
	if got := cellValue(t, f, SheetReport, "B2"); got != "12.5" {
		t.Errorf("B2 = %q", got)
	}
	if typ, _ := f.GetCellType(SheetReport, "B2"); typ == excelize.CellTypeInlineString {
		t.Error("B2 (a number) written as text")
	}
	if got := cellValue(t, f, SheetReport, "B3"); got != "" {
		t.Errorf("blank B3 = %q", got)
	}
}

func TestWrappedLines(t *testing.T) {
	for _, c := range []struct {
		text  string
		width int
		want  int
	}{
		{"", 10, 1},
		{"short", 10, 1},
		{"exactly 10", 10, 1},
		{"exactly 10!", 10, 2},
		{"one two three four", 10, 2}, // "one two" / "three four"
		{"a\nb\nc", 10, 3},
		{strings.Repeat("x", 25), 10, 3},
		{"ab " + strings.Repeat("x", 25), 10, 4},
		{"日本語日本語", 10, 2}, // wide: 12 columns
	} {
		if got := wrappedLines(c.text, c.width); got != c.want {
			t.Errorf("wrappedLines(%q, %d) = %d, want %d", c.text, c.width, got, c.want)
		}
	}
	if h := wrappedHeight("one line", 70); h != 0 {
		t.Errorf("one line: height %v, want 0 (the default)", h)
	}
	if h := wrappedHeight(strings.Repeat("line\n", 100), 70); h != maxRowHeight {
		t.Errorf("100 lines: height %v, want the maximum %v", h, float64(maxRowHeight))
	}
}

func TestPatchCellStyles(t *testing.T) {
	row := `<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>a &lt;c r="B2"</t></is></c><c r="B2" t="inlineStr"><is><t>b</t></is></c><c r="C2"/><c r="D2" s="3"/></row>`
	var out bytes.Buffer
	patchCellStyles(&out, []byte(row), map[int]int{1: 9, 2: 8, 3: 7})
	want := `<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>a &lt;c r="B2"</t></is></c><c r="B2" t="inlineStr" s="9"><is><t>b</t></is></c><c r="C2" s="8"/><c r="D2" s="7"/></row>`
	if out.String() != want {
		t.Errorf("got  %s\nwant %s", out.String(), want)
	}
}
