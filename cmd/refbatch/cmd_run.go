package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

type runOptions struct {
	policy       policyFlags
	input        importFlags
	exec         execFlags
	file         string
	sandbox      bool
	sandboxState string
	settings     *batch.Settings  // nil: the environment's alone
	now          func() time.Time // nil: time.Now
	today        string           // --today, only with --sandbox ("" = the calendar's)
}

func runRunCmd(ctx context.Context, args []string, e env) error {
	var opts runOptions
	fs := newFlagSet("run", "run [flags] FILE.{xlsx,csv}", e)
	opts.policy.bind(fs)
	opts.input.bind(fs)
	opts.exec.bind(fs)
	fs.BoolVar(&opts.sandbox, "sandbox", false, "rehearse against a local sandbox started in this process (no credentials; its state and journal are kept beside the input in .refbatch/)")
	fs.StringVar(&opts.sandboxState, "sandbox-state", "", "with --sandbox: the sandbox's state `FILE` (default .refbatch/sandbox-state.json beside the input)")
	var today todayFlag
	today.bind(fs, "with --sandbox: rehearse as of `DATE`, in the rules and the sandbox alike")
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
	return runRun(ctx, opts, e)
}

func runRun(ctx context.Context, opts runOptions, e env) error {
	if err := opts.exec.check(); err != nil {
		return err
	}
	if opts.sandbox && opts.exec.endpoint != "" {
		return usageError("--sandbox and --endpoint exclude each other")
	}
	if err := todayNeedsSandbox(opts.today, opts.sandbox, opts.exec.endpoint); err != nil {
		return err
	}
	now, err := asOf(opts.today, opts.now)
	if err != nil {
		return err
	}
	in := inputOptions(opts.policy, opts.input)
	jpath := opts.exec.journal
	if jpath == "" {
		jpath = defaultJournal(opts.file, opts.sandbox)
	}
	jr, err := batch.OpenJournal(ctx, jpath, true)
	if err != nil {
		return err
	}
	defer jr.Close()

	var ep batch.Endpoint
	if opts.sandbox {
		state := opts.sandboxState
		if state == "" {
			state = filepath.Join(filepath.Dir(opts.file), sandboxDir, "sandbox-state.json")
		}
		sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{StateFile: state, TablesDir: in.Tables, Options: &sandbox.Options{Now: now}})
		if err != nil {
			return err
		}
		defer sb.Close()
		ep = sb.Endpoint()
	} else {
		if ep, err = realEndpoint(opts.exec.endpoint, opts.settings, e); err != nil {
			return err
		}
	}
	out := newRunOutput(e, opts.exec.quiet, opts.now)
	out.today = opts.today
	c, err := out.start(jr, ep, &opts.exec, in, now)
	if err != nil {
		return err
	}
	res, err := c.Run(ctx, opts.file)
	return out.finish(res, err)
}

// realEndpoint is Partner Center (or the URL given) with the credentials
// the settings name.
func realEndpoint(url string, s *batch.Settings, e env) (batch.Endpoint, error) {
	s, err := settingsOf(s, e)
	if err != nil {
		return batch.Endpoint{}, err
	}
	if url == "" {
		url = s.Get("endpoint")
	}
	token, err := tokenSource(s)
	if err != nil {
		return batch.Endpoint{}, err
	}
	return batch.Endpoint{URL: url, Token: token}, nil
}
