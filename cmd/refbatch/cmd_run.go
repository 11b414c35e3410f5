package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/refbatch/refbatch/journal"

	"github.com/refbatch/refbatch"
)

type runOptions struct {
	policy       policyFlags
	input        importFlags
	exec         execFlags
	file         string
	sandbox      bool
	sandboxState string
	now          func() time.Time // nil: time.Now
}

func runRunCmd(ctx context.Context, args []string, e env) error {
	var opts runOptions
	fs := newFlagSet("run", "run [flags] FILE.{xlsx,csv}", e)
	opts.policy.bind(fs)
	opts.input.bind(fs)
	opts.exec.bind(fs)
	fs.BoolVar(&opts.sandbox, "sandbox", false, "rehearse against a local sandbox started in this process (no credentials; its state is kept beside the input in .refbatch/)")
	fs.StringVar(&opts.sandboxState, "sandbox-state", "", "with --sandbox: the sandbox's state `FILE` (default .refbatch/sandbox-state.json beside the input)")
	if err := parseWithConfig(&ctx, fs, args); err != nil {
		return usageOrHelp(err)
	}
	file, err := oneArg(fs, "input file (FILE.xlsx or FILE.csv)")
	if err != nil {
		return err
	}
	opts.file = file
	return runRun(ctx, opts, e)
}

func runRun(ctx context.Context, opts runOptions, e env) error {
	if err := opts.exec.check(); err != nil {
		return err
	}
	if opts.sandbox && opts.exec.endpoint != "" {
		return usageError("--sandbox and --endpoint exclude each other")
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	po := newPlanOptions(opts.policy, opts.input)
	po.Sandbox = opts.sandbox
	if opts.sandbox {
		po.SandboxState = opts.sandboxState
		if po.SandboxState == "" {
			po.SandboxState = filepath.Join(filepath.Dir(opts.file), sandboxDir, "sandbox-state.json")
		}
	}
	in, err := loadInput(ctx, opts.file, po, now)
	if err != nil {
		return err
	}
	jpath := opts.exec.journal
	if jpath == "" {
		jpath = defaultJournal(opts.file, opts.sandbox)
	}
	jr, err := openJournal(ctx, jpath)
	if err != nil {
		return err
	}
	defer jr.Close()

	if err := refuseOverDoubt(ctx, jr); err != nil {
		return err
	}

	endpoint := opts.exec.endpoint
	switch {
	case opts.sandbox:
		endpoint = "sandbox:" + po.SandboxState
	case endpoint == "":
		endpoint = "https://api.partner.microsoft.com"
	}
	rulesHash, tablesHash, err := policyHashes(po)
	if err != nil {
		return err
	}
	run := refbatch.RunInfo{
		ID:          refbatch.NewRunID(now()),
		RulesHash:   rulesHash,
		TablesHash:  tablesHash,
		InputPath:   opts.file,
		InputSHA256: in.sha256,
		Options:     encodeOptions(po),
		Endpoint:    endpoint,
		Started:     now().UTC(),
	}
	if err := jr.CreateRun(ctx, run); err != nil {
		return err
	}
	records, err := planRecords(ctx, jr, in.rows)
	if err != nil {
		return err
	}
	list := make([]refbatch.RowRecord, 0, len(records))
	for _, lr := range in.rows {
		list = append(list, records[lr.row.Number])
	}
	if err := jr.PutRows(ctx, run.ID, list); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s, %d valid, %s, %s\n", opts.file, plural(in.summary.Rows, "row", "rows"), in.summary.Valid,
		plural(in.summary.Errors, "error", "errors"), plural(in.summary.Warnings, "warning", "warnings"))
	if in.summary.Errors > 0 {
		fmt.Fprintf(e.stdout, "rows with errors are skipped; see them with: refbatch validate %s --report findings.xlsx\n", shellQuote(opts.file))
	}
	return execute(ctx, execution{file: opts.file, run: run, po: po, flags: opts.exec, in: in, jr: jr, records: records, now: now}, e)
}

// refuseOverDoubt refuses a new run while an earlier run in the journal has
// steps in doubt (sent, answer never recorded): a new run cannot know
// whether those creates happened, and could make them twice. Resume
// reconciles them.
func refuseOverDoubt(ctx context.Context, jr *journal.Journal) error {
	runs, err := jr.Runs(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if !run.Finished.IsZero() {
			continue
		}
		steps, err := jr.UnfinishedSteps(ctx, run.ID) // a step in doubt belongs to an unfinished row
		if err != nil {
			return err
		}
		n := 0
		for _, s := range steps {
			if s.State == refbatch.StateSent && s.Step.Writes() {
				n++
			}
		}
		if n > 0 {
			return usageError("run %s (%s) stopped with %s in doubt: a new run could apply them twice. Finish it first: refbatch resume --journal %s %s",
				run.ID, run.InputPath, plural(n, "step", "steps"), shellQuote(jr.Path()), run.ID)
		}
	}
	return nil
}

// planRecords makes the journal records of freshly read rows. A create row
// whose External Reference ID this journal already created becomes an
// update of that referral (upsert): running a file twice never creates
// twice.
func planRecords(ctx context.Context, jr interface {
	LookupMany(context.Context, []string) (map[string]refbatch.Known, error)
}, rows []loadedRow) (map[int]refbatch.RowRecord, error) {
	var ids []string
	for _, lr := range rows {
		if lr.row.ExternalReferenceID != "" && lr.row.Action == refbatch.ActionCreate {
			ids = append(ids, lr.row.ExternalReferenceID)
		}
	}
	known, err := jr.LookupMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int]refbatch.RowRecord, len(rows))
	for _, lr := range rows {
		rec := plannedRecord(lr)
		if rec.Valid && rec.Action == refbatch.ActionCreate && lr.row.ExternalReferenceID != "" {
			if k, ok := known[strings.ToLower(lr.row.ExternalReferenceID)]; ok {
				rec.Action = refbatch.ActionUpdate
				rec.ReferralID, rec.EngagementID, rec.MicrosoftReferralID = k.ReferralID, k.EngagementID, k.MicrosoftReferralID
			}
		}
		out[lr.row.Number] = rec
	}
	return out, nil
}
