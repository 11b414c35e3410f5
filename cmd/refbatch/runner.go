package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/rules"
)

// The concrete packages satisfy the interfaces the run consumes.
var (
	_ engine.API     = (*partnercenter.Referrals)(nil)
	_ engine.Mapper  = (*partnercenter.Mapper)(nil)
	_ engine.Journal = (*journal.Journal)(nil)
	_ engine.Policy  = (*rules.Evaluator)(nil)
)

// sandboxDir is where a sandbox rehearsal keeps its journal and the
// sandbox's state, beside the input file (ignored by git in this repo).
const sandboxDir = ".refbatch"

// planOptions are the options that decide how the input is read and
// checked. The journal keeps them with the run, so resume reads the file
// exactly as run did.
type planOptions struct {
	Sheet        string `json:"sheet,omitempty"`
	HeaderRow    int    `json:"headerRow,omitempty"`
	Delimiter    string `json:"delimiter,omitempty"`
	DecimalComma bool   `json:"decimalComma,omitempty"`
	DateOrder    string `json:"dateOrder,omitempty"`
	Mapping      string `json:"mapping,omitempty"`
	Rules        string `json:"rules,omitempty"`
	Tables       string `json:"tables,omitempty"`
	Sandbox      bool   `json:"sandbox,omitempty"`
	SandboxState string `json:"sandboxState,omitempty"`
}

func (p planOptions) flags() (policyFlags, importFlags) {
	return policyFlags{rulesFile: p.Rules, tablesDir: p.Tables},
		importFlags{sheet: p.Sheet, headerRow: p.HeaderRow, delimiter: p.Delimiter, decimalComma: p.DecimalComma, dateOrder: p.DateOrder, mapping: p.Mapping}
}

func newPlanOptions(pf policyFlags, imf importFlags) planOptions {
	return planOptions{Sheet: imf.sheet, HeaderRow: imf.headerRow, Delimiter: imf.delimiter, DecimalComma: imf.decimalComma,
		DateOrder: imf.dateOrder, Mapping: imf.mapping, Rules: pf.rulesFile, Tables: pf.tablesDir}
}

// execFlags are the flags of run and resume that shape execution, not the
// plan.
type execFlags struct {
	endpoint     string
	concurrency  int
	rate         float64
	journal      string
	quiet        bool
	strict       bool
	registerWait time.Duration
	logFormat    string
	verbose      bool
}

func (f *execFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "Partner Center API base `URL` (default https://api.partner.microsoft.com); sign in with refbatch login, or set REFBATCH_TOKEN")
	fs.IntVar(&f.concurrency, "concurrency", 8, "rows in flight at once")
	fs.Float64Var(&f.rate, "rate", 0, "ceiling in requests per second (default: none; the rate adapts to the API's throttling)")
	fs.StringVar(&f.journal, "journal", "", "journal `FILE` (default: refbatch.db beside the input; .refbatch/sandbox.db with --sandbox)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.BoolVar(&f.strict, "strict", false, "warnings fail the run too (exit 1)")
	fs.DurationVar(&f.registerWait, "register-wait", 0, "how long a deal registration may wait for Microsoft to accept its co-sell referral (default 0; 30s with --sandbox)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log lines on stderr when not a terminal: text or json")
	fs.BoolVar(&f.verbose, "verbose", false, "log every retry and reconciliation")
}

func (f *execFlags) check() error {
	if f.concurrency < 1 || f.concurrency > 256 {
		return usageError("--concurrency must be 1 to 256, got %d", f.concurrency)
	}
	if f.rate < 0 {
		return usageError("--rate must not be negative")
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return usageError("--log-format must be text or json, got %q", f.logFormat)
	}
	if f.registerWait < 0 {
		return usageError("--register-wait must not be negative")
	}
	return nil
}

// loadedRow is one input row with its findings. A row resume does not
// need (finished, unchanged) keeps only its number and hash: row is nil.
type loadedRow struct {
	row      *refbatch.Row
	findings []refbatch.Finding
	number   int
	hash     string // refbatch.ContentHash; computed when needed (hashOf)
}

// hashOf returns the row's content hash, computing it if loading did not.
func (lr *loadedRow) hashOf() string {
	if lr.hash == "" && lr.row != nil {
		lr.hash = refbatch.ContentHash(lr.row)
	}
	return lr.hash
}

// loaded is an input file read and checked whole.
type loaded struct {
	policy         *rules.Policy
	header         *refbatch.Header
	rows           []loadedRow
	headerFindings []refbatch.Finding
	summary        refbatch.Summary
	sha256         string
}

// loadInput reads and checks every row of file, keeping the rows (a run
// holds them across retries, so the reader does not recycle them), and
// hashes the file.
func loadInput(ctx context.Context, file string, po planOptions, now func() time.Time) (*loaded, error) {
	return loadInputKeeping(ctx, file, po, now, nil)
}

// loadInputKeeping is loadInput for resume: rows for which keep says no
// (finished and unchanged) are handed back to the reader once hashed, so a
// 100,000-row resume holds only the rows it may still run.
func loadInputKeeping(ctx context.Context, file string, po planOptions, now func() time.Time, keep func(number int, hash string) bool) (*loaded, error) {
	pf, imf := po.flags()
	pf.now = now
	if imf.dateOrder == "" {
		imf.dateOrder = "mdy"
	}
	policy, err := pf.load()
	if err != nil {
		return nil, err
	}
	opts, err := imf.options(policy)
	if err != nil {
		return nil, err
	}
	sum, err := fileSHA256(file)
	if err != nil {
		return nil, err
	}
	reader, err := importer.Open(ctx, file, opts)
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	l := &loaded{policy: policy, header: reader.Header(), headerFindings: reader.HeaderFindings(), sha256: sum}
	summary, err := engine.Validate(ctx, reader, engine.ValidateOptions{
		NewChecker: func() engine.RowChecker { return policy.NewEvaluator() },
		Ordered:    policy.NewDuplicateCheck(),
		Sink: func(row *refbatch.Row, findings []refbatch.Finding) error {
			lr := loadedRow{row: row, findings: findings, number: row.Number}
			if keep != nil {
				// Resume decides on the hash now; run hashes when it plans.
				lr.hash = refbatch.ContentHash(row)
				if !keep(lr.number, lr.hash) {
					lr.row, lr.findings = nil, nil
					reader.Release(row)
				}
			}
			l.rows = append(l.rows, lr)
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	for _, f := range l.headerFindings {
		summary.Count(f)
	}
	l.summary = summary
	// The file must not have changed while it was read.
	if again, err := fileSHA256(file); err != nil {
		return nil, err
	} else if again != sum {
		return nil, &refbatch.InputError{File: file, Err: errors.New("the file changed while it was being read; try again when it is saved")}
	}
	return l, nil
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

// plannedRecord is the journal record of a freshly read row.
func plannedRecord(lr loadedRow) refbatch.RowRecord {
	rec := refbatch.RowRecord{
		Number: lr.row.Number,
		Key:    refbatch.KeyOf(lr.row),
		Action: lr.row.Action,
		Valid:  !hasErrors(lr.findings),
		Hash:   lr.hashOf(),
	}
	if rec.Valid {
		rec.Outcome = refbatch.OutcomePending
	} else {
		rec.Outcome = refbatch.OutcomeSkippedInvalid
		rec.Error = firstError(lr.findings)
	}
	return rec
}

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

// defaultJournal is where a run's journal goes when --journal is not given.
func defaultJournal(input string, sandbox bool) string {
	dir := filepath.Dir(input)
	if sandbox {
		return filepath.Join(dir, sandboxDir, "sandbox.db")
	}
	return filepath.Join(dir, "refbatch.db")
}

// openJournal opens (creating its folder, user-only) the journal at path.
func openJournal(ctx context.Context, path string) (*journal.Journal, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
	}
	return journal.Open(ctx, path, journal.Options{})
}

func encodeOptions(po planOptions) string {
	b, _ := json.Marshal(po) // plain struct: cannot fail
	return string(b)
}

func decodeOptions(run refbatch.RunInfo) (planOptions, error) {
	var po planOptions
	if run.Options == "" {
		return po, nil
	}
	if err := json.Unmarshal([]byte(run.Options), &po); err != nil {
		return po, fmt.Errorf("run %s: stored options: %w", run.ID, err)
	}
	return po, nil
}

// policyHashes digests the rules file and the tables folder in force, for
// the journal: a resume can then say when the policies changed since the
// run started. "builtin" stands for the embedded ones.
func policyHashes(po planOptions) (rulesHash, tablesHash string, err error) {
	rulesHash, tablesHash = "builtin", "builtin"
	if po.Rules != "" {
		b, err := os.ReadFile(po.Rules)
		if err != nil {
			return "", "", &refbatch.InputError{File: po.Rules, Err: unwrapPath(err)}
		}
		sum := sha256.Sum256(b)
		rulesHash = hex.EncodeToString(sum[:])
	}
	if po.Tables != "" {
		entries, err := os.ReadDir(po.Tables)
		if err != nil {
			return "", "", &refbatch.InputError{File: po.Tables, Err: unwrapPath(err)}
		}
		h := sha256.New()
		for _, e := range entries { // ReadDir sorts by name
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(po.Tables, e.Name()))
			if err != nil {
				return "", "", &refbatch.InputError{File: filepath.Join(po.Tables, e.Name()), Err: unwrapPath(err)}
			}
			fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
			h.Write(b)
		}
		tablesHash = hex.EncodeToString(h.Sum(nil))
	}
	return rulesHash, tablesHash, nil
}
