package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestUnknownCommandSuggests(t *testing.T) {
	for _, c := range []struct {
		typed, hint string
	}{
		{"valdate", "did you mean validate?"},
		{"Validate", "did you mean validate?"},
		{"templaet", "did you mean template?"}, // a transposition
		{"stat", "did you mean status?"},       // a prefix
		{"resum", "did you mean resume?"},
		{"exprot", "did you mean export?"},
	} {
		t.Run(c.typed, func(t *testing.T) {
			code, out, errOut := refbatchCmd(t, c.typed, "pipeline.xlsx")
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			want := `refbatch: unknown command "` + c.typed + `": ` + c.hint
			if !strings.HasPrefix(errOut, want) {
				t.Errorf("stderr %q\nwant it to start with %q", errOut, want)
			}
		})
	}
	t.Run("nothing close", func(t *testing.T) {
		code, _, errOut := refbatchCmd(t, "frobnicate")
		if code != exitUsage || strings.Contains(errOut, "did you mean") || !strings.Contains(errOut, "Commands:") {
			t.Errorf("exit %d, stderr %q: want 2 and the list of commands", code, errOut)
		}
	})
}

func TestUnknownFlagSuggests(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // on stderr; "" for no hint
	}{
		{[]string{"validate", "--reprot", "r.xlsx", "in.xlsx"}, "unknown flag: --reprot (did you mean --report?)"},
		{[]string{"validate", "--report=r.xlsx", "--stric", "in.xlsx"}, "unknown flag: --stric (did you mean --strict?)"},
		{[]string{"validate", "-report", "r.xlsx", "in.xlsx"}, "(did you mean --report?)"},
		{[]string{"validate", "--header", "3", "in.xlsx"}, "unknown flag: --header (did you mean --header-row?)"},
		{[]string{"status", "--jurnal", "x.db"}, "unknown flag: --jurnal (did you mean --journal?)"},
		{[]string{"template", "--froce", "t.xlsx"}, "unknown flag: --froce (did you mean --force?)"},
		{[]string{"validate", "--zzzzzz", "in.xlsx"}, ""},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, errOut := refbatchCmd(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if c.want == "" {
				if strings.Contains(errOut, "did you mean") || !strings.Contains(errOut, "unknown flag") {
					t.Errorf("stderr %q: want the plain unknown-flag error", errOut)
				}
				return
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q\nwant %q", errOut, c.want)
			}
		})
	}
}

func TestHelpTopics(t *testing.T) {
	for _, c := range []struct {
		args        []string
		code        int
		out, errOut string // substrings; "-" for "must be empty"
	}{
		{[]string{"help"}, exitOK, "Commands:", "-"},
		{[]string{"--help"}, exitOK, "Commands:", "-"},
		{[]string{"help", "help"}, exitOK, "Commands:", "-"},
		{[]string{"help", "validate"}, exitOK, "Usage: refbatch validate", "-"},
		{[]string{"help", "foo"}, exitUsage, "-", `unknown help topic "foo"`},
		{[]string{"help", "valdate"}, exitUsage, "-", `unknown help topic "valdate": did you mean validate?`},
		{[]string{"help", "validate", "status"}, exitUsage, "-", "help takes one command"},
		// COMMAND --help prints to stderr, as it always has.
		{[]string{"validate", "--help"}, exitOK, "-", "Usage: refbatch validate"},
		{[]string{"validate", "-h"}, exitOK, "-", "--report FILE"},
		{[]string{"version", "--help"}, exitOK, "-", "Usage: refbatch version"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errOut := refbatchCmd(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			for _, x := range []struct{ name, got, want string }{{"stdout", out, c.out}, {"stderr", errOut, c.errOut}} {
				if x.want == "-" && x.got != "" || x.want != "-" && !strings.Contains(x.got, x.want) {
					t.Errorf("%s %q, want %q", x.name, x.got, x.want)
				}
			}
		})
	}
}

// listedFlags returns the long flags a usage text lists, in order.
func listedFlags(usage string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^(?:  -\w, |      )--([\w-]+)`).FindAllStringSubmatch(usage, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestCommandHelpListsOwnFlags: each command's --help lists exactly the
// flags its own FlagSet defines, and none of another command's.
func TestCommandHelpListsOwnFlags(t *testing.T) {
	cmds := commands()
	own := map[string]map[string]bool{}
	usages := map[string]string{}
	for _, name := range commandNames(cmds) {
		var stdout, stderr bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, usage: &stdout, parsed: &parsedFlags{}}
		err := cmds[name].run(context.Background(), []string{"--help"}, e)
		if code := exitCode(err, &stderr); code != exitOK || stderr.Len() > 0 {
			t.Errorf("%s --help: exit %d, stderr %q", name, code, stderr.String())
			continue
		}
		if e.parsed.fs == nil {
			t.Errorf("%s: no FlagSet from newFlagSet", name)
			continue
		}
		defined := map[string]bool{}
		e.parsed.fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				defined[f.Name] = true
			}
		})
		own[name], usages[name] = defined, stdout.String()
		if !strings.HasPrefix(stdout.String(), "Usage: refbatch "+name) {
			t.Errorf("%s --help starts %q", name, firstLine(stdout.String()))
		}
		listed := listedFlags(stdout.String())
		seen := map[string]bool{}
		for _, f := range listed {
			if seen[f] {
				t.Errorf("%s --help lists --%s twice", name, f)
			}
			seen[f] = true
			if !defined[f] {
				t.Errorf("%s --help lists --%s, which it does not define", name, f)
			}
		}
		if len(seen) != len(defined) {
			t.Errorf("%s --help lists %v; its flags are %v", name, sorted(seen), sorted(defined))
		}
	}
	// No command's help shows a flag only another command has.
	for name, usage := range usages {
		listed := map[string]bool{}
		for _, f := range listedFlags(usage) {
			listed[f] = true
		}
		for other, flags := range own {
			for f := range flags {
				if other != name && !own[name][f] && listed[f] {
					t.Errorf("%s --help lists --%s of %s", name, f, other)
				}
			}
		}
	}
	if strings.Contains(usages["version"], "Flags:") {
		t.Errorf("version --help has a Flags section without flags:\n%s", usages["version"])
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestVersionCommand(t *testing.T) {
	code, out, errOut := refbatchCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "refbatch ") || !strings.Contains(out, "commit:") || errOut != "" {
		t.Errorf("version: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if code, out2, _ := refbatchCmd(t, "--version"); code != exitOK || out2 != out {
		t.Errorf("--version: exit %d, %q; want what version prints", code, out2)
	}
	if code, _, errOut := refbatchCmd(t, "version", "extra"); code != exitUsage || !strings.Contains(errOut, "no arguments") {
		t.Errorf("version extra: exit %d, stderr %q", code, errOut)
	}
}

func TestWriteVersion(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/refbatch/refbatch", Version: "v0.0.0-20261202070243-6ddc749b2738+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "6ddc749b2738f360d6d51353ec735604b2b7fd0f"},
			{Key: "vcs.time", Value: "2026-12-02T07:02:43Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, c := range []struct {
		name      string
		bi        *debug.BuildInfo
		ldVersion string
		ldTime    string
		want      []string
	}{
		{"go build in a clone", stamped, "", "", []string{
			"refbatch v0.0.0-20261202070243-6ddc749b2738+dirty\n",
			"commit:      6ddc749b2738f360d6d51353ec735604b2b7fd0f, with uncommitted changes (dirty)\n",
			"commit time: 2026-12-02T07:02:43Z\n",
			"go:          go1.26.0 ",
		}},
		{"release with ldflags", stamped, "v1.4.0", "2026-12-03T10:00:00Z", []string{
			"refbatch v1.4.0\n", "built:       2026-12-03T10:00:00Z\n",
		}},
		{"no vcs stamp", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "", []string{
			"refbatch (devel)\n", "commit:      unknown",
		}},
		{"no build info", nil, "", "", []string{"refbatch (devel)\n", "commit:      unknown"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func(v, b string) { version, buildTime = v, b }(version, buildTime)
			version, buildTime = c.ldVersion, c.ldTime
			var b bytes.Buffer
			writeVersion(&b, c.bi)
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestVersionOfGoBuildBinary builds the command as a user would, with
// go build in the clone, and checks version names the module version and
// the commit.
func TestVersionOfGoBuildBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	if err := exec.Command("git", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not in a git clone")
	}
	// go build stamps VCS information only where .git is a directory
	// (cmd/go/internal/vcs): in a git worktree it is a file, and the
	// binary says "commit: unknown" however it is built.
	if top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil {
		if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !fi.IsDir() {
			t.Skip("a git worktree: go build records no VCS information here")
		}
	}
	bin := filepath.Join(t.TempDir(), "refbatch")
	// -buildvcs=true: the default (auto) may be turned off by GOFLAGS.
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	head, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	lines := strings.Split(string(out), "\n")
	if strings.Contains(lines[0], "(devel)") || !regexp.MustCompile(`^refbatch v\S+`).MatchString(lines[0]) {
		t.Errorf("version line %q: want the module version", lines[0])
	}
	if rev := strings.TrimSpace(string(head)); !strings.Contains(string(out), "commit:      "+rev) {
		t.Errorf("version output lacks commit %s:\n%s", rev, out)
	}
	if !strings.Contains(string(out), "commit time: ") {
		t.Errorf("no commit time:\n%s", out)
	}
	_ = os.Remove(bin)
}

func TestDidYouMean(t *testing.T) {
	cmds := []string{"validate", "template", "status", "sandbox", "resume", "rules", "run", "plan", "export", "version", "help"}
	for typed, want := range map[string]string{
		"valdate":  "did you mean validate?",
		"VALIDATE": "did you mean validate?",
		"rn":       "did you mean run?",
		"r":        "",
		"ru":       "did you mean run?", // run is 1 away; rules is only a prefix match
		"re":       "did you mean resume?",
		"s":        "",
		"sta":      "did you mean status?",
		"zzz":      "",
		"":         "",
	} {
		if got := didYouMean(typed, cmds, ""); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", typed, got, want)
		}
	}
	if got := didYouMean("r", []string{"report", "rules", "rows", "run"}, "--"); got != "" {
		t.Errorf("one letter: %q", got)
	}
	if got := didYouMean("ro", []string{"report", "rows", "rules"}, "--"); got != "did you mean --rows?" {
		t.Errorf("ro: %q", got)
	}
	if got := didYouMean("sheex", []string{"sheet", "sheep", "shelf"}, "--"); got != "did you mean --sheep or --sheet?" {
		t.Errorf("ties: %q", got)
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"reprot", "report", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"valdate", "validate", 1}, {"ab", "ba", 1}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
