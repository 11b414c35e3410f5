package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
)

type syncOptions struct {
	exec     execFlags
	settings *batch.Settings
	now      func() time.Time
	today    string // --today, only for a journal rehearsed with --sandbox --today
}

func runSyncCmd(ctx context.Context, args []string, e env) error {
	var opts syncOptions
	fs := newFlagSet("sync", "sync [flags]", e)
	opts.exec.bind(fs)
	fs.Lookup("journal").Usage = "journal `FILE` whose waiting rows to advance (default: refbatch.db in the current folder)"
	fs.Lookup("endpoint").Usage = "the API `URL` the journal belongs to (default: its own; another is refused)"
	var today todayFlag
	today.bind(fs, "for a journal rehearsed with --sandbox --today: the same `DATE`")
	settings, err := parseWithConfig(fs, args, e)
	if err != nil {
		return usageOrHelp(err)
	}
	opts.settings = settings
	if opts.today, err = today.resolve(e); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("sync takes no arguments (it advances the waiting rows of every run in the journal), got %d", fs.NArg())
	}
	return runSync(ctx, opts, e)
}

// runSync refreshes the journal's mirror of Partner Center and advances
// every waiting row: registered once Microsoft has accepted, still waiting,
// or failed past its deadline. It needs no input file.
func runSync(ctx context.Context, opts syncOptions, e env) error {
	jr, jpath, err := opts.exec.openJournal(ctx)
	if err != nil {
		return err
	}
	defer jr.Close()
	b, bound, err := jr.Binding(ctx)
	if err != nil {
		return err
	}
	if !bound && opts.exec.endpoint == "" {
		return usageError("the journal %s has no run yet: nothing waits", jpath)
	}
	var in batch.InputOptions
	if run, err := jr.LatestRun(ctx); err == nil {
		if in, err = batch.InputOptionsOf(run); err != nil {
			return err
		}
	}
	ep, now, stop, err := endpointChoice{own: b.Endpoint, given: opts.exec.endpoint, tables: in.Tables,
		today: opts.today, now: opts.now, settings: opts.settings}.open(ctx, e)
	if err != nil {
		return err
	}
	defer stop()
	out := newRunOutput(e, opts.exec.quiet, opts.now)
	c, err := out.start(jr, ep, &opts.exec, in, now)
	if err != nil {
		return err
	}
	res, err := c.Sync(ctx)
	return finishSync(e, res, err)
}

// finishSync prints what the sync did and returns the error that sets the
// exit code: 0 when nothing is left waiting, 3 when rows still wait, 1 when
// a row failed (past its deadline) or is left in doubt.
func finishSync(e env, res *batch.SyncResult, err error) error {
	if res == nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "sync of journal %s: mirror refreshed (%s read)\n", res.Journal, plural(res.Mirror.Listed, "referral", "referrals"))
	if len(res.Rows) == 0 {
		fmt.Fprintln(w, "no row waits")
		return err
	}
	counts := res.Counts()
	var parts []string
	for _, o := range refbatch.Outcomes() {
		if n := counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	fmt.Fprintf(w, "%s taken up: %s\n", plural(len(res.Rows), "waiting row", "waiting rows"), strings.Join(parts, ", "))
	fmt.Fprintf(w, "%s in %s, %d throttled\n", plural(int(res.Requests), "request", "requests"), res.Elapsed.Round(time.Millisecond), res.Throttled)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tROW\tOUTCOME\tDEADLINE\tWHY")
	for i, r := range res.Rows {
		if i == maxFailedPrinted {
			fmt.Fprintf(tw, "…\t\t\t\t%d more: refbatch status --rows\n", len(res.Rows)-i)
			break
		}
		deadline := ""
		if r.Outcome == refbatch.OutcomeWaiting || r.Outcome == refbatch.OutcomeFailed {
			deadline = r.Wait.Deadline.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", r.Run, r.Number, r.Outcome, deadline, oneLine(r.Error))
	}
	tw.Flush()
	switch {
	case err != nil && !errors.Is(err, refbatch.ErrFindings) && !errors.Is(err, refbatch.ErrWaiting):
		fmt.Fprintf(w, "\nThe journal is consistent. To go on: refbatch sync --journal %s\n", batch.ShellQuote(res.Journal))
	case counts[refbatch.OutcomeInDoubt]+counts[refbatch.OutcomePending] > 0:
		fmt.Fprintf(w, "\nRows left in doubt or pending are taken up by the next sync (or resume).\n")
	}
	return err
}
