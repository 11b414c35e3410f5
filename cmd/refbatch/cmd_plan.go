package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/journal"
)

type planCmdOptions struct {
	policy   policyFlags
	input    importFlags
	file     string
	journal  string
	sandbox  bool
	online   bool
	endpoint string
	format   string
	bodies   bool // --bodies: every request with its body, not one line per row
	settings *batch.Settings
	now      func() time.Time
	today    string // --today ("" = the calendar's)
}

func runPlanCmd(ctx context.Context, args []string, e env) error {
	var opts planCmdOptions
	fs := newFlagSet("plan", "plan [flags] FILE.{xlsx,csv}", e)
	opts.policy.bind(fs)
	opts.input.bind(fs)
	fs.StringVar(&opts.journal, "journal", "", "journal `FILE` whose mirror of Partner Center turns creates into updates (default: the one run would use)")
	fs.BoolVar(&opts.sandbox, "sandbox", false, "plan as run --sandbox would, with that rehearsal's journal")
	fs.BoolVar(&opts.online, "online", false, "read each update row's live referral (your sign-in, --endpoint) so patches show only what differs and transitions are checked against the live status")
	fs.StringVar(&opts.endpoint, "endpoint", "", "Partner Center API base `URL` for --online")
	fs.StringVar(&opts.format, "format", "text", "output: text (one line per row) or json (every request with its body)")
	fs.BoolVar(&opts.bodies, "bodies", false, "print every request with its body and JSON Patch, not one line per row")
	var today todayFlag
	today.bind(fs, "check dates as of `DATE`, as run --sandbox --today would")
	settings, err := parseWithConfig(fs, args, e)
	if err != nil {
		return usageOrHelp(err)
	}
	opts.settings = settings
	if opts.today, err = today.resolve(e); err != nil {
		return err
	}
	file, err := oneArg(fs, "input file (FILE.xlsx or FILE.csv)")
	if err != nil {
		return err
	}
	opts.file = file
	return runPlan(ctx, opts, e)
}

func runPlan(ctx context.Context, opts planCmdOptions, e env) error {
	if opts.format != "text" && opts.format != "json" {
		return usageError("--format must be text or json, got %q", opts.format)
	}
	if opts.online && opts.sandbox {
		return usageError("--online reads a live API; the sandbox of a rehearsal is not running: use --endpoint with `refbatch sandbox`")
	}
	jpath := opts.journal
	if jpath == "" {
		jpath = defaultJournal(opts.file, opts.sandbox)
	}
	var jr *journal.Journal
	if _, err := os.Stat(jpath); err != nil && opts.journal != "" {
		// Not refused: planning before the first run with the journal it
		// will use is the normal order. But a typo would hide the upserts
		// the real journal holds, so say it; nothing is created.
		fmt.Fprintf(e.stderr, "journal %s does not exist (yet): planned as a first run, every create a create\n", jpath)
	} else if err == nil {
		if jr, err = journal.OpenReadOnly(ctx, jpath); err != nil {
			return err
		}
		defer jr.Close()
	}
	var ep batch.Endpoint
	if opts.online {
		var err error
		if ep, err = realEndpoint(opts.endpoint, opts.settings, e); err != nil {
			return fmt.Errorf("--online: %w", err)
		}
	}
	now, err := asOf(opts.today, opts.now)
	if err != nil {
		return err
	}
	c, err := batch.NewClient(jr, ep, batch.Config{Input: inputOptions(opts.policy, opts.input), Now: opts.now, Today: now})
	if err != nil {
		return err
	}
	plans, _, err := c.Plan(ctx, opts.file, batch.PlanOptions{Online: opts.online})
	if err != nil {
		return err
	}
	if opts.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plans)
	}
	if opts.bodies {
		printPlan(e.stdout, opts.file, plans)
		return nil
	}
	printPlanSummary(e.stdout, opts.file, plans)
	return nil
}

func printPlan(w io.Writer, file string, plans []engine.RowPlan) {
	requests, skipped, notLoaded := 0, 0, 0
	for _, p := range plans {
		requests += len(p.Requests)
		switch {
		case p.NotLoaded != "":
			notLoaded++
		case !p.Valid:
			skipped++
		}
		what := p.Action
		if p.Upsert {
			what += " (Partner Center already holds its External Reference ID)"
		}
		fmt.Fprintf(w, "row %d: %s", p.Row, what)
		if p.Key != "" {
			fmt.Fprintf(w, " [%s]", p.Key)
		}
		fmt.Fprintln(w)
		if p.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", p.Note)
		}
		for _, r := range p.Requests {
			fmt.Fprintf(w, "  %s: %s %s\n", r.Step, r.Method, r.Path)
			if len(r.Body) > 0 {
				var b bytes.Buffer
				if json.Indent(&b, r.Body, "    ", "  ") == nil {
					fmt.Fprintf(w, "    %s\n", b.String())
				}
			}
		}
	}
	fmt.Fprintf(w, "\n%s: %s planned, %s, %d skipped for errors%s; nothing was sent\n", file,
		plural(len(plans), "row", "rows"), plural(requests, "request", "requests"), skipped, notLoadedText(notLoaded))
}
