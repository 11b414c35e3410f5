package exporter

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/refbatch/refbatch"
)

// spool is an append-only temporary file of length-prefixed records. Reports
// learn their summary only at the end while findings may number millions, so
// findings (and XLSX comments) go to disk as they arrive and are read back
// once, in order, when the report is assembled.
type spool struct {
	f        *os.File
	w        *bufio.Writer
	n        int
	buf      []byte
	unlinked bool
}

func newSpool(wd *workDir, pattern string) (*spool, error) {
	f, err := wd.file(pattern)
	if err != nil {
		return nil, err
	}
	// Where the system allows it (not Windows), the open file is unlinked at
	// once, so not even a killed process leaves customer data behind.
	unlinked := os.Remove(f.Name()) == nil
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10), unlinked: unlinked}, nil
}

func (s *spool) putUint(v uint64) { s.buf = binary.AppendUvarint(s.buf, v) }

func (s *spool) putString(v string) {
	s.buf = binary.AppendUvarint(s.buf, uint64(len(v)))
	s.buf = append(s.buf, v...)
}

// endRecord writes the record built with putUint and putString.
func (s *spool) endRecord() error {
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	s.n++
	return err
}

// read calls fn with a reader positioned at the first record.
func (s *spool) read(fn func(r *spoolReader) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := &spoolReader{r: bufio.NewReaderSize(s.f, 64<<10)}
	err := fn(r)
	if _, serr := s.f.Seek(0, io.SeekEnd); err == nil {
		err = serr
	}
	return err
}

func (s *spool) remove() {
	if s == nil || s.f == nil {
		return
	}
	_ = s.f.Close()
	if !s.unlinked {
		_ = os.Remove(s.f.Name())
	}
	s.f = nil
}

type spoolReader struct {
	r   *bufio.Reader
	err error
}

// check returns the first read error, if any: a spool that ends inside the
// records it counted was cut short.
func (r *spoolReader) check(what string) error {
	if r.err == nil {
		return nil
	}
	err := r.err
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %s spool: %w", what, err)
}

func (r *spoolReader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.err = err
	}
	return v
}

func (r *spoolReader) string() string {
	n := r.uint()
	if r.err != nil || n == 0 {
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = err
		return ""
	}
	return string(b)
}

// findingSpool holds the findings of data rows, in the order they arrived.
type findingSpool struct{ *spool }

func newFindingSpool(wd *workDir) (*findingSpool, error) {
	s, err := newSpool(wd, "findings-*")
	if err != nil {
		return nil, err
	}
	return &findingSpool{s}, nil
}

func (s *findingSpool) add(f *refbatch.Finding) error {
	s.putUint(uint64(max(f.Row, 0)))
	s.putString(f.Cell)
	s.putString(f.Column)
	s.putString(f.Header)
	s.putString(f.Rule)
	s.putString(string(f.Severity))
	s.putString(f.Message)
	s.putString(f.Value)
	return s.endRecord()
}

// each calls fn for every spooled finding merged with extra, in row order:
// extra findings (sorted by row) come before the spooled findings of a later
// row and after those of their own row, so header findings lead the list.
func (s *findingSpool) each(extra []refbatch.Finding, fn func(*refbatch.Finding) error) error {
	extra = slices.Clone(extra)
	slices.SortStableFunc(extra, func(a, b refbatch.Finding) int { return a.Row - b.Row })
	next := 0
	err := s.read(func(r *spoolReader) error {
		for i := 0; i < s.n; i++ {
			var f refbatch.Finding
			f.Row = int(r.uint())
			f.Cell = r.string()
			f.Column = r.string()
			f.Header = r.string()
			f.Rule = r.string()
			f.Severity = refbatch.Severity(r.string())
			f.Message = r.string()
			f.Value = r.string()
			if err := r.check("findings"); err != nil {
				return err
			}
			for next < len(extra) && extra[next].Row < f.Row {
				if err := fn(&extra[next]); err != nil {
					return err
				}
				next++
			}
			if err := fn(&f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for ; next < len(extra); next++ {
		if err := fn(&extra[next]); err != nil {
			return err
		}
	}
	return nil
}
