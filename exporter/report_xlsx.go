package exporter

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the .xlsx report.
const (
	SheetReport   = "Report"
	SheetSummary  = "Summary"
	SheetFindings = "Findings"
)

// Headers the .xlsx report adds after the input's own columns.
const (
	FindingsHeader = "Findings"
	RowHeader      = "Row"
)

// commentAuthor is the author of every cell comment refbatch writes.
const commentAuthor = "refbatch"

// xlsxReport streams the input rows to the "Report" sheet as they arrive,
// with the input's geometry (inputSheet): the A1 reference in a finding
// ("D7") is the same cell in the report as in the input. The Findings column
// and a Row column (the input row number, which survives sorting and
// filtering) follow the input's columns.
//
// Cell comments go to a spool file and are written into the package at
// Close by rewriteComments: excelize's AddComment is quadratic in the number
// of comments (100,000 took a minute) and keeps each in memory.
type xlsxReport struct {
	*inputSheet
	st       reportStyles
	comments *commentSpool
	// newZip makes the package's zip writer: it restyles the header cells
	// that have findings as the sheet part goes out (patchingZipWriter).
	newZip func(io.Writer) excelize.ZipWriter
	// headerPatch restyles the header cells that have findings as the
	// zip writer writes the sheet out; set at finish.
	headerPatch rowPatch

	// scratch reused for every row
	cells []cellFindings
	lines strings.Builder
}

type reportStyles struct {
	errCell, warnCell, findErr, findWarn, top int
	// the header's look with a finding's fill, for unknown headers and the like
	headerErr, headerWarn int
}

// cellFindings gathers the findings about one cell of a row.
type cellFindings struct {
	col   int // zero-based
	error bool
	text  []byte // comment lines; not a strings.Builder, which the slice may copy
}

// findingsWidth is the width of the Findings column, in characters.
const findingsWidth = 70

func newXLSXReport(h *refbatch.Header, wd *workDir) (*xlsxReport, error) {
	note := fmt.Sprintf("Pre-flight report of %s: rows and cells as in the input; findings in column %s; counts on the %s sheet, one finding a line on the %s sheet.",
		filepath.Base(h.File), refbatch.ColumnLetters(len(h.Names)), SheetSummary, SheetFindings)
	sheet, err := newInputSheet(h, SheetReport, note, []addedColumn{{FindingsHeader, findingsWidth}, {RowHeader, 8}}, wd, categoryReport)
	if err != nil {
		return nil, err
	}
	x := &xlsxReport{inputSheet: sheet}
	// The header row is streamed before Close says which header cells have
	// findings: the zip writer restyles them as the sheet is written out.
	x.newZip = func(w io.Writer) excelize.ZipWriter {
		return &patchingZipWriter{ZipWriter: newFastZipWriter(w), part: "xl/worksheets/sheet1.xml", patch: x.headerPatch}
	}
	if x.st, err = newReportStyles(sheet); err == nil {
		x.comments, err = newCommentSpool(wd)
	}
	if err != nil {
		x.discard()
		return nil, err
	}
	return x, nil
}

func newReportStyles(sheet *inputSheet) (reportStyles, error) {
	s := reportStyles{
		errCell:  sheet.cells.get("", lookError),
		warnCell: sheet.cells.get("", lookWarning),
		top:      sheet.cells.get("", lookTop),
	}
	var err error
	top := &excelize.Alignment{Vertical: "top", WrapText: true}
	header := func(font, fill string) excelize.Style {
		return excelize.Style{Font: &excelize.Font{Bold: true, Color: font}, Fill: solidFill(fill),
			Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}}
	}
	for _, d := range []struct {
		id    *int
		style excelize.Style
	}{
		{&s.findErr, excelize.Style{Font: &excelize.Font{Color: fontError}, Fill: solidFill(fillError), Alignment: top}},
		{&s.findWarn, excelize.Style{Font: &excelize.Font{Color: fontWarning}, Fill: solidFill(fillWarning), Alignment: top}},
		{&s.headerErr, header(fontError, fillError)},
		{&s.headerWarn, header(fontWarning, fillWarning)},
	} {
		if *d.id, err = sheet.f.NewStyle(&d.style); err != nil {
			return s, err
		}
	}
	return s, nil
}

func (x *xlsxReport) writeRow(row *refbatch.Row, findings []refbatch.Finding) error {
	// Gather findings by cell; the Findings column lists them all.
	x.cells = x.cells[:0]
	x.lines.Reset()
	rowError := false
	for i := range findings {
		f := &findings[i]
		isErr := f.Severity == refbatch.SeverityError
		rowError = rowError || isErr
		if x.lines.Len() > 0 {
			x.lines.WriteByte('\n')
		}
		writeFindingLine(&x.lines, f)
		col := cellColumn(f.Cell)
		if col < 0 || col >= x.width {
			continue
		}
		c := x.cellFor(col)
		c.error = c.error || isErr
		if len(c.text) > 0 {
			c.text = append(c.text, '\n')
		}
		c.text = appendCommentLine(c.text, f)
	}

	// A row whose findings take more than a line grows to show them all,
	// and its cells align to the top.
	look, height := lookPlain, 0.0
	if len(findings) > 0 {
		if height = wrappedHeight(x.lines.String(), findingsWidth); height > 0 {
			look = lookTop
		}
	}
	vals, err := x.rowValues(row, look)
	if err != nil {
		return err
	}
	for i := range x.cells {
		c := &x.cells[i]
		look := lookWarning
		if c.error {
			look = lookError
		}
		vals[c.col] = x.inputCell(row, c.col, look)
		if err := x.comments.add(row.Number, c.col, string(c.text)); err != nil {
			return err
		}
	}
	var opts []excelize.RowOpts
	if len(findings) > 0 {
		style := x.st.findWarn
		if rowError {
			style = x.st.findErr
		}
		vals[x.width] = excelize.Cell{StyleID: style, Value: x.lines.String()}
		if height > 0 {
			opts = append(opts, excelize.RowOpts{Height: height, StyleID: x.st.top})
		}
	}
	vals[x.width+1] = row.Number
	return x.setRow(row.Number, vals, opts...)
}

func (x *xlsxReport) cellFor(col int) *cellFindings {
	for i := range x.cells {
		if x.cells[i].col == col {
			return &x.cells[i]
		}
	}
	if len(x.cells) < cap(x.cells) {
		x.cells = x.cells[:len(x.cells)+1]
	} else {
		x.cells = append(x.cells, cellFindings{})
	}
	c := &x.cells[len(x.cells)-1]
	c.col, c.error, c.text = col, false, c.text[:0]
	return c
}

// writeFindingLine writes a finding as the Findings column lists it:
// "Error D7: Deal Value must be a positive number (value)".
func writeFindingLine(b *strings.Builder, f *refbatch.Finding) {
	b.WriteString(severityWord(f.Severity))
	if f.Cell != "" {
		b.WriteByte(' ')
		b.WriteString(f.Cell)
	}
	b.WriteString(": ")
	b.WriteString(f.Message)
	if f.Rule != "" {
		b.WriteString(" (")
		b.WriteString(f.Rule)
		b.WriteByte(')')
	}
}

// appendCommentLine appends a finding as a cell comment shows it:
// "value (error): Deal Value must be a positive number".
func appendCommentLine(b []byte, f *refbatch.Finding) []byte {
	b = append(b, f.Rule...)
	b = append(b, " ("...)
	b = append(b, f.Severity...)
	b = append(b, "): "...)
	return append(b, f.Message...)
}

func severityWord(s refbatch.Severity) string {
	switch s {
	case refbatch.SeverityError:
		return "Error"
	case refbatch.SeverityWarning:
		return "Warning"
	}
	return string(s)
}

// cellColumn returns the zero-based column of an A1 reference, or -1.
func cellColumn(ref string) int {
	n, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			n = n*26 + int(c-'A') + 1
		case c >= 'a' && c <= 'z':
			n = n*26 + int(c-'a') + 1
		default:
			goto done
		}
		if n > excelize.MaxColumns {
			return -1
		}
	}
done:
	if i == 0 || i == len(ref) {
		return -1
	}
	return n - 1
}

func (x *xlsxReport) finish(w io.Writer, c *closing) error {
	defer x.discard()
	h := x.header

	// Header findings (unknown headers…) get a comment on the header cell;
	// the header row itself was written before they were known.
	var headerComments []cellComment
	for i := range c.extra {
		f := &c.extra[i]
		col := cellColumn(f.Cell)
		if f.Row != h.Row || col < 0 || col >= x.width {
			continue
		}
		line := string(appendCommentLine(nil, f))
		merged := false
		for j := range headerComments {
			if headerComments[j].col == col {
				headerComments[j].text += "\n" + line
				merged = true
			}
		}
		if !merged {
			headerComments = append(headerComments, cellComment{row: h.Row, col: col, text: line})
		}
		// Filled like any other cell with a finding: an error wins.
		if x.headerPatch.styles == nil {
			x.headerPatch = rowPatch{row: h.Row, styles: map[int]int{}}
		}
		if f.Severity == refbatch.SeverityError {
			x.headerPatch.styles[col] = x.st.headerErr
		} else if _, ok := x.headerPatch.styles[col]; !ok {
			x.headerPatch.styles[col] = x.st.headerWarn
		}
	}

	if err := x.autoFilter(); err != nil {
		return err
	}
	nComments := len(headerComments) + x.comments.n
	if nComments > 0 {
		// A placeholder makes excelize write the parts, relationships and
		// <legacyDrawing> that rewriteComments fills in; it must precede
		// Flush, after which a streamed sheet's XML is final.
		if err := x.f.AddComment(SheetReport, excelize.Comment{Cell: "A" + strconv.Itoa(h.Row), Author: commentAuthor, Text: "-"}); err != nil {
			return err
		}
	}
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if err := x.writeSummary(c); err != nil {
		return err
	}
	if err := x.writeFindings(c); err != nil {
		return err
	}
	// Report, the first sheet, is active from NewFile on. Do not call
	// SetActiveSheet: it reads every worksheet, the streamed ones included,
	// back into memory.

	if nComments == 0 {
		_, err := writeDirect(x.f, w, x.newZip)
		return err
	}
	tmp, err := x.work.file("report-*.xlsx")
	if err != nil {
		return err
	}
	unlinked := os.Remove(tmp.Name()) == nil // as the spools: nothing left if killed
	defer func() {
		_ = tmp.Close()
		if !unlinked {
			_ = os.Remove(tmp.Name())
		}
	}()
	size, err := writeDirect(x.f, tmp, x.newZip)
	if err != nil {
		return err
	}
	return rewriteComments(w, tmp, size, "xl/worksheets/_rels/sheet1.xml.rels", headerComments, x.comments)
}

func (x *xlsxReport) writeSummary(c *closing) error {
	s := c.summary
	lines := append(inputLines(x.header), []summaryLine{
		{"", nil},
		{"Rows", s.Rows},
		{"Valid rows", s.Valid},
		{"Rows with errors", s.RowsWithErrors()},
		{"Rows not loaded (total rows)", s.NotLoaded},
		{"Errors", s.Errors},
		{"Warnings", s.Warnings},
	}...)
	var table [][]any
	for _, rc := range c.tally.byRule() {
		table = append(table, []any{rc.Rule, rc.Errors, rc.Warnings, rc.Errors + rc.Warnings})
	}
	return x.writeSummarySheet("refbatch pre-flight report", lines, []string{"Rule", "Errors", "Warnings", "Total"}, table)
}

var findingsColumns = []struct {
	name  string
	width float64
}{
	{"Row", 7}, {"Cell", 8}, {"Column", 24}, {"Header", 24}, {"Rule", 16}, {"Severity", 9}, {"Message", 80}, {"Value", 30},
}

func (x *xlsxReport) writeFindings(c *closing) error {
	if _, err := x.f.NewSheet(SheetFindings); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(SheetFindings)
	if err != nil {
		return err
	}
	head := make([]any, len(findingsColumns))
	for i, col := range findingsColumns {
		if err := sw.SetColWidth(i+1, i+1, col.width); err != nil {
			return err
		}
		head[i] = excelize.Cell{StyleID: x.inputSheet.st.header, Value: col.name}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	r, skipped := 1, 0
	vals := make([]any, len(findingsColumns))
	err = c.findings(func(f *refbatch.Finding) error {
		if r == excelize.TotalRows-1 {
			skipped++
			return nil
		}
		r++
		sev := x.st.warnCell
		if f.Severity == refbatch.SeverityError {
			sev = x.st.errCell
		}
		vals[0], vals[1], vals[2], vals[3] = f.Row, f.Cell, f.Column, f.Header
		vals[4], vals[5], vals[6], vals[7] = f.Rule, excelize.Cell{StyleID: sev, Value: string(f.Severity)}, f.Message, f.Value
		return sw.SetRow("A"+strconv.Itoa(r), vals)
	})
	if err != nil {
		return err
	}
	if skipped > 0 {
		r++
		note := fmt.Sprintf("… %d more findings: a worksheet holds %d rows; write a .csv or .json report to see them all", skipped, excelize.TotalRows)
		if err := sw.SetRow("A"+strconv.Itoa(r), []any{nil, nil, nil, nil, nil, nil, note}); err != nil {
			return err
		}
	}
	if err := x.f.AutoFilter(SheetFindings, fmt.Sprintf("A1:H%d", max(r, 2)), nil); err != nil {
		return err
	}
	return sw.Flush()
}

func (x *xlsxReport) discard() {
	x.inputSheet.discard()
	if x.comments != nil {
		x.comments.remove()
	}
}
