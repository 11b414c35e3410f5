package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch"
)

// Exit codes (SPEC §2).
const (
	exitOK          = 0
	exitFindings    = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// env is what every subcommand receives: the streams it may use.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand: its one-line summary and its entry point, which
// parses args itself (with a pflag.FlagSet) and returns an error that
// exitCode maps to a process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, e env) error
	// twoStage commands get the work context and read the feed context
	// from it (first Ctrl-C: no new work; second: cancel in flight); the
	// others stop at the first Ctrl-C.
	twoStage bool
}

func commands() map[string]command {
	return map[string]command{
		"help":     {"show help for refbatch or a command", nil, false},
		"version":  {"print the version", runVersionCmd, false},
		"sandbox":  {"serve a local Partner Center Referrals API for rehearsals and tests", runSandboxCmd, false},
		"validate": {"import a spreadsheet and check every row against the policies", runValidateCmd, false},
		"template": {"write an Excel template with drop-downs and a guide sheet", runTemplateCmd, false},
		"rules":    {"check, list or test the policy rules (rules check|list|test)", runRulesCmd, false},
		"plan":     {"show what a run would send, row by row, without sending it", runPlanCmd, false},
		"run":      {"validate a spreadsheet, then load its valid rows into Partner Center", runRunCmd, true},
		"resume":   {"finish an interrupted or partly failed run", runResumeCmd, true},
		"status":   {"list the runs in a journal and where their rows stand", runStatusCmd, false},
		"export":   {"write a run's rows with their outcome, referral ids and errors", runExportCmd, false},
	}
}

// run is the whole program behind main: it dispatches to a subcommand and
// turns its error into an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 {
		printHelp(stderr, cmds)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "--help":
		if len(rest) > 0 {
			if c, ok := cmds[rest[0]]; ok && c.run != nil {
				return exitCode(c.run(ctx, []string{"--help"}, e), stderr)
			}
		}
		printHelp(stdout, cmds)
		return exitOK
	case "--version":
		name = "version"
	}
	c, ok := cmds[name]
	if !ok || c.run == nil {
		fmt.Fprintf(stderr, "refbatch: unknown command %q\n\n", name)
		printHelp(stderr, cmds)
		return exitUsage
	}
	if !c.twoStage {
		ctx = feedContext(ctx)
	}
	return exitCode(c.run(ctx, rest, e), stderr)
}

// exitCode reports err on stderr and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "refbatch: interrupted")
		return exitInterrupted
	case errors.Is(err, refbatch.ErrFatal):
		fmt.Fprintf(stderr, "refbatch: %v\n", err)
		return exitUsage
	case errors.Is(err, refbatch.ErrFindings):
		// The command has already printed its findings.
		return exitFindings
	default:
		fmt.Fprintf(stderr, "refbatch: %v\n", err)
		return exitUsage
	}
}

func printHelp(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "refbatch loads Microsoft Partner Center referrals from spreadsheets.")
	fmt.Fprintln(w, "\nUsage: refbatch COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'refbatch help COMMAND' or 'refbatch COMMAND --help' for a command's flags.")
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its usage to e.stderr.
func newFlagSet(name, usage string, e env) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: refbatch %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// usageError wraps a usage mistake so that it exits 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", refbatch.ErrUsage, fmt.Sprintf(format, args...))
}

// usageOrHelp marks a flag-parsing error as a usage error; --help passes
// through so that it exits 0.
func usageOrHelp(err error) error {
	if errors.Is(err, pflag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", refbatch.ErrUsage, err)
}
