package main

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readmeCommands are the `go run ./cmd/refbatch …` lines of the README's
// code blocks, as arguments, in order, with the opening block's lines.
func readmeCommands(t *testing.T) (opening []string, commands [][]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	inBlock, blocks := false, 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if inBlock = !inBlock; inBlock {
				blocks++
			}
			continue
		}
		if !inBlock {
			continue
		}
		if blocks == 1 {
			opening = append(opening, line)
		}
		if args, ok := strings.CutPrefix(line, "go run ./cmd/refbatch "); ok {
			commands = append(commands, strings.Fields(args))
		}
	}
	return opening, commands
}

// TestReadmeExamples runs every `go run ./cmd/refbatch` example of the
// README (but the sandbox, which serves until stopped) from a copy of the
// samples, with an empty environment, and checks that the opening block is
// the two commands it promises, that the examples exit as the README says,
// and that they write nothing but into folders git ignores (.refbatch/).
func TestReadmeExamples(t *testing.T) {
	opening, commands := readmeCommands(t)
	if len(opening) != 2 || !strings.HasPrefix(opening[0], "go run ./cmd/refbatch run --sandbox") || opening[1] != "go test ./..." {
		t.Fatalf("the README opens with %q, want the run and go test ./...", opening)
	}
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "samples"), os.DirFS(filepath.Join("..", "..", "samples"))); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, root)
	t.Chdir(root)
	ran := 0
	for _, args := range commands {
		if args[0] == "sandbox" {
			continue
		}
		want := exitOK
		if args[0] == "validate" && (strings.Contains(args[1], "errors") || strings.Contains(args[1], "crm/")) {
			want = exitFindings // the sample's deliberately bad rows; a CRM export lacks Deal Type
		}
		var out bytes.Buffer
		code := runWith(context.Background(), args, env{stdout: &out, stderr: &out})
		if code != want {
			t.Errorf("refbatch %s exited %d, want %d\n%s", strings.Join(args, " "), code, want, out.String())
		}
		ran++
	}
	if ran < 5 {
		t.Fatalf("ran %d README examples; the README has more", ran)
	}
	for _, f := range filesUnder(t, root) {
		if slices.Contains(before, f) {
			continue
		}
		if !slices.Contains(strings.Split(filepath.ToSlash(f), "/"), ".refbatch") {
			t.Errorf("a README example wrote %s, outside an ignored .refbatch/ folder: git status is not clean", f)
		}
	}
}

func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestReadmeSignInRehearsal runs the README's three sign-in rehearsal
// commands (refbatch sandbox, login, run) as written, on a free port: the
// run exits 0 with both deal registrations registered, its tokens
// refreshed mid-way.
func TestReadmeSignInRehearsal(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sample, err := filepath.Abs(filepath.Join("..", "..", "samples", "q3-pipeline.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	var sandboxArgs, loginArgs, runArgs []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "refbatch" {
			continue
		}
		switch {
		case f[1] == "sandbox" && slices.Contains(f, "--token-lifetime"):
			sandboxArgs = f[2:]
		case f[1] == "login" && slices.Contains(f, "--authority"):
			loginArgs = f[1:]
		case f[1] == "run" && slices.Contains(f, "--endpoint") && loginArgs != nil:
			runArgs = f[1:]
		}
	}
	if sandboxArgs == nil || loginArgs == nil || runArgs == nil {
		t.Fatalf("the README's sign-in rehearsal not found: %q %q %q", sandboxArgs, loginArgs, runArgs)
	}
	isolateUser(t)
	base, _, _ := startSandboxCmd(t, sandboxArgs...)
	dir := t.TempDir()
	input := filepath.Join(dir, "q3-pipeline.xlsx")
	copyFile(t, sample, input)
	for i, a := range loginArgs {
		if a == "http://127.0.0.1:8765" {
			loginArgs[i] = base
		}
	}
	for i, a := range runArgs {
		switch a {
		case "http://127.0.0.1:8765":
			runArgs[i] = base
		case "samples/q3-pipeline.xlsx":
			runArgs[i] = input
		}
	}
	if code, out, errOut := refbatchCmd(t, loginArgs...); code != exitOK {
		t.Fatalf("refbatch %s: exit %d\n%s%s", strings.Join(loginArgs, " "), code, out, errOut)
	}
	code, out, errOut := refbatchCmd(t, append(runArgs, "--quiet")...)
	if code != exitOK || !strings.Contains(out, "2 registered") {
		t.Fatalf("refbatch %s: exit %d, want 0 with 2 registered\n%s%s", strings.Join(runArgs, " "), code, out, errOut)
	}
}

// TestSandboxHintIsTrue: the request the sandbox suggests answers 200; under
// --token-lifetime, where any bearer would answer 401, it suggests none.
func TestSandboxHintIsTrue(t *testing.T) {
	base, stdout, _ := startSandboxCmd(t)
	if !strings.Contains(stdout.String(), "try: curl -H 'Authorization: Bearer sandbox' "+base) {
		t.Fatalf("no curl hint: %q", stdout.String())
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1.0/engagements/referrals", nil)
	req.Header.Set("Authorization", "Bearer sandbox")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the hint's request answers %d", resp.StatusCode)
	}
	_, stdout, _ = startSandboxCmd(t, "--token-lifetime", "5s")
	if strings.Contains(stdout.String(), "try: curl") || !strings.Contains(stdout.String(), "takes only the tokens its sign-in issues") {
		t.Errorf("under --token-lifetime: %q", stdout.String())
	}
}
