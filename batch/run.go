package batch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
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

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// loadedRow is one input row with its findings. A row a resume does not
// need (finished, unchanged) keeps only its number and hash: row is nil.
type loadedRow struct {
	row      *refbatch.Row
	findings []refbatch.Finding
	number   int
	hash     string
}

// loaded is an input file read and checked whole.
type loaded struct {
	policy *rules.Policy
	v      Validation
	rows   []loadedRow
}

// load reads file keeping the rows a run needs; keep (nil: all) says,
// from a row's number and content hash, whether it may still run.
func (c *Client) load(ctx context.Context, file string, in InputOptions, keep func(number int, hash string) bool) (*loaded, error) {
	policy, err := LoadPolicy(in, c.cfg.Today)
	if err != nil {
		return nil, err
	}
	l := &loaded{policy: policy}
	v, err := readFile(ctx, file, in, policy, c.cfg.Workers, Hooks{Row: func(row *refbatch.Row, findings []refbatch.Finding) error {
		lr := loadedRow{row: row, findings: findings, number: row.Number, hash: refbatch.ContentHash(row)}
		if keep != nil && !keep(lr.number, lr.hash) {
			lr.row, lr.findings = nil, nil
		}
		l.rows = append(l.rows, lr)
		return nil
	}}, true)
	if err != nil {
		return nil, err
	}
	l.v = v
	return l, nil
}

// plannedRecord is the journal record of a freshly read row, after the
// upsert decision t.
func plannedRecord(lr loadedRow, t engine.Target) refbatch.RowRecord {
	rec := refbatch.RowRecord{
		Number: lr.row.Number,
		Key:    refbatch.KeyOf(lr.row),
		Action: lr.row.Action,
		Valid:  !HasErrors(lr.findings),
		Hash:   lr.hash,
	}
	if !rec.Valid {
		rec.Outcome = refbatch.OutcomeSkippedInvalid
		rec.Error = FirstError(lr.findings)
		return rec
	}
	rec.Outcome = refbatch.OutcomePending
	rec.Action = t.Action
	if t.Upsert {
		rec.ReferralID, rec.EngagementID, rec.MicrosoftReferralID = t.Referral.ID, t.Referral.EngagementID, t.MicrosoftReferralID
	}
	return rec
}

// planRecords makes the journal records of freshly read rows, deciding
// upsert once for all of them (engine.Resolve).
func (c *Client) planRecords(ctx context.Context, rows []loadedRow) (map[int]refbatch.RowRecord, error) {
	var ids []string
	for _, lr := range rows {
		if lr.row.ExternalReferenceID != "" {
			ids = append(ids, lr.row.ExternalReferenceID)
		}
	}
	known, err := c.jr.LookupMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int]refbatch.RowRecord, len(rows))
	for _, lr := range rows {
		var kp *refbatch.Known
		if k, ok := known[strings.ToLower(lr.row.ExternalReferenceID)]; ok && lr.row.ExternalReferenceID != "" {
			kp = &k
		}
		t := engine.Resolve(lr.row, kp)
		rec := plannedRecord(lr, t)
		if rec.Valid && len(t.Also) > 0 {
			rec.Outcome, rec.Error = refbatch.OutcomeFailed, engine.AmbiguousMessage(lr.row, t)
		}
		out[lr.row.Number] = rec
	}
	return out, nil
}

// Run validates file, journals a new run of it and executes its valid
// rows. It refuses to start while an earlier run of the journal has writes
// in doubt. The error is nil only when every row succeeded; it wraps
// refbatch.ErrFindings when rows failed, were skipped or are unfinished,
// context.Canceled when the run was stopped, and refbatch.ErrFatal when the
// API refused the credentials. The Result is not nil once the run started.
func (c *Client) Run(ctx context.Context, file string) (*Result, error) {
	if err := c.needRun(); err != nil {
		return nil, err
	}
	// Stop and StopAndCancel reach the run from here on.
	feed, ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	in, err := c.load(ctx, file, c.cfg.Input, nil)
	if err != nil {
		return nil, err
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
	mirror, err := c.refreshMirror(ctx, conn.api)
	if err != nil {
		return nil, err
	}
	if err := c.jr.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	records, err := c.planRecords(ctx, in.rows)
	if err != nil {
		return nil, err
	}
	list := make([]refbatch.RowRecord, 0, len(records))
	for _, lr := range in.rows {
		list = append(list, records[lr.row.Number])
	}
	if err := c.jr.PutRows(ctx, run.ID, list); err != nil {
		return nil, err
	}
	return c.execute(feed, ctx, conn, execution{run: run, in: in, records: records, res: Result{Mirror: mirror}})
}

// bind makes the journal belong to the client's endpoint, or refuses when
// it belongs to another: before anything is sent.
func (c *Client) bind(ctx context.Context) error {
	tenant := ""
	if tok, err := c.ep.Token.Token(ctx); err == nil {
		tenant = TenantOf(tok)
	}
	if err := c.jr.Bind(ctx, c.ep.name(), tenant); err != nil {
		if errors.Is(err, journal.ErrOtherEndpoint) {
			return fmt.Errorf("%w: %w", refbatch.ErrUsage, err)
		}
		return err
	}
	return nil
}

// TenantOf is the Azure AD tenant an access token names (its tid claim),
// "" when the token is not a JWT that says. The token is not verified:
// Partner Center does that; the journal only uses the tenant to refuse
// runs for another tenant.
func TenantOf(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		TID string `json:"tid"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.TID
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
	run     refbatch.RunInfo
	in      *loaded
	records map[int]refbatch.RowRecord // by row number, as the journal has them
	retry   bool                       // resume --retry-failed
	resumed bool
	res     Result
}

// execute runs the rows and gathers the result.
// feedCtx ends at Stop, ctx (the work context) at StopAndCancel.
func (c *Client) execute(feedCtx, ctx context.Context, conn *connection, x execution) (*Result, error) {
	workCtx := ctx
	res := &x.res
	res.Run, res.Journal, res.Resumed, res.Input = x.run, c.jr.Path(), x.resumed, x.in.v.Summary
	obs := c.cfg.Observer

	planned := make([]*engine.Planned, 0, len(x.in.rows))
	// finishedBefore counts the rows resume did not even keep (finished and
	// unchanged): the engine never sees them, the result does.
	finishedBefore := map[refbatch.Outcome]int{}
	finished := 0
	for _, lr := range x.in.rows {
		rec, ok := x.records[lr.number]
		if !ok {
			continue
		}
		if rec.Outcome.Final() && !(x.retry && rec.Outcome == refbatch.OutcomeFailed) {
			finished++
		}
		if lr.row == nil {
			finishedBefore[rec.Outcome]++
			continue
		}
		planned = append(planned, &engine.Planned{Row: lr.row, Record: rec})
	}
	if obs.Started != nil {
		obs.Started(Started{Run: x.run, Resumed: x.resumed, Input: x.in.v.Summary, Rows: len(x.in.rows), Finished: finished,
			Replanned: res.Replanned, PolicyChanged: res.PolicyChanged})
	}

	start := c.cfg.Now()
	out, runErr := engine.Execute(feedCtx, workCtx, planned, engine.ExecOptions{
		Run:          x.run.ID,
		API:          conn.api,
		Mapper:       partnercenter.NewMapper(),
		Journal:      c.jr,
		NewPolicy:    func() engine.Policy { return x.in.policy.NewEvaluator() },
		Concurrency:  c.cfg.Concurrency,
		RetryFailed:  x.retry,
		RegisterWait: c.cfg.RegisterWait,
		Settle:       c.settle(),
		Logger:       c.cfg.Logger,
		Now:          c.cfg.Now,
		Observer:     engine.Observer{RowFinished: obs.RowFinished, StepSent: obs.StepSent},
	})
	res.Elapsed = c.cfg.Now().Sub(start)
	res.Counts, res.Unfinished = out.Counts, out.Unfinished
	if res.Counts == nil {
		res.Counts = map[refbatch.Outcome]int{}
	}
	for o, n := range finishedBefore {
		res.Counts[o] += n
	}
	res.Requests, res.Throttled = conn.limiter.Counts()

	bg := context.WithoutCancel(ctx)
	if rate, ok := conn.limiter.LearntRate(); ok && c.cfg.Rate == 0 {
		// The next run against this endpoint starts here, not at a burst.
		if err := c.jr.RememberRate(bg, c.ep.name(), rate); err != nil && runErr == nil {
			runErr = err
		}
	}
	if runErr == nil || errors.Is(runErr, context.Canceled) || errors.Is(runErr, refbatch.ErrFatal) {
		run := x.run
		if runErr == nil && res.Unfinished == 0 {
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
	}
	return nil
}

// gatherProblems fills the rows that failed, were skipped or are in doubt,
// and how many of the failed ones a retry may pass.
func (c *Client) gatherProblems(ctx context.Context, res *Result) error {
	rows, err := c.jr.Rows(ctx, res.Run.ID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		switch r.Outcome {
		case refbatch.OutcomeFailed, refbatch.OutcomeSkippedInvalid, refbatch.OutcomeInDoubt:
			res.Problems = append(res.Problems, r)
		}
	}
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
