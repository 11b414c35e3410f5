package exporter

import (
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// SheetPulled is the sheet a pulled workbook's referrals are on: the
// template's Referrals sheet, so that the file reads back as any other.
const SheetPulled = SheetReferrals

// PulledRow is one referral of a pulled workbook: its canonical columns as
// refbatch reads them back (Row, with Filled) and what Partner Center says
// about it (Facts).
type PulledRow struct {
	Row   *refbatch.Row
	Facts refbatch.Facts
}

// Pulled writes the partner's referrals as a workbook people edit and give
// back to `plan` or `run` (issue 18, "pull"): the template's layout (the
// canonical columns of refbatch.PulledColumns with their drop-downs and the
// Guide sheet; a .csv has the same columns), then read-only columns of what
// Partner Center says (refbatch.PulledFactHeaders), then hidden columns
// "Pulled <column>" and "Pulled ETag" holding every value as pulled, which
// a later run compares with the user's cells and the live referral. Rows
// stream: memory does not grow with the number of referrals. Nothing is at
// the path until Close succeeds.
type Pulled struct {
	path   string
	wd     *workDir
	format string
	header []string
	cols   []refbatch.Column // refbatch.PulledColumns, the visible ones
	base   []refbatch.Column // those whose pulled value is kept hidden

	// .xlsx
	t         *templateWriter
	sw        *excelize.StreamWriter
	dateStyle int
	factStyle int
	// .csv
	out *atomicFile
	cw  *csv.Writer

	rows int
	err  error
}

// pulledGuide are the Guide sheet's lines about a pulled workbook.
var pulledGuide = []string{
	"This workbook was pulled from Partner Center (refbatch pull): one row per referral, Referral ID filled. Edit the cells you want to change and give the file back to refbatch plan or refbatch run: only the cells you changed are sent.",
	"The grey columns after the referral's own (Direction, Response Due, Microsoft Status…) are what Partner Center says; they are read-only and never sent.",
	"Hidden columns named \"Pulled …\" keep every value as it was pulled. Leave them as they are: a later run compares them with your cells and with Partner Center to send only your changes and to stop a row that was changed in Partner Center meanwhile (a conflict).",
	"To accept a lead sent to you (Direction Incoming), set Status Active and Substatus Accepted; to decline it, Status Closed, Substatus Declined and a Status Reason, before its Response Due.",
}

// PulledHeaders returns the header row of a pulled workbook: the canonical
// columns, the read-only facts, then the hidden pulled values.
func PulledHeaders() []string {
	var h []string
	for _, c := range refbatch.PulledColumns() {
		h = append(h, c.String())
	}
	h = append(h, FactHeaders()...)
	h = append(h, refbatch.PulledETagHeader)
	for _, c := range pulledBaseColumns() {
		h = append(h, refbatch.PulledPrefix+c.String())
	}
	return h
}

// pulledBaseColumns are the columns whose pulled value is kept: all but
// Action, which Partner Center does not hold.
func pulledBaseColumns() []refbatch.Column {
	return slices.DeleteFunc(refbatch.PulledColumns(), func(c refbatch.Column) bool { return c == refbatch.ColAction })
}

// NewPulled starts a pulled workbook at path (.xlsx or .csv), built with
// the drop-down vocabulary of opts.
func NewPulled(path string, opts TemplateOptions) (*Pulled, error) {
	format, err := outputFormat("pulled workbook", path)
	if err != nil {
		return nil, err
	}
	if format != FormatXLSX && format != FormatCSV {
		return nil, fmt.Errorf("%w: pulled workbook %s: write .xlsx or .csv", refbatch.ErrUsage, path)
	}
	wd, err := openWorkDir(path)
	if err != nil {
		return nil, fmt.Errorf("pulled workbook %s: %w", path, err)
	}
	p := &Pulled{path: path, wd: wd, format: format, header: PulledHeaders(), cols: refbatch.PulledColumns(), base: pulledBaseColumns()}
	if format == FormatCSV {
		err = p.startCSV()
	} else {
		err = p.startXLSX(opts)
	}
	if err != nil {
		p.Abort()
		return nil, fmt.Errorf("pulled workbook %s: %w", path, err)
	}
	return p, nil
}

func (p *Pulled) startCSV() error {
	out, err := createAtomic(p.path, p.wd)
	if err != nil {
		return err
	}
	p.out = out
	if _, err := out.WriteString("\ufeff"); err != nil {
		return err
	}
	p.cw = csv.NewWriter(out)
	return p.cw.Write(p.header)
}

func (p *Pulled) startXLSX(opts TemplateOptions) error {
	t := &templateWriter{
		f:    excelize.NewFile(excelize.Options{TmpDir: p.wd.path}),
		opts: opts, rows: excelize.TotalRows - 1,
		cols: refbatch.PulledColumns(), guide: pulledGuide,
	}
	p.t = t
	if err := t.build(); err != nil {
		return err
	}
	f := t.f
	if err := f.SetDocProps(&excelize.DocProperties{Category: categoryPulled, Creator: "refbatch"}); err != nil {
		return err
	}
	// The header's styles, as the template set them, to write the header
	// row again through the stream (which rewrites the sheet's cells).
	styles := make([]int, len(p.header))
	for i := range refbatch.PulledColumns() {
		s, err := f.GetCellStyle(SheetPulled, refbatch.CellRef(i, 1))
		if err != nil {
			return err
		}
		styles[i] = s
	}
	factHead, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true, Italic: true, Color: "595959"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}},
	})
	if err != nil {
		return err
	}
	if p.factStyle, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "595959"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}}); err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd"
	if p.dateStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return err
	}
	first := len(refbatch.PulledColumns())
	for i := first; i < len(p.header); i++ {
		styles[i] = factHead
		letter := refbatch.ColumnLetters(i)
		width := 18.0
		if i >= first+len(factColumns) {
			// The pulled values: hidden, so that they are not edited by
			// accident; a CSV shows them, headed "Pulled …".
			if err := f.SetColVisible(SheetPulled, letter, false); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(SheetPulled, letter, letter, width); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(SheetPulled)
	if err != nil {
		return err
	}
	p.sw = sw
	head := make([]any, len(p.header))
	for i, h := range p.header {
		head[i] = excelize.Cell{StyleID: styles[i], Value: h}
	}
	return sw.SetRow("A1", head, excelize.RowOpts{Height: 20})
}

// categoryPulled marks a pulled workbook (docProps/core.xml).
const categoryPulled = "refbatch pulled"

// Write adds one referral.
func (p *Pulled) Write(r PulledRow) error {
	if p.err != nil {
		return p.err
	}
	p.rows++
	if p.format == FormatCSV {
		p.err = p.cw.Write(p.csvRecord(r))
	} else {
		p.err = p.sw.SetRow("A"+strconv.Itoa(p.rows+1), p.xlsxRecord(r))
	}
	if p.err != nil {
		p.err = fmt.Errorf("pulled workbook %s: row %d: %w", p.path, p.rows+1, p.err)
	}
	return p.err
}

// factColumns are the read-only columns after the canonical ones: each
// header (refbatch.PulledFactHeaders, which the importer recognises, in
// the same order: TestPulledFactColumns) with its value.
var factColumns = []struct {
	header string
	value  func(refbatch.Facts) any
}{
	{"Direction", func(f refbatch.Facts) any { return f.Direction }},
	{"Response Due", func(f refbatch.Facts) any { return when(f.Expires) }},
	{"Microsoft Status", func(f refbatch.Facts) any { return f.MicrosoftStatus }},
	{"Microsoft Substatus", func(f refbatch.Facts) any { return f.MicrosoftSubstatus }},
	{"Microsoft Reason", func(f refbatch.Facts) any { return f.MicrosoftStatusReason }},
	{"Registration Reason", func(f refbatch.Facts) any { return f.RegistrationReason }},
	{"Last Updated", func(f refbatch.Facts) any { return when(f.Updated) }},
}

// facts are the read-only columns' values, in factColumns order.
func facts(f refbatch.Facts) []any {
	out := make([]any, len(factColumns))
	for i, fc := range factColumns {
		out[i] = fc.value(f)
	}
	return out
}

// FactHeaders are the headers of the read-only columns, as written.
func FactHeaders() []string {
	out := make([]string, len(factColumns))
	for i, fc := range factColumns {
		out[i] = fc.header
	}
	return out
}

func when(t time.Time) any {
	if t.IsZero() {
		return ""
	}
	return t.UTC()
}

func (p *Pulled) xlsxRecord(r PulledRow) []any {
	out := make([]any, 0, len(p.header))
	for _, c := range p.cols {
		out = append(out, p.typedCell(r.Row, c))
	}
	for _, v := range facts(r.Facts) {
		if t, ok := v.(time.Time); ok {
			out = append(out, excelize.Cell{StyleID: p.factStyle, Value: t.Format("2006-01-02 15:04 MST")})
			continue
		}
		out = append(out, excelize.Cell{StyleID: p.factStyle, Value: v})
	}
	out = append(out, r.Facts.ETag)
	for _, c := range p.base {
		// Strings, always: a pulled value is compared as refbatch wrote it.
		out = append(out, refbatch.CanonicalText(r.Row, c))
	}
	return out
}

// typedCell is column c's cell as a spreadsheet shows it best: a number as
// a number, a date as a date, the rest as text (never a formula).
func (p *Pulled) typedCell(row *refbatch.Row, c refbatch.Column) any {
	if !row.Filled.Has(c) {
		return nil
	}
	switch c.Kind() {
	case refbatch.KindNumber:
		return *row.NumberField(c)
	case refbatch.KindDate:
		if d := *row.DateField(c); !d.IsZero() {
			return excelize.Cell{StyleID: p.dateStyle, Value: d}
		}
		return nil
	}
	return refbatch.CanonicalText(row, c)
}

func (p *Pulled) csvRecord(r PulledRow) []string {
	out := make([]string, 0, len(p.header))
	for _, c := range p.cols {
		out = append(out, NeutralizeCSV(refbatch.CanonicalText(r.Row, c)))
	}
	for _, v := range facts(r.Facts) {
		if t, ok := v.(time.Time); ok {
			out = append(out, t.Format(time.RFC3339))
			continue
		}
		out = append(out, NeutralizeCSV(v.(string)))
	}
	out = append(out, r.Facts.ETag)
	for _, c := range p.base {
		out = append(out, NeutralizeCSV(refbatch.CanonicalText(r.Row, c)))
	}
	return out
}

// Rows is how many referrals were written.
func (p *Pulled) Rows() int { return p.rows }

// Close finishes the workbook and moves it into place.
func (p *Pulled) Close() error {
	if p.err != nil {
		p.Abort()
		return p.err
	}
	err := p.finish()
	if err != nil {
		p.Abort()
		return fmt.Errorf("pulled workbook %s: %w", p.path, err)
	}
	p.wd.remove()
	return nil
}

func (p *Pulled) finish() error {
	if p.format == FormatCSV {
		p.cw.Flush()
		if err := p.cw.Error(); err != nil {
			return err
		}
		return p.out.commit()
	}
	if err := p.sw.Flush(); err != nil {
		return err
	}
	out, err := createAtomic(p.path, p.wd)
	if err != nil {
		return err
	}
	p.out = out
	if _, err := writeDirect(p.t.f, out, newFastZipWriter); err != nil {
		return err
	}
	if err := p.t.f.Close(); err != nil {
		return err
	}
	return out.commit()
}

// Abort discards the workbook: nothing is left at the path.
func (p *Pulled) Abort() {
	if p.out != nil {
		_ = p.out.discard()
	}
	if p.t != nil {
		_ = p.t.f.Close()
	}
	p.wd.remove()
	if p.err == nil {
		p.err = errors.New("aborted")
	}
}
