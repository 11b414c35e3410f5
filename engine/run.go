package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/sourcegraph/conc/pool"

	"github.com/refbatch/refbatch"
)

// Planned is one input row of a run and where the journal says it stands.
// The engine keeps the *Row for the whole run (retries, per-key queues,
// reconciliation rounds): whoever read it must not recycle it.
type Planned struct {
	Row    *refbatch.Row
	Record refbatch.RowRecord
}

// Observer receives the run's progress. Its callbacks default to no-ops and
// are called from several goroutines at once; they must be quick.
type Observer struct {
	// RowFinished is called when a row reaches an outcome (in-doubt
	// included; pending, the outcome of an interrupted row, is not).
	RowFinished func(rec refbatch.RowRecord)
	// StepSent is called just before a step's request leaves.
	StepSent func(row int, step refbatch.StepName)
	// LiveWarning is called with each warning the live re-check
	// (LiveFindings) finds about a row, once per row; its errors fail the
	// row instead.
	LiveWarning func(row int, f refbatch.Finding)
}

// ExecOptions configure Execute.
type ExecOptions struct {
	Run     refbatch.RunID
	API     API
	Mapper  Mapper
	Journal Journal
	// NewPolicy returns a policy checker for one goroutine; it re-checks
	// status transitions against the live referral before a patch. nil: no
	// live check.
	NewPolicy func() Policy
	// Concurrency bounds the rows in flight (default 8).
	Concurrency int
	// RetryFailed re-runs rows that failed with a retryable error in an
	// earlier attempt of this run.
	RetryFailed bool
	// RegisterWait is how long a deal registration may wait within this
	// Execute for Microsoft to accept its co-sell referral (eligibility
	// failing only on isMicrosoftReferralAcceptedOrWon), polling; 0: one
	// check. A row still not accepted then is left waiting
	// (refbatch.OutcomeWaiting) for sync or resume.
	RegisterWait time.Duration
	// AcceptDeadline is how long a deal registration waits in all for
	// Microsoft to accept, from the co-sell link (else from its first
	// check), before the row fails (default DefaultAcceptDeadline).
	AcceptDeadline time.Duration
	// RegisterAge is how old a referral must be before its deal is
	// registered: a younger one is left waiting until then; 0: no wait
	// (the lifecycle-register warning says it).
	RegisterAge time.Duration
	// CheckedSince is when this attempt began: a waiting row already
	// checked since is not checked again (a run checks each waiting row
	// once, then leaves it). Zero: when Execute began.
	CheckedSince time.Time
	// ReconcileMargin widens the window in which a create whose answer was
	// lost is looked for: the listing goes back to the step's sent time,
	// moved onto the service's clock (see ClockSkewer), minus this margin.
	// Default 10 minutes.
	ReconcileMargin time.Duration
	// NoSettleWait returns as soon as only rows waiting for their settle
	// time are left, in doubt: a caller that feeds the rows in chunks runs
	// them (and the rows of their keys) in a last Execute that waits.
	NoSettleWait bool
	// Settle is how long after a create or link was sent the listing can
	// prove it absent: listings are eventually consistent, so one read
	// sooner may not show a referral that exists. Rows whose writes are in
	// doubt wait (the others go on) until it has passed; Execute returns
	// only after that, unless stopped. Default DefaultSettle.
	Settle time.Duration
	// MaxAttempts bounds how often one step is sent in all, after answers
	// that say it was not applied (429, 503, network errors before
	// sending); default 6. The engine is the one layer that retries a step:
	// partnercenter.Referrals makes each of its requests once.
	MaxAttempts int
	// ReconcileRounds bounds how often rows left in doubt are reconciled
	// and resumed within one Execute (default 3).
	ReconcileRounds int
	// MaxListed bounds how many referrals one reconciliation listing reads
	// before it gives up, leaving its steps in doubt (default 2,000,000).
	MaxListed int

	Logger   *slog.Logger
	Observer Observer
	// Now is the clock (default time.Now); NewRequestID draws
	// client-request-ids (default random GUIDs).
	Now          func() time.Time
	NewRequestID func() string
}

// DefaultSettle is the settle time against the real service: longer than
// a request can live (the client gives an attempt 2 minutes, and a gateway
// may still commit a create it timed out on) plus the seconds the listing
// lags, so a create the service committed after the client gave up on it
// is still found.
const DefaultSettle = 5 * time.Minute

// DefaultAcceptDeadline is how long a deal registration waits for
// Microsoft to accept its co-sell referral: Microsoft has 14 days to accept
// or decline one before it expires (the documented window; the sandbox's
// ExpireAfter models it).
const DefaultAcceptDeadline = 14 * 24 * time.Hour

// ClockSkewer is implemented by an API that knows how far the service's
// clock is ahead of this machine's (its Date headers). Reconciliation
// compares the service's createdDateTime with sent times moved onto the
// service's clock through it, so a client clock that is hours off changes
// nothing.
type ClockSkewer interface {
	ClockSkew() (time.Duration, bool)
}

// Result is what Execute did.
type Result struct {
	Counts map[refbatch.Outcome]int // every row of the run by outcome
	// NotFinal are the numbers of the rows left pending or in doubt, in
	// file order: resume finishes them.
	NotFinal []int
	// Waiting are the numbers of the rows left waiting, in file order:
	// sync or resume advances them.
	Waiting []int
}

// Unfinished counts the rows left pending or in doubt.
func (r Result) Unfinished() int { return len(r.NotFinal) }

// Execute runs the steps of every valid row that is not finished yet and
// records each step in the journal: sent before its request leaves, done or
// failed when the answer is in. Rows with the same key run one after
// another in file order; all others run concurrently, at most Concurrency
// at a time.
//
// Shutdown has two stages (river's StartWorkContext): when feedCtx ends no
// new rows start and the rows in flight finish their steps; when workCtx
// ends the requests in flight are cancelled, and the journal says which
// steps are in doubt. Either way Execute returns an error wrapping
// context.Canceled after the journal is consistent. A fatal error (no
// valid token, 401/403) stops the run the same way and is returned wrapped
// in refbatch.ErrFatal.
//
// Steps left "sent" by an earlier, interrupted Execute are reconciled
// before anything is sent again: a create is looked for in the listing of
// the newest referrals, a link in its engagement, a patch or registration
// in a fresh get. Only what is provably absent is sent again.
func Execute(feedCtx, workCtx context.Context, rows []*Planned, opts ExecOptions) (Result, error) {
	x, err := newExecutor(opts)
	if err != nil {
		return Result{}, err
	}
	feedCtx, stopFeed := context.WithCancel(feedCtx)
	defer stopFeed()
	x.stopFeed = stopFeed

	runs, err := x.load(workCtx, rows)
	if err != nil {
		return Result{}, err
	}
	if err := x.loadKnown(workCtx, runs); err != nil {
		return Result{}, err
	}
	groups := groupByKey(runs)

	waits := 0
	for round := 0; ; round++ {
		// Creates left in doubt (by a crash, or by a lost answer in the
		// previous round) are reconciled together: one listing serves all
		// whose settle time has passed.
		listingFailed := false
		if doubt := x.createsInDoubt(groups); len(doubt) > 0 && feedCtx.Err() == nil {
			if err := x.reconcileCreates(workCtx, doubt); err != nil {
				listingFailed = true
				x.log.Warn("reconcile creates: listing cut short; their rows stay in doubt", "rows", len(doubt), "err", err)
			}
		}
		todo := x.unfinished(groups)
		if len(todo) == 0 || round > x.opts.ReconcileRounds {
			break
		}
		x.runGroups(feedCtx, workCtx, todo)
		// Another round only helps when the listing can be read.
		if feedCtx.Err() != nil || x.fatalErr() != nil || listingFailed || !x.anyInDoubt(groups) {
			break
		}
		// Rows whose creates or links are in doubt wait for the listing to
		// settle; waiting is not a round.
		if _, ok := x.nextSettled(groups); ok && x.opts.NoSettleWait {
			break
		}
		if at, ok := x.nextSettled(groups); ok && waits < maxSettleWaits {
			if d := at.Sub(x.opts.Now()); d > 0 {
				x.log.Info("waiting for Partner Center's listing to settle", "until", at.Format(time.RFC3339), "in", d.Round(time.Millisecond))
				if sleep(feedCtx, d) != nil {
					break
				}
				waits++
				round--
			}
		}
	}

	// Every path of a row ends in a write that takes its gathered changes;
	// this is the net under that.
	for _, r := range runs {
		if !r.pend.Empty() {
			_ = x.flush(workCtx, r)
		}
	}
	if err := x.opts.Journal.Flush(journalCtx(workCtx)); err != nil {
		x.stop(fmt.Errorf("%w: %w", errJournal, err))
	}
	res := Result{Counts: map[refbatch.Outcome]int{}}
	for _, r := range runs {
		res.Counts[r.rec.Outcome]++
		switch {
		case r.rec.Outcome == refbatch.OutcomeWaiting:
			res.Waiting = append(res.Waiting, r.rec.Number)
		case !r.rec.Outcome.Final():
			res.NotFinal = append(res.NotFinal, r.rec.Number)
		}
	}
	switch {
	case x.fatalErr() != nil:
		return res, fmt.Errorf("%w: %w", refbatch.ErrFatal, x.fatalErr())
	case workCtx.Err() != nil:
		return res, fmt.Errorf("run interrupted: %w", workCtx.Err())
	case feedCtx.Err() != nil:
		return res, fmt.Errorf("run interrupted: %w", context.Canceled)
	}
	return res, nil
}

type executor struct {
	opts     ExecOptions
	log      *slog.Logger
	obs      Observer
	policies chan Policy
	stopFeed context.CancelFunc

	fatalMu sync.Mutex
	fatal   error

	// known is what the journal remembers of the run's External Reference
	// IDs, read once at the start (LookupMany) and kept up to date with
	// what this run creates; the journal is locked to this process, so
	// nothing else can add to it meanwhile.
	knownMu sync.Mutex
	known   map[string]refbatch.Known

	// transient counts rows that failed one after another on passing
	// errors (the API down, unreachable, overloaded); past a threshold the
	// run stops instead of grinding through every row with backoff.
	transient atomic.Int64
	rndMu     sync.Mutex
	rnd       *rand.Rand
}

func newExecutor(opts ExecOptions) (*executor, error) {
	if opts.API == nil || opts.Mapper == nil || opts.Journal == nil {
		return nil, errors.New("engine: Execute needs an API, a Mapper and a Journal")
	}
	if opts.Run == "" {
		return nil, errors.New("engine: Execute needs a run id")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.ReconcileMargin <= 0 {
		opts.ReconcileMargin = 10 * time.Minute
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 6
	}
	if opts.ReconcileRounds <= 0 {
		opts.ReconcileRounds = 3
	}
	if opts.MaxListed <= 0 {
		opts.MaxListed = 2_000_000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AcceptDeadline <= 0 {
		opts.AcceptDeadline = DefaultAcceptDeadline
	}
	if opts.CheckedSince.IsZero() {
		opts.CheckedSince = opts.Now()
	}
	if opts.NewRequestID == nil {
		opts.NewRequestID = uuid.NewString
	}
	x := &executor{opts: opts, log: opts.Logger, obs: opts.Observer, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	if x.log == nil {
		x.log = slog.New(slog.DiscardHandler)
	}
	if opts.NewPolicy != nil {
		x.policies = make(chan Policy, opts.Concurrency)
		for range opts.Concurrency {
			x.policies <- opts.NewPolicy()
		}
	}
	return x, nil
}

// rowRun is one row during Execute. Only the goroutine running its key
// group touches it; rounds run one after another.
type rowRun struct {
	row   *refbatch.Row
	rec   refbatch.RowRecord
	steps map[refbatch.StepName]refbatch.StepRecord
	// doubtAt is when this process learnt that a write step is in doubt
	// (its answer lost, or found "sent" by a resume). The settle time runs
	// from it as well as from the step's sent time: a request may wait in
	// the limiter (a Retry-After pause) after it was journaled, so the
	// server can commit it well after SentAt; but never after this process
	// saw its answer fail, or, for a resume, after the process that sent it
	// died.
	doubtAt map[refbatch.StepName]time.Time
	// wait is what the row waits for, as the journal says (nil when it
	// does not wait).
	wait *refbatch.Wait
	// pend holds the row's journal writes that need not be durable yet
	// (a step's answer, an id remembered): they go in the same transaction
	// as the row's next "sent" or its outcome. A crash before that leaves
	// the step "sent", which resume reconciles.
	pend refbatch.Changes
	// warned is set once the live re-check's warnings were reported.
	warned bool
}

// take returns the row's gathered changes and forgets them.
func (r *rowRun) take(run refbatch.RunID) refbatch.Changes {
	c := r.pend
	c.Run = run
	r.pend = refbatch.Changes{}
	return c
}

func (r *rowRun) step(s refbatch.StepName) refbatch.StepRecord { return r.steps[s] }

func (x *executor) load(ctx context.Context, rows []*Planned) ([]*rowRun, error) {
	numbers := make([]int, len(rows))
	for i, p := range rows {
		numbers[i] = p.Record.Number
	}
	steps, err := x.opts.Journal.StepsOf(ctx, x.opts.Run, numbers)
	if err != nil {
		return nil, fmt.Errorf("read journal steps: %w", err)
	}
	byRow := map[int]map[refbatch.StepName]refbatch.StepRecord{}
	for _, s := range steps {
		m := byRow[s.Row]
		if m == nil {
			m = map[refbatch.StepName]refbatch.StepRecord{}
			byRow[s.Row] = m
		}
		m[s.Step] = s
	}
	// A row that waited keeps its wait (and its deadline) when a sync or
	// resume was stopped while checking it: pending and in-doubt rows may
	// have one too.
	var waiting []int
	for _, p := range rows {
		if !p.Record.Outcome.Final() && p.Record.Valid {
			waiting = append(waiting, p.Record.Number)
		}
	}
	waits := map[int]*refbatch.Wait{}
	if len(waiting) > 0 {
		ws, err := x.opts.Journal.WaitsOf(ctx, x.opts.Run, waiting)
		if err != nil {
			return nil, fmt.Errorf("read journal waits: %w", err)
		}
		for i := range ws {
			waits[ws[i].Row] = &ws[i]
		}
	}
	runs := make([]*rowRun, 0, len(rows))
	for _, p := range rows {
		r := &rowRun{row: p.Row, rec: p.Record, steps: byRow[p.Record.Number], wait: waits[p.Record.Number]}
		for name, st := range r.steps {
			if st.State == refbatch.StateSent && name.Writes() {
				x.markDoubt(r, name)
			}
		}
		if x.opts.RetryFailed && r.rec.Outcome == refbatch.OutcomeFailed && r.retryable() {
			r.rec.Outcome, r.rec.Error = refbatch.OutcomePending, ""
			for name, s := range r.steps {
				if s.State == refbatch.StateFailed {
					delete(r.steps, name)
				}
			}
			// On record before the row's next step is: a kill after that
			// step was sent must find the row unfinished, not failed, or its
			// in-doubt step would never be reconciled. (The journal writes in
			// order, so the next StepSent commits after this.)
			x.opts.Journal.RecordLater(refbatch.Changes{Run: x.opts.Run, Outcome: &refbatch.RowRecord{
				Number: r.rec.Number, Outcome: refbatch.OutcomePending,
				ReferralID: r.rec.ReferralID, EngagementID: r.rec.EngagementID, MicrosoftReferralID: r.rec.MicrosoftReferralID}})
		}
		if r.rec.Outcome.Final() && r.hasWriteInDoubt() {
			// A step left sent under a finished outcome (a journal written
			// before the line above existed): reconcile it.
			r.rec.Outcome = refbatch.OutcomeInDoubt
		}
		if r.steps == nil && !r.rec.Outcome.Final() {
			// Finished rows keep a nil map: they are read, never written.
			r.steps = map[refbatch.StepName]refbatch.StepRecord{}
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// loadKnown reads what the journal remembers of the unfinished rows'
// External Reference IDs, in one batch.
func (x *executor) loadKnown(ctx context.Context, runs []*rowRun) error {
	var ids []string
	for _, r := range runs {
		if r.rec.Valid && !r.rec.Outcome.Final() && r.row.ExternalReferenceID != "" {
			ids = append(ids, r.row.ExternalReferenceID)
		}
	}
	known, err := x.opts.Journal.LookupMany(ctx, ids)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	x.known = known
	return nil
}

// lookup returns what the journal remembers of an External Reference ID.
func (x *executor) lookup(ext string) (refbatch.Known, bool) {
	x.knownMu.Lock()
	defer x.knownMu.Unlock()
	k, ok := x.known[strings.ToLower(ext)]
	return k, ok
}

// remember records what an External Reference ID became: in the row's
// gathered changes for the journal, and in the run's own map.
func (x *executor) remember(r *rowRun, k refbatch.Known) {
	r.pend.Known = append(r.pend.Known, k)
	x.knownMu.Lock()
	defer x.knownMu.Unlock()
	key := strings.ToLower(k.ExternalReferenceID)
	old := x.known[key]
	old.ExternalReferenceID = k.ExternalReferenceID
	for _, f := range []struct {
		dst *string
		src string
	}{{&old.ReferralID, k.ReferralID}, {&old.EngagementID, k.EngagementID}, {&old.MicrosoftReferralID, k.MicrosoftReferralID}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	x.known[key] = old
}

// hasWriteInDoubt reports whether a write step of the row was sent and
// never answered.
func (r *rowRun) hasWriteInDoubt() bool {
	for name, s := range r.steps {
		if s.State == refbatch.StateSent && name.Writes() {
			return true
		}
	}
	return false
}

// retryable reports whether the row failed on an answer that may succeed
// another time (throttling, 5xx, the network), as recorded by fail.
func (r *rowRun) retryable() bool {
	for _, s := range r.steps {
		if s.State == refbatch.StateFailed && s.ErrorCode.Retryable() {
			return true
		}
	}
	return false
}

// groupByKey puts the unfinished rows with the same key, in file order, in
// one group; groups are ordered by their first row.
func groupByKey(runs []*rowRun) [][]*rowRun {
	var groups [][]*rowRun
	index := map[refbatch.RowKey]int{}
	for _, r := range runs {
		// A finished row needs no place in its key's queue: what it did
		// is done, and the rows after it may go.
		if !r.rec.Valid || r.rec.Outcome.Final() {
			continue
		}
		k := r.rec.Key
		if k == "" {
			groups = append(groups, []*rowRun{r})
			continue
		}
		if i, ok := index[k]; ok {
			groups[i] = append(groups[i], r)
			continue
		}
		index[k] = len(groups)
		groups = append(groups, []*rowRun{r})
	}
	return groups
}

// unfinished returns the groups that have a row to run: their first row
// not finished is not one that stays waiting.
func (x *executor) unfinished(groups [][]*rowRun) [][]*rowRun {
	var out [][]*rowRun
	for _, g := range groups {
		for _, r := range g {
			if !r.rec.Outcome.Final() {
				if !x.staysWaiting(r) {
					out = append(out, g)
				}
				break
			}
		}
	}
	return out
}

// staysWaiting reports whether a waiting row is left as it is, unchecked:
// this attempt checked it already (a run checks a waiting row once, then
// leaves it for sync), or its next check is later.
func (x *executor) staysWaiting(r *rowRun) bool {
	if r.rec.Outcome != refbatch.OutcomeWaiting || r.wait == nil || r.step(r.wait.Step).State == refbatch.StateSent {
		return false
	}
	return !r.wait.Checked.Before(x.opts.CheckedSince) || x.opts.Now().Before(r.wait.NextCheck)
}

func (x *executor) anyInDoubt(groups [][]*rowRun) bool {
	for _, g := range groups {
		for _, r := range g {
			if r.rec.Outcome == refbatch.OutcomeInDoubt {
				return true
			}
		}
	}
	return false
}

// createsInDoubt lists the rows whose create step was sent and never
// answered: the first unfinished row of each group can be one.
func (x *executor) createsInDoubt(groups [][]*rowRun) []*rowRun {
	var out []*rowRun
	for _, g := range groups {
		for _, r := range g {
			if r.rec.Outcome.Final() {
				continue
			}
			if r.step(refbatch.StepCreate).State == refbatch.StateSent {
				out = append(out, r)
			}
			break
		}
	}
	return out
}

// maxSettleWaits bounds how often Execute waits for rows' settle times
// (each wait ends when at least one row is ready).
const maxSettleWaits = 1000

// markDoubt records that this process learnt now that the row's step is
// in doubt.
func (x *executor) markDoubt(r *rowRun, step refbatch.StepName) {
	if r.doubtAt == nil {
		r.doubtAt = map[refbatch.StepName]time.Time{}
	}
	r.doubtAt[step] = x.opts.Now()
}

// settledAt is when a listing read can prove absent the row's write step:
// the settle time after it was sent, and after its doubt was learnt.
func (x *executor) settledAt(r *rowRun, step refbatch.StepName) time.Time {
	from := r.step(step).SentAt
	if at := r.doubtAt[step]; at.After(from) {
		from = at
	}
	return from.Add(x.opts.Settle)
}

// waitingForSettle reports whether the row's create or link is in doubt
// and its settle time has not passed, with when it will.
func (x *executor) waitingForSettle(r *rowRun) (time.Time, bool) {
	now := x.opts.Now()
	for _, step := range []refbatch.StepName{refbatch.StepCreate, refbatch.StepLink} {
		if s := r.step(step); s.State == refbatch.StateSent {
			if at := x.settledAt(r, step); now.Before(at) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// nextSettled is the earliest time a row in doubt can be reconciled; ok is
// false when no row in doubt waits for a settle time.
func (x *executor) nextSettled(groups [][]*rowRun) (time.Time, bool) {
	var next time.Time
	for _, g := range groups {
		for _, r := range g {
			if r.rec.Outcome != refbatch.OutcomeInDoubt {
				continue
			}
			if at, ok := x.waitingForSettle(r); ok && (next.IsZero() || at.Before(next)) {
				next = at
			}
		}
	}
	return next, !next.IsZero()
}

// skew is the service's clock minus ours, when the API knows it.
func (x *executor) skew() time.Duration {
	if cs, ok := x.opts.API.(ClockSkewer); ok {
		if d, ok := cs.ClockSkew(); ok {
			return d
		}
	}
	return 0
}

func (x *executor) runGroups(feedCtx, workCtx context.Context, groups [][]*rowRun) {
	p := pool.New().WithMaxGoroutines(x.opts.Concurrency)
	for _, g := range groups {
		if feedCtx.Err() != nil {
			break
		}
		p.Go(func() {
			if feedCtx.Err() != nil {
				return
			}
			x.runGroup(workCtx, g)
		})
	}
	p.Wait()
}

// runGroup runs a key's rows in file order; a row that does not finish
// (in doubt, interrupted) holds back the rows after it.
func (x *executor) runGroup(ctx context.Context, g []*rowRun) {
	for i, r := range g {
		if r.rec.Outcome.Final() {
			continue
		}
		if !x.staysWaiting(r) {
			x.runRow(ctx, r)
		}
		if r.rec.Outcome == refbatch.OutcomeWaiting {
			// The rows after it act on the same referral: they keep their
			// place behind it (resume runs them once it is done).
			for _, later := range g[i+1:] {
				if later.rec.Outcome == refbatch.OutcomePending && later.rec.Error == "" {
					x.settle(ctx, later, refbatch.OutcomePending, fmt.Sprintf("waits for row %d, which acts on the same referral and waits for Partner Center", r.rec.Number))
				}
			}
			return
		}
		if !r.rec.Outcome.Final() {
			return
		}
		if r.rec.Outcome == refbatch.OutcomeFailed && r.rec.Action == refbatch.ActionCreate && r.rec.ReferralID == "" {
			// The rows after it act on the referral it was to create: they
			// wait for it (pending), so that resume --retry-failed runs them
			// once the create passes, instead of failing them for a
			// referral that does not exist yet.
			for _, later := range g[i+1:] {
				if !later.rec.Outcome.Final() {
					x.settle(ctx, later, refbatch.OutcomePending, fmt.Sprintf("waits for row %d, which creates its referral and failed", r.rec.Number))
				}
			}
			return
		}
	}
}

// fatalErr returns the error that stopped the run, if any.
func (x *executor) fatalErr() error {
	x.fatalMu.Lock()
	defer x.fatalMu.Unlock()
	return x.fatal
}

func (x *executor) stop(err error) {
	x.fatalMu.Lock()
	if x.fatal == nil {
		x.fatal = err
	}
	x.fatalMu.Unlock()
	x.stopFeed()
}

// journalCtx detaches journal writes from cancellation: a step whose
// request left must be recorded even while the run is being interrupted.
func journalCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// transientLimit is how many rows may fail one after another on passing
// errors before the run stops.
func (x *executor) transientLimit() int { return max(5, 2*x.opts.Concurrency) }

// settle records a row's outcome, with its gathered changes, and tells
// the observer.
func (x *executor) settle(ctx context.Context, r *rowRun, o refbatch.Outcome, msg string) {
	r.rec.Outcome, r.rec.Error = o, msg
	c := r.take(x.opts.Run)
	rec := r.rec
	c.Outcome = &rec
	// The row's last write need not hold the row up: lost in a crash, its
	// steps are found "sent" and reconciled. Execute flushes before it
	// returns.
	x.opts.Journal.RecordLater(c)
	if o.Final() && o != refbatch.OutcomeFailed {
		x.transient.Store(0)
	}
	if o != refbatch.OutcomePending && x.obs.RowFinished != nil {
		x.obs.RowFinished(r.rec)
	}
}

func (x *executor) jitter(d time.Duration) time.Duration {
	x.rndMu.Lock()
	defer x.rndMu.Unlock()
	return time.Duration(x.rnd.Int64N(int64(d) + 1))
}

// backoff is the wait before attempt n+1 of a step that was not applied.
func (x *executor) backoff(n int, err error) time.Duration {
	if d, ok := refbatch.RetryAfter(err); ok {
		return min(d, 2*time.Minute) + x.jitter(500*time.Millisecond)
	}
	bound := 500 * time.Millisecond << min(n, 6)
	return x.jitter(min(bound, 30*time.Second))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failureClass is the journal's short class of err.
func failureClass(err error) refbatch.FailureClass {
	switch {
	case errors.Is(err, errAbsent):
		return refbatch.FailureAbsent
	case refbatch.IsInDoubt(err):
		return refbatch.FailureInDoubt
	case refbatch.IsFatal(err):
		return refbatch.FailureFatal
	case refbatch.IsConflict(err):
		// Someone else edited the referral meanwhile: another try later
		// (resume --retry-failed) re-reads it and may well pass.
		return refbatch.FailureConflict
	case refbatch.IsNotFound(err):
		return refbatch.FailureNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return refbatch.FailureInterrupted
	case errors.Is(err, errNotEligible):
		return refbatch.FailureIneligible
	case errors.Is(err, errWaitExpired):
		return refbatch.FailureExpired
	case refbatch.IsRetryable(err):
		return refbatch.FailureTransient
	}
	return refbatch.FailureRejected
}

// errNotEligible and errConflict are the engine's own reasons for a failed
// row; errJournal marks a journal write that failed, after which nothing
// more can be recorded.
var (
	errJournal     = errors.New("journal")
	errNotEligible = errors.New("not eligible for deal registration")
	errWaitExpired = errors.New("deal registration not made in time")
	errConflict    = errors.New("the referral kept changing while it was patched (412 twice)")
)

// send runs one request of a step: it journals the step as sent (with a
// fresh client-request-id) before the request leaves, and repeats it after
// answers that say it was not applied (retryable, not in doubt), with
// backoff. It records nothing after the answer: the caller finishes the
// step. A journal write that fails stops the run.
func (x *executor) send(ctx context.Context, r *rowRun, step refbatch.StepName, call func(ctx context.Context, requestID string) (refbatch.Remote, error)) (refbatch.Remote, error) {
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return refbatch.Remote{}, err
		}
		rec := r.steps[step]
		rec.Run, rec.Row, rec.Step = x.opts.Run, r.rec.Number, step
		rec.State = refbatch.StateSent
		rec.ClientRequestID = x.opts.NewRequestID()
		rec.SentAt = x.opts.Now().UTC()
		rec.FinishedAt, rec.HTTPStatus, rec.ErrorCode, rec.ErrorMessage = time.Time{}, 0, "", ""
		// A write must be on record before it leaves: if the answer is lost
		// the step is in doubt. A read (get, eligibility) cannot be, so it
		// is recorded with its answer, in the row's next write.
		if step.Writes() {
			c := r.take(x.opts.Run)
			c.Sent = &rec
			if err := x.opts.Journal.Record(journalCtx(ctx), c); err != nil {
				err = fmt.Errorf("%w: record %s of row %d: %w", errJournal, step, r.rec.Number, err)
				x.stop(err)
				return refbatch.Remote{}, err
			}
		}
		rec.Attempts++
		r.steps[step] = rec
		if x.obs.StepSent != nil {
			x.obs.StepSent(r.rec.Number, step)
		}
		remote, err := call(ctx, rec.ClientRequestID)
		if err == nil {
			return remote, nil
		}
		retry := refbatch.IsRetryable(err) && !refbatch.IsInDoubt(err) && !refbatch.IsFatal(err) &&
			ctx.Err() == nil && n < x.opts.MaxAttempts
		if !retry {
			return refbatch.Remote{}, err
		}
		// Not applied: say so with the next commit (the next attempt's
		// "sent" is one). It need not be on disk before the wait: lost in
		// a crash, the step reads "sent" and is reconciled; waiting for an
		// fsync for every 429 would slow the run most when it is throttled.
		x.finish(r, step, refbatch.StateFailed, refbatch.Remote{}, err)
		x.opts.Journal.RecordLater(r.take(x.opts.Run))
		d := x.backoff(n, err)
		x.log.Info("step not applied; trying again", "row", r.rec.Number, "step", step, "attempt", n, "in", d, "err", err)
		if serr := sleep(ctx, d); serr != nil {
			return refbatch.Remote{}, fmt.Errorf("%w while waiting to retry; last error: %w", serr, err)
		}
	}
}

// flush writes a row's gathered changes now.
func (x *executor) flush(ctx context.Context, r *rowRun) error {
	c := r.take(x.opts.Run)
	if c.Empty() {
		return nil
	}
	if err := x.opts.Journal.Record(journalCtx(ctx), c); err != nil {
		err = fmt.Errorf("%w: record row %d: %w", errJournal, r.rec.Number, err)
		x.stop(err)
		return err
	}
	return nil
}

// finish gathers a step's answer; it is written with the row's next write.
func (x *executor) finish(r *rowRun, step refbatch.StepName, state refbatch.StepState, out refbatch.Remote, stepErr error) {
	rec := r.steps[step]
	rec.Run, rec.Row, rec.Step, rec.State = x.opts.Run, r.rec.Number, step, state
	rec.FinishedAt = x.opts.Now().UTC()
	if out.ID != "" {
		rec.ReferralID = out.ID
	}
	if out.EngagementID != "" {
		rec.EngagementID = out.EngagementID
	}
	if out.ETag != "" {
		rec.ETag = out.ETag
	}
	rec.ErrorCode, rec.ErrorMessage = "", ""
	if stepErr != nil {
		rec.ErrorCode, rec.ErrorMessage = failureClass(stepErr), stepErr.Error()
		rec.HTTPStatus = httpStatus(stepErr)
	} else if state == refbatch.StateDone && rec.HTTPStatus == 0 && !rec.SentAt.IsZero() {
		rec.HTTPStatus = 200
	}
	r.steps[step] = rec
	for i := range r.pend.Finished {
		if r.pend.Finished[i].Step == step {
			r.pend.Finished[i] = rec
			return
		}
	}
	r.pend.Finished = append(r.pend.Finished, rec)
}

// httpStatus digs the HTTP status out of an error that carries one.
func httpStatus(err error) int {
	if s, ok := errors.AsType[interface {
		error
		HTTPStatus() int
	}](err); ok {
		return s.HTTPStatus()
	}
	return 0
}

// markDone records a step that needed no request (the live referral already
// showed the change) or was found by reconciliation.
func (x *executor) markDone(r *rowRun, step refbatch.StepName, out refbatch.Remote) {
	x.finish(r, step, refbatch.StateDone, out, nil)
}

// failRow ends a row as failed, or, for errors that are not the row's fault
// (fatal, interrupted, in doubt), leaves it for resume.
func (x *executor) failRow(ctx context.Context, r *rowRun, step refbatch.StepName, err error) {
	switch {
	case refbatch.IsFatal(err):
		x.finish(r, step, refbatch.StateFailed, refbatch.Remote{}, err)
		x.settle(ctx, r, refbatch.OutcomePending, err.Error())
		x.stop(err)
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		// Interrupted: a write that may have left stays "sent" (in doubt);
		// resume reconciles it.
		if r.steps[step].State == refbatch.StateSent && step.Writes() {
			x.markDoubt(r, step)
			x.settle(ctx, r, refbatch.OutcomeInDoubt, fmt.Sprintf("%s interrupted after its request left; resume reconciles it", step))
			return
		}
		x.settle(ctx, r, refbatch.OutcomePending, "interrupted")
	case refbatch.IsInDoubt(err):
		x.markDoubt(r, step)
		x.settle(ctx, r, refbatch.OutcomeInDoubt, fmt.Sprintf("%s: answer lost (%v); reconciling before anything is sent again", step, err))
	case errors.Is(err, errJournal):
		// The journal failed: nothing more can be recorded.
	case isWait(err):
		w, _ := errors.AsType[*waitError](err)
		x.wait(ctx, r, w)
	default:
		x.finish(r, step, refbatch.StateFailed, refbatch.Remote{}, err)
		x.settle(ctx, r, refbatch.OutcomeFailed, fmt.Sprintf("%s: %v", step, err))
		if failureClass(err) == refbatch.FailureTransient {
			if n := x.transient.Add(1); n >= int64(x.transientLimit()) {
				x.stop(fmt.Errorf("%d rows in a row failed on passing errors, the last: %w; the API looks unavailable, so the run stops here", n, err))
			}
		}
	}
}

// hours says a duration as people do: "72 hours".
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

func isWait(err error) bool {
	_, ok := errors.AsType[*waitError](err)
	return ok
}

// runRow runs a row's steps, skipping those the journal has done.
func (x *executor) runRow(ctx context.Context, r *rowRun) {
	row := r.row
	var target refbatch.Remote // the partner's referral: id and engagement
	created, updated, linked, registered := false, false, false, false

	// What the row acts on, decided as plan decides it: an update row may
	// name its referral by External Reference ID, and a create row whose
	// External Reference ID Partner Center already holds (the mirror, or a
	// row of this run) becomes an update of it (upsert).
	var kp *refbatch.Known
	if known, ok := x.lookup(row.ExternalReferenceID); ok {
		kp = &known
	}
	t := Resolve(row, kp)
	if r.rec.Action == refbatch.ActionUpdate && t.Action == refbatch.ActionCreate {
		// Planned as an update of a referral that is no longer known: never
		// turn it into a create behind the plan's back.
		t.Action = refbatch.ActionUpdate
	}

	create := r.rec.Action == refbatch.ActionCreate
	cs := r.step(refbatch.StepCreate)
	if len(t.Also) > 0 && cs.State == "" {
		// Two referrals hold the row's External Reference ID, and the row
		// made neither of them: it cannot know which one it means. (A row
		// whose own create is journaled acts on what it created.)
		x.failRow(ctx, r, refbatch.StepGet, errors.New(AmbiguousMessage(row, t)))
		return
	}
	switch {
	case create && cs.State == refbatch.StateDone:
		target = refbatch.Remote{ID: cs.ReferralID, EngagementID: cs.EngagementID}
		created = true
	case create && cs.State == refbatch.StateSent:
		x.settle(ctx, r, refbatch.OutcomeInDoubt, "create: sent, answer never recorded; reconciling before anything is sent again")
		return
	case t.Action == refbatch.ActionCreate:
		req, err := x.opts.Mapper.Create(row)
		if err != nil {
			x.failRow(ctx, r, refbatch.StepCreate, err)
			return
		}
		out, err := x.send(ctx, r, refbatch.StepCreate, func(ctx context.Context, id string) (refbatch.Remote, error) {
			return x.opts.API.Create(ctx, id, req.Body)
		})
		if err != nil {
			x.failRow(ctx, r, refbatch.StepCreate, err)
			return
		}
		x.created(r, out)
		target, created = out, true
	default:
		target = t.Referral
		if target.ID == "" {
			x.failRow(ctx, r, refbatch.StepGet, errors.New(NoReferralMessage(row)))
			return
		}
	}
	r.rec.ReferralID, r.rec.EngagementID = target.ID, target.EngagementID

	if !created && unchangedSincePull(row) {
		// A pulled workbook's row nobody edited: nothing to read or send.
		x.settle(ctx, r, refbatch.OutcomeUnchanged, "")
		return
	}
	if !created {
		changed, ok := x.update(ctx, r, target.ID)
		if !ok {
			return
		}
		updated = changed
	}

	if created {
		t.Action = refbatch.ActionCreate
	}
	if t.WantsLink(x.opts.Mapper, row) {
		ok := false
		if created {
			ok = x.link(ctx, r, target)
			linked = ok
		} else {
			linked, ok = x.upgrade(ctx, r, target.ID)
		}
		if !ok {
			return
		}
	} else if t.Known {
		r.rec.MicrosoftReferralID = t.MicrosoftReferralID
	}

	if row.RegisterDeal {
		done, ok := x.register(ctx, r, target.ID)
		if !ok {
			return
		}
		registered = done
	}

	outcome := refbatch.OutcomeUnchanged
	switch {
	case registered:
		outcome = refbatch.OutcomeRegistered
	case linked:
		outcome = refbatch.OutcomeLinked
	case created:
		outcome = refbatch.OutcomeCreated
	case updated:
		outcome = refbatch.OutcomeUpdated
	}
	x.settle(ctx, r, outcome, "")
}

// created records a create's answer: the step, and the External Reference
// ID map that makes a second run of the file update instead of create.
func (x *executor) created(r *rowRun, out refbatch.Remote) {
	x.markDone(r, refbatch.StepCreate, out)
	r.rec.ReferralID, r.rec.EngagementID = out.ID, out.EngagementID
	if ext := r.row.ExternalReferenceID; ext != "" {
		x.remember(r, refbatch.Known{ExternalReferenceID: ext, ReferralID: out.ID, EngagementID: out.EngagementID})
	}
}

// get reads the live referral as a journaled step.
func (x *executor) get(ctx context.Context, r *rowRun, id string) (refbatch.Remote, error) {
	live, err := x.send(ctx, r, refbatch.StepGet, func(ctx context.Context, rid string) (refbatch.Remote, error) {
		return x.opts.API.Get(ctx, rid, id)
	})
	if err != nil {
		if refbatch.IsNotFound(err) {
			err = fmt.Errorf("referral %s was not found on Partner Center (deleted, or another partner's?): %w", id, err)
		}
		return live, err
	}
	x.markDone(r, refbatch.StepGet, live)
	return live, nil
}

// checkLive re-checks the row against the live referral (LiveFindings):
// an error refuses the row before anything is sent, naming the rule; the
// warnings are logged and handed to Observer.LiveWarning, once per row.
func (x *executor) checkLive(r *rowRun, live refbatch.Remote) error {
	var p Policy
	if x.policies != nil {
		p = <-x.policies
		defer func() { x.policies <- p }()
	}
	// Partner Center's clock decides a lead's response window: ours, moved
	// by the skew its Date headers show.
	fs, err := LiveFindings(p, x.opts.Mapper, r.row, live, x.opts.Now().Add(x.skew()))
	if err != nil {
		return err
	}
	if f, ok := FirstError(fs); ok {
		return &policyError{msg: fmt.Sprintf("the live referral is %s/%s: %s (%s)", live.Status, live.Substatus, f.Message, f.Rule)}
	}
	if r.warned {
		return nil
	}
	for _, f := range fs {
		r.warned = true
		x.log.Warn("the live referral makes a row doubtful", "row", r.rec.Number, "rule", f.Rule, "message", f.Message)
		if x.opts.Observer.LiveWarning != nil {
			x.opts.Observer.LiveWarning(r.rec.Number, f)
		}
	}
	return nil
}

// policyError is a row refused by a policy checked against the live
// referral, before anything was sent.
type policyError struct{ msg string }

func (e *policyError) Error() string { return e.msg }

// update brings the live referral to what the row says with a minimal
// patch, after re-checking the row's transition against the live status.
func (x *executor) update(ctx context.Context, r *rowRun, id string) (changed, ok bool) {
	return x.patchOnce(ctx, r, id, refbatch.StepPatch, func(live refbatch.Remote) (refbatch.Request, bool, error) {
		if err := x.checkLive(r, live); err != nil {
			return refbatch.Request{}, false, err
		}
		return x.opts.Mapper.Patch(r.row, live)
	})
}

// patchOnce applies the patch that build makes from the live referral, so
// that its effect happens once: it reads the referral, builds the patch
// (none when the referral already shows the change) and sends it with
// If-Match. A patch whose answer was lost is checked against a fresh get,
// which either shows it applied (build wants nothing more) or lets it be
// sent again: appends (add /team/-, add /registrations/-) are never sent
// twice. A 412 is answered by re-reading, re-checking and rebuilding, once;
// a second 412 fails the row as a conflict. changed reports whether this
// row's patch was applied (sent and answered, or sent and found applied).
func (x *executor) patchOnce(ctx context.Context, r *rowRun, id string, step refbatch.StepName,
	build func(live refbatch.Remote) (refbatch.Request, bool, error)) (changed, ok bool) {
	if s := r.step(step); s.State == refbatch.StateDone {
		return s.Attempts > 0, true
	}
	conflicts := 0
	for tries := 0; ; tries++ {
		live, err := x.get(ctx, r, id)
		if err != nil {
			x.failRow(ctx, r, refbatch.StepGet, err)
			return false, false
		}
		req, need, err := build(live)
		if err != nil {
			x.failRow(ctx, r, step, err)
			return false, false
		}
		if !need {
			// Live already shows it: after a lost answer or a crash, the
			// proof that the earlier attempt was applied; else nothing to do.
			x.markDone(r, step, live)
			return r.step(step).Attempts > 0, true
		}
		_, err = x.send(ctx, r, step, func(ctx context.Context, rid string) (refbatch.Remote, error) {
			return x.opts.API.Patch(ctx, rid, id, live.ETag, req.Body)
		})
		switch {
		case err == nil:
			x.markDone(r, step, refbatch.Remote{ID: id})
			return true, true
		case refbatch.IsInDoubt(err) && ctx.Err() == nil && tries < x.opts.ReconcileRounds:
			x.log.Info("answer lost; checking the live referral", "row", r.rec.Number, "step", step, "err", err)
			continue // the next get shows whether it was applied
		case refbatch.IsConflict(err) && conflicts == 0:
			conflicts++
			x.log.Info("referral changed since it was read (412); re-reading", "row", r.rec.Number, "step", step)
			continue
		case refbatch.IsConflict(err):
			x.failRow(ctx, r, step, fmt.Errorf("%w: %w", errConflict, err))
			return false, false
		default:
			x.failRow(ctx, r, step, err)
			return false, false
		}
	}
}

// link creates Microsoft's referral in the row's engagement, once.
func (x *executor) link(ctx context.Context, r *rowRun, target refbatch.Remote) bool {
	if s := r.step(refbatch.StepLink); s.State == refbatch.StateDone {
		r.rec.MicrosoftReferralID = s.ReferralID
		return true
	}
	if target.EngagementID == "" {
		x.failRow(ctx, r, refbatch.StepLink, errors.New("the referral's engagement id is unknown; cannot link it for co-sell"))
		return false
	}
	for tries := 0; ; tries++ {
		if s := r.step(refbatch.StepLink); s.State == refbatch.StateSent {
			if at, ok := x.waitingForSettle(r); ok {
				x.settle(ctx, r, refbatch.OutcomeInDoubt, fmt.Sprintf("link: answer lost; Partner Center's listing can prove it absent from %s (settle time)", at.Format(time.RFC3339)))
				return false
			}
			found, proven, err := x.findLink(ctx, target.EngagementID)
			switch {
			case err != nil || !proven:
				x.settle(ctx, r, refbatch.OutcomeInDoubt, fmt.Sprintf("link: answer lost and the engagement listing could not prove it absent: %v", err))
				return false
			case found.ID != "":
				x.linked(r, found)
				return true
			}
			// Provably absent: send it again.
		}
		req, err := x.opts.Mapper.Link(r.row, target)
		if err != nil {
			x.failRow(ctx, r, refbatch.StepLink, err)
			return false
		}
		out, err := x.send(ctx, r, refbatch.StepLink, func(ctx context.Context, id string) (refbatch.Remote, error) {
			return x.opts.API.Create(ctx, id, req.Body)
		})
		switch {
		case err == nil:
			x.linked(r, out)
			return true
		case refbatch.IsInDoubt(err) && ctx.Err() == nil && tries < x.opts.ReconcileRounds:
			x.markDoubt(r, refbatch.StepLink)
			continue
		default:
			x.failRow(ctx, r, refbatch.StepLink, err)
			return false
		}
	}
}

// upgrade links an existing referral to Microsoft, once: an update row
// that asks for Co-sell upgrades a Private or Partner-led referral
// (create-referral.txt, "Upgrade from Private/Partner-led to Co-sell
// deal"). It reads the referral (its engagement, and the partner details
// Microsoft's referral is made from, after this row's patch) and links only
// when the engagement has no Microsoft referral: a second run, another
// journal, or a deal made co-sell in Partner Center's UI is not linked
// again. A link whose answer was lost is reconciled by link. linked is
// false when Microsoft's referral was there already.
func (x *executor) upgrade(ctx context.Context, r *rowRun, id string) (linked, ok bool) {
	if s := r.step(refbatch.StepLink); s.State == refbatch.StateDone {
		r.rec.MicrosoftReferralID = s.ReferralID
		return true, true
	}
	live, err := x.get(ctx, r, id)
	if err != nil {
		x.failRow(ctx, r, refbatch.StepGet, err)
		return false, false
	}
	if live.EngagementID != "" {
		r.rec.EngagementID = live.EngagementID
	}
	if live.EngagementID != "" && r.step(refbatch.StepLink).State != refbatch.StateSent {
		found, _, err := x.findLink(ctx, live.EngagementID)
		switch {
		case err != nil:
			x.failRow(ctx, r, refbatch.StepLink, fmt.Errorf("read the engagement before linking it for co-sell: %w", err))
			return false, false
		case found.ID != "":
			r.rec.MicrosoftReferralID = found.ID
			if ext := r.row.ExternalReferenceID; ext != "" {
				x.remember(r, refbatch.Known{ExternalReferenceID: ext, MicrosoftReferralID: found.ID})
			}
			return false, true
		}
	}
	if !x.link(ctx, r, live) {
		return false, false
	}
	return true, true
}

func (x *executor) linked(r *rowRun, out refbatch.Remote) {
	x.markDone(r, refbatch.StepLink, out)
	r.rec.MicrosoftReferralID = out.ID
	if ext := r.row.ExternalReferenceID; ext != "" {
		x.remember(r, refbatch.Known{ExternalReferenceID: ext, MicrosoftReferralID: out.ID})
	}
}

// findLink looks for Microsoft's referral in an engagement. proven is true
// when the listing ran to its end, so a missing referral is provably absent.
func (x *executor) findLink(ctx context.Context, engagementID string) (found refbatch.Remote, proven bool, err error) {
	n := 0
	for ref, err := range x.opts.API.Engagement(ctx, engagementID) {
		if err != nil {
			return refbatch.Remote{}, false, err
		}
		if n++; n > x.opts.MaxListed {
			return refbatch.Remote{}, false, fmt.Errorf("engagement %s lists more than %d referrals", engagementID, x.opts.MaxListed)
		}
		if strings.EqualFold(ref.OrganizationID, "msft") && found.ID == "" {
			found = ref
		}
	}
	return found, true, nil
}

// register adds the row's deal registration once, after the eligibility
// check says it may and, with RegisterAge, once the referral is old
// enough. A condition that does not hold yet leaves the row waiting.
func (x *executor) register(ctx context.Context, r *rowRun, id string) (done, ok bool) {
	if s := r.step(refbatch.StepRegister); s.State == refbatch.StateDone {
		return s.Attempts > 0, true
	}
	if r.step(refbatch.StepRegister).State != refbatch.StateSent {
		if !x.eligible(ctx, r, id) {
			return false, false
		}
	}
	return x.patchOnce(ctx, r, id, refbatch.StepRegister, func(live refbatch.Remote) (refbatch.Request, bool, error) {
		// An update's registration may edit one the referral has, which
		// the live re-check allows only while it is ActionRequired (the
		// patch step checked too, but a resume may start here). A referral
		// this row created has no registration to edit.
		if r.rec.Action != refbatch.ActionCreate {
			if err := x.checkLive(r, live); err != nil {
				return refbatch.Request{}, false, err
			}
		}
		req, need, err := x.opts.Mapper.Register(r.row, live)
		if err != nil || !need {
			return req, need, err
		}
		if x.opts.RegisterAge > 0 && !live.Created.IsZero() {
			// live.Created is on the service's clock; the wait is on ours.
			if at := live.Created.Add(x.opts.RegisterAge).Add(-x.skew()); x.opts.Now().Before(at) {
				return refbatch.Request{}, false, &waitError{reason: refbatch.WaitDealAge, notBefore: at,
					msg: fmt.Sprintf("the referral was created %s; Microsoft asks for %s between creating a deal and registering it Won", live.Created.UTC().Format(time.RFC3339), hours(x.opts.RegisterAge))}
			}
		}
		return req, true, nil
	})
}

// eligible asks the API whether the referral may be registered, polling
// for up to RegisterWait while Microsoft has not accepted its side of a
// co-sell deal; still not accepted then, the row is left waiting.
func (x *executor) eligible(ctx context.Context, r *rowRun, id string) bool {
	deadline := x.opts.Now().Add(x.opts.RegisterWait)
	for {
		var answer refbatch.Eligibility
		_, err := x.send(ctx, r, refbatch.StepEligibility, func(ctx context.Context, rid string) (refbatch.Remote, error) {
			var err error
			answer, err = x.opts.API.Eligibility(ctx, rid, id)
			return refbatch.Remote{}, err
		})
		if err != nil {
			x.failRow(ctx, r, refbatch.StepEligibility, err)
			return false
		}
		x.markDone(r, refbatch.StepEligibility, refbatch.Remote{ID: id})
		if answer.Eligible {
			return true
		}
		waiting := len(answer.Failed) == 1 && strings.HasPrefix(answer.Failed[0], "isMicrosoftReferralAcceptedOrWon")
		if waiting && x.opts.Now().Before(deadline) {
			if err := sleep(ctx, min(time.Second, deadline.Sub(x.opts.Now())+time.Millisecond)); err != nil {
				x.failRow(ctx, r, refbatch.StepEligibility, err)
				return false
			}
			continue
		}
		if waiting {
			closed, handled := x.microsoftClosed(ctx, r)
			switch {
			case handled:
			case closed != "":
				x.failRow(ctx, r, refbatch.StepEligibility, fmt.Errorf("%w: %s", errNotEligible, closed))
			default:
				x.wait(ctx, r, &waitError{reason: refbatch.WaitAcceptance, notBefore: x.opts.Now(),
					msg: "Microsoft has not accepted the co-sell referral yet (eligibility: " + answer.Failed[0] + ")"})
			}
			return false
		}
		failed := slices.Clone(answer.Failed)
		x.failRow(ctx, r, refbatch.StepEligibility, fmt.Errorf("%w: Partner Center says the deal fails %s", errNotEligible, strings.Join(failed, "; ")))
		return false
	}
}

// microsoftClosed reads Microsoft's referral of the row's engagement, when
// the row knows it: one Microsoft closed (declined, expired) will never be
// accepted, so the registration fails now instead of waiting out its
// deadline; closed then says why. handled is set when the read failed in
// a way that ended the row (interrupted, credentials refused); any other
// failed read leaves the row to wait and be checked again.
func (x *executor) microsoftClosed(ctx context.Context, r *rowRun) (closed string, handled bool) {
	id := r.rec.MicrosoftReferralID
	if id == "" {
		return "", false
	}
	ms, err := x.send(ctx, r, refbatch.StepGet, func(ctx context.Context, rid string) (refbatch.Remote, error) {
		return x.opts.API.Get(ctx, rid, id)
	})
	if err != nil {
		if refbatch.IsFatal(err) || ctx.Err() != nil {
			x.failRow(ctx, r, refbatch.StepGet, err)
			return "", true
		}
		x.log.Warn("could not read Microsoft's referral; the registration waits", "row", r.rec.Number, "referral", id, "err", err)
		return "", false
	}
	x.markDone(r, refbatch.StepGet, ms)
	if !strings.EqualFold(ms.Status, "Closed") {
		return "", false
	}
	why := ""
	var body struct {
		StatusReason string `json:"statusReason"`
	}
	if json.Unmarshal(ms.Raw, &body) == nil && body.StatusReason != "" {
		why = ": " + body.StatusReason
	}
	return fmt.Sprintf("Microsoft's co-sell referral %s is %s/%s%s; it will not be accepted, so the deal cannot be registered", id, ms.Status, ms.Substatus, why), false
}

// waitError is a condition of a row's registration that does not hold
// yet: the row waits until notBefore at least, and past its deadline fails.
type waitError struct {
	reason    refbatch.WaitReason
	notBefore time.Time
	msg       string
}

func (e *waitError) Error() string { return e.msg }

// wait leaves the row waiting for w, or fails it when its deadline has
// passed. The deadline is kept from the row's first wait for the same
// reason: Microsoft's acceptance from the co-sell link (else from the first
// check), the deal's age from when it is old enough; both AcceptDeadline.
func (x *executor) wait(ctx context.Context, r *rowRun, w *waitError) {
	now := x.opts.Now().UTC()
	rec := refbatch.Wait{Run: x.opts.Run, Row: r.rec.Number, Step: refbatch.StepRegister, Reason: w.reason,
		Since: now, Checked: now, NextCheck: w.notBefore.UTC()}
	if rec.NextCheck.Before(now) {
		rec.NextCheck = now
	}
	if old := r.wait; old != nil && old.Reason == w.reason {
		rec.Since, rec.Deadline = old.Since, old.Deadline
	}
	if rec.Deadline.IsZero() {
		from := rec.Since
		if w.reason == refbatch.WaitAcceptance {
			if l := r.step(refbatch.StepLink); l.State == refbatch.StateDone && !l.FinishedAt.IsZero() {
				from = l.FinishedAt.UTC()
			}
		} else {
			from = rec.NextCheck
		}
		rec.Deadline = from.Add(x.opts.AcceptDeadline)
	}
	if now.After(rec.Deadline) {
		x.failRow(ctx, r, refbatch.StepRegister, fmt.Errorf("%w: waited since %s and the deadline %s has passed: %s",
			errWaitExpired, rec.Since.Format(time.RFC3339), rec.Deadline.Format(time.RFC3339), w.msg))
		return
	}
	// The row's values as this attempt read them: sync builds the
	// registration from them.
	facts, err := refbatch.RowFacts(r.row)
	if err != nil {
		x.failRow(ctx, r, refbatch.StepRegister, fmt.Errorf("record the row for sync: %w", err))
		return
	}
	rec.Facts = facts
	r.wait = &rec
	r.pend.Wait = &rec
	x.settle(ctx, r, refbatch.OutcomeWaiting, fmt.Sprintf("register waits: %s; sync or resume checks again, until %s",
		w.msg, rec.Deadline.Format(time.RFC3339)))
}
