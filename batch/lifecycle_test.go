package batch_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/engine"
	pc "github.com/refbatch/refbatch/partnercenter"
)

// TestLifecycleRulesAgainstTheLiveReferral: rows that are valid offline
// and that the live referral makes wrong fail in the run before anything is
// sent, with the rule named; plan --online predicts it.
func TestLifecycleRulesAgainstTheLiveReferral(t *testing.T) {
	e := newTemplateEnv(t)
	won := templateClock.AddDate(0, 0, -2)
	if err := e.sb.Server().Seed(pc.Referral{ID: "ref-won", Name: "Won deal", Type: pc.TypeShared,
		Status: pc.StatusClosed, Substatus: pc.SubstatusWon, CreatedDateTime: &won,
		CustomerProfile: &pc.CustomerProfile{Name: "Won Customer"},
		Consent:         &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
		Details:         &pc.ReferralDetails{DealValue: pc.NewAmount(50000), Currency: "USD", ClosingDateTime: &won}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "updates.csv")
	csv := "Referral ID,Share With Microsoft Sellers,Status,Substatus,Customer Name,Notes\n" +
		"ref-u1,no,,,,Withdraw the sharing\n" + // shared (seeded): lifecycle-share
		"ref-won,,Closed,Lost,,Lost after all\n" + // Won is terminal: lifecycle-terminal
		"ref-u6,,,,Another Name Ltd,Only the notes change\n" // read-only name not sent, notes are
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := e.c.Validate(t.Context(), file, batch.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Summary.Valid != 3 || v.Summary.ByRule[refbatch.RuleLifecycleReadOnly] != 1 {
		t.Errorf("offline: %+v, want 3 valid rows and one lifecycle-readonly warning", v.Summary)
	}
	plans, _, err := e.c.Plan(t.Context(), file, batch.PlanOptions{Online: true})
	if err != nil {
		t.Fatal(err)
	}
	wantRule := map[int]string{2: refbatch.RuleLifecycleShare, 3: refbatch.RuleLifecycleTerminal}
	for _, p := range plans {
		rule := wantRule[p.Row]
		if got := firstRule(p); got != rule || p.Valid != (rule == "") {
			t.Errorf("plan row %d: valid %v, rule %q, want %q (%s)", p.Row, p.Valid, got, rule, p.Note)
		}
	}

	before := e.wire(t)
	res, err := e.c.Run(t.Context(), file)
	if err == nil || res == nil {
		t.Fatalf("run: %v, want the two refused rows reported", err)
	}
	if res.Counts[refbatch.OutcomeFailed] != 2 || res.Counts[refbatch.OutcomeUpdated] != 1 {
		t.Errorf("counts %v", res.Counts)
	}
	for _, p := range res.Problems {
		want := map[int]string{2: "cannot be withdrawn", 3: "terminal state"}[p.Number]
		if want == "" || !strings.Contains(p.Error, want) {
			t.Errorf("row %d: %s, want an error saying %q", p.Number, p.Error, want)
		}
	}
	after := e.wire(t)
	for _, id := range []string{"ref-u1", "ref-won"} {
		if byID(after, id).ETag != byID(before, id).ETag {
			t.Errorf("%s was changed", id)
		}
	}
	u6 := byID(after, "ref-u6")
	if u6.CustomerProfile.Name != "Downloaded Customer 6 Ltd" || u6.Details.Notes != "Only the notes change" {
		t.Errorf("ref-u6: name %q notes %q", u6.CustomerProfile.Name, u6.Details.Notes)
	}
}

func firstRule(p engine.RowPlan) string {
	if len(p.Findings) == 0 {
		return ""
	}
	return p.Findings[0].Rule
}

// TestLifecycleRegisterWarnsLive: registering a deal on a referral created
// less than 72 hours ago is a warning (Microsoft "might" reject it), from
// the live referral's createdDateTime; a referral 30 days old is not.
func TestLifecycleRegisterWarnsLive(t *testing.T) {
	policy, err := batch.LoadPolicy(batch.InputOptions{}, func() time.Time { return templateClock })
	if err != nil {
		t.Fatal(err)
	}
	row := &refbatch.Row{Number: 2, Action: refbatch.ActionUpdate, ReferralID: "r", RegisterDeal: true}
	row.Filled = row.Filled.With(refbatch.ColReferralID).With(refbatch.ColRegisterDeal)
	for _, tc := range []struct {
		age  time.Duration
		warn bool
	}{{time.Hour, true}, {71 * time.Hour, true}, {30 * 24 * time.Hour, false}} {
		live := refbatch.Remote{ID: "r", Status: "Active", Substatus: "Accepted", Created: templateClock.Add(-tc.age)}
		fs, err := engine.LiveFindings(policy.NewEvaluator(), pc.NewMapper(), row, live, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got := len(fs) == 1 && fs[0].Rule == refbatch.RuleLifecycleRegister && fs[0].Severity == refbatch.SeverityWarning
		if got != tc.warn || len(fs) > 1 {
			t.Errorf("created %v ago: findings %v, want one lifecycle-register warning: %v", tc.age, fs, tc.warn)
		}
	}
}
