package main

import (
	"context"
	"fmt"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
	"github.com/refbatch/refbatch/journal"
)

type exportOptions struct {
	journal string
	run     string
	out     string
	force   bool // --out may replace a file refbatch did not write
	now     func() time.Time
}

func runExportCmd(ctx context.Context, args []string, e env) error {
	var opts exportOptions
	fs := newFlagSet("export", "export [flags] [RUN] --out results.{xlsx,csv,json}", e)
	fs.StringVar(&opts.journal, "journal", "refbatch.db", "journal `FILE`")
	fs.StringVar(&opts.out, "out", "", "results `FILE` (.xlsx, .csv or .json): the input rows with outcome, ids, error and client-request-id")
	fs.BoolVar(&opts.force, "force", false, "let --out replace an existing file that is not a refbatch export or report")
	if err := fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 1 {
		return usageError("export takes at most one RUN id, got %d arguments", fs.NArg())
	}
	opts.run = fs.Arg(0)
	return runExport(ctx, opts, e)
}

func runExport(ctx context.Context, opts exportOptions, e env) (err error) {
	if opts.out == "" {
		return usageError("export needs --out results.xlsx (or .csv, .json)")
	}
	if _, err := exporter.ResultsFormat(opts.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := exporter.CheckReplace(opts.out, opts.force); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	jr, err := journal.OpenReadOnly(ctx, opts.journal)
	if err != nil {
		return err
	}
	defer jr.Close()
	run, err := findRun(ctx, jr, opts.run)
	if err != nil {
		return err
	}
	if sameFile(run.InputPath, opts.out) {
		return usageError("--out %s is the run's input file: the export would replace it; choose another name", opts.out)
	}
	po, err := decodeOptions(run)
	if err != nil {
		return err
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	in, err := loadInput(ctx, run.InputPath, po, now)
	if err != nil {
		return err
	}
	if in.sha256 != run.InputSHA256 {
		return fmt.Errorf("%w: %s; the export pairs the journal's rows with the file's rows by row number, so it needs the file as the run last read it",
			refbatch.ErrInputChanged, run.InputPath)
	}
	rows, err := jr.Rows(ctx, run.ID)
	if err != nil {
		return err
	}
	steps, err := jr.Steps(ctx, run.ID)
	if err != nil {
		return err
	}
	lastRequest := latestRequestIDs(steps)
	byNumber := make(map[int]refbatch.RowRecord, len(rows))
	for _, r := range rows {
		byNumber[r.Number] = r
	}

	results, err := exporter.NewResults(opts.out, in.header)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = results.Abort()
		}
	}()
	counts := map[refbatch.Outcome]int{}
	for _, lr := range in.rows {
		rec, ok := byNumber[lr.row.Number]
		if !ok {
			rec = refbatch.RowRecord{Outcome: refbatch.OutcomePending}
		}
		counts[rec.Outcome]++
		if err := results.WriteRow(lr.row, exporter.RowResult{Outcome: rec.Outcome, ReferralID: rec.ReferralID, EngagementID: rec.EngagementID,
			MicrosoftReferralID: rec.MicrosoftReferralID, Error: rec.Error, ClientRequestID: lastRequest[lr.row.Number]}); err != nil {
			return err
		}
	}
	if err := results.Close(counts); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "run %s: %s exported to %s\n", run.ID, plural(len(in.rows), "row", "rows"), opts.out)
	return nil
}
