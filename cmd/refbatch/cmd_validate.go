package main

import (
	"context"
	"encoding/json"

	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/exporter"
)

type validateOptions struct {
	policy      policyFlags
	input       importFlags
	file        string
	report      string
	format      string
	strict      bool
	force       bool // --report may replace a file refbatch did not write
	maxFindings int
	workers     int
	today       string // --today: check dates as of this day ("" = the calendar's)
	// progress is where the rows-read line goes (a terminal's stderr), nil
	// for none; clock times it (nil: time.Now).
	progress io.Writer
	clock    func() time.Time
}

func runValidateCmd(ctx context.Context, args []string, e env) error {
	var opts validateOptions
	fs := newFlagSet("validate", "validate [flags] FILE.{xlsx,csv}", e)
	opts.policy.bind(fs)
	opts.input.bind(fs)
	fs.StringVar(&opts.report, "report", "", "write the pre-flight report to `FILE` (.xlsx, .csv or .json)")
	fs.BoolVar(&opts.force, "force", false, "let --report replace an existing file that is not a refbatch report")
	fs.StringVar(&opts.format, "format", "text", "terminal output: text or json")
	fs.BoolVar(&opts.strict, "strict", false, "warnings fail the validation too (exit 1)")
	fs.IntVar(&opts.maxFindings, "max-findings", 20, "findings to print (0: all); the report always has all of them")
	fs.IntVar(&opts.workers, "workers", 0, "goroutines checking rows (default: one per CPU)")
	var today todayFlag
	today.bind(fs, "check dates as of `DATE`: re-check an old file as it stood that day")
	if _, err := parseWithConfig(fs, args, e); err != nil {
		return usageOrHelp(err)
	}
	var err error
	if opts.today, err = today.resolve(e); err != nil {
		return err
	}
	file, err := oneArg(fs, "input file (FILE.xlsx or FILE.csv)")
	if err != nil {
		return err
	}
	opts.file = file
	opts.progress = stderrTerminal(e.stderr)
	return runValidate(ctx, opts, e)
}

// maxWorkers caps --workers: more goroutines than this only cost memory
// (each holds a rules VM and a batch of rows).
const maxWorkers = 256

// validation is what validate found, as printed and as --format json emits it.
type validation struct {
	File      string             `json:"file"`
	Sheet     string             `json:"sheet,omitempty"`
	HeaderRow int                `json:"headerRow"`
	Report    string             `json:"report,omitempty"`
	Today     string             `json:"today,omitempty"` // --today, when given
	Summary   refbatch.Summary   `json:"summary"`
	Findings  []refbatch.Finding `json:"findings"`
	Truncated bool               `json:"truncated"` // more findings than --max-findings
}

func runValidate(ctx context.Context, opts validateOptions, e env) (err error) {
	if opts.format != "text" && opts.format != "json" {
		return usageError("--format must be text or json, got %q", opts.format)
	}
	if opts.maxFindings < 0 {
		return usageError("--max-findings must not be negative")
	}
	if opts.workers < 0 || opts.workers > maxWorkers {
		return usageError("--workers must be between 0 (one per CPU) and %d, got %d", maxWorkers, opts.workers)
	}
	if opts.report != "" {
		if _, err := exporter.ReportFormat(opts.report); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		if batch.SameFile(opts.file, opts.report) {
			return usageError("--report %s is the input file: the report would replace it; choose another name", opts.report)
		}
		// Only an earlier report is replaced without --force: not a
		// salesperson's own workbook named by mistake.
		if err := exporter.CheckReplace(opts.report, opts.force); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	now, err := asOf(opts.today, opts.policy.now)
	if err != nil {
		return err
	}
	// Rules compile before any row is read: a broken rule is exit 2, at once.
	c, err := batch.NewClient(nil, batch.Endpoint{}, batch.Config{Input: inputOptions(opts.policy, opts.input), Workers: opts.workers, Today: now})
	if err != nil {
		return err
	}
	var report *exporter.Report
	defer func() {
		if err != nil && report != nil {
			report.Abort()
		}
	}()
	out := validation{File: opts.file, Report: opts.report, Today: opts.today, Findings: []refbatch.Finding{}}
	keep := func(f []refbatch.Finding) {
		for _, x := range f {
			if opts.maxFindings > 0 && len(out.Findings) >= opts.maxFindings {
				out.Truncated = true
				return
			}
			out.Findings = append(out.Findings, x)
		}
	}
	prog := newReadProgress(opts.progress, opts.clock)
	v, err := c.Validate(ctx, opts.file, batch.Hooks{
		Header: func(h *refbatch.Header, findings []refbatch.Finding) error {
			out.Sheet, out.HeaderRow = h.Sheet, h.Row
			keep(findings)
			if opts.report != "" {
				var err error
				report, err = exporter.NewReport(opts.report, h)
				return err
			}
			return nil
		},
		Row: func(row *refbatch.Row, findings []refbatch.Finding) error {
			prog.row()
			keep(findings)
			if report != nil {
				return report.WriteRow(row, findings)
			}
			return nil
		},
	})
	prog.finish()
	if err != nil {
		return err
	}
	summary := v.Summary
	out.Summary = summary
	if report != nil {
		if err := report.Close(summary, v.HeaderFindings); err != nil {
			return err
		}
	}

	if opts.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printValidation(e.stdout, out)
	}
	if summary.Errors > 0 || (opts.strict && summary.Warnings > 0) {
		return refbatch.ErrFindings
	}
	return nil
}

// inputCounts is a validation in a few words: "17 rows, 16 valid, 1 not
// loaded (total row), 0 errors, 1 warning". Every data row is counted once:
// valid, with errors, or not loaded.
func inputCounts(s refbatch.Summary) string {
	out := fmt.Sprintf("%s, %d valid, ", plural(s.Rows, "row", "rows"), s.Valid)
	if s.NotLoaded > 0 {
		what := "total rows"
		if s.NotLoaded == 1 {
			what = "a total row"
		}
		out += fmt.Sprintf("%d not loaded (%s), ", s.NotLoaded, what)
	}
	return out + plural(s.Errors, "error", "errors") + ", " + plural(s.Warnings, "warning", "warnings")
}

func printValidation(w io.Writer, v validation) {
	s := v.Summary
	where := v.File
	if v.Sheet != "" {
		where += ", sheet " + v.Sheet
	}
	fmt.Fprintf(w, "%s (header in row %d): %s\n", where, v.HeaderRow, inputCounts(s))
	if v.Today != "" {
		fmt.Fprintln(w, asOfNote(v.Today))
	}
	switch {
	case s.Rows == 0:
		fmt.Fprintf(w, "nothing to load: the file has a header (row %d) and no rows below it\n", v.HeaderRow)
	case s.Rows == s.NotLoaded:
		fmt.Fprintf(w, "nothing to load: every row below the header (row %d) is a total row\n", v.HeaderRow)
	}
	if len(s.ByRule) > 0 {
		ids := make([]string, 0, len(s.ByRule))
		for id := range s.ByRule {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool {
			if s.ByRule[ids[i]] != s.ByRule[ids[j]] {
				return s.ByRule[ids[i]] > s.ByRule[ids[j]]
			}
			return ids[i] < ids[j]
		})
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprintf("%s %d", id, s.ByRule[id])
		}
		fmt.Fprintf(w, "by rule: %s\n", strings.Join(parts, ", "))
	}
	if len(v.Findings) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROW\tCELL\tRULE\tSEVERITY\tMESSAGE")
		for _, f := range v.Findings {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", f.Row, dash(f.Cell), f.Rule, f.Severity, oneLine(f.Message))
		}
		tw.Flush()
		if v.Truncated {
			fmt.Fprintf(w, "… more findings not shown (--max-findings 0 shows all)\n")
		}
	}
	if v.Report != "" {
		fmt.Fprintf(w, "\nreport written to %s\n", v.Report)
	} else if s.Errors+s.Warnings > 0 {
		fmt.Fprintf(w, "\nwrite every finding to a spreadsheet with --report findings.xlsx\n")
	}
}

// sameFile reports whether a and b name one existing file.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
