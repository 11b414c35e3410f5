package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrorSaysUsageErrorOnce: a bad refbatch.yaml or REFBATCH_ value
// reaches every command as one "usage error:", not two.
func TestConfigErrorSaysUsageErrorOnce(t *testing.T) {
	isolateUser(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("concurency: 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"validate", "--config", bad, "in.csv"},
		{"run", "--config", bad, "in.csv"},
		{"plan", "--config", bad, "in.csv"},
		{"status", "--config", bad},
		{"resume", "--config", bad},
	} {
		code, _, errOut := refbatchCmd(t, args...)
		if code != exitUsage || strings.Count(errOut, "usage error") != 1 || !strings.Contains(errOut, `unknown key "concurency"`) {
			t.Errorf("refbatch %s: exit %d, stderr %q; want exit 2 and one \"usage error\"", args[0], code, errOut)
		}
	}
}

// TestHeaderOnlyFileSaysNothingToLoad: a file with a header and no rows is
// not an error, but validate says there is nothing to load.
func TestHeaderOnlyFileSaysNothingToLoad(t *testing.T) {
	input := filepath.Join(t.TempDir(), "empty.csv")
	writeCSV(t, input, [][]string{smallHeader})
	code, out, errOut := refbatchCmd(t, "validate", input)
	if code != exitOK || !strings.Contains(out, "0 rows") || !strings.Contains(out, "nothing to load: the file has a header (row 1) and no rows below it") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
