package exporter

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/refbatch/refbatch"
)

// jsonReport writes {"summary": {…}, "findings": […]}, one finding a line.
type jsonReport struct{}

func (jsonReport) writeRow(*refbatch.Row, []refbatch.Finding) error { return nil }
func (jsonReport) discard()                                         {}

func (jsonReport) finish(w io.Writer, c *closing) error {
	return writeJSONDocument(w, c.summary, "findings", func(item func(any) error) error {
		return c.findings(func(f *refbatch.Finding) error { return item(f) })
	})
}

// writeJSONDocument writes {"summary": summary, "<list>": [items…]} with
// one item a line, so a large list streams instead of being built in
// memory. each calls item for every element, in order.
func writeJSONDocument(w io.Writer, summary any, list string, each func(item func(any) error) error) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	buf.WriteString("{\n  \"summary\": ")
	if err := enc.Encode(summary); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	buf.WriteString(",\n  ")
	buf.WriteString(strconv.Quote(list))
	buf.WriteString(": [")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	enc.SetIndent("", "")
	n := 0
	err := each(func(v any) error {
		buf.Reset()
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		n++
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	tail := "]\n}\n"
	if n > 0 {
		tail = "\n  ]\n}\n"
	}
	_, err = io.WriteString(w, tail)
	return err
}

// csvReport writes one line per finding under a header line. It starts with
// a UTF-8 byte order mark: the people who read it open it in Excel, which
// otherwise takes UTF-8 for the local code page.
type csvReport struct{}

func (csvReport) writeRow(*refbatch.Row, []refbatch.Finding) error { return nil }
func (csvReport) discard()                                         {}

var csvHeader = []string{"row", "cell", "column", "header", "rule", "severity", "message", "value"}

func (csvReport) finish(w io.Writer, c *closing) error {
	cw, err := startCSV(w, csvHeader)
	if err != nil {
		return err
	}
	rec := make([]string, len(csvHeader))
	err = c.findings(func(f *refbatch.Finding) error {
		rec[0] = strconv.Itoa(f.Row)
		rec[1] = NeutralizeCSV(f.Cell)
		rec[2] = NeutralizeCSV(f.Column)
		rec[3] = NeutralizeCSV(f.Header)
		rec[4] = NeutralizeCSV(f.Rule)
		rec[5] = NeutralizeCSV(string(f.Severity))
		rec[6] = NeutralizeCSV(f.Message)
		rec[7] = NeutralizeCSV(f.Value)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// startCSV writes a UTF-8 byte order mark and the head line (neutralised:
// headers can be user data too).
func startCSV(w io.Writer, head []string) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	rec := make([]string, len(head))
	for i, h := range head {
		rec[i] = NeutralizeCSV(h)
	}
	return cw, cw.Write(rec)
}

// NeutralizeCSV defuses CSV injection (OWASP): a field that begins with '=',
// '+', '-', '@', a tab or a carriage return gets a leading apostrophe, so a
// spreadsheet shows it as text instead of evaluating it. Every field of a
// CSV report that can carry user data goes through it.
func NeutralizeCSV(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
