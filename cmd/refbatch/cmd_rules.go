package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/rules"
)

type rulesOptions struct {
	policy  policyFlags
	input   importFlags
	verb    string
	cases   string
	builtin bool
}

const rulesUsage = `rules check [--rules FILE] [--tables DIR]
       refbatch rules list [--rules FILE] [--builtin]
       refbatch rules test CASES.yaml [--rules FILE] [--tables DIR]`

func runRulesCmd(ctx context.Context, args []string, e env) error {
	var opts rulesOptions
	fs := newFlagSet("rules", rulesUsage, e)
	opts.policy.bind(fs)
	opts.input.bind(fs)
	fs.BoolVar(&opts.builtin, "builtin", false, "list: print the built-in rules file itself (a starting point for your own)")
	if err := fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError("rules needs a verb: check, list or test")
	}
	opts.verb = fs.Arg(0)
	switch opts.verb {
	case "check", "list":
		if fs.NArg() != 1 {
			return usageError("rules %s takes no arguments (use --rules FILE)", opts.verb)
		}
	case "test":
		if fs.NArg() != 2 {
			return usageError("rules test needs one CASES.yaml file")
		}
		opts.cases = fs.Arg(1)
	default:
		return usageError("unknown rules verb %q: use check, list or test", opts.verb)
	}
	return runRules(ctx, opts, e)
}

func runRules(_ context.Context, opts rulesOptions, e env) error {
	if opts.verb == "list" && opts.builtin {
		_, err := e.stdout.Write(rules.BuiltinRules())
		return err
	}
	policy, err := opts.policy.load()
	if err != nil {
		return err
	}
	switch opts.verb {
	case "check":
		infos := policy.Rules()
		ids := map[string]bool{}
		for _, r := range infos {
			ids[r.ID] = true
		}
		src := "built-in rules"
		if opts.policy.rulesFile != "" {
			src = opts.policy.rulesFile + " with the built-in rules"
		}
		fmt.Fprintf(e.stdout, "%s: OK, %s in %s (policy %s)\n", src, plural(len(infos), "rule", "rules"), plural(len(ids), "id", "ids"), shortHash(policy.Hash()))
		return nil
	case "list":
		width := terminalWidth(e.stdout)
		for i, r := range policy.Rules() {
			check := r.Check
			if check == "" && r.Unique != "" {
				check = "unique(" + r.Unique + ")"
			}
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			head := r.ID + "  " + string(r.Severity) + "  (" + r.Origin + ")"
			fmt.Fprintln(e.stdout, head)
			writeWrapped(e.stdout, "  columns ", dash(strings.Join(r.Columns, ", ")), width)
			if r.When != "" {
				writeWrapped(e.stdout, "  when    ", oneLine(r.When), width)
			}
			writeWrapped(e.stdout, "  check   ", oneLine(check), width)
		}
		return nil
	}

	// test
	cases, err := rules.LoadCases(opts.cases)
	if err != nil {
		return err
	}
	importOpts, err := batch.ImportOptions(inputOptions(opts.policy, opts.input), policy)
	if err != nil {
		return err
	}
	build := func(headers, values []string) (*refbatch.Row, []refbatch.Finding, error) {
		return importer.RowFromRecord(headers, values, importOpts)
	}
	failed := 0
	for _, res := range rules.RunCases(policy, cases, build) {
		if res.Passed() {
			fmt.Fprintf(e.stdout, "ok    %s\n", res.Case.Name)
			continue
		}
		failed++
		fmt.Fprintf(e.stdout, "FAIL  %s (%s:%d)\n", res.Case.Name, res.Case.File, res.Case.Line)
		if res.Err != nil {
			fmt.Fprintf(e.stdout, "      cannot build its rows: %v\n", res.Err)
		}
		for _, m := range res.Missing {
			fmt.Fprintf(e.stdout, "      missing:    %s\n", m)
		}
		for _, f := range res.Unexpected {
			col := ""
			if f.Column != "" {
				col = " on " + f.Column
			}
			fmt.Fprintf(e.stdout, "      unexpected: %s%s (%s) in row %d: %s\n", f.Rule, col, f.Severity, f.Row, oneLine(f.Message))
		}
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed\n", len(cases)-failed, failed)
	if failed > 0 {
		return refbatch.ErrFindings
	}
	return nil
}

func shortHash(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// listWidth is how wide rules list writes when not on a terminal.
const listWidth = 100

// terminalWidth is the width of w when it is a terminal, else listWidth.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= 40 {
			return cols
		}
	}
	return listWidth
}

// writeWrapped writes label and text, the text wrapped at spaces to width,
// continuation lines indented under the text.
func writeWrapped(w io.Writer, label, text string, width int) {
	indent := strings.Repeat(" ", len(label))
	line := label
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}
