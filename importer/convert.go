package importer

import (
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
	date1904     bool
}

func newConverter(h *refbatch.Header, opts Options, src source) converter {
	cv := converter{vocab: newVocabulary(opts.Vocabulary), decimalComma: opts.DecimalComma, order: opts.DateOrder}
	if x, ok := src.(*xlsxSource); ok {
		cv.workbook, cv.date1904 = true, x.date1904
	}
	for _, c := range refbatch.Columns() {
		if h.Has(c) {
			cv.slots = append(cv.slots, slot{idx: int32(h.Index[c]), col: c, kind: c.Kind()})
		}
	}
	return cv
}

// fill sets the typed fields of row from row.Raw, and returns a finding for
// each cell that does not parse (nil when all do, which is nearly always).
func (cv *converter) fill(row *refbatch.Row) []refbatch.Finding {
	var finds []refbatch.Finding
	var filled refbatch.ColumnSet
	cells := row.Raw
	for _, sl := range cv.slots {
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
	row.Filled = filled
	return finds
}

func (cv *converter) bad(row *refbatch.Row, finds []refbatch.Finding, c refbatch.Column, rule, v, reason string) []refbatch.Finding {
	row.Invalid = row.Invalid.With(c)
	return append(finds, row.Finding(c, rule, refbatch.SeverityError, c.String()+" "+quoteValue(v)+" "+reason))
}

// excelSerialToTime is excelize's conversion, kept in one place.
func excelSerialToTime(serial float64, date1904 bool) (time.Time, error) {
	return excelize.ExcelDateToTime(serial, date1904)
}
