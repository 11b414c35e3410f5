package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch"
)

// Exit codes (SPEC §2).
const (
	exitOK          = 0
	exitFindings    = 1
	exitUsage       = 2
	exitWaiting     = 3 // rows wait for Partner Center (refbatch sync advances them); nothing failed
	exitInterrupted = 130
)

// env is what every subcommand receives: the streams it may use, the
// environment and the signals. Tests build it directly; a nil getenv is an
// empty environment, nil interrupts none.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// interrupts lets run and resume stop in two stages (onFirst).
	interrupts *interrupts
	// usage is where newFlagSet prints a command's usage: stdout for
	// "refbatch help COMMAND", else (nil) stderr, where "COMMAND --help"
	// has always printed it.
	usage io.Writer
	// parsed remembers the FlagSet newFlagSet made, so that run can name
	// the flag a mistyped one was meant to be; nil when a test builds env.
	parsed *parsedFlags
}

type parsedFlags struct{ fs *pflag.FlagSet }

// command is one subcommand: its one-line summary and its entry point, which
// parses args itself (with a pflag.FlagSet) and returns an error that
// exitCode maps to a process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

func commands() map[string]command {
	return map[string]command{
		"help":     {"show help for refbatch or a command", nil},
		"version":  {"print the version", runVersionCmd},
		"sandbox":  {"serve a local Partner Center Referrals API for rehearsals and tests", runSandboxCmd},
		"validate": {"import a spreadsheet and check every row against the policies", runValidateCmd},
		"template": {"write an Excel template with drop-downs and a guide sheet", runTemplateCmd},
		"rules":    {"check, list or test the policy rules (rules check|list|test)", runRulesCmd},
		"plan":     {"show what a run would send, row by row, without sending it", runPlanCmd},
		"run":      {"validate a spreadsheet, then load its valid rows into Partner Center", runRunCmd},
		"pull":     {"write the partner's referrals from Partner Center into a workbook to edit and run back", runPullCmd},
		"resume":   {"finish an interrupted or partly failed run", runResumeCmd},
		"sync":     {"refresh the mirror of Partner Center and advance the rows that wait (deal registrations)", runSyncCmd},
		"status":   {"list the runs in a journal and where their rows stand", runStatusCmd},
		"export":   {"write a run's rows with their outcome, referral ids and errors", runExportCmd},
		"login":    {"sign in to Partner Center (Azure AD device code) and keep the refresh token", runLoginCmd},
		"logout":   {"forget the sign-in that login kept", runLogoutCmd},
		"config":   {"print the effective configuration and where each value comes from", runConfigCmd},
	}
}

// run is the program with the process's environment and no signals, as
// tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, args, env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv})
}

// runWith is the whole program behind main: it dispatches to a subcommand
// and turns its error into an exit code.
func runWith(ctx context.Context, args []string, e env) int {
	stderr := e.stderr
	cmds := commands()
	if len(args) == 0 {
		printHelp(stderr, cmds)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "--help":
		return runHelp(ctx, rest, e, cmds)
	case "--version":
		name = "version"
	}
	c, ok := cmds[name]
	if !ok || c.run == nil {
		if hint := didYouMean(name, commandNames(cmds), ""); hint != "" {
			fmt.Fprintf(stderr, "refbatch: unknown command %q: %s\nRun 'refbatch help' for the list of commands.\n", name, hint)
		} else {
			fmt.Fprintf(stderr, "refbatch: unknown command %q\n\n", name)
			printHelp(stderr, cmds)
		}
		return exitUsage
	}
	return exitCode(runCommand(ctx, c, rest, e), stderr)
}

// runCommand runs c and, when it fails on a flag it does not have, names
// the flag that was probably meant.
func runCommand(ctx context.Context, c command, args []string, e env) error {
	e.parsed = &parsedFlags{}
	err := c.run(ctx, args, e)
	return suggestFlag(err, e.parsed.fs)
}

// runHelp is "refbatch help [COMMAND]": the commands, or a command's usage
// and flags, on stdout. An unknown topic is a usage error (exit 2).
func runHelp(ctx context.Context, args []string, e env, cmds map[string]command) int {
	if len(args) == 0 || args[0] == "help" {
		printHelp(e.stdout, cmds)
		return exitOK
	}
	topic := args[0]
	if len(args) > 1 {
		fmt.Fprintf(e.stderr, "refbatch: help takes one command, got %d arguments\n", len(args))
		return exitUsage
	}
	c, ok := cmds[topic]
	if !ok || c.run == nil {
		hint := didYouMean(topic, commandNames(cmds), "")
		if hint != "" {
			hint = ": " + hint
		}
		fmt.Fprintf(e.stderr, "refbatch: unknown help topic %q%s\nRun 'refbatch help' for the list of commands.\n", topic, hint)
		return exitUsage
	}
	e.usage = e.stdout
	return exitCode(runCommand(ctx, c, []string{"--help"}, e), e.stderr)
}

func commandNames(cmds map[string]command) []string {
	names := make([]string, 0, len(cmds))
	for n, c := range cmds {
		if c.run != nil {
			names = append(names, n)
		}
	}
	return names
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
	case errors.Is(err, refbatch.ErrWaiting):
		// The command has already said which rows wait and until when.
		return exitWaiting
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
// prints its usage (the command's own flags only) to e.usage, else
// e.stderr.
func newFlagSet(name, usage string, e env) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	out := e.stderr
	if e.usage != nil {
		out = e.usage
	}
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: refbatch %s\n", usage)
		if fs.HasAvailableFlags() {
			fmt.Fprint(out, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	if e.parsed != nil {
		e.parsed.fs = fs
	}
	return fs
}

// lookupEnv reads the environment the command was given.
func (e env) lookupEnv(key string) string {
	if e.getenv == nil {
		return ""
	}
	return e.getenv(key)
}

// usageError wraps a usage mistake so that it exits 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", refbatch.ErrUsage, fmt.Sprintf(format, args...))
}

// usageOrHelp marks a flag-parsing error as a usage error; --help passes
// through so that it exits 0.
func usageOrHelp(err error) error {
	if errors.Is(err, pflag.ErrHelp) || errors.Is(err, refbatch.ErrUsage) {
		return err // help, or already a usage error (a bad refbatch.yaml): "usage error:" once
	}
	return fmt.Errorf("%w: %w", refbatch.ErrUsage, err) // %w: suggestFlag reads pflag's error
}

// suggestFlag adds "did you mean --report?" to pflag's error about a flag fs
// does not have ("--reprot"; "-report", which pflag reads as shorthands).
func suggestFlag(err error, fs *pflag.FlagSet) error {
	var unknown *pflag.NotExistError
	if fs == nil || !errors.As(err, &unknown) {
		return err
	}
	typed := unknown.GetSpecifiedName()
	if group := unknown.GetSpecifiedShortnames(); len(group) > 1 {
		typed = group // -report: a long flag with one dash
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	hint := didYouMean(typed, names, "--")
	if hint == "" {
		return err
	}
	return &hintError{err: err, hint: hint}
}

// hintError is an error with a hint for the user after it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintError) Unwrap() error { return e.err }

// didYouMean returns "did you mean X?" naming the candidates closest to
// typed (an edit distance of at most 2, transpositions counting 1, and
// less than its length) or that typed begins, at most three; "" when none
// is close.
func didYouMean(typed string, candidates []string, prefix string) string {
	typed = strings.ToLower(typed)
	if typed == "" {
		return ""
	}
	type match struct {
		name string
		dist int
	}
	var ms []match
	for _, c := range candidates {
		d := editDistance(typed, strings.ToLower(c))
		switch {
		case d <= 2 && d < len(typed):
		case len(typed) >= 2 && strings.HasPrefix(strings.ToLower(c), typed):
			d = 3 // after the close spellings
		default:
			continue
		}
		ms = append(ms, match{c, d})
	}
	if len(ms) == 0 {
		return ""
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].dist != ms[j].dist {
			return ms[i].dist < ms[j].dist
		}
		return ms[i].name < ms[j].name
	})
	if ms[0].dist < 3 { // a close spelling: only the closest
		n := 1
		for n < len(ms) && ms[n].dist == ms[0].dist {
			n++
		}
		ms = ms[:n]
	}
	names := make([]string, 0, 3)
	for _, m := range ms[:min(len(ms), 3)] {
		names = append(names, prefix+m.name)
	}
	switch len(names) {
	case 1:
		return "did you mean " + names[0] + "?"
	case 2:
		return "did you mean " + names[0] + " or " + names[1] + "?"
	}
	return "did you mean " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + "?"
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters ("reprot" is 1 from "report").
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
