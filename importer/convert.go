package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// slot is one canonical column present in the file.
type slot struct {
	idx  int32 // position in the record
	col  refbatch.Column
	kind refbatch.Kind
}

// converter turns a record's cell texts into a Row's typed fields.
type converter struct {
	slots        []slot
	vocab        *vocabulary
	decimalComma bool
	order        DateOrder
	workbook     bool // cells are a workbook's raw values (numbers with '.', dates as serials)
	// baseSlots are a pulled workbook's hidden "Pulled …" columns: rows
	// keep only the cells changed since the pull (keepChanges).
	baseSlots  []slot
	pulledCols []refbatch.Column // refbatch.PulledColumns, once per file
	pulled     bool              // a pulled .csv: text cells carry the CSV-injection guard (refbatch.Unguard)
	date1904   bool
	// splitName is set when one "Contact Name" column fills both the
	// contact's first and last name.
	splitName bool
	// units are currencies named in an amount's header ("Deal Value
	// (USD)") for a currency column the file lacks.
	units []unitCurrency
	// numbered are the positions of the "Solution n" and "Team member n"
	// columns (Header.Numbered).
	numbered map[refbatch.Column][]int
	// stage is where a CRM export keeps the deal's stage (crm.go).
	stage crmStage
}

type unitCurrency struct {
	col  refbatch.Column // Currency or Contract Currency
	code string
}

func newConverter(h *refbatch.Header, opts Options, src source, units map[refbatch.Column]string) converter {
	cv := converter{vocab: newVocabulary(opts.Vocabulary, opts.Aliases), decimalComma: opts.DecimalComma, order: opts.DateOrder}
	if x, ok := src.(*xlsxSource); ok {
		cv.workbook, cv.date1904 = true, x.date1904
	}
	cv.splitName = h.Has(refbatch.ColContactFirstName) && h.Index[refbatch.ColContactFirstName] == h.Index[refbatch.ColContactLastName]
	for _, c := range refbatch.Columns() {
		if h.Has(c) {
			if cv.splitName && c == refbatch.ColContactLastName {
				continue
			}
			if _, ok := c.NumberedBase(); ok {
				continue
			}
			cv.slots = append(cv.slots, slot{idx: int32(h.Index[c]), col: c, kind: c.Kind()})
		}
	}
	cv.numbered = h.Numbered
	cv.stage = stageOf(h)
	if len(h.Pulled) > 0 {
		cv.pulledCols = refbatch.PulledColumns()
	}
	for _, c := range cv.pulledCols {
		if i, ok := h.Pulled[c]; ok {
			cv.baseSlots = append(cv.baseSlots, slot{idx: int32(i), col: c, kind: c.Kind()})
		}
	}
	cv.pulled = len(cv.baseSlots) > 0 && !cv.workbook
	for amount, code := range units {
		cur := refbatch.ColCurrency
		if amount == refbatch.ColContractValue {
			cur = refbatch.ColContractCurrency
		}
		if !h.Has(cur) {
			cv.units = append(cv.units, unitCurrency{cur, code})
		}
	}
	return cv
}

// fill sets the typed fields of row from row.Raw, and returns a finding for
// each cell that does not parse (nil when all do, which is nearly always).
func (cv *converter) fill(row *refbatch.Row) []refbatch.Finding {
	filled, finds := cv.fillSlots(row, cv.slots, cv.splitName)
	for _, u := range cv.units {
		*row.TextField(u.col) = u.code
		filled = filled.With(u.col)
	}
	if len(cv.numbered) > 0 {
		finds = cv.fillNumbered(row, &filled, finds)
	}
	row.Filled = filled
	if cv.stage.stage >= 0 {
		finds = cv.applyStage(row, finds)
	}
	if len(cv.baseSlots) > 0 {
		finds = cv.keepChanges(row, finds)
	}
	return finds
}

// fillSlots parses the cells of slots into row's typed fields and returns
// the columns filled and a finding for each cell that does not parse.
func (cv *converter) fillSlots(row *refbatch.Row, slots []slot, splitName bool) (refbatch.ColumnSet, []refbatch.Finding) {
	var finds []refbatch.Finding
	var filled refbatch.ColumnSet
	cells := row.Raw
	for _, sl := range slots {
		if int(sl.idx) >= len(cells) {
			continue
		}
		v := cells[sl.idx]
		// trimCell, inlined by hand: printable ASCII at both ends needs none.
		if len(v) == 0 || v[0]-'!' > '~'-'!' || v[len(v)-1]-'!' > '~'-'!' {
			if v = trimSlow(v); v == "" {
				continue
			}
		}
		filled = filled.With(sl.col)
		switch sl.kind {
		case refbatch.KindText:
			if cv.workbook {
				v = tidyRawNumber(v)
			} else if cv.pulled {
				v = refbatch.Unguard(v)
			}
			if splitName && sl.col == refbatch.ColContactFirstName {
				first, last := splitFullName(v)
				row.ContactFirstName, row.ContactLastName = first, last
				filled = filled.With(refbatch.ColContactLastName)
				if first == "" {
					filled = filled.Without(refbatch.ColContactFirstName)
				}
				if last == "" {
					filled = filled.Without(refbatch.ColContactLastName)
				}
				continue
			}
			*row.TextField(sl.col) = v
		case refbatch.KindEnum:
			if cv.workbook {
				v = tidyRawNumber(v)
			}
			*row.TextField(sl.col) = cv.vocab.canonical(sl.col, v)
		case refbatch.KindNumber:
			decimalComma := cv.decimalComma && !(cv.workbook && isPlainNumber(v))
			f, reason := parseAmount(v, decimalComma)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleValue, v, reason)
				continue
			}
			*row.NumberField(sl.col) = f
		case refbatch.KindDate:
			t, reason := parseDate(v, cv.order, cv.date1904)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleDate, v, reason)
				continue
			}
			*row.DateField(sl.col) = t
		case refbatch.KindBool:
			b, reason := parseBool(v)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleValue, v, reason)
				continue
			}
			*row.BoolField(sl.col) = b
		case refbatch.KindList:
			if v == cells[sl.idx] && isSingleItem(v) {
				// One item with nothing to trim: the list is the cell itself.
				*row.ListField(sl.col) = cells[sl.idx : sl.idx+1 : sl.idx+1]
				continue
			}
			*row.ListField(sl.col) = splitList(v)
		}
	}
	return filled, finds
}

// keepChanges makes a row of a pulled workbook say only what the user
// changed since the pull. The hidden "Pulled …" cells are read as the
// row's own are (the same parsers and file options: a pulled CSV re-saved
// with 10/15/2027 or 52.000,50 reads back as what was pulled) into
// row.Pulled. A cell equal to its pulled value is not the user's word
// (Partner Center's value, even a newer one, stands), so it leaves Filled
// and is neither checked nor sent. Referral ID and External Reference ID
// stay: they say which referral the row is. Columns that Partner Center
// takes together go together: Status and Substatus, the four Team Member
// cells (a member is added whole). A cell emptied since the pull is a
// warning: refbatch never clears a value in Partner Center. A row whose
// Referral ID is not the one it was pulled with (a copied or pasted row, a
// sort of some columns only) is refused: its pulled values are another
// referral's.
func (cv *converter) keepChanges(row *refbatch.Row, finds []refbatch.Finding) []refbatch.Finding {
	base := &refbatch.Row{Header: row.Header, Number: row.Number, Raw: row.Raw, Cells: row.Cells, Action: refbatch.ActionUpdate}
	base.Filled, _ = cv.fillSlots(base, cv.baseSlots, false)
	if want := base.ReferralID; want != "" && !strings.EqualFold(want, row.ReferralID) {
		got := row.ReferralID
		if got == "" {
			got = "empty"
		}
		return append(finds, row.Finding(refbatch.ColReferralID, refbatch.RulePullMismatch, refbatch.SeverityError,
			fmt.Sprintf("%s is %s, but this row was pulled as referral %s: its hidden \"Pulled …\" cells describe that referral (a copied or pasted row, or a sort of some columns only?); pull again, or put a new row in a sheet without the \"Pulled …\" columns",
				row.Header.Written(refbatch.ColReferralID), got, want)))
	}
	if base.ReferralID == "" {
		return finds // a row added to the pulled workbook: a create as usual
	}
	row.Pulled = base
	h := row.Header
	same := func(c refbatch.Column) bool {
		return row.Filled.Has(c) && !row.Invalid.Has(c) && !base.Invalid.Has(c) &&
			refbatch.SameCanonical(c, refbatch.CanonicalText(row, c), refbatch.CanonicalText(base, c))
	}
	for _, group := range pulledGroups {
		all := true
		for _, c := range group {
			_, pulled := h.Pulled[c]
			all = all && pulled && (same(c) || !row.Filled.Has(c) && !base.Filled.Has(c))
		}
		if !all {
			continue
		}
		for _, c := range group {
			row.Filled = row.Filled.Without(c)
		}
	}
	for _, c := range cv.pulledCols {
		key := c == refbatch.ColAction || c == refbatch.ColReferralID || c == refbatch.ColExternalReferenceID
		if _, pulled := h.Pulled[c]; !pulled && !key {
			row.Filled = row.Filled.Without(c) // no pulled value to tell an edit by (unpulledColumns)
			continue
		}
		if key || grouped(c) {
			continue
		}
		if same(c) {
			row.Filled = row.Filled.Without(c)
			continue
		}
		if base.Filled.Has(c) && !row.Filled.Has(c) && !row.Invalid.Has(c) && h.Has(c) {
			was := refbatch.CanonicalText(base, c)
			finds = append(finds, row.Finding(c, refbatch.RulePullCleared, refbatch.SeverityWarning,
				fmt.Sprintf("%s was %q when pulled and is empty now: refbatch never clears a value in Partner Center, so it stays %q; clear it in Partner Center if it must go",
					h.Written(c), was, was)))
		}
	}
	return finds
}

// pulledGroups are columns a pulled row keeps or drops together.
var pulledGroups = [][]refbatch.Column{
	{refbatch.ColStatus, refbatch.ColSubstatus},
	{refbatch.ColTeamMemberFirstName, refbatch.ColTeamMemberLastName, refbatch.ColTeamMemberEmail, refbatch.ColTeamMemberPhone},
}

func grouped(c refbatch.Column) bool {
	for _, g := range pulledGroups {
		if slices.Contains(g, c) {
			return true
		}
	}
	return false
}

// splitFullName splits a contact's full name: "Jane Doe" → Jane, Doe;
// "Doe, Jane" → Jane, Doe; "Jane van der Berg" → Jane, van der Berg. A
// single word is a first name.
func splitFullName(s string) (first, last string) {
	if l, f, ok := strings.Cut(s, ","); ok {
		return strings.TrimSpace(f), strings.TrimSpace(l)
	}
	f, l, _ := strings.Cut(strings.TrimSpace(s), " ")
	return f, strings.TrimSpace(l)
}

// clearField zeroes the typed field of column c, for a cell that could not
// be read.
func clearField(row *refbatch.Row, c refbatch.Column) {
	if p := row.TextField(c); p != nil {
		*p = ""
	} else if p := row.NumberField(c); p != nil {
		*p = 0
	} else if p := row.DateField(c); p != nil {
		*p = time.Time{}
	} else if p := row.BoolField(c); p != nil {
		*p = false
	} else if p := row.ListField(c); p != nil {
		*p = nil
	}
}

func (cv *converter) bad(row *refbatch.Row, finds []refbatch.Finding, c refbatch.Column, rule, v, reason string) []refbatch.Finding {
	row.Invalid = row.Invalid.With(c)
	return append(finds, row.Finding(c, rule, refbatch.SeverityError, c.String()+" "+quoteValue(v)+" "+reason))
}

// excelSerialToTime is excelize's conversion, kept in one place.
func excelSerialToTime(serial float64, date1904 bool) (time.Time, error) {
	return excelize.ExcelDateToTime(serial, date1904)
}
