package rules

import (
	"testing"

	"github.com/refbatch/refbatch"
)

// TestRegistrationEditLive: the live facts of lifecycle-registration-edit
// (set by engine.LiveFindings for plan --online and run). A row that would
// change the referral's deal registration is refused unless the
// registration is ActionRequired ("Action Pending" in
// bulk-operations-deal-registrations.md); a row that changes nothing, or a
// referral without a registration, is not. The lowered tests (lower.go)
// and the VM agree on the live facts (liveAgree).
func TestRegistrationEditLive(t *testing.T) {
	p := loadPolicy(t, "")
	update := registration().with("Referral ID", "4111fffc-f9ee-4d53-bba6-569135228642", "Action", "update",
		"Name", "", "Deal Type", "", "Customer Name", "", "Country", "", "Deal Value", "", "Currency", "", "Closing Date", "",
		"External Reference ID", "", "Solution IDs", "", "Assistance Request Code", "", "Contact Email", "",
		"Contact First Name", "", "Contact Last Name", "", "Notes", "")
	for _, tc := range []struct {
		name   string
		status string
		edit   bool
		want   bool
	}{
		{"action required, edited", "ActionRequired", true, false},
		{"review pending, edited", "ReviewPending", true, true},
		{"approved, edited", "Approved", true, true},
		{"passed, edited", "Passed", true, true},
		{"failed, edited", "Failed", true, true},
		{"closed, edited", "Closed", true, true},
		{"approved, nothing changes", "Approved", false, false},
		{"no status said, edited", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, _ := update.row(t)
			row.Live, row.LiveRegistrationStatus, row.LiveRegistrationEdit = true, tc.status, tc.edit
			liveAgree(t, p, row)
			var got []refbatch.Finding
			for _, f := range p.NewEvaluator().Evaluate(nil, row) {
				if f.Rule == refbatch.RuleLifecycleRegistrationEdit {
					got = append(got, f)
				}
			}
			if (len(got) == 1) != tc.want || len(got) > 1 {
				t.Fatalf("findings %v, want a lifecycle-registration-edit error: %v", got, tc.want)
			}
			if tc.want && (got[0].Severity != refbatch.SeverityError || got[0].Column != "Register Deal") {
				t.Errorf("finding %+v", got[0])
			}
		})
	}
	// Offline (Live false) the live facts say nothing.
	row, _ := update.row(t)
	row.LiveRegistrationStatus, row.LiveRegistrationEdit = "Approved", true
	for _, f := range p.NewEvaluator().Evaluate(nil, row) {
		if f.Rule == refbatch.RuleLifecycleRegistrationEdit {
			t.Errorf("offline: %+v", f)
		}
	}
}

// TestUpgradeSharingLive: an update row asking for Co-sell on a live
// referral that is not shared must say Share With Microsoft Sellers yes in
// its own cell (the Deal Type's default does not share an existing
// referral, which cannot be undone).
func TestUpgradeSharingLive(t *testing.T) {
	p := loadPolicy(t, "")
	update := cells{"Referral ID": "4111fffc-f9ee-4d53-bba6-569135228642", "Deal Type": "Co-sell"}
	for _, tc := range []struct {
		name         string
		row          cells
		live, shared bool
		want         bool
	}{
		{"unshared, no word", update, true, false, true},
		{"unshared, shared by the row", update.with("Share With Microsoft Sellers", "yes"), true, false, false},
		{"shared already", update, true, true, false},
		{"offline", update, false, false, false},
		{"partner-led on unshared", update.with("Deal Type", "Partner-led"), true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, _ := tc.row.row(t)
			row.Live, row.LiveShared = tc.live, tc.shared
			liveAgree(t, p, row)
			got := 0
			for _, f := range p.NewEvaluator().Evaluate(nil, row) {
				if f.Rule == refbatch.RuleCosell {
					got++
				}
			}
			if (got == 1) != tc.want || got > 1 {
				t.Errorf("%d cosell findings, want one: %v", got, tc.want)
			}
		})
	}
}

// liveAgree checks that every built-in rule's lowered test and its
// compiled program agree on row, as TestLoweredMatchesVM does on random
// rows, which carry no live facts.
func liveAgree(t *testing.T, p *Policy, row *refbatch.Row) {
	t.Helper()
	e := p.NewEvaluator()
	e.start(row)
	env := e.envOf(row)
	for _, r := range p.rows {
		for _, x := range []*expression{r.when, r.check} {
			if x == nil {
				continue
			}
			got, err := e.holds(x, row)
			if err != nil {
				t.Fatalf("%s %q: %v", r.id, x.source, err)
			}
			out, err := e.machine.Run(x.program, env)
			if err != nil {
				t.Fatalf("%s %q: %v", r.id, x.source, err)
			}
			if got != out.(bool) {
				t.Errorf("rule %s, %q: lowered says %v, the VM %v", r.id, x.source, got, out)
			}
		}
	}
}
