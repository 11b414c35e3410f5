package importer

import (
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
)

// benchHeader is the canonical header of a typical create file, like the one
// bench/gencsv writes.
var benchHeader = []string{"Action", "External Reference ID", "Name", "Deal Type", "Customer Name", "City", "Country",
	"Deal Value", "Currency", "Closing Date", "Contact First Name", "Contact Last Name", "Contact Email",
	"Contact Phone", "Share With Microsoft Sellers", "Consent To Contact", "Solution IDs", "Notes"}

// benchRecord returns the cells of data row i: realistic, valid values.
func benchRecord(rng *rand.Rand, i int) []string {
	companies := [...]string{"Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Alpine Ski House"}
	projects := [...]string{"Azure migration", "Data platform", "Security uplift", "Copilot rollout"}
	places := [...][3]string{{"Seattle", "US", "USD"}, {"Berlin", "DE", "EUR"}, {"London", "GB", "GBP"}}
	firsts := [...]string{"Anna", "Ben", "Carla", "David", "Emma"}
	lasts := [...]string{"Smith", "Meyer", "Dubois", "Jansen"}
	c := companies[rng.IntN(len(companies))]
	p := places[rng.IntN(len(places))]
	f, l := firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))]
	deal, share := "Private", "no"
	if rng.IntN(3) == 0 {
		deal, share = "Partner-led", "yes"
	}
	sol := ""
	if rng.IntN(3) == 0 {
		sol = "SOL-" + strconv.Itoa(10000+rng.IntN(90000))
	}
	value := strconv.Itoa(5000 + 1000*rng.IntN(995))
	if rng.IntN(4) == 0 {
		value += ".50"
	}
	date := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)).Format("2006-01-02")
	return []string{"create", "CRM-" + strconv.Itoa(10000000+i), c + " " + projects[rng.IntN(len(projects))], deal,
		c + " Ltd", p[0], p[1], value, p[2], date, f, l, f + "." + l + "@example.com", "+1 425 555 0" + strconv.Itoa(100+rng.IntN(900)),
		share, "yes", sol, "Customer wants a proposal before quarter end"}
}

// cpuTime is the process's user+system CPU time: on a shared machine it is
// steadier than wall time, and it counts the garbage collector's work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readAll(b *testing.B, path string, opts Options, release bool) int {
	ctx := context.Background()
	r, err := Open(ctx, path, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		row, finds, err := r.Next(ctx)
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(finds) > 0 {
			b.Fatalf("unexpected findings: %v", finds)
		}
		if release {
			r.Release(row)
		}
		n++
	}
}

// BenchmarkCSVRead reads a 200,000-row CSV end to end (open, split, parse
// every value, resolve): one op is the whole file.
//
//   - keep: rows are dropped after Next, to the garbage collector;
//   - release: each row is handed back with Reader.Release;
//   - pipeline: as refbatch validate runs it, a reader goroutine sends
//     batches of 64 rows over a channel to a consumer goroutine, which
//     releases them.
func BenchmarkCSVRead(b *testing.B) {
	const rows = 200_000
	path, size := writeBenchCSVT(b, rows)
	for _, mode := range []string{"keep", "release", "pipeline"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				var n int
				if mode == "pipeline" {
					n = readPipelined(b, path)
				} else {
					n = readAll(b, path, Options{}, mode == "release")
				}
				if n != rows {
					b.Fatalf("read %d rows, want %d", n, rows)
				}
			}
			perRow := float64(b.Elapsed().Nanoseconds()) / float64(b.N*rows)
			b.ReportMetric(perRow, "ns/row")
			b.ReportMetric(1e9/perRow, "rows/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
		})
	}
}

// readPipelined reads a file on one goroutine and consumes its rows on
// another, in batches, releasing each row when done.
func readPipelined(b *testing.B, path string) int {
	ctx := context.Background()
	r, err := Open(ctx, path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	const batchSize = 64
	batches := make(chan []*refbatch.Row, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]*refbatch.Row, 0, batchSize)
		for {
			row, _, err := r.Next(ctx)
			if err != nil {
				if err != io.EOF {
					errc <- err
				}
				break
			}
			if batch = append(batch, row); len(batch) == batchSize {
				batches <- batch
				batch = make([]*refbatch.Row, 0, batchSize)
			}
		}
		batches <- batch
	}()
	n := 0
	for batch := range batches {
		for _, row := range batch {
			if row.DealValue <= 0 || row.ClosingDate.IsZero() {
				b.Errorf("row %d: %v %v", row.Number, row.DealValue, row.ClosingDate)
			}
			n++
			r.Release(row)
		}
	}
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	return n
}

// BenchmarkParseValues measures the value parsers on typical cells.
func BenchmarkParseValues(b *testing.B) {
	b.Run("number", func(b *testing.B) {
		in := []string{"30000", "30,000.50", "$30,000", "USD 30000", "125000.5", "-1,200"}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, reason := parseNumber(in[i%len(in)], false); reason != "" {
				b.Fatal(reason)
			}
		}
	})
	b.Run("number-decimal-comma", func(b *testing.B) {
		in := []string{"30000", "30.000,50", "€ 1.234,50", "1234,5"}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, reason := parseNumber(in[i%len(in)], true); reason != "" {
				b.Fatal(reason)
			}
		}
	})
	b.Run("date", func(b *testing.B) {
		in := []string{"2026-03-31", "3/31/2026", "46112", "2026-03-31T10:00:00Z", "31-Mar-2026"}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, reason := parseDate(in[i%len(in)], MDY, false); reason != "" {
				b.Fatal(reason)
			}
		}
	})
	b.Run("bool", func(b *testing.B) {
		in := []string{"yes", "No", "TRUE", "x", "0", "y"}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, reason := parseBool(in[i%len(in)]); reason != "" {
				b.Fatal(reason)
			}
		}
	})
}

// BenchmarkXLSX compares bare excelize iteration (Rows + Columns with raw
// values: the floor for any reader) with Reader over the same 100,000-row
// workbook. The target is Reader within 1.15× of bare.
func BenchmarkXLSX(b *testing.B) {
	const rows = 100_000
	path := filepath.Join(b.TempDir(), "bench.xlsx")
	writeBenchXLSX(b, path, rows)
	b.Run("bare", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: unzipSizeLimit, UnzipXMLSizeLimit: 16 << 20})
			if err != nil {
				b.Fatal(err)
			}
			it, err := f.Rows(f.GetSheetList()[0])
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
	b.Run("reader", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			if n := readAll(b, path, Options{}, false); n != rows {
				b.Fatalf("%d rows", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
	})
}

func writeBenchXLSX(b *testing.B, path string, rows int) { writeBenchXLSXT(b, path, rows) }

func writeBenchXLSXT(b testing.TB, path string, rows int) {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	row := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range rows {
		rec := benchRecord(rng, i)
		for j, v := range rec {
			row[j] = v
		}
		value, _ := strconv.ParseFloat(rec[7], 64)
		row[7] = value // a real number cell
		date, _ := time.Parse("2006-01-02", rec[9])
		row[9] = excelize.Cell{StyleID: dateStyle, Value: date} // a real date cell
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
}
