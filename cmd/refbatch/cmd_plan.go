package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
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
	now      func() time.Time
}

func runPlanCmd(ctx context.Context, args []string, e env) error {
	var opts planCmdOptions
	fs := newFlagSet("plan", "plan [flags] FILE.{xlsx,csv}", e)
	opts.policy.bind(fs)
	opts.input.bind(fs)
	fs.StringVar(&opts.journal, "journal", "", "journal `FILE` whose External Reference IDs turn creates into updates (default: the one run would use)")
	fs.BoolVar(&opts.sandbox, "sandbox", false, "plan as run --sandbox would, with that rehearsal's journal")
	fs.BoolVar(&opts.online, "online", false, "read each update row's live referral (your sign-in, --endpoint) so patches show only what differs and transitions are checked against the live status")
	fs.StringVar(&opts.endpoint, "endpoint", "", "Partner Center API base `URL` for --online")
	fs.StringVar(&opts.format, "format", "text", "output: text or json")
	if err := parseWithConfig(&ctx, fs, args); err != nil {
		return usageOrHelp(err)
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
	now := opts.now
	if now == nil {
		now = time.Now
	}
	in, err := loadInput(ctx, opts.file, newPlanOptions(opts.policy, opts.input), now)
	if err != nil {
		return err
	}
	jpath := opts.journal
	if jpath == "" {
		jpath = defaultJournal(opts.file, opts.sandbox)
	}
	var jr *journal.Journal
	if _, err := os.Stat(jpath); err == nil {
		if jr, err = journal.OpenReadOnly(ctx, jpath); err != nil {
			return err
		}
		defer jr.Close()
	}
	var api *partnercenter.Referrals
	if opts.online {
		token, err := tokenSource(ctx)
		if err != nil {
			return fmt.Errorf("--online: %w", err)
		}
		c, err := partnercenter.NewClient(opts.endpoint, partnercenter.WithTokenSource(token))
		if err != nil {
			return usageError("%v", err)
		}
		api = partnercenter.NewReferrals(c)
	}

	mapper := partnercenter.NewMapper()
	checker := in.policy.NewEvaluator()
	plans := make([]engine.RowPlan, 0, len(in.rows))
	for _, lr := range in.rows {
		if hasErrors(lr.findings) {
			plans = append(plans, engine.RowPlan{Row: lr.row.Number, Key: refbatch.KeyOf(lr.row), Action: lr.row.Action,
				Findings: lr.findings, Requests: []refbatch.Request{}, Note: "skipped: " + firstError(lr.findings)})
			continue
		}
		var known *refbatch.Known
		if jr != nil && lr.row.ExternalReferenceID != "" {
			k, ok, err := jr.Lookup(ctx, lr.row.ExternalReferenceID)
			if err != nil {
				return err
			}
			if ok {
				known = &k
			}
		}
		var live *refbatch.Remote
		if api != nil {
			id := lr.row.ReferralID
			if id == "" && known != nil {
				id = known.ReferralID
			}
			if id != "" {
				r, err := api.Get(ctx, partnercenter.NewClientRequestID(), id)
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return err
					}
					plans = append(plans, engine.RowPlan{Row: lr.row.Number, Key: refbatch.KeyOf(lr.row), Action: refbatch.ActionUpdate,
						Requests: []refbatch.Request{}, Note: fmt.Sprintf("run would fail this row: %v", err)})
					continue
				}
				live = &r
			}
		}
		p, err := engine.PlanRow(lr.row, known, live, mapper)
		if err != nil {
			return err
		}
		if live != nil {
			row := *lr.row
			row.CurrentStatus, row.CurrentSubstatus = live.Status, live.Substatus
			row.Filled = row.Filled.With(refbatch.ColCurrentStatus).With(refbatch.ColCurrentSubstatus)
			for _, f := range checker.Evaluate(nil, &row) {
				if f.Rule == refbatch.RuleStatusTransition && f.Severity == refbatch.SeverityError {
					p.Valid, p.Findings = false, append(p.Findings, f)
					p.Note = "run would fail this row before sending: " + f.Message
				}
			}
		}
		plans = append(plans, p)
	}
	if opts.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plans)
	}
	printPlan(e.stdout, opts.file, plans)
	return nil
}

func printPlan(w io.Writer, file string, plans []engine.RowPlan) {
	requests, skipped := 0, 0
	for _, p := range plans {
		requests += len(p.Requests)
		if !p.Valid {
			skipped++
		}
		what := p.Action
		if p.Upsert {
			what += " (this journal already created its External Reference ID)"
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
	fmt.Fprintf(w, "\n%s: %s planned, %s, %d skipped for errors; nothing was sent\n", file,
		plural(len(plans), "row", "rows"), plural(requests, "request", "requests"), skipped)
}
