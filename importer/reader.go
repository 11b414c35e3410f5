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
	count       int   // rows read, to poll the context now and then
	err         error // sticky: once the source fails or ends, it stays so

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
	r := &Reader{file: path, src: src}
	if err := r.readHeader(ctx, opts); err != nil {
		src.close()
		return nil, err
	}
	r.conv = newConverter(r.header, opts, src)
	r.width = len(r.header.Names)
	if _, ok := src.(*xlsxSource); ok {
		r.width = 0 // excelize allocates the cells itself
	}
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
	eol := byte('\n')
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		eol = '\r'
	}
	delim := byte(opts.Delimiter)
	if delim == 0 {
		delim = sniffDelimiter(head, eol, newHeaderMatcher(opts.Mapping), opts.HeaderRow)
	}
	return newCSVScanner(path, br, delim, eol), nil
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
				continue
			}
			if num > opts.HeaderRow || blankRow(cells) {
				return &refbatch.InputError{File: r.file, Row: opts.HeaderRow, Err: errors.New("the header row is empty")}
			}
			if m.countKnown(cells) == 0 {
				return &refbatch.InputError{File: r.file, Row: num, Err: errors.New("the header row names no known column; " + knownExamples)}
			}
			return r.buildHeader(cells, num, m)
		}
		if num > maxHeaderScan {
			return r.noHeader(bestRow, bestKnown)
		}
		if !blankRow(cells) {
			sawData = true
		}
		k := m.countKnown(cells)
		if k >= minKnownHeaders {
			return r.buildHeader(cells, num, m)
		}
		if k > bestKnown {
			bestRow, bestKnown = num, k
		}
	}
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
func (r *Reader) buildHeader(cells []string, num int, m headerMatcher) error {
	h, finds, err := makeHeader(r.file, r.src.sheet(), num, cells, m)
	if err != nil {
		return err
	}
	r.header, r.headerFinds = h, finds
	return nil
}

func makeHeader(file, sheet string, num int, cells []string, m headerMatcher) (*refbatch.Header, []refbatch.Finding, error) {
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
	for i, name := range names {
		if name == "" {
			continue
		}
		c, ok := m.match(name)
		if !ok {
			finds = append(finds, refbatch.Finding{
				Row: num, Cell: refbatch.CellRef(i, num), Header: name,
				Rule: refbatch.RuleHeader, Severity: refbatch.SeverityWarning,
				Message: "unknown header " + quoteValue(name) + " is ignored", Value: name,
			})
			continue
		}
		if j := h.Index[c]; j >= 0 {
			return nil, nil, &refbatch.InputError{File: file, Row: num, Column: c.String(), Err: errors.New(
				"headers " + quoteValue(names[j]) + " (" + refbatch.CellRef(j, num) + ") and " + quoteValue(name) +
					" (" + refbatch.CellRef(i, num) + ") both name column " + c.String() + "; remove or rename one")}
		}
		h.Index[c] = i
		h.Columns[i] = c
	}
	return h, finds, nil
}

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
// (such a cell is marked in Row.Invalid and its field left zero). It returns
// io.EOF after the last row, a *refbatch.InputError for a problem that stops
// the import, or the context's error.
func (r *Reader) Next(ctx context.Context) (*refbatch.Row, []refbatch.Finding, error) {
	if r.err != nil {
		return nil, nil, r.err
	}
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
			r.err = err
			return nil, nil, err
		}
		if blankRow(cells) {
			// Keep the untouched row for the next record.
			r.spareRow, r.spareCells = row, cells[:0]
			continue
		}
		r.spareRow, r.spareCells = nil, nil
		if n := len(r.header.Names); len(cells) > n {
			for i := n; i < len(cells); i++ {
				if !isBlank(cells[i]) {
					r.err = raggedError(r.file, num, i, cells[i], n)
					return nil, nil, r.err
				}
			}
			cells = cells[:n:n]
		}
		row.Header, row.Number, row.Raw = r.header, num, cells
		finds := r.conv.fill(row)
		row.Resolve()
		return row, finds, nil
	}
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
	h, finds, err := makeHeader(file, "", 1, headers, newHeaderMatcher(opts.Mapping))
	if err != nil {
		return nil, nil, err
	}
	if len(finds) > 0 {
		return nil, nil, &refbatch.InputError{File: file, Row: 1, Column: finds[0].Cell, Err: errors.New("header " + quoteValue(finds[0].Header) + " names no known column")}
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
	conv := newConverter(h, opts, nil)
	finds = conv.fill(row)
	row.Resolve()
	return row, finds, nil
}
