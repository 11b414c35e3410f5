package importer

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/importer/xlsxtest"
)

// crmCountries stand in for the rules tables' country names (the importer
// takes them as Options.Aliases).
var crmCountries = map[refbatch.Column]map[string]string{refbatch.ColCountry: {
	"United States": "US", "USA": "US", "Germany": "DE", "Switzerland": "CH", "United Kingdom": "GB", "Canada": "CA",
}}

// crmWant is what a row of a CRM export reads as.
type crmWant struct {
	ext, name, customer string
	value               float64
	currency, country   string
	close               string // YYYY-MM-DD
	status, substatus   string
	stageWarning        bool
}

// TestCRMExports reads the opportunity exports of Salesforce (a report's
// "Details Only" CSV), Dynamics 365 ("Export to Excel" of an opportunity
// view) and HubSpot (the deals index's "Export view") with no mapping: every
// header is recognised (Salesforce's "Type" is the one unknown, and its
// warning names Deal Type and the --mapping line), Dynamics' currency names
// and Country/Region read as codes, and a won or lost stage becomes Status
// and Substatus while an open one gets a crm-stage warning. Each file is
// read as the CSV in samples/crm (written by Python's csv module) and as
// an XLSX of the same cells written by xlsxtest, not excelize.
func TestCRMExports(t *testing.T) {
	for _, tc := range []struct {
		file    string
		unknown []string // headers warned about
		rows    []crmWant
	}{
		{"salesforce.csv", []string{"Type"}, []crmWant{
			{"0065g00000AbCdEAAV", "Fabrikam ERP refresh", "Fabrikam Inc", 45000, "USD", "US", "2027-09-30", "", "", true},
			{"0065g00000AbCdFAAV", "Northwind data estate", "Northwind Traders", 82500, "USD", "US", "2027-10-29", "", "", true},
			{"0065g00000AbCdGAAV", "Adventure Works analytics", "Adventure Works GmbH", 64000, "EUR", "DE", "2027-11-30", "Closed", "Won", false},
			{"0065g00000AbCdHAAV", "Tailspin AI assistants", "Tailspin Toys", 120000, "USD", "US", "2027-12-15", "Closed", "Lost", false},
		}},
		{"dynamics.csv", nil, []crmWant{
			{"7d2b1c4e-93a1-ef11-8a69-000d3a8b1c2d", "Contoso Pharma platform", "Contoso Pharma", 250000, "USD", "US", "2027-09-30", "", "", true},
			{"7d2b1c4e-93a1-ef11-8a69-000d3a8b1c2e", "Alpine Ski House booking", "Alpine Ski House", 38000, "CHF", "CH", "2027-10-01", "", "", true},
			{"7d2b1c4e-93a1-ef11-8a69-000d3a8b1c2f", "Proseware security review", "Proseware Ltd", 54000, "GBP", "GB", "2027-11-01", "Closed", "Won", false},
			{"7d2b1c4e-93a1-ef11-8a69-000d3a8b1c30", "Woodgrove Bank data mesh", "Woodgrove Bank", 410000, "USD", "CA", "2027-12-01", "Closed", "Lost", false},
			// Lost and Canceled: lost, or declined? Not unambiguous.
			{"7d2b1c4e-93a1-ef11-8a69-000d3a8b1c31", "Lucerne Publishing archive", "Lucerne Publishing", 27000, "USD", "US", "2027-12-10", "", "", true},
		}},
		{"hubspot.csv", nil, []crmWant{
			{"16001234501", "Litware Teams rollout", "Litware Inc", 76000, "USD", "", "2027-10-20", "", "", true},
			{"16001234502", "Coho Winery CRM", "Coho Winery", 31500, "USD", "", "2027-09-30", "", "", true},
			{"16001234503", "Relecloud hybrid migration", "Relecloud", 150000, "AUD", "", "2027-12-15", "Closed", "Won", false},
			{"16001234504", "Wingtip Toys e-commerce", "Wingtip Toys", 99000, "USD", "", "2027-12-10", "Closed", "Lost", false},
		}},
	} {
		csvPath := filepath.Join("..", "samples", "crm", tc.file)
		xlsxPath := filepath.Join(t.TempDir(), strings.TrimSuffix(tc.file, ".csv")+".xlsx")
		writeXLSXOfCSV(t, csvPath, xlsxPath)
		for _, path := range []string{csvPath, xlsxPath} {
			t.Run(filepath.Base(path), func(t *testing.T) {
				r, rows, finds := readFile(t, path, Options{Aliases: crmCountries})
				var unknown []string
				for _, f := range r.HeaderFindings() {
					unknown = append(unknown, f.Header)
					if f.Header == "Type" && (!strings.Contains(f.Message, "nearest column is Deal Type") ||
						!strings.Contains(f.Message, "`Deal Type: [Type]`")) {
						t.Errorf("unknown header warning: %s", f.Message)
					}
				}
				if strings.Join(unknown, ",") != strings.Join(tc.unknown, ",") {
					t.Errorf("unknown headers %q, want %q", unknown, tc.unknown)
				}
				if len(rows) != len(tc.rows) {
					t.Fatalf("%d rows, want %d", len(rows), len(tc.rows))
				}
				stageWarned := map[int]bool{}
				for _, f := range finds {
					if f.Rule != refbatch.RuleCRMStage {
						t.Errorf("row %d: unexpected finding %s: %s", f.Row, f.Rule, f.Message)
						continue
					}
					stageWarned[f.Row] = true
				}
				for i, w := range tc.rows {
					row := rows[i]
					got := crmWant{row.ExternalReferenceID, row.Name, row.CustomerName, row.DealValue, row.Currency, row.Country,
						row.ClosingDate.Format("2006-01-02"), row.Status, row.Substatus, stageWarned[row.Number]}
					if got != w {
						t.Errorf("row %d:\n got %+v\nwant %+v", row.Number, got, w)
					}
				}
			})
		}
	}
}

// writeXLSXOfCSV writes the cells of a CSV file as a workbook with
// xlsxtest, amounts that are plain numbers as numeric cells.
func writeXLSXOfCSV(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, len(records))
	for i, rec := range records {
		rows[i] = make([]any, len(rec))
		for j, v := range rec {
			rows[i][j] = v
		}
	}
	if err := xlsxtest.WriteFile(to, rows, xlsxtest.Options{SheetName: "Export"}); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownHeaderNamesTheNearestColumn(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"Oportunity Nme", "the nearest column is Name: if that is what it holds, map it with a --mapping file line `Name: [Oportunity Nme]`"},
		{"Contact Mail", "`Contact Email: [Contact Mail]`"},
		{"Close Dt", "`Closing Date: [Close Dt]`"},
		{"Deal Value: net", "`Deal Value: [\"Deal Value: net\"]`"}, // quoted where YAML needs it
		{"Favourite Colour", "no column's name is near it"},
	} {
		if got := unknownHeaderMessage(tc.header); !strings.Contains(got, tc.want) {
			t.Errorf("%q: %s\nwant it to say %s", tc.header, got, tc.want)
		}
	}
}
