package exporter_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
)

func ExampleNewResults() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	header := refbatch.NewHeader("deals.csv", "", 1, []string{"Name", "Deal Value"})

	path := filepath.Join(dir, "results.csv") // .xlsx and .json work the same way
	results, err := exporter.NewResults(path, header)
	if err != nil {
		log.Fatal(err)
	}
	defer results.Abort() // harmless after a successful Close

	rows := []struct {
		row *refbatch.Row
		res exporter.RowResult
	}{
		{&refbatch.Row{Header: header, Number: 2, Raw: []string{"Contoso", "30000"}},
			exporter.RowResult{Outcome: refbatch.OutcomeCreated, ReferralID: "3f1c2b7e", EngagementID: "9a8b7c6d", ClientRequestID: "c1d2e3f4"}},
		{&refbatch.Row{Header: header, Number: 3, Raw: []string{"=HYPERLINK(\"x\")", "-5"}},
			exporter.RowResult{Outcome: refbatch.OutcomeSkippedInvalid, Error: "Deal Value must be a positive number"}},
	}
	for _, r := range rows {
		if err := results.WriteRow(r.row, r.res); err != nil {
			log.Fatal(err)
		}
	}
	if err := results.Close(nil); err != nil { // nil: count the rows written
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data[len("\ufeff"):]))
	// Output:
	// Name,Deal Value,Outcome,Referral ID,Engagement ID,Microsoft Referral ID,Error,client-request-id,Microsoft Status,Registration Review
	// Contoso,30000,created,3f1c2b7e,9a8b7c6d,,,c1d2e3f4,,
	// "'=HYPERLINK(""x"")",'-5,skipped-invalid,,,,Deal Value must be a positive number,,,
}
