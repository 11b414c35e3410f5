package batch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
)

// SyncResult is what Sync did.
type SyncResult struct {
	Journal string
	// Mirror is what the refresh of the mirror of Partner Center read.
	Mirror MirrorRefresh
	// Runs are the runs that had rows waiting, as they stand after the
	// sync (Result.Counts, Waiting, Problems…).
	Runs []*Result
	// Rows are the rows the sync took up, as they stand now, by run and
	// row: registered, still waiting, failed past their deadline, or left
	// in doubt for the next sync.
	Rows []SyncedRow
	// Requests counts the HTTP answers received, Throttled those that were
	// 429 or 503.
	Requests, Throttled int64
	Elapsed             time.Duration
}

// SyncedRow is one row a sync took up.
type SyncedRow struct {
	Run refbatch.RunID
	refbatch.RowRecord
	// Wait is what the row waited for when the sync began.
	Wait refbatch.Wait
}

// Counts are the rows the sync took up, by outcome.
func (r *SyncResult) Counts() map[refbatch.Outcome]int {
	m := map[refbatch.Outcome]int{}
	for _, row := range r.Rows {
		m[row.Outcome]++
	}
	return m
}

// Sync refreshes the mirror of Partner Center and advances every row of
// the journal that waits (refbatch.OutcomeWaiting): a row whose condition
// now holds is registered, exactly once (the usual sent/done discipline;
// a registration a stopped sync left in doubt is reconciled against the
// referral before anything is sent again); a row whose condition does not
// hold yet stays waiting; a row past its deadline fails, with a message
// naming the deadline. It works on the journal alone: a waiting row
// carries the values its registration needs, so the input file may have
// moved. Rows of a run that are pending for other reasons are resume's.
//
// The error wraps refbatch.ErrFindings when a row failed or is left in
// doubt, refbatch.ErrWaiting when rows still wait, context.Canceled when
// the sync was stopped; it is nil when no row is left waiting.
func (c *Client) Sync(ctx context.Context) (*SyncResult, error) {
	feed, ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	if err := c.bind(ctx); err != nil {
		return nil, err
	}
	start := c.cfg.Now()
	res := &SyncResult{Journal: c.jr.Path()}
	waits, err := c.jr.Waiting(ctx)
	if err != nil {
		return nil, err
	}
	// One connection per run: its requests carry the run id as their
	// correlation id. The mirror is refreshed through the first.
	byRun := map[refbatch.RunID][]refbatch.Wait{}
	var runs []refbatch.RunID
	for _, w := range waits {
		if _, ok := byRun[w.Run]; !ok {
			runs = append(runs, w.Run)
		}
		byRun[w.Run] = append(byRun[w.Run], w)
	}
	first := refbatch.NewRunID(start)
	if len(runs) > 0 {
		first = runs[0]
	}
	conn, err := c.connect(ctx, first)
	if err != nil {
		return nil, err
	}
	if res.Mirror, err = c.refreshMirror(ctx, conn.api); err != nil {
		return res, err
	}
	var runErr error
	for i, id := range runs {
		if feed.Err() != nil {
			runErr = fmt.Errorf("sync interrupted: %w", context.Canceled)
			break
		}
		if i > 0 {
			if conn, err = c.connect(ctx, id); err != nil {
				return res, err
			}
		}
		rr, err := c.syncRun(feed, ctx, conn, id, byRun[id], start, res)
		if rr != nil {
			res.Runs = append(res.Runs, rr)
		}
		if err != nil {
			runErr = err
			break
		}
	}
	res.Elapsed = c.cfg.Now().Sub(start)
	if runErr != nil {
		if ctx.Err() != nil && !errors.Is(runErr, context.Canceled) {
			runErr = fmt.Errorf("sync interrupted: %w", ctx.Err())
		}
		return res, runErr
	}
	return res, res.verdict()
}

// syncRun advances the waiting rows of one run.
func (c *Client) syncRun(feedCtx, ctx context.Context, conn *connection, id refbatch.RunID, waits []refbatch.Wait, start time.Time, res *SyncResult) (*Result, error) {
	run, err := c.jr.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	if run.Endpoint != "" && run.Endpoint != c.ep.name() {
		return nil, usageErrorf("%s ran against %s; it cannot be synced against %s", describe(run), run.Endpoint, c.ep.name())
	}
	numbers := make([]int, len(waits))
	for i, w := range waits {
		numbers[i] = w.Row
	}
	recs, err := c.jr.RowsOf(ctx, id, numbers)
	if err != nil {
		return nil, err
	}
	byNumber := make(map[int]refbatch.RowRecord, len(recs))
	for _, r := range recs {
		byNumber[r.Number] = r
	}
	planned := make([]*engine.Planned, 0, len(waits))
	for _, w := range waits {
		rec, ok := byNumber[w.Row]
		if !ok {
			continue
		}
		row, err := refbatch.RowFromFacts(w.Facts)
		if err != nil {
			return nil, fmt.Errorf("journal %s: row %d of %s: the values kept for sync cannot be read: %w", c.jr.Path(), w.Row, describe(run), err)
		}
		row.Number = w.Row // the row's number now, had it moved
		planned = append(planned, &engine.Planned{Row: row, Record: rec})
	}
	// The run's own rules, as resume would check the row.
	in, err := InputOptionsOf(run)
	if err != nil {
		return nil, err
	}
	policy, err := LoadPolicy(in, c.cfg.Today)
	if err != nil {
		return nil, err
	}
	opts := c.execOptions(id, conn, policy)
	c.waitOptions(&opts, start)
	_, execErr := engine.Execute(feedCtx, ctx, planned, opts)
	req, thr := conn.limiter.Counts()
	res.Requests += req
	res.Throttled += thr

	bg := context.WithoutCancel(ctx)
	rr := &Result{Run: run, Journal: c.jr.Path(), Resumed: true}
	if err := c.count(bg, rr); err != nil {
		return nil, err
	}
	if execErr == nil && rr.Unfinished == 0 && rr.Waiting == 0 && run.Finished.IsZero() {
		run.Finished = c.cfg.Now().UTC()
		if err := c.jr.UpdateRun(bg, run); err != nil {
			return rr, err
		}
		rr.Run = run
	}
	if err := c.gatherProblems(bg, rr); err != nil {
		return rr, err
	}
	now, err := c.jr.RowsOf(bg, id, numbers)
	if err != nil {
		return rr, err
	}
	waitOf := make(map[int]refbatch.Wait, len(waits))
	for _, w := range waits {
		w.Facts = nil
		waitOf[w.Row] = w
	}
	for _, r := range now {
		res.Rows = append(res.Rows, SyncedRow{Run: id, RowRecord: r, Wait: waitOf[r.Number]})
	}
	sort.SliceStable(res.Rows, func(i, j int) bool {
		if res.Rows[i].Run != res.Rows[j].Run {
			return res.Rows[i].Run < res.Rows[j].Run
		}
		return res.Rows[i].Number < res.Rows[j].Number
	})
	return rr, execErr
}

// verdict is the error a finished sync returns.
func (r *SyncResult) verdict() error {
	counts := r.Counts()
	failed := counts[refbatch.OutcomeFailed]
	unfinished := counts[refbatch.OutcomePending] + counts[refbatch.OutcomeInDoubt]
	switch {
	case failed > 0 || unfinished > 0:
		return fmt.Errorf("%w: %d failed, %d not finished (in doubt or pending)", refbatch.ErrFindings, failed, unfinished)
	case counts[refbatch.OutcomeWaiting] > 0:
		return fmt.Errorf("%w: %s for Partner Center", refbatch.ErrWaiting, plural(counts[refbatch.OutcomeWaiting], "row still waits", "rows still wait"))
	}
	return nil
}
