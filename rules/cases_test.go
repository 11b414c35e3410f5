package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
)

// TestSampleCases runs samples/rules/cases.yaml against the built-in rules
// extended by samples/rules/custom-rules.yaml: every case passes, and
// together they exercise every built-in rule id.
func TestSampleCases(t *testing.T) {
	p, err := Load("../samples/rules/custom-rules.yaml", builtinTablesForTest(t), Options{Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := LoadCases("../samples/rules/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 12 {
		t.Errorf("%d cases, want 12 or more", len(cases))
	}
	expected := map[string]bool{}
	for _, res := range RunCases(p, cases, buildRow(p.Tables())) {
		t.Run(res.Case.Name, func(t *testing.T) {
			if !res.Passed() {
				t.Error(describe(res))
			}
		})
		for _, x := range res.Case.Expect {
			expected[x.Rule] = true
		}
	}
	for _, id := range []string{refbatch.RuleRequired, refbatch.RuleEnum, refbatch.RuleStatusPair, refbatch.RuleStatusTransition,
		refbatch.RuleServicesCosell, refbatch.RuleSolutionPlay, refbatch.RuleCosell, refbatch.RuleDealReg,
		refbatch.RuleValue, refbatch.RuleDate, refbatch.RuleContact, refbatch.RuleDuplicate} {
		if !expected[id] {
			t.Errorf("no sample case expects a %s finding", id)
		}
	}
}

func describe(res CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %q (%s:%d)", res.Case.Name, res.Case.File, res.Case.Line)
	if res.Err != nil {
		fmt.Fprintf(&b, "\n  error: %v", res.Err)
	}
	for _, m := range res.Missing {
		fmt.Fprintf(&b, "\n  missing:    %s", m)
	}
	for _, f := range res.Unexpected {
		fmt.Fprintf(&b, "\n  unexpected: %s on %q (%s) in row %d: %s", f.Rule, f.Column, f.Severity, f.Row, f.Message)
	}
	return b.String()
}

func TestRunCases(t *testing.T) {
	p := loadPolicy(t, "")
	cases, err := ParseCases("cases.yaml", []byte(`
today: 2026-06-01
cases:
  - name: wrong expectations
    rows:
      - &base {Referral ID: r-1, Status: New, Substatus: Won, Deal Value: "-1"}
      - {<<: *base, Deal Value: lots}
    expect:
      - {rule: status-pair, column: Substatus, row: 1}
      - {rule: status-pair, column: Status}
      - {rule: value, severity: warning}
  - name: a row the builder rejects
    row: {Favourite Colour: blue}
    expect: []
`))
	if err != nil {
		t.Fatal(err)
	}
	if cases[0].Rows[1].Headers[3] != "Deal Value" || cases[0].Rows[1].Values[3] != "lots" {
		t.Fatalf("merged row %+v", cases[0].Rows[1])
	}
	results := RunCases(p, cases, buildRow(p.Tables()))
	res := results[0]
	var missing, unexpected []string
	for _, m := range res.Missing {
		missing = append(missing, m.String())
	}
	for _, f := range res.Unexpected {
		unexpected = append(unexpected, fmt.Sprintf("%d %s/%s", f.Row, f.Rule, f.Column))
	}
	// Row 2's Deal Value does not parse: the builder's finding, and no rule
	// finding on it.
	wantMissing := []string{"status-pair on Status", "value (warning)"}
	wantUnexpected := []string{"1 value/Deal Value", "2 value/Deal Value", "2 status-pair/Substatus"}
	if res.Passed() || !slices.Equal(missing, wantMissing) || !slices.Equal(unexpected, wantUnexpected) {
		t.Errorf("missing %q, want %q\nunexpected %q, want %q", missing, wantMissing, unexpected, wantUnexpected)
	}
	if results[1].Passed() || results[1].Err == nil {
		t.Errorf("a case whose row cannot be built passed: %+v", results[1])
	}
}

func TestParseCasesErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"no expect", "cases:\n  - name: x\n    row: {Name: a}\n", `c.yaml: row 2: 2:5: case "x" has no expect:`},
		{"unknown column", "cases:\n  - name: x\n    row: {Name: a}\n    expect: [{rule: enum, column: Colour}]\n", `c.yaml: row 4: 4:35: unknown column "Colour"`},
		{"bad today", "today: tomorrow\ncases: []\n", `c.yaml: row 1: 1:8: today: "tomorrow" is not YYYY-MM-DD`},
		{"unknown key", "cases:\n  - name: x\n    rows: []\n    expected: []\n", `c.yaml: row 4: 4:5: unknown key "expected"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCases("c.yaml", []byte(tc.src))
			if err == nil || !refbatch.IsInputError(err) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want prefix %q", err, tc.want)
			}
		})
	}
}
