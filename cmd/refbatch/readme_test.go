package main

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
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
