package importer

import (
	"reflect"
	"time"
	"unsafe"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// slot is one canonical column present in the file.
type slot struct {
	off  uintptr // offset of the column's field in refbatch.Row
	idx  int32   // position in the record
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
			cv.slots = append(cv.slots, slot{off: fieldOffset[c], idx: int32(h.Index[c]), col: c, kind: c.Kind()})
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
		field := unsafe.Add(unsafe.Pointer(row), sl.off)
		switch sl.kind {
		case refbatch.KindText:
			if cv.workbook {
				v = tidyRawNumber(v)
			}
			*(*string)(field) = v
		case refbatch.KindEnum:
			if cv.workbook {
				v = tidyRawNumber(v)
			}
			*(*string)(field) = cv.vocab.canonical(sl.col, v)
		case refbatch.KindNumber:
			decimalComma := cv.decimalComma && !(cv.workbook && isPlainNumber(v))
			f, reason := parseAmount(v, decimalComma)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleValue, v, reason)
				continue
			}
			*(*float64)(field) = f
		case refbatch.KindDate:
			t, reason := parseDate(v, cv.order, cv.date1904)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleDate, v, reason)
				continue
			}
			*(*time.Time)(field) = t
		case refbatch.KindBool:
			b, reason := parseBool(v)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleValue, v, reason)
				continue
			}
			*(*bool)(field) = b
		case refbatch.KindList:
			if v == cells[sl.idx] && isSingleItem(v) {
				// One item with nothing to trim: the list is the cell itself.
				*(*[]string)(field) = cells[sl.idx : sl.idx+1 : sl.idx+1]
				continue
			}
			*(*[]string)(field) = splitList(v)
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

// fieldOffset is where each column's typed field lies in refbatch.Row,
// found by the field name ColumnInfo gives, so that fill stores a value with
// one move instead of a switch over sixty columns per cell. init checks
// each field's type against the column's kind, which makes the stores in
// fill type-correct; a column added to the root package is handled with no
// change here.
var fieldOffset [refbatch.NumColumns]uintptr

func init() {
	rowType := reflect.TypeFor[refbatch.Row]()
	kindType := map[refbatch.Kind]reflect.Type{
		refbatch.KindText:   reflect.TypeFor[string](),
		refbatch.KindEnum:   reflect.TypeFor[string](),
		refbatch.KindNumber: reflect.TypeFor[float64](),
		refbatch.KindDate:   reflect.TypeFor[time.Time](),
		refbatch.KindBool:   reflect.TypeFor[bool](),
		refbatch.KindList:   reflect.TypeFor[[]string](),
	}
	for _, c := range refbatch.Columns() {
		info := c.Info()
		f, ok := rowType.FieldByName(info.Field)
		if !ok || len(f.Index) != 1 || f.Type != kindType[info.Kind] {
			panic("importer: refbatch.Row has no " + info.Kind.String() + " field " + info.Field + " for column " + info.Name)
		}
		fieldOffset[c] = f.Offset
	}
}

// setField stores a value in column c's field; tests use it.
func setField[T any](row *refbatch.Row, c refbatch.Column, v T) {
	*(*T)(unsafe.Add(unsafe.Pointer(row), fieldOffset[c])) = v
}
