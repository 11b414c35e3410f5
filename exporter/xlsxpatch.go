package exporter

import (
	"bytes"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// rowPatch restyles cells of one streamed row: styles maps a zero-based
// column to the style its cell gets.
type rowPatch struct {
	row    int
	styles map[int]int
}

// patchingZipWriter is the zip writer of a workbook whose first sheet is
// streamed: a streamed row is final once written, yet the report learns
// which header cells have findings only at Close. It rewrites the style
// attribute of those cells as the sheet part goes into the package, so
// the cost is a scan of the sheet's first rows, not a second pass over it.
type patchingZipWriter struct {
	excelize.ZipWriter
	part    string // the sheet part, "xl/worksheets/sheet1.xml"
	patch   rowPatch
	pending *rowPatchWriter
}

func (z *patchingZipWriter) Create(name string) (io.Writer, error) {
	if err := z.flush(); err != nil {
		return nil, err
	}
	w, err := z.ZipWriter.Create(name)
	if err != nil || name != z.part || len(z.patch.styles) == 0 {
		return w, err
	}
	z.pending = &rowPatchWriter{w: w, patch: z.patch, start: []byte(`<row r="` + strconv.Itoa(z.patch.row) + `"`), at: -1}
	return z.pending, nil
}

func (z *patchingZipWriter) Close() error {
	if err := z.flush(); err != nil {
		return err
	}
	return z.ZipWriter.Close()
}

func (z *patchingZipWriter) flush() error {
	if z.pending == nil {
		return nil
	}
	p := z.pending
	z.pending = nil
	return p.flush()
}

// maxPatchBuffer bounds what rowPatchWriter holds while it looks for its
// row: the header comes first in a sheet, after at most the column widths
// and the title rows.
const maxPatchBuffer = 16 << 20

// rowPatchWriter passes a sheet's XML through, holding it back only until
// the row to patch has gone by.
type rowPatchWriter struct {
	w     io.Writer
	patch rowPatch
	start []byte // `<row r="N"`
	buf   []byte
	at    int // where the row starts in buf; -1 until found
	done  bool
}

func (p *rowPatchWriter) Write(b []byte) (int, error) {
	if p.done {
		return p.w.Write(b)
	}
	// Search only what is new (and a tag's length before it): io.Copy
	// hands the part over in small pieces.
	from := max(len(p.buf)-len("</row>")-len(p.start), 0)
	p.buf = append(p.buf, b...)
	if p.at < 0 {
		i := bytes.Index(p.buf[from:], p.start)
		if i < 0 {
			return len(b), p.giveUpIfLong()
		}
		p.at = from + i
	}
	from = max(from, p.at)
	end := bytes.Index(p.buf[from:], []byte("</row>"))
	if end < 0 {
		return len(b), p.giveUpIfLong()
	}
	end += from
	var out bytes.Buffer
	out.Grow(len(p.buf) + 16*len(p.patch.styles))
	out.Write(p.buf[:p.at])
	patchCellStyles(&out, p.buf[p.at:end], p.patch.styles)
	out.Write(p.buf[end:])
	p.buf = out.Bytes()
	return len(b), p.flush()
}

// giveUpIfLong writes the part unchanged when the row is not where a
// header row can be.
func (p *rowPatchWriter) giveUpIfLong() error {
	if len(p.buf) > maxPatchBuffer {
		return p.flush()
	}
	return nil
}

// flush writes what is held as it is and passes the rest through.
func (p *rowPatchWriter) flush() error {
	if p.done {
		return nil
	}
	p.done = true
	buf := p.buf
	p.buf = nil
	_, err := p.w.Write(buf)
	return err
}

// patchCellStyles writes row, the XML of a <row> as excelize streams it,
// with the s attribute of the cells in styles set. Cell text cannot hold
// "<c " (a '<' in text is escaped), so the cell tags are found by bytes.
func patchCellStyles(out *bytes.Buffer, row []byte, styles map[int]int) {
	for {
		i := bytes.Index(row, []byte("<c "))
		if i < 0 {
			break
		}
		end := bytes.IndexByte(row[i:], '>')
		if end < 0 {
			break
		}
		end += i
		tag := row[i:end]
		out.Write(row[:i])
		row = row[end:]
		style, ok := styles[cellColumn(string(attr(tag, "r")))]
		if !ok {
			out.Write(tag)
			continue
		}
		id := strconv.Itoa(style)
		if k := bytes.Index(tag, []byte(` s="`)); k >= 0 {
			v := k + len(` s="`)
			q := bytes.IndexByte(tag[v:], '"')
			if q < 0 {
				out.Write(tag)
				continue
			}
			out.Write(tag[:v])
			out.WriteString(id)
			out.Write(tag[v+q:])
			continue
		}
		body, selfClosing := tag, false
		if bytes.HasSuffix(body, []byte("/")) {
			body, selfClosing = body[:len(body)-1], true
		}
		out.Write(body)
		out.WriteString(` s="` + id + `"`)
		if selfClosing {
			out.WriteByte('/')
		}
	}
	out.Write(row)
}

// attr returns the value of attribute name in an XML start tag, or nil.
func attr(tag []byte, name string) []byte {
	k := bytes.Index(tag, []byte(" "+name+`="`))
	if k < 0 {
		return nil
	}
	v := tag[k+len(name)+3:]
	if q := bytes.IndexByte(v, '"'); q >= 0 {
		return v[:q]
	}
	return nil
}
