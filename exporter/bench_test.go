package exporter

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/refbatch/refbatch"
)

// BenchmarkXLSXReport writes a 100,000-row, 20-column report with findings
// on every tenth row (a cell error and a warning) or on every row, and
// reports rows/s and the peak live heap, sampled every 10,000 rows, which
// must not grow with the rows. The typed variants give the rows the cell
// types an .xlsx input has (an amount in a currency format, a date, a
// boolean), whose findings' values are rendered as Excel displays them.
//
//	go test ./exporter/ -run '^$' -bench XLSXReport -benchtime 1x
func BenchmarkXLSXReport(b *testing.B) {
	names := []string{"Name", "External Reference ID", "Deal Type", "Customer Name", "Address Line 1", "City",
		"Postal Code", "Country", "Contact First Name", "Contact Last Name", "Contact Email", "Contact Phone",
		"Deal Value", "Currency", "Closing Date", "Notes", "Solution IDs", "Help Needed", "Solution Area", "Solution Play"}
	h := testHeader("bench.xlsx", 1, names...)
	const rows = 100_000
	const (
		amount = 12 // Deal Value
		date   = 14 // Closing Date
		help   = 17 // Help Needed
	)
	for _, bc := range []struct {
		every int
		typed bool
	}{{10, false}, {1, false}, {10, true}, {1, true}} {
		every := bc.every
		name := fmt.Sprintf("findings-every-%d-rows", every)
		if bc.typed {
			name += "-typed"
		}
		b.Run(name, func(b *testing.B) {
			var peak uint64
			var ms runtime.MemStats
			for b.Loop() {
				r, err := NewReport(filepath.Join(b.TempDir(), "bench.xlsx"), h)
				if err != nil {
					b.Fatal(err)
				}
				var s refbatch.Summary
				raw := make([]string, len(names))
				cells := make([]refbatch.CellType, help+1)
				for n := 2; n < rows+2; n++ {
					for i := range raw {
						raw[i] = names[i] + " " + strconv.Itoa(n)
					}
					row := &refbatch.Row{Header: h, Number: n, Raw: raw}
					if bc.typed {
						// As the importer reads them: the stored value as text.
						cells[amount] = refbatch.CellType{Kind: refbatch.CellNumber, Value: float64(n * 10), Format: "$#,##0.00"}
						cells[date] = refbatch.CellType{Kind: refbatch.CellDate, Value: float64(46000 + n%1000), Format: "m/d/yyyy"}
						cells[help] = refbatch.CellType{Kind: refbatch.CellBool, Value: float64(n % 2), Format: ""}
						raw[amount] = strconv.Itoa(n * 10)
						raw[date] = strconv.Itoa(46000 + n%1000)
						raw[help] = strconv.Itoa(n % 2)
						row.Cells = cells
					}
					var fs []refbatch.Finding
					if n%every == 0 {
						fs = []refbatch.Finding{
							row.Finding(refbatch.ColDealValue, refbatch.RuleValue, refbatch.SeverityError, "Deal Value must be a positive number, got "+raw[12]),
							row.Finding(refbatch.ColClosingDate, refbatch.RuleDate, refbatch.SeverityWarning, "Closing Date is in the past"),
						}
					}
					s.Add(fs)
					if err := r.WriteRow(row, fs); err != nil {
						b.Fatal(err)
					}
					if n%10_000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
				}
				if err := r.Close(s, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
