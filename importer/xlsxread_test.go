package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"flag"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/importer/xlsxtest"
)

var writeFixtures = flag.Bool("fixtures", false, "rewrite the damaged workbooks under testdata/damaged")

var pipelineHeader = []any{"External Reference ID", "Name", "Deal Type", "Customer Name", "Country", "Deal Value", "Currency", "Closing Date"}

// pipelineBook returns a header and n rows with shared strings, numbers
// and date cells.
func pipelineBook(n int) [][]any {
	rows := [][]any{pipelineHeader}
	for i := range n {
		rows = append(rows, []any{"CRM-" + strconv.Itoa(1000+i), "Deal " + strconv.Itoa(i), "Private", "Contoso Ltd", "US",
			float64(30000 + i), "USD", time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)})
	}
	return rows
}

// damagedBooks builds the damaged workbooks of issue 7 from a 1,000-row
// book: each must end in one error naming the file and the last good row.
func damagedBooks(t testing.TB) map[string][]byte {
	t.Helper()
	good := xlsxtest.Bytes(pipelineBook(1000), xlsxtest.Options{})
	part := xlsxtest.SheetPart(xlsxtest.Options{})
	cutAt := func(marker string) func([]byte) []byte {
		return func(b []byte) []byte {
			i := bytes.Index(b, []byte(marker))
			if i < 0 {
				t.Fatalf("no %q", marker)
			}
			return b[:i]
		}
	}
	out := map[string][]byte{
		"cut-at-row.xlsx": xlsxtest.Rezip(good, part, cutAt(`<row r="502"`)),
		"cut-mid-tag.xlsx": xlsxtest.Rezip(good, part, func(b []byte) []byte {
			i := bytes.Index(b, []byte(`<row r="502"`))
			return b[:i+20]
		}),
		"garbage.xlsx": xlsxtest.Rezip(good, part, func(b []byte) []byte {
			i := bytes.Index(b, []byte(`<row r="502"`))
			return append(append(append([]byte(nil), b[:i]...), "\x00\xff<<garbage>>;"...), b[i+40:]...)
		}),
		"ampersand.xlsx": xlsxtest.Rezip(good, part, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`<v>30500</v>`), []byte(`<v>30500 & more</v>`), 1)
		}),
		"bad-crc.xlsx":    flipSheetByte(t, good, part),
		"lying-size.xlsx": lyingSize(t, good, part),
	}
	return out
}

// flipSheetByte flips one byte in the middle of the sheet's compressed
// data: a checksum (or inflate) error at the end.
func flipSheetByte(t testing.TB, book []byte, part string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == part {
			off, err := f.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			out := bytes.Clone(book)
			out[off+int64(f.CompressedSize64)*3/4] ^= 0x10
			return out
		}
	}
	t.Fatal("no sheet")
	return nil
}

// lyingSize rewrites the sheet's entry with a stated size smaller than its
// content, as a zip bomb does.
func lyingSize(t testing.TB, book []byte, part string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name != part {
			w, _ := zw.Create(f.Name)
			w.Write(body)
			continue
		}
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
		fw.Write(body)
		fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(len(body) / 2)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	zw.Close()
	return buf.Bytes()
}

// TestDamagedWorkbooks: every damaged workbook ends in one error naming
// the file and the last row read whole; no read ends as if complete.
func TestDamagedWorkbooks(t *testing.T) {
	books := damagedBooks(t)
	dir := filepath.Join("testdata", "damaged")
	if *writeFixtures {
		os.MkdirAll(dir, 0o755)
		for name, b := range books {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	fixtures, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
	if len(fixtures) < len(books) {
		t.Errorf("%d fixtures in %s, want %d (go test ./importer -run DamagedWorkbooks -fixtures)", len(fixtures), dir, len(books))
	}
	tmp := t.TempDir()
	for name, b := range books {
		path := filepath.Join(tmp, name)
		os.WriteFile(path, b, 0o600)
		fixtures = append(fixtures, path)
	}
	for _, path := range fixtures {
		t.Run(path, func(t *testing.T) {
			r, err := Open(context.Background(), path, Options{})
			n := 0
			if err == nil {
				defer r.Close()
				for {
					var row *refbatch.Row
					row, _, err = r.Next(context.Background())
					if err != nil {
						break
					}
					n++
					_ = row
				}
			}
			if err == io.EOF || err == nil {
				t.Fatalf("read %d rows without error", n)
			}
			var ie *refbatch.InputError
			if !errors.As(err, &ie) || ie.File != path {
				t.Fatalf("error %v is not an InputError naming the file", err)
			}
			if !strings.Contains(err.Error(), "last row read whole") && !strings.Contains(err.Error(), "no row was read") && ie.Row == 0 {
				t.Errorf("error %q does not name the last good row", err)
			}
			// Asking again gives the same error: the reader does not go on.
			if r != nil {
				if _, _, again := r.Next(context.Background()); again != err {
					t.Errorf("second Next: %v", again)
				}
			}
		})
	}
}

func openBook(t *testing.T, rows [][]any, o xlsxtest.Options, opts Options) (*Reader, []*refbatch.Row, []refbatch.Finding) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := xlsxtest.WriteFile(path, rows, o); err != nil {
		t.Fatal(err)
	}
	return readFile(t, path, opts)
}

// TestWorkbookLayouts reads the same rows laid out as Excel, LibreOffice
// and .NET writers lay them out.
func TestWorkbookLayouts(t *testing.T) {
	for _, o := range []xlsxtest.Options{
		{},
		{Inline: true, NoStyles: true},
		{Prefix: "x:"},
		{NoRefs: true},
		{Date1904: true},
		{Before: []string{"Cover"}, SheetName: "Deals"},
	} {
		t.Run(strconv.Quote(o.Prefix)+strconv.FormatBool(o.Inline)+strconv.FormatBool(o.NoRefs), func(t *testing.T) {
			opts := Options{}
			if len(o.Before) > 0 {
				opts.Sheet = "deals"
			}
			_, rows, finds := openBook(t, pipelineBook(3), o, opts)
			if len(rows) != 3 || len(finds) != 0 {
				t.Fatalf("%d rows, findings %v", len(rows), finds)
			}
			r := rows[1]
			if r.ExternalReferenceID != "CRM-1001" || r.DealValue != 30001 || !r.ClosingDate.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) || r.Number != 3 {
				t.Errorf("row %+v", r)
			}
			if !o.NoStyles {
				if len(r.Cells) < 8 || r.Cells[7].Kind != refbatch.CellDate || r.Cells[7].Format != "m/d/yyyy" || r.Cells[5].Kind != refbatch.CellNumber {
					t.Errorf("cell types %+v", r.Cells)
				}
			}
		})
	}
}

// TestSheetsAsSalesTeamsSendThem: a merged title, hidden rows, a total row
// with a SUM formula and one with "Total", a note beside the table, a too
// long cell, a contact name in one column, a unit in the header, country
// names.
func TestSheetsAsSalesTeamsSendThem(t *testing.T) {
	long := strings.Repeat("y", 40000)
	rows := [][]any{
		{"Q3 pipeline — Contoso partner team"},
		nil,
		{"External Reference ID", "Name", "Deal Type", "Customer Name", "Country", "Deal Value (USD)", "Closing Date", "Contact Name", "Help needed from Microsoft"},
		{"CRM-1", "Deal one", "Private", "Contoso", "United States", 30000.0, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "Jane Doe", "no"},
		{"CRM-2", "Deal two", "Private", "Fabrikam", "Deutschland", 20000.0, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "Max", "no", nil, "call back Monday"},
		{"CRM-3", "Hidden deal", "Private", "Fabrikam", "U.K.", 20000.0, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "A B", "no"},
		{"CRM-4", long, "Private", "Northwind", "USA", 1.0, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "Doe, John", "yes"},
		{nil, nil, nil, nil, nil, xlsxtest.Formula{F: "SUM(F4:F7)", V: 70001.0}},
		{"Total", nil, nil, nil, nil, 70001.0},
	}
	o := xlsxtest.Options{Hidden: map[int]bool{6: true}, Merges: []string{"A1:I1"}}
	aliases := map[refbatch.Column]map[string]string{refbatch.ColCountry: {"United States": "US", "USA": "US", "UK": "GB", "Deutschland": "DE"}}
	_, got, finds := openBook(t, rows, o, Options{Aliases: aliases, Vocabulary: map[refbatch.Column][]string{refbatch.ColCountry: {"US", "DE", "GB"}}})
	if len(got) != 5 {
		for _, r := range got {
			t.Logf("row %d %.80q", r.Number, r.Raw)
		}
		t.Fatalf("%d rows, want 5 (hidden row skipped, total rows kept as not loaded)", len(got))
	}
	for i, r := range got {
		if want := i >= 3; (r.NotLoaded == refbatch.NotLoadedTotal) != want || (r.NotLoaded == "") == want {
			t.Errorf("row %d: NotLoaded %q", r.Number, r.NotLoaded)
		}
	}
	a, b, c := got[0], got[1], got[2]
	if a.Country != "US" || a.Text(refbatch.ColCountry) != "United States" || b.Country != "DE" || c.Country != "US" {
		t.Errorf("countries %q %q %q", a.Country, b.Country, c.Country)
	}
	if a.Currency != "USD" || !a.Filled.Has(refbatch.ColCurrency) || a.DealValue != 30000 {
		t.Errorf("currency from the header: %q %v", a.Currency, a.DealValue)
	}
	if a.ContactFirstName != "Jane" || a.ContactLastName != "Doe" || c.ContactFirstName != "John" || c.ContactLastName != "Doe" || b.ContactFirstName != "Max" || b.Filled.Has(refbatch.ColContactLastName) {
		t.Errorf("contact names %q %q / %q %q / %q %q", a.ContactFirstName, a.ContactLastName, c.ContactFirstName, c.ContactLastName, b.ContactFirstName, b.ContactLastName)
	}
	if !c.HelpNeeded || a.HelpNeeded {
		t.Errorf("Help needed from Microsoft not read")
	}
	byRule := map[string][]refbatch.Finding{}
	for _, f := range finds {
		byRule[f.Rule] = append(byRule[f.Rule], f)
		if f.Cell == "" {
			t.Errorf("finding without a cell: %+v", f)
		}
	}
	if s := byRule[RuleStrayCell]; len(s) != 1 || s[0].Cell != "K5" || s[0].Severity != refbatch.SeverityWarning || strings.Contains(s[0].Message, "delimiter") {
		t.Errorf("stray note: %+v", s)
	}
	if h := byRule[RuleHiddenRows]; len(h) != 1 || !strings.Contains(h[0].Message, "row 6 is hidden") {
		t.Errorf("hidden rows: %+v", h)
	}
	if tr := byRule[RuleTotalRow]; len(tr) != 2 || tr[0].Row != 8 || tr[1].Row != 9 {
		t.Errorf("total rows: %+v", tr)
	}
	if v := byRule[refbatch.RuleValue]; len(v) != 1 || v[0].Cell != "B7" || !strings.Contains(v[0].Message, "32,767") || !c.Invalid.Has(refbatch.ColName) {
		t.Errorf("long cell: %+v", v)
	}
	if len(byRule[refbatch.RuleRequired]) != 0 {
		t.Errorf("required findings from the importer?")
	}

	// --include-hidden reads the hidden row.
	_, got, finds = openBook(t, rows, o, Options{IncludeHidden: true, Aliases: aliases})
	if len(got) != 6 || got[2].Country != "GB" {
		t.Errorf("with IncludeHidden: %d rows", len(got))
	}
	for _, f := range finds {
		if f.Rule == RuleHiddenRows {
			t.Errorf("hidden warning with IncludeHidden")
		}
	}
}

// TestWorkbookCellErrors: cells out of order or repeated, and a shared
// string that does not exist, are errors naming file, sheet, row and cell.
func TestWorkbookCellErrors(t *testing.T) {
	for _, tc := range []struct {
		name, cell string
		raw        xlsxtest.Raw
		msg        string
	}{
		{"out of order", "A2", `<c r="A2" t="inlineStr"><is><t>x</t></is></c>`, "comes after"},
		{"bad shared string", "J2", `<c r="J2" t="s"><v>99999</v></c>`, "does not exist"},
		{"bad reference", "", `<c r="2B"><v>1</v></c>`, "not a cell reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := pipelineBook(2)
			rows[1] = append(rows[1], tc.raw)
			path := filepath.Join(t.TempDir(), "book.xlsx")
			if err := xlsxtest.WriteFile(path, rows, xlsxtest.Options{}); err != nil {
				t.Fatal(err)
			}
			r, err := Open(context.Background(), path, Options{})
			if err == nil {
				defer r.Close()
				for err == nil {
					_, _, err = r.Next(context.Background())
				}
			}
			var ie *refbatch.InputError
			if !errors.As(err, &ie) || ie.Row != 2 || !strings.Contains(err.Error(), `sheet "Sheet1"`) || !strings.Contains(err.Error(), tc.msg) || tc.cell != "" && ie.Column != tc.cell {
				t.Errorf("error %v (row %d, cell %q)", err, ie.Row, ie.Column)
			}
		})
	}
}

// FuzzXLSXReader feeds arbitrary sheet XML (and arbitrary shared strings)
// to the workbook reader: it must not panic or hang, and a read either ends
// in an InputError or delivers rows in increasing order.
func FuzzXLSXReader(f *testing.F) {
	good := xlsxtest.Bytes(pipelineBook(3), xlsxtest.Options{})
	sheet, sst := extractPart(f, good, "xl/worksheets/sheet1.xml"), extractPart(f, good, "xl/sharedStrings.xml")
	f.Add(sheet, sst)
	f.Add(sheet[:len(sheet)/2], sst)
	f.Add(bytes.Replace(sheet, []byte("<v>"), []byte("<v>&"), 1), sst)
	inline := xlsxtest.Bytes(pipelineBook(2), xlsxtest.Options{Inline: true, Prefix: "x:", NoRefs: true})
	f.Add(extractPart(f, inline, "xl/worksheets/sheet1.xml"), []byte(`<sst><si><r><t>a</t></r><rPh><t>b</t></rPh></si></sst>`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		book := xlsxtest.Rezip(good, "xl/worksheets/sheet1.xml", func([]byte) []byte { return sheet })
		book = xlsxtest.Rezip(book, "xl/sharedStrings.xml", func([]byte) []byte { return sst })
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, book, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(context.Background(), path, Options{HeaderRow: 1})
		if err != nil {
			if !refbatch.IsInputError(err) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		defer r.Close()
		prev := 0
		for {
			row, _, err := r.Next(context.Background())
			if err == io.EOF {
				return
			}
			if err != nil {
				if !refbatch.IsInputError(err) {
					t.Fatalf("next: %v", err)
				}
				return
			}
			if row.Number <= prev {
				t.Fatalf("row %d after %d", row.Number, prev)
			}
			prev = row.Number
		}
	})
}

func extractPart(t testing.TB, book []byte, name string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return b
		}
	}
	t.Fatalf("no %s", name)
	return nil
}
