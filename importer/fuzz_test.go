package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

// FuzzCSVReader feeds arbitrary bytes through the whole text path (content
// sniffing, delimiter sniffing, header detection, records, values): it must
// never panic, and every error must be an InputError.
func FuzzCSVReader(f *testing.F) {
	for _, seed := range []string{
		"Name,Deal Type,Customer Name\nA,Private,Contoso\n",
		"\ufeffName;Deal Type;Customer Name;Deal Value\r\nA;co sell;\"X; Y\";30.000,50\r\n",
		"title\n\nName,Customer Name,Deal Value,Notes\n\"a\"\"b\",c,\"$1,000\",\"x\ny\"\n,,,\n",
		"Name\tDeal Type\tCustomer Name\tClosing Date\nA\tPrivate\tC\t2/30/2026\n",
		"Name,Deal Type,Customer Name\n\"unterminated\n",
		"Name,Deal Type,Customer Name\nA,B,C,D\n",
		"Name,Name,Deal Type,Customer Name\n",
		"\xff\xfeN\x00",
		"Name,Deal Type,Customer Name\rA,Private,C\r",
	} {
		f.Add([]byte(seed), false, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, decimalComma bool, headerRow uint8) {
		opts := Options{DecimalComma: decimalComma, HeaderRow: int(headerRow % 8)}
		if headerRow&0x80 != 0 {
			opts.DateOrder = DMY
		}
		ctx := context.Background()
		br := bufio.NewReaderSize(bytes.NewReader(data), csvBufferSize)
		r, err := openText(ctx, "fuzz.csv", br, io.NopCloser(nil), opts)
		if err != nil {
			if !refbatch.IsInputError(err) {
				t.Fatalf("Open: %v (%T)", err, err)
			}
			return
		}
		defer r.Close()
		prev := r.Header().Row
		for {
			row, finds, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !refbatch.IsInputError(err) {
					t.Fatalf("Next: %v (%T)", err, err)
				}
				return
			}
			if row.Number <= prev {
				t.Fatalf("row %d after row %d", row.Number, prev)
			}
			prev = row.Number
			for _, f := range finds {
				if f.Rule == RuleStrayCell || f.Rule == RuleTotalRow || f.Rule == RuleHiddenRows || f.Column == "" && f.Rule == refbatch.RuleValue {
					continue
				}
				if f.Row != row.Number || f.Cell == "" || !row.Invalid.Has(mustColumn(t, f.Column)) {
					t.Fatalf("finding %+v on row %d", f, row.Number)
				}
			}
			r.Release(row)
		}
	})
}

func mustColumn(t *testing.T, name string) refbatch.Column {
	c, ok := refbatch.ColumnByName(name)
	if !ok {
		t.Fatalf("finding names unknown column %q", name)
	}
	return c
}

// FuzzParseNumber checks that no text panics the number parser, that a
// parsed value is finite, and that any float64 printed plainly, with
// grouping or with a currency reads back exactly.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"30000", "30,000.50", "$30,000", "USD 30000", "(1,200)", "1.5E+6", "30.000,50", "€ 1.234,50", "-", "1,5"} {
		f.Add(s, 1234.5, false)
	}
	f.Fuzz(func(t *testing.T, s string, x float64, decimalComma bool) {
		if v, reason := parseAmount(s, decimalComma); reason == "" && (math.IsInf(v, 0) || math.IsNaN(v)) {
			t.Fatalf("parseAmount(%q) = %v", s, v)
		}
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return
		}
		plain := strconv.FormatFloat(x, 'f', -1, 64)
		for _, text := range []string{plain, strconv.FormatFloat(x, 'E', -1, 64), "USD " + plain, plain + " €"} {
			if got, reason := parseNumber(text, false); reason != "" || got != x && !(got == 0 && x == 0) {
				t.Fatalf("parseNumber(%q) = %v, %q; want %v", text, got, reason, x)
			}
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			grouped := group(strconv.FormatInt(int64(math.Abs(x)), 10), ',')
			if x < 0 {
				grouped = "-" + grouped
			}
			if got, reason := parseNumber("$"+grouped+".00", false); reason != "" || got != x && !(got == 0 && x == 0) {
				t.Fatalf("parseNumber(%q) = %v, %q; want %v", grouped, got, reason, x)
			}
		}
	})
}

// group inserts sep between groups of three digits.
func group(digits string, sep byte) string {
	var b []byte
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, sep)
		}
		b = append(b, digits[i])
	}
	return string(b)
}

// FuzzParseDate checks that no text panics the date parser, that parsed
// dates are UTC and in range, and that every real date written in the
// accepted formats reads back as itself.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-31", "3/31/2026", "31/3/2026", "46112", "31-Mar-2026", "2026-03-31T10:30:00Z", "2/30/2026", "March 31, 2026"} {
		f.Add(s, int64(20000), false)
	}
	f.Fuzz(func(t *testing.T, s string, day int64, dmy bool) {
		order := MDY
		if dmy {
			order = DMY
		}
		if v, reason := parseDate(s, order, false); reason == "" && (v.Location() != time.UTC || v.Year() < 1899 || v.Year() > 10000) {
			t.Fatalf("parseDate(%q) = %v", s, v)
		}
		// A date from 1900-03-01 (after Excel's fictitious 1900-02-29) to 9999.
		want := time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(uint64(day)%2900000))
		if want.Year() > 9999 {
			return
		}
		for _, text := range []string{
			want.Format("2006-01-02"), want.Format("2006-01-02T15:04:05Z07:00"), want.Format("20060102"),
			want.Format("2-Jan-2006"), want.Format("January 2, 2006"),
			strconv.FormatInt(int64(want.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC))/(24*time.Hour)), 10),
		} {
			if got, reason := parseDate(text, order, false); reason != "" || !got.Equal(want) {
				t.Fatalf("parseDate(%q) = %v, %q; want %v", text, got, reason, want)
			}
		}
		us, eu := want.Format("1/2/2006"), want.Format("2/1/2006")
		if got, reason := parseDate(us, MDY, false); reason != "" || !got.Equal(want) {
			t.Fatalf("parseDate(%q, MDY) = %v, %q", us, got, reason)
		}
		if got, reason := parseDate(eu, DMY, false); reason != "" || !got.Equal(want) {
			t.Fatalf("parseDate(%q, DMY) = %v, %q", eu, got, reason)
		}
	})
}
