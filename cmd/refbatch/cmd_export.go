package main

import (
	"context"
	"fmt"
	"time"

	"github.com/refbatch/refbatch/batch"
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
	if _, err := parseWithConfig(fs, args, e); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 1 {
		return usageError("export takes at most one RUN id, got %d arguments", fs.NArg())
	}
	opts.run = fs.Arg(0)
	return runExport(ctx, opts, e)
}

func runExport(ctx context.Context, opts exportOptions, e env) error {
	if opts.out == "" {
		return usageError("export needs --out results.xlsx (or .csv, .json)")
	}
	jr, err := journal.OpenReadOnly(ctx, opts.journal)
	if err != nil {
		return err
	}
	defer jr.Close()
	c, err := batch.NewClient(jr, batch.Endpoint{}, batch.Config{Now: opts.now})
	if err != nil {
		return err
	}
	ex, err := c.Export(ctx, batch.ExportOptions{Run: opts.run, Out: opts.out, Force: opts.force})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "run %s: %s exported to %s\n", ex.Run, plural(ex.Rows, "row", "rows"), opts.out)
	return nil
}
