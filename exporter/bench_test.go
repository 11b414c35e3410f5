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
// must not grow with the rows.
//
//	go test ./exporter/ -run '^$' -bench XLSXReport -benchtime 1x
func BenchmarkXLSXReport(b *testing.B) {
	names := []string{"Name", "External Reference ID", "Deal Type", "Customer Name", "Address Line 1", "City",
		"Postal Code", "Country", "Contact First Name", "Contact Last Name", "Contact Email", "Contact Phone",
		"Deal Value", "Currency", "Closing Date", "Notes", "Solution IDs", "Help Needed", "Solution Area", "Solution Play"}
	h := testHeader("bench.xlsx", 1, names...)
	const rows = 100_000
	for _, every := range []int{10, 1} {
		b.Run(fmt.Sprintf("findings-every-%d-rows", every), func(b *testing.B) {
			var peak uint64
			var ms runtime.MemStats
			for b.Loop() {
				r, err := NewReport(filepath.Join(b.TempDir(), "bench.xlsx"), h)
				if err != nil {
					b.Fatal(err)
				}
				var s refbatch.Summary
				raw := make([]string, len(names))
				for n := 2; n < rows+2; n++ {
					for i := range raw {
						raw[i] = names[i] + " " + strconv.Itoa(n)
					}
					row := &refbatch.Row{Header: h, Number: n, Raw: raw}
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
