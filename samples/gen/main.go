// Command gen writes refbatch's sample inputs, two sets of a partner sales
// team's Q3 pipeline:
//
//   - samples/q3-pipeline.xlsx and the same rows as samples/q3-pipeline.csv:
//     a clean file, every row valid (no error, no warning), that a run
//     against a fresh sandbox completes: creates of every deal type, two
//     deal registrations, and updates that name a referral by the CRM ID an
//     earlier row creates it with;
//   - samples/q3-pipeline-errors.xlsx, the same rows as
//     samples/q3-pipeline-errors.csv, and a European export of them as
//     samples/q3-pipeline-errors-eu.csv (';', BOM, decimal comma, day-first
//     dates): good rows and fifteen deliberately bad ones, each listed in
//     samples/README.md.
//
// Both look like what a sales team sends: a title row, alias headers
// ("CRM ID", "Amount", "Account Name"…), lowercase enums, currency strings,
// real Excel dates next to text dates.
//
//	go run ./samples/gen [-dir samples]
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// errorHeaders are the columns of the errors sample, with one refbatch does
// not know (Region Manager).
var errorHeaders = []string{
	"CRM ID", "Opportunity Name", "Account Name", "Deal Type", "Amount", "Currency",
	"Expected Close Date", "Country Code", "City", "Contact First Name", "Contact Last Name",
	"Contact Email", "Contact Phone", "Solution ID", "Assistance Request Code", "Invite Notes",
	"Partner Center ID", "Status", "Sub Status", "Current Status",
	"Services Co-sell", "Partner Role", "Solution Area", "Solution Play",
	"Register Deal", "Customer Managed", "Microsoft Referral Status", "Contract Value",
	"Contract Currency", "Contract Term", "Contract Sign Date", "Contract Start Date",
	"Contract End Date", "Pricing Model", "Primary Deployment On", "Deployed On Azure",
	"Notes", "Owner Email", "Region Manager",
}

// row maps a header to a cell: string (text as typed), float64 (a numeric
// cell) or time.Time (a date cell). nil rows are blank lines.
type row map[string]any

func d(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }

func contact(first, last, email, phone string) row {
	return row{"Contact First Name": first, "Contact Last Name": last, "Contact Email": email, "Contact Phone": phone}
}

func merge(rs ...row) row {
	out := row{}
	for _, r := range rs {
		for k, v := range r {
			out[k] = v
		}
	}
	return out
}

func create(id, name, customer, dealType string, amount any, currency string, closing any, country, city string) row {
	return row{"CRM ID": id, "Opportunity Name": name, "Account Name": customer, "Deal Type": dealType,
		"Amount": amount, "Currency": currency, "Expected Close Date": closing, "Country Code": country, "City": city}
}

func registration(value float64, currency string) row {
	return row{"Register Deal": "yes", "Customer Managed": "yes", "Microsoft Referral Status": "Accepted",
		"Contract Value": value, "Contract Currency": currency, "Contract Term": "Finite",
		"Contract Sign Date": d(2026, 11, 10), "Contract Start Date": d(2026, 11, 15), "Contract End Date": d(2027, 11, 14),
		"Pricing Model": "Other", "Primary Deployment On": "Partner", "Deployed On Azure": "yes"}
}

// errorRows are the rows of the errors sample.
func errorRows() []row {
	return []row{
		// Good rows.
		merge(create("CRM-24001", "Fabrikam ERP refresh", "Fabrikam Inc", "Private", 45000.0, "USD", d(2027, 2, 15), "US", "Seattle"),
			contact("Ana", "Bauer", "ana.bauer@fabrikam.com", "+1 206 555 0101"),
			row{"Notes": `=HYPERLINK("http://example.com","see CRM")`, "Region Manager": "West"}),
		merge(create("CRM-24002", "Northwind data estate", "Northwind Traders", "partner led", "$82,500", "usd", "3/31/2027", "us", "Chicago"),
			contact("Raj", "Patel", "raj.patel@northwind.com", "(312) 555-0142")),
		merge(create("CRM-24003", "Tailspin AI assistants", "Tailspin Toys", "Co-Sell", 120000.0, "USD", d(2027, 3, 1), "US", "Austin"),
			contact("Mia", "Chen", "mia.chen@tailspin.com", "512-555-0188"),
			row{"Solution ID": "SOL-34104-EBB", "Assistance Request Code": "ProofOfConceptOrDemo", "Invite Notes": "Customer wants a PoC on Azure OpenAI before budget sign-off."}),
		merge(create("CRM-24004", "Adventure Works analytics", "Adventure Works GmbH", "cosell", "EUR 64,000", "EUR", "2027-04-30", "DE", "Berlin"),
			contact("Jonas", "Weber", "jonas.weber@adventure-works.de", "+49 30 5550 1234"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "CustomerTechnicalArchitecture"}),
		merge(create("CRM-24005", "Contoso Pharma platform", "Contoso Pharma", "Co-sell", 250000.0, "USD", d(2027, 1, 31), "US", "Boston"),
			contact("Lena", "Novak", "lena.novak@contosopharma.com", "617 555 0133"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "ProofOfConceptOrDemo"},
			registration(250000, "USD")),
		merge(create("CRM-24006", "Litware Teams rollout", "Litware Inc", "Co-sell", 76000.0, "USD", d(2027, 5, 15), "US", "Denver"),
			contact("Omar", "Haddad", "omar.haddad@litware.com", "720-555-0190"),
			row{"Solution ID": "SOL-8163-XCJ", "Services Co-sell": "yes", "Partner Role": "Deployment services",
				"Solution Area": "Modern Work", "Solution Play": "Employee Experience"}),
		{"Partner Center ID": "4111fffc-f9ee-4d53-bba6-569135228642", "Opportunity Name": "Wide World Importers renewal",
			"Status": "Closed", "Sub Status": "Won", "Current Status": "Active", "Amount": 98000.0, "Currency": "USD"},
		{"Partner Center ID": "c5fbb3b6-be74-4795-9fb5-4324c73fed37", "Notes": "Customer asked for a second workshop in January.",
			"Owner Email": "li.wang@partner.example"},
		{"Partner Center ID": "fa2ebe8d-754c-4d43-baa1-c31688a9c8ff", "Status": "active", "Sub Status": "accepted", "Current Status": "New"},
		merge(create("CRM-24010", "Alpine Ski House booking", "Alpine Ski House", "Private", "CHF 38,000", "CHF", d(2027, 2, 28), "CH", "Zurich"),
			contact("Nina", "Keller", "nina.keller@alpineskihouse.ch", "+41 44 555 01 20")),
		merge(create("CRM-24011", "Coho Winery CRM", "Coho Winery", "Partner-led", 31500.0, "USD", "6/30/2027", "US", "Napa"),
			contact("Sam", "Ortiz", "sam.ortiz@cohowinery.com", "707-555-0111")),
		merge(create("CRM-24012", "Proseware security review", "Proseware Ltd", "Partner-led", "£54,000", "GBP", d(2027, 3, 15), "GB", "London"),
			contact("Emma", "Clarke", "emma.clarke@proseware.co.uk", "+44 20 7946 0321")),
		merge(create("CRM-24013", "Woodgrove Bank data mesh", "Woodgrove Bank", "Co-sell", 410000.0, "USD", d(2027, 6, 30), "CA", "Toronto"),
			contact("Liam", "Roy", "liam.roy@woodgrovebank.com", "416-555-0167"),
			row{"Solution ID": "SOL-34104-EBB; DEAL-123456-XYZ", "Assistance Request Code": "WorkloadSpecificValueProposition"}),
		merge(create("CRM-24014", "Lucerne Publishing archive", "Lucerne Publishing", "Private", 27000.0, "USD", d(2027, 4, 1), "US", "New York"),
			contact("Ivy", "Brooks", "ivy.brooks@lucernepublishing.com", "212-555-0175")),
		merge(create("CRM-24015", "Relecloud hybrid migration", "Relecloud", "Partner-led", 150000.0, "USD", d(2027, 7, 31), "AU", "Sydney"),
			contact("Jack", "Wilson", "jack.wilson@relecloud.com.au", "+61 2 5550 1234")),
		nil, // a blank line: skipped, and the rows below keep their own numbers
		merge(create("CRM-24016", "Trey Research lab data", "Trey Research", "Co-sell", 88000.0, "USD", d(2027, 3, 31), "US", "San Diego"),
			contact("Zoe", "Kim", "zoe.kim@treyresearch.net", "619-555-0144"),
			row{"Solution ID": "SOL-8163-XCJ", "Assistance Request Code": "GeneralOrOther"}),
		merge(create("CRM-24017", "Graphic Design Institute LMS", "Graphic Design Institute", "Private", 19500.0, "USD", d(2027, 2, 1), "US", "Portland"),
			contact("Leo", "Garcia", "leo.garcia@gdi.edu", "503-555-0156")),
		merge(create("CRM-24018", "Humongous Insurance claims AI", "Humongous Insurance", "Co-sell", 320000.0, "USD", d(2027, 8, 15), "US", "Hartford"),
			contact("Ava", "Singh", "ava.singh@humongousinsurance.com", "860-555-0122"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "ProofOfConceptOrDemo"},
			registration(320000, "USD")),
		merge(create("CRM-24019", "Margie's Travel booking engine", "Margie's Travel", "Partner-led", "USD 61,250.50", "USD", d(2027, 5, 1), "US", "Miami"),
			contact("Eli", "Ward", "eli.ward@margiestravel.com", "305-555-0199")),
		merge(create("CRM-24020", "Fourth Coffee loyalty app", "Fourth Coffee", "Private", 42000.0, "USD", d(2027, 1, 20), "US", "Seattle"),
			contact("Kai", "Lopez", "kai.lopez@fourthcoffee.com", "206-555-0177")),
		merge(create("CRM-24021", "VanArsdel retail analytics", "VanArsdel Ltd", "Partner-led", 73000.0, "EUR", d(2027, 6, 1), "FR", "Paris"),
			contact("Chloé", "Martin", "chloe.martin@vanarsdel.fr", "+33 1 55 50 12 34")),
		merge(create("CRM-24022", "Wingtip Toys e-commerce", "Wingtip Toys", "Co-sell", 99000.0, "USD", d(2027, 4, 15), "US", "Dallas"),
			contact("Ben", "Hall", "ben.hall@wingtiptoys.com", "214-555-0161"),
			row{"Solution ID": "SOL-34104-EBB", "Assistance Request Code": "QuotesOrLicensing"}),
		merge(create("CRM-24023", "City Power & Light grid IoT", "City Power & Light", "Partner-led", 205000.0, "USD", d(2027, 9, 30), "US", "Phoenix"),
			contact("Mae", "Young", "mae.young@cpandl.com", "602-555-0104")),

		// Deliberately bad rows; samples/README.md lists what each one shows.
		merge(create("CRM-24101", "Blue Yonder fleet tracking", "", "Private", 52000.0, "USD", d(2027, 2, 10), "US", "Atlanta"),
			contact("Rob", "Fox", "rob.fox@blueyonder.com", "404-555-0112")),
		merge(create("CRM-24102", "Bellows College portal", "Bellows College", "Co-Sel", 64000.0, "USD", d(2027, 3, 3), "US", "Madison"),
			contact("Amy", "Ng", "amy.ng@bellows.edu", "608-555-0138")),
		merge(create("CRM-24103", "Datum Corp data lake", "A. Datum Corporation", "Partner-led", "thirty thousand", "USD", d(2027, 3, 20), "US", "Reno"),
			contact("Tom", "Berg", "tom.berg@adatum.com", "775-555-0155")),
		merge(create("CRM-24104", "Consolidated Messenger routing", "Consolidated Messenger", "Private", 47000.0, "USD", "31/13/2027", "US", "Omaha"),
			contact("Ada", "Reed", "ada.reed@consolidatedmessenger.com", "402-555-0123")),
		merge(create("CRM-24105", "Southridge Video streaming", "Southridge Video", "Private", 39000.0, "Dollars", d(2027, 4, 4), "US", "Tampa"),
			contact("Ray", "Diaz", "ray.diaz@southridgevideo.com", "813-555-0186")),
		create("CRM-24106", "Nod Publishers co-sell", "Nod Publishers", "Co-sell", 58000.0, "USD", d(2027, 5, 5), "US", "Boise"),
		{"Partner Center ID": "37ef26aa-1d15-4533-9f93-a69bd33ab1e5", "Status": "Closed", "Sub Status": "Pending", "Current Status": "Active"},
		{"Partner Center ID": "65edc0b5-3485-41b7-a17e-dfa9ef4706e2", "Status": "Active", "Sub Status": "Accepted", "Current Status": "Closed"},
		merge(create("CRM-24109", "Fabrikam Fiber registration", "Fabrikam Fiber", "Co-sell", 25000.0, "USD", d(2027, 2, 20), "US", "Spokane"),
			contact("Ian", "Cole", "ian.cole@fabrikamfiber.com", "509-555-0109"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "ProofOfConceptOrDemo"},
			registration(60000, "USD")),
		merge(create("CRM-24110", "Tailwind Traders registration", "Tailwind Traders GmbH", "Co-sell", "EUR 21,000", "EUR", d(2027, 3, 10), "DE", "Munich"),
			contact("Eva", "Braun", "eva.braun@tailwindtraders.de", "+49 89 5550 4321"),
			row{"Solution ID": "DEAL-123456-XYZ", "Assistance Request Code": "ProofOfConceptOrDemo"},
			registration(60000, "EUR"), row{"Microsoft Referral Status": "Pending"}),
		merge(create("CRM-24111", "Lamna Healthcare intake", "Lamna Healthcare", "Partner-led", 67000.0, "USD", d(2027, 6, 6), "US", "Nashville"),
			contact("Jane", "Doe", "jane.doe@", "615-555-0117")),
		merge(create("CRM-24001", "Fabrikam ERP refresh (copy)", "Fabrikam Inc", "Private", 45000.0, "USD", d(2027, 2, 15), "US", "Seattle"),
			contact("Ana", "Bauer", "ana.bauer@fabrikam.com", "+1 206 555 0101")),
		merge(create("CRM-24113", "Contoso Bank SOC", "Contoso Bank", "Co-sell", 140000.0, "USD", d(2027, 7, 7), "US", "Charlotte"),
			contact("Max", "Hart", "max.hart@contosobank.com", "704-555-0131"),
			row{"Solution ID": "SOL-8163-XCJ", "Services Co-sell": "yes", "Partner Role": "Managed services",
				"Solution Area": "Security", "Solution Play": "Migrate SAP"}),
		merge(create("CRM-24114", "Wide World Importers EDI", "Wide World Importers", "Private", 29000.0, "USD", d(2026, 6, 30), "US", "Newark"),
			contact("Kim", "Lee", "kim.lee@wideworldimporters.com", "973-555-0164")),
		merge(create("CRM-24115", "First Up Consultants CRM", "First Up Consultants", "Partner-led", 56000.0, "USD", d(2027, 8, 8), "USA", "Cleveland"),
			contact("Al", "Moss", "al.moss@firstupconsultants.com", "216-555-0191")),
	}
}

// sample is one input file set.
type sample struct {
	name    string // file name without extension
	headers []string
	rows    []row
	eu      bool // also write name-eu.csv
}

func main() {
	dir := flag.String("dir", "samples", "folder to write the samples into")
	flag.Parse()
	for _, sm := range []sample{
		{name: "q3-pipeline", headers: cleanHeaders, rows: cleanRows()},
		{name: "q3-pipeline-errors", headers: errorHeaders, rows: errorRows(), eu: true},
	} {
		if err := writeXLSX(filepath.Join(*dir, sm.name+".xlsx"), sm.headers, sm.rows); err != nil {
			fail(err)
		}
		if err := writeCSV(filepath.Join(*dir, sm.name+".csv"), sm.headers, sm.rows, ',', false, usText); err != nil {
			fail(err)
		}
		if !sm.eu {
			continue
		}
		if err := writeCSV(filepath.Join(*dir, sm.name+"-eu.csv"), sm.headers, sm.rows, ';', true, euText); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

const (
	title    = "Contoso Partner Solutions: Q3 FY27 pipeline for Partner Center"
	subtitle = "Exported from CRM on 2026-11-20 by Sales Operations. Do not change the header names."
)

func writeXLSX(path string, headers []string, rows []row) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Pipeline"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	moneyStyle, err := f.NewStyle(&excelize.Style{NumFmt: 4})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	f.SetCellValue(sheet, "A1", title)
	f.SetCellStyle(sheet, "A1", "A1", bold)
	f.SetCellValue(sheet, "A2", subtitle)
	const headerRow = 4
	for i, h := range headers {
		cell, _ := excelize.CoordinatesToCellName(i+1, headerRow)
		f.SetCellValue(sheet, cell, h)
	}
	for n, r := range rows {
		rowNum := headerRow + 1 + n
		for i, h := range headers {
			v, ok := r[h]
			if !ok {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, rowNum)
			switch v := v.(type) {
			case time.Time:
				f.SetCellValue(sheet, cell, v)
				f.SetCellStyle(sheet, cell, cell, dateStyle)
			case float64:
				f.SetCellFloat(sheet, cell, v, -1, 64)
				f.SetCellStyle(sheet, cell, cell, moneyStyle)
			case string:
				// Text stays text, even when it looks like a formula.
				f.SetCellStr(sheet, cell, v)
			}
		}
	}
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: "A5", ActivePane: "bottomLeft"})
	return f.SaveAs(path)
}

type formatter func(any) string

func usText(v any) string {
	switch v := v.(type) {
	case time.Time:
		return fmt.Sprintf("%d/%d/%d", v.Month(), v.Day(), v.Year())
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	return ""
}

// euText writes what a European Excel exports: day-first dates and decimal
// commas with '.' thousands separators.
func euText(v any) string {
	switch v := v.(type) {
	case time.Time:
		return fmt.Sprintf("%02d/%02d/%d", v.Day(), v.Month(), v.Year())
	case float64:
		return euNumber(v)
	case string:
		if m, ok := strings.CutPrefix(v, "3/31/2027"); ok && m == "" {
			return "31/03/2027"
		}
		if m, ok := strings.CutPrefix(v, "6/30/2027"); ok && m == "" {
			return "30/06/2027"
		}
		// "EUR 64,000" → "EUR 64.000"; "USD 61,250.50" → "USD 61.250,50".
		for _, p := range []string{"$", "£", "EUR ", "USD ", "CHF "} {
			if rest, ok := strings.CutPrefix(v, p); ok {
				if f, err := strconv.ParseFloat(strings.ReplaceAll(rest, ",", ""), 64); err == nil {
					return p + euNumber(f)
				}
			}
		}
		return v
	}
	return ""
}

func euNumber(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String() + "," + frac
}

func writeCSV(path string, headers []string, rows []row, delim rune, bom bool, format formatter) error {
	var sb strings.Builder
	if bom {
		sb.WriteString("\ufeff")
	}
	w := csv.NewWriter(&sb)
	w.Comma = delim
	blank := make([]string, len(headers))
	w.Write(append([]string{title}, blank[1:]...))
	w.Write(append([]string{subtitle}, blank[1:]...))
	w.Write(blank)
	w.Write(headers)
	for _, r := range rows {
		rec := make([]string, len(headers))
		for i, h := range headers {
			if v, ok := r[h]; ok {
				rec[i] = format(v)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}
