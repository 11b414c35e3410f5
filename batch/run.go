package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/rules"
)

// Result is what a run or a resume did.
type Result struct {
	Run     refbatch.RunInfo
	Journal string // the journal's path
	Resumed bool
	// Input is the validation of the file as this attempt read it.
	Input refbatch.Summary
	// Replanned counts the rows a resume with AllowChanged planned afresh.
	Replanned int
	// PolicyChanged is set when the rules or tables differ from those the
	// run started with; the rows left are checked with the current ones.
	PolicyChanged bool
	// Counts has every row of the run by outcome.
	Counts map[refbatch.Outcome]int
	// Unfinished counts rows left pending or in doubt: resume finishes them.
	Unfinished int
	// Waiting counts rows left waiting for Partner Center (Microsoft's
	// acceptance, the deal's age): Sync or Resume advances them.
	Waiting int
	// Requests counts the HTTP answers received, Throttled those that were
	// 429 or 503.
	Requests, Throttled int64
	Elapsed             time.Duration
	// Problems are the rows that failed, were skipped for errors or are in
	// doubt, in row order.
	Problems []refbatch.RowRecord
	// Retryable counts the failed rows that ResumeOptions.RetryFailed would
	// try again.
	Retryable int
	// Mirror is what the refresh of the mirror of Partner Center read
	// before the rows were planned.
	Mirror MirrorRefresh
}

// String is the result in one line: "run ID: 16 rows: 7 created, 4 linked".
func (r *Result) String() string {
	if r == nil {
		return "no run"
	}
	return fmt.Sprintf("run %s: %s", r.Run.ID, r.Outcomes())
}

// Outcomes is every row of the run by outcome: "16 rows: 7 created, 4 linked".
func (r *Result) Outcomes() string {
	var parts []string
	total := 0
	for _, o := range refbatch.Outcomes() {
		if n := r.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
			total += n
		}
	}
	return fmt.Sprintf("%s: %s", plural(total, "row", "rows"), strings.Join(parts, ", "))
}

// ResumeCommand is the command line that finishes the run.
func (r *Result) ResumeCommand() string {
	cmd := "refbatch resume --journal " + ShellQuote(r.Journal) + " " + string(r.Run.ID)
	if r.Retryable > 0 {
		cmd += " --retry-failed"
	}
	return cmd
}

// SyncCommand is the command line that advances the waiting rows.
func (r *Result) SyncCommand() string {
	return "refbatch sync --journal " + ShellQuote(r.Journal)
}

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// loadedRow is one input row with its findings, as Plan lays it out.
type loadedRow struct {
	row      *refbatch.Row
	findings []refbatch.Finding
}

// loaded is an input file read and checked whole.
type loaded struct {
	policy *rules.Policy
	v      Validation
	rows   []loadedRow
}

// load reads file keeping every row (plan lays them all out).
func (c *Client) load(ctx context.Context, file string, in InputOptions) (*loaded, error) {
	policy, err := LoadPolicy(in, c.cfg.Today)
	if err != nil {
		return nil, err
	}
	l := &loaded{policy: policy}
	v, err := readFile(ctx, file, in, policy, c.cfg.Workers, Hooks{Row: func(row *refbatch.Row, findings []refbatch.Finding) error {
		l.rows = append(l.rows, loadedRow{row: row, findings: findings})
		return nil
	}}, true, "")
	if err != nil {
		return nil, err
	}
	l.v = v
	return l, nil
}

// rowFacts is what planning needs of a row: no cells, so that a run holds
// a few hundred bytes a row while it plans, not the row.
type rowFacts struct {
	number     int
	key        refbatch.RowKey
	action     string
	referralID string
	ext        string
	valid      bool
	firstError string
	notLoaded  string // Row.NotLoadedNote: the row is recorded, never sent
	hash       string
}

func factsOf(row *refbatch.Row, findings []refbatch.Finding) rowFacts {
	return rowFacts{number: row.Number, key: refbatch.KeyOf(row), action: row.Action, referralID: row.ReferralID,
		ext: row.ExternalReferenceID, valid: !hasErrors(findings) && row.NotLoaded == "", firstError: firstError(findings),
		notLoaded: row.NotLoadedNote(), hash: refbatch.ContentHash(row)}
}

// row is the part of a row the upsert decision reads.
func (f rowFacts) row() *refbatch.Row {
	return &refbatch.Row{Number: f.number, Action: f.action, ReferralID: f.referralID, ExternalReferenceID: f.ext}
}

// scanned is an input file read and checked whole, keeping each row's facts.
type scanned struct {
	policy *rules.Policy
	v      Validation
	rows   []rowFacts // with keep
	count  int
}

// planFile plans a new run's rows as they are read again (the second pass,
// once the first proved the file whole), a chunk at a time into the
// journal: a run never holds the file's rows, nor their facts. Rows for
// which journaled (if not nil) says true are left as they are. It returns
// how many rows planning finished (skipped for errors, not loaded, failed
// as ambiguous): the run's progress counts them done from the start.
func (c *Client) planFile(ctx context.Context, run refbatch.RunInfo, in InputOptions, policy *rules.Policy, journaled map[int]bool) (finished int, err error) {
	chunk := make([]rowFacts, 0, planChunk)
	put := func(recs []refbatch.RowRecord) error {
		for _, r := range recs {
			if r.Outcome.Final() {
				finished++
			}
		}
		return c.jr.PutRows(ctx, run.ID, recs)
	}
	_, err = readFile(ctx, run.InputPath, in, policy, c.cfg.Workers, Hooks{Row: func(row *refbatch.Row, findings []refbatch.Finding) error {
		if journaled[row.Number] {
			return nil
		}
		chunk = append(chunk, factsOf(row, findings))
		if len(chunk) < planChunk {
			return nil
		}
		err := c.planRecords(ctx, chunk, put)
		chunk = chunk[:0]
		return err
	}}, false, run.InputSHA256)
	if err != nil {
		return finished, err
	}
	err = c.planRecords(ctx, chunk, put)
	return finished, err
}

// scan reads and checks file (the first pass of a run or resume), handing
// the rows back as it goes; with keep it keeps the facts of every row
// (resume re-plans from them), else only their count.
func (c *Client) scan(ctx context.Context, file string, in InputOptions, keep bool) (*scanned, error) {
	policy, err := LoadPolicy(in, c.cfg.Today)
	if err != nil {
		return nil, err
	}
	sc := &scanned{policy: policy}
	v, err := readFile(ctx, file, in, policy, c.cfg.Workers, Hooks{Row: func(row *refbatch.Row, findings []refbatch.Finding) error {
		sc.count++
		if keep {
			sc.rows = append(sc.rows, factsOf(row, findings))
		}
		return nil
	}}, false, "")
	if err != nil {
		return nil, err
	}
	sc.v = v
	return sc, nil
}

// plannedRecord is the journal record of a freshly read row, after the
// upsert decision t.
func plannedRecord(f rowFacts, t engine.Target) refbatch.RowRecord {
	rec := refbatch.RowRecord{Number: f.number, Key: f.key, Action: f.action, Valid: f.valid, Hash: f.hash}
	if f.notLoaded != "" {
		// Recorded, so that status and export account for every row.
		rec.Action, rec.Outcome, rec.Error = "", refbatch.OutcomeNotLoaded, f.notLoaded
		return rec
	}
	if !rec.Valid {
		rec.Outcome = refbatch.OutcomeSkippedInvalid
		rec.Error = f.firstError
		return rec
	}
	rec.Outcome = refbatch.OutcomePending
	rec.Action = t.Action
	if t.Upsert {
		rec.ReferralID, rec.EngagementID, rec.MicrosoftReferralID = t.Referral.ID, t.Referral.EngagementID, t.MicrosoftReferralID
	}
	return rec
}

// planChunk is how many rows are planned with one lookup.
const planChunk = 500

// planRecords makes the journal records of freshly read rows, deciding
// upsert once for all of them (engine.Resolve), and hands each chunk's to
// put (the journal's PutRows).
func (c *Client) planRecords(ctx context.Context, rows []rowFacts, put func([]refbatch.RowRecord) error) error {
	out := make([]refbatch.RowRecord, 0, planChunk)
	for start := 0; start < len(rows); start += planChunk {
		out = out[:0]
		part := rows[start:min(start+planChunk, len(rows))]
		var ids []string
		for _, f := range part {
			if f.ext != "" {
				ids = append(ids, f.ext)
			}
		}
		known, err := c.jr.LookupMany(ctx, ids)
		if err != nil {
			return err
		}
		for _, f := range part {
			var kp *refbatch.Known
			if k, ok := known[strings.ToLower(f.ext)]; ok && f.ext != "" {
				kp = &k
			}
			row := f.row()
			t := engine.Resolve(row, kp)
			rec := plannedRecord(f, t)
			if rec.Valid && len(t.Also) > 0 {
				rec.Outcome, rec.Error = refbatch.OutcomeFailed, engine.AmbiguousMessage(row, t)
			}
			out = append(out, rec)
		}
		if err := put(out); err != nil {
			return err
		}
	}
	return nil
}

// Run validates file, journals a new run of it and executes its valid
// rows. It refuses to start while an earlier run of the journal has writes
// in doubt. The error is nil only when every row succeeded; it wraps
// refbatch.ErrFindings when rows failed, were skipped or are unfinished,
// context.Canceled when the run was stopped, and refbatch.ErrFatal when the
// API refused the credentials. The Result is not nil once the run started.
func (c *Client) Run(ctx context.Context, file string) (*Result, error) {
	feed, ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	in, err := c.scan(ctx, file, c.cfg.Input, false)
	if err != nil {
		return nil, err
	}
	if feed.Err() != nil {
		// Stopped while the file was read: nothing is journaled.
		return nil, fmt.Errorf("run stopped before it started: %w", context.Canceled)
	}
	if err := c.refuseOverDoubt(ctx); err != nil {
		return nil, err
	}
	if err := c.bind(ctx); err != nil {
		return nil, err
	}
	now := c.cfg.Now
	run := refbatch.RunInfo{
		ID:          refbatch.NewRunID(now()),
		RulesHash:   in.policy.Hash(),
		TablesHash:  in.policy.Tables().Hash(),
		InputPath:   file,
		InputSHA256: in.v.SHA256,
		Options:     c.cfg.Input.encode(),
		Endpoint:    c.ep.name(),
		Started:     now().UTC(),
	}
	conn, err := c.connect(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	// What Partner Center holds, before anything is planned: a create row
	// whose External Reference ID it already holds updates that referral.
	// Stop (the first Ctrl-C) reaches the listing and the planning too:
	// nothing is sent before them, and a run stopped while planning is
	// finished by resume (RunInfo.Planned).
	mirror, err := c.refreshMirror(feed, conn.api)
	if err != nil {
		return nil, err
	}
	if err := c.jr.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	finished, err := c.planFile(feed, run, c.cfg.Input, in.policy, nil)
	if err != nil {
		return nil, err
	}
	if err := c.jr.MarkPlanned(ctx, run.ID); err != nil {
		return nil, err
	}
	x := execution{run: run, policy: in.policy, input: c.cfg.Input, v: in.v, rows: in.count, finished: finished, res: Result{Mirror: mirror},
		holdCreates: c.holdCreatesAfter(mirror)}
	return c.execute(feed, ctx, conn, x)
}

// bind makes the journal belong to the client's endpoint, or refuses when
// it belongs to another: before anything is sent.
func (c *Client) bind(ctx context.Context) error {
	tenant := ""
	if tok, err := c.ep.Token.Token(ctx); err == nil {
		tenant = credentials.TenantOf(tok)
	}
	if err := c.jr.Bind(ctx, c.ep.name(), tenant); err != nil {
		if errors.Is(err, journal.ErrOtherEndpoint) {
			return fmt.Errorf("%w: %w", refbatch.ErrUsage, err)
		}
		return err
	}
	return nil
}

// connection is the API a run talks to, paced by its limiter.
type connection struct {
	api     *partnercenter.Referrals
	limiter *engine.AdaptiveLimiter
}

// connect builds the client of one run: its correlation id, the adaptive
// limiter starting from the rate the last run against the endpoint ended
// at (so the first requests never burst far above it), the observer.
func (c *Client) connect(ctx context.Context, run refbatch.RunID) (*connection, error) {
	ao := engine.AdaptiveOptions{Max: c.cfg.Rate}
	if c.cfg.Rate == 0 {
		if r, ok, err := c.jr.LearntRate(ctx, c.ep.name()); err != nil {
			return nil, err
		} else if ok {
			ao.Learnt = r.Rate
		}
	}
	limiter := engine.NewAdaptiveLimiter(ao)
	hc := c.ep.HTTPClient
	if hc == nil {
		// Keep a connection per row in flight: Go's default of two idle
		// connections per host made 1,182 new connections (TLS handshakes,
		// on the real API) for 3,000 rows at concurrency 8.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 2 * c.cfg.Concurrency
		hc = &http.Client{Transport: transport}
	}
	obs := c.cfg.Observer
	client, err := partnercenter.NewClient(c.ep.URL,
		partnercenter.WithHTTPClient(hc),
		partnercenter.WithTokenSource(c.ep.Token),
		partnercenter.WithCorrelationID(string(run)),
		partnercenter.WithClock(c.cfg.Now),
		partnercenter.WithLimiter(limiter),
		partnercenter.WithLogger(c.cfg.Logger),
		partnercenter.WithObserver(func(a partnercenter.Attempt) {
			limiter.Observe(a.StatusCode)
			if obs.Request != nil {
				obs.Request(a.StatusCode)
			}
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", refbatch.ErrUsage, err)
	}
	return &connection{api: partnercenter.NewReferrals(client), limiter: limiter}, nil
}

// refuseOverDoubt refuses a new run while an earlier run in the journal has
// writes in doubt (sent, answer never recorded): a new run cannot know
// whether those creates happened, and could make them twice. Resume
// reconciles them.
func (c *Client) refuseOverDoubt(ctx context.Context) error {
	runs, err := c.jr.Runs(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if !run.Finished.IsZero() {
			continue
		}
		steps, err := c.jr.SentWrites(ctx, run.ID)
		if err != nil {
			return err
		}
		if n := len(steps); n > 0 {
			return fmt.Errorf("%w: %s stopped with %s in doubt: a new run could apply them twice. Finish it first: refbatch resume --journal %s %s",
				refbatch.ErrUsage, describe(run), plural(n, "write", "writes"), ShellQuote(c.jr.Path()), run.ID)
		}
	}
	return nil
}

// execution is everything one run or resume executes with.
type execution struct {
	run      refbatch.RunInfo
	policy   *rules.Policy
	input    InputOptions
	v        Validation // the first pass's
	rows     int        // rows in the file
	finished int        // of them, finished before this attempt (or by planning)
	retry    bool       // resume --retry-failed
	resumed  bool
	res      Result
	// holdCreates is when creates may go, after a first, full listing of
	// the endpoint (a new, lost or damaged journal): a listing read now may
	// not show a referral created in the last settle time (listings lag),
	// so the create rows wait until then and meet a fresh refresh of the
	// mirror first. Zero: no wait.
	holdCreates time.Time
}

// execOptions are the engine's options for the rows of run, as a run,
// resume and sync all send them: one set, so that a row is checked alike
// (the live re-check with policy's rules) whichever of them takes it up.
func (c *Client) execOptions(run refbatch.RunID, conn *connection, policy *rules.Policy) engine.ExecOptions {
	obs := c.cfg.Observer
	return engine.ExecOptions{
		Run:          run,
		API:          conn.api,
		Mapper:       partnercenter.NewMapper(),
		Journal:      c.jr,
		NewPolicy:    func() engine.Policy { return policy.NewEvaluator() },
		Concurrency:  c.cfg.Concurrency,
		RegisterWait: cmp.Or(c.cfg.RegisterWait, c.ep.RegisterWait),
		Settle:       c.settle(),
		Logger:       c.cfg.Logger,
		Now:          c.cfg.Now,
		Observer:     engine.Observer{RowFinished: obs.RowFinished, StepSent: obs.StepSent, LiveWarning: obs.LiveWarning},
	}
}

// holdCreatesAfter is execution.holdCreates for a run or resume whose
// mirror refresh was m.
func (c *Client) holdCreatesAfter(m MirrorRefresh) time.Time {
	if !m.Full {
		return time.Time{}
	}
	return c.cfg.Now().Add(c.settle())
}

// execChunk is how many rows of the file are run at once. The file is read
// a second time and fed to the engine a chunk at a time, so a run holds a
// chunk's rows, not the file's: memory does not grow with the rows.
const execChunk = 1000

// execute runs the rows and gathers the result. It reads the file again,
// row by row: each row must be as the run planned it (its content hash),
// rows already finished are skipped, and the others run a chunk at a time.
// A row left in doubt waiting for its settle time (and every later row with
// its key) is held back and run at the end, once, with the wait.
// feedCtx ends at Stop, ctx (the work context) at StopAndCancel.
func (c *Client) execute(feedCtx, ctx context.Context, conn *connection, x execution) (*Result, error) {
	workCtx := ctx
	res := &x.res
	res.Run, res.Journal, res.Resumed, res.Input = x.run, c.jr.Path(), x.resumed, x.v.Summary
	obs := c.cfg.Observer
	if obs.Started != nil {
		obs.Started(Started{Run: x.run, Resumed: x.resumed, Input: x.v.Summary, Rows: x.rows, Finished: x.finished,
			Replanned: res.Replanned, PolicyChanged: res.PolicyChanged})
	}
	opts := c.execOptions(x.run.ID, conn, x.policy)
	opts.RetryFailed = x.retry
	opts.NoSettleWait = true
	start := c.cfg.Now()
	c.waitOptions(&opts, start)
	var (
		held     []*refbatch.Row // rows run at the end, in file order
		heldKeys = map[refbatch.RowKey]bool{}
		chunk    []*refbatch.Row
	)
	runChunk := func() error {
		if len(chunk) == 0 {
			return nil
		}
		rows := chunk
		chunk = nil
		numbers := make([]int, len(rows))
		for i, r := range rows {
			numbers[i] = r.Number
		}
		recs, err := c.jr.RowsOf(workCtx, x.run.ID, numbers)
		if err != nil {
			return err
		}
		byNumber := make(map[int]refbatch.RowRecord, len(recs))
		for _, r := range recs {
			byNumber[r.Number] = r
		}
		planned := make([]*engine.Planned, 0, len(rows))
		for _, row := range rows {
			rec, ok := byNumber[row.Number]
			if !ok {
				continue
			}
			if rec.Hash != "" && rec.Hash != refbatch.ContentHash(row) {
				return fmt.Errorf("%w: %s: row %d is not the row the run planned; resume to go on with the file as it is now",
					refbatch.ErrInputChanged, x.run.InputPath, row.Number)
			}
			if rec.Outcome.Final() && !(x.retry && rec.Outcome == refbatch.OutcomeFailed) {
				continue
			}
			if rec.Key != "" && heldKeys[rec.Key] {
				held = append(held, row) // after the held row of its key
				continue
			}
			if !x.holdCreates.IsZero() && rec.Action == refbatch.ActionCreate {
				held = append(held, row) // after the listing has caught up
				if rec.Key != "" {
					heldKeys[rec.Key] = true
				}
				continue
			}
			planned = append(planned, &engine.Planned{Row: row, Record: rec})
		}
		if len(planned) == 0 {
			return nil
		}
		out, err := engine.Execute(feedCtx, workCtx, planned, opts)
		notFinal := make(map[int]bool, len(out.NotFinal))
		for _, n := range out.NotFinal {
			notFinal[n] = true
		}
		for _, n := range out.Waiting {
			notFinal[n] = true // its key's later rows keep their place behind it
		}
		for _, p := range planned {
			if notFinal[p.Row.Number] {
				held = append(held, p.Row)
				if p.Record.Key != "" {
					heldKeys[p.Record.Key] = true
				}
			}
		}
		return err
	}
	_, runErr := readFile(ctx, x.run.InputPath, x.input, x.policy, c.cfg.Workers, Hooks{Row: func(row *refbatch.Row, _ []refbatch.Finding) error {
		if feedCtx.Err() != nil {
			return fmt.Errorf("run interrupted: %w", context.Canceled)
		}
		chunk = append(chunk, row)
		if len(chunk) < execChunk {
			return nil
		}
		return runChunk()
	}}, true, x.run.InputSHA256)
	if runErr == nil {
		runErr = runChunk()
	}
	// The held rows, with the wait for their settle time.
	if runErr == nil && len(held) > 0 && feedCtx.Err() == nil && !x.holdCreates.IsZero() {
		// A new journal's creates: once the listing shows what was
		// created before the first refresh, the mirror is read again and
		// a create whose External Reference ID it now holds updates.
		if runErr = sleepUntil(feedCtx, c.cfg.Now, x.holdCreates); runErr == nil {
			var m MirrorRefresh
			m, runErr = c.refreshMirror(workCtx, conn.api)
			res.Mirror.Listed += m.Listed
		}
	}
	if runErr == nil && len(held) > 0 && feedCtx.Err() == nil {
		opts.NoSettleWait = false
		numbers := make([]int, len(held))
		for i, r := range held {
			numbers[i] = r.Number
		}
		recs, err := c.jr.RowsOf(workCtx, x.run.ID, numbers)
		if err != nil {
			runErr = err
		} else {
			byNumber := make(map[int]refbatch.RowRecord, len(recs))
			for _, r := range recs {
				byNumber[r.Number] = r
			}
			planned := make([]*engine.Planned, 0, len(held))
			for _, row := range held {
				if rec, ok := byNumber[row.Number]; ok {
					planned = append(planned, &engine.Planned{Row: row, Record: rec})
				}
			}
			_, runErr = engine.Execute(feedCtx, workCtx, planned, opts)
		}
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, refbatch.ErrFatal) && ctx.Err() != nil {
		runErr = fmt.Errorf("run interrupted: %w", ctx.Err())
	}
	res.Elapsed = c.cfg.Now().Sub(start)
	res.Requests, res.Throttled = conn.limiter.Counts()

	bg := context.WithoutCancel(ctx)
	if err := c.count(bg, res); err != nil && runErr == nil {
		runErr = err
	}
	if rate, ok := conn.limiter.LearntRate(); ok && c.cfg.Rate == 0 {
		// The next run against this endpoint starts here, not at a burst.
		if err := c.jr.RememberRate(bg, c.ep.name(), rate); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr == nil || errors.Is(runErr, context.Canceled) || errors.Is(runErr, refbatch.ErrFatal) {
		run := x.run
		if runErr == nil && res.Unfinished == 0 && res.Waiting == 0 {
			run.Finished = c.cfg.Now().UTC()
			res.Run.Finished = run.Finished
		}
		if err := c.jr.UpdateRun(bg, run); err != nil && runErr == nil {
			runErr = err
		}
	}
	if err := c.gatherProblems(bg, res); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return res, runErr
	}
	return res, res.verdict(c.cfg.Strict)
}

// count fills the result's rows by outcome from the journal.
func (c *Client) count(ctx context.Context, res *Result) error {
	digests, err := c.jr.RowDigests(ctx, res.Run.ID)
	if err != nil {
		return err
	}
	res.Counts, res.Unfinished, res.Waiting = map[refbatch.Outcome]int{}, 0, 0
	for _, d := range digests {
		res.Counts[d.Outcome]++
		switch {
		case d.Outcome == refbatch.OutcomeWaiting:
			res.Waiting++
		case !d.Outcome.Final():
			res.Unfinished++
		}
	}
	return nil
}

// waitOptions sets how the engine treats rows that wait: their deadline,
// the age a registration waits for, and the start of this attempt (a
// waiting row is checked once an attempt, then left for sync).
func (c *Client) waitOptions(opts *engine.ExecOptions, start time.Time) {
	opts.AcceptDeadline = c.cfg.AcceptDeadline
	opts.RegisterAge = cmp.Or(c.cfg.RegisterAge, c.ep.RegisterAge)
	if opts.RegisterAge < 0 {
		opts.RegisterAge = 0
	}
	opts.CheckedSince = start
}

// verdict is the error a finished run returns: ErrFindings when rows are
// unfinished, failed or skipped (or, strict, the file had warnings).
func (r *Result) verdict(strict bool) error {
	switch {
	case r.Unfinished > 0:
		return fmt.Errorf("%w: %s not finished (in doubt or pending)", refbatch.ErrFindings, plural(r.Unfinished, "row is", "rows are"))
	case r.Counts[refbatch.OutcomeFailed] > 0 || r.Counts[refbatch.OutcomeSkippedInvalid] > 0:
		return fmt.Errorf("%w: %d failed, %d skipped for errors", refbatch.ErrFindings, r.Counts[refbatch.OutcomeFailed], r.Counts[refbatch.OutcomeSkippedInvalid])
	case strict && r.Input.Warnings > 0:
		return fmt.Errorf("%w: %s (strict)", refbatch.ErrFindings, plural(r.Input.Warnings, "warning", "warnings"))
	case r.Waiting > 0:
		return fmt.Errorf("%w: %s for Partner Center; refbatch sync advances them", refbatch.ErrWaiting, plural(r.Waiting, "row waits", "rows wait"))
	}
	return nil
}

// gatherProblems fills the rows that failed, were skipped or are in doubt,
// and how many of the failed ones a retry may pass.
func (c *Client) gatherProblems(ctx context.Context, res *Result) error {
	digests, err := c.jr.RowDigests(ctx, res.Run.ID)
	if err != nil {
		return err
	}
	var numbers []int
	for _, d := range digests {
		switch d.Outcome {
		case refbatch.OutcomeFailed, refbatch.OutcomeSkippedInvalid, refbatch.OutcomeInDoubt, refbatch.OutcomeWaiting:
			numbers = append(numbers, d.Number)
		}
	}
	digests = nil
	rows, err := c.jr.RowsOf(ctx, res.Run.ID, numbers)
	if err != nil {
		return err
	}
	res.Problems = rows
	sort.Slice(res.Problems, func(i, j int) bool { return res.Problems[i].Number < res.Problems[j].Number })
	steps, err := c.jr.UnfinishedSteps(ctx, res.Run.ID) // failed rows are among them
	if err != nil {
		return err
	}
	retry := map[int]bool{}
	for _, s := range steps {
		if s.State == refbatch.StateFailed && s.ErrorCode.Retryable() {
			retry[s.Row] = true
		}
	}
	res.Retryable = len(retry)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// sleepUntil waits until now() reaches t, or ctx ends.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) error {
	d := t.Sub(now())
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("run interrupted: %w", context.Cause(ctx))
	}
}
