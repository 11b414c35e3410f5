package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingJournalIsRefused: resume, status and export refuse a
// --journal that does not exist (a typo), exit 2 and create no file; plan,
// which comes before the first run, plans without it, says so, and creates
// nothing either.
func TestMissingJournalIsRefused(t *testing.T) {
	input := filepath.Join("..", "..", "samples", "q3-pipeline.csv")
	for _, args := range [][]string{
		{"resume", "--journal", "JOURNAL"},
		{"resume", "--journal", "JOURNAL", "20261120T090844Z-79b665bf"},
		{"status", "--journal", "JOURNAL"},
		{"export", "--journal", "JOURNAL", "--out", "OUT"},
	} {
		dir := t.TempDir()
		for i, a := range args {
			switch a {
			case "JOURNAL":
				args[i] = filepath.Join(dir, "nothere.db")
			case "OUT":
				args[i] = filepath.Join(dir, "results.csv")
			}
		}
		code, out, errOut := refbatchCmd(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "nothere.db does not exist") {
			t.Errorf("refbatch %s: exit %d, %q %q; want 2 saying the journal does not exist", args[0], code, out, errOut)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("refbatch %s created %v", args[0], entries)
		}
	}

	dir := t.TempDir()
	code, out, errOut := refbatchCmd(t, "plan", "--journal", filepath.Join(dir, "nothere.db"), input)
	if code != exitOK || !strings.Contains(errOut, "nothere.db does not exist (yet)") || !strings.Contains(out, "16 rows planned") {
		t.Errorf("plan --journal nothere.db: exit %d, %q %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("plan created %v", entries)
	}
}
