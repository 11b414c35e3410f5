// Command mstemplates writes refbatch's fixtures in Microsoft's own bulk
// templates, laid out column for column as the documents describe them
// (bulk-operations.md, "CSV file values, descriptions, and examples";
// bulk-operations-deal-registrations.md, the same table), each as .xlsx and
// .csv:
//
//   - ms-cosell-template: 6 new deals and 6 updates in the co-sell
//     opportunities template (57 columns: the documented ones, Managed /
//     Unmanaged / DUNS Account 1 and 2, three Solution and two Team member
//     columns, one Microsoft team member);
//   - ms-dealreg-template: 8 registrations in the deal registrations
//     template (24 columns).
//
// The workbooks are written by importer/xlsxtest (its own XML, not
// excelize), the CSVs by encoding/csv, both with the template's MM/DD/YYYY
// text dates.
//
//	go run ./samples/gen/mstemplates [-dir samples]
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/refbatch/refbatch/importer/xlsxtest"
)

var cosellHeaders = []string{
	"Errors", "Engagement ID", "Referral ID", "Deal Name", "Customer Name", "Customer Address Line 1",
	"Customer Address Line 2", "Customer City", "Customer State", "Customer Postal code", "Customer Country",
	"Customer D-U-N-S ID", "Customer Contact First Name", "Customer Contact Last Name", "Customer Contact Phone number",
	"Customer Contact Email Address", "Partner Referral Status", "Partner Referral Substatus", "Microsoft Referral Status",
	"Declined/Lost/Error reason", "Sales Stage", "Estimated Deal Value", "Currency", "Estimated Close Date", "CRM ID",
	"Marketing Campaign ID", "Notes", "Microsoft help required?", "What specific help from Microsoft?",
	"Share with Microsoft sales team", "Notes to Microsoft", "Consent to share Customer/Partner contact", "CLA Number",
	"Device Category", "Silicon Type", "Azure Certified Device", "Attach Services", "Microsoft MSX ID",
	"Migrated PSC Deal ID", "PartnerID (formerly MPN ID)", "Marketplace Purchase Intent", "Customer Domain Name",
	"Final Matched Customer Account", "Matched category", "Confidence", "Managed Account 1", "Managed Account 2",
	"Unmanaged Account 1", "Unmanaged Account 2", "DUNS Account 1", "DUNS Account 2",
	"Solution 1", "Solution 2", "Solution 3", "Team member 1", "Team member 2", "Microsoft team member 1",
}

// cosellRow fills a co-sell template row from the named cells.
func cosellRow(cells map[string]string) []string {
	out := make([]string, len(cosellHeaders))
	for i, h := range cosellHeaders {
		out[i] = cells[h]
		delete(cells, h)
	}
	if len(cells) > 0 {
		panic(fmt.Sprintf("unknown co-sell columns %v", cells))
	}
	return out
}

func newDeal(n int, name, customer, city, country, value, close, help, helpCode, share, intent, stage string, sols, team []string) []string {
	c := map[string]string{
		"Deal Name": name, "Customer Name": customer, "Customer Address Line 1": fmt.Sprintf("%d Main Street", n),
		"Customer City": city, "Customer Country": country, "Customer Contact First Name": "Dana",
		"Customer Contact Last Name": "Buyer", "Customer Contact Phone number": "4255550100",
		"Customer Contact Email Address": fmt.Sprintf("dana.buyer@customer%d.example", n),
		"Partner Referral Status":        "New", "Partner Referral Substatus": "Accepted", "Sales Stage": stage,
		"Estimated Deal Value": value, "Currency": "USD", "Estimated Close Date": close,
		"CRM ID": fmt.Sprintf("MS-CRM-%03d", n), "Marketing Campaign ID": "BingSummer2027", "Notes": "Created from the bulk template",
		"Microsoft help required?": help, "What specific help from Microsoft?": helpCode,
		"Share with Microsoft sales team": share, "Consent to share Customer/Partner contact": "Yes",
		"Marketplace Purchase Intent": intent, "Customer D-U-N-S ID": fmt.Sprintf("8146684%d", n),
		"PartnerID (formerly MPN ID)": "1234567",
	}
	if help == "Yes" {
		c["Notes to Microsoft"] = "Need help with a POC"
	}
	for i, s := range sols {
		c[fmt.Sprintf("Solution %d", i+1)] = s
	}
	for i, m := range team {
		c[fmt.Sprintf("Team member %d", i+1)] = m
	}
	return cosellRow(c)
}

func update(n int, refID, status, substatus, reason, stage, value string, extra map[string]string) []string {
	c := map[string]string{
		"Engagement ID": fmt.Sprintf("eeeeeeee-0000-4000-8000-%012d", n), "Referral ID": refID,
		"Deal Name": fmt.Sprintf("Downloaded deal %d", n), "Customer Name": fmt.Sprintf("Downloaded Customer %d", n),
		"Customer City": "Redmond", "Customer Country": "US", "Partner Referral Status": status,
		"Partner Referral Substatus": substatus, "Microsoft Referral Status": "Accepted",
		"Declined/Lost/Error reason": reason, "Sales Stage": stage, "Estimated Deal Value": value, "Currency": "USD",
		"Estimated Close Date": "12/15/2027", "CRM ID": fmt.Sprintf("MS-CRM-U%02d", n),
		"Microsoft help required?": "No", "Share with Microsoft sales team": "Yes",
		"Consent to share Customer/Partner contact": "Yes", "Marketplace Purchase Intent": "No",
		"Final Matched Customer Account": "", "Matched category": "Managed", "Confidence": "High",
		"Managed Account 1":       "MicrosoftID: 12-1FG2G, AccountName: Contoso, AccountAddress: PO BOX 80456",
		"Microsoft team member 1": "Sam, Seller, 999999, sam.seller@microsoft.example",
		"Solution 1":              "SOL-34104-EBB, USD, 75, 1200",
	}
	for k, v := range extra {
		c[k] = v
	}
	return cosellRow(c)
}

func cosellRows() [][]string {
	return [][]string{
		newDeal(1, "UK spring deal", "Contoso Corporation", "London", "GB", "125000", "11/30/2027", "Yes", "3", "Yes", "Yes", "20",
			[]string{"SOL-34104-EBB, USD, 10, 100", "SOL-8163-XCJ"}, []string{"Bob, Partner, 4255550101, bob.partner@contoso.example"}),
		newDeal(2, "Fabrikam data platform", "Fabrikam Inc", "Seattle", "US", "80000", "10/15/2027", "Yes", "1", "Yes", "Have not decided", "40",
			[]string{"SOL-8163-XCJ, USD, 80000, 1"}, []string{"Bob, Partner, 4255550101, bob.partner@contoso.example", "Ann, Engineer, 4255550102, ann.engineer@contoso.example"}),
		newDeal(3, "Northwind partner-led", "Northwind Traders", "Chicago", "US", "45000", "12/01/2027", "No", "", "Yes", "No", "60",
			[]string{"SOL-34104-EBB"}, []string{"Bob, Partner, 4255550101, bob.partner@contoso.example"}),
		newDeal(4, "Tailspin private pipeline", "Tailspin Toys", "Austin", "US", "30000", "12/20/2027", "No", "", "No", "No", "10",
			[]string{"SOL-34104-EBB, EUR, 12.5, 40"}, nil),
		newDeal(5, "Woodgrove AI pilot", "Woodgrove Bank", "New York", "US", "260000", "09/30/2027", "Yes", "6", "Yes", "Yes", "80",
			[]string{"SOL-34104-EBB, USD, 260000, 1", "SOL-8163-XCJ, USD, 0, 1", "SOL-1234-PQRS"}, []string{"Bob, Partner, 4255550101, bob.partner@contoso.example"}),
		newDeal(6, "Adatum licensing", "Adatum Corporation", "Toronto", "CA", "52000", "11/11/2027", "Yes", "4", "Yes", "No", "",
			[]string{"SOL-8163-XCJ"}, []string{"Cy, Seller, 4165550100, cy.seller@contoso.example"}),
		update(1, "ref-u1", "Closed", "Won", "", "", "140000", nil),
		update(2, "ref-u2", "Closed", "Lost", "3", "", "90000", nil),
		update(3, "ref-u3", "Closed", "Declined", "1", "", "60000", nil),
		update(4, "ref-u4", "Closed", "Error", "2", "", "60000", nil),
		update(5, "ref-u5", "Active", "Accepted", "", "60", "75000", map[string]string{
			"Microsoft help required?": "Yes", "What specific help from Microsoft?": "2", "Notes to Microsoft": "Upgrade to co-sell: architecture review"}),
		update(6, "ref-u6", "Active", "Accepted", "", "80", "98000", map[string]string{
			"Team member 1": "Ann, Engineer, 4255550102, ann.engineer@contoso.example"}),
	}
}

var dealregHeaders = []string{
	"Referral ID", "Registration Date", "Registration Type", "Registration Status", "Registration Status Reason",
	"Is Marketplace Transacted", "Marketplace Transaction Date", "Is Deployed on Azure", "Contract Value",
	"Contract Currency", "Contract Term", "Contract Sign Date", "Contract Start Date", "Contract End Date",
	"Solution Value", "Solution Currency", "Primary Deployment On", "Pricing Model", "Review Pending Date",
	"Action Required Date", "Passed Date", "Failed Date", "Approved Date", "Errors",
}

func dealregRows() [][]string {
	var rows [][]string
	for i, r := range []struct {
		status, mp, mpDate, term, sign, start, end, deploy, pricing, value string
	}{
		{"", "Yes", "11/01/2026", "Finite", "11/02/2026", "11/05/2026", "11/04/2029", "Customer", "PayAsYouGo", "250000"},
		{"", "No", "", "Perpetual", "11/10/2026", "11/12/2026", "", "Partner", "Other", "400000"},
		{"", "No", "", "Finite", "11/03/2026", "11/03/2026", "11/02/2028", "Customer", "Other", "120000"},
		{"", "Yes", "10/30/2026", "Finite", "10/31/2026", "11/01/2026", "10/31/2027", "Partner", "PayAsYouGo", "90000"},
		{"ActionRequired", "No", "", "Finite", "11/01/2026", "11/15/2026", "11/14/2028", "Customer", "Other", "70000"},
		{"", "No", "", "Finite", "11/15/2026", "11/10/2026", "11/09/2028", "Customer", "Other", "80000"},
		{"", "No", "", "Perpetual", "11/05/2026", "11/06/2026", "", "Partner", "PayAsYouGo", "600000"},
		{"Approved", "No", "", "Finite", "10/20/2026", "10/25/2026", "10/24/2028", "Customer", "Other", "100000"},
	} {
		row := map[string]string{
			"Referral ID": fmt.Sprintf("ref-r%d", i+1), "Registration Type": "AzureIPCoSell", "Registration Status": r.status,
			"Is Marketplace Transacted": r.mp, "Marketplace Transaction Date": r.mpDate, "Is Deployed on Azure": "Yes",
			"Contract Value": r.value, "Contract Currency": "USD", "Contract Term": r.term, "Contract Sign Date": r.sign,
			"Contract Start Date": r.start, "Contract End Date": r.end, "Solution Value": r.value, "Solution Currency": "USD",
			"Primary Deployment On": r.deploy, "Pricing Model": r.pricing,
		}
		if r.status != "" {
			row["Registration Date"] = "10/26/2026"
			row["Review Pending Date"] = "10/26/2026"
		}
		out := make([]string, len(dealregHeaders))
		for j, h := range dealregHeaders {
			out[j] = row[h]
		}
		rows = append(rows, out)
	}
	return rows
}

func main() {
	dir := flag.String("dir", "samples", "where to write the fixtures")
	flag.Parse()
	for _, f := range []struct {
		name    string
		headers []string
		rows    [][]string
	}{
		{"ms-cosell-template", cosellHeaders, cosellRows()},
		{"ms-dealreg-template", dealregHeaders, dealregRows()},
	} {
		if err := write(filepath.Join(*dir, f.name), f.headers, f.rows); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func write(base string, headers []string, rows [][]string) error {
	all := append([][]string{headers}, rows...)
	cf, err := os.Create(base + ".csv")
	if err != nil {
		return err
	}
	w := csv.NewWriter(cf)
	if err := w.WriteAll(all); err != nil {
		cf.Close()
		return err
	}
	if err := cf.Close(); err != nil {
		return err
	}
	var cells [][]any
	for _, r := range all {
		row := make([]any, len(r))
		for i, v := range r {
			row[i] = v
		}
		cells = append(cells, row)
	}
	return xlsxtest.WriteFile(base+".xlsx", cells, xlsxtest.Options{SheetName: "Sheet1"})
}
