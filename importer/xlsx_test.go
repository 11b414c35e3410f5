package importer

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
)

// writeWorkbook builds a workbook with excelize: cells maps A1 references to
// values (string, number, bool, time.Time; a time gets a date format).
func writeWorkbook(t *testing.T, path string, sheets map[string]map[string]any, date1904 bool) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	first := true
	for _, name := range sortedKeys(sheets) {
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for ref, v := range sheets[name] {
			if err := f.SetCellValue(name, ref, v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(time.Time); ok {
				f.SetCellStyle(name, ref, ref, dateStyle)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func sortedKeys(m map[string]map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	// "A-…" sorts first: tests name the first sheet so.
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// pipelineSheet has a title row, a blank row, the header on row 3 with
// aliases and an unknown header, data on rows 4 and 5, nothing on rows 6 to
// 8, and data again on row 9.
func pipelineSheet() map[string]any {
	return map[string]any{
		"A1": "Q3 pipeline (draft)",
		"A3": "CRM ID", "B3": "Opportunity Name", "C3": "deal type", "D3": "Customer", "E3": "Country", "F3": "Amount",
		"G3": "Expected Close Date", "H3": "Register Deal", "I3": "Lunch Order", "J3": "Postal Code",
		"A4": "EXT-1", "B4": "Migration", "C4": "co-sell", "D4": "Contoso", "E4": "US", "F4": 30000.5,
		"G4": time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), "H4": true, "I4": "Anna", "J4": 98052,
		"A5": "EXT-2", "B5": "Data", "C5": "PRIVATE", "D5": "Fabrikam", "E5": "DE", "F5": "$1,200",
		"G5": "4/1/2026", "H5": false, "J5": "01067",
		"A9": 1.23456789012e11, "B9": "Gap", "C9": "Partner-led", "D9": "Northwind", "E9": "GB", "F9": 7,
		"G9": 46113.0, "H9": "yes",
	}
}

func TestXLSXTitleRowGapsAndTypedCells(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipeline.xlsx")
	writeWorkbook(t, path, map[string]map[string]any{"A-Pipeline": pipelineSheet(), "B-Notes": {"A1": "x"}}, false)
	r, rows, finds := readFile(t, path, Options{})
	if len(finds) != 0 {
		t.Errorf("findings: %v", finds)
	}
	h := r.Header()
	if h.Row != 3 || h.Sheet != "A-Pipeline" || h.Written(refbatch.ColClosingDate) != "Expected Close Date" {
		t.Errorf("header row %d sheet %q", h.Row, h.Sheet)
	}
	if hf := r.HeaderFindings(); len(hf) != 1 || hf[0].Cell != "I3" || hf[0].Header != "Lunch Order" {
		t.Errorf("header findings %+v", hf)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for i, want := range []int{4, 5, 9} {
		if rows[i].Number != want {
			t.Errorf("row %d has number %d, want %d", i, rows[i].Number, want)
		}
	}
	r4, r5, r9 := rows[0], rows[1], rows[2]
	if r4.DealType != "Co-sell" || r4.DealValue != 30000.5 || !r4.ClosingDate.Equal(date(2026, 3, 31)) || !r4.RegisterDeal ||
		r4.PostalCode != "98052" || r4.Ref(refbatch.ColDealValue) != "F4" {
		t.Errorf("row 4 = %q %v %v %v %q", r4.DealType, r4.DealValue, r4.ClosingDate, r4.RegisterDeal, r4.PostalCode)
	}
	if r5.DealType != "Private" || r5.DealValue != 1200 || !r5.ClosingDate.Equal(date(2026, 4, 1)) || r5.RegisterDeal ||
		!r5.Filled.Has(refbatch.ColRegisterDeal) || r5.PostalCode != "01067" {
		t.Errorf("row 5 = %q %v %v %v %q", r5.DealType, r5.DealValue, r5.ClosingDate, r5.RegisterDeal, r5.PostalCode)
	}
	if r9.ExternalReferenceID != "123456789012" || r9.DealValue != 7 || !r9.ClosingDate.Equal(date(2026, 4, 1)) || !r9.RegisterDeal {
		t.Errorf("row 9 = %q %v %v %v", r9.ExternalReferenceID, r9.DealValue, r9.ClosingDate, r9.RegisterDeal)
	}
}

func TestXLSXDate1904(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mac.xlsx")
	writeWorkbook(t, path, map[string]map[string]any{"Sheet": {
		"A1": "Name", "B1": "Customer Name", "C1": "Closing Date", "D1": "Contract Start Date",
		"A2": "Deal", "B2": "Contoso", "C2": time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), "D2": 44650.0,
	}}, true)
	_, rows, finds := readFile(t, path, Options{})
	if len(rows) != 1 || len(finds) != 0 {
		t.Fatalf("rows %v findings %v", rows, finds)
	}
	if !rows[0].ClosingDate.Equal(date(2026, 3, 31)) {
		t.Errorf("date cell in a 1904 workbook = %v", rows[0].ClosingDate)
	}
	// Serial 44650 counts days from 1904-01-01.
	if want := date(1904, 1, 1).AddDate(0, 0, 44650); !rows[0].ContractStartDate.Equal(want) {
		t.Errorf("serial 44650 in a 1904 workbook = %v, want %v", rows[0].ContractStartDate, want)
	}
}

func TestXLSXSheetByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.xlsx")
	writeWorkbook(t, path, map[string]map[string]any{
		"A-Cover":    {"A1": "Cover page"},
		"B-Pipeline": {"A1": "Name", "B1": "Deal Type", "C1": "Customer Name", "A2": "Deal", "B2": "Private", "C2": "Contoso"},
	}, false)
	for _, name := range []string{"B-Pipeline", "b-pipeline"} {
		r, rows, _ := readFile(t, path, Options{Sheet: name})
		if r.Header().Sheet != "B-Pipeline" || len(rows) != 1 || rows[0].CustomerName != "Contoso" {
			t.Errorf("sheet %q: header %+v rows %v", name, r.Header(), rows)
		}
	}
	ie := readErr(t, path, Options{Sheet: "Pipeline"})
	if !strings.Contains(ie.Error(), `has no sheet "Pipeline"; its sheets are "A-Cover", "B-Pipeline"`) {
		t.Errorf("missing sheet: %v", ie)
	}
	// The first sheet has no header.
	if ie := readErr(t, path, Options{}); !strings.Contains(ie.Error(), "no header row") {
		t.Errorf("first sheet: %v", ie)
	}
}

func TestXLSXBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xlsx")
	writeWorkbook(t, good, map[string]map[string]any{"S": {"A1": "Name", "B1": "Deal Type", "C1": "Customer Name", "A2": "x"}}, false)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	for _, tc := range []struct {
		name string
		path string
		row  int
		col  string
		msg  string
	}{
		{"zip named csv", write("book.csv", data), 0, "", "is not CSV text: it is a zip archive"},
		{"truncated", write("truncated.xlsx", data[:len(data)/2]), 0, "", "corrupt or truncated"},
		{"not a workbook zip", write("other.xlsx", zipOf(t, map[string]string{"hello.txt": "hi"})), 0, "", "not a readable Excel workbook"},
		{"zip bomb", write("bomb.xlsx", zipBomb(t)), 0, "", "zip bomb"},
		{"legacy xls", write("old.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...)), 0, "", "legacy .xls"},
		{"empty xlsx", write("empty.xlsx", nil), 0, "", "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ie := readErr(t, tc.path, Options{})
			if ie.File != tc.path || ie.Row != tc.row || ie.Column != tc.col || !strings.Contains(ie.Error(), tc.msg) {
				t.Errorf("error %q (row %d, column %q), want row %d column %q containing %q", ie, ie.Row, ie.Column, tc.row, tc.col, tc.msg)
			}
		})
	}
}

// zipOf builds a zip archive in memory.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipBomb declares an entry of 4 GiB; only its header needs to lie, since
// the size check happens before anything is inflated.
func zipBomb(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		UncompressedSize64: 4 << 30, CompressedSize64: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{0x03, 0x00})
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXTitleRowsHandedOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "titled.xlsx")
	writeWorkbook(t, path, map[string]map[string]any{"Sheet": {
		"A1": "Q3 pipeline: Contoso EMEA", "A2": "exported 2026-06-30 from CRM", "C2": "confidential",
		"A4": "Name", "B4": "Customer Name", "C4": "Closing Date", "D4": "Deal Value",
		"A5": "Deal", "B5": "Contoso", "C5": time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "D5": 30000.0,
	}}, false)
	r, rows, _ := readFile(t, path, Options{})
	h := r.Header()
	want := []refbatch.TitleRow{
		{Number: 1, Cells: []string{"Q3 pipeline: Contoso EMEA"}},
		{Number: 2, Cells: []string{"exported 2026-06-30 from CRM", "", "confidential"}},
	}
	if h.Row != 4 || !reflect.DeepEqual(h.TitleRows, want) {
		t.Errorf("header row %d, title rows %+v", h.Row, h.TitleRows)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	f := rows[0].Finding(refbatch.ColClosingDate, refbatch.RuleDate, refbatch.SeverityError, "m")
	if f.Value != "2027-03-31" {
		t.Errorf("finding value of a date cell = %q, want 2027-03-31", f.Value)
	}
}

func TestXLSXDate1904CellValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mac.xlsx")
	writeWorkbook(t, path, map[string]map[string]any{"Sheet": {
		"A1": "Name", "B1": "Customer Name", "C1": "Closing Date",
		"A2": "Deal", "B2": "Contoso", "C2": time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC),
	}}, true)
	_, rows, _ := readFile(t, path, Options{})
	if len(rows) != 1 || len(rows[0].Cells) < 3 {
		t.Fatalf("rows %+v", rows)
	}
	// Cells hold 1900-system serials whatever the workbook's date system.
	if ct := rows[0].Cells[2]; ct.Kind != refbatch.CellDate || ct.Value != 46477 {
		t.Errorf("date cell of a 1904 workbook = %+v, want serial 46477 (1900 system)", ct)
	}
	if v := rows[0].ShownText(2); v != "2027-03-31" {
		t.Errorf("ShownText = %q", v)
	}
}
