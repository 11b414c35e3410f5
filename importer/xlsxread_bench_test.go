package importer

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch/importer/xlsxtest"
)

// writeSameRows writes n bench rows as an Excel-like workbook (shared
// strings, numbers, date cells) and as the CSV Excel saves from it.
func writeSameRows(tb testing.TB, dir string, n int) (xlsxPath, csvPath string) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]any, 0, n+1)
	head := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		head[i] = h
	}
	rows = append(rows, head)
	var csv strings.Builder
	csv.WriteString(strings.Join(benchHeader, ",") + "\r\n")
	for i := range n {
		rec := benchRecord(rng, i)
		row := make([]any, len(rec))
		for j, v := range rec {
			row[j] = v
		}
		value, _ := strconv.ParseFloat(rec[7], 64)
		row[7] = value
		date, _ := time.Parse("2006-01-02", rec[9])
		row[9] = date
		rec[9] = date.Format("1/2/2006")
		rows = append(rows, row)
		csv.WriteString(strings.Join(rec, ",") + "\r\n")
	}
	xlsxPath, csvPath = filepath.Join(dir, "same.xlsx"), filepath.Join(dir, "same.csv")
	if err := xlsxtest.WriteFile(xlsxPath, rows, xlsxtest.Options{}); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(csvPath, []byte(csv.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return xlsxPath, csvPath
}

// BenchmarkReaders reads the same 100,000 rows from CSV, from an
// Excel-like workbook with this package's reader, and with excelize's
// Rows/Columns (raw values), the reader it replaces.
//
//	go test ./importer -run '^$' -bench Readers -benchtime 5x
func BenchmarkReaders(b *testing.B) {
	const rows = 100_000
	xlsxPath, csvPath := writeSameRows(b, b.TempDir(), rows)
	for _, tc := range []struct{ name, path string }{{"csv", csvPath}, {"xlsx", xlsxPath}} {
		b.Run(tc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if n := readAll(b, tc.path, Options{}, true); n != rows {
					b.Fatalf("%d rows", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
		})
	}
	b.Run("excelize", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			f, err := excelize.OpenFile(xlsxPath, excelize.Options{UnzipSizeLimit: unzipSizeLimit})
			if err != nil {
				b.Fatal(err)
			}
			it, err := f.Rows("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for it.Next() {
				if _, err := it.Columns(excelize.Options{RawCellValue: true}); err != nil {
					b.Fatal(err)
				}
				n++
			}
			it.Close()
			f.Close()
			if n != rows+1 {
				b.Fatalf("%d rows", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
	})
}

// TestSameFindingsXLSXAndCSV reads the same rows from both files and
// compares every typed value.
func TestSameRowsXLSXAndCSV(t *testing.T) {
	xlsxPath, csvPath := writeSameRows(t, t.TempDir(), 2000)
	a, err := Open(context.Background(), xlsxPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := Open(context.Background(), csvPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for n := 0; ; n++ {
		ra, fa, ea := a.Next(context.Background())
		rc, fc, ec := c.Next(context.Background())
		if ea != ec {
			t.Fatalf("row %d: errors %v vs %v", n, ea, ec)
		}
		if ea == io.EOF {
			break
		}
		if len(fa) != len(fc) {
			t.Fatalf("row %d: findings %v vs %v", ra.Number, fa, fc)
		}
		ra.Header, rc.Header, ra.Raw, rc.Raw, ra.Cells = nil, nil, nil, nil, nil
		if ra.Number != rc.Number || ra.DealValue != rc.DealValue || !ra.ClosingDate.Equal(rc.ClosingDate) || ra.Name != rc.Name || ra.Filled != rc.Filled {
			t.Fatalf("row %d differs:\n%+v\n%+v", n, ra, rc)
		}
	}
}
