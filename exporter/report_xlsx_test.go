package exporter

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func cellValue(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fillColor returns the pattern fill colour of a cell, "" for none.
func fillColor(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.ToUpper(st.Fill.Color[0])
}

func TestXLSXReport(t *testing.T) {
	tc := basicCase()
	f := openXLSX(t, writeReport(t, tc, t.TempDir(), FormatXLSX))
	const sheet = SheetReport

	if got := f.GetSheetList(); strings.Join(got, ",") != "Report,Summary,Findings" {
		t.Fatalf("sheets %v", got)
	}

	t.Run("header and layout", func(t *testing.T) {
		// The header stays at its input row; Findings and Row follow it.
		want := append(append([]string{}, tc.header.Names...), FindingsHeader, RowHeader)
		for i, name := range want {
			if got := cellValue(t, f, sheet, refbatch.CellRef(i, 2)); got != name {
				t.Errorf("header %s = %q, want %q", refbatch.CellRef(i, 2), got, name)
			}
		}
		// The input has no title row: A1 stays empty; the note saying what
		// the workbook is is on the Summary sheet.
		if got := cellValue(t, f, sheet, "A1"); got != "" {
			t.Errorf("title row A1 = %q, want empty", got)
		}
		if got := cellValue(t, f, SheetSummary, "A2"); !strings.Contains(got, "Q3-pipeline.xlsx") {
			t.Errorf("Summary A2 = %q", got)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 2 || panes.TopLeftCell != "A3" {
			t.Errorf("panes %+v: header row not frozen", panes)
		}
		if w, _ := f.GetColWidth(sheet, "G"); w < 40 {
			t.Errorf("Findings column width %v", w)
		}
		// Every input cell is where it was, and the Row column says so.
		for _, in := range tc.rows {
			for i, v := range in.row.Raw {
				if got := cellValue(t, f, sheet, refbatch.CellRef(i, in.row.Number)); got != v {
					t.Errorf("%s = %q, want %q", refbatch.CellRef(i, in.row.Number), got, v)
				}
			}
			if got := cellValue(t, f, sheet, refbatch.CellRef(7, in.row.Number)); got != strconv.Itoa(in.row.Number) {
				t.Errorf("Row column of row %d = %q", in.row.Number, got)
			}
		}
		if got := cellValue(t, f, sheet, "A6"); got != "" {
			t.Errorf("blank input row 6 has %q", got)
		}
	})

	t.Run("formula-looking values are strings", func(t *testing.T) {
		for _, cell := range []string{"A5", "C5", "F5"} {
			formula, err := f.GetCellFormula(sheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			typ, _ := f.GetCellType(sheet, cell)
			if formula != "" || typ != excelize.CellTypeInlineString {
				t.Errorf("%s: formula %q, type %v; want an inline string", cell, formula, typ)
			}
		}
		if got := cellValue(t, f, sheet, "A5"); got != `=HYPERLINK("http://evil.example","click")` {
			t.Errorf("A5 = %q", got)
		}
	})

	t.Run("fills", func(t *testing.T) {
		for cell, want := range map[string]string{
			"B4": fillError,   // value error
			"D4": fillError,   // a warning and an error: the error wins
			"C5": fillError,   // enum error
			"F5": fillWarning, // contact warning
			"C7": fillError,   // required, empty cell
			"D7": fillError,
			"A4": "", "C4": "", "A3": "", "B7": "",
			"G4": fillError, "G5": fillError, "G7": fillError, // Findings column: worst severity
			"G3": "",
			"E2": fillWarning, // unknown header: highlighted like any other cell
			"A2": "D9D9D9",    // the header's own grey
		} {
			if got := fillColor(t, f, sheet, cell); got != want {
				t.Errorf("%s fill %q, want %q", cell, got, want)
			}
		}
	})

	t.Run("comments", func(t *testing.T) {
		comments, err := f.GetComments(sheet)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range comments {
			text := c.Text
			for _, p := range c.Paragraph {
				text += p.Text
			}
			if _, dup := got[c.Cell]; dup {
				t.Errorf("two comments on %s", c.Cell)
			}
			got[c.Cell] = text
			if c.Author != commentAuthor {
				t.Errorf("comment %s author %q", c.Cell, c.Author)
			}
		}
		want := map[string]string{
			"E2": `header (warning): unknown header "Favourite Colour": column ignored`,
			"B4": "value (error): Deal Value must be a positive number, got -5",
			"D4": "date (warning): Closing Date 2020-01-01 is in the past\ndealreg (error): contract dates: Closing Date before Contract Sign Date",
			"C5": "enum (error): =1+2 is not a known Currency",
			"F5": "contact (warning): -check the notes: @SUM(A1:A2)",
			"C7": "required (error): Currency is required to create a referral",
			"D7": `date (error): Closing Date "soon" is not a date`,
		}
		if len(got) != len(want) {
			t.Errorf("%d comments, want %d: %v", len(got), len(want), got)
		}
		for cell, text := range want {
			if got[cell] != text {
				t.Errorf("comment %s = %q, want %q", cell, got[cell], text)
			}
		}
	})

	t.Run("findings column", func(t *testing.T) {
		for cell, want := range map[string]string{
			"G3": "",
			"G4": "Error B4: Deal Value must be a positive number, got -5 (value)\n" +
				"Warning D4: Closing Date 2020-01-01 is in the past (date)\n" +
				"Error D4: contract dates: Closing Date before Contract Sign Date (dealreg)\n" +
				"Error: Customer Name is required to create a referral (required)",
			"G7": "Error C7: Currency is required to create a referral (required)\n" +
				"Error D7: Closing Date \"soon\" is not a date (date)\n" +
				"Warning: same External Reference ID as row 3 (duplicate)",
		} {
			if got := cellValue(t, f, sheet, cell); got != want {
				t.Errorf("%s = %q\nwant %q", cell, got, want)
			}
		}
	})

	t.Run("summary", func(t *testing.T) {
		rows, err := f.GetRows(SheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		values := map[string]string{}
		rules := map[string][]string{}
		inRules := false
		for _, r := range rows {
			if len(r) == 0 {
				continue
			}
			if r[0] == "Rule" {
				inRules = true
				continue
			}
			if inRules {
				rules[r[0]] = r[1:]
			} else if len(r) > 1 {
				values[r[0]] = r[1]
			}
		}
		s := tc.summary()
		for label, want := range map[string]int{
			"Rows": s.Rows, "Valid rows": s.Valid, "Rows with errors": s.Rows - s.Valid,
			"Errors": s.Errors, "Warnings": s.Warnings, "Header row": 2,
		} {
			if values[label] != strconv.Itoa(want) {
				t.Errorf("Summary %s = %q, want %d", label, values[label], want)
			}
		}
		if values["File"] != tc.header.File || values["Sheet"] != "Pipeline" {
			t.Errorf("Summary file/sheet = %q/%q", values["File"], values["Sheet"])
		}
		for rule, want := range map[string]string{
			"date": "1,1,2", "required": "2,0,2", "header": "0,1,1", "dealreg": "1,0,1", "duplicate": "0,1,1",
		} {
			if got := strings.Join(rules[rule], ","); got != want {
				t.Errorf("rule %s errors,warnings,total = %s, want %s", rule, got, want)
			}
		}
		if len(rules) != len(s.ByRule) {
			t.Errorf("%d rules listed, summary has %d", len(rules), len(s.ByRule))
		}
	})

	t.Run("findings sheet", func(t *testing.T) {
		rows, err := f.GetRows(SheetFindings)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows[0], ","); got != "Row,Cell,Column,Header,Rule,Severity,Message,Value" {
			t.Errorf("Findings header %q", got)
		}
		want := tc.allFindings()
		if len(rows)-1 != len(want) {
			t.Fatalf("%d finding lines, want %d", len(rows)-1, len(want))
		}
		for i, fd := range want {
			line := append(rows[i+1], make([]string, 8)...)[:8]
			exp := []string{strconv.Itoa(fd.Row), fd.Cell, fd.Column, fd.Header, fd.Rule, string(fd.Severity), fd.Message, fd.Value}
			if strings.Join(line, "|") != strings.Join(exp, "|") {
				t.Errorf("line %d = %q\nwant %q", i+2, line, exp)
			}
		}
		if formula, _ := f.GetCellFormula(SheetFindings, "H7"); formula != "" {
			t.Errorf("Findings H7 holds formula %q", formula)
		}
		if got := fillColor(t, f, SheetFindings, "F3"); got != fillError {
			t.Errorf("severity cell F3 fill %q", got)
		}
		panes, _ := f.GetPanes(SheetFindings)
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("Findings panes %+v", panes)
		}
		filters := map[string]string{}
		names := f.GetDefinedName()
		for _, n := range names {
			if n.Name == "_xlnm._FilterDatabase" {
				filters[n.Scope] = n.RefersTo
			}
		}
		if filters[SheetFindings] != "'Findings'!$A$1:$H$11" || filters[SheetReport] != "'Report'!$A$2:$H$7" {
			t.Errorf("autofilters %v", filters)
		}
	})
}

func TestXLSXReportNoFindings(t *testing.T) {
	for _, tc := range []testCase{cleanCase(), emptyCase()} {
		t.Run(tc.name, func(t *testing.T) {
			f := openXLSX(t, writeReport(t, tc, t.TempDir(), FormatXLSX))
			comments, err := f.GetComments(SheetReport)
			if err != nil || len(comments) != 0 {
				t.Errorf("comments %v, %v", comments, err)
			}
			rows, err := f.GetRows(SheetFindings)
			if err != nil || len(rows) != 1 {
				t.Errorf("Findings sheet rows %v, %v", rows, err)
			}
			if got := cellValue(t, f, SheetReport, "A1"); got != tc.header.Names[0] {
				t.Errorf("A1 = %q (header at row 1: no title row)", got)
			}
		})
	}
}

// TestXLSXReportManyComments crosses the 1024-shape blocks of the VML
// drawing and checks the rewritten parts are well-formed and complete.
func TestXLSXReportManyComments(t *testing.T) {
	h := testHeader("big.csv", 1, "Name", "Deal Value", "Currency")
	r, err := NewReport(filepath.Join(t.TempDir(), "r.xlsx"), h)
	if err != nil {
		t.Fatal(err)
	}
	var s refbatch.Summary
	const n = 2500
	for i := 2; i < n+2; i++ {
		row := newRow(h, i, "deal "+strconv.Itoa(i), "-1", "EUR")
		fs := []refbatch.Finding{row.Finding(refbatch.ColDealValue, refbatch.RuleValue, refbatch.SeverityError, fmt.Sprintf("row %d: <negative> & wrong\x01", i))}
		s.Add(fs)
		if err := r.WriteRow(row, fs); err != nil {
			t.Fatal(err)
		}
	}
	path := r.out.path
	if err := r.Close(s, nil); err != nil {
		t.Fatal(err)
	}
	f := openXLSX(t, path)
	comments, err := f.GetComments(SheetReport)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) != n {
		t.Fatalf("%d comments, want %d", len(comments), n)
	}
	last := comments[n-1]
	if last.Cell != "B"+strconv.Itoa(n+1) || !strings.Contains(last.Paragraph[0].Text, "<negative> & wrong") {
		t.Errorf("last comment %+v", last)
	}

	// The VML drawing parses, declares enough id blocks and has unique ids.
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	vml, err := zr.Open("xl/drawings/vmlDrawing1.vml")
	if err != nil {
		t.Fatal(err)
	}
	defer vml.Close()
	dec := xml.NewDecoder(vml)
	ids := map[string]bool{}
	idmap := ""
	shapes := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("VML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				switch {
				case se.Name.Local == "idmap" && a.Name.Local == "data":
					idmap = a.Value
				case se.Name.Local == "shape" && a.Name.Local == "id":
					shapes++
					if ids[a.Value] {
						t.Errorf("duplicate shape id %s", a.Value)
					}
					ids[a.Value] = true
				}
			}
		}
	}
	if shapes != n || idmap != "1,2,3" {
		t.Errorf("VML: %d shapes, idmap %q", shapes, idmap)
	}
}

// TestXLSXReportCellsRevisited has findings on several cells, then on the
// first again, in one row: the per-cell scratch grows while in use.
func TestXLSXReportCellsRevisited(t *testing.T) {
	h := testHeader("x.csv", 1, "Name", "Deal Value", "Currency", "Country")
	row := newRow(h, 2, "a", "b", "c", "d")
	var fs []refbatch.Finding
	for _, c := range []refbatch.Column{refbatch.ColName, refbatch.ColDealValue, refbatch.ColCurrency, refbatch.ColCountry, refbatch.ColName} {
		fs = append(fs, row.Finding(c, refbatch.RuleEnum, refbatch.SeverityWarning, "about "+c.String()))
	}
	tc := testCase{header: h, rows: []testInput{{row: row, findings: fs}}}
	f := openXLSX(t, writeReport(t, tc, t.TempDir(), FormatXLSX))
	comments, err := f.GetComments(SheetReport)
	if err != nil || len(comments) != 4 {
		t.Fatalf("comments %v, %v", comments, err)
	}
	if got := comments[0].Paragraph[0].Text; comments[0].Cell != "A2" || got != "enum (warning): about Name\nenum (warning): about Name" {
		t.Errorf("A2 comment %q", got)
	}
}

func TestCellColumn(t *testing.T) {
	for ref, want := range map[string]int{"A1": 0, "D7": 3, "AA10": 26, "xfd1": 16383, "": -1, "A": -1, "7": -1, "XFE1": -1} {
		if got := cellColumn(ref); got != want {
			t.Errorf("cellColumn(%q) = %d, want %d", ref, got, want)
		}
	}
}
