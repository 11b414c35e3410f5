package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
	"github.com/refbatch/refbatch/rules"
)

// sandboxAcceptAfter is how soon the embedded sandbox's Microsoft side
// accepts a co-sell referral, so that a rehearsal registers deals in the
// same run.
const sandboxAcceptAfter = 2 * time.Second

// sandboxRegisterWait is the default --register-wait under --sandbox.
const sandboxRegisterWait = 30 * time.Second

// embeddedSandbox is a sandbox served on a loopback port inside this
// process.
type embeddedSandbox struct {
	url string
	srv *http.Server
}

// startSandbox serves a sandbox fed from the policy's reference tables
// (solutions catalog, FX rates), keeping its state in stateFile so that a
// rehearsal survives a kill and resume continues against the same
// referrals.
func startSandbox(ctx context.Context, tables *rules.Tables, stateFile string) (*embeddedSandbox, error) {
	if err := os.MkdirAll(filepath.Dir(stateFile), 0o700); err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", stateFile, err)
	}
	catalog, fx := sandboxOptionsFromTables(tables)
	srv, err := sandbox.Open(sandbox.Options{
		AcceptAfter:            sandboxAcceptAfter,
		AzureIPCoSellSolutions: catalog,
		FXToUSD:                fx,
		StateFile:              stateFile,
	})
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	hs := sandbox.NewHTTPServer("", srv)
	hs.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = hs.Serve(ln) }()
	return &embeddedSandbox{url: "http://" + ln.Addr().String(), srv: hs}, nil
}

func (s *embeddedSandbox) close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// execution is everything one run or resume executes with.
type execution struct {
	file    string
	run     refbatch.RunInfo
	po      planOptions
	flags   execFlags
	in      *loaded
	jr      *journal.Journal
	records map[int]refbatch.RowRecord // by row number, as the journal has them
	retry   bool                       // resume --retry-failed
	now     func() time.Time
	resumed bool
}

// execute runs the rows and prints the outcome. It returns an error that
// maps to the exit code: nil, ErrFindings (failed, invalid or unfinished
// rows), context.Canceled (interrupted) or ErrFatal.
func execute(ctx context.Context, x execution, e env) error {
	feedCtx := feedContext(ctx)
	endpoint := x.flags.endpoint
	var token partnercenter.TokenSource
	if x.po.Sandbox {
		sb, err := startSandbox(ctx, x.in.policy.Tables(), x.po.SandboxState)
		if err != nil {
			return err
		}
		defer sb.close()
		endpoint, token = sb.url, partnercenter.StaticToken("sandbox")
		if x.flags.registerWait == 0 {
			x.flags.registerWait = sandboxRegisterWait
		}
	} else {
		ts, err := tokenSource(ctx)
		if err != nil {
			return err
		}
		token = ts
	}

	logger := newLogger(e.stderr, x.flags)
	limiter := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Max: x.flags.rate})
	prog := newProgress(e.stderr, x.flags.quiet, len(x.in.rows), x.now)
	// Keep a connection per row in flight: Go's default of two idle
	// connections per host made 1,182 new connections (TLS handshakes, on
	// the real API) for 3,000 rows at --concurrency 8.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 2 * x.flags.concurrency
	client, err := partnercenter.NewClient(endpoint,
		partnercenter.WithHTTPClient(&http.Client{Transport: transport}),
		partnercenter.WithTokenSource(token),
		partnercenter.WithCorrelationID(string(x.run.ID)),
		partnercenter.WithLimiter(limiter),
		partnercenter.WithLogger(logger),
		partnercenter.WithObserver(func(a partnercenter.Attempt) {
			limiter.Observe(a.StatusCode)
			prog.request(a.StatusCode)
		}),
	)
	if err != nil {
		return usageError("%v", err)
	}

	planned := make([]*engine.Planned, 0, len(x.in.rows))
	// finishedBefore counts the rows resume did not even keep (finished and
	// unchanged): the engine never sees them, the summary does.
	finishedBefore := map[refbatch.Outcome]int{}
	for _, lr := range x.in.rows {
		rec, ok := x.records[lr.number]
		if !ok {
			continue
		}
		if rec.Outcome.Final() && !(x.retry && rec.Outcome == refbatch.OutcomeFailed) {
			prog.done(rec.Outcome)
		}
		if lr.row == nil {
			finishedBefore[rec.Outcome]++
			continue
		}
		planned = append(planned, &engine.Planned{Row: lr.row, Record: rec})
	}

	start := x.now()
	res, runErr := engine.Execute(feedCtx, ctx, planned, engine.ExecOptions{
		Run:          x.run.ID,
		API:          partnercenter.NewReferrals(client),
		Mapper:       partnercenter.NewMapper(),
		Journal:      x.jr,
		NewPolicy:    func() engine.Policy { return x.in.policy.NewEvaluator() },
		Concurrency:  x.flags.concurrency,
		RetryFailed:  x.retry,
		RegisterWait: x.flags.registerWait,
		Logger:       logger,
		Now:          x.now,
		Observer: engine.Observer{
			RowFinished: func(rec refbatch.RowRecord) { prog.done(rec.Outcome) },
		},
	})
	elapsed := x.now().Sub(start)
	prog.finish()
	if res.Counts == nil {
		res.Counts = map[refbatch.Outcome]int{}
	}
	for o, n := range finishedBefore {
		res.Counts[o] += n
	}

	if runErr == nil || errors.Is(runErr, context.Canceled) || errors.Is(runErr, refbatch.ErrFatal) {
		run := x.run
		if runErr == nil && res.Unfinished == 0 {
			run.Finished = x.now().UTC()
		}
		if err := x.jr.UpdateRun(context.WithoutCancel(ctx), run); err != nil && runErr == nil {
			runErr = err
		}
	}
	answers, throttled := limiter.Counts()
	printRunSummary(e.stdout, x, res, answers, throttled, elapsed)
	if failed := failedRows(context.WithoutCancel(ctx), x); len(failed) > 0 {
		printFailed(e.stdout, failed)
	}

	if runErr != nil {
		fmt.Fprintln(e.stdout)
		hint := resumeHint(x)
		if retryableFailures(context.WithoutCancel(ctx), x) > 0 {
			hint += " --retry-failed"
		}
		fmt.Fprintln(e.stdout, hint)
		return runErr
	}
	if res.Unfinished > 0 {
		fmt.Fprintf(e.stdout, "\n%d rows are not finished (in doubt or pending).\n%s\n", res.Unfinished, resumeHint(x))
		return refbatch.ErrFindings
	}
	if res.Counts[refbatch.OutcomeFailed] > 0 || res.Counts[refbatch.OutcomeSkippedInvalid] > 0 {
		if n := retryableFailures(context.WithoutCancel(ctx), x); n > 0 {
			fmt.Fprintf(e.stdout, "\n%s failed on a passing error (throttling, 5xx, a concurrent edit); retry them with: %s --retry-failed\n",
				plural(n, "row", "rows"), resumeCommand(x))
		}
		return refbatch.ErrFindings
	}
	if x.flags.strict && x.in.summary.Warnings > 0 {
		return refbatch.ErrFindings
	}
	return nil
}

func printRunSummary(w io.Writer, x execution, res engine.Result, answers, throttled int64, elapsed time.Duration) {
	verb := "run"
	if x.resumed {
		verb = "resume of run"
	}
	fmt.Fprintf(w, "%s %s: %s, journal %s\n", verb, x.run.ID, x.file, x.jr.Path())
	var parts []string
	total := 0
	for _, o := range refbatch.Outcomes() {
		if n := res.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
			total += n
		}
	}
	fmt.Fprintf(w, "%s: %s\n", plural(total, "row", "rows"), strings.Join(parts, ", "))
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(answers) / s
	}
	fmt.Fprintf(w, "%s in %s (%.1f/s), %d throttled\n", plural(int(answers), "request", "requests"), elapsed.Round(time.Millisecond), rate, throttled)
}

// failedRows lists the rows that failed or were skipped, from the journal.
func failedRows(ctx context.Context, x execution) []refbatch.RowRecord {
	rows, err := x.jr.Rows(ctx, x.run.ID)
	if err != nil {
		return nil
	}
	var out []refbatch.RowRecord
	for _, r := range rows {
		switch r.Outcome {
		case refbatch.OutcomeFailed, refbatch.OutcomeSkippedInvalid, refbatch.OutcomeInDoubt:
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

const maxFailedPrinted = 20

func printFailed(w io.Writer, rows []refbatch.RowRecord) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tOUTCOME\tWHY")
	for i, r := range rows {
		if i == maxFailedPrinted {
			fmt.Fprintf(tw, "…\t\t%d more: refbatch status --rows, or refbatch export\n", len(rows)-i)
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", r.Number, r.Outcome, oneLine(r.Error))
	}
	tw.Flush()
}

// retryableFailures counts the failed rows that resume --retry-failed
// would try again.
func retryableFailures(ctx context.Context, x execution) int {
	steps, err := x.jr.UnfinishedSteps(ctx, x.run.ID) // failed rows are among them
	if err != nil {
		return 0
	}
	rows := map[int]bool{}
	for _, s := range steps {
		if s.State == refbatch.StateFailed && strings.HasPrefix(s.ErrorCode, engine.RetryablePrefix) {
			rows[s.Row] = true
		}
	}
	return len(rows)
}

func resumeCommand(x execution) string {
	cmd := "refbatch resume --journal " + shellQuote(x.jr.Path())
	return cmd + " " + string(x.run.ID)
}

func resumeHint(x execution) string {
	return "The journal is consistent. To finish: " + resumeCommand(x)
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
