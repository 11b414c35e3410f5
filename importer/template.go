package importer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/refbatch/refbatch"
)

// Microsoft's bulk-upload templates (bulk-operations.md for co-sell
// opportunities, bulk-operations-deal-registrations.md for Azure IP co-sell
// deal registrations) carry columns refbatch never sends: the ones the
// documents call read-only or auto-populated, and a few the Referrals API
// has no documented place for. They are recognised here, so that a file in
// the template reads without "unknown header" noise, and so that a filled
// cell of the second kind is a warning rather than silently dropped.

type ignoredSpec struct {
	reason string
	warn   bool // a filled cell is a warning: the user wrote something that is not sent
}

const (
	reasonReadOnly = "read-only in Microsoft's template (filled in by Partner Center); refbatch never sends it"
	reasonAuto     = "auto-populated by Partner Center's customer account matching; refbatch never sends it"
	reasonNoAPI    = "not sent: the Referrals API documents no field for it (fill it in Partner Center)"
	reasonMatching = "not sent: customer account matching is not available through the API (create-referral.txt); Partner Center matches the customer itself"
)

// templateHeaders are the recognised, unsent headers, folded. Numbered ones
// ("Managed Account 1", "Microsoft team member 3") are listed by stem.
var templateHeaders = func() map[string]ignoredSpec {
	m := map[string]ignoredSpec{}
	add := func(spec ignoredSpec, names ...string) {
		for _, n := range names {
			m[refbatch.FoldKey(n)] = spec
		}
	}
	ro := ignoredSpec{reason: reasonReadOnly}
	// Co-sell template: "Fields that are always read-only".
	add(ro, "Errors", "Engagement ID", "Microsoft MSX ID", "Migrated PSC Deal ID", "Microsoft team member")
	// Co-sell template: "Newly introduced fields that are auto-populated".
	add(ignoredSpec{reason: reasonAuto}, "Matched category", "Confidence", "Managed Account", "Managed Account 1 & 2",
		"Unmanaged Account", "Unmanaged Account 1 & 2", "DUNS Account", "DUNS Account 1 & 2")
	add(ignoredSpec{reason: reasonMatching, warn: true}, "Final Matched Customer Account", "Final account match", "Final Account Matched")
	// Co-sell template columns of IoT deals and the customer's domain: no
	// documented wire field.
	add(ignoredSpec{reason: reasonNoAPI, warn: true}, "CLA Number", "Device Category", "Silicon Type",
		"Azure Certified Device", "Attach Services", "Customer Domain Name")
	// Deal registrations template: "Fields that are always read-only".
	add(ro, "Registration Date", "Registration Status Reason", "Review Pending Date", "Action Required Date",
		"Passed Date", "Failed Date", "Approved Date")
	return m
}()

// reasonPulledFact is why a pulled workbook's read-only columns are not sent.
const reasonPulledFact = "read-only: what Partner Center said when the workbook was pulled; refbatch never sends it"

// markPulled records the hidden "Pulled …" columns of a workbook `refbatch
// pull` wrote, and reports whether the header has any. Two headers for
// one pulled column are an error, as two for one column are.
func markPulled(file string, num int, h *refbatch.Header) (bool, error) {
	for i, name := range h.Names {
		c, ok := refbatch.PulledHeader(name)
		switch {
		case !ok:
		case !c.Valid():
			h.PulledETag = i
		default:
			if h.Pulled == nil {
				h.Pulled = map[refbatch.Column]int{}
			}
			if j, dup := h.Pulled[c]; dup {
				return false, &refbatch.InputError{File: file, Row: num, Column: c.String(), Err: fmt.Errorf(
					"headers %s (%s) and %s (%s) both hold the pulled %s; remove one",
					quoteValue(h.Names[j]), refbatch.CellRef(j, num), quoteValue(name), refbatch.CellRef(i, num), c)}
			}
			h.Pulled[c] = i
		}
	}
	return h.Pulled != nil || h.PulledETag >= 0, nil
}

// unpulledColumns are the findings about a pulled workbook's columns whose
// hidden "Pulled …" column is missing (deleted, or added by the user):
// refbatch cannot tell an edit from the value pulled, so keepChanges sends
// none of their cells rather than overwrite a newer value in Partner
// Center.
func unpulledColumns(h *refbatch.Header) []refbatch.Finding {
	var out []refbatch.Finding
	for _, c := range refbatch.PulledColumns() {
		if _, ok := h.Pulled[c]; ok || !h.Has(c) || c == refbatch.ColAction {
			continue
		}
		i := h.Index[c]
		out = append(out, refbatch.Finding{Row: h.Row, Cell: refbatch.CellRef(i, h.Row), Column: c.String(), Header: h.Names[i],
			Rule: refbatch.RuleHeader, Severity: refbatch.SeverityWarning, Value: h.Names[i],
			Message: fmt.Sprintf("this pulled workbook has no hidden %q column, so an edit of %s cannot be told from the value pulled: its cells are not sent on pulled rows (pull again to edit it)",
				refbatch.PulledPrefix+c.String(), quoteValue(h.Names[i]))})
	}
	return out
}

// templateMarkers are headers only Microsoft's templates use, folded; one of
// them makes the header a template's.
var templateMarkers = map[string]string{
	"partnerreferralstatus":                 refbatch.TemplateCosell,
	"partnerreferralsubstatus":              refbatch.TemplateCosell,
	"microsofthelprequired?":                refbatch.TemplateCosell,
	"consenttosharecustomer/partnercontact": refbatch.TemplateCosell,
	"whatspecifichelpfrommicrosoft?":        refbatch.TemplateCosell,
	"registrationtype":                      refbatch.TemplateDealRegistration,
	"solutionvalue":                         refbatch.TemplateDealRegistration,
	"ismarketplacetransacted":               refbatch.TemplateDealRegistration,
	"isdeployedonazure":                     refbatch.TemplateDealRegistration,
}

// splitNumbered splits a folded header "solution12" into "solution" and 12.
func splitNumbered(key string) (string, int, bool) {
	i := len(key)
	for i > 0 && key[i-1] >= '0' && key[i-1] <= '9' {
		i--
	}
	if i == len(key) || i == 0 || len(key)-i > 3 {
		return key, 0, false
	}
	n, err := strconv.Atoi(key[i:])
	return key[:i], n, err == nil && n > 0
}

// matchNumbered matches "Solution 3" or "Team member 12".
func matchNumbered(header string) (refbatch.Column, int, bool) {
	base, n, ok := splitNumbered(refbatch.FoldKey(header))
	if !ok {
		return 0, 0, false
	}
	for _, c := range []refbatch.Column{refbatch.ColSolutions, refbatch.ColTeamMembers} {
		if stem, _ := c.NumberedBase(); refbatch.FoldKey(stem) == base {
			return c, n, true
		}
	}
	return 0, 0, false
}

// matchIgnored matches a recognised header that is never sent.
func matchIgnored(header string) (ignoredSpec, bool) {
	k := refbatch.FoldKey(header)
	if s, ok := templateHeaders[k]; ok {
		return s, true
	}
	if s, ok := crmHeaders[k]; ok {
		return s, true
	}
	if stageHeaders[k] {
		return ignoredSpec{reason: reasonStage}, true
	}
	if base, _, ok := splitNumbered(k); ok {
		s, ok := templateHeaders[base]
		return s, ok
	}
	return ignoredSpec{}, false
}

// numberedHeaders collects a header's numbered columns while it is built.
type numberedHeaders struct {
	pos map[refbatch.Column]map[int]int // column → n → position
}

func (nh *numberedHeaders) add(file string, num int, names []string, c refbatch.Column, n, i int) (*refbatch.Finding, error) {
	if n > refbatch.MaxNumbered {
		return &refbatch.Finding{Row: num, Cell: refbatch.CellRef(i, num), Header: names[i], Rule: refbatch.RuleHeader,
			Severity: refbatch.SeverityWarning, Value: names[i],
			Message: "header " + quoteValue(names[i]) + " is ignored: Partner Center takes at most " + strconv.Itoa(refbatch.MaxNumbered) + " (bulk-operations.md)"}, nil
	}
	if nh.pos == nil {
		nh.pos = map[refbatch.Column]map[int]int{}
	}
	if nh.pos[c] == nil {
		nh.pos[c] = map[int]int{}
	}
	if j, dup := nh.pos[c][n]; dup {
		return nil, &refbatch.InputError{File: file, Row: num, Column: c.String(), Err: errors.New(
			"headers " + quoteValue(names[j]) + " (" + refbatch.CellRef(j, num) + ") and " + quoteValue(names[i]) +
				" (" + refbatch.CellRef(i, num) + ") have the same number; renumber one")}
	}
	nh.pos[c][n] = i
	return nil, nil
}

// apply records the numbered columns on h, in n order.
func (nh *numberedHeaders) apply(h *refbatch.Header) {
	for c, byN := range nh.pos {
		ns := make([]int, 0, len(byN))
		for n := range byN {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		if h.Numbered == nil {
			h.Numbered = map[refbatch.Column][]int{}
		}
		for _, n := range ns {
			h.Numbered[c] = append(h.Numbered[c], byN[n])
		}
		h.Index[c] = h.Numbered[c][0]
		for _, i := range h.Numbered[c] {
			h.Columns[i] = c
		}
	}
}

// templateOf names the Microsoft template a header is, or "".
func templateOf(names []string) string {
	for _, n := range names {
		if t, ok := templateMarkers[refbatch.FoldKey(n)]; ok {
			return t
		}
	}
	return ""
}

// parseSolutionCell reads "ID, Currency, Price, Quantity" (bulk-operations.md,
// "Solution 1"); only the ID is required.
func parseSolutionCell(v string, decimalComma bool) (refbatch.SolutionLine, string) {
	parts := strings.Split(v, ",")
	if len(parts) > 4 {
		return refbatch.SolutionLine{}, "has more than four parts; write \"ID, Currency, Price, Quantity\" (e.g. SOL-1234-PQRS, USD, 10, 100)"
	}
	for i := range parts {
		parts[i] = trimCell(parts[i])
	}
	s := refbatch.SolutionLine{ID: parts[0]}
	if s.ID == "" {
		return s, "has no solution ID; write \"ID, Currency, Price, Quantity\" (e.g. SOL-1234-PQRS, USD, 10, 100)"
	}
	if len(parts) > 1 && parts[1] != "" {
		s.Currency = strings.ToUpper(parts[1])
		if !isCurrencyCode(s.Currency) {
			return s, "has currency " + quoteValue(parts[1]) + ", not a three-letter code; write \"ID, Currency, Price, Quantity\" (e.g. SOL-1234-PQRS, USD, 10, 100), and no thousands separator in the price: the parts are separated by commas"
		}
	}
	for k, dst := range []**float64{&s.Price, &s.Quantity} {
		if len(parts) > 2+k && parts[2+k] != "" {
			f, reason := parseAmount(parts[2+k], decimalComma)
			if reason != "" {
				what := [...]string{"price", "quantity"}[k]
				return s, "has a " + what + " that " + reason
			}
			*dst = &f
		}
	}
	// "SOL-1, USD, 1,000" splits into a price of 1 and a quantity of 000:
	// a quantity is a whole number above zero, so that reads as the error
	// it is rather than as a price of 1.
	if q := s.Quantity; q != nil && (*q <= 0 || *q != float64(int64(*q))) {
		return s, "has quantity " + quoteValue(parts[3]) + ", not a whole number above zero; write \"ID, Currency, Price, Quantity\" (e.g. SOL-1234-PQRS, USD, 1000, 100), with no thousands separator in the price: the parts are separated by commas"
	}
	return s, ""
}

// isCurrencyCode reports whether s looks like an ISO 4217 code: three
// letters.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// parseMemberCell reads "First, Last, phone, email" (bulk-operations.md,
// "Team member 1").
func parseMemberCell(v string) (refbatch.Member, string) {
	parts := strings.Split(v, ",")
	if len(parts) > 4 {
		return refbatch.Member{}, "has more than four parts; write \"First, Last, phone, email\" (e.g. Bob, Partner, 999999, bob@contoso.com)"
	}
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	m := refbatch.Member{FirstName: trimCell(parts[0]), LastName: trimCell(parts[1]), Phone: trimCell(parts[2]), Email: trimCell(parts[3])}
	if m.FirstName == "" || m.LastName == "" {
		return m, "needs a first and a last name; write \"First, Last, phone, email\" (e.g. Bob, Partner, 999999, bob@contoso.com)"
	}
	return m, ""
}

// fillNumbered parses the row's numbered cells into Row.SolutionLines and
// Row.TeamMembers. A solution's ID also joins Row.SolutionIDs, which the
// rules and the deal registration read.
func (cv *converter) fillNumbered(row *refbatch.Row, filled *refbatch.ColumnSet, finds []refbatch.Finding) []refbatch.Finding {
	row.SolutionLines, row.TeamMembers = nil, nil
	for _, c := range []refbatch.Column{refbatch.ColSolutions, refbatch.ColTeamMembers} {
		for _, i := range cv.numbered[c] {
			if i >= len(row.Raw) {
				continue
			}
			v := trimCell(row.Raw[i])
			if v == "" {
				continue
			}
			*filled = filled.With(c)
			var reason string
			if c == refbatch.ColSolutions {
				var s refbatch.SolutionLine
				if s, reason = parseSolutionCell(v, cv.decimalComma); reason == "" {
					row.SolutionLines = append(row.SolutionLines, s)
					if !containsFoldID(row.SolutionIDs, s.ID) {
						row.SolutionIDs = append(row.SolutionIDs[:len(row.SolutionIDs):len(row.SolutionIDs)], s.ID)
						*filled = filled.With(refbatch.ColSolutionIDs)
					}
				}
			} else {
				var m refbatch.Member
				if m, reason = parseMemberCell(v); reason == "" {
					row.TeamMembers = append(row.TeamMembers, m)
				}
			}
			if reason != "" {
				row.Invalid = row.Invalid.With(c)
				name := row.Header.Names[i]
				finds = append(finds, refbatch.Finding{Row: row.Number, Cell: refbatch.CellRef(i, row.Number), Column: c.String(),
					Header: name, Rule: refbatch.RuleValue, Severity: refbatch.SeverityError, Value: v,
					Message: name + " " + quoteValue(v) + " " + reason})
			}
		}
	}
	return finds
}

func containsFoldID(list []string, id string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, id) })
}

// ignoredFindings warns about filled cells of recognised columns that are
// not sent.
func ignoredFindings(row *refbatch.Row, finds []refbatch.Finding) []refbatch.Finding {
	for _, ig := range row.Header.Ignored {
		if !ig.Warn || ig.Index >= len(row.Raw) || isBlank(row.Raw[ig.Index]) {
			continue
		}
		name := row.Header.Names[ig.Index]
		finds = append(finds, refbatch.Finding{Row: row.Number, Cell: refbatch.CellRef(ig.Index, row.Number), Header: name,
			Rule: refbatch.RuleHeader, Severity: refbatch.SeverityWarning, Value: row.Raw[ig.Index],
			Message: name + " " + quoteValue(trimCell(row.Raw[ig.Index])) + " is " + ig.Reason})
	}
	return finds
}

// templateRowFindings are the checks Microsoft's template makes of its own
// rows. bulk-operations.md: "Marketplace Purchase Intent ... is a required
// field for referral creation". The Referrals API does not require it
// (create-referral.txt's request example has none, and only its co-sell
// upgrade example sends one), so only a row of the co-sell template, whose
// upload Partner Center refuses without it, gets an error; rows of other
// layouts are created without it.
func templateRowFindings(row *refbatch.Row, finds []refbatch.Finding) []refbatch.Finding {
	if row.Header.Template != refbatch.TemplateCosell || row.Action != refbatch.ActionCreate ||
		row.Filled.Has(refbatch.ColMarketplacePurchaseIntent) {
		return finds
	}
	return append(finds, row.Finding(refbatch.ColMarketplacePurchaseIntent, refbatch.RuleMarketplaceIntent, refbatch.SeverityError,
		"Partner Center requires the Marketplace Purchase Intent (Yes, No or Have not decided) to create a referral from its co-sell template"))
}
