package importer

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		dc   bool
		want float64
		err  string // substring of the reason; "" = parses
	}{
		{"30000", false, 30000, ""},
		{"0", false, 0, ""},
		{"30,000.50", false, 30000.5, ""},
		{"1,234,567.891", false, 1234567.891, ""},
		{"$30,000", false, 30000, ""},
		{"USD 30000", false, 30000, ""},
		{"usd30000", false, 30000, ""},
		{"30000 EUR", false, 30000, ""},
		{"30 000 EUR", false, 30000, ""},
		{"30\u00a0000", false, 30000, ""},
		{"1'234.50", false, 1234.5, ""},
		{"£1,200.00", false, 1200, ""},
		{"US$ 99.99", false, 99.99, ""},
		{"-1,200", false, -1200, ""},
		{"+15", false, 15, ""},
		{"$-30", false, -30, ""},
		{"-$30", false, -30, ""},
		{"\u221245", false, -45, ""},
		{"(1,200)", false, -1200, ""},
		{"($1,200.50)", false, -1200.5, ""},
		{"1200-", false, -1200, ""},
		{".5", false, 0.5, ""},
		{"5.", false, 5, ""},
		{"0.1", false, 0.1, ""},
		{"123456789.123456789", false, 123456789.123456789, ""},
		{"1.5E+6", false, 1.5e6, ""},
		{"2.5e-3", false, 0.0025, ""},
		{"12345678901234567890123", false, 12345678901234567890123, ""},
		{"0.000000000000000000000000001", false, 1e-27, ""},
		{"30.000,50", true, 30000.5, ""},
		{"€ 1.234,50", true, 1234.5, ""},
		{"1234,5", true, 1234.5, ""},
		{"1.000.000", true, 1000000, ""},
		{"30 000,50 €", true, 30000.5, ""},
		{"30000", true, 30000, ""},

		{"", false, 0, "not a number"},
		{"abc", false, 0, "not a number"},
		{"USD", false, 0, "not a number"},
		{"1,5", false, 0, "grouped by three"},
		{"1,50", false, 0, "grouped by three"},
		{"1234,567", false, 0, "grouped by three"},
		{"1,234,56", false, 0, "grouped by three"},
		{"1.5", true, 0, "grouped by three"},
		{"30.000,50", false, 0, "--decimal-comma"},
		{"1,5.0", false, 0, "grouped by three"},
		{"1.2.3", false, 0, "not a number"},
		{"12 apples", false, 0, "not a number"},
		{"(12", false, 0, "not a number"},
		{"(-12)", false, 0, "not a number"},
		{"--12", false, 0, "not a number"},
		{"1e", false, 0, "not a number"},
		{"1e999", false, 0, "too large"},
		{"$ $ 5", false, 0, "not a number"},
		{"5 USD EUR", false, 0, "not a number"},
		{"1,", false, 0, "not a number"},
		{"N/A", false, 0, "not a number"},
		{"#VALUE!", false, 0, "not a number"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, reason := parseAmount(tc.in, tc.dc)
			switch {
			case tc.err == "" && reason != "":
				t.Errorf("parseAmount(%q, %v) failed: %s", tc.in, tc.dc, reason)
			case tc.err != "" && !strings.Contains(reason, tc.err):
				t.Errorf("parseAmount(%q, %v) = %v, %q; want a reason with %q", tc.in, tc.dc, got, reason, tc.err)
			case tc.err == "" && got != tc.want:
				t.Errorf("parseAmount(%q, %v) = %v, want %v", tc.in, tc.dc, got, tc.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	at := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
	}
	for _, tc := range []struct {
		in    string
		order DateOrder
		d1904 bool
		want  time.Time
		err   string
	}{
		{"2026-03-31", MDY, false, date(2026, 3, 31), ""},
		{"2026/03/31", MDY, false, date(2026, 3, 31), ""},
		{"2026-3-5", MDY, false, date(2026, 3, 5), ""},
		{"2026-03-31T10:30:00Z", MDY, false, at(2026, 3, 31, 10, 30, 0), ""},
		{"2026-03-31T10:30:00.250Z", MDY, false, time.Date(2026, 3, 31, 10, 30, 0, 250e6, time.UTC), ""},
		{"2026-03-31 10:30", MDY, false, at(2026, 3, 31, 10, 30, 0), ""},
		{"2026-03-31T10:30:00+02:00", MDY, false, at(2026, 3, 31, 8, 30, 0), ""},
		{"2026-03-31T01:00:00-0500", MDY, false, at(2026, 3, 31, 6, 0, 0), ""},
		{"20260331", MDY, false, date(2026, 3, 31), ""},
		{"3/31/2026", MDY, false, date(2026, 3, 31), ""},
		{"03/31/2026", MDY, false, date(2026, 3, 31), ""},
		{"3/31/26", MDY, false, date(2026, 3, 31), ""},
		{"3/31/99", MDY, false, date(1999, 3, 31), ""},
		{"3/31/2026 2:15 PM", MDY, false, at(2026, 3, 31, 14, 15, 0), ""},
		{"3/31/2026 12:05 am", MDY, false, at(2026, 3, 31, 0, 5, 0), ""},
		{"3/4/2026", MDY, false, date(2026, 3, 4), ""},
		{"3/4/2026", DMY, false, date(2026, 4, 3), ""},
		{"31/3/2026", DMY, false, date(2026, 3, 31), ""},
		{"31.03.2026", DMY, false, date(2026, 3, 31), ""},
		{"31-03-2026", DMY, false, date(2026, 3, 31), ""},
		{"31-Mar-2026", MDY, false, date(2026, 3, 31), ""},
		{"31-mar-26", MDY, false, date(2026, 3, 31), ""},
		{"31 March 2026", MDY, false, date(2026, 3, 31), ""},
		{"March 31, 2026", MDY, false, date(2026, 3, 31), ""},
		{"Sept 1 2026", MDY, false, date(2026, 9, 1), ""},
		{"46112", MDY, false, date(2026, 3, 31), ""},
		{"46112.5", MDY, false, at(2026, 3, 31, 12, 0, 0), ""},
		{"44650", MDY, true, date(2026, 3, 31), ""}, // 1904 system: 1462 days fewer
		{"29/2/2028", DMY, false, date(2028, 2, 29), ""},

		{"2/30/2026", MDY, false, time.Time{}, "no such day"},
		{"2/29/2026", MDY, false, time.Time{}, "no such day"},
		{"2/29/1900", MDY, false, time.Time{}, "no such day"},
		{"2026-02-30", MDY, false, time.Time{}, "no such day"},
		{"2026-13-01", MDY, false, time.Time{}, "month"},
		{"31/3/2026", MDY, false, time.Time{}, "--date-order dmy"},
		{"3/31/2026", DMY, false, time.Time{}, "drop --date-order dmy"},
		{"13/13/2026", MDY, false, time.Time{}, "month"},
		{"0/10/2026", MDY, false, time.Time{}, "month"},
		{"0", MDY, false, time.Time{}, "out of range"},
		{"3000000", MDY, false, time.Time{}, "out of range"},
		{"-5", MDY, false, time.Time{}, "not a date"},
		{"tomorrow", MDY, false, time.Time{}, "not a date"},
		{"Q3 2026", MDY, false, time.Time{}, "not a date"},
		{"2026-03", MDY, false, time.Time{}, "not a date"},
		{"3/31", MDY, false, time.Time{}, "not a date"},
		{"3/31/026", MDY, false, time.Time{}, "not a date"},
		{"3/31-2026", MDY, false, time.Time{}, "not a date"},
		{"1899-12-31", MDY, false, time.Time{}, "1900 to 9999"},
		{"2026-03-31T25:00", MDY, false, time.Time{}, "time of day"},
		{"2026-03-31T10:30:00+15:00", MDY, false, time.Time{}, "time of day"},
		{"2026-03-31 10:30 XM", MDY, false, time.Time{}, "not a date"},
		{"13:00 PM 3/31/2026", MDY, false, time.Time{}, "not a date"},
		{"Foo 31, 2026", MDY, false, time.Time{}, "not a date"},
		{"31.03.2026", MDY, false, time.Time{}, "--date-order dmy"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, reason := parseDate(tc.in, tc.order, tc.d1904)
			switch {
			case tc.err == "" && reason != "":
				t.Errorf("parseDate(%q, %v) failed: %s", tc.in, tc.order, reason)
			case tc.err != "" && !strings.Contains(reason, tc.err):
				t.Errorf("parseDate(%q, %v) = %v, %q; want a reason with %q", tc.in, tc.order, got, reason, tc.err)
			case tc.err == "" && !got.Equal(tc.want):
				t.Errorf("parseDate(%q, %v) = %v, want %v", tc.in, tc.order, got, tc.want)
			case tc.err == "" && got.Location() != time.UTC:
				t.Errorf("parseDate(%q) in %v, want UTC", tc.in, got.Location())
			}
		})
	}
}

func TestDaysFromCivil(t *testing.T) {
	for d := date(1900, 1, 1); d.Year() < 2101; d = d.AddDate(0, 0, 1) {
		if got := daysFromCivil(d.Year(), int(d.Month()), d.Day()); got*86400 != d.Unix() {
			t.Fatalf("daysFromCivil(%v) = %d, want %d", d, got, d.Unix()/86400)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{
		"yes": true, "Yes": true, "YES": true, "y": true, "Y": true, "true": true, "TRUE": true, "1": true, "x": true, "X": true, "✓": true,
		"no": false, "No": false, "n": false, "N": false, "false": false, "FALSE": false, "0": false,
	} {
		got, reason := parseBool(in)
		if reason != "" || got != want {
			t.Errorf("parseBool(%q) = %v, %q; want %v", in, got, reason, want)
		}
	}
	for _, in := range []string{"maybe", "2", "yess", "nope", "-", "true!", "oui"} {
		if _, reason := parseBool(in); reason == "" {
			t.Errorf("parseBool(%q) succeeded", in)
		}
	}
}

func TestSplitListAndTrim(t *testing.T) {
	for in, want := range map[string][]string{
		"SOL-1":                 {"SOL-1"},
		"SOL-1;SOL-2":           {"SOL-1", "SOL-2"},
		"SOL-1 ; SOL-2 ;":       {"SOL-1", "SOL-2"},
		"SOL-1\nSOL-2\r\nSOL-3": {"SOL-1", "SOL-2", "SOL-3"},
		";;":                    nil,
		"a;\u00a0b\u00a0;;c":    {"a", "b", "c"},
	} {
		if got := splitList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"abc": "abc", " abc ": "abc", "\u00a0abc\u00a0": "abc", "\u200b abc\t": "abc", "\ufeffabc": "abc",
		"": "", "   ": "", "a b": "a b", "é": "é", " é ": "é",
	} {
		if got := trimCell(in); got != want {
			t.Errorf("trimCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVocabulary(t *testing.T) {
	v := newVocabulary(map[refbatch.Column][]string{
		refbatch.ColCurrency:     {"USD", "EUR"},
		refbatch.ColSolutionArea: {"AI Business Solutions"},
	}, nil)
	for _, tc := range []struct {
		c        refbatch.Column
		in, want string
	}{
		{refbatch.ColDealType, "co sell", "Co-sell"},
		{refbatch.ColDealType, "Co-Sell", "Co-sell"},
		{refbatch.ColDealType, "cosell", "Co-sell"},
		{refbatch.ColDealType, "PARTNER LED", "Partner-led"},
		{refbatch.ColDealType, "Private", "Private"},
		{refbatch.ColDealType, "Joint", "Joint"},
		{refbatch.ColAction, "Update", "update"},
		{refbatch.ColStatus, "closed", "Closed"},
		{refbatch.ColCurrency, "usd", "USD"},
		{refbatch.ColCurrency, "XXX", "XXX"},
		{refbatch.ColSolutionArea, "ai business solutions", "AI Business Solutions"},
		{refbatch.ColSolutionArea, "AI_Business_Solutions", "AI Business Solutions"},
		{refbatch.ColCountry, "us", "us"}, // no vocabulary: kept
		{refbatch.ColDealType, "Cö-sell", "Cö-sell"},
		{refbatch.ColDealType, strings.Repeat("x", 100), strings.Repeat("x", 100)},
	} {
		if got := v.canonical(tc.c, tc.in); got != tc.want {
			t.Errorf("canonical(%v, %q) = %q, want %q", tc.c, tc.in, got, tc.want)
		}
	}
}

func TestFoldASCIIMatchesFoldKey(t *testing.T) {
	for _, s := range []string{"Co-Sell", "co sell", "Est. Close Date", "Deal_Value (USD)", "A\tB\nC", "", "x-y.z(w)"} {
		var buf [64]byte
		n, ok := foldASCII(&buf, s)
		if !ok || string(buf[:n]) != refbatch.FoldKey(s) {
			t.Errorf("foldASCII(%q) = %q, FoldKey = %q", s, buf[:n], refbatch.FoldKey(s))
		}
	}
}

func TestTidyRawNumber(t *testing.T) {
	for in, want := range map[string]string{
		"12345": "12345", "0.10000000000000001": "0.1", "1234.5599999999999": "1234.56",
		"abc": "abc", "1E+300": "1E+300", "1E5": "1E5", "1.23456789012E+11": "1.23456789012E+11",
		"SOL-1E5": "SOL-1E5", "4255550100": "4255550100", "12345678901234567890": "12345678901234567890",
	} {
		if got := tidyRawNumber(in); got != want {
			t.Errorf("tidyRawNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNumberExtremes(t *testing.T) {
	for _, x := range []float64{5e-324, 1e-45, 1.7976931348623157e308, 123456789012345678, 0.1 + 0.2} {
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if got, reason := parseNumber(s, false); reason != "" || got != x {
			t.Errorf("parseNumber(%.40s…) = %v, %q; want %v", s, got, reason, x)
		}
	}
}
