package importer

import (
	"strconv"
	"strings"

	"github.com/refbatch/refbatch"
)

// CRM exports. Sales teams export opportunities from Salesforce (a report's
// "Export → Details Only", or Data Loader), Dynamics 365 Sales ("Export to
// Excel" of an opportunity view) and HubSpot (the deals index's "Export
// view"), not from refbatch's template. Their headers for what Partner
// Center takes are aliases of the canonical columns (column.go); this file
// recognises the rest of those exports, so that they read without a
// warning per CRM field, and reads a deal's stage as Partner Center's
// Status and Substatus where the stage says it unambiguously.

const reasonCRM = "a CRM field Partner Center has no place for; refbatch never sends it"

// crmHeaders are the recognised, unsent headers of CRM exports, folded.
var crmHeaders = func() map[string]ignoredSpec {
	m := map[string]ignoredSpec{}
	spec := ignoredSpec{reason: reasonCRM}
	for _, n := range []string{
		// Salesforce opportunity reports (field labels) and Data Loader (API names).
		"Opportunity Owner", "Fiscal Period", "Fiscal Year", "Probability (%)", "Probability", "Age", "Created Date",
		"Last Modified Date", "Last Activity", "Next Step", "Lead Source", "Forecast Category", "Expected Revenue",
		"Owner Role", "Account Owner", "Opportunity Record Type", "Primary Campaign Source",
		"OwnerId", "AccountId", "ForecastCategoryName", "IsClosed", "IsWon", "CreatedDate",
		// Dynamics 365 "Export to Excel": the row's own bookkeeping, and view columns.
		"(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On", "Owner", "Rating", "Pipeline Phase",
		"Actual Close Date", "Actual Revenue", "Created On", "Modified On", "Budget Amount", "Purchase Timeframe",
		// HubSpot deals export.
		"Deal owner", "Pipeline", "Create Date", "Last Modified Date", "Last Activity Date", "Deal probability",
		"Forecast category", "Forecast amount", "Weighted amount", "Amount in company currency",
		"Annual contract value", "Total contract value", "Associated Company IDs", "Associated Contact IDs",
		"Associated Company IDs (Primary)", "Associated Contact IDs (Primary)",
	} {
		m[refbatch.FoldKey(n)] = spec
	}
	return m
}()

// stageHeaders are the headers of a deal's stage in a CRM export, folded:
// Salesforce's Stage (StageName), HubSpot's Deal Stage.
var stageHeaders = map[string]bool{"stage": true, "stagename": true, "opportunitystage": true, "dealstage": true}

const reasonStage = "a CRM stage: a won or lost stage is sent as Status Closed and Substatus Won or Lost; other stages are not sent"

// dynamicsMarkers are headers only a Dynamics 365 export has, folded. In
// such a file "Status" is Dynamics' own (Open, Won, Lost) and "Status
// Reason" its reason (In Progress, On Hold, Won, Canceled, Out-Sold), not
// Partner Center's: both are read as the deal's stage.
var dynamicsMarkers = map[string]bool{
	"donotmodifyopportunity": true, "donotmodifyrowchecksum": true, "potentialcustomer": true, "estrevenue": true,
}

func isDynamicsExport(names []string) bool {
	for _, n := range names {
		if dynamicsMarkers[refbatch.FoldKey(n)] {
			return true
		}
	}
	return false
}

// crmStage is where a CRM export keeps a deal's stage.
type crmStage struct {
	stage  int // Stage / Deal Stage, or Dynamics' Status; -1: none
	reason int // Dynamics' Status Reason; -1: none
}

// stageOf finds the stage columns among the ignored headers of h.
func stageOf(h *refbatch.Header) crmStage {
	st := crmStage{stage: -1, reason: -1}
	for _, ig := range h.Ignored {
		if ig.Reason != reasonStage {
			continue
		}
		switch refbatch.FoldKey(h.Names[ig.Index]) {
		case "statusreason":
			st.reason = ig.Index
		default:
			if st.stage < 0 {
				st.stage = ig.Index
			}
		}
	}
	return st
}

// stageStatus maps a CRM stage (and Dynamics' status reason) to Partner
// Center's Status and Substatus: only a won or lost stage says it.
func stageStatus(stage, reason string) (status, substatus string, ok bool) {
	switch refbatch.FoldKey(stage) {
	case "closedwon", "won", "closewon":
		return refbatch.StatusClosed, "Won", true
	case "closedlost", "lost", "closelost":
		switch refbatch.FoldKey(reason) {
		case "", "lost", "outsold":
			return refbatch.StatusClosed, "Lost", true
		}
	}
	return "", "", false
}

// applyStage sets Status and Substatus of a row that has none from its CRM
// stage, or returns a warning on the stage cell saying why it is not sent.
func (cv *converter) applyStage(row *refbatch.Row, finds []refbatch.Finding) []refbatch.Finding {
	cell := func(i int) string {
		if i < 0 || i >= len(row.Raw) {
			return ""
		}
		return trimCell(row.Raw[i])
	}
	stage, reason := cell(cv.stage.stage), cell(cv.stage.reason)
	if stage == "" || row.Filled.Has(refbatch.ColStatus) || row.Filled.Has(refbatch.ColSubstatus) {
		return finds
	}
	if status, sub, ok := stageStatus(stage, reason); ok {
		row.Status, row.Substatus = status, sub
		row.Filled = row.Filled.With(refbatch.ColStatus).With(refbatch.ColSubstatus)
		return finds
	}
	what := quoteValue(stage)
	if reason != "" {
		what += " (" + quoteValue(reason) + ")"
	}
	header := row.Header.Names[cv.stage.stage]
	return append(finds, refbatch.Finding{
		Row: row.Number, Cell: refbatch.CellRef(cv.stage.stage, row.Number), Header: header,
		Rule: refbatch.RuleCRMStage, Severity: refbatch.SeverityWarning, Value: stage,
		Message: header + " " + what + " is not sent: only a won or lost stage maps to Partner Center's Status " +
			"(Closed/Won, Closed/Lost); an open deal is created New; add a Status column to set another",
	})
}

// nearestColumn is the canonical column whose name or alias is nearest to
// a header (by edit distance over folded text, a shared word counting as
// near), for the unknown-header warning; false when none is within half
// the header's length.
func nearestColumn(header string) (refbatch.Column, bool) {
	key := refbatch.FoldKey(header)
	words := strings.Fields(strings.ToLower(header))
	best, bestScore := refbatch.ColName, 1<<30
	for _, c := range refbatch.Columns() {
		if _, numbered := c.NumberedBase(); numbered {
			continue
		}
		info := c.Info()
		for _, name := range append([]string{info.Name}, info.Aliases...) {
			score := editDistance(key, refbatch.FoldKey(name))
			for _, w := range strings.Fields(strings.ToLower(name)) {
				for _, hw := range words {
					if len(w) > 2 && w == hw {
						score -= 2 * len(w)
					}
				}
			}
			if score < bestScore {
				best, bestScore = c, score
			}
		}
	}
	return best, bestScore <= len(key)/2
}

// editDistance is the Levenshtein distance of two strings, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// mappingLine is the --mapping file line that maps header to column c.
func mappingLine(c refbatch.Column, header string) string {
	return c.String() + ": [" + yamlScalar(header) + "]"
}

// yamlScalar writes s as a YAML flow-sequence item, quoted when it must be.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":,[]{}#&*!|>'\"%@`\\") || s != strings.TrimSpace(s) {
		return strconv.Quote(s)
	}
	return s
}

// unknownHeaderMessage says an unknown header is ignored, names the nearest
// column and the --mapping line that would map the header to it.
func unknownHeaderMessage(name string) string {
	c, near := nearestColumn(name)
	if !near {
		return "unknown header " + quoteValue(name) + " is ignored; no column's name is near it: if it holds one " +
			"(refbatch template lists them), map it with a --mapping file line `COLUMN: [" + yamlScalar(name) + "]`"
	}
	return "unknown header " + quoteValue(name) + " is ignored; the nearest column is " + c.String() +
		": if that is what it holds, map it with a --mapping file line `" + mappingLine(c, name) + "`"
}
