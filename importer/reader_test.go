package importer

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/refbatch/refbatch"
)

// readFile reads every row of a file, failing the test on an error.
func readFile(t *testing.T, path string, opts Options) (*Reader, []*refbatch.Row, []refbatch.Finding) {
	t.Helper()
	ctx := context.Background()
	r, err := Open(ctx, path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	var rows []*refbatch.Row
	var finds []refbatch.Finding
	for {
		row, f, err := r.Next(ctx)
		if err == io.EOF {
			return r, rows, finds
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
		finds = append(finds, f...)
	}
}

// readErr opens and reads a file to its end and returns the error that
// stopped it, which must be an *refbatch.InputError.
func readErr(t *testing.T, path string, opts Options) *refbatch.InputError {
	t.Helper()
	ctx := context.Background()
	err := func() error {
		r, err := Open(ctx, path, opts)
		if err != nil {
			return err
		}
		defer r.Close()
		for {
			if _, _, err := r.Next(ctx); err != nil {
				return err
			}
		}
	}()
	if err == io.EOF {
		t.Fatalf("%s: read without error", path)
	}
	var ie *refbatch.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%s: error %v (%T) is not an InputError", path, err, err)
	}
	return ie
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestTitleRowAliasesAndValues(t *testing.T) {
	vocab := map[refbatch.Column][]string{refbatch.ColCurrency: {"USD", "EUR", "GBP"}}
	r, rows, finds := readFile(t, "testdata/title_alias/input.csv", Options{Vocabulary: vocab})
	if len(finds) != 0 {
		t.Errorf("findings: %v", finds)
	}
	h := r.Header()
	if h.Row != 4 || h.File != "testdata/title_alias/input.csv" || h.Sheet != "" {
		t.Errorf("header at row %d of %q/%q, want row 4", h.Row, h.File, h.Sheet)
	}
	for c, want := range map[refbatch.Column]string{
		refbatch.ColExternalReferenceID: "CRM ID", refbatch.ColName: "Opportunity Name", refbatch.ColDealType: "Deal Kind",
		refbatch.ColCustomerName: "Account Name", refbatch.ColCountry: "Country Code", refbatch.ColDealValue: "Amount",
		refbatch.ColClosingDate: "Close Date", refbatch.ColHelpNeeded: "Help From Microsoft", refbatch.ColSolutionIDs: "Solutions",
	} {
		if got := h.Written(c); got != want {
			t.Errorf("header of %v = %q, want %q", c, got, want)
		}
	}
	wantHF := []refbatch.Finding{{Row: 4, Cell: "I4", Header: "Favourite Colour", Rule: refbatch.RuleHeader,
		Severity: refbatch.SeverityWarning, Message: "unknown header \"Favourite Colour\" is ignored; no column's name is near it: if it holds one (refbatch template lists them), map it with a --mapping file line `COLUMN: [Favourite Colour]`", Value: "Favourite Colour"}}
	if got := r.HeaderFindings(); !reflect.DeepEqual(got, wantHF) {
		t.Errorf("header findings = %+v, want %+v", got, wantHF)
	}

	type want struct {
		number   int
		ext      string
		dealType string
		customer string
		value    float64
		currency string
		closing  time.Time
		help     bool
		sols     []string
	}
	wants := []want{
		{5, "EXT-1", "Private", "Contoso Ltd", 30000, "USD", date(2026, 3, 31), false, nil},
		{6, "EXT-2", "Co-sell", "Fabrikam", 30000, "EUR", date(2026, 3, 31), true, []string{"SOL-1", "SOL-2"}},
		{8, "EXT-3", "Partner-led", "Northwind", 30000.5, "GBP", date(2026, 3, 31), false, []string{"SOL-3", "SOL-4"}},
		{9, "EXT-4", "Co-sell", "Tailspin", -1200, "EUR", time.Date(2026, 3, 31, 10, 30, 0, 0, time.UTC), true, nil},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(rows), len(wants))
	}
	for i, w := range wants {
		row := rows[i]
		t.Run(w.ext, func(t *testing.T) {
			got := want{row.Number, row.ExternalReferenceID, row.DealType, row.CustomerName, row.DealValue, row.Currency,
				row.ClosingDate, row.HelpNeeded, row.SolutionIDs}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("row = %+v\nwant  %+v", got, w)
			}
			if row.Action != refbatch.ActionCreate || !row.Filled.Has(refbatch.ColHelpNeeded) || !row.Invalid.Empty() {
				t.Errorf("action %q, filled %v, invalid %v", row.Action, row.Filled.Columns(), row.Invalid.Columns())
			}
			if row.Header != h || len(row.Raw) != len(h.Names) {
				t.Errorf("raw %q does not fit header %q", row.Raw, h.Names)
			}
		})
	}
	if rows[0].Filled.Has(refbatch.ColSolutionIDs) || rows[0].ReferralType != refbatch.ReferralTypeIndependent {
		t.Errorf("EXT-1: blank Solutions filled, or Private resolved to %q", rows[0].ReferralType)
	}
	if !rows[1].ShareWithMicrosoftSellers || rows[1].ReferralType != refbatch.ReferralTypeShared {
		t.Error("EXT-2: a Co-sell row did not resolve to shared")
	}
	if got := rows[3].Raw[3]; got != "\u00a0Tailspin\u00a0" {
		t.Errorf("Raw keeps the cell as read; got %q", got)
	}
}

func TestEuropeanCSV(t *testing.T) {
	_, rows, finds := readFile(t, "testdata/european/input.csv", Options{DecimalComma: true, DateOrder: DMY})
	if len(finds) != 0 {
		t.Fatalf("findings: %v", finds)
	}
	wants := []struct {
		name    string
		value   float64
		closing time.Time
		cust    string
	}{
		{"Projekt A", 30000.5, date(2026, 3, 31), "Müller GmbH"},
		{"Projekt B", 1234.5, date(2026, 4, 1), "Société Générale"},
		{"Projekt C; Phase 2", 1000000, date(2026, 4, 1), "Nordisk A/S"},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(rows), len(wants))
	}
	for i, w := range wants {
		r := rows[i]
		if r.Name != w.name || r.DealValue != w.value || !r.ClosingDate.Equal(w.closing) || r.CustomerName != w.cust || r.Number != i+2 {
			t.Errorf("row %d = %q %v %v %q (number %d), want %+v", i, r.Name, r.DealValue, r.ClosingDate, r.CustomerName, r.Number, w)
		}
	}
	if got := rows[0].Header.Names[0]; got != "Name" {
		t.Errorf("BOM not stripped: first header %q", got)
	}

	// The same file read the US way: the values do not parse, and say why.
	_, _, finds = readFile(t, "testdata/european/input.csv", Options{Delimiter: ';'})
	if len(finds) == 0 || !strings.Contains(finds[0].Message, "--decimal-comma") {
		t.Errorf("US reading of European numbers: %v", finds)
	}
}

func TestMultilineQuotedCells(t *testing.T) {
	_, rows, _ := readFile(t, "testdata/multiline/input.csv", Options{})
	wants := []struct {
		number int
		name   string
		cust   string
		notes  string
		value  float64
	}{
		{2, "Deal, with comma", "Contoso", "Line one\nLine two\nLine three", 100},
		{3, `He said "hi"`, "Fabrikam", "plain", 200},
		{5, "Third", "Northwind", "multi\nline", 300},
		{6, "Fourth", `Tail"spin`, "", 400},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(rows), len(wants))
	}
	for i, w := range wants {
		r := rows[i]
		if r.Number != w.number || r.Name != w.name || r.CustomerName != w.cust || r.Notes != w.notes || r.DealValue != w.value {
			t.Errorf("row %d = {%d %q %q %q %v}, want %+v", i, r.Number, r.Name, r.CustomerName, r.Notes, r.DealValue, w)
		}
	}
	if rows[3].Country != "FR" {
		t.Errorf("last record without a line break: country %q", rows[3].Country)
	}
}

func TestTabDelimited(t *testing.T) {
	_, rows, _ := readFile(t, "testdata/tab/input.csv", Options{})
	if len(rows) != 1 || rows[0].CustomerName != "Contoso, Inc." || rows[0].DealValue != 1000 {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestBadValuesBecomeFindings(t *testing.T) {
	_, rows, finds := readFile(t, "testdata/bad_values/input.csv", Options{})
	type f struct{ cell, rule, column, value, msg string }
	wants := []f{
		{"B2", refbatch.RuleValue, "Deal Value", "abc", `Deal Value "abc" is not a number`},
		{"C2", refbatch.RuleDate, "Closing Date", "2/30/2026", "no such day"},
		{"D2", refbatch.RuleValue, "Register Deal", "maybe", "is not yes or no"},
		{"B3", refbatch.RuleValue, "Deal Value", "1,5", "--decimal-comma"},
		{"C3", refbatch.RuleDate, "Closing Date", "31/3/2026", "--date-order dmy"},
		{"C4", refbatch.RuleDate, "Closing Date", "2026-13-01", "month"},
	}
	if len(finds) != len(wants) {
		t.Fatalf("%d findings, want %d: %+v", len(finds), len(wants), finds)
	}
	for i, w := range wants {
		g := finds[i]
		if g.Cell != w.cell || g.Rule != w.rule || g.Column != w.column || g.Value != w.value ||
			g.Severity != refbatch.SeverityError || !strings.Contains(g.Message, w.msg) || g.Row != rows[0].Number+int(w.cell[1]-'2') {
			t.Errorf("finding %d = %+v, want %+v", i, g, w)
		}
	}
	r := rows[0]
	if !r.Invalid.Has(refbatch.ColDealValue) || !r.Invalid.Has(refbatch.ColClosingDate) || !r.Invalid.Has(refbatch.ColRegisterDeal) ||
		r.DealValue != 0 || !r.ClosingDate.IsZero() || r.RegisterDeal || !r.Filled.Has(refbatch.ColDealValue) {
		t.Errorf("invalid cells: invalid %v, values %v %v %v", r.Invalid.Columns(), r.DealValue, r.ClosingDate, r.RegisterDeal)
	}
	if rows[1].DealType != "Unknown Type" || !rows[1].RegisterDeal || rows[2].DealType != "Private" || !rows[2].RegisterDeal {
		t.Errorf("unknown enum is kept as text, x is yes: %q %v %q %v", rows[1].DealType, rows[1].RegisterDeal, rows[2].DealType, rows[2].RegisterDeal)
	}
}

// TestBadInput checks that every unreadable input is one InputError that
// names the file, and the row and cell where there is one.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		file   string
		opts   Options
		row    int
		column string
		msg    string
	}{
		{"empty.csv", Options{}, 0, "", "is empty"},
		{"csv_named.xlsx", Options{}, 0, "", "is not an Excel workbook: it looks like plain text"},
		{"no_header.csv", Options{}, 0, "", "no header row in the first 100 rows"},
		{"duplicate_header.csv", Options{}, 1, "Deal Value", `headers "Amount" (B1) and "Deal Value" (D1) both name column Deal Value`},
		{"unterminated.csv", Options{}, 2, "D2", "not closed before the end of the file"},
		{"utf16.csv", Options{}, 0, "", "UTF-16"},
		{"html.csv", Options{}, 0, "", "HTML"},
		{"header_late.csv", Options{}, 0, "", "no header row"},
		{"header_late.csv", Options{HeaderRow: 5}, 5, "", "header row is empty"},
		{"missing.csv", Options{}, 0, "", "no such file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			ie := readErr(t, path, tc.opts)
			if ie.File != path || ie.Row != tc.row || ie.Column != tc.column || !strings.Contains(ie.Error(), tc.msg) {
				t.Errorf("error %q (row %d, column %q), want row %d, column %q, containing %q", ie, ie.Row, ie.Column, tc.row, tc.column, tc.msg)
			}
			if !strings.HasPrefix(ie.Error(), path) {
				t.Errorf("message %q does not start with the file", ie)
			}
		})
	}
	t.Run("no_header hint", func(t *testing.T) {
		ie := readErr(t, "testdata/bad/no_header.csv", Options{})
		if !strings.Contains(ie.Error(), "row 2 has only 1") {
			t.Errorf("no hint at the best candidate row: %v", ie)
		}
	})
}

// TestForgivenCells: an unreadable cell (not UTF-8, too long) is an error
// finding on that cell and a note beside the table a warning on its cell;
// the rest of the file is read.
func TestForgivenCells(t *testing.T) {
	for _, tc := range []struct {
		file, cell, rule string
		sev              refbatch.Severity
		msg              string
	}{
		{"invalid_utf8.csv", "C3", refbatch.RuleValue, refbatch.SeverityError, "not valid UTF-8"},
		{"invalid_utf8_quoted.csv", "D3", refbatch.RuleValue, refbatch.SeverityError, "not valid UTF-8"},
		{"ragged.csv", "F3", RuleStrayCell, refbatch.SeverityWarning, `cell F3 holds "oops" but column F has no header`},
		{"long_cell.csv", "D3", refbatch.RuleValue, refbatch.SeverityError, "32,767"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, rows, finds := readFile(t, filepath.Join("testdata", "bad", tc.file), Options{})
			if len(rows) < 2 {
				t.Fatalf("%d rows read; the rest of the file must be read", len(rows))
			}
			var hit []refbatch.Finding
			for _, f := range finds {
				if f.Cell == tc.cell {
					hit = append(hit, f)
				}
			}
			if len(hit) != 1 || hit[0].Rule != tc.rule || hit[0].Severity != tc.sev || !strings.Contains(hit[0].Message, tc.msg) {
				t.Fatalf("findings on %s: %+v, want one %s %s containing %q", tc.cell, hit, tc.sev, tc.rule, tc.msg)
			}
			for _, r := range rows {
				for _, c := range r.Raw {
					if !utf8.ValidString(c) || tooLongForExcel(c) {
						t.Errorf("row %d keeps an unreadable cell %q", r.Number, quoteValue(c))
					}
				}
			}
		})
	}
}

// TestCROnlyCSVWithMultilineCell: line ends are sniffed outside quotes, so
// an old Mac file whose quoted cell holds an LF is still read by CR.
func TestCROnlyCSVWithMultilineCell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mac.csv")
	writeFile(t, path, "Name,Deal Type,Customer Name,Notes\r\"Deal A\",Private,Contoso,\"line one\nline two\"\rDeal B,Private,Fabrikam,x\r")
	_, rows, _ := readFile(t, path, Options{})
	if len(rows) != 2 || rows[0].Notes != "line one\nline two" || rows[1].Number != 3 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestHeaderRowForced(t *testing.T) {
	r, rows, _ := readFile(t, "testdata/bad/header_late.csv", Options{HeaderRow: 121})
	if r.Header().Row != 121 || len(rows) != 1 || rows[0].Number != 122 || rows[0].CustomerName != "Contoso" {
		t.Fatalf("header row %d, rows %+v", r.Header().Row, rows)
	}
}

func TestMappingAliases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mapped.csv")
	writeFile(t, path, "Projet,Montant,Client,Pays\nMigration,\"1,500\",Contoso,FR\n")
	opts := Options{Mapping: map[refbatch.Column][]string{
		refbatch.ColName: {"Projet"}, refbatch.ColDealValue: {"Montant"}, refbatch.ColCustomerName: {"Client"}, refbatch.ColCountry: {"Pays"},
	}}
	_, rows, _ := readFile(t, path, opts)
	if len(rows) != 1 || rows[0].Name != "Migration" || rows[0].DealValue != 1500 || rows[0].Country != "FR" {
		t.Fatalf("rows = %+v", rows)
	}
	if _, err := Open(context.Background(), path, Options{}); err == nil {
		t.Error("without the mapping the header was found")
	}
}

func TestRelease(t *testing.T) {
	ctx := context.Background()
	r, err := Open(ctx, "testdata/title_alias/input.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for {
		row, _, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Number == 6 && (len(row.SolutionIDs) != 2 || !row.HelpNeeded) {
			t.Errorf("recycled row carries state: %+v", row)
		}
		if row.Number == 9 && (row.SolutionIDs != nil || row.Filled.Has(refbatch.ColSolutionIDs)) {
			t.Errorf("recycled row carries a list: %q", row.SolutionIDs)
		}
		names = append(names, row.Name)
		r.Release(row)
	}
	if want := []string{"Azure migration", "Data platform", "Security uplift", "Copilot"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	r.Release(nil)
	r.Release(&refbatch.Row{}) // not this reader's: ignored
}

func TestContextCancel(t *testing.T) {
	path, _ := writeBenchCSVT(t, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cancel()
	for i := 0; i < 1000; i++ {
		if _, _, err = r.Next(ctx); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v", err)
	}
	if _, err := Open(ctx, path, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open after cancel: %v", err)
	}
}

func TestBadDelimiterIsUsageError(t *testing.T) {
	_, err := Open(context.Background(), "testdata/tab/input.csv", Options{Delimiter: '"'})
	if !errors.Is(err, refbatch.ErrUsage) {
		t.Fatalf("err = %v", err)
	}
}

func TestRowFromRecord(t *testing.T) {
	row, finds, err := RowFromRecord(
		[]string{"Name", "Deal Type", "Amount", "Close Date", "Help Needed", "Solution IDs"},
		[]string{"Deal", "cosell", "$1,000", "not a date", "yes", "SOL-1;SOL-2"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if row.Number != 2 || row.DealType != refbatch.DealTypeCosell || row.DealValue != 1000 || !row.HelpNeeded ||
		len(row.SolutionIDs) != 2 || row.Action != refbatch.ActionCreate || !row.ShareWithMicrosoftSellers {
		t.Errorf("row = %+v", row)
	}
	if len(finds) != 1 || finds[0].Cell != "D2" || finds[0].Rule != refbatch.RuleDate {
		t.Errorf("findings = %+v", finds)
	}
	for _, tc := range []struct {
		headers, values []string
		msg             string
	}{
		{[]string{"Name", "Colour"}, []string{"a", "b"}, `header "Colour" names no known column`},
		{[]string{"Name", "Opportunity Name"}, []string{"a", "b"}, "both name column Name"},
		{[]string{"Name"}, []string{"a", "b"}, "column B2"},
	} {
		_, _, err := RowFromRecord(tc.headers, tc.values, Options{})
		if !refbatch.IsInputError(err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("RowFromRecord(%q, %q) error = %v, want %q", tc.headers, tc.values, err, tc.msg)
		}
	}
}

// TestLongLinesAndOldMacLineEnds covers records longer than the read buffer
// and files whose lines end in CR alone.
func TestLongLinesAndOldMacLineEnds(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("n", 30000)
	header := "Name,Customer Name,Notes,Invite Notes,Status Reason,Address Line 1,Address Line 2,City,State,Postal Code\n"
	var b strings.Builder
	b.WriteString(header)
	for i := range 3 {
		b.WriteString("Deal" + string(rune('A'+i)) + ",Contoso")
		for range 8 {
			b.WriteString("," + long)
		}
		b.WriteString("\n")
	}
	path := filepath.Join(dir, "long.csv")
	writeFile(t, path, b.String()) // each line is 240 KB and more: past the read buffer
	_, rows, _ := readFile(t, path, Options{})
	if len(rows) != 3 || rows[2].Name != "DealC" || rows[2].PostalCode != long || rows[1].Number != 3 {
		t.Fatalf("%d rows; last %q", len(rows), rows[len(rows)-1].Name)
	}

	mac := filepath.Join(dir, "mac.csv")
	writeFile(t, mac, "Name,Deal Type,Customer Name\rA,Private,Contoso\r\rB,\"Co-sell\",\"Fab\rrikam\"\r")
	_, rows, _ = readFile(t, mac, Options{})
	if len(rows) != 2 || rows[0].Number != 2 || rows[1].Number != 4 || rows[1].CustomerName != "Fab\nrikam" {
		t.Fatalf("CR-only file: %+v", rows)
	}
}

func TestParseDateOrder(t *testing.T) {
	for in, want := range map[string]DateOrder{"": MDY, "mdy": MDY, "MDY": MDY, "dmy": DMY, " DMY ": DMY} {
		if got, err := ParseDateOrder(in); err != nil || got != want {
			t.Errorf("ParseDateOrder(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseDateOrder("ymd"); err == nil {
		t.Error("ymd accepted")
	}
	if DMY.String() != "dmy" || MDY.String() != "mdy" {
		t.Error("String")
	}
}

func TestCSVTitleRowsHandedOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "titled.csv")
	writeFile(t, path, "Pipeline Q3,,\n\nNote: draft,,x\nName,Deal Type,Customer Name\nDeal A,Private,Contoso\n")
	r, _, _ := readFile(t, path, Options{})
	want := []refbatch.TitleRow{{Number: 1, Cells: []string{"Pipeline Q3"}}, {Number: 3, Cells: []string{"Note: draft", "", "x"}}}
	if h := r.Header(); h.Row != 4 || !reflect.DeepEqual(h.TitleRows, want) {
		t.Errorf("header row %d, title rows %+v", h.Row, h.TitleRows)
	}
	r, _, _ = readFile(t, path, Options{HeaderRow: 4})
	if h := r.Header(); !reflect.DeepEqual(h.TitleRows, want) {
		t.Errorf("--header-row 4: title rows %+v", h.TitleRows)
	}
}
