package exporter

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/refbatch/refbatch"
)

// csvResults streams one line per row: the input's cells, then the result
// columns, then any cells beyond the header. Every field is neutralised.
type csvResults struct {
	cw    *csv.Writer
	width int
	rec   []string
	disp  displayer
	texts []string
}

func newCSVResults(w io.Writer, h *refbatch.Header) (*csvResults, error) {
	head := append(append(make([]string, 0, len(h.Names)+len(resultHeaders)), h.Names...), resultHeaders[:]...)
	cw, err := startCSV(w, head)
	if err != nil {
		return nil, err
	}
	return &csvResults{cw: cw, width: len(h.Names)}, nil
}

func (c *csvResults) writeRow(row *refbatch.Row, res *RowResult) error {
	texts := c.disp.cellTexts(row, c.texts)
	if len(row.Cells) > 0 {
		c.texts = texts // our buffer, not row.Raw
	}
	c.rec = c.rec[:0]
	for i := range c.width {
		v := ""
		if i < len(texts) {
			v = texts[i]
		}
		c.rec = append(c.rec, NeutralizeCSV(v))
	}
	for _, v := range res.fields() {
		c.rec = append(c.rec, NeutralizeCSV(v))
	}
	for i := c.width; i < len(texts); i++ {
		c.rec = append(c.rec, NeutralizeCSV(texts[i]))
	}
	return c.cw.Write(c.rec)
}

func (c *csvResults) finish(io.Writer, *refbatch.Header, outcomeCounts) error {
	c.disp.close()
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvResults) discard() { c.disp.close() }

// jsonResults spools each row as its JSON line: the summary, written
// first, is known only at Close.
type jsonResults struct {
	spool *spool
	keys  []string // cellKeys
	buf   bytes.Buffer
	disp  displayer
	texts []string
}

// resultRow is a row of a .json export.
type resultRow struct {
	Row                 int        `json:"row"`
	Outcome             string     `json:"outcome"`
	ReferralID          string     `json:"referralId"`
	EngagementID        string     `json:"engagementId"`
	MicrosoftReferralID string     `json:"microsoftReferralId"`
	Error               string     `json:"error"`
	ClientRequestID     string     `json:"clientRequestId"`
	MicrosoftStatus     string     `json:"microsoftStatus,omitempty"`
	RegistrationStatus  string     `json:"registrationStatus,omitempty"`
	Cells               inputCells `json:"cells"`
}

// inputCells is a row's cells keyed by header, in the input's order.
type inputCells struct {
	keys []string
	raw  []string
}

func (c inputCells) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(key, value string) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		if err := appendJSON(&b, key); err != nil {
			return err
		}
		b.WriteByte(':')
		return appendJSON(&b, value)
	}
	for i, k := range c.keys {
		v := ""
		if i < len(c.raw) {
			v = c.raw[i]
		}
		if err := put(k, v); err != nil {
			return nil, err
		}
	}
	for i := len(c.keys); i < len(c.raw); i++ { // beyond the header
		if err := put(refbatch.ColumnLetters(i), c.raw[i]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func newJSONResults(h *refbatch.Header, wd *workDir) (*jsonResults, error) {
	s, err := newSpool(wd, "results-*")
	if err != nil {
		return nil, err
	}
	return &jsonResults{spool: s, keys: cellKeys(h)}, nil
}

func (j *jsonResults) writeRow(row *refbatch.Row, res *RowResult) error {
	texts := j.disp.cellTexts(row, j.texts)
	if len(row.Cells) > 0 {
		j.texts = texts // our buffer, not row.Raw
	}
	j.buf.Reset()
	err := appendJSON(&j.buf, resultRow{
		Row: row.Number, Outcome: string(res.Outcome), ReferralID: res.ReferralID, EngagementID: res.EngagementID,
		MicrosoftReferralID: res.MicrosoftReferralID, Error: res.Error, ClientRequestID: res.ClientRequestID,
		MicrosoftStatus: res.MicrosoftStatus, RegistrationStatus: res.RegistrationStatus,
		Cells: inputCells{keys: j.keys, raw: texts},
	})
	if err != nil {
		return fmt.Errorf("row %d: %w", row.Number, err)
	}
	j.spool.putString(j.buf.String())
	return j.spool.endRecord()
}

func (j *jsonResults) finish(w io.Writer, _ *refbatch.Header, counts outcomeCounts) error {
	defer j.discard()
	return writeJSONDocument(w, counts, "rows", func(item func(any) error) error {
		return j.spool.read(func(r *spoolReader) error {
			for range j.spool.n {
				line := r.string()
				if err := r.check("results"); err != nil {
					return err
				}
				if err := item(json.RawMessage(line)); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func (j *jsonResults) discard() {
	j.spool.remove()
	j.disp.close()
}
