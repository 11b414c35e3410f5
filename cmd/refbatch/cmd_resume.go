package main

import (
	"context"
	"time"

	"github.com/refbatch/refbatch/batch"
)

type resumeOptions struct {
	exec         execFlags
	run          string // "" = the latest
	allowChanged bool
	retryFailed  bool
	settings     *batch.Settings
	now          func() time.Time
	today        string // --today, only for a run on the embedded sandbox
}

func runResumeCmd(ctx context.Context, args []string, e env) error {
	var opts resumeOptions
	fs := newFlagSet("resume", "resume [flags] [RUN]", e)
	opts.exec.bind(fs)
	fs.Lookup("journal").Usage = "journal `FILE` of the run (default: refbatch.db in the current folder)"
	fs.Lookup("endpoint").Usage = "the API `URL` the run started against (default: the run's own; another is refused)"
	fs.BoolVar(&opts.allowChanged, "allow-changed", false, "accept an input file that changed since the run started: re-plan only rows that changed or are new")
	fs.BoolVar(&opts.retryFailed, "retry-failed", false, "also retry rows that failed with a passing error (throttling, 5xx, network)")
	var today todayFlag
	today.bind(fs, "for a run rehearsed with --sandbox --today: the same `DATE`")
	settings, err := parseWithConfig(fs, args, e)
	if err != nil {
		return usageOrHelp(err)
	}
	opts.settings = settings
	if opts.today, err = today.resolve(e); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError("resume takes at most one RUN id, got %d arguments", fs.NArg())
	}
	opts.run = fs.Arg(0)
	return runResume(ctx, opts, e)
}

func runResume(ctx context.Context, opts resumeOptions, e env) error {
	jr, _, err := opts.exec.openJournal(ctx)
	if err != nil {
		return err
	}
	defer jr.Close()
	run, err := batch.FindRun(ctx, jr, opts.run)
	if err != nil {
		return err
	}
	in, err := batch.InputOptionsOf(run)
	if err != nil {
		return err
	}
	// The run's own endpoint, unless one is given: the client refuses
	// another.
	ep, now, stop, err := endpointChoice{own: run.Endpoint, given: opts.exec.endpoint, tables: in.Tables,
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
	res, err := c.Resume(ctx, batch.ResumeOptions{Run: string(run.ID), AllowChanged: opts.allowChanged, RetryFailed: opts.retryFailed})
	return out.finish(res, err)
}
