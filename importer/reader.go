package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/refbatch/refbatch"
)

// source yields the rows of one sheet or CSV file in order.
type source interface {
	// next returns the cells of the next row and its spreadsheet row
	// number, or io.EOF. The cells belong to the caller; a source may
	// append them to dst (len 0) to save an allocation.
	next(dst []string) ([]string, int, error)
	sheet() string
	// rowMeta describes the row next returned last.
	rowMeta() *rowMeta
	close() error
}

// Reader streams the typed rows of one spreadsheet. It holds one row at a
// time: memory does not grow with the file. A Reader is used by one
// goroutine; its rows and findings may be handed to others.
type Reader struct {
	file        string
	src         source
	header      *refbatch.Header
	headerFinds []refbatch.Finding
	conv        converter
	units       map[refbatch.Column]string // currency named in an amount's header
	count       int                        // rows read, to poll the context now and then
	err         error                      // sticky: once the source fails or ends, it stays so

	includeHidden bool
	hidden        []int // hidden rows skipped
	// The row read ahead: a row is returned once the next one is read, so
	// that findings about the end of the file go with the last row.
	held      *refbatch.Row
	heldFinds []refbatch.Finding

	width int // cells per record in the header; sizes row blocks
	// A row left over from a blank record, reused for the next.
	spareRow   *refbatch.Row
	spareCells []string
	// Rows handed back with Release; Next reuses them.
	pool sync.Pool
}

// csvBufferSize is the read buffer of a CSV file; the delimiter is sniffed
// from its first fill.
const csvBufferSize = 256 << 10

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Open opens an .xlsx workbook or a CSV file, telling them apart by content,
// finds the header row and maps its headers to canonical columns. Every
// problem with the file is a *refbatch.InputError naming it.
func Open(ctx context.Context, path string, opts Options) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d := opts.Delimiter; d != 0 && (d >= 0x80 || d == '"' || d == '\n' || d == '\r') {
		return nil, fmt.Errorf("%w: the delimiter must be one ASCII character other than a quote or line break, not %q", refbatch.ErrUsage, d)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &refbatch.InputError{File: path, Err: unwrapPathError(err)}
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &refbatch.InputError{File: path, Err: errors.New("is a directory, not a spreadsheet")}
	}
	br := bufio.NewReaderSize(f, csvBufferSize)
	head, _ := br.Peek(512)
	if sniffContent(head) == contentZip && !textExtension(path) && !strings.EqualFold(filepath.Ext(path), ".xlsb") {
		f.Close()
		x, err := openXLSX(path, opts)
		if err != nil {
			return nil, err
		}
		return newReader(ctx, path, x, opts)
	}
	return openText(ctx, path, br, f, opts)
}

func textExtension(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return true
	}
	return false
}

// openText reads anything that is not a workbook: a CSV file, or a file
// whose content does not match its name, which it reports.
func openText(ctx context.Context, path string, br *bufio.Reader, closer io.Closer, opts Options) (*Reader, error) {
	fail := func(msg string) (*Reader, error) {
		closer.Close()
		return nil, &refbatch.InputError{File: path, Err: errors.New(msg)}
	}
	head, _ := br.Peek(512)
	if len(head) == 0 {
		return fail("is empty")
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch kind := sniffContent(head); {
	case kind == contentZip && ext == ".xlsb":
		return fail("is a binary .xlsb workbook; save it as .xlsx")
	case kind == contentZip:
		return fail("is not CSV text: it is a zip archive, probably an Excel workbook saved with the wrong extension (rename it to .xlsx)")
	case kind == contentOLE:
		return fail("is a legacy .xls or a password-protected workbook; save it as an unprotected .xlsx")
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xltx" || ext == ".xltm" || ext == ".xls" || ext == ".xlsb":
		return fail("is not an Excel workbook: it looks like " + kind.String() + " (rename a CSV export to .csv)")
	case kind != contentText:
		return fail("is not CSV text: it looks like " + kind.String())
	}
	s, err := openCSV(path, br, opts)
	if err != nil {
		closer.Close()
		return nil, err
	}
	return newReader(ctx, path, &csvSource{csvScanner: s, closer: closer}, opts)
}

// newReader finds the header of a source and prepares the conversion.
func newReader(ctx context.Context, path string, src source, opts Options) (*Reader, error) {
	r := &Reader{file: path, src: src, includeHidden: opts.IncludeHidden}
	if err := r.readHeader(ctx, opts); err != nil {
		src.close()
		return nil, err
	}
	r.conv = newConverter(r.header, opts, src, r.units)
	r.width = len(r.header.Names)
	return r, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openCSV sets up the scanner: it skips a byte-order mark, detects the line
// break and sniffs the delimiter from the first buffer of text.
func openCSV(path string, br *bufio.Reader, opts Options) (*csvScanner, error) {
	if head, _ := br.Peek(3); bytes.Equal(head, utf8BOM) {
		br.Discard(3)
	}
	head, _ := br.Peek(csvBufferSize)
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, &refbatch.InputError{File: path, Err: errors.New("is empty")}
	}
	eol := sniffLineEnd(head)
	delim := byte(opts.Delimiter)
	if delim == 0 {
		delim = sniffDelimiter(head, eol, newHeaderMatcher(opts.Mapping), opts.HeaderRow)
	}
	return newCSVScanner(path, br, delim, eol), nil
}

// sniffLineEnd finds the record separator: the first line break outside
// quotes. A CR not followed by LF is an old Mac file's; a quoted cell may
// hold line breaks of another kind.
func sniffLineEnd(head []byte) byte {
	quoted := false
	for i, c := range head {
		switch c {
		case '"':
			quoted = !quoted
		case '\n':
			if !quoted {
				return '\n'
			}
		case '\r':
			if !quoted {
				if i+1 < len(head) && head[i+1] != '\n' || i+1 == len(head) {
					return '\r'
				}
				return '\n'
			}
		}
	}
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		return '\r'
	}
	return '\n'
}

// csvSource is a csvScanner over an open file.
type csvSource struct {
	*csvScanner
	closer io.Closer
}

func (c *csvSource) sheet() string { return "" }
func (c *csvSource) close() error  { return c.closer.Close() }

// readHeader reads up to the header row and maps its cells to columns.
func (r *Reader) readHeader(ctx context.Context, opts Options) error {
	m := newHeaderMatcher(opts.Mapping)
	bestRow, bestKnown, sawData := 0, 0, false
	var titles []refbatch.TitleRow // the rows above the header, for the reports
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		cells, num, err := r.src.next(nil)
		if err == io.EOF {
			switch {
			case opts.HeaderRow > 0:
				return &refbatch.InputError{File: r.file, Row: opts.HeaderRow, Err: errors.New("the header row is empty or past the end of the sheet")}
			case !sawData:
				return &refbatch.InputError{File: r.file, Err: errors.New("has no rows")}
			}
			return r.noHeader(bestRow, bestKnown)
		}
		if err != nil {
			return err
		}
		if opts.HeaderRow > 0 {
			if num < opts.HeaderRow {
				titles = appendTitleRow(titles, cells, num)
				continue
			}
			if num > opts.HeaderRow || blankRow(cells) {
				return &refbatch.InputError{File: r.file, Row: opts.HeaderRow, Err: errors.New("the header row is empty")}
			}
			if m.countKnown(cells) == 0 {
				return &refbatch.InputError{File: r.file, Row: num, Err: errors.New("the header row names no known column; " + knownExamples)}
			}
			return r.buildHeader(cells, num, m, titles)
		}
		if num > maxHeaderScan {
			return r.noHeader(bestRow, bestKnown)
		}
		if !blankRow(cells) {
			sawData = true
		}
		k := m.countKnown(cells)
		if k >= minKnownHeaders {
			return r.buildHeader(cells, num, m, titles)
		}
		titles = appendTitleRow(titles, cells, num)
		if k > bestKnown {
			bestRow, bestKnown = num, k
		}
	}
}

// appendTitleRow keeps a non-blank row above the header, trailing blank
// cells dropped and every cell copied (the source may reuse its buffers)
// and made writable (valid UTF-8, within Excel's cell limit).
func appendTitleRow(titles []refbatch.TitleRow, cells []string, num int) []refbatch.TitleRow {
	if blankRow(cells) {
		return titles
	}
	last := len(cells) - 1
	for last >= 0 && isBlank(cells[last]) {
		last--
	}
	kept := make([]string, last+1)
	for i := range kept {
		// repairCell copies; a title is text, written back as such.
		kept[i] = repairCell(strings.Clone(cells[i]))
	}
	return append(titles, refbatch.TitleRow{Number: num, Cells: kept})
}

const knownExamples = "headers such as Name, Deal Type, Customer Name, Deal Value, Closing Date are expected (a --mapping file can add aliases)"

func (r *Reader) noHeader(bestRow, bestKnown int) error {
	msg := "no header row in the first " + strconv.Itoa(maxHeaderScan) + " rows: the header is the first row with at least " +
		strconv.Itoa(minKnownHeaders) + " known column names; " + knownExamples
	if bestRow > 0 {
		msg += "; row " + strconv.Itoa(bestRow) + " has only " + strconv.Itoa(bestKnown) + " (name it with --header-row " + strconv.Itoa(bestRow) + ")"
	}
	return &refbatch.InputError{File: r.file, Err: errors.New(msg)}
}

// buildHeader maps header cells to columns: an unknown header is a warning,
// two headers for one column an error.
func (r *Reader) buildHeader(cells []string, num int, m headerMatcher, titles []refbatch.TitleRow) error {
	h, finds, units, err := makeHeader(r.file, r.src.sheet(), num, cells, m)
	if err != nil {
		return err
	}
	h.TitleRows = titles
	r.header, r.headerFinds, r.units = h, finds, units
	return nil
}

func makeHeader(file, sheet string, num int, cells []string, m headerMatcher) (*refbatch.Header, []refbatch.Finding, map[refbatch.Column]string, error) {
	last := len(cells) - 1
	for last >= 0 && isBlank(cells[last]) {
		last--
	}
	names := make([]string, last+1)
	for i := range names {
		names[i] = trimCell(cells[i])
	}
	h := refbatch.NewHeader(file, sheet, num, names)
	var finds []refbatch.Finding
	var units map[refbatch.Column]string
	fullName := -1
	var numbered numberedHeaders
	dynamics := isDynamicsExport(names)
	pulled, err := markPulled(file, num, h)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, name := range names {
		if name == "" {
			continue
		}
		if pulled {
			if _, ok := refbatch.PulledHeader(name); ok {
				continue // markPulled placed it
			}
			if slices.ContainsFunc(refbatch.PulledFactHeaders, func(f string) bool { return refbatch.FoldKey(f) == refbatch.FoldKey(name) }) {
				h.Ignored = append(h.Ignored, refbatch.IgnoredHeader{Index: i, Reason: reasonPulledFact})
				continue
			}
		}
		c, ok := m.match(name)
		if key := refbatch.FoldKey(name); (!ok && stageHeaders[key]) || (dynamics && (key == "status" || key == "statusreason")) {
			h.Ignored = append(h.Ignored, refbatch.IgnoredHeader{Index: i, Reason: reasonStage})
			continue
		}
		if !ok {
			if nc, n, isNum := matchNumbered(name); isNum {
				f, err := numbered.add(file, num, names, nc, n, i)
				if err != nil {
					return nil, nil, nil, err
				}
				if f != nil {
					finds = append(finds, *f)
				}
				continue
			}
			if spec, ign := matchIgnored(name); ign {
				h.Ignored = append(h.Ignored, refbatch.IgnoredHeader{Index: i, Reason: spec.reason, Warn: spec.warn})
				continue
			}
		}
		if !ok && isFullNameHeader(name) {
			if fullName < 0 {
				fullName = i
			}
			continue
		}
		if !ok {
			var code string
			if c, code, ok = m.matchUnit(name); ok {
				if units == nil {
					units = map[refbatch.Column]string{}
				}
				units[c] = code
			}
		}
		if !ok {
			finds = append(finds, refbatch.Finding{
				Row: num, Cell: refbatch.CellRef(i, num), Header: name,
				Rule: refbatch.RuleHeader, Severity: refbatch.SeverityWarning,
				Message: unknownHeaderMessage(name), Value: name,
			})
			continue
		}
		if j := h.Index[c]; j >= 0 {
			return nil, nil, nil, &refbatch.InputError{File: file, Row: num, Column: c.String(), Err: errors.New(
				"headers " + quoteValue(names[j]) + " (" + refbatch.CellRef(j, num) + ") and " + quoteValue(name) +
					" (" + refbatch.CellRef(i, num) + ") both name column " + c.String() + "; remove or rename one")}
		}
		h.Index[c] = i
		h.Columns[i] = c
	}
	numbered.apply(h)
	h.Template = templateOf(names)
	if pulled {
		finds = append(finds, unpulledColumns(h)...)
	}
	// One "Contact Name" column, and no first or last name columns: it
	// fills both (the converter splits it).
	if fullName >= 0 && !h.Has(refbatch.ColContactFirstName) && !h.Has(refbatch.ColContactLastName) {
		h.Index[refbatch.ColContactFirstName] = fullName
		h.Index[refbatch.ColContactLastName] = fullName
		h.Columns[fullName] = refbatch.ColContactFirstName
	} else if fullName >= 0 {
		finds = append(finds, refbatch.Finding{
			Row: num, Cell: refbatch.CellRef(fullName, num), Header: names[fullName],
			Rule: refbatch.RuleHeader, Severity: refbatch.SeverityWarning,
			Message: "header " + quoteValue(names[fullName]) + " is ignored: the file already has a contact first or last name column", Value: names[fullName],
		})
	}
	return h, finds, units, nil
}

// fullNameHeaders are headers of a single column holding a contact's whole
// name, folded.
var fullNameHeaders = map[string]bool{
	"contactname": true, "customercontact": true, "customercontactname": true, "contact": true,
	"contactperson": true, "contactfullname": true, "primarycontact": true, "customercontactperson": true,
	"associatedcontact": true, // HubSpot's deals export
}

func isFullNameHeader(h string) bool { return fullNameHeaders[refbatch.FoldKey(h)] }

// blankRow reports whether every cell of a row is blank.
func blankRow(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

// Header returns the file's header; every row points at it.
func (r *Reader) Header() *refbatch.Header { return r.header }

// HeaderFindings returns a warning for each header that names no known
// column (rule refbatch.RuleHeader, on the header row).
func (r *Reader) HeaderFindings() []refbatch.Finding { return r.headerFinds }

// Next returns the next non-empty row with its typed values resolved, and a
// finding for each cell whose text could not be read as its column's kind
// (such a cell is marked in Row.Invalid and its field left zero), for each
// cell outside the table and, with the last row, for hidden rows. A total
// row is returned too, in its place, with Row.NotLoaded set and a
// RuleTotalRow finding instead of its cells' findings: reports show every
// row, and nothing checks or sends it. It returns io.EOF after the last row,
// a *refbatch.InputError for a problem that stops the import (a damaged
// file: no row may then be taken as read), or the context's error.
func (r *Reader) Next(ctx context.Context) (*refbatch.Row, []refbatch.Finding, error) {
	if r.err != nil {
		return nil, nil, r.err
	}
	if r.held == nil {
		row, finds, err := r.read(ctx)
		if err != nil {
			r.err = err
			return nil, nil, err
		}
		r.held, r.heldFinds = row, finds
	}
	row, finds, err := r.read(ctx)
	if err != nil && err != io.EOF {
		r.err, r.held, r.heldFinds = err, nil, nil
		return nil, nil, err
	}
	out, outFinds := r.held, r.heldFinds
	if err == io.EOF {
		r.err, r.held, r.heldFinds = io.EOF, nil, nil
		if f, ok := r.hiddenFinding(); ok {
			outFinds = append(outFinds, f)
		}
		return out, outFinds, nil
	}
	r.held, r.heldFinds = row, finds
	return out, outFinds, nil
}

// read returns the next row to report: not blank, not hidden (unless
// asked); a total row marked NotLoaded.
func (r *Reader) read(ctx context.Context) (*refbatch.Row, []refbatch.Finding, error) {
	for {
		if r.count++; r.count&63 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		row, dst := r.spareRow, r.spareCells
		if row == nil {
			row, dst = r.takeRow()
		}
		cells, num, err := r.src.next(dst)
		if err != nil {
			r.spareRow, r.spareCells = row, dst
			return nil, nil, err
		}
		meta := r.src.rowMeta()
		if blankRow(cells) || meta.hidden && !r.includeHidden {
			if !blankRow(cells) {
				r.hidden = append(r.hidden, num)
			}
			// Keep the untouched row for the next record.
			r.spareRow, r.spareCells = row, cells[:0]
			continue
		}
		r.spareRow, r.spareCells = nil, nil
		var finds []refbatch.Finding
		if n := len(r.header.Names); len(cells) > n {
			for i := n; i < len(cells); i++ {
				if !isBlank(cells[i]) {
					finds = append(finds, r.strayCell(num, i, cells[i]))
				}
			}
			cells = cells[:n:n]
		}
		if len(meta.issues) > 0 {
			// The cells are the source's; repair them in a copy.
			cells = append(cells[:0:0], cells...)
			for _, is := range meta.issues {
				if is.idx < len(cells) {
					cells[is.idx] = repairCell(cells[is.idx])
				}
			}
		}
		row.Header, row.Number, row.Raw = r.header, num, cells
		if len(meta.types) > 0 {
			n := min(len(meta.types), len(cells))
			row.Cells = append(row.Cells[:0], meta.types[:n]...)
		} else {
			row.Cells = row.Cells[:0]
			if row.Cells != nil && cap(row.Cells) == 0 {
				row.Cells = nil
			}
		}
		conv := r.conv.fill(row)
		if r.isTotalRow(row, meta) {
			// Its cells are sums and labels, not a referral's values: no
			// findings about them, only the one saying it is not loaded.
			row.NotLoaded = refbatch.NotLoadedTotal
			return row, append([]refbatch.Finding{r.totalFinding(row)}, finds...), nil
		}
		finds = append(finds, conv...)
		if len(r.header.Ignored) > 0 {
			finds = ignoredFindings(row, finds)
		}
		for _, is := range meta.issues {
			if is.idx >= len(cells) {
				continue
			}
			c := refbatch.Column(0)
			if is.idx < len(r.header.Columns) {
				c = r.header.Columns[is.idx]
			}
			f := refbatch.Finding{Row: num, Cell: refbatch.CellRef(is.idx, num), Rule: refbatch.RuleValue,
				Severity: refbatch.SeverityError, Message: is.msg, Value: quoteValue(cells[is.idx])}
			if is.idx < len(r.header.Names) {
				f.Header = r.header.Names[is.idx]
			}
			if c.Valid() {
				f.Column = c.String()
				row.Invalid = row.Invalid.With(c)
				clearField(row, c)
				if c == refbatch.ColContactFirstName && r.conv.splitName {
					row.Invalid = row.Invalid.With(refbatch.ColContactLastName)
					clearField(row, refbatch.ColContactLastName)
				}
			}
			finds = append(finds, f)
		}
		row.Resolve()
		finds = templateRowFindings(row, finds)
		return row, finds, nil
	}
}

// repairCell makes an unreadable cell's text fit to show: valid UTF-8,
// within Excel's limit.
func repairCell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if tooLongForExcel(s) {
		s = string(cutExcel([]byte(s)))
	}
	return s
}

// Importer rule ids: findings about the layout of the sheet rather than a
// value, beside refbatch.RuleValue for unreadable cells.
const (
	RuleStrayCell  = "stray-cell"  // a note beside the table (warning)
	RuleHiddenRows = "hidden-rows" // hidden rows were not checked (warning)
	RuleTotalRow   = "total-row"   // a total row is reported but not checked or loaded (warning)
)

func (r *Reader) strayCell(num, i int, cell string) refbatch.Finding {
	ref := refbatch.CellRef(i, num)
	msg := "cell " + ref + " holds " + quoteValue(trimCell(cell)) + " but column " + refbatch.ColumnLetters(i) +
		" has no header, so it is not checked; move it into a column such as Notes, or add a header above it"
	if _, csv := r.src.(*csvSource); csv {
		msg += " (in a CSV file, a delimiter inside an unquoted cell also causes this)"
	}
	return refbatch.Finding{Row: num, Cell: ref, Rule: RuleStrayCell, Severity: refbatch.SeverityWarning,
		Message: msg, Value: cell}
}

// totalWords are first cells that mark a total row, folded.
var totalWords = map[string]bool{
	"total": true, "totals": true, "grandtotal": true, "subtotal": true, "sum": true,
	"overalltotal": true, "summe": true, "gesamt": true, "gesamtsumme": true, "totalgeneral": true,
}

// isTotalRow reports whether a row sums the ones above it: a SUM or
// SUBTOTAL formula, or a first cell such as "Total" or "Grand Total:". A
// row with a referral or CRM id is a referral, whatever it holds (a SUM of
// its own, a deal named "Total Rewards rollout" in the first column) unless
// the id cell is the label itself ("Total" under the CRM ID header).
func (r *Reader) isTotalRow(row *refbatch.Row, meta *rowMeta) bool {
	label := -1
	for i, c := range row.Raw {
		t := trimCell(c)
		if t == "" {
			continue
		}
		if len(t) < 40 && isTotalLabel(t) {
			label = i
		}
		break
	}
	if label < 0 && !meta.total {
		return false
	}
	for _, c := range []refbatch.Column{refbatch.ColExternalReferenceID, refbatch.ColReferralID} {
		if row.Filled.Has(c) && r.header.Index[c] != label {
			return false
		}
	}
	return true
}

// isTotalLabel reports whether a cell's text names a total: "Total",
// "Grand Total:", "Subtotal Q3"…
func isTotalLabel(t string) bool {
	if totalWords[refbatch.FoldKey(strings.TrimRight(t, ":"))] {
		return true
	}
	lower := strings.ToLower(t)
	for _, w := range []string{"total ", "total:", "totals ", "grand total", "subtotal", "sub-total", "sub total"} {
		if strings.HasPrefix(lower, w) {
			return true
		}
	}
	return false
}

func (r *Reader) totalFinding(row *refbatch.Row) refbatch.Finding {
	first := 0
	for i, c := range row.Raw {
		if !isBlank(c) {
			first = i
			break
		}
	}
	ref := refbatch.CellRef(first, row.Number)
	f := refbatch.Finding{Row: row.Number, Cell: ref, Rule: RuleTotalRow, Severity: refbatch.SeverityWarning,
		Message: "row " + strconv.Itoa(row.Number) + " looks like a total row: not loaded (not checked, nothing sent); if it is a referral, give it an External Reference ID",
		Value:   row.Raw[first]}
	if first < len(r.header.Names) {
		f.Header = r.header.Names[first]
		if c := r.header.Columns[first]; c.Valid() {
			f.Column = c.String()
		}
	}
	return f
}

// hiddenFinding is the one warning naming the hidden rows skipped.
func (r *Reader) hiddenFinding() (refbatch.Finding, bool) {
	if len(r.hidden) == 0 {
		return refbatch.Finding{}, false
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(r.hidden); {
		j := i
		for j+1 < len(r.hidden) && r.hidden[j+1] == r.hidden[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if n++; n > 20 {
			b.WriteString("…")
			break
		}
		b.WriteString(strconv.Itoa(r.hidden[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(r.hidden[j]))
		}
		i = j + 1
	}
	what := "rows " + b.String() + " are hidden"
	if len(r.hidden) == 1 {
		what = "row " + b.String() + " is hidden"
	}
	first := r.hidden[0]
	return refbatch.Finding{Row: first, Cell: refbatch.CellRef(0, first), Rule: RuleHiddenRows, Severity: refbatch.SeverityWarning,
		Message: what + " and not checked (" + strconv.Itoa(len(r.hidden)) + " in all); unhide them, or check them with --include-hidden"}, true
}

// takeRow returns a zero row and room for its cells: a released row if there
// is one, else a new one.
func (r *Reader) takeRow() (*refbatch.Row, []string) {
	if v := r.pool.Get(); v != nil {
		row := v.(*refbatch.Row)
		dst := row.Raw[:0]
		*row = refbatch.Row{}
		return row, dst
	}
	return newRowBlock(r.width)
}

// Release hands back a row the caller has finished with, so that Next can
// reuse its memory; at a million rows that saves most of the garbage
// collector's work. It is optional, and safe to call from any goroutine
// (typically the last stage of a pipeline). After Release the row, its Raw
// and its list fields must not be used again, and a row must be released
// only once; findings stay valid (they share no memory with the row).
// Rows of other readers are ignored.
func (r *Reader) Release(row *refbatch.Row) {
	if row == nil || row.Header != r.header || r.header == nil {
		return
	}
	r.pool.Put(row)
}

func raggedError(file string, row, i int, cell string, width int) error {
	return &refbatch.InputError{File: file, Row: row, Column: refbatch.CellRef(i, row), Err: errors.New(
		"the cell holds " + quoteValue(trimCell(cell)) + " but the header has only " +
			strconv.Itoa(width) + " columns (a delimiter inside an unquoted cell?)")}
}

// Close releases the file (and excelize's temporary files).
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	err := r.src.close()
	r.src = nil
	if r.err == nil {
		r.err = errors.New("importer: reader closed")
	}
	return err
}

// RowFromRecord builds one row from header texts and cell texts as if read
// from a file whose header is row 1 and whose row is row 2; rule test cases
// use it. Headers are matched like a file's (with opts.Mapping), but an
// unknown header is an error here, since in a test case it is a typo that
// would make the case pass for the wrong reason.
func RowFromRecord(headers, values []string, opts Options) (*refbatch.Row, []refbatch.Finding, error) {
	const file = "record"
	h, finds, units, err := makeHeader(file, "", 1, headers, newHeaderMatcher(opts.Mapping))
	if err != nil {
		return nil, nil, err
	}
	if len(finds) > 0 {
		msg := "header " + quoteValue(finds[0].Header) + " names no known column"
		if !strings.HasPrefix(finds[0].Message, "unknown header") {
			msg = finds[0].Message
		}
		return nil, nil, &refbatch.InputError{File: file, Row: 1, Column: finds[0].Cell, Err: errors.New(msg)}
	}
	cells := values
	if len(cells) > len(h.Names) {
		for i := len(h.Names); i < len(cells); i++ {
			if !isBlank(cells[i]) {
				return nil, nil, raggedError(file, 2, i, cells[i], len(h.Names))
			}
		}
		cells = cells[:len(h.Names):len(h.Names)]
	}
	for i, c := range cells {
		if tooLongForExcel(c) {
			return nil, nil, &refbatch.InputError{File: file, Row: 2, Column: refbatch.CellRef(i, 2), Err: errors.New("the cell is longer than Excel's limit of 32,767 characters")}
		}
	}
	row := &refbatch.Row{Header: h, Number: 2, Raw: cells}
	conv := newConverter(h, opts, nil, units)
	finds = conv.fill(row)
	row.Resolve()
	return row, finds, nil
}
