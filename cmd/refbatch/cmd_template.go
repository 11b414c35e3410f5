package main

import (
	"context"
	"fmt"
	"os"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/exporter"
)

type templateOptions struct {
	policy policyFlags
	rows   int
	out    string
	force  bool
}

func runTemplateCmd(ctx context.Context, args []string, e env) error {
	var opts templateOptions
	fs := newFlagSet("template", "template [flags] OUT.xlsx", e)
	opts.policy.bind(fs)
	fs.IntVar(&opts.rows, "rows", exporter.DefaultTemplateRows, "number of rows prepared with drop-downs and checks")
	fs.BoolVar(&opts.force, "force", false, "replace OUT.xlsx if it exists")
	if err := fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	out, err := oneArg(fs, "output file (OUT.xlsx)")
	if err != nil {
		return err
	}
	opts.out = out
	return runTemplate(ctx, opts, e)
}

func runTemplate(_ context.Context, opts templateOptions, e env) error {
	if opts.rows < 1 || opts.rows > 1_000_000 {
		return usageError("--rows must be between 1 and 1000000, got %d", opts.rows)
	}
	if _, err := os.Stat(opts.out); err == nil && !opts.force {
		return usageError("%s exists: refusing to replace it with an empty template (use --force)", opts.out)
	}
	policy, err := opts.policy.load()
	if err != nil {
		return err
	}
	to := batch.TemplateOptions(policy)
	to.Rows = opts.rows
	err = exporter.WriteTemplate(opts.out, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "template written to %s (%d rows ready; see its Guide sheet)\n", opts.out, opts.rows)
	return nil
}
