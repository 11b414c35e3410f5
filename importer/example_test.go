package importer_test

import (
	"context"
	"fmt"
	"io"

	"github.com/refbatch/refbatch/importer"
)

// Reading a CSV with a title row, header aliases and a multi-line cell.
func ExampleOpen() {
	ctx := context.Background()
	r, err := importer.Open(ctx, "testdata/title_alias/input.csv", importer.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println("header on row", r.Header().Row)
	for _, f := range r.HeaderFindings() {
		fmt.Println(f.Cell, f.Message)
	}
	for {
		row, findings, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(row.Number, row.ExternalReferenceID, row.DealType, row.DealValue, row.ClosingDate.Format("2006-01-02"), row.SolutionIDs, len(findings))
		r.Release(row) // optional: lets the next row reuse this one's memory
	}
	// Output:
	// header on row 4
	// I4 unknown header "Favourite Colour" is ignored; no column's name is near it: if it holds one (refbatch template lists them), map it with a --mapping file line `COLUMN: [Favourite Colour]`
	// 5 EXT-1 Private 30000 2026-03-31 [] 0
	// 6 EXT-2 Co-sell 30000 2026-03-31 [SOL-1 SOL-2] 0
	// 8 EXT-3 Partner-led 30000.5 2026-03-31 [SOL-3 SOL-4] 0
	// 9 EXT-4 Co-sell -1200 2026-03-31 [] 0
}

// Building one row for a rule test case.
func ExampleRowFromRecord() {
	row, findings, err := importer.RowFromRecord(
		[]string{"Name", "Deal Type", "Deal Value", "Closing Date"},
		[]string{"Migration", "co sell", "USD 30,000", "2/30/2026"},
		importer.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(row.DealType, row.DealValue, row.Action, row.ReferralType)
	for _, f := range findings {
		fmt.Println(f.Cell, f.Rule, f.Message)
	}
	// Output:
	// Co-sell 30000 create Shared
	// D2 date Closing Date "2/30/2026" is not a date: there is no such day
}

// Loading a --mapping file of extra header aliases.
func ExampleLoadMapping() {
	mapping, err := importer.LoadMapping("testdata/mapping/good.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(mapping), "columns mapped")
	_, err = importer.LoadMapping("testdata/mapping/unknown_column.yaml")
	fmt.Println(err)
	// Output:
	// 4 columns mapped
	// testdata/mapping/unknown_column.yaml: row 2: unknown column "Deal Valu"; keys are canonical column names such as "Deal Value"
}
