package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/refbatch/refbatch/batch"
)

type pullOptions struct {
	policy       policyFlags
	exec         execFlags
	out          string
	force        bool
	direction    string
	statuses     []string
	updatedSince string
	sandbox      bool
	sandboxState string
	leads        int
	settings     *batch.Settings
	now          func() time.Time
}

func runPullCmd(ctx context.Context, args []string, e env) error {
	opts := pullOptions{exec: execFlags{concurrency: batch.DefaultConcurrency, logFormat: "text"}}
	fs := newFlagSet("pull", "pull --out FILE.{xlsx,csv} [flags]", e)
	opts.policy.bind(fs)
	fs.StringVar(&opts.out, "out", "", "the workbook to write, `FILE`.xlsx or FILE.csv (required)")
	fs.BoolVar(&opts.force, "force", false, "replace the --out file if it exists")
	fs.StringVar(&opts.direction, "direction", "", "keep only incoming leads or outgoing referrals: incoming or outgoing")
	fs.StringSliceVar(&opts.statuses, "status", nil, "keep only referrals in these statuses (New, Active, Closed; repeat or separate with commas)")
	fs.StringVar(&opts.updatedSince, "updated-since", "", "keep only referrals updated on or after `DATE` (2026-11-01)")
	fs.StringVar(&opts.exec.endpoint, "endpoint", "", "Partner Center API base `URL` (default https://api.partner.microsoft.com)")
	fs.StringVar(&opts.exec.journal, "journal", "", "journal `FILE` whose mirror of Partner Center is refreshed and written out (default: refbatch.db beside --out; .refbatch/sandbox.db with --sandbox)")
	fs.Float64Var(&opts.exec.rate, "rate", 0, "ceiling in requests per second (default: none; the rate adapts)")
	fs.BoolVar(&opts.exec.verbose, "verbose", false, "log every retry")
	fs.BoolVar(&opts.sandbox, "sandbox", false, "pull from the local sandbox (its state is kept beside the journal); a journal of run --sandbox pulls from it without this flag")
	fs.StringVar(&opts.sandboxState, "sandbox-state", "", "with --sandbox: the sandbox's state `FILE` (default sandbox-state.json beside the journal)")
	fs.IntVar(&opts.leads, "sandbox-leads", 0, "with --sandbox: first add `N` leads sent to you (lead-0001…, New, 14 days to answer), to rehearse accepting and declining them")
	settings, err := parseWithConfig(fs, args, e)
	if err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 0 {
		return usageError("pull takes no arguments; name the workbook with --out")
	}
	opts.settings = settings
	return runPull(ctx, opts, e)
}

func runPull(ctx context.Context, opts pullOptions, e env) error {
	if opts.out == "" {
		return usageError("pull needs --out FILE.xlsx or FILE.csv")
	}
	if opts.sandbox && opts.exec.endpoint != "" {
		return usageError("--sandbox and --endpoint exclude each other")
	}
	if opts.leads < 0 || opts.leads > 9999 {
		return usageError("--sandbox-leads must be 0 to 9999, got %d", opts.leads)
	}
	var since time.Time
	if opts.updatedSince != "" {
		var err error
		if since, err = time.Parse(time.DateOnly, opts.updatedSince); err != nil {
			return usageError("--updated-since %q is not a date like 2026-11-01", opts.updatedSince)
		}
	}
	in := inputOptions(opts.policy, importFlags{})
	jpath := opts.exec.journal
	if jpath == "" {
		jpath = defaultJournal(opts.out, opts.sandbox)
	}
	jr, err := batch.OpenJournal(ctx, jpath, true)
	if err != nil {
		return err
	}
	defer jr.Close()
	// The journal's own endpoint (the embedded sandbox a run --sandbox
	// used, or Partner Center), unless --sandbox or --endpoint says.
	own := ""
	if b, bound, err := jr.Binding(ctx); err != nil {
		return err
	} else if bound {
		own = b.Endpoint
	}
	if opts.sandbox {
		state := opts.sandboxState
		if state == "" {
			state = filepath.Join(filepath.Dir(jpath), "sandbox-state.json")
		}
		own = batch.SandboxPrefix + state
	}
	if _, embedded := batch.SandboxStateOf(own); opts.leads != 0 && (!embedded || opts.exec.endpoint != "") {
		return usageError("--sandbox-leads needs the embedded sandbox (--sandbox)")
	}
	ep, now, stop, err := endpointChoice{own: own, given: opts.exec.endpoint, tables: in.Tables, now: opts.now,
		leads: opts.leads, settings: opts.settings}.open(ctx, e)
	if err != nil {
		return err
	}
	defer stop()
	c, err := batch.NewClient(jr, ep, opts.exec.config(in, opts.now, now, e.stderr))
	if err != nil {
		return err
	}
	e.interrupts.onFirst(c.StopAndCancel)
	res, err := c.Pull(ctx, batch.PullOptions{Out: opts.out, Force: opts.force, Direction: opts.direction, Statuses: opts.statuses, UpdatedSince: since})
	if err != nil {
		return err
	}
	how := "incrementally"
	if res.Mirror.Full {
		how = "in full"
	}
	fmt.Fprintf(e.stdout, "pulled %s to %s (mirror refreshed %s: %d listed; journal %s) in %s\n",
		plural(res.Rows, "referral", "referrals"), res.Out, how, res.Mirror.Listed, jpath, res.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "Edit it and give it back: refbatch plan %s, then refbatch run %s (only the cells you change are sent)\n", res.Out, res.Out)
	return nil
}
