package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/refbatch/refbatch"
)

// The workbook reader. An .xlsx file is a zip of XML parts; the importer
// reads the ones it needs itself, with archive/zip (which checks each
// entry's size and CRC-32 when the entry is read to its end, so every part
// used is read to its end) and xmlScanner, rather than with excelize,
// whose row iterator dropped XML errors and skipped the checksum: a damaged
// sheet was read partly and reported clean. It is also many times faster.
//
// Parts read: _rels/.rels (where the workbook is), the workbook (sheet
// names, the 1904 date system), its relationships (where each sheet is),
// styles.xml (each cell style's number format: which numbers are dates),
// sharedStrings.xml (held in memory: one string per distinct text) and the
// chosen worksheet, streamed row by row.

// Limits against zip bombs and absurd parts.
const (
	unzipSizeLimit   = 1 << 30   // the whole workbook, as its directory states it
	smallPartLimit   = 32 << 20  // workbook, relationships, styles
	sharedTextsLimit = 512 << 20 // sharedStrings.xml
	maxSheetRows     = 1 << 20   // Excel's 1,048,576 rows
	maxSheetColumns  = 1 << 14   // Excel's 16,384 columns (XFD)
)

// xlsxSource streams one worksheet.
type xlsxSource struct {
	file     string
	name     string
	zf       *os.File
	part     io.ReadCloser
	pipe     *io.PipeReader
	sc       *xmlScanner
	sst      []string
	sstBad   map[int]string // shared strings that are unreadable: why
	styles   []cellFormat   // by cell style index (cellXfs)
	date1904 bool

	row      int // number of the row being read, or the last one read
	good     int // number of the last row read whole
	inData   bool
	done     bool
	err      error
	sawSheet bool
	merges   int

	val     []byte // the current cell's text
	formula []byte
	rowBuf  []byte // text of the row's non-shared cells, back to back
	spans   []cellSpan
	shared  map[string]bool // shared formula index → it is a total formula
	meta    rowMeta
	curCol  int // index of the cell being read, for error messages
}

type cellSpan struct{ idx, start, end int }

// rowMeta is what a source knows about the row it last returned beyond
// its cells' text.
type rowMeta struct {
	types  []refbatch.CellType // per cell; nil or short when the rest is text
	issues []cellIssue         // cells that could not be read as text
	hidden bool                // the row is hidden
	total  bool                // a cell holds a SUM or SUBTOTAL formula
}

// cellIssue is a cell the source could not read as it is; its text is
// replaced by what could be read and it gets an error finding.
type cellIssue struct {
	idx int
	msg string
}

func (m *rowMeta) reset() {
	m.types, m.issues, m.hidden, m.total = m.types[:0], m.issues[:0], false, false
}

const (
	issueTooLong = "the cell is longer than Excel's limit of 32,767 characters; shorten it (its start is kept, the cell is not checked)"
	issueUTF8    = "the cell's text is not valid UTF-8 (damaged characters are shown as \uFFFD); retype it"
)

// zipParts indexes a workbook's entries by their normalised name.
type zipParts map[string]*zip.File

func normPart(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "/"))
}

func openXLSX(filePath string, opts Options) (src *xlsxSource, err error) {
	inputErr := func(msg string) error {
		return &refbatch.InputError{File: filePath, Err: errors.New(msg)}
	}
	f, err := os.Open(filePath)
	if err != nil {
		return nil, &refbatch.InputError{File: filePath, Err: unwrapPathError(err)}
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, &refbatch.InputError{File: filePath, Err: err}
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, inputErr("is not a readable Excel workbook (corrupt or truncated): " + err.Error())
	}
	var total uint64
	parts := make(zipParts, len(zr.File))
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		parts[normPart(zf.Name)] = zf
	}
	if total > unzipSizeLimit {
		return nil, inputErr("unzips to more than 1 GiB (" + strconv.FormatUint(total>>20, 10) + " MiB): refusing it as a possible zip bomb")
	}
	x := &xlsxSource{file: filePath, zf: f}
	partErr := func(part string, err error) error {
		return inputErr("is not a readable Excel workbook: part " + part + " " + describeDamage(err))
	}

	bookPath := "xl/workbook.xml"
	if rels, err := readRels(parts, "_rels/.rels"); err != nil {
		return nil, partErr("_rels/.rels", err)
	} else {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				bookPath = resolveTarget("", r.target)
			}
		}
	}
	if parts[normPart(bookPath)] == nil {
		return nil, inputErr(notAWorkbook(parts, bookPath))
	}
	sheets, date1904, err := readWorkbook(parts, bookPath)
	if err != nil {
		return nil, partErr(bookPath, err)
	}
	x.date1904 = date1904
	bookDir := path.Dir(bookPath)
	relsPath := path.Join(bookDir, "_rels", path.Base(bookPath)+".rels")
	rels, err := readRels(parts, relsPath)
	if err != nil {
		return nil, partErr(relsPath, err)
	}
	targets := map[string]string{}
	var stylesPath, sstPath string
	for _, r := range rels {
		t := resolveTarget(bookDir, r.target)
		switch {
		case strings.HasSuffix(r.typ, "/worksheet"):
			targets[r.id] = t
		case strings.HasSuffix(r.typ, "/styles"):
			stylesPath = t
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			sstPath = t
		}
	}
	var names []string
	var sheetPath string
	for _, s := range sheets {
		if t, ok := targets[s.rid]; ok {
			names = append(names, s.name)
			if sheetPath == "" && opts.Sheet == "" {
				x.name, sheetPath = s.name, t
			}
		}
	}
	if len(names) == 0 {
		return nil, inputErr("has no worksheets")
	}
	if opts.Sheet != "" {
		for pass := 0; pass < 2 && sheetPath == ""; pass++ {
			for _, s := range sheets {
				t, ok := targets[s.rid]
				if ok && (pass == 0 && s.name == opts.Sheet || pass == 1 && strings.EqualFold(s.name, strings.TrimSpace(opts.Sheet))) {
					x.name, sheetPath = s.name, t
					break
				}
			}
		}
		if sheetPath == "" {
			quoted := make([]string, len(names))
			for i, s := range names {
				quoted[i] = strconv.Quote(s)
			}
			return nil, inputErr("has no sheet " + strconv.Quote(opts.Sheet) + "; its sheets are " + strings.Join(quoted, ", "))
		}
	}
	if stylesPath == "" && parts["xl/styles.xml"] != nil {
		stylesPath = "xl/styles.xml"
	}
	if sstPath == "" && parts["xl/sharedstrings.xml"] != nil {
		sstPath = "xl/sharedStrings.xml"
	}
	if stylesPath != "" && parts[normPart(stylesPath)] != nil {
		if x.styles, err = readStyles(parts, stylesPath); err != nil {
			return nil, partErr(stylesPath, err)
		}
	}
	if sstPath != "" && parts[normPart(sstPath)] != nil {
		if err := x.readSharedStrings(parts[normPart(sstPath)]); err != nil {
			return nil, partErr(sstPath, err)
		}
	}
	zs := parts[normPart(sheetPath)]
	if zs == nil {
		return nil, inputErr("is not a readable Excel workbook: sheet " + strconv.Quote(x.name) + " (" + sheetPath + ") is missing from it")
	}
	if x.part, err = zs.Open(); err != nil {
		return nil, inputErr("is not a readable Excel workbook: sheet " + strconv.Quote(x.name) + " " + describeDamage(err))
	}
	// Unzip in a goroutine of its own while the sheet is scanned: the
	// pipe hands each inflated chunk over without buffering more.
	pr, pw := io.Pipe()
	part := x.part
	go func() {
		_, err := io.CopyBuffer(pw, part, make([]byte, 64<<10))
		pw.CloseWithError(err)
	}()
	x.pipe = pr
	x.sc = newXMLScanner(pr, 256<<10)
	return x, nil
}

// describeDamage says in words what is wrong with a part.
func describeDamage(err error) string {
	var xe *xmlError
	var fe flate.CorruptInputError
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return "fails its checksum: the file is corrupt (damaged in transfer or on disk)"
	case errors.Is(err, zip.ErrFormat):
		return "does not match the size the zip directory states: the file is corrupt (or a zip bomb)"
	case errors.Is(err, zip.ErrAlgorithm):
		return "is compressed with a method Excel does not use"
	case errors.As(err, &fe):
		return "cannot be unzipped: the file is corrupt"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "is cut short: the file is truncated"
	case errors.As(err, &xe):
		return "is malformed XML: " + xe.msg
	}
	return "cannot be read: " + err.Error()
}

// openPart opens a small part, refusing one whose stated size is too large.
func openPart(zf *zip.File, limit uint64) (*xmlScanner, io.Closer, error) {
	if zf.UncompressedSize64 > limit {
		return nil, nil, fmt.Errorf("is larger than %d MiB", limit>>20)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, nil, err
	}
	return newXMLScanner(rc, 32<<10), rc, nil
}

// walk reads a whole part, calling fn for each start tag. The part is read
// to its end, so its checksum is verified.
func walk(parts zipParts, name string, limit uint64, fn func(sc *xmlScanner) error) error {
	zf := parts[normPart(name)]
	if zf == nil {
		return nil
	}
	sc, c, err := openPart(zf, limit)
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		if err := sc.next(); err != nil {
			return err
		}
		switch sc.kind {
		case tokEOF:
			return nil
		case tokStart:
			if err := fn(sc); err != nil {
				return err
			}
		}
	}
}

type rel struct{ id, typ, target string }

func readRels(parts zipParts, name string) ([]rel, error) {
	var out []rel
	err := walk(parts, name, smallPartLimit, func(sc *xmlScanner) error {
		if string(sc.name) != "Relationship" {
			return nil
		}
		var r rel
		for _, a := range sc.attrs {
			v, err := attrText(a.value)
			if err != nil {
				return &xmlError{msg: err.Error()}
			}
			switch string(a.name) {
			case "Id":
				r.id = v
			case "Type":
				r.typ = v
			case "Target":
				r.target = v
			}
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// resolveTarget resolves a relationship target against the folder of the
// part that holds the relationship.
func resolveTarget(dir, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean(path.Join(dir, target)), "/")
}

type sheetEntry struct{ name, rid string }

func readWorkbook(parts zipParts, name string) (sheets []sheetEntry, date1904 bool, err error) {
	err = walk(parts, name, smallPartLimit, func(sc *xmlScanner) error {
		switch string(sc.name) {
		case "workbookPr":
			if v, ok := sc.attr("date1904"); ok {
				date1904 = string(v) == "1" || string(v) == "true"
			}
		case "sheet":
			var s sheetEntry
			for _, a := range sc.attrs {
				switch string(a.name) {
				case "name":
					v, err := attrText(a.value)
					if err != nil {
						return &xmlError{msg: err.Error()}
					}
					s.name = v
				case "id":
					s.rid = string(a.value)
				}
			}
			sheets = append(sheets, s)
		}
		return nil
	})
	return sheets, date1904, err
}

// readStyles maps each cell style (cellXfs entry) to its number format.
func readStyles(parts zipParts, name string) ([]cellFormat, error) {
	custom := map[int]string{}
	var ids []int
	inXfs := false
	zf := parts[normPart(name)]
	sc, c, err := openPart(zf, smallPartLimit)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for {
		if err := sc.next(); err != nil {
			return nil, err
		}
		switch sc.kind {
		case tokEOF:
			out := make([]cellFormat, len(ids))
			for i, id := range ids {
				if code, ok := custom[id]; ok {
					out[i] = cellFormat{date: isDateFormat(code), code: code}
					if strings.EqualFold(code, "General") {
						out[i].code = ""
					}
				} else {
					out[i] = builtinFormat(id)
				}
			}
			return out, nil
		case tokEnd:
			if string(sc.name) == "cellXfs" {
				inXfs = false
			}
		case tokStart:
			switch string(sc.name) {
			case "numFmt":
				idText, _ := sc.attr("numFmtId")
				code, _ := sc.attr("formatCode")
				id, err := strconv.Atoi(string(idText))
				if err == nil {
					if s, err := attrText(code); err == nil {
						custom[id] = s
					}
				}
			case "cellXfs":
				inXfs = !sc.selfClose
			case "xf":
				if inXfs {
					v, _ := sc.attr("numFmtId")
					id, _ := strconv.Atoi(string(v))
					ids = append(ids, id)
				}
			}
		}
	}
}

// readSharedStrings loads the shared strings into one string and slices of
// it. A string that is too long or not UTF-8 is kept shortened or repaired,
// and remembered, so the cells that use it get a finding.
func (x *xlsxSource) readSharedStrings(zf *zip.File) error {
	sc, c, err := openPart(zf, sharedTextsLimit)
	if err != nil {
		return err
	}
	defer c.Close()
	var arena []byte
	var ends []int
	var cur []byte
	inSI, inRPh, inT := false, 0, false
	tooLong := false
	for {
		if err := sc.next(); err != nil {
			return err
		}
		switch sc.kind {
		case tokEOF:
			all := string(arena)
			x.sst = make([]string, len(ends))
			prev := 0
			for i, e := range ends {
				x.sst[i] = all[prev:e]
				prev = e
			}
			return nil
		case tokStart:
			switch string(sc.name) {
			case "sst":
				if v, ok := sc.attr("uniqueCount"); ok {
					if n, err := strconv.Atoi(string(v)); err == nil && n > 0 && n < 1<<22 {
						ends = make([]int, 0, n)
					}
				}
			case "si":
				inSI, cur, tooLong = true, cur[:0], false
				if sc.selfClose {
					inSI = false
					ends = append(ends, len(arena))
				}
			case "rPh":
				if !sc.selfClose {
					inRPh++
				}
			case "t":
				inT = inSI && inRPh == 0 && !sc.selfClose
			}
		case tokEnd:
			switch string(sc.name) {
			case "si":
				inSI = false
				cur = decodeExcelEscapes(cur)
				i := len(ends)
				if issue := x.checkText(&cur, tooLong); issue != "" {
					if x.sstBad == nil {
						x.sstBad = map[int]string{}
					}
					x.sstBad[i] = issue
				}
				arena = append(arena, cur...)
				ends = append(ends, len(arena))
			case "rPh":
				inRPh--
			case "t":
				inT = false
			}
		case tokText:
			if inT {
				if len(cur) > maxCellBytes+16 {
					tooLong = true
					continue
				}
				if cur, err = appendText(cur, sc.text, sc.cdata); err != nil {
					return &xmlError{msg: err.Error()}
				}
			}
		}
	}
}

// checkText repairs a cell's text in place: it cuts text past Excel's
// limit and replaces bytes that are not UTF-8. It returns why, or "".
func (x *xlsxSource) checkText(b *[]byte, tooLong bool) string {
	if !utf8.Valid(*b) {
		*b = bytes.ToValidUTF8(*b, []byte("\uFFFD"))
		if tooLong || len(*b) > maxCellChars && excelLength(string(*b)) > maxCellChars {
			*b = cutExcel(*b)
			return issueTooLong
		}
		return issueUTF8
	}
	if tooLong || len(*b) > maxCellChars && excelLength(string(*b)) > maxCellChars {
		*b = cutExcel(*b)
		return issueTooLong
	}
	return ""
}

// cutExcel shortens text to Excel's limit of 32,767 UTF-16 units.
func cutExcel(b []byte) []byte {
	n := 0
	for i, r := range string(b) {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > maxCellChars {
			return b[:i]
		}
		n += w
	}
	return b
}

// next returns the cells of the next row (the <row> elements, in order;
// rows absent from the XML are skipped, the number says where a row is).
func (x *xlsxSource) next(dst []string) ([]string, int, error) {
	if x.err != nil {
		return nil, 0, x.err
	}
	if x.done {
		return nil, 0, io.EOF
	}
	x.meta.reset()
	cells, num, err := x.scanRow(dst)
	if err != nil {
		if err != io.EOF {
			x.err = err
		} else {
			x.done = true
		}
		return nil, 0, err
	}
	return cells, num, nil
}

func (x *xlsxSource) scanRow(dst []string) ([]string, int, error) {
	sc := x.sc
	for {
		if err := sc.next(); err != nil {
			return nil, 0, x.damaged(err)
		}
		switch sc.kind {
		case tokEOF:
			if !x.sawSheet {
				return nil, 0, x.damaged(&xmlError{msg: "the sheet has no <sheetData>"})
			}
			// Read to the end of the entry: that is when zip checks the CRC.
			if _, err := io.Copy(io.Discard, x.pipe); err != nil {
				return nil, 0, x.damaged(err)
			}
			return nil, 0, io.EOF
		case tokText:
			if x.inData && len(bytes.TrimSpace(sc.text)) > 0 {
				return nil, 0, x.damaged(&xmlError{msg: "text between rows (damaged XML)"})
			}
		case tokEnd:
			if x.inData && string(sc.name) == "sheetData" {
				x.inData = false
			}
		case tokStart:
			name := string(sc.name)
			switch {
			case sc.depth() <= 1 && !sc.selfClose && name != "worksheet" && name != "dialogsheet":
				return nil, 0, x.damaged(&xmlError{msg: "the part is not a worksheet (<" + name + ">)"})
			case name == "sheetData" && !x.inData:
				x.sawSheet = true
				x.inData = !sc.selfClose
			case x.inData && name == "row":
				return x.readRow(dst)
			case x.inData:
				if err := sc.skip(); err != nil {
					return nil, 0, x.damaged(err)
				}
			case name == "mergeCell":
				x.merges++
			}
		}
	}
}

func (x *xlsxSource) readRow(dst []string) ([]string, int, error) {
	sc := x.sc
	num := x.row + 1
	if v, ok := sc.attr("r"); ok {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 || n > maxSheetRows {
			return nil, 0, x.cellError(x.row+1, "", "row number "+strconv.Quote(string(v))+" is not a row number")
		}
		num = n
	}
	if num <= x.row {
		return nil, 0, x.cellError(num, "", "row "+strconv.Itoa(num)+" comes after row "+strconv.Itoa(x.row)+" (rows out of order or repeated)")
	}
	if num > maxSheetRows {
		return nil, 0, x.cellError(num, "", "the sheet has more rows than Excel's 1,048,576")
	}
	x.row = num
	if v, ok := sc.attr("hidden"); ok && (string(v) == "1" || string(v) == "true") {
		x.meta.hidden = true
	}
	cells := dst
	if sc.selfClose {
		x.good = num
		return cells, num, nil
	}
	x.rowBuf, x.spans = x.rowBuf[:0], x.spans[:0]
	last := -1
	depth := sc.depth()
	for {
		if ok, err := x.fastCell(&cells, num, &last); err != nil {
			return nil, 0, err
		} else if ok {
			continue
		}
		if err := sc.next(); err != nil {
			return nil, 0, x.damaged(err)
		}
		switch sc.kind {
		case tokEOF:
			return nil, 0, x.damaged(io.ErrUnexpectedEOF)
		case tokText:
			if len(bytes.TrimSpace(sc.text)) > 0 {
				return nil, 0, x.damaged(&xmlError{msg: "text between cells (damaged XML)"})
			}
		case tokEnd:
			if sc.depth() < depth {
				if len(x.spans) > 0 {
					rec := string(x.rowBuf)
					for _, s := range x.spans {
						cells[s.idx] = rec[s.start:s.end]
					}
				}
				x.good = num
				return cells, num, nil
			}
		case tokStart:
			if string(sc.name) != "c" {
				if err := sc.skip(); err != nil {
					return nil, 0, x.damaged(err)
				}
				continue
			}
			idx, err := x.cellIndex(num, last)
			if err != nil {
				return nil, 0, err
			}
			last = idx
			for len(cells) <= idx {
				cells = append(cells, "")
			}
			if err := x.readCell(&cells, idx, num); err != nil {
				return nil, 0, err
			}
		}
	}
}

// fastCell reads a whole cell as Excel writes nearly all of them,
// <c r="B2" s="1" t="s"><v>7</v></c>, straight from the scanner's buffer.
// It reports false, having consumed nothing, for anything else (a formula,
// an inline string, a prefix, a cell cut by the buffer's end, damage),
// which the token-by-token path then reads and checks.
func (x *xlsxSource) fastCell(cells *[]string, num int, last *int) (bool, error) {
	sc := x.sc
	b := sc.buf[sc.pos:sc.end]
	if len(b) < 8 || b[0] != '<' || b[1] != 'c' || !isXMLSpace(b[2]) {
		return false, nil
	}
	var ref, typ, sty []byte
	hasRef, self := false, false
	i := 3
	for {
		if i+3 >= len(b) {
			return false, nil
		}
		c := b[i]
		if c == ' ' {
			i++
			continue
		}
		if c == '>' {
			i++
			break
		}
		if c == '/' {
			if b[i+1] != '>' {
				return false, nil
			}
			i += 2
			self = true
			break
		}
		// name="value": one-letter names (r, s, t) are the common case.
		j := i + 1
		for j < len(b) && nameChar[b[j]] {
			j++
		}
		if !nameChar[c] || j+1 >= len(b) || b[j] != '=' || b[j+1] != '"' {
			return false, nil
		}
		e := j + 2 // values are a few bytes: a loop beats IndexByte's call
		for e < len(b) && b[e] != '"' {
			e++
		}
		if e >= len(b) {
			return false, nil
		}
		if j == i+1 {
			switch c {
			case 'r':
				ref, hasRef = b[j+2:e], true
			case 's':
				sty = b[j+2 : e]
			case 't':
				typ = b[j+2 : e]
			}
		}
		i = e + 1
	}
	var raw []byte
	if !self {
		rest := b[i:]
		switch {
		case len(rest) >= 4 && string(rest[:4]) == "</c>":
			i += 4
		case len(rest) >= 3 && rest[0] == '<' && rest[1] == 'v' && rest[2] == '>':
			k := 0
			for 3+k < len(rest) && rest[3+k] != '<' {
				k++
			}
			if 3+k >= len(rest) || len(rest) < 3+k+8 || string(rest[3+k:3+k+8]) != "</v></c>" {
				return false, nil
			}
			raw = rest[3 : 3+k]
			i += 3 + k + 8
		default:
			return false, nil
		}
	}
	idx, err := x.cellIndexOf(ref, hasRef, num, *last)
	if err != nil {
		return false, err
	}
	sc.pos += i
	*last = idx
	for len(*cells) <= idx {
		*cells = append(*cells, "")
	}
	if raw == nil {
		return true, nil
	}
	style := 0
	if len(sty) > 0 {
		if n, err := strconv.Atoi(string(sty)); err == nil && n >= 0 {
			style = n
		}
	}
	x.val = x.val[:0]
	if x.val, err = appendText(x.val, raw, false); err != nil {
		return false, x.damaged(&xmlError{msg: err.Error()})
	}
	return true, x.setCell(cells, idx, num, string(typ), style, false, false)
}

// cellIndex returns the column index of the <c> just started.
func (x *xlsxSource) cellIndex(num, last int) (int, error) {
	v, ok := x.sc.attr("r")
	return x.cellIndexOf(v, ok, num, last)
}

func (x *xlsxSource) cellIndexOf(v []byte, ok bool, num, last int) (int, error) {
	if !ok {
		if last+1 >= maxSheetColumns {
			return 0, x.cellError(num, "", "a row has more cells than Excel's 16,384 columns")
		}
		x.curCol = last + 1
		return last + 1, nil
	}
	col, i := 0, 0
	for ; i < len(v) && i < 4; i++ {
		c := v[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	rowOK := i > 0 && i < len(v)
	n := 0
	for j := i; j < len(v) && rowOK; j++ {
		if v[j] < '0' || v[j] > '9' || n > maxSheetRows {
			rowOK = false
			break
		}
		n = n*10 + int(v[j]-'0')
	}
	if !rowOK || col == 0 || col > maxSheetColumns {
		return 0, x.cellError(num, string(v), "cell reference "+strconv.Quote(string(v))+" is not a cell reference")
	}
	x.curCol = col - 1
	if n != num {
		return 0, x.cellError(num, string(v), "cell "+string(v)+" is inside row "+strconv.Itoa(num))
	}
	if col-1 <= last {
		return 0, x.cellError(num, string(v), "cell "+string(v)+" comes after "+refbatch.CellRef(last, num)+" (cells out of order or repeated)")
	}
	return col - 1, nil
}

// readCell reads one <c> element into (*cells)[idx].
func (x *xlsxSource) readCell(cells *[]string, idx, num int) error {
	sc := x.sc
	var typ []byte
	style := 0
	for _, a := range sc.attrs {
		switch string(a.name) {
		case "t":
			typ = a.value
		case "s":
			if n, err := strconv.Atoi(string(a.value)); err == nil && n >= 0 {
				style = n
			}
		}
	}
	typeName := string(typ)
	if sc.selfClose {
		return nil
	}
	x.val, x.formula = x.val[:0], x.formula[:0]
	if raw, ok := sc.fastValue(); ok {
		var err error
		if x.val, err = appendText(x.val, raw, false); err != nil {
			return x.damaged(&xmlError{msg: err.Error()})
		}
		return x.setCell(cells, idx, num, typeName, style, false, false)
	}
	hasFormula, tooLong := false, false
	depth := sc.depth()
	var target *[]byte
	for {
		if err := sc.next(); err != nil {
			return x.damaged(err)
		}
		switch sc.kind {
		case tokEOF:
			return x.damaged(io.ErrUnexpectedEOF)
		case tokText:
			if target == nil {
				if len(bytes.TrimSpace(sc.text)) > 0 {
					return x.damaged(&xmlError{msg: "text outside a cell's value (damaged XML)"})
				}
				continue
			}
			if len(*target) > maxCellBytes+16 {
				tooLong = true
				continue
			}
			var err error
			if *target, err = appendText(*target, sc.text, sc.cdata); err != nil {
				return x.damaged(&xmlError{msg: err.Error()})
			}
		case tokStart:
			switch string(sc.name) {
			case "v":
				target = &x.val
			case "t":
				if depth+1 < sc.depth() { // <is><t> or <is><r><t>
					target = &x.val
				}
			case "f":
				hasFormula = true
				target = &x.formula
				if si, ok := sc.attr("si"); ok && sc.selfClose {
					if x.shared[string(si)] {
						x.meta.total = true
					}
				} else if ok {
					defer x.noteShared(string(si))
				}
			case "is", "r":
			case "rPh", "rPr", "extLst":
				if err := sc.skip(); err != nil {
					return x.damaged(err)
				}
			default:
				if err := sc.skip(); err != nil {
					return x.damaged(err)
				}
			}
			if sc.selfClose {
				target = nil
			}
		case tokEnd:
			if sc.depth() < depth {
				return x.setCell(cells, idx, num, typeName, style, hasFormula, tooLong)
			}
			target = nil
		}
	}
}

// noteShared remembers whether a shared formula's master is a total.
func (x *xlsxSource) noteShared(si string) {
	if x.shared == nil {
		x.shared = map[string]bool{}
	}
	x.shared[si] = isTotalFormula(x.formula)
}

// isTotalFormula reports whether a formula sums a range: SUM or SUBTOTAL
// (also AGGREGATE, Excel's newer SUBTOTAL), anywhere in it.
func isTotalFormula(f []byte) bool {
	up := bytes.ToUpper(f)
	for _, fn := range []string{"SUM(", "SUBTOTAL(", "AGGREGATE("} {
		if i := bytes.Index(up, []byte(fn)); i >= 0 && (i == 0 || !isNameChar(up[i-1]) || up[i-1] == '.') {
			return true
		}
	}
	return false
}

func (x *xlsxSource) setCell(cells *[]string, idx, num int, typ string, style int, hasFormula, tooLong bool) error {
	if hasFormula && isTotalFormula(x.formula) {
		x.meta.total = true
	}
	var ct refbatch.CellType
	switch typ {
	case "s":
		v := bytes.TrimSpace(x.val)
		if len(v) == 0 {
			return nil
		}
		i, err := strconv.Atoi(string(v))
		if err != nil || i < 0 || i >= len(x.sst) {
			return x.cellError(num, x.curRef(), "shared string "+strconv.Quote(string(v))+" does not exist (the workbook has "+strconv.Itoa(len(x.sst))+")")
		}
		(*cells)[idx] = x.sst[i]
		if issue, bad := x.sstBad[i]; bad {
			x.meta.issues = append(x.meta.issues, cellIssue{idx, issue})
		}
		return nil
	case "b":
		switch string(bytes.TrimSpace(x.val)) {
		case "1", "true":
			x.addSpan(idx, []byte("TRUE"))
			ct = refbatch.CellType{Kind: refbatch.CellBool, Value: 1}
		case "0", "false":
			x.addSpan(idx, []byte("FALSE"))
			ct = refbatch.CellType{Kind: refbatch.CellBool}
		default:
			x.addSpan(idx, x.val)
		}
	case "", "n":
		v := bytes.TrimSpace(x.val)
		if len(v) == 0 {
			return nil
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return x.cellError(num, x.curRef(), "number "+quoteValue(string(v))+" is not a number")
		}
		x.addSpan(idx, v)
		var format cellFormat
		if style < len(x.styles) {
			format = x.styles[style]
		}
		ct = refbatch.CellType{Kind: format.kindOf(), Value: f, Format: format.code}
		if ct.Kind == refbatch.CellDate && x.date1904 {
			// CellType holds serials of the 1900 system, which the reports
			// (new workbooks) use: 1904-01-01 is 1462 there.
			ct.Value += date1904Offset
		}
	default: // str, inlineStr, e, d: text as stored
		x.val = decodeExcelEscapes(x.val)
		if issue := x.checkText(&x.val, tooLong); issue != "" {
			x.meta.issues = append(x.meta.issues, cellIssue{idx, issue})
		}
		x.addSpan(idx, x.val)
		return nil
	}
	for len(x.meta.types) <= idx {
		x.meta.types = append(x.meta.types, refbatch.CellType{})
	}
	x.meta.types[idx] = ct
	return nil
}

// date1904Offset is the serial of 1904-01-01 in the 1900 date system.
const date1904Offset = 1462

func (x *xlsxSource) addSpan(idx int, b []byte) {
	start := len(x.rowBuf)
	x.rowBuf = append(x.rowBuf, b...)
	x.spans = append(x.spans, cellSpan{idx, start, len(x.rowBuf)})
}

// cellError is a damaged cell or row: the file, sheet, row and cell.
func (x *xlsxSource) cellError(row int, cell, msg string) error {
	x.err = &refbatch.InputError{File: x.file, Row: row, Column: cell, Err: errors.New(
		"sheet " + strconv.Quote(x.name) + ": " + msg + "; the workbook is damaged: open and save it again in Excel" + x.lastGood())}
	return x.err
}

func (x *xlsxSource) lastGood() string {
	if x.good == 0 {
		return " (no row was read whole; nothing is checked)"
	}
	return " (row " + strconv.Itoa(x.good) + " is the last row read whole; nothing is checked)"
}

// damaged is the one error for a sheet that cannot be read to its end.
func (x *xlsxSource) damaged(err error) error {
	if x.err != nil {
		return x.err
	}
	var ie *refbatch.InputError
	if errors.As(err, &ie) {
		x.err = err
		return err
	}
	where := ""
	if x.row > 0 && x.row != x.good && x.curCol >= 0 {
		where = " at cell " + x.curRef()
	}
	last := "no row was read whole"
	if x.good > 0 {
		last = "row " + strconv.Itoa(x.good) + " is the last row read whole"
	}
	x.err = &refbatch.InputError{File: x.file, Err: errors.New(
		"sheet " + strconv.Quote(x.name) + " " + describeDamage(err) + where + "; " + last +
			" and nothing is checked: open and save the workbook again in Excel (or export it again) and retry")}
	return x.err
}

func (x *xlsxSource) curRef() string { return refbatch.CellRef(x.curCol, x.row) }

func (x *xlsxSource) sheet() string { return x.name }

func (x *xlsxSource) rowMeta() *rowMeta { return &x.meta }

func (x *xlsxSource) close() error {
	if x.pipe != nil {
		x.pipe.Close() // stops the unzipping goroutine
	}
	return x.zf.Close()
}

// tidyRawNumber turns a raw numeric cell in a text column back into the
// digits a user typed: a workbook may store 1234.56 as 1234.5599999999999.
// Only such long plain decimals are touched; text with an exponent (1E5
// could be a product code) is left as it is.
func tidyRawNumber(s string) string {
	if len(s) < 17 || strings.IndexByte(s, '.') < 0 || strings.IndexAny(s, "Ee") >= 0 || !isPlainNumber(s) {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(v) >= 1e15 {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// notAWorkbook says what a zip file that is not an Excel workbook is,
// told from its parts, and how to make it one.
func notAWorkbook(parts zipParts, bookPath string) string {
	const saveAs = ": open it and save it as an Excel Workbook (.xlsx) or as CSV UTF-8"
	has := func(p string) bool { return parts[normPart(p)] != nil }
	switch {
	case has("content.xml") && has("mimetype"):
		return "is an OpenDocument file (.ods, LibreOffice or OpenOffice Calc), not an Excel workbook" + saveAs
	case has("Index/Document.iwa") || has("Index.zip"):
		return "is an Apple Numbers document, not an Excel workbook" + saveAs + " (File → Export To → Excel or CSV)"
	case has("word/document.xml"):
		return "is a Word document, not an Excel workbook"
	case has("ppt/presentation.xml"):
		return "is a PowerPoint presentation, not an Excel workbook"
	}
	return "is not a readable Excel workbook (it has no " + bookPath + ")" + saveAs
}
