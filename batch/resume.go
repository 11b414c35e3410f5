package batch

import (
	"context"
	"errors"
	"fmt"

	"github.com/refbatch/refbatch"
)

// ResumeOptions say which run to resume and how.
type ResumeOptions struct {
	// Run is the run's id; "" resumes the journal's latest run.
	Run string
	// AllowChanged accepts an input file that changed since the run
	// started: only rows that changed or are new are planned afresh. A row
	// with a write that may have left (a step "sent") is never re-planned:
	// the resume is refused until that row is back as it was.
	AllowChanged bool
	// RetryFailed also retries rows that failed on a passing error
	// (throttling, 5xx, network, a concurrent edit).
	RetryFailed bool
}

// Resume finishes a run that was interrupted or left rows failed: steps the
// journal has done are skipped, steps left "sent" are reconciled with
// Partner Center before anything is sent again. It reads the input file
// with the options the run recorded and refuses one that changed unless
// AllowChanged, and refuses to resume a run against an endpoint other than
// its own. Errors are as Run's.
func (c *Client) Resume(ctx context.Context, opts ResumeOptions) (*Result, error) {
	feed, ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	run, err := FindRun(ctx, c.jr, opts.Run)
	if err != nil {
		return nil, err
	}
	if run.Endpoint != "" && run.Endpoint != c.ep.name() {
		return nil, usageErrorf("%s ran against %s; it cannot be resumed against %s (resume without an endpoint to use the run's own)",
			describe(run), run.Endpoint, c.ep.name())
	}
	// A changed file is refused before anything is sent or rewritten.
	sum, err := fileSHA256(run.InputPath)
	if err != nil {
		return nil, err
	}
	changedFile := sum != run.InputSHA256
	if changedFile && !opts.AllowChanged {
		return nil, fmt.Errorf("%w: %s (SHA-256 %.12s…, the run read %.12s…); resume with --allow-changed to re-plan only the rows that changed or are new",
			refbatch.ErrInputChanged, run.InputPath, sum, run.InputSHA256)
	}
	if err := c.bind(ctx); err != nil {
		return nil, err
	}
	conn, err := c.connect(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	// What Partner Center holds now, before re-planned rows are planned and
	// pending creates are sent.
	mirror, err := c.refreshMirror(feed, conn.api)
	if err != nil {
		return nil, err
	}
	in0, err := InputOptionsOf(run)
	if err != nil {
		return nil, err
	}
	// What the journal says of each row (number, hash, outcome: a light
	// read), and each row of the file as it is now, without its cells.
	digests, err := c.jr.RowDigests(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	finished := 0
	for _, d := range digests {
		if d.Outcome.Final() && !(opts.RetryFailed && d.Outcome == refbatch.OutcomeFailed) {
			finished++
		}
	}
	// The rows' facts are kept only for re-planning a changed file: an
	// unchanged one is read as it runs, so a resume's memory does not grow
	// with the rows either.
	in, err := c.scan(ctx, run.InputPath, in0, changedFile && opts.AllowChanged)
	if err != nil {
		return nil, err
	}
	if in.v.SHA256 != sum {
		return nil, &refbatch.InputError{File: run.InputPath, Err: errors.New("the file changed while it was being read; try again when it is saved")}
	}
	// A run stopped while it was planning (killed between journaling the
	// run and its last rows: RunInfo.Planned is not set) has fewer rows in
	// the journal than its unchanged file: the rest are planned below, or
	// they would never run. They were never sent.
	var journaled map[int]bool
	if !changedFile && (run.Planned.IsZero() || in.count > len(digests)) {
		journaled = make(map[int]bool, len(digests))
		for _, d := range digests {
			journaled[d.Number] = true
		}
	}
	var oldRows []refbatch.RowRecord
	if changedFile && opts.AllowChanged {
		oldRows = make([]refbatch.RowRecord, 0, len(digests))
		for _, d := range digests {
			oldRows = append(oldRows, refbatch.RowRecord{Number: d.Number, Hash: d.Hash, Outcome: d.Outcome})
		}
	}
	digests = nil
	x := execution{run: run, policy: in.policy, input: in0, v: in.v, rows: in.count, finished: finished,
		retry: opts.RetryFailed, resumed: true, res: Result{Mirror: mirror}, holdCreates: c.holdCreatesAfter(mirror)}
	if rh, th := in.policy.Hash(), in.policy.Tables().Hash(); rh != run.RulesHash || th != run.TablesHash {
		// Runs recorded before the built-in rules were hashed by content
		// said "builtin": that too is a change worth saying.
		x.res.PolicyChanged = true
		run.RulesHash, run.TablesHash = rh, th
		if err := c.jr.UpdateRun(ctx, run); err != nil {
			return nil, err
		}
	}
	changed := 0
	if in.v.SHA256 != run.InputSHA256 {
		if changed, err = c.replan(ctx, run.ID, oldRows, in.rows); err != nil {
			return nil, err
		}
	}
	x.res.Replanned = changed
	in.rows = nil // re-planned: the rows are read again as they run
	if journaled != nil {
		planned, err := c.planFile(feed, run, in0, in.policy, journaled)
		if err != nil {
			return nil, err
		}
		x.finished += planned
	}
	if in.v.SHA256 != run.InputSHA256 {
		run.InputSHA256 = in.v.SHA256
		if err := c.jr.UpdateRun(ctx, run); err != nil {
			return nil, err
		}
	}
	if run.Planned.IsZero() {
		if err := c.jr.MarkPlanned(ctx, run.ID); err != nil {
			return nil, err
		}
	}
	x.run = run
	return c.execute(feed, ctx, conn, x)
}

// RunOrResume is what a job that may have been killed calls: it resumes
// the journal's latest run when that run read file and has rows only a
// resume finishes (needsResume), and otherwise starts a new run of file.
func (c *Client) RunOrResume(ctx context.Context, file string) (*Result, error) {
	if err := c.needRun(); err != nil {
		return nil, err
	}
	run, err := c.jr.LatestRun(ctx)
	switch {
	case errors.Is(err, refbatch.ErrNoRun):
	case err != nil:
		return nil, err
	case run.Finished.IsZero() && SameFile(run.InputPath, file):
		unfinished, err := c.needsResume(ctx, run)
		if err != nil {
			return nil, err
		}
		if unfinished {
			return c.Resume(ctx, ResumeOptions{Run: string(run.ID)})
		}
	}
	return c.Run(ctx, file)
}

// needsResume reports whether run has rows only a resume finishes: not
// planned whole, or a row pending or in doubt. A run whose other rows are
// all final and some wait for Microsoft (OutcomeWaiting, Sync's) is not:
// the next file at the same path runs anew rather than being refused as a
// changed input for up to the waits' deadline.
func (c *Client) needsResume(ctx context.Context, run refbatch.RunInfo) (bool, error) {
	if run.Planned.IsZero() {
		return true, nil
	}
	digests, err := c.jr.RowDigests(ctx, run.ID)
	if err != nil {
		return false, err
	}
	for _, d := range digests {
		if !d.Outcome.Final() && d.Outcome != refbatch.OutcomeWaiting {
			return true, nil
		}
	}
	return false, nil
}

// replan matches the rows read now with the rows the journal has. A row
// whose number and content hash are unchanged keeps its record and steps;
// a changed or new row is planned afresh (its old steps forgotten: what
// they created is found by External Reference ID, so the new plan updates
// it instead of creating it again); rows gone from the file are removed.
// A row with a write that may have left (a step "sent", whatever its
// outcome says) is never forgotten: the resume is refused. It works on the
// rows' facts, not their cells, and returns how many rows were re-planned.
func (c *Client) replan(ctx context.Context, run refbatch.RunID, old []refbatch.RowRecord, rows []rowFacts) (int, error) {
	byNumber := make(map[int]refbatch.RowRecord, len(old))
	for _, r := range old {
		byNumber[r.Number] = r
	}
	var unmatched []rowFacts
	kept := make(map[int]bool, len(rows))
	for _, f := range rows {
		if r, ok := byNumber[f.number]; ok && r.Hash == f.hash {
			kept[f.number] = true
			continue
		}
		unmatched = append(unmatched, f)
	}
	// A row that moved (a row inserted or removed above it) is the same
	// row: found by its key and content, it keeps its record and steps
	// under its new number, writes in doubt included.
	byHash := map[string][]int{}
	for _, r := range old {
		if !kept[r.Number] {
			byHash[r.Hash] = append(byHash[r.Hash], r.Number)
		}
	}
	moves := map[int]int{}
	var fresh []rowFacts
	for _, f := range unmatched {
		if f.key != "" {
			if nums := byHash[f.hash]; len(nums) > 0 {
				moves[nums[0]] = f.number
				byHash[f.hash] = nums[1:]
				continue
			}
		}
		fresh = append(fresh, f)
	}
	moved := make(map[int]bool, len(moves))
	for from := range moves {
		moved[from] = true
	}
	seen := make(map[int]bool, len(rows))
	for _, f := range rows {
		seen[f.number] = true
	}
	var gone []int
	for n := range byNumber {
		if !kept[n] && !moved[n] && !seen[n] {
			gone = append(gone, n)
		}
	}
	if len(fresh) == 0 && len(gone) == 0 && len(moves) == 0 {
		return 0, nil
	}
	// Nothing that may have been applied is forgotten: a row whose write is
	// in doubt may move, not change or leave.
	sent, err := c.jr.SentWrites(ctx, run)
	if err != nil {
		return 0, err
	}
	inFlight := map[int]refbatch.StepName{}
	for _, s := range sent {
		inFlight[s.Row] = s.Step
	}
	for _, n := range gone {
		if step, ok := inFlight[n]; ok {
			return 0, usageErrorf("row %d left the file while its %s may have been applied (sent, answer never recorded); put the row back as it was, resume, then change the file", n, step)
		}
	}
	replaced := map[int]bool{}
	for _, f := range fresh {
		if _, ok := byNumber[f.number]; ok && !moved[f.number] {
			replaced[f.number] = true
			if step, ok := inFlight[f.number]; ok {
				return 0, usageErrorf("row %d changed while its %s may have been applied (sent, answer never recorded); put the row back as it was, resume, then change the file", f.number, step)
			}
		}
	}
	if err := c.jr.MoveRows(ctx, run, moves); err != nil {
		return 0, err
	}
	if len(gone) > 0 {
		if err := c.jr.DeleteRows(ctx, run, gone); err != nil {
			return 0, err
		}
	}
	err = c.planRecords(ctx, fresh, func(recs []refbatch.RowRecord) error {
		for _, rec := range recs {
			if replaced[rec.Number] {
				if err := c.jr.ClearSteps(ctx, run, rec.Number); err != nil {
					return err
				}
			}
		}
		return c.jr.PutRows(ctx, run, recs)
	})
	if err != nil {
		return 0, err
	}
	return len(fresh), nil
}
