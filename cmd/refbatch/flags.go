package main

import (
	"cmp"
	"context"
	"fmt"
	"github.com/refbatch/refbatch/journal"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/rules"
)

// policyFlags are the flags that choose the rules and reference tables.
type policyFlags struct {
	rulesFile  string
	tablesDir  string
	fiscalYear fiscalYearFlag
	// now is the clock rules see as Today; nil means time.Now. Not a flag:
	// tests set it so that "in the past" does not drift with the calendar.
	now func() time.Time
}

func (p *policyFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&p.rulesFile, "rules", "", "rules `FILE` (YAML) that extends or replaces the built-in rules")
	fs.StringVar(&p.tablesDir, "tables", "", "`DIR` of reference tables overriding the built-in ones (solution plays, currencies, FX rates…)")
	fs.Var(&p.fiscalYear, "fiscal-year", "check Solution Areas and Plays against fiscal `YEAR`'s table (FY26 or 2026; default: each row's Closing Date's fiscal year, else today's)")
}

// fiscalYearFlag is --fiscal-year: 2026 for FY26, 0 when not given.
type fiscalYearFlag int

func (f *fiscalYearFlag) String() string {
	if *f == 0 {
		return ""
	}
	return fmt.Sprintf("FY%02d", int(*f)%100)
}

func (f *fiscalYearFlag) Set(s string) error {
	y, err := rules.ParseFiscalYear(s)
	if err != nil {
		return err
	}
	*f = fiscalYearFlag(y)
	return nil
}

func (f *fiscalYearFlag) Type() string { return "year" }

// importFlags are the flags that say how to read an input file.
type importFlags struct {
	sheet         string
	headerRow     int
	delimiter     string
	decimalComma  bool
	dateOrder     string
	mapping       string
	includeHidden bool
}

func (f *importFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.sheet, "sheet", "", "worksheet `NAME` of an .xlsx file (default: the first sheet)")
	fs.IntVar(&f.headerRow, "header-row", 0, "spreadsheet row `N` of the header (default: the first row naming three known columns)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter: ',', ';' or 'tab' (default: sniffed)")
	fs.BoolVar(&f.decimalComma, "decimal-comma", false, "numbers are written 30.000,50 (European exports)")
	fs.StringVar(&f.dateOrder, "date-order", "mdy", "order of slash dates such as 3/4/2026: mdy or dmy")
	fs.StringVar(&f.mapping, "mapping", "", "YAML `FILE` mapping canonical column names to your headers")
	fs.BoolVar(&f.includeHidden, "include-hidden", false, "check hidden rows of a workbook too (default: skip them with one warning)")
}

// inputOptions are the flags as the client takes them.
func inputOptions(p policyFlags, f importFlags) batch.InputOptions {
	return batch.InputOptions{Sheet: f.sheet, HeaderRow: f.headerRow, Delimiter: f.delimiter, DecimalComma: f.decimalComma,
		DateOrder: f.dateOrder, Mapping: f.mapping, IncludeHidden: f.includeHidden, Rules: p.rulesFile, Tables: p.tablesDir, FiscalYear: int(p.fiscalYear)}
}

// execFlags are the flags of run and resume that shape execution.
type execFlags struct {
	endpoint     string
	concurrency  int
	rate         float64
	journal      string
	quiet        bool
	strict       bool
	registerWait time.Duration
	registerAge  optionalDuration
	acceptWithin time.Duration
	settle       time.Duration
	logFormat    string
	verbose      bool
}

func (f *execFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "Partner Center API base `URL` (default https://api.partner.microsoft.com); sign in with refbatch login, or set REFBATCH_TOKEN")
	fs.IntVar(&f.concurrency, "concurrency", batch.DefaultConcurrency, "rows in flight at once")
	fs.Float64Var(&f.rate, "rate", 0, "ceiling in requests per second (default: none; the rate adapts to the API's throttling)")
	fs.StringVar(&f.journal, "journal", "", "journal `FILE` (default: refbatch.db beside the input; .refbatch/sandbox.db with --sandbox)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.BoolVar(&f.strict, "strict", false, "warnings fail the run too (exit 1)")
	fs.DurationVar(&f.registerWait, "register-wait", 0, "how long a run polls for Microsoft to accept a co-sell referral before it leaves the deal registration waiting for refbatch sync (default 0: one check; 30s with --sandbox)")
	fs.DurationVar(&f.acceptWithin, "accept-deadline", engine.DefaultAcceptDeadline, "how long a waiting deal registration may wait for Microsoft's acceptance, from the co-sell link, before the row fails (336h: 14 days)")
	fs.Var(&f.registerAge, "register-age", "register a deal only once its referral is this old; a younger one waits (default 72h against Partner Center, as Microsoft asks; 0 against a sandbox; 0 registers at once, with a warning)")
	fs.DurationVar(&f.settle, "settle", 0, "how long after a create or link whose answer was lost Partner Center's listing may prove it absent (default 5m against Partner Center, 1s against the embedded sandbox)")
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
	if f.registerWait < 0 || f.registerAge.d < 0 || f.acceptWithin < 0 {
		return usageError("--register-wait, --register-age and --accept-deadline must not be negative")
	}
	if f.settle < 0 {
		return usageError("--settle must not be negative")
	}
	return nil
}

// config is the client's configuration from the flags.
// now is the real clock (nil: time.Now), today the one rules see.
func (f *execFlags) config(in batch.InputOptions, now, today func() time.Time, stderr io.Writer) batch.Config {
	return batch.Config{Input: in, Concurrency: f.concurrency, Rate: f.rate, RegisterWait: f.registerWait, Settle: f.settle,
		AcceptDeadline: f.acceptWithin, RegisterAge: f.registerAge.config(),
		Strict: f.strict, Logger: newLogger(stderr, *f), Now: now, Today: today}
}

// openJournal checks the flags and opens the existing journal that resume
// and sync work on (--journal, default refbatch.db here): one that does not
// exist is refused, never created by a typo.
func (f *execFlags) openJournal(ctx context.Context) (*journal.Journal, string, error) {
	if err := f.check(); err != nil {
		return nil, "", err
	}
	jpath := cmp.Or(f.journal, "refbatch.db")
	jr, err := batch.OpenJournal(ctx, jpath, false)
	return jr, jpath, err
}

// newLogger logs retries and reconciliations at info with --verbose, else
// warnings only; never to stdout, never a token (the client logs none).
func newLogger(w io.Writer, f execFlags) *slog.Logger {
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if f.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// sandboxDir is where a sandbox rehearsal keeps its journal and the
// sandbox's state, beside the input file (ignored by git in this repo):
// never the journal of real runs, refbatch.db.
const sandboxDir = ".refbatch"

// defaultJournal is where a run's journal goes when --journal is not given.
func defaultJournal(input string, sandbox bool) string {
	dir := filepath.Dir(input)
	if sandbox {
		return filepath.Join(dir, sandboxDir, "sandbox.db")
	}
	return filepath.Join(dir, "refbatch.db")
}

// oneArg returns the single positional argument or a usage error.
func oneArg(fs *pflag.FlagSet, what string) (string, error) {
	switch fs.NArg() {
	case 1:
		return fs.Arg(0), nil
	case 0:
		return "", usageError("missing %s", what)
	default:
		return "", usageError("expected one %s, got %d arguments", what, fs.NArg())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// load compiles the policy; any error names the file, rule and position.
func (p *policyFlags) load() (*rules.Policy, error) {
	return batch.LoadPolicy(batch.InputOptions{Rules: p.rulesFile, Tables: p.tablesDir, FiscalYear: int(p.fiscalYear)}, p.now)
}

// optionalDuration is a duration flag that knows whether it was given:
// --register-age 0 means no wait, while no flag leaves the endpoint's.
type optionalDuration struct {
	d   time.Duration
	set bool
}

func (o *optionalDuration) String() string {
	if !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optionalDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	o.d, o.set = d, true
	return nil
}

func (o *optionalDuration) Type() string { return "duration" }

// config is the value batch.Config takes: 0 for the endpoint's, negative
// for none.
func (o optionalDuration) config() time.Duration {
	if o.set && o.d == 0 {
		return -1
	}
	return o.d
}
