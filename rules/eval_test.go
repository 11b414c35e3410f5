package rules

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/refbatch/refbatch"
)

// TestDuplicate: the second create row with an External Reference ID gets a
// finding naming the first; updates and blank ids do not count.
func TestDuplicate(t *testing.T) {
	p := loadPolicy(t, "")
	d := p.NewDuplicateCheck()
	rows := []cells{
		validCreate().with("External Reference ID", "CRM-1"),
		validCreate().with("External Reference ID", "CRM-2"),
		validCreate().with("External Reference ID", "CRM-1"),
		{"Referral ID": "r-9", "External Reference ID": "CRM-1", "Notes": "an update may repeat it"},
		validCreate().with("External Reference ID", ""),
		validCreate().with("External Reference ID", ""),
		validCreate().with("External Reference ID", "CRM-1"),
		validCreate().with("External Reference ID", "crm-2"),
	}
	var got []refbatch.Finding
	for i, c := range rows {
		row, _ := c.row(t)
		row.Number = i + 2
		got = d.Check(got, row)
	}
	want := []string{
		`4 A4 duplicate: External Reference ID "CRM-1" is already created by row 2; a second create would make a second referral`,
		`8 A8 duplicate: External Reference ID "CRM-1" is already created by row 2; a second create would make a second referral`,
	}
	var lines []string
	for _, f := range got {
		lines = append(lines, fmt.Sprintf("%d %s %s: %s", f.Row, f.Cell, f.Rule, f.Message))
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestUniqueRuleWithExpressionKey: a team's own cross-row rule whose key is
// an expression, evaluated by the VM.
func TestUniqueRuleWithExpressionKey(t *testing.T) {
	p := loadPolicy(t, `
rules:
  - id: same-customer-deal
    severity: warning
    when: Action == "create"
    unique: lower(CustomerName) + "|" + Name
    columns: [Customer Name]
`)
	d := p.NewDuplicateCheck()
	var got []refbatch.Finding
	for i, c := range []cells{
		validCreate().with("External Reference ID", "A"),
		validCreate().with("External Reference ID", "B", "Customer Name", "CONTOSO LTD"),
	} {
		row, _ := c.row(t)
		row.Number = i + 2
		got = d.Check(got, row)
	}
	if len(got) != 1 || got[0].Rule != "same-customer-deal" || got[0].Severity != refbatch.SeverityWarning ||
		got[0].Message != "repeats the lower(CustomerName) + \"|\" + Name of row 2" {
		t.Errorf("findings %+v", got)
	}
}

// TestRuntimeError: an expression that fails on a row (here an index out of
// range) is reported as a finding of its rule rather than passing silently.
func TestRuntimeError(t *testing.T) {
	p := loadPolicy(t, `
rules:
  - id: second-solution
    when: len(SolutionIDs) > 0
    check: SolutionIDs[1] != ""
    columns: [Solution IDs]
`)
	got := evaluate(t, p, validCreate())
	if len(got) != 1 || got[0].Rule != "second-solution" || !strings.Contains(got[0].Message, "could not be evaluated") {
		t.Errorf("findings %+v", got)
	}
}

// TestFindingsCiteCells: findings carry the cell, header and value of the
// column, and a rule without columns reports the row.
func TestFindingsCiteCells(t *testing.T) {
	p := loadPolicy(t, `
rules:
  - id: whole-row
    check: Name != "forbidden"
    message: 'the deal "{{ Name }}" for {{ money(DealValue) }} {{ Currency }} closing {{ ClosingDate }} is forbidden ({{ SolutionIDs }}, shared: {{ ShareWithMicrosoftSellers }})'
`)
	got := evaluate(t, p, validCreate().with("Name", "forbidden", "Country", "Germany"))
	want := []refbatch.Finding{
		{Row: 2, Cell: "I2", Column: "Country", Header: "Country", Rule: "enum", Severity: refbatch.SeverityError,
			Message: `Country "Germany" is not an ISO 3166-1 alpha-2 code (e.g. US, DE, GB)`, Value: "Germany"},
		{Row: 2, Cell: "A2", Rule: "whole-row", Severity: refbatch.SeverityError,
			Message: `the deal "forbidden" for 50,000 USD closing 2026-09-30 is forbidden (SOL-34104-EBB, shared: yes)`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings\n %+v\nwant\n %+v", got, want)
	}
}

// TestConcurrentEvaluators: one Policy, an Evaluator per goroutine, the same
// findings as one Evaluator alone (run with -race).
func TestConcurrentEvaluators(t *testing.T) {
	p := loadPolicy(t, `
rules:
  - id: big-future-deal
    severity: warning
    when: DealValue * 1.1 > 50000
    check: ClosingDate <= addMonths(Today, 3)
    message: '{{ money(DealValue) }} closing {{ ClosingDate }}'
`)
	var rows []*refbatch.Row
	for _, c := range []cells{
		validCreate(), registration(), registration().with("Deal Value", "100", "Currency", "EUR"),
		validCreate().with("Country", "XX", "Contact Email", "bad"), validCreate().with("Closing Date", "2020-01-01"),
		{"Referral ID": "r", "Current Status": "Closed", "Status": "New"},
	} {
		row, _ := c.row(t)
		rows = append(rows, row)
	}
	sequential := make([][]refbatch.Finding, len(rows))
	e := p.NewEvaluator()
	for i, row := range rows {
		sequential[i] = e.Evaluate(nil, row)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			e := p.NewEvaluator()
			for n := 0; n < 200; n++ {
				i := (n + g) % len(rows)
				if got := e.Evaluate(nil, rows[i]); !reflect.DeepEqual(got, sequential[i]) {
					t.Errorf("goroutine %d, row %d: %v, want %v", g, i, got, sequential[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
