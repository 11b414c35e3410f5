package exporter

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/refbatch/refbatch"
)

// commentSpool holds the cell comments of the .xlsx report on disk until
// Close writes them into the package.
type commentSpool struct{ *spool }

type cellComment struct {
	row  int // spreadsheet row, 1-based
	col  int // zero-based
	text string
}

func newCommentSpool(wd *workDir) (*commentSpool, error) {
	s, err := newSpool(wd, "comments-*")
	if err != nil {
		return nil, err
	}
	return &commentSpool{s}, nil
}

func (s *commentSpool) add(row, col int, text string) error {
	s.putUint(uint64(row))
	s.putUint(uint64(col))
	s.putString(text)
	return s.endRecord()
}

func (s *commentSpool) each(fn func(cellComment) error) error {
	return s.read(func(r *spoolReader) error {
		for i := 0; i < s.n; i++ {
			c := cellComment{row: int(r.uint()), col: int(r.uint()), text: r.string()}
			if r.err != nil {
				return fmt.Errorf("read comments spool: %w", r.err)
			}
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// rewriteComments copies the package in src to dst, replacing the comments
// and VML drawing parts of one worksheet (found through its relationships
// file sheetRels) by the comments given: first, then from the spool. Every
// other part is copied as compressed bytes, so the cost is linear in the
// number of comments and the memory constant.
func rewriteComments(dst io.Writer, src *os.File, size int64, sheetRels string, first []cellComment, sp *commentSpool) error {
	zr, err := zip.NewReader(src, size)
	if err != nil {
		return err
	}
	commentsPart, vmlPart, err := commentParts(zr, sheetRels)
	if err != nil {
		return err
	}
	each := func(fn func(cellComment) error) error {
		for _, c := range first {
			if err := fn(c); err != nil {
				return err
			}
		}
		return sp.each(fn)
	}
	total := len(first) + sp.n
	found := 0
	zw := newFastZipWriter(dst).(*zip.Writer)
	for _, e := range zr.File {
		switch e.Name {
		case commentsPart, vmlPart:
			found++
			w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: e.Modified})
			if err != nil {
				return err
			}
			if e.Name == commentsPart {
				err = writeCommentsXML(w, each)
			} else {
				err = writeCommentsVML(w, total, each)
			}
			if err != nil {
				return err
			}
		default:
			r, err := e.OpenRaw()
			if err != nil {
				return err
			}
			w, err := zw.CreateRaw(&e.FileHeader)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, r); err != nil {
				return err
			}
		}
	}
	if found != 2 {
		return fmt.Errorf("comments: parts %s and %s not both in the workbook", commentsPart, vmlPart)
	}
	return zw.Close()
}

// commentParts reads a worksheet's relationships for its comments and VML
// drawing parts.
func commentParts(zr *zip.Reader, sheetRels string) (comments, vml string, err error) {
	f, err := zr.Open(sheetRels)
	if err != nil {
		return "", "", fmt.Errorf("comments: %w", err)
	}
	defer f.Close()
	var rels struct {
		Rel []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.NewDecoder(f).Decode(&rels); err != nil {
		return "", "", fmt.Errorf("comments: %s: %w", sheetRels, err)
	}
	base := path.Dir(path.Dir(sheetRels)) // xl/worksheets
	for _, r := range rels.Rel {
		target := path.Join(base, r.Target)
		if strings.HasPrefix(r.Target, "/") {
			target = strings.TrimPrefix(r.Target, "/")
		}
		switch {
		case strings.HasSuffix(r.Type, "/comments"):
			comments = target
		case strings.HasSuffix(r.Type, "/vmlDrawing"):
			vml = target
		}
	}
	if comments == "" || vml == "" {
		return "", "", fmt.Errorf("comments: %s names no comments or VML part", sheetRels)
	}
	return comments, vml, nil
}

// writeCommentsXML writes the comments part (ECMA-376 §18.7): one plain
// run per comment, in the 9-point font Excel uses for notes.
func writeCommentsXML(w io.Writer, each func(func(cellComment) error) error) error {
	bw := &errWriter{w: w}
	bw.str(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>` +
		commentAuthor + `</author></authors><commentList>`)
	err := each(func(c cellComment) error {
		bw.str(`<comment ref="`)
		bw.str(refbatch.CellRef(c.col, c.row))
		bw.str(`" authorId="0"><text><r><rPr><sz val="9"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr><t xml:space="preserve">`)
		bw.escape(truncateUTF16(c.text, 32767))
		bw.str(`</t></r></text></comment>`)
		return bw.err
	})
	if err != nil {
		return err
	}
	bw.str(`</commentList></comments>`)
	return bw.err
}

// writeCommentsVML writes the legacy drawing Excel needs to show comments:
// one hidden note shape per comment, with ids unique in 1024-shape blocks
// declared by the idmap, as Excel itself writes them.
func writeCommentsVML(w io.Writer, total int, each func(func(cellComment) error) error) error {
	bw := &errWriter{w: w}
	bw.str(`<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">` +
		`<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="`)
	blocks := (1024 + total) / 1024
	for b := 1; b <= blocks; b++ {
		if b > 1 {
			bw.str(",")
		}
		bw.str(strconv.Itoa(b))
	}
	bw.str(`"/></o:shapelayout>` +
		`<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">` +
		`<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>`)
	id := 1024
	err := each(func(c cellComment) error {
		id++
		top := max(c.row-2, 0)
		bw.str(`<v:shape id="_x0000_s`)
		bw.str(strconv.Itoa(id))
		bw.str(`" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:80pt;z-index:`)
		bw.str(strconv.Itoa(id - 1024))
		bw.str(`;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>` +
			`<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>` +
			`<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>` +
			`<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>`)
		bw.str(fmt.Sprintf("%d, 15, %d, 10, %d, 15, %d, 4", c.col+1, top, c.col+4, top+5))
		bw.str(`</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>`)
		bw.str(strconv.Itoa(c.row - 1))
		bw.str(`</x:Row><x:Column>`)
		bw.str(strconv.Itoa(c.col))
		bw.str(`</x:Column></x:ClientData></v:shape>`)
		return bw.err
	})
	if err != nil {
		return err
	}
	bw.str(`</xml>`)
	return bw.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) str(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// escape writes s as XML character data; characters XML cannot carry
// become U+FFFD.
func (e *errWriter) escape(s string) {
	if e.err == nil {
		e.err = xml.EscapeText(e.w, []byte(s))
	}
}

// truncateUTF16 cuts s to at most n UTF-16 code units, Excel's measure.
func truncateUTF16(s string, n int) string {
	if len(s) <= n {
		return s
	}
	units := 0
	for i, r := range s {
		u := 1
		if r > 0xFFFF {
			u = 2
		}
		if units+u > n {
			return s[:i]
		}
		units += u
	}
	return s
}
