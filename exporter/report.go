package exporter

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/refbatch/refbatch"
)

// Report writes a pre-flight report (SPEC §8). Rows are handed to WriteRow in
// file order; Close assembles the file and renames it into place, Abort
// drops it. Until Close succeeds nothing exists at the path: the report is
// written to a temporary file in the same directory (mode 0600).
//
// A Report holds neither rows nor findings in memory: findings are spooled to
// a temporary file and, for .xlsx, rows are streamed to the worksheet as they
// arrive. A Report is used by one goroutine.
//
// The .xlsx report keeps the input's geometry: the "Report" sheet has the
// header and every row at their input row numbers and every cell in its
// input column, so the cell of a finding ("D7") is the same cell in the
// report. The Findings column and a Row column (the input row number, which
// survives sorting) follow the input's columns instead of preceding them,
// which would shift every reference. Offending cells are filled red (error)
// or amber (warning) and carry a comment naming the rules; "Summary" has the
// counts and "Findings" one line per finding.
type Report struct {
	out    *output
	header *refbatch.Header
	spool  *findingSpool
	format reportFormat
	tally  tally
	// disp renders a finding's value as the cell displays it when the value
	// is a typed cell's stored text (a date serial).
	disp displayer
}

// reportFormat is what differs between .xlsx, .csv and .json.
type reportFormat interface {
	// writeRow sees every data row with its findings (already spooled).
	writeRow(row *refbatch.Row, findings []refbatch.Finding) error
	// finish writes the whole report to w.
	finish(w io.Writer, c *closing) error
	// discard releases what the format holds after a failure or Abort.
	discard()
}

// closing is what a format needs to finish a report.
type closing struct {
	header  *refbatch.Header
	summary refbatch.Summary
	extra   []refbatch.Finding
	tally   tally
	// findings calls fn for every finding, row findings and extra ones
	// merged in row order.
	findings func(fn func(*refbatch.Finding) error) error
}

// NewReport starts a report at path, whose extension picks the format. The
// header is the input file's; rows must follow it.
func NewReport(path string, header *refbatch.Header) (*Report, error) {
	out, format, err := openOutput("report", path, header)
	if err != nil {
		return nil, err
	}
	r := &Report{out: out, header: header, tally: tally{}}
	if r.spool, err = newFindingSpool(out.work); err != nil {
		_ = out.discard()
		return nil, out.wrap(err)
	}
	switch format {
	case FormatXLSX:
		r.format, err = newXLSXReport(header, out.work)
	case FormatCSV:
		r.format = csvReport{}
	case FormatJSON:
		r.format = jsonReport{}
	}
	if err != nil {
		r.spool.remove()
		_ = out.discard()
		return nil, out.wrap(err)
	}
	return r, nil
}

// WriteRow adds one data row and its findings. Rows must arrive in file
// order (strictly increasing row numbers, after the header row); every row
// should be written, with or without findings, so the .xlsx report shows
// the whole input. A finding whose value is the stored text of a typed
// cell of the row (Row.Cells: a date serial, a number, a boolean) is
// reported with the value as the spreadsheet displays it ("3/31/2027"). WriteRow keeps neither the row nor the findings after it
// returns, so their buffers may be reused. After an error the report is
// aborted: nothing is left at the path and every later call fails.
func (r *Report) WriteRow(row *refbatch.Row, findings []refbatch.Finding) error {
	if err := r.out.nextRow(row); err != nil {
		return r.fail(err)
	}
	for i := range findings {
		if err := r.spool.add(r.disp.displayFindingValue(row, &findings[i])); err != nil {
			return r.fail(err)
		}
		r.tally.add(&findings[i])
	}
	if err := r.format.writeRow(row, findings); err != nil {
		return r.fail(err)
	}
	return nil
}

// Close completes the report with the summary and the findings that belong
// to no data row (header warnings, for instance; they are listed first, the
// list being in row order), and renames it into place. On error nothing is
// left at the path. Calling Abort after Close is harmless.
//
// In the .xlsx report, extra findings appear on the Summary and Findings
// sheets, and those about the header row as comments on its cells: the
// rows of the Report sheet were streamed before extra findings were known.
func (r *Report) Close(summary refbatch.Summary, extra []refbatch.Finding) error {
	if r.out.done {
		return r.out.wrap(errors.New("already closed"))
	}
	for i := range extra {
		r.tally.add(&extra[i])
	}
	if summary.ByRule == nil {
		summary.ByRule = map[string]int{}
	}
	c := &closing{
		header:  r.header,
		summary: summary,
		extra:   extra,
		tally:   r.tally,
		findings: func(fn func(*refbatch.Finding) error) error {
			return r.spool.each(extra, fn)
		},
	}
	err := r.out.finish(func(w *bufio.Writer) error { return r.format.finish(w, c) })
	if err != nil {
		return r.fail(err)
	}
	r.spool.remove()
	r.disp.close()
	_ = r.out.discard() // the work directory
	return nil
}

// Abort drops the report: the temporary files are removed and nothing is
// left at the path. It is safe to call more than once and after Close.
func (r *Report) Abort() error {
	r.format.discard()
	r.disp.close()
	r.spool.remove()
	return r.out.discard()
}

func (r *Report) fail(err error) error {
	_ = r.Abort()
	return r.out.wrap(err)
}

// tally counts findings by rule and severity for the Summary sheet.
type tally map[tallyKey]int

type tallyKey struct {
	rule     string
	severity refbatch.Severity
}

func (t tally) add(f *refbatch.Finding) { t[tallyKey{f.Rule, f.Severity}]++ }

// ruleCount is one line of the counts by rule.
type ruleCount struct {
	Rule             string
	Errors, Warnings int
}

// byRule lists the counts by rule id, sorted.
func (t tally) byRule() []ruleCount {
	idx := map[string]int{}
	var out []ruleCount
	for k, n := range t {
		i, ok := idx[k.rule]
		if !ok {
			i = len(out)
			idx[k.rule] = i
			out = append(out, ruleCount{Rule: k.rule})
		}
		if k.severity == refbatch.SeverityError {
			out[i].Errors += n
		} else {
			out[i].Warnings += n
		}
	}
	slices.SortFunc(out, func(a, b ruleCount) int { return strings.Compare(a.Rule, b.Rule) })
	return out
}
