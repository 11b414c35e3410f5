package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRunHintKeepsTheCheckoutClean: a rehearsal of a file with bad rows
// says how to see them; the command it prints, run as printed, writes the
// report into the .refbatch/ folder beside the input (which git ignores,
// with the journal), as of the rehearsal's --today, and finds the same
// rows: following the hint in a checkout leaves git status clean.
func TestRunHintKeepsTheCheckoutClean(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "q3-pipeline-errors.csv")
	copyFile(t, filepath.Join("..", "..", "samples", "q3-pipeline-errors.csv"), input)
	code, out, errOut := refbatchCmd(t, "run", "--sandbox", "--today", sampleExported, "--quiet", input)
	if code != exitFindings {
		t.Fatalf("run exited %d\n%s%s", code, out, errOut)
	}
	_, hint, ok := strings.Cut(out, "see them with: refbatch ")
	if !ok {
		t.Fatalf("no hint in\n%s", out)
	}
	hint, _, _ = strings.Cut(hint, "\n")
	report := filepath.Join(dir, ".refbatch", "findings.xlsx")
	if want := "validate " + input + " --today " + sampleExported + " --report " + report; hint != want {
		t.Fatalf("hint %q, want %q", hint, want)
	}
	code, out, errOut = refbatchCmd(t, strings.Fields(hint)...)
	if code != exitFindings || !strings.Contains(out, "38 rows, 25 valid, 15 errors") || !strings.Contains(out, "report written to "+report) {
		t.Fatalf("the hint exited %d\n%s%s", code, out, errOut)
	}
}
