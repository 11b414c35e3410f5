package exporter

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// inputSheet streams an input file, row by row, to the first worksheet of a
// new workbook, keeping its geometry: the header and every row at their input
// row numbers and every cell in its input column, so an A1 reference into the
// input ("D7") is the same cell here and a column can be pasted back. The
// pre-flight report and the results export both build on it.
//
// Columns a workbook adds (Findings; Outcome, Referral ID…) come after the
// input's columns rather than before them, which would shift every
// reference. Cells beyond the header's width (no header) follow the added
// columns. The rows above the header (title, export note, the text of a
// logo row: Header.TitleRows) are written back at their own row numbers, as
// text (a merged title as its first cell); the note saying what the
// workbook is goes on the Summary sheet, under its title.
//
// Each cell keeps what the input stored (Row.Cells): a number, date or
// boolean is written as one, with a style carrying its number format, so
// dates stay dates and amounts keep their currency format. Text, and every
// cell of an input without types (CSV), is written as an inline string,
// never a formula: a value "=cmd" stays text.
type inputSheet struct {
	f       *excelize.File
	work    *workDir // excelize's StreamWriter spills here
	note    string   // what the workbook is, for the Summary sheet
	sw      *excelize.StreamWriter
	name    string
	header  *refbatch.Header
	width   int // input columns: len(header.Names)
	added   int // columns appended after them
	st      sheetStyles
	cells   cellStyles // one style per number format and look
	lastRow int
	lastCol int // widest row written, 1-based

	vals []any // reused for every row
}

// sheetStyles are the styles every refbatch workbook uses.
type sheetStyles struct {
	title, header int
}

// addedColumn is a column a workbook appends to the input's.
type addedColumn struct {
	name  string
	width float64
}

// Categories of the workbooks refbatch writes (the document property
// Category, which Replaceable checks before a file is replaced).
const (
	categoryReport  = "refbatch report"
	categoryResults = "refbatch results"
)

// newInputSheet starts a workbook whose first sheet, name, has the title
// rows and the header row written; rows follow with setRow. Its document
// properties mark it as refbatch's (category), and excelize's temporary
// files go to wd.
func newInputSheet(h *refbatch.Header, name, note string, added []addedColumn, wd *workDir, category string) (*inputSheet, error) {
	if h.Row < 1 || h.Row >= excelize.TotalRows {
		return nil, fmt.Errorf("header row %d out of range", h.Row)
	}
	if len(h.Names)+len(added) > excelize.MaxColumns {
		return nil, fmt.Errorf("%d columns: more than a worksheet holds", len(h.Names))
	}
	s := &inputSheet{f: excelize.NewFile(excelize.Options{TmpDir: wd.path}), work: wd, note: note,
		name: name, header: h, width: len(h.Names), added: len(added), lastRow: h.Row}
	s.f.SetZipWriter(newFastZipWriter)
	s.cells.f = s.f
	ok := false
	defer func() {
		if !ok {
			s.discard()
		}
	}()
	var err error
	if err = s.f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	if err = s.f.SetDocProps(&excelize.DocProperties{
		Creator: "refbatch", Category: category, Title: category + " of " + filepath.Base(h.File),
	}); err != nil {
		return nil, err
	}
	if s.st.title, err = s.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	if s.st.header, err = s.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: solidFill("D9D9D9"),
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}}); err != nil {
		return nil, err
	}
	for look := range numLooks {
		if s.cells.get("", look) < 0 {
			return nil, fmt.Errorf("cell style %d", look)
		}
	}
	if s.sw, err = s.f.NewStreamWriter(name); err != nil {
		return nil, err
	}
	for i, n := range h.Names {
		if err = s.sw.SetColWidth(i+1, i+1, inputColumnWidth(h, i, n)); err != nil {
			return nil, err
		}
	}
	for i, c := range added {
		if err = s.sw.SetColWidth(s.width+i+1, s.width+i+1, c.width); err != nil {
			return nil, err
		}
	}
	if err = s.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: h.Row, TopLeftCell: "A" + strconv.Itoa(h.Row+1), ActivePane: "bottomLeft",
	}); err != nil {
		return nil, err
	}
	prev := 0
	for _, tr := range h.TitleRows {
		if tr.Number <= prev || tr.Number >= h.Row {
			continue // rows stream in order
		}
		prev = tr.Number
		cells := tr.Cells[:min(len(tr.Cells), excelize.MaxColumns)]
		vals := make([]any, len(cells))
		for i, c := range cells {
			if c != "" {
				vals[i] = c // an inline string, never a formula
			}
		}
		if err = s.sw.SetRow("A"+strconv.Itoa(tr.Number), vals); err != nil {
			return nil, err
		}
	}
	vals := make([]any, 0, s.width+len(added))
	for _, n := range h.Names {
		vals = append(vals, excelize.Cell{StyleID: s.st.header, Value: n})
	}
	for _, c := range added {
		vals = append(vals, excelize.Cell{StyleID: s.st.header, Value: c.name})
	}
	if err = s.sw.SetRow("A"+strconv.Itoa(h.Row), vals); err != nil {
		return nil, err
	}
	s.lastCol = len(vals)
	ok = true
	return s, nil
}

func inputColumnWidth(h *refbatch.Header, i int, name string) float64 {
	if i < len(h.Columns) {
		switch h.Columns[i] {
		case refbatch.ColNotes, refbatch.ColInviteNotes, refbatch.ColStatusReason:
			return 40
		}
	}
	return float64(min(max(utf8.RuneCountInString(name)+4, 12), 40))
}

// rowValues lays out a row's cells: input cells at their columns (inputCell,
// with look), nil in the added columns (the caller fills them), cells
// beyond the header after them. The slice is reused by the next call.
func (s *inputSheet) rowValues(row *refbatch.Row, look cellLook) ([]any, error) {
	if row.Number > excelize.TotalRows {
		return nil, fmt.Errorf("row %d: beyond the %d rows a worksheet holds; write a .csv or .json file instead", row.Number, excelize.TotalRows)
	}
	n := s.width + s.added
	if len(row.Raw) > s.width {
		n += len(row.Raw) - s.width
	}
	s.vals = s.vals[:0]
	for i := range n {
		var v any
		if i < s.width || i >= s.width+s.added {
			v = s.inputCell(row, s.source(i), look)
		}
		s.vals = append(s.vals, v)
	}
	return s.vals, nil
}

// source returns the input column of sheet column i (zero-based): the
// added columns push the cells beyond the header to the right.
func (s *inputSheet) source(i int) int {
	if i >= s.width {
		return i - s.added
	}
	return i
}

// inputCell returns input cell src of row as the sheet writes it: a
// number, date or boolean as the input stored it, styled with its number
// format and look; else the text as read, an inline string (never a
// formula); nil for a blank cell that needs no look. lookTop is left to the
// row's style for text and blank cells.
func (s *inputSheet) inputCell(row *refbatch.Row, src int, look cellLook) any {
	raw := ""
	if src < len(row.Raw) {
		raw = row.Raw[src]
	}
	if v, format, ok := typedValue(cellType(row, src), raw); ok {
		if format != "" || look != lookPlain {
			if style := s.cells.get(format, look); style >= 0 {
				return excelize.Cell{StyleID: style, Value: v}
			}
			// no style for it: the text as read
		} else {
			return v
		}
	}
	var v any
	if raw != "" {
		v = raw
	}
	if look == lookError || look == lookWarning {
		return excelize.Cell{StyleID: s.cells.get("", look), Value: v}
	}
	return v
}

// setRow writes the values rowValues laid out at the row's number.
func (s *inputSheet) setRow(number int, vals []any, opts ...excelize.RowOpts) error {
	s.lastRow = number
	s.lastCol = max(s.lastCol, len(vals))
	return s.sw.SetRow("A"+strconv.Itoa(number), vals, opts...)
}

// autoFilter puts filter buttons on the header over every row written.
func (s *inputSheet) autoFilter() error {
	h := s.header
	return s.f.AutoFilter(s.name, fmt.Sprintf("A%d:%s%d", h.Row, refbatch.ColumnLetters(s.lastCol-1), max(s.lastRow, h.Row+1)), nil)
}

func (s *inputSheet) discard() {
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
}

// writeDirect writes f's package into w as it is zipped. excelize's WriteTo
// first builds the whole package in a bytes.Buffer (WriteToBuffer) and then
// copies it: for a 100,000-referral pulled workbook that took the live heap
// from 25 MB while streaming to 121 MB at the end. Its ZipWriter hook is
// handed that buffer; the zip writer newZip makes here writes into w
// instead, so the buffer stays empty. (excelize's zip64 fix-up of parts over
// 4 GB works on that buffer; no refbatch workbook comes near it.)
func writeDirect(f *excelize.File, w io.Writer, newZip func(io.Writer) excelize.ZipWriter) (int64, error) {
	cw := &countingWriter{w: w}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return newZip(cw) })
	_, err := f.WriteTo(io.Discard)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// newFastZipWriter deflates at flate.BestSpeed: at the default level
// compression took most of the time of a 100,000-row report.
func newFastZipWriter(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	return zw
}

func solidFill(color string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
}

// Fills and fonts of Excel's own "Good", "Bad" and "Neutral" cell styles.
const (
	fillGood    = "C6EFCE"
	fontGood    = "006100"
	fillError   = "FFC7CE"
	fontError   = "9C0006"
	fillWarning = "FFEB9C"
	fontWarning = "9C5700"
)

// summaryLine is a label and its value on a Summary sheet; a blank label
// leaves an empty line.
type summaryLine struct {
	label string
	value any
}

// inputLines describe the input on a Summary sheet.
func inputLines(h *refbatch.Header) []summaryLine {
	lines := []summaryLine{{"File", h.File}}
	if h.Sheet != "" {
		lines = append(lines, summaryLine{"Sheet", h.Sheet})
	}
	return append(lines, summaryLine{"Header row", h.Row})
}

// styled is a table value written with a style.
type styled struct {
	value any
	style int
}

// writeSummarySheet adds a "Summary" sheet: a title, label/value lines, and
// a table of counts under its head.
func (s *inputSheet) writeSummarySheet(title string, lines []summaryLine, head []string, table [][]any) error {
	f, sheet := s.f, SheetSummary
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	set := func(cell string, v any, style int) error {
		if sv, ok := v.(styled); ok {
			v, style = sv.value, sv.style
		}
		if v == nil {
			return nil
		}
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sheet, cell, cell, style)
		}
		return nil
	}
	if err := set("A1", title, s.st.title); err != nil {
		return err
	}
	if err := set("A2", s.note, 0); err != nil {
		return err
	}
	r := 3
	for _, l := range lines {
		if l.label != "" {
			if err := set("A"+strconv.Itoa(r), l.label, 0); err != nil {
				return err
			}
			if err := set("B"+strconv.Itoa(r), l.value, 0); err != nil {
				return err
			}
		}
		r++
	}
	r++
	for i, v := range head {
		if err := set(refbatch.CellRef(i, r), v, s.st.header); err != nil {
			return err
		}
	}
	for _, line := range table {
		r++
		for i, v := range line {
			if err := set(refbatch.CellRef(i, r), v, 0); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(sheet, "A", "A", 20); err != nil {
		return err
	}
	return f.SetColWidth(sheet, "B", "D", 12)
}
