package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/rules"
)

// InputOptions say how an input file is read and which policies check it.
// The journal keeps them with a run, so that resume and export read the
// file exactly as the run did. The zero value reads with the built-in rules
// and tables, sniffs the CSV delimiter, finds the header row and reads
// slash dates month first.
type InputOptions struct {
	Sheet        string `json:"sheet,omitempty"`        // worksheet of an .xlsx ("" = the first)
	HeaderRow    int    `json:"headerRow,omitempty"`    // spreadsheet row of the header (0 = found)
	Delimiter    string `json:"delimiter,omitempty"`    // ",", ";" or "tab" ("" = sniffed)
	DecimalComma bool   `json:"decimalComma,omitempty"` // numbers written 30.000,50
	DateOrder    string `json:"dateOrder,omitempty"`    // "mdy" (default) or "dmy"
	Mapping      string `json:"mapping,omitempty"`      // YAML file: canonical column → headers
	// IncludeHidden checks a workbook's hidden rows too (default: skipped
	// with one warning).
	IncludeHidden bool   `json:"includeHidden,omitempty"`
	Rules         string `json:"rules,omitempty"`  // rules file extending or replacing the built-in ones
	Tables        string `json:"tables,omitempty"` // folder of reference tables overriding the built-in ones
	// FiscalYear picks the Solution Area/Play table for every row (2026 for
	// FY26); zero picks each row's by its Closing Date (rules.Options).
	FiscalYear int `json:"fiscalYear,omitempty"`
}

// encode is the form the journal keeps.
func (o InputOptions) encode() string {
	b, _ := json.Marshal(o) // plain struct: cannot fail
	return string(b)
}

// InputOptionsOf returns the input options a run recorded.
func InputOptionsOf(run refbatch.RunInfo) (InputOptions, error) {
	var o InputOptions
	if run.Options == "" {
		return o, nil
	}
	if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
		return o, fmt.Errorf("run %s: stored options: %w", run.ID, err)
	}
	return o, nil
}

// LoadPolicy compiles the rules and reference tables o names (the built-in
// ones by default); now is the clock rules see as Today (nil: time.Now).
// Any error names the file, the rule and the position.
func LoadPolicy(o InputOptions, now func() time.Time) (*rules.Policy, error) {
	tables, err := rules.LoadTables(o.Tables)
	if err != nil {
		return nil, err
	}
	return rules.Load(o.Rules, tables, rules.Options{Now: now, FiscalYear: o.FiscalYear})
}

// ImportOptions turns o into importer options. The policy's vocabulary and
// aliases always apply, so enums and country names read in their canonical
// spelling whoever calls.
func ImportOptions(o InputOptions, policy *rules.Policy) (importer.Options, error) {
	opts := importer.Options{Sheet: o.Sheet, HeaderRow: o.HeaderRow, DecimalComma: o.DecimalComma, IncludeHidden: o.IncludeHidden}
	if o.HeaderRow < 0 {
		return opts, usageErrorf("header row must be a row number, got %d", o.HeaderRow)
	}
	switch o.Delimiter {
	case "":
	case ",", ";":
		opts.Delimiter = rune(o.Delimiter[0])
	case "tab", "\\t", "\t":
		opts.Delimiter = '\t'
	default:
		return opts, usageErrorf("delimiter must be ',', ';' or 'tab', got %q", o.Delimiter)
	}
	order := o.DateOrder
	if order == "" {
		order = "mdy"
	}
	do, err := importer.ParseDateOrder(order)
	if err != nil {
		return opts, usageErrorf("date order: %v", err)
	}
	opts.DateOrder = do
	if o.Mapping != "" {
		m, err := importer.LoadMapping(o.Mapping)
		if err != nil {
			return opts, err
		}
		opts.Mapping = m
	}
	opts.Vocabulary = policy.Tables().Vocabulary()
	opts.Aliases = policy.Tables().Aliases()
	return opts, nil
}

// usageErrorf is a mistake in what the caller asked for (refbatch.ErrUsage).
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", refbatch.ErrUsage, fmt.Sprintf(format, args...))
}

// Hooks receive what Validate reads. Both may be nil.
type Hooks struct {
	// Header is called once, before any row, with the header the file was
	// read by and the findings about it (unknown headers, missing columns).
	Header func(h *refbatch.Header, findings []refbatch.Finding) error
	// Row is called with every row and its findings, in file order, from
	// one goroutine. The row is recycled after it returns: copy what you
	// keep. An error stops the validation and is returned.
	Row func(row *refbatch.Row, findings []refbatch.Finding) error
}

// Validation is what reading and checking a file found.
type Validation struct {
	File   string
	Header *refbatch.Header
	// HeaderFindings are about the header; Summary counts them too.
	HeaderFindings []refbatch.Finding
	Summary        refbatch.Summary
	// SHA256 is the digest of the file as read; the file must not change
	// while it is read.
	SHA256 string
}

// readFile reads and checks every row of file with policy, handing each
// to row; keep says whether row may keep the *Row (else it is recycled).
//
// expect, when not "", is the SHA-256 the file must have: a file that
// changed since a run read it is refused before any row is handed over.
func readFile(ctx context.Context, file string, o InputOptions, policy *rules.Policy, workers int, hooks Hooks, keep bool, expect string) (Validation, error) {
	v := Validation{File: file}
	opts, err := ImportOptions(o, policy)
	if err != nil {
		return v, err
	}
	sum, err := fileSHA256(file)
	if err != nil {
		return v, err
	}
	if expect != "" && sum != expect {
		return v, fmt.Errorf("%w: %s changed while the run was reading it (SHA-256 %.12s…, planned from %.12s…); resume to go on with the file as it is now",
			refbatch.ErrInputChanged, file, sum, expect)
	}
	reader, err := importer.Open(ctx, file, opts)
	if err != nil {
		return v, err
	}
	defer reader.Close()
	v.Header, v.HeaderFindings, v.SHA256 = reader.Header(), reader.HeaderFindings(), sum
	if hooks.Header != nil {
		if err := hooks.Header(v.Header, v.HeaderFindings); err != nil {
			return v, err
		}
	}
	vo := engine.ValidateOptions{
		NewChecker: func() engine.RowChecker { return policy.NewEvaluator() },
		Ordered:    policy.NewDuplicateCheck(),
		Workers:    workers,
		Sink: func(row *refbatch.Row, findings []refbatch.Finding) error {
			if hooks.Row == nil {
				return nil
			}
			return hooks.Row(row, findings)
		},
	}
	if !keep {
		vo.Release = reader.Release
	}
	summary, err := engine.Validate(ctx, reader, vo)
	if err != nil {
		return v, err
	}
	for _, f := range v.HeaderFindings {
		summary.Count(f)
	}
	if summary.ByRule == nil {
		summary.ByRule = map[string]int{}
	}
	v.Summary = summary
	// The file must not have changed while it was read.
	if again, err := fileSHA256(file); err != nil {
		return v, err
	} else if again != sum {
		return v, &refbatch.InputError{File: file, Err: errors.New("the file changed while it was being read; try again when it is saved")}
	}
	return v, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &refbatch.InputError{File: path, Err: unwrapPath(err)}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", &refbatch.InputError{File: path, Err: err}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}

// hasErrors reports whether findings hold an error.
func hasErrors(findings []refbatch.Finding) bool {
	for _, f := range findings {
		if f.Severity == refbatch.SeverityError {
			return true
		}
	}
	return false
}

// firstError is the first error of findings with its cell, and how many
// more there are: what a skipped row's record says.
func firstError(findings []refbatch.Finding) string {
	n := 0
	msg := ""
	for _, f := range findings {
		if f.Severity != refbatch.SeverityError {
			continue
		}
		if n == 0 {
			msg = f.Message
			if f.Cell != "" {
				msg = f.Cell + ": " + msg
			}
		}
		n++
	}
	if n > 1 {
		msg += fmt.Sprintf(" (and %d more)", n-1)
	}
	return msg
}
