package exporter_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
)

func ExampleNewReport() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	header := refbatch.NewHeader("deals.csv", "", 1, []string{"Name", "Deal Value"})
	header.Index[refbatch.ColName], header.Index[refbatch.ColDealValue] = 0, 1

	path := filepath.Join(dir, "report.json") // .xlsx and .csv work the same way
	report, err := exporter.NewReport(path, header)
	if err != nil {
		log.Fatal(err)
	}
	defer report.Abort() // harmless after a successful Close

	var summary refbatch.Summary
	row := &refbatch.Row{Header: header, Number: 2, Raw: []string{"Contoso", "-5"}}
	findings := []refbatch.Finding{
		row.Finding(refbatch.ColDealValue, refbatch.RuleValue, refbatch.SeverityError, "Deal Value must be a positive number"),
	}
	summary.Add(findings)
	if err := report.WriteRow(row, findings); err != nil {
		log.Fatal(err)
	}
	if err := report.Close(summary, nil); err != nil {
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// {
	//   "summary": {
	//     "rows": 1,
	//     "valid": 0,
	//     "errors": 1,
	//     "warnings": 0,
	//     "byRule": {
	//       "value": 1
	//     }
	//   },
	//   "findings": [
	//     {"row":2,"cell":"B2","column":"Deal Value","header":"Deal Value","rule":"value","severity":"error","message":"Deal Value must be a positive number","value":"-5"}
	//   ]
	// }
}

func ExampleWriteTemplate() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	err = exporter.WriteTemplate(filepath.Join(dir, "template.xlsx"), exporter.TemplateOptions{
		Vocabulary: map[refbatch.Column][]string{refbatch.ColCurrency: {"USD", "EUR"}},
		Plays: []exporter.AreaPlays{
			{Area: "Data and AI", Plays: []string{"Build and Modernize AI Apps"}},
		},
	})
	fmt.Println(err)
	// Output: <nil>
}
