package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// BenchmarkValidateXLSX measures `refbatch validate` (import, every built-in
// policy, duplicates) on a 100,000-row workbook against excelize's bare
// Rows + RawCellValue iteration over the same file: the floor any XLSX
// reader built on excelize can reach. Target: validate within 1.15× of bare.
//
//	go test ./cmd/refbatch -run '^$' -bench ValidateXLSX -benchtime 3x
func BenchmarkValidateXLSX(b *testing.B) {
	const rows = 100_000
	path := filepath.Join(b.TempDir(), "pipeline.xlsx")
	writeValidWorkbook(b, path, rows)

	b.Run("excelize-bare", func(b *testing.B) {
		for b.Loop() {
			f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			it, err := f.Rows("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for it.Next() {
				cells, err := it.Columns(excelize.Options{RawCellValue: true})
				if err != nil {
					b.Fatal(err)
				}
				n += len(cells)
			}
			it.Close()
			f.Close()
			if n == 0 {
				b.Fatal("no cells")
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("refbatch-validate", func(b *testing.B) {
		for b.Loop() {
			err := runValidate(context.Background(), validateOptions{
				file: path, format: "text", input: importFlags{dateOrder: "mdy"},
				policy: policyFlags{now: today},
			}, env{stdout: io.Discard, stderr: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// writeValidWorkbook writes rows of valid create rows with the canonical
// headers, numbers as numeric cells and dates as date cells, as Excel would.
func writeValidWorkbook(b *testing.B, path string, rows int) {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	header := []any{"Action", "External Reference ID", "Name", "Deal Type", "Customer Name", "City", "Country",
		"Deal Value", "Currency", "Closing Date", "Contact First Name", "Contact Last Name", "Contact Email",
		"Contact Phone", "Share With Microsoft Sellers", "Consent To Contact", "Solution IDs", "Notes"}
	if err := sw.SetRow("A1", header); err != nil {
		b.Fatal(err)
	}
	places := [...][3]string{{"Seattle", "US", "USD"}, {"Berlin", "DE", "EUR"}, {"London", "GB", "GBP"}}
	companies := [...]string{"Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove"}
	base := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		p := places[i%len(places)]
		c := companies[i%len(companies)]
		deal, share := "Private", "no"
		if i%3 == 0 {
			deal, share = "Partner-led", "yes"
		}
		row := []any{"create", "CRM-" + strconv.Itoa(10_000_000+i), c + " data platform", deal, c + " Ltd", p[0], p[1],
			float64(5000 + 1000*(i%995)), p[2], excelize.Cell{StyleID: dateStyle, Value: base.AddDate(0, 0, i%365)},
			"Anna", "Smith", "anna.smith@example.com", fmt.Sprintf("+1 425 555 0%03d", i%1000), share, "yes", "",
			"Customer wants a proposal before quarter end"}
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
