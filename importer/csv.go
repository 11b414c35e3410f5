package importer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"unicode/utf8"

	"github.com/refbatch/refbatch"
)

// csvScanner splits CSV text into records, numbering them as Excel numbers
// the rows when it opens the file: every record is one row, a blank line is
// a row, and a quoted cell spanning several lines is still one row.
//
// encoding/csv does not fit: it drops blank lines (so row numbers drift from
// what the user sees in Excel), and it allocates per field. This scanner
// reads lines with bufio.Reader.ReadSlice (memchr-speed), converts each
// record to one string and slices the cells out of it into the caller's
// slice: one allocation per record, whatever the number of cells.
type csvScanner struct {
	file  string
	br    *bufio.Reader
	delim byte
	eol   byte // '\n', or '\r' for old Mac files
	row   int  // row number of the last record read

	meta rowMeta // unreadable cells of the last record

	long []byte // a line longer than the bufio buffer
	buf  []byte // a quoted record's text, unquoted
	ends []int  // end offset in buf of each cell of a quoted record
}

// maxRecordBytes bounds one record, so that a file without line breaks (or
// with a quote that never closes) cannot exhaust memory.
const maxRecordBytes = 64 << 20

// maxCellBytes is the most UTF-8 bytes a cell within Excel's limit can take;
// a cell growing past it fails early.
const maxCellBytes = 4 * maxCellChars

func newCSVScanner(file string, br *bufio.Reader, delim, eol byte) *csvScanner {
	return &csvScanner{file: file, br: br, delim: delim, eol: eol}
}

func (s *csvScanner) errorf(row int, cell, msg string) error {
	return &refbatch.InputError{File: s.file, Row: row, Column: cell, Err: errors.New(msg)}
}

// readLine returns the next line without its line break, valid until the
// next call, or io.EOF when no text is left.
func (s *csvScanner) readLine() ([]byte, error) {
	if cap(s.long) > 1<<20 { // do not hold on to one huge line's buffer
		s.long = nil
	}
	line, err := s.br.ReadSlice(s.eol)
	if err == bufio.ErrBufferFull {
		s.long = append(s.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = s.br.ReadSlice(s.eol)
			s.long = append(s.long, line...)
			if len(s.long) > maxRecordBytes {
				return nil, s.errorf(s.row+1, "", "a line is longer than 64 MiB: this is not a spreadsheet export")
			}
		}
		line = s.long
	}
	if err != nil && err != io.EOF {
		return nil, &refbatch.InputError{File: s.file, Row: s.row + 1, Err: err}
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	if n := len(line); line[n-1] == s.eol {
		line = line[:n-1]
		if s.eol == '\n' && n > 1 && line[n-2] == '\r' {
			line = line[:n-2]
		}
	}
	return line, nil
}

// next appends the cells of the next record to dst and returns them with
// the record's row number. The cells share one string that belongs to the
// caller.
func (s *csvScanner) next(dst []string) ([]string, int, error) {
	s.meta.reset()
	line, err := s.readLine()
	if err != nil {
		return nil, 0, err
	}
	s.row++
	if bytes.IndexByte(line, '"') >= 0 {
		return s.quoted(line, dst)
	}
	rec := string(line)
	cells := splitFields(dst, line, rec, s.delim)
	if !utf8.Valid(line) || len(line) > maxCellChars {
		s.checkCells(cells)
	}
	return cells, s.row, nil
}

// splitFields appends the delimiter-separated fields of rec (whose bytes are
// line) to dst. It finds delimiters eight bytes at a time: records are a
// few hundred bytes of short cells, where one strings.IndexByte call per
// cell costs more than the scan.
func splitFields(dst []string, line []byte, rec string, delim byte) []string {
	const ones, high, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	pattern := ones * uint64(delim)
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ pattern // zero bytes where delim was
		// High bit set exactly in the zero bytes (no carries between bytes).
		t := ^((x&low7 + low7) | x | low7)
		for t != 0 {
			j := i + bits.TrailingZeros64(t)>>3
			dst = append(dst, rec[start:j])
			start = j + 1
			t &= t - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == delim {
			dst = append(dst, rec[start:i])
			start = i + 1
		}
	}
	return append(dst, rec[start:])
}

// quoted parses a record with quoted cells, which may continue over the
// following lines. As in Excel, a cell is quoted only when its first
// character is '"'; text after the closing quote is kept.
func (s *csvScanner) quoted(line []byte, dst []string) ([]string, int, error) {
	buf, ends := s.buf[:0], s.ends[:0]
	i, start := 0, 0
	for {
		if i < len(line) && line[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 { // the cell goes on over the line break
					buf = append(buf, line[i:]...)
					buf = append(buf, '\n')
					if len(buf) > maxRecordBytes {
						return nil, 0, s.errorf(s.row, "", "the row is longer than 64 MiB: this is not a spreadsheet export")
					}
					if len(buf)-start > maxCellBytes {
						return nil, 0, s.errorf(s.row, refbatch.CellRef(len(ends), s.row),
							"a quoted cell is longer than Excel's limit of 32,767 characters (a quote that never closes?)")
					}
					var err error
					if line, err = s.readLine(); err == io.EOF {
						return nil, 0, s.errorf(s.row, refbatch.CellRef(len(ends), s.row),
							"a quoted cell is not closed before the end of the file")
					} else if err != nil {
						return nil, 0, err
					}
					i = 0
					continue
				}
				buf = append(buf, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' { // "" is a quote
					buf = append(buf, '"')
					i++
					continue
				}
				break
			}
			j := bytes.IndexByte(line[i:], s.delim)
			if j < 0 {
				j = len(line) - i
			}
			buf = append(buf, line[i:i+j]...)
			i += j
		} else {
			j := bytes.IndexByte(line[i:], s.delim)
			if j < 0 {
				j = len(line) - i
			}
			buf = append(buf, line[i:i+j]...)
			i += j
		}
		ends = append(ends, len(buf))
		start = len(buf)
		if i >= len(line) {
			break
		}
		i++ // the delimiter
	}
	s.buf, s.ends = buf, ends
	if cap(s.buf) > 1<<20 { // do not hold on to one huge record's buffer
		s.buf = nil
	}
	rec := string(buf)
	cells := dst
	prev := 0
	for _, e := range ends {
		cells = append(cells, rec[prev:e])
		prev = e
	}
	if len(rec) > maxCellChars || !utf8.ValidString(rec) {
		s.checkCells(cells)
	}
	return cells, s.row, nil
}

// checkCells notes the cells that cannot be read: longer than Excel's
// limit, or not UTF-8. They get a finding; the rest of the file is read.
func (s *csvScanner) checkCells(cells []string) {
	for k, c := range cells {
		switch {
		case tooLongForExcel(c):
			s.meta.issues = append(s.meta.issues, cellIssue{k, issueTooLong})
		case !utf8.ValidString(c):
			s.meta.issues = append(s.meta.issues, cellIssue{k, "the cell's text is not valid UTF-8 (damaged characters are shown as \uFFFD): save the file as \"CSV UTF-8\" and export it again"})
		}
	}
}

func (s *csvScanner) rowMeta() *rowMeta { return &s.meta }

// sniffDelimiter picks the delimiter under which the leading text has a
// header row: the candidate whose best row in the header region names the
// most known columns. With none, it takes the candidate seen most often on
// the first non-empty line, and header detection reports the failure.
func sniffDelimiter(head []byte, eol byte, m headerMatcher, headerRow int) byte {
	candidates := [...]byte{',', ';', '\t'}
	best, bestScore := byte(0), 0
	for _, d := range candidates {
		sc := newCSVScanner("", bufio.NewReaderSize(bytes.NewReader(head), 64<<10), d, eol)
		score := 0
		for {
			cells, row, err := sc.next(nil)
			if err != nil || row > maxHeaderScan || headerRow > 0 && row > headerRow {
				break
			}
			if headerRow > 0 && row != headerRow {
				continue
			}
			if k := m.countKnown(cells); k > score {
				score = k
				if k >= minKnownHeaders && headerRow == 0 {
					break
				}
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	if best != 0 {
		return best
	}
	line := head
	for len(line) > 0 && (line[0] == '\n' || line[0] == '\r') {
		line = line[1:]
	}
	if i := bytes.IndexByte(line, eol); i >= 0 {
		line = line[:i]
	}
	best, most := ',', 0
	for _, d := range candidates {
		if n := bytes.Count(line, []byte{d}); n > most {
			best, most = d, n
		}
	}
	return best
}
