package refbatch

import (
	"strconv"
	"strings"
)

// The code tables of Microsoft's bulk-upload templates (bulk-operations.md,
// "CSV file values, descriptions, and examples"). They are fixed by the
// template, not by a fiscal year, so they live here rather than in the
// rules tables.

// Templates a header can be recognised as (Header.Template).
const (
	TemplateCosell           = "co-sell"           // co-sell opportunities bulk template
	TemplateDealRegistration = "deal-registration" // Azure IP co-sell deal registrations bulk template
)

// assistanceCodes are "What specific help from Microsoft?": "Enter a number
// based on the following options", in the API's AssistanceRequestCode
// spelling.
var assistanceCodes = map[string]string{
	"1": "WorkloadSpecificValueProposition",
	"2": "CustomerTechnicalArchitecture",
	"3": "ProofOfConceptOrDemo",
	"4": "QuotesOrLicensing",
	"5": "PostSalesCustomerSuccess",
	"6": "GeneralOrOther",
}

// salesStages are Partner Center's sales stages with the percentage the
// template writes for each (manage-co-sell-opportunities.md, "Sales stages").
var salesStages = []struct {
	pct   int
	stage string
	names []string
}{
	{10, SalesStageCreated, []string{"Accepted"}},
	{20, SalesStageQualify, []string{"Qualified"}},
	{40, SalesStageDevelop, []string{"Developed"}},
	{60, SalesStagePropose, []string{"Proposed"}},
	{80, SalesStageClose, []string{"Negotiated", "Negotiate"}},
	{100, SalesStageWon, nil},
}

// SalesStagePercent returns the percentage Microsoft's template writes for a
// SalesStage value (40 for Develop), or 0 for an unknown stage.
func SalesStagePercent(stage string) int {
	for _, s := range salesStages {
		if s.stage == stage {
			return s.pct
		}
	}
	return 0
}

// salesStageAliases read the template's Sales Stage, a percentage
// (manage-co-sell-opportunities.md, "Sales stages"), and the stage names of
// that table, as refbatch's SalesStage values. A percentage cell of a
// workbook stores a fraction (0.4 for 40%), which FoldKey writes "04".
var salesStageAliases = func() map[string]string {
	m := map[string]string{}
	for _, s := range salesStages {
		p := strconv.Itoa(s.pct)
		m[p], m[p+"%"] = s.stage, s.stage
		frac := strconv.FormatFloat(float64(s.pct)/100, 'f', -1, 64) // 0.4, 1
		m[FoldKey(frac)] = s.stage
		for _, n := range s.names {
			m[n] = s.stage
		}
	}
	return m
}()

// intentAliases are the template's spellings of Marketplace Purchase Intent.
var intentAliases = map[string]string{"Have not decided": IntentHaveNotDecided, "Not decided": IntentHaveNotDecided, "Undecided": IntentHaveNotDecided}

// FixedAliases returns, for an enumerated column, the other spellings of its
// values that Microsoft's templates use (a code or a percentage for the
// canonical value) and, for currency columns, the currency names CRM exports
// write ("US Dollar"), keyed as written; nil for other columns. Importers
// fold the keys with FoldKey.
func FixedAliases(c Column) map[string]string {
	switch c {
	case ColAssistanceRequestCode:
		return assistanceCodes
	case ColSalesStage:
		return salesStageAliases
	case ColMarketplacePurchaseIntent:
		return intentAliases
	case ColCurrency, ColContractCurrency, ColSolutionCurrency:
		return currencyNames
	}
	return nil
}

// closeReasons are the "Declined/Lost/Error reason" codes: one list for
// Declined and Lost, another for Error.
var (
	declinedLostReasons = []string{
		"Project budget isn't adequate",
		"Customer didn't respond",
		"Customer chose another vendor",
		"Customer requirement not met",
		"Not a customer",
		"Proposed time line was too short",
		"Report as abuse, spam, or phishing",
		"Others",
	}
	errorReasons = []string{
		"Duplicate - created through bulk upload",
		"Duplicate - created in Partner Center",
		"Duplicate - sent by Microsoft",
		"Connector data sync issues",
		"Customer matching issues",
		"Solution issues - explain in notes",
		"Test referral",
		"Data error",
		"Others - explain in notes",
	}
)

// CloseReasonText reads a Close Reason for a substatus: a code of the
// template's list for that substatus ("3" for Lost is "Customer chose
// another vendor") becomes its text; other text is kept. ok is false for a
// number that is not a code of the list (or a code with a substatus that
// has no list).
//
// A code with its text, as the template's drop-down offers it ("3 - Customer
// chose another vendor", CloseReasonCodes), reads as the code, and its text
// must be that code's in the substatus's list: the two lists number
// different reasons, and a Declined reason picked for an Error row must not
// turn into another reason silently.
func CloseReasonText(substatus, reason string) (text string, ok bool) {
	reason = strings.TrimSpace(reason)
	code, label, labelled := strings.Cut(reason, " - ")
	if !labelled {
		code = strings.TrimSuffix(reason, ".0")
	}
	n, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		return reason, true
	}
	var list []string
	switch {
	case strings.EqualFold(substatus, SubstatusDeclined), strings.EqualFold(substatus, SubstatusLost):
		list = declinedLostReasons
	case strings.EqualFold(substatus, SubstatusError):
		list = errorReasons
	}
	if n < 1 || n > len(list) {
		return reason, false
	}
	if labelled && !strings.EqualFold(strings.TrimSpace(label), list[n-1]) {
		return reason, false
	}
	return list[n-1], true
}

// CloseReasonCodes returns the numbered reasons of a substatus's list, for
// the template's drop-downs and guide: "1 - Project budget isn't adequate".
func CloseReasonCodes(substatus string) []string {
	list := declinedLostReasons
	if strings.EqualFold(substatus, SubstatusError) {
		list = errorReasons
	}
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = strconv.Itoa(i+1) + " - " + r
	}
	return out
}
