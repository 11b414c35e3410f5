package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

type resumeOptions struct {
	exec         execFlags
	run          string // "" = the latest
	allowChanged bool
	retryFailed  bool
	now          func() time.Time
}

func runResumeCmd(ctx context.Context, args []string, e env) error {
	var opts resumeOptions
	fs := newFlagSet("resume", "resume [flags] [RUN]", e)
	opts.exec.bind(fs)
	fs.Lookup("journal").Usage = "journal `FILE` of the run (default: refbatch.db in the current folder)"
	fs.BoolVar(&opts.allowChanged, "allow-changed", false, "accept an input file that changed since the run started: re-plan only rows that changed or are new")
	fs.BoolVar(&opts.retryFailed, "retry-failed", false, "also retry rows that failed with a passing error (throttling, 5xx, network)")
	if err := parseWithConfig(&ctx, fs, args); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 1 {
		return usageError("resume takes at most one RUN id, got %d arguments", fs.NArg())
	}
	opts.run = fs.Arg(0)
	return runResume(ctx, opts, e)
}

func runResume(ctx context.Context, opts resumeOptions, e env) error {
	if err := opts.exec.check(); err != nil {
		return err
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	jpath := opts.exec.journal
	if jpath == "" {
		jpath = "refbatch.db"
	}
	jr, err := journal.Open(ctx, jpath, journal.Options{})
	if err != nil {
		return err
	}
	defer jr.Close()
	run, err := findRun(ctx, jr, opts.run)
	if err != nil {
		return err
	}
	po, err := decodeOptions(run)
	if err != nil {
		return err
	}
	if po.Sandbox && opts.exec.endpoint != "" {
		return usageError("run %s rehearsed against the sandbox; --endpoint cannot move it to another API", run.ID)
	}
	if !po.Sandbox && opts.exec.endpoint == "" && run.Endpoint != "" {
		opts.exec.endpoint = run.Endpoint
	}
	// What the journal says of each row first (number, hash, outcome: a
	// light read): with it, rows that are finished and unchanged are hashed
	// and handed back while the file is read, not kept; only the rows that
	// may still run are read from the journal whole.
	digests, err := jr.RowDigests(ctx, run.ID)
	if err != nil {
		return err
	}
	finished := make(map[int]string, len(digests))
	for _, d := range digests {
		if d.Outcome.Final() && !(opts.retryFailed && d.Outcome == refbatch.OutcomeFailed) {
			finished[d.Number] = d.Hash
		}
	}
	in, err := loadInputKeeping(ctx, run.InputPath, po, now, func(number int, hash string) bool {
		h, ok := finished[number]
		return !ok || h != hash
	})
	if err != nil {
		return err
	}
	var kept []int
	for _, lr := range in.rows {
		if lr.row != nil {
			kept = append(kept, lr.number)
		}
	}
	full, err := jr.RowsOf(ctx, run.ID, kept)
	if err != nil {
		return err
	}
	oldRows := make([]refbatch.RowRecord, 0, len(digests))
	byNumber := make(map[int]refbatch.RowRecord, len(full))
	for _, r := range full {
		byNumber[r.Number] = r
	}
	for _, d := range digests {
		if r, ok := byNumber[d.Number]; ok {
			oldRows = append(oldRows, r)
			continue
		}
		oldRows = append(oldRows, refbatch.RowRecord{Number: d.Number, Hash: d.Hash, Outcome: d.Outcome})
	}
	if rulesHash, tablesHash, err := policyHashes(po); err != nil {
		return err
	} else if (run.RulesHash != "" && rulesHash != run.RulesHash) || (run.TablesHash != "" && tablesHash != run.TablesHash) {
		fmt.Fprintf(e.stdout, "note: the rules or reference tables changed since run %s started; the rows left are checked with the current ones\n", run.ID)
		run.RulesHash, run.TablesHash = rulesHash, tablesHash
		if err := jr.UpdateRun(ctx, run); err != nil {
			return err
		}
	}
	if in.sha256 != run.InputSHA256 && !opts.allowChanged {
		return fmt.Errorf("%w: %s (SHA-256 %.12s…, the run read %.12s…); resume with --allow-changed to re-plan only the rows that changed or are new",
			refbatch.ErrInputChanged, run.InputPath, in.sha256, run.InputSHA256)
	}
	records, changed, err := replan(ctx, jr, run.ID, oldRows, in.rows)
	if err != nil {
		return err
	}
	if in.sha256 != run.InputSHA256 {
		run.InputSHA256 = in.sha256
		if err := jr.UpdateRun(ctx, run); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s changed since the run started: %d rows re-planned\n", run.InputPath, changed)
	}
	return execute(ctx, execution{file: run.InputPath, run: run, po: po, flags: opts.exec, in: in, jr: jr,
		records: records, retry: opts.retryFailed, now: now, resumed: true}, e)
}

// findRun returns the run named id, or the latest run when id is "".
func findRun(ctx context.Context, jr interface {
	Run(context.Context, refbatch.RunID) (refbatch.RunInfo, error)
	LatestRun(context.Context) (refbatch.RunInfo, error)
}, id string) (refbatch.RunInfo, error) {
	var run refbatch.RunInfo
	var err error
	if id == "" {
		run, err = jr.LatestRun(ctx)
	} else {
		run, err = jr.Run(ctx, refbatch.RunID(id))
	}
	if errors.Is(err, refbatch.ErrNoRun) {
		if id == "" {
			return run, usageError("the journal has no run yet")
		}
		return run, usageError("the journal has no run %q (refbatch status lists them)", id)
	}
	return run, err
}

// replan matches the rows read now with the rows the journal has. A row
// whose number and content hash are unchanged keeps its record and steps;
// a changed or new row is planned afresh (its old steps forgotten: what
// they created is remembered by External Reference ID, so the new plan
// updates it instead of creating it again); rows gone from the file are
// removed. It returns the records by row number and how many rows were
// re-planned.
func replan(ctx context.Context, jr *journal.Journal, run refbatch.RunID, old []refbatch.RowRecord, rows []loadedRow) (map[int]refbatch.RowRecord, int, error) {
	byNumber := make(map[int]refbatch.RowRecord, len(old))
	for _, r := range old {
		byNumber[r.Number] = r
	}
	records := make(map[int]refbatch.RowRecord, len(rows))
	var fresh []loadedRow
	seen := make(map[int]bool, len(rows))
	for _, lr := range rows {
		seen[lr.number] = true
		if r, ok := byNumber[lr.number]; ok && r.Hash == lr.hash {
			records[lr.number] = r
			continue
		}
		fresh = append(fresh, lr)
	}
	var gone []int
	for n, r := range byNumber {
		if !seen[n] {
			if r.Outcome == refbatch.OutcomeInDoubt {
				return nil, 0, fmt.Errorf("row %d left the file while a step of it is in doubt; put it back, resume, then change the file", n)
			}
			gone = append(gone, n)
		}
	}
	if len(fresh) == 0 && len(gone) == 0 {
		return records, 0, nil
	}
	for _, lr := range fresh {
		if r, ok := byNumber[lr.number]; ok && r.Outcome == refbatch.OutcomeInDoubt {
			return nil, 0, fmt.Errorf("row %d changed while a step of it is in doubt; resume the unchanged file first", lr.number)
		}
	}
	planned, err := planRecords(ctx, jr, fresh)
	if err != nil {
		return nil, 0, err
	}
	list := make([]refbatch.RowRecord, 0, len(fresh))
	for _, lr := range fresh {
		rec := planned[lr.row.Number]
		if _, ok := byNumber[lr.row.Number]; ok {
			if err := jr.ClearSteps(ctx, run, lr.row.Number); err != nil {
				return nil, 0, err
			}
		}
		records[lr.row.Number] = rec
		list = append(list, rec)
	}
	if len(gone) > 0 {
		if err := jr.DeleteRows(ctx, run, gone); err != nil {
			return nil, 0, err
		}
	}
	if err := jr.PutRows(ctx, run, list); err != nil {
		return nil, 0, err
	}
	return records, len(fresh), nil
}
