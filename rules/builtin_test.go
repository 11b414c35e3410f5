package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
)

func evaluate(t *testing.T, p *Policy, c cells) []refbatch.Finding {
	t.Helper()
	row, _ := c.row(t)
	return p.NewEvaluator().Evaluate(nil, row)
}

func sameFindings(got, want []found) bool {
	key := func(f found) string { return f.String() }
	g, w := make([]string, len(got)), make([]string, len(want))
	for i := range got {
		g[i] = key(got[i])
	}
	for i := range want {
		w[i] = key(want[i])
	}
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// registration is validCreate made ready for deal registration.
func registration() cells {
	return validCreate().with(
		"Register Deal", "yes",
		"Customer Managed", "yes",
		"Microsoft Referral Status", "Accepted",
		"Contract Value", "48000",
		"Contract Currency", "USD",
		"Contract Term", "Finite",
		"Contract Sign Date", "2026-05-20",
		"Contract Start Date", "2026-06-01",
		"Contract End Date", "2027-05-31",
		"Pricing Model", "Other",
		"Primary Deployment On", "Partner",
		"Deployed On Azure", "yes",
	)
}

func TestBuiltinRules(t *testing.T) {
	p := loadPolicy(t, "")
	update := cells{"Referral ID": "4111fffc-f9ee-4d53-bba6-569135228642"}
	for _, tc := range []struct {
		name string
		row  cells
		want []found
	}{
		// Rows that pass every rule.
		{"valid co-sell create", validCreate(), nil},
		{"valid partner-led create", validCreate().with("Deal Type", "Partner-led"), nil},
		{"valid private create", validCreate().with("Deal Type", "Private"), nil},
		{"deal type from help needed", validCreate().with("Deal Type", "", "Help Needed", "yes"), nil},
		{"valid update", update.with("Deal Value", "60000", "Currency", "USD", "Notes", "bigger"), nil},
		{"valid update to won", update.with("Current Status", "Active", "Status", "Closed", "Substatus", "Won", "Closing Date", "2026-03-01"), nil},
		{"valid registration", registration(), nil},
		{"enums in any case", validCreate().with("Country", "us", "Deal Type", "co sell", "Currency", "usd"), nil},

		// required
		{"create without name", validCreate().with("Name", ""), []found{errorOn("required", "Name")}},
		{"create with a name only", cells{"Name": "Contoso"}, []found{
			errorOn("required", "Deal Type"), errorOn("required", "Customer Name"), errorOn("required", "Country"),
			errorOn("required", "Deal Value"), errorOn("required", "Currency"), errorOn("required", "Closing Date"),
			errorOn("required", "External Reference ID"),
		}},
		{"update without referral id", cells{"Action": "update", "Notes": "x"}, []found{errorOn("required", "Referral ID")}},
		{"update by external reference id", cells{"Action": "update", "External Reference ID": "CRM-24001", "Status": "Active", "Substatus": "Accepted"}, nil},

		// enum
		{"unknown country", validCreate().with("Country", "USA"), []found{errorOn("enum", "Country")}},
		{"unknown deal type", validCreate().with("Deal Type", "Joint"), []found{errorOn("enum", "Deal Type")}},
		{"unknown customer size", validCreate().with("Customer Size", "huge"), []found{errorOn("enum", "Customer Size")}},
		{"unknown assistance code", validCreate().with("Assistance Request Code", "Pizza"), []found{errorOn("enum", "Assistance Request Code")}},
		{"unknown action", validCreate().with("Action", "upsert"), []found{errorOn("enum", "Action")}},
		{"unknown contract term", validCreate().with("Contract Term", "Forever"), []found{errorOn("enum", "Contract Term")}},
		{"unknown solution area", validCreate().with("Solution Area", "Gaming", "Solution Play", "Migrate SAP"), []found{errorOn("enum", "Solution Area")}},

		// status-pair
		{"substatus of another status", update.with("Status", "New", "Substatus", "Accepted"), []found{errorOn("status-pair", "Substatus")}},
		{"status without substatus", update.with("Status", "Closed"), []found{errorOn("status-pair", "Substatus")}},
		{"substatus without status", update.with("Substatus", "Won"), []found{errorOn("status-pair", "Status")}},
		{"active accepted", update.with("Status", "Active", "Substatus", "Accepted"), nil},

		// status-transition
		{"closed cannot reopen", update.with("Current Status", "Closed", "Status", "Active", "Substatus", "Accepted"), []found{errorOn("status-transition", "Status")}},
		{"new may close", update.with("Current Status", "New", "Status", "Closed", "Substatus", "Lost"), nil},

		// services-cosell
		{"services co-sell without role, area, play", validCreate().with("Services Co-sell", "yes"), []found{
			errorOn("services-cosell", "Partner Role"), errorOn("services-cosell", "Solution Area"), errorOn("services-cosell", "Solution Play"),
		}},
		{"services co-sell complete", validCreate().with("Services Co-sell", "yes", "Partner Role", "Proof of concept",
			"Solution Area", "Infrastructure", "Solution Play", "Migrate SAP"), nil},

		// solution-play
		{"play of another area", validCreate().with("Solution Area", "Security", "Solution Play", "Migrate SAP"), []found{errorOn("solution-play", "Solution Play")}},
		{"play without area", validCreate().with("Solution Play", "Migrate SAP"), []found{errorOn("solution-play", "Solution Area")}},
		{"play in two areas, first", validCreate().with("Solution Area", "Data and AI", "Solution Play", "Build and Modernize AI Apps"), nil},
		{"play in two areas, second", validCreate().with("Solution Area", "Digital and Application Innovation", "Solution Play", "build and modernize ai apps"), nil},

		// cosell
		{"co-sell not shared", validCreate().with("Share With Microsoft Sellers", "no"), []found{errorOn("cosell", "Share With Microsoft Sellers")}},
		{"co-sell independent", validCreate().with("Referral Type", "Independent"), []found{errorOn("cosell", "Referral Type")}},
		{"co-sell without contact email", validCreate().with("Contact Email", ""), []found{errorOn("cosell", "Contact Email")}},
		{"co-sell without solution", validCreate().with("Solution IDs", ""), []found{errorOn("cosell", "Solution IDs")}},
		{"partner-led not shared", validCreate().with("Deal Type", "Partner-led", "Share With Microsoft Sellers", "no"), []found{errorOn("cosell", "Share With Microsoft Sellers")}},
		{"private shared", validCreate().with("Deal Type", "Private", "Share With Microsoft Sellers", "yes"), []found{errorOn("cosell", "Share With Microsoft Sellers")}},
		{"private typed shared", validCreate().with("Deal Type", "Private", "Referral Type", "Shared"), []found{errorOn("cosell", "Referral Type")}},

		// dealreg: the five policies
		{"register a private deal", registration().with("Deal Type", "Private"), []found{errorOn("dealreg", "Deal Type")}},
		{"register before microsoft accepts", registration().with("Microsoft Referral Status", "Pending"), []found{errorOn("dealreg", "Microsoft Referral Status")}},
		{"register a won microsoft referral", registration().with("Microsoft Referral Status", "Won"), nil},
		{"register an ineligible solution", registration().with("Solution IDs", "SOL-34104-EBA"), []found{errorOn("dealreg", "Solution IDs")}},
		{"register with one eligible solution", registration().with("Solution IDs", "SOL-34104-EBA; DEAL-123456-XYZ"), nil},
		{"register a small deal", registration().with("Deal Value", "20000"), []found{errorOn("dealreg", "Deal Value")}},
		{"register a customer not managed", registration().with("Customer Managed", "no"), []found{errorOn("dealreg", "Customer Managed")}},
		{"register without fx rate", registration().with("Currency", "XCG"), []found{errorOn("dealreg", "Currency")}},
		// dealreg: the contract
		{"register without contract", validCreate().with("Register Deal", "yes"), []found{
			errorOn("dealreg", "Contract Value"), errorOn("dealreg", "Contract Currency"), errorOn("dealreg", "Contract Term"),
			errorOn("dealreg", "Contract Sign Date"), errorOn("dealreg", "Contract Start Date"), errorOn("dealreg", "Contract End Date"),
			errorOn("dealreg", "Pricing Model"), errorOn("dealreg", "Primary Deployment On"),
		}},
		{"contract ends before it starts", registration().with("Contract End Date", "2026-05-01"), []found{
			errorOn("dealreg", "Contract End Date"), errorOn("dealreg", "Contract Sign Date"),
		}},
		{"contract signed after it ends", registration().with("Contract Sign Date", "2027-06-30"), []found{errorOn("dealreg", "Contract Sign Date"), errorOn("lifecycle-contract", "Contract Start Date")}},
		{"contract value zero", registration().with("Contract Value", "0"), []found{errorOn("dealreg", "Contract Value")}},
		{"marketplace without date", registration().with("Marketplace Transacted", "yes"), []found{errorOn("dealreg", "Marketplace Transaction Date")}},
		{"marketplace with date", registration().with("Marketplace Transacted", "yes", "Marketplace Transaction Date", "2026-05-25"), nil},
		{"register an existing referral", update.with("Register Deal", "yes", "Contract Value", "48000", "Contract Currency", "USD",
			"Contract Term", "Finite", "Contract Sign Date", "2026-05-20", "Contract Start Date", "2026-06-01", "Contract End Date", "2027-05-31",
			"Pricing Model", "Other", "Primary Deployment On", "Partner"), nil},

		// Microsoft's templates and the referral life cycle (issue 15)
		{"template create as New/Accepted", validCreate().with("Status", "New", "Substatus", "Accepted"), nil},
		{"update cannot be New/Accepted", update.with("Status", "New", "Substatus", "Accepted"), []found{errorOn("status-pair", "Substatus")}},
		{"close as error", update.with("Status", "Closed", "Substatus", "Error"), []found{errorOn("close-error", "Substatus")}},
		{"lost reason code", update.with("Status", "Closed", "Substatus", "Lost", "Close Reason", "3"), nil},
		{"lost reason text", update.with("Status", "Closed", "Substatus", "Lost", "Close Reason", "went with a rival"), nil},
		{"lost reason out of list", update.with("Status", "Closed", "Substatus", "Lost", "Close Reason", "9"), []found{errorOn("close-reason", "Close Reason")}},
		{"error reason 9", update.with("Status", "Closed", "Substatus", "Error", "Close Reason", "9"), []found{errorOn("close-error", "Substatus")}},
		{"sales stage 40 percent", update.with("Sales Stage", "40%"), nil},
		{"sales stage 100 needs won", update.with("Status", "Active", "Substatus", "Accepted", "Sales Stage", "100"), []found{errorOn("sales-stage", "Sales Stage")}},
		{"sales stage 100 and won", update.with("Status", "Closed", "Substatus", "Won", "Sales Stage", "100"), nil},
		{"sales stage unknown", update.with("Sales Stage", "50"), []found{errorOn("enum", "Sales Stage")}},
		{"marketplace intent undecided", validCreate().with("Marketplace Purchase Intent", "Have not decided"), nil},
		{"marketplace intent unknown", validCreate().with("Marketplace Purchase Intent", "Maybe"), []found{errorOn("enum", "Marketplace Purchase Intent")}},
		{"help code 3", validCreate().with("Assistance Request Code", "3"), nil},
		{"won stays won", update.with("Current Status", "Closed", "Current Substatus", "Won", "Status", "Closed", "Substatus", "Won"), nil},
		{"won cannot become lost", update.with("Current Status", "Closed", "Current Substatus", "Won", "Status", "Closed", "Substatus", "Lost", "Close Reason", "3"), []found{errorOn("lifecycle-terminal", "Substatus")}},
		{"contract starts before signed", registration().with("Contract Start Date", "2026-05-19"), []found{errorOn("lifecycle-contract", "Contract Start Date")}},
		{"registration editable while action required", registration().with("Registration Status", "ActionRequired"), nil},
		{"approved registration is final", registration().with("Registration Status", "Approved"), []found{errorOn("lifecycle-registration-edit", "Registration Status")}},
		{"registration type", registration().with("Registration Type", "AzureIPCoSell"), nil},
		{"registration type unknown", registration().with("Registration Type", "Other"), []found{errorOn("enum", "Registration Type")}},

		// value
		{"negative deal value", validCreate().with("Deal Value", "-5"), []found{errorOn("value", "Deal Value")}},
		{"zero deal value", validCreate().with("Deal Value", "0"), []found{errorOn("value", "Deal Value")}},
		{"unknown currency", validCreate().with("Currency", "Galactic Credit"), []found{errorOn("value", "Currency")}},
		{"unparsed deal value is the importer's", validCreate().with("Deal Value", "lots", "Register Deal", "yes"), []found{
			errorOn("dealreg", "Contract Value"), errorOn("dealreg", "Contract Currency"), errorOn("dealreg", "Contract Term"),
			errorOn("dealreg", "Contract Sign Date"), errorOn("dealreg", "Contract Start Date"), errorOn("dealreg", "Contract End Date"),
			errorOn("dealreg", "Pricing Model"), errorOn("dealreg", "Primary Deployment On"),
		}},

		// date
		{"closing date in the past", validCreate().with("Closing Date", "2026-01-15"), []found{warningOn("date", "Closing Date")}},
		{"closing today", validCreate().with("Closing Date", "2026-06-01"), nil},
		{"unparsed closing date is the importer's", validCreate().with("Closing Date", "soon"), nil},

		// contact
		{"bad contact email", validCreate().with("Contact Email", "sue.smith@"), []found{errorOn("contact", "Contact Email")}},
		{"bad contact phone", validCreate().with("Contact Phone", "call me"), []found{errorOn("contact", "Contact Phone")}},
		{"contact without names", validCreate().with("Contact First Name", "", "Contact Last Name", ""), []found{
			errorOn("contact", "Contact First Name"), // one cause, one finding
		}},
		{"bad team member email", validCreate().with("Team Member Email", "jane@contoso"), []found{errorOn("contact", "Team Member Email")}},
		{"team member without email", validCreate().with("Team Member First Name", "Jane"), []found{errorOn("contact", "Team Member Email")}},
		{"team member complete", validCreate().with("Team Member First Name", "Jane", "Team Member Last Name", "Doe",
			"Team Member Email", "jane.doe@fabrikam.com", "Team Member Phone", "0000000001"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evaluate(t, p, tc.row)
			// Every create row that registers is also warned about the 72
			// hours (lifecycle-register); its own cases check that warning.
			if !slices.ContainsFunc(tc.want, func(f found) bool { return f.Rule == refbatch.RuleLifecycleRegister }) {
				got = slices.DeleteFunc(got, func(f refbatch.Finding) bool { return f.Rule == refbatch.RuleLifecycleRegister })
			}
			if !sameFindings(reduce(got), tc.want) {
				t.Errorf("findings:\n got %v\nwant %v", reduce(got), tc.want)
				for _, f := range got {
					t.Logf("  %s %s: %s", f.Rule, f.Column, f.Message)
				}
			}
		})
	}
}

// TestDealValueBoundary: isDealValueEligible wants more than USD 25,000,
// after conversion with the FX table (SPEC §5, update-referral-and-deal-
// registration "Referral Deal Registration Eligibility").
func TestDealValueBoundary(t *testing.T) {
	builtin := loadPolicy(t, "")
	tables, err := LoadTables("testdata/tables/fx-round-rates")
	if err != nil {
		t.Fatal(err)
	}
	round, err := LoadBytes("", nil, tables, Options{Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		p        *Policy
		value    string
		currency string
		closing  string
		eligible bool
	}{
		{"USD 25,000 exactly", builtin, "25000", "USD", "2026-09-30", false},
		{"USD 25,000.01", builtin, "25000.01", "USD", "2026-09-30", true},
		{"USD 24,999.99", builtin, "24999.99", "USD", "2026-09-30", false},
		// Built-in EUR rate 1.16 from 2026-01-01: 21,551.72 EUR is USD 24,999.9952 → 25,000.00.
		{"EUR just under", builtin, "21551.72", "EUR", "2026-09-30", false},
		{"EUR just over", builtin, "21551.73", "EUR", "2026-09-30", true},
		// Closing in 2025-08: the 2025-07-01 rate (1.17) applies: 21,400 EUR is USD 25,038.
		{"EUR at an older rate", builtin, "21400", "EUR", "2025-08-15", true},
		{"EUR at the newer rate", builtin, "21400", "EUR", "2026-08-15", false},
		// A test table with EUR at 1.25: 20,000 EUR is USD 25,000 exactly.
		{"EUR converting to 25,000 exactly", round, "20000", "EUR", "2026-09-30", false},
		{"EUR converting to 25,000.01", round, "20000.01", "EUR", "2026-09-30", true},
		{"GBP in a replaced table", round, "12500.01", "GBP", "2026-09-30", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := registration().with("Deal Value", tc.value, "Currency", tc.currency, "Closing Date", tc.closing)
			got := evaluate(t, tc.p, c)
			var valueFindings []refbatch.Finding
			for _, f := range got {
				if f.Rule == refbatch.RuleDealReg && f.Column == "Deal Value" {
					valueFindings = append(valueFindings, f)
				}
			}
			if eligible := len(valueFindings) == 0; eligible != tc.eligible {
				t.Errorf("eligible = %v, want %v; findings %v", eligible, tc.eligible, got)
			}
			for _, f := range valueFindings {
				if !strings.Contains(f.Message, "isDealValueEligible") || !strings.Contains(f.Message, "25,000") {
					t.Errorf("message %q does not name the policy and the threshold", f.Message)
				}
			}
		})
	}
}

// TestDealRegMessagesNamePolicies: each eligibility finding names its policy
// as the eligibility API does, so a user can match it to Partner Center's
// answer.
func TestDealRegMessagesNamePolicies(t *testing.T) {
	p := loadPolicy(t, "")
	for policy, row := range map[string]cells{
		"isDealTypeCosellOrPartnerLed":     registration().with("Deal Type", "Private"),
		"isMicrosoftReferralAcceptedOrWon": registration().with("Microsoft Referral Status", "Pending"),
		"isSolutionIncentiveEligible":      registration().with("Solution IDs", "SOL-ABC-DEF"),
		"isDealValueEligible":              registration().with("Deal Value", "100"),
		"isCustomerManaged":                registration().with("Customer Managed", "no"),
	} {
		t.Run(policy, func(t *testing.T) {
			var got []refbatch.Finding
			for _, f := range evaluate(t, p, row) {
				if f.Rule == refbatch.RuleDealReg {
					got = append(got, f)
				}
			}
			// The plain sentence first, the API's policy name after it.
			if len(got) != 1 || !strings.HasSuffix(got[0].Message, "(Partner Center policy "+policy+")") {
				t.Errorf("findings %v, want one message ending with the policy %q", got, policy)
			}
		})
	}
}

// TestStatusTransitions checks every from → to pair against the table in
// create-referral ("Status and substatus transition states").
func TestStatusTransitions(t *testing.T) {
	p := loadPolicy(t, "")
	allowed := map[[2]string]bool{
		{"New", "New"}: true, {"New", "Active"}: true, {"New", "Closed"}: true,
		{"Active", "Active"}: true, {"Active", "Closed"}: true,
		{"Closed", "Closed"}: true,
	}
	substatus := map[string]string{"New": "Received", "Active": "Accepted", "Closed": "Won"}
	statuses := refbatch.FixedVocabulary(refbatch.ColStatus)
	for _, from := range statuses {
		for _, to := range statuses {
			t.Run(from+"→"+to, func(t *testing.T) {
				want := allowed[[2]string{from, to}]
				if got := p.Tables().TransitionAllowed(from, to); got != want {
					t.Errorf("TransitionAllowed = %v, want %v", got, want)
				}
				row := cells{"Referral ID": "r-1", "Current Status": from, "Status": to, "Substatus": substatus[to]}
				got := evaluate(t, p, row)
				var wantFindings []found
				if !want {
					wantFindings = []found{errorOn("status-transition", "Status")}
				}
				if !sameFindings(reduce(got), wantFindings) {
					t.Errorf("findings %v, want %v", reduce(got), wantFindings)
				}
			})
		}
	}
}

// TestStatusPairs checks every status/substatus pair against the same table.
func TestStatusPairs(t *testing.T) {
	tables := builtinTablesForTest(t)
	allowed := map[string][]string{
		"New": {"Pending", "Received"}, "Active": {"Accepted"}, "Closed": {"Won", "Lost", "Declined", "Expired"},
	}
	for _, status := range refbatch.FixedVocabulary(refbatch.ColStatus) {
		for _, sub := range refbatch.FixedVocabulary(refbatch.ColSubstatus) {
			want := slices.Contains(allowed[status], sub)
			if got := tables.PairAllowed(status, sub); got != want {
				t.Errorf("PairAllowed(%s, %s) = %v, want %v", status, sub, got, want)
			}
		}
	}
	if !tables.PairAllowed("closed", "WON") {
		t.Error("pairs are not matched like enums (case-insensitively)")
	}
}

// TestRequiredMatchesRoot keeps the required family and the columns the
// template marks required (refbatch.RequiredForCreate/Update) in step.
func TestRequiredMatchesRoot(t *testing.T) {
	p := loadPolicy(t, "")
	var create, update []string
	for _, r := range p.Rules() {
		if r.ID != refbatch.RuleRequired {
			continue
		}
		switch r.When {
		case `Action == "create"`:
			create = append(create, r.Columns...)
		case `Action == "update"`:
			update = append(update, r.Columns...)
		default:
			t.Errorf("required rule with when %q", r.When)
		}
	}
	names := func(cs []refbatch.Column) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.String())
		}
		return out
	}
	if !slices.Equal(create, names(refbatch.RequiredForCreate())) {
		t.Errorf("required on create %v, root says %v", create, names(refbatch.RequiredForCreate()))
	}
	if !slices.Equal(update, names(refbatch.RequiredForUpdate())) {
		t.Errorf("required on update %v, root says %v", update, names(refbatch.RequiredForUpdate()))
	}
}

// TestBuiltinIDs: the built-in file uses exactly the rule ids of SPEC §5.
func TestBuiltinIDs(t *testing.T) {
	want := []string{refbatch.RuleRequired, refbatch.RuleEnum, refbatch.RuleStatusPair, refbatch.RuleStatusTransition,
		refbatch.RuleServicesCosell, refbatch.RuleSolutionPlay, refbatch.RuleCosell, refbatch.RuleDealReg,
		refbatch.RuleValue, refbatch.RuleDate, refbatch.RuleContact, refbatch.RuleDuplicate,
		refbatch.RuleCloseError, refbatch.RuleCloseReason, refbatch.RuleSalesStage, refbatch.RuleLifecycleTerminal,
		refbatch.RuleLifecycleContract, refbatch.RuleLifecycleRegistrationEdit, refbatch.RuleLifecycleShare,
		refbatch.RuleLifecycleRegister, refbatch.RuleLifecycleReadOnly}
	var got []string
	for _, r := range loadPolicy(t, "").Rules() {
		if len(got) == 0 || got[len(got)-1] != r.ID {
			got = append(got, r.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("built-in families %v, want %v", got, want)
	}
}

// TestEnumCoversEveryEnumColumn: every enumerated column is checked, by the
// enum family or (Currency) by value.
func TestEnumCoversEveryEnumColumn(t *testing.T) {
	covered := map[string]bool{}
	for _, r := range loadPolicy(t, "").Rules() {
		if r.ID == refbatch.RuleEnum || r.ID == refbatch.RuleValue && strings.HasPrefix(r.Check, "known(") {
			for _, c := range r.Columns {
				covered[c] = true
			}
		}
	}
	for _, c := range refbatch.Columns() {
		if c.Kind() == refbatch.KindEnum && !covered[c.String()] {
			t.Errorf("enumerated column %s has no rule", c)
		}
	}
}
