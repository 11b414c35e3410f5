package exporter

import (
	"math"
	"strconv"
	"strings"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// cellLook is how a workbook cell looks apart from its number format: the
// same look is combined with every number format the input uses.
type cellLook uint8

const (
	lookPlain   cellLook = iota
	lookTop              // in a row made taller for its findings: aligned to the top
	lookError            // a cell with an error: Excel's "Bad"
	lookWarning          // a cell with a warning only: Excel's "Neutral"
	numLooks
)

func (l cellLook) style() excelize.Style {
	top := &excelize.Alignment{Vertical: "top"}
	switch l {
	case lookTop:
		return excelize.Style{Alignment: top}
	case lookError:
		return excelize.Style{Font: &excelize.Font{Color: fontError}, Fill: solidFill(fillError), Alignment: top}
	case lookWarning:
		return excelize.Style{Font: &excelize.Font{Color: fontWarning}, Fill: solidFill(fillWarning), Alignment: top}
	}
	return excelize.Style{}
}

// maxCellStyles bounds the styles made for the input's number formats: a
// workbook holds 64,000 cell formats and a hostile input could name more
// formats than that. Cells past the bound are written as their text.
const maxCellStyles = 4000

// builtinDate stands for a date cell without a format code: excelize's
// built-in format 14, the locale's short date ("m/d/yyyy" in en-US).
const builtinDate = "\x00date"

type cellStyleKey struct {
	format string
	look   cellLook
}

// cellStyles makes one style per number format and look, once, and
// remembers it; -1 means "write the cell as text".
type cellStyles struct {
	f  *excelize.File
	id map[cellStyleKey]int
}

func (s *cellStyles) get(format string, look cellLook) int {
	key := cellStyleKey{format, look}
	if id, ok := s.id[key]; ok {
		return id
	}
	if s.id == nil {
		s.id = map[cellStyleKey]int{}
	}
	if len(s.id) >= maxCellStyles {
		return -1
	}
	st := look.style()
	switch format {
	case "":
	case builtinDate:
		st.NumFmt = 14
	default:
		st.CustomNumFmt = &key.format
	}
	id, err := s.f.NewStyle(&st)
	if err != nil {
		id = -1 // a format excelize refuses: the text as read is still right
	}
	s.id[key] = id
	return id
}

// typedValue returns the value a typed input cell is written with (a
// float64 for a number or date serial, a bool) and its number format key,
// or ok false for a cell written as its text: text cells, blank cells, and
// numbers that are not finite (no spreadsheet stores those).
func typedValue(ct refbatch.CellType, raw string) (v any, format string, ok bool) {
	if raw == "" {
		return nil, "", false
	}
	format = numberFormat(ct)
	switch ct.Kind {
	case refbatch.CellNumber, refbatch.CellDate:
		if math.IsNaN(ct.Value) || math.IsInf(ct.Value, 0) {
			return nil, "", false
		}
		return ct.Value, format, true
	case refbatch.CellBool:
		return ct.Value != 0, "", true
	}
	return nil, "", false
}

// numberFormat is the format key of a cell: "" for General.
func numberFormat(ct refbatch.CellType) string {
	f := ct.Format
	if strings.EqualFold(f, "General") {
		f = ""
	}
	if f == "" && ct.Kind == refbatch.CellDate {
		return builtinDate
	}
	return f
}

// cellType returns what the row says of input cell i, a text cell when it
// says nothing (CSV input, or a short Cells).
func cellType(row *refbatch.Row, i int) refbatch.CellType {
	if i < len(row.Cells) {
		return row.Cells[i]
	}
	return refbatch.CellType{}
}

// displayer renders a stored cell value as Excel displays it ("3/31/2027"
// for the date serial 46477 in m/d/yyyy, "$30,000.00" for 30000 in
// $#,##0.00), for the text outputs (a finding's value, .csv and .json
// results). excelize's renderer is not exported: the value goes through one
// cell of a scratch workbook, and the renderings are cached, dates and
// amounts repeating down a sheet. A displayer is used by one goroutine.
type displayer struct {
	f      *excelize.File
	styles cellStyles
	cache  map[displayKey]string
}

type displayKey struct {
	format string
	value  float64
}

// maxDisplayCache bounds the cached renderings; the cache starts over when
// full.
const maxDisplayCache = 1 << 14

// display returns the text of input cell with type ct and stored text raw
// as Excel would show it; raw for text and General numbers.
func (d *displayer) display(ct refbatch.CellType, raw string) string {
	v, format, ok := typedValue(ct, raw)
	if !ok {
		return raw
	}
	if b, isBool := v.(bool); isBool {
		if b {
			return "TRUE"
		}
		return "FALSE"
	}
	if format == "" {
		return raw // the stored text is the General rendering
	}
	key := displayKey{format, ct.Value}
	if s, ok := d.cache[key]; ok {
		return s
	}
	s, err := d.render(format, ct.Value)
	if err != nil {
		return raw
	}
	if d.cache == nil || len(d.cache) >= maxDisplayCache {
		d.cache = make(map[displayKey]string)
	}
	d.cache[key] = s
	return s
}

func (d *displayer) render(format string, v float64) (string, error) {
	const sheet, cell = "Sheet1", "A1"
	if d.f == nil {
		d.f = excelize.NewFile()
		d.styles.f = d.f
	}
	style := d.styles.get(format, lookPlain)
	if style < 0 {
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	}
	if err := d.f.SetCellFloat(sheet, cell, v, -1, 64); err != nil {
		return "", err
	}
	if err := d.f.SetCellStyle(sheet, cell, cell, style); err != nil {
		return "", err
	}
	return d.f.GetCellValue(sheet, cell)
}

// close releases the scratch workbook.
func (d *displayer) close() {
	if d.f != nil {
		_ = d.f.Close()
		d.f = nil
		d.styles = cellStyles{}
		d.cache = nil
	}
}

// displayFindingValue returns f with its value as the spreadsheet displays
// it when the value is a typed cell of row (a date serial or the ISO date
// Row.Finding makes of it, a number, a boolean); f itself otherwise.
func (d *displayer) displayFindingValue(row *refbatch.Row, f *refbatch.Finding) *refbatch.Finding {
	if len(row.Cells) == 0 || f.Value == "" || f.Row != row.Number {
		return f
	}
	col := cellColumn(f.Cell)
	if col < 0 || col >= len(row.Cells) || col >= len(row.Raw) {
		return f
	}
	// Row.Finding gives a date cell's value as an ISO date (ShownText);
	// other callers may give the stored text.
	if raw := row.Raw[col]; raw != f.Value && row.ShownText(col) != f.Value {
		return f
	}
	shown := d.display(row.Cells[col], row.Raw[col])
	if shown == f.Value {
		return f
	}
	g := *f
	g.Value = shown
	return &g
}

// Row heights of the .xlsx report.
const (
	lineHeight   = 15  // points: a line of Excel's default 11-point Calibri
	maxRowHeight = 409 // points: the tallest row Excel allows
)

// wrappedHeight returns the height in points a wrapped cell of a column
// width wide needs to show text whole, or 0 when one line does. It wraps
// at spaces like Excel and counts a column width unit as one character
// (the width of a digit, which most letters are narrower than), so the
// estimate errs toward a spare line rather than a clipped one.
func wrappedHeight(text string, width float64) float64 {
	lines := wrappedLines(text, max(int(width), 1))
	if lines <= 1 {
		return 0
	}
	return min(float64(lineHeight*lines), maxRowHeight)
}

func wrappedLines(text string, width int) int {
	n := 0
	for para := range strings.SplitSeq(text, "\n") {
		lines, col := 1, 0
		for word := range strings.SplitSeq(para, " ") {
			w := textWidth(word)
			if col > 0 {
				if col+1+w <= width {
					col += 1 + w
					continue
				}
				lines++
			}
			for w > width { // a word wider than the column breaks anywhere
				lines++
				w -= width
			}
			col = w
		}
		n += lines
	}
	return n
}

// textWidth counts characters, East Asian wide ones as two.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
			r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000:
			n += 2
		default:
			n++
		}
	}
	return n
}

// cellTexts returns the cells of row as the .csv and .json results write
// them: a date or boolean cell as the spreadsheet displays it (a date
// serial means nothing to a reader), every other cell as read, numbers
// included, whose stored text is exact where their display may round or
// add a currency symbol. It returns row.Raw itself when the row has no
// types; else dst, reused.
func (d *displayer) cellTexts(row *refbatch.Row, dst []string) []string {
	if len(row.Cells) == 0 {
		return row.Raw
	}
	dst = append(dst[:0], row.Raw...)
	for i, ct := range row.Cells {
		if i < len(dst) && (ct.Kind == refbatch.CellDate || ct.Kind == refbatch.CellBool) {
			dst[i] = d.display(ct, dst[i])
		}
	}
	return dst
}
