package rules_test

import (
	"fmt"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/rules"
)

// A policy compiles the built-in rules, here extended by a team's rule, and
// an Evaluator applies them to a row.
func ExampleLoadBytes() {
	team := []byte(`
rules:
  - id: notes
    severity: warning
    when: Action == "create"
    check: len(trim(Notes)) >= 20
    columns: [Notes]
    message: describe the customer's need in a sentence
`)
	now := func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }
	policy, err := rules.LoadBytes("team-rules.yaml", team, nil, rules.Options{Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A row as the importer would hand it over: typed fields, Filled bits.
	row := &refbatch.Row{
		Number: 7, ExternalReferenceID: "CRM-7", Name: "Contoso ERP", DealType: refbatch.DealTypePartnerLed,
		CustomerName: "Contoso Ltd", Country: "US", DealValue: 20000, Currency: "EUR",
		ClosingDate: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), RegisterDeal: true,
	}
	for _, c := range []refbatch.Column{refbatch.ColExternalReferenceID, refbatch.ColName, refbatch.ColDealType,
		refbatch.ColCustomerName, refbatch.ColCountry, refbatch.ColDealValue, refbatch.ColCurrency,
		refbatch.ColClosingDate, refbatch.ColRegisterDeal} {
		row.Filled = row.Filled.With(c)
	}
	row.Resolve()

	for _, f := range policy.NewEvaluator().Evaluate(nil, row) {
		if f.Rule == refbatch.RuleDealReg && f.Column != "Deal Value" {
			continue // the contract columns it lacks
		}
		fmt.Printf("%s %s %s: %s\n", f.Severity, f.Rule, f.Column, f.Message)
	}
	// Output:
	// error dealreg Deal Value: the deal value must be greater than USD 25,000; 20,000 EUR is USD 23,200 (Partner Center policy isDealValueEligible)
	// warning date Closing Date: the Closing Date 2026-03-31 is in the past (today is 2026-06-01)
	// warning lifecycle-register Register Deal: the referral is created and registered in the same run; Microsoft asks for 72 hours between creating a deal and marking it Won, and an earlier registration may be rejected (register-deals.md)
	// warning notes Notes: describe the customer's need in a sentence
}

// A compile error names the file, the rule and the position of the mistake.
func ExampleLoadBytes_compileError() {
	_, err := rules.LoadBytes("rules.yaml", []byte(`
rules:
  - id: big-deals
    check: DealValu > 100000
`), nil, rules.Options{})
	fmt.Println(err)
	// Output:
	// rules.yaml: row 4: rule big-deals: 4:12: unknown name DealValu
}

// The tables give the template its drop-down lists.
func ExampleTables_Plays() {
	tables, err := rules.LoadTables("")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ap := range tables.Plays()[:2] {
		fmt.Printf("%s: %d plays, first %q\n", ap.Area, len(ap.Plays), ap.Plays[0])
	}
	fmt.Println(len(tables.Vocabulary()[refbatch.ColCountry]), "countries")
	// Output:
	// Business Applications: 5 plays, first "Accelerate Innovation with Low Code"
	// Data and AI: 2 plays, first "Power Business Decisions with Cloud Scale Analytics"
	// 249 countries
}
