package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestPlanOneLinePerRow: plan prints a header, one line per row with its
// steps and what they change, and the totals; --bodies the requests with
// their bodies.
func TestPlanOneLinePerRow(t *testing.T) {
	input := filepath.Join("..", "..", "samples", "q3-pipeline.xlsx")
	code, out, errOut := refbatchCmd(t, "plan", "--today", sampleExported, "--journal", filepath.Join(t.TempDir(), "none.db"), input)
	if code != exitOK {
		t.Fatalf("plan exited %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+16+2 { // header, 16 rows, a blank line, the totals
		t.Fatalf("%d lines, want 19:\n%s", len(lines), out)
	}
	for _, want := range []string{
		`9    create  crm-27005  create, link, eligibility, register  creates "Contoso Pharma platform" (USD 250,000); links to Microsoft; registers the deal`,
		`19   update  crm-27002  get, patch                           Status → "Active", Substatus → "Accepted"`,
		`Deal Value → 52,000`, `adds team member kai.lopez@partner.example`,
		"16 rows planned, 29 requests, 0 skipped for errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"customerProfile"`) {
		t.Errorf("plan printed bodies without --bodies")
	}
	_, bodies, _ := refbatchCmd(t, "plan", "--bodies", "--today", sampleExported, "--journal", filepath.Join(t.TempDir(), "none.db"), input)
	if !strings.Contains(bodies, `"customerProfile"`) || !strings.Contains(bodies, "POST /v1.0/engagements/referrals") || strings.Count(bodies, "\n") < 500 {
		t.Errorf("plan --bodies:\n%.400s", bodies)
	}
}

func TestMoney(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 61250.5: "61,250.50", 1234567: "1,234,567", -25000: "-25,000"} {
		if got := money(f); got != want {
			t.Errorf("money(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestRulesListFitsTheWidth: rules list writes one block per rule, no line
// wider than 100 characters when not on a terminal (it was 459), every
// rule's when and check whole.
func TestRulesListFitsTheWidth(t *testing.T) {
	code, out, errOut := refbatchCmd(t, "rules", "list")
	if code != exitOK {
		t.Fatalf("rules list exited %d: %s", code, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > listWidth {
			t.Errorf("a %d-character line: %s", n, line)
		}
	}
	// The longest when of the built-in rules, rejoined, is intact.
	joined := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		`required error (built-in rules:20) columns Name when Action == "create" check filled("Name")`,
		`check ContractSignDate >= addDays(Today, -60)`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("rules list lacks %q", want)
		}
	}
}

// TestValidateProgress: on a terminal validate redraws one line with the
// rows read and the rate, at most every 200 ms, and clears it at the end;
// piped (not a terminal) it prints no progress at all.
func TestValidateProgress(t *testing.T) {
	input := filepath.Join(t.TempDir(), "big.csv")
	rows := [][]string{smallHeader}
	for i := range 3000 {
		rows = append(rows, smallCreate(fmt.Sprintf("PR-%04d", i)))
	}
	writeCSV(t, input, rows)

	tick := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { tick = tick.Add(100 * time.Millisecond); return tick }
	var term, out bytes.Buffer
	err := runValidate(context.Background(), validateOptions{file: input, format: "text", input: importFlags{dateOrder: "mdy"},
		policy: policyFlags{now: today}, progress: &term, clock: clock}, env{stdout: &out, stderr: &out})
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out.String())
	}
	// Every 256 rows the clock has moved 100 ms: a redraw every 512 rows.
	draws := strings.Count(term.String(), "\rvalidating: ")
	if draws != 5 || !strings.Contains(term.String(), "\rvalidating: 2,560 rows read (2,560 rows/s)\x1b[K") ||
		!strings.HasSuffix(term.String(), "\r\x1b[K") {
		t.Errorf("%d draws: %q", draws, term.String())
	}
	if strings.Contains(out.String(), "validating:") {
		t.Errorf("progress reached stdout: %q", out.String())
	}

	// Piped: runValidateCmd finds no terminal and draws nothing.
	code, stdout, stderr := refbatchCmd(t, "validate", input)
	if code != exitOK || strings.Contains(stdout+stderr, "validating:") {
		t.Errorf("piped validate: exit %d, %q %q", code, stdout, stderr)
	}
}
