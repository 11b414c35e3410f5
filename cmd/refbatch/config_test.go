package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// TestEveryCommandReadsRefbatchYAML: in a folder with a refbatch.yaml that
// names a mapping and a journal, validate, plan, run, status and export all
// honour it: the mapped headers read, the run journals where the file says,
// and status and export find that journal without --journal.
func TestEveryCommandReadsRefbatchYAML(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"refbatch.yaml", "mapping.yaml", "pipeline.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", "config", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(sandbox.New(sandbox.Options{}))
	defer ts.Close()
	t.Chdir(dir)
	t.Setenv("REFBATCH_TOKEN", "t")
	t.Setenv("REFBATCH_CONFIG", "")

	cmd := func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != want {
			t.Fatalf("refbatch %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	if out := cmd(0, "validate", "pipeline.csv"); !strings.Contains(out, "2 rows, 2 valid") {
		t.Errorf("validate did not read mapping.yaml:\n%s", out)
	}
	if out := cmd(0, "plan", "pipeline.csv"); !strings.Contains(out, "0 skipped for errors") {
		t.Errorf("plan did not read mapping.yaml:\n%s", out)
	}
	if out := cmd(0, "run", "--quiet", "--endpoint", ts.URL, "pipeline.csv"); !strings.Contains(out, "journals/team.db") {
		t.Errorf("run did not journal where refbatch.yaml says:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "refbatch.db")); err == nil {
		t.Error("run wrote the default journal beside the input instead of journals/team.db")
	}
	if out := cmd(0, "status"); !strings.Contains(out, "2 rows: 2 created") {
		t.Errorf("status did not read the journal refbatch.yaml names:\n%s", out)
	}
	if out := cmd(0, "export", "--out", "results.csv"); !strings.Contains(out, "2 rows exported") {
		t.Errorf("export did not read the journal refbatch.yaml names:\n%s", out)
	}
}

// TestConfiguredEndpointLeavesAJournalsOwn: a team's refbatch.yaml names
// Partner Center; pull, sync and resume of a sandbox rehearsal's journal
// still talk to the sandbox that journal belongs to (the configured
// endpoint is not an --endpoint for them).
func TestConfiguredEndpointLeavesAJournalsOwn(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "config", "pipeline.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"pipeline.csv":  b,
		"mapping.yaml":  mustRead(t, filepath.Join("testdata", "config", "mapping.yaml")),
		"refbatch.yaml": []byte("mapping: mapping.yaml\nendpoint: https://api.partner.microsoft.com\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	t.Setenv("REFBATCH_TOKEN", "t")
	t.Setenv("REFBATCH_CONFIG", "")
	for _, args := range [][]string{
		{"run", "--sandbox", "--quiet", "pipeline.csv"},
		{"pull", "--journal", ".refbatch/sandbox.db", "--out", "pulled.csv"},
		{"sync", "--journal", ".refbatch/sandbox.db", "--quiet"},
		{"resume", "--journal", ".refbatch/sandbox.db", "--quiet"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("refbatch %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
