// Package xlsxtest writes .xlsx workbooks for tests and benchmarks the way
// Excel lays them out (shared strings, a styles part with date formats,
// cell references on every cell), or the way other tools do (inline
// strings, no styles part, namespace prefixes), and damages them on
// purpose. It writes the XML itself, so that a test controls every byte.
package xlsxtest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Formula is a cell with a formula and its cached value.
type Formula struct {
	F string
	V any
}

// Money is an amount written with a currency number format.
type Money float64

// Raw is a cell written as given: the <c> element's XML, for damage.
type Raw string

// Options say how to lay out the workbook.
type Options struct {
	Inline    bool   // strings as inline strings, no sharedStrings.xml
	NoStyles  bool   // no styles.xml (dates are then plain numbers)
	Date1904  bool   // the 1904 date system
	Prefix    string // element prefix, such as "x:" (some .NET writers)
	NoRefs    bool   // omit the r attributes of rows and cells
	Hidden    map[int]bool
	Merges    []string
	SheetName string   // default "Sheet1"
	Before    []string // names of empty sheets before the data sheet
}

// Style indexes in the styles part this package writes.
const (
	styleDate  = 1 // numFmtId 14, m/d/yyyy
	styleMoney = 2 // custom "$"#,##0.00
)

// WriteFile writes rows (rows[i] is spreadsheet row i+1; a nil row is
// absent) to path.
func WriteFile(path string, rows [][]any, o Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, func(yield func(int, []any) bool) {
		for i, r := range rows {
			if r != nil && !yield(i+1, r) {
				return
			}
		}
	}, o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Bytes is WriteFile into memory.
func Bytes(rows [][]any, o Options) []byte {
	var buf bytes.Buffer
	if err := Write(&buf, func(yield func(int, []any) bool) {
		for i, r := range rows {
			if r != nil && !yield(i+1, r) {
				return
			}
		}
	}, o); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Write writes a workbook whose data sheet has the rows rows yields, in
// order.
func Write(w io.Writer, rows func(yield func(num int, cells []any) bool), o Options) error {
	zw := zip.NewWriter(w)
	p := o.Prefix
	name := o.SheetName
	if name == "" {
		name = "Sheet1"
	}
	sheets := append(append([]string(nil), o.Before...), name)
	put := func(part, body string) error {
		fw, err := zw.Create(part)
		if err != nil {
			return err
		}
		_, err = io.WriteString(fw, body)
		return err
	}
	var ct strings.Builder
	ct.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`)
	for i := range sheets {
		fmt.Fprintf(&ct, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
	}
	ct.WriteString(`</Types>`)
	if err := put("[Content_Types].xml", ct.String()); err != nil {
		return err
	}
	if err := put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`); err != nil {
		return err
	}
	var wb strings.Builder
	fmt.Fprintf(&wb, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<%sworkbook xmlns%s="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`, p, colonless(p))
	if o.Date1904 {
		fmt.Fprintf(&wb, `<%sworkbookPr date1904="1"/>`, p)
	} else {
		fmt.Fprintf(&wb, `<%sworkbookPr defaultThemeVersion="166925"/>`, p)
	}
	fmt.Fprintf(&wb, `<%ssheets>`, p)
	for i, s := range sheets {
		fmt.Fprintf(&wb, `<%ssheet name="%s" sheetId="%d" r:id="rId%d"/>`, p, esc(s), i+1, i+1)
	}
	fmt.Fprintf(&wb, `</%ssheets></%sworkbook>`, p, p)
	if err := put("xl/workbook.xml", wb.String()); err != nil {
		return err
	}
	var rels strings.Builder
	rels.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i := range sheets {
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, i+1)
	}
	n := len(sheets)
	if !o.NoStyles {
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`, n+1)
	}
	if !o.Inline {
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, n+2)
	}
	rels.WriteString(`</Relationships>`)
	if err := put("xl/_rels/workbook.xml.rels", rels.String()); err != nil {
		return err
	}
	if !o.NoStyles {
		if err := put("xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="&quot;$&quot;#,##0.00"/></numFmts>`+
			`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>`+
			`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>`+
			`<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`); err != nil {
			return err
		}
	}
	for i := range o.Before {
		if err := put(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<%sworksheet xmlns%s="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><%ssheetData/></%sworksheet>`, p, colonless(p), p, p)); err != nil {
			return err
		}
	}

	fw, err := zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", n))
	if err != nil {
		return err
	}
	bw := &errWriter{w: fw}
	sst := map[string]int{}
	var sstList []string
	count := 0
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<%sworksheet xmlns%s="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><%sdimension ref="A1"/><%ssheetData>`, p, colonless(p), p, p)
	var line []byte
	rows(func(num int, cells []any) bool {
		line = line[:0]
		line = append(line, '<')
		line = append(line, p...)
		line = append(line, "row"...)
		if !o.NoRefs {
			line = append(line, ` r="`...)
			line = strconv.AppendInt(line, int64(num), 10)
			line = append(line, '"')
		}
		if o.Hidden[num] {
			line = append(line, ` hidden="1"`...)
		}
		line = append(line, '>')
		for j, v := range cells {
			if v == nil {
				continue
			}
			if raw, ok := v.(Raw); ok {
				line = append(line, raw...)
				continue
			}
			line = append(line, '<')
			line = append(line, p...)
			line = append(line, 'c')
			if !o.NoRefs {
				line = append(line, ` r="`...)
				line = append(line, colName(j)...)
				line = strconv.AppendInt(line, int64(num), 10)
				line = append(line, '"')
			}
			formula := ""
			if f, ok := v.(Formula); ok {
				formula, v = f.F, f.V
			}
			body := ""
			switch x := v.(type) {
			case string:
				if o.Inline || formula != "" {
					if formula != "" {
						line = append(line, ` t="str">`...)
						body = "<" + p + "v>" + esc(x) + "</" + p + "v>"
					} else {
						line = append(line, ` t="inlineStr">`...)
						body = "<" + p + "is><" + p + "t>" + esc(x) + "</" + p + "t></" + p + "is>"
					}
				} else {
					k, ok := sst[x]
					if !ok {
						k = len(sstList)
						sst[x] = k
						sstList = append(sstList, x)
					}
					count++
					line = append(line, ` t="s">`...)
					body = "<" + p + "v>" + strconv.Itoa(k) + "</" + p + "v>"
				}
			case float64:
				line = append(line, '>')
				body = "<" + p + "v>" + strconv.FormatFloat(x, 'g', -1, 64) + "</" + p + "v>"
			case int:
				line = append(line, '>')
				body = "<" + p + "v>" + strconv.Itoa(x) + "</" + p + "v>"
			case Money:
				line = append(line, ` s="2">`...)
				body = "<" + p + "v>" + strconv.FormatFloat(float64(x), 'g', -1, 64) + "</" + p + "v>"
			case time.Time:
				if !o.NoStyles {
					line = append(line, ` s="1"`...)
				}
				line = append(line, '>')
				body = "<" + p + "v>" + strconv.FormatFloat(Serial(x, o.Date1904), 'g', -1, 64) + "</" + p + "v>"
			case bool:
				line = append(line, ` t="b">`...)
				b := "0"
				if x {
					b = "1"
				}
				body = "<" + p + "v>" + b + "</" + p + "v>"
			default:
				panic(fmt.Sprintf("xlsxtest: cell type %T", v))
			}
			if formula != "" {
				line = append(line, "<"+p+"f>"+esc(formula)+"</"+p+"f>"...)
			}
			line = append(line, body...)
			line = append(line, "</"+p+"c>"...)
		}
		line = append(line, "</"+p+"row>"...)
		bw.Write(line)
		return bw.err == nil
	})
	fmt.Fprintf(bw, `</%ssheetData>`, p)
	if len(o.Merges) > 0 {
		fmt.Fprintf(bw, `<%smergeCells count="%d">`, p, len(o.Merges))
		for _, m := range o.Merges {
			fmt.Fprintf(bw, `<%smergeCell ref="%s"/>`, p, m)
		}
		fmt.Fprintf(bw, `</%smergeCells>`, p)
	}
	fmt.Fprintf(bw, `<%spageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></%sworksheet>`, p, p)
	if bw.err != nil {
		return bw.err
	}
	if !o.Inline {
		fw, err := zw.Create("xl/sharedStrings.xml")
		if err != nil {
			return err
		}
		bw := &errWriter{w: fw}
		fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
			`<%ssst xmlns%s="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, p, colonless(p), count, len(sstList))
		for _, s := range sstList {
			sp := ""
			if strings.TrimSpace(s) != s {
				sp = ` xml:space="preserve"`
			}
			fmt.Fprintf(bw, `<%ssi><%st%s>%s</%st></%ssi>`, p, p, sp, esc(s), p, p)
		}
		fmt.Fprintf(bw, `</%ssst>`, p)
		if bw.err != nil {
			return bw.err
		}
	}
	return zw.Close()
}

// colonless turns a prefix "x:" into the namespace declaration suffix ":x".
func colonless(p string) string {
	if p == "" {
		return ""
	}
	return ":" + strings.TrimSuffix(p, ":")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func esc(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r < 0x20 && r != '\t' && r != '\n':
			fmt.Fprintf(&b, "_x%04X_", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// colName returns the letters of a zero-based column index.
func colName(i int) string {
	s := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}

// Serial is the Excel serial number of t.
func Serial(t time.Time, date1904 bool) float64 {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	d := t.Sub(base)
	return math.Round(d.Hours()/24*1e9) / 1e9
}

// Rezip rewrites a workbook with part edited by fn (the others copied), as
// a valid zip: for damage to the XML that the zip checksum cannot see.
func Rezip(book []byte, part string, fn func([]byte) []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(rc)
		if err != nil {
			panic(err)
		}
		rc.Close()
		if f.Name == part {
			body = fn(body)
		}
		w, _ := zw.Create(f.Name)
		w.Write(body)
	}
	zw.Close()
	return buf.Bytes()
}

// SheetPart is the part name of the data sheet written with opts.
func SheetPart(o Options) string {
	return fmt.Sprintf("xl/worksheets/sheet%d.xml", len(o.Before)+1)
}
