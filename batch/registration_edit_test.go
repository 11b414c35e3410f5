package batch_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/engine"
	pc "github.com/refbatch/refbatch/partnercenter"
)

// seedRegistered stores co-sell referrals (Microsoft's referral accepted),
// created at created, that have a deal registration in the given review
// state (none for "none"), registered two days before templateClock for
// USD 250,000.
func seedRegistered(t *testing.T, e *templateEnv, created time.Time, states map[string]string) {
	t.Helper()
	registered := templateClock.AddDate(0, 0, -2)
	closing := time.Date(2027, 12, 15, 0, 0, 0, 0, time.UTC)
	day := func(m time.Month, d, y int) *time.Time { return new(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) }
	var refs []pc.Referral
	for id, state := range states {
		eng := "eeeeeeee-1111-4000-8000-" + strings.Repeat("0", 12-len(id)) + id
		refs = append(refs, pc.Referral{
			ID: id, EngagementID: eng, Name: "Registered " + id, Type: pc.TypeShared,
			Status: pc.StatusActive, Substatus: pc.SubstatusAccepted, CreatedDateTime: &created,
			CustomerProfile: &pc.CustomerProfile{Name: "Customer " + id, Address: &pc.Address{City: "Redmond", Country: "US"}, IsMatchingComplete: new(true)},
			Consent:         &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
			Details: &pc.ReferralDetails{DealValue: pc.NewAmount(300000), Currency: "USD", ClosingDateTime: &closing,
				Requirements: &pc.Requirements{Solutions: []pc.Solution{{ID: "SOL-34104-EBB"}}}},
			Registrations: []pc.Registration{{
				ID: "reg-" + id, Type: pc.RegistrationTypeAzureIPCoSell, Status: state, RegistrationDateTime: &registered,
				Contract: &pc.Contract{Currency: "USD", Term: "Finite", Value: pc.NewAmount(250000),
					SignDateTime: day(11, 20, 2026), StartDateTime: day(11, 25, 2026), EndDateTime: day(11, 24, 2029)},
				SolutionDetails: []pc.RegistrationSolution{{ID: "SOL-34104-EBB", IsDeployedOnAzure: true, PrimaryDeploymentOn: "Partner",
					PricingModel: "Other", Value: pc.NewAmount(250000), Currency: "USD",
					MarketplaceTransactionDetails: &pc.MarketplaceTransactionDetails{}}},
			}},
		}, pc.Referral{ID: "msft-" + id, EngagementID: eng, OrganizationID: pc.MicrosoftOrganizationID, Name: "Microsoft " + id,
			Type: pc.TypeShared, Status: pc.StatusActive, Substatus: pc.SubstatusAccepted, CreatedDateTime: &created,
			CustomerProfile: &pc.CustomerProfile{Name: "x"}, Consent: &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
			Details: &pc.ReferralDetails{DealValue: pc.NewAmount(1), Currency: "USD", ClosingDateTime: &closing}})
	}
	for i := range refs {
		if states[refs[i].ID] == "none" {
			refs[i].Registrations = nil
		}
	}
	if err := e.sb.Server().Seed(refs...); err != nil {
		t.Fatal(err)
	}
}

// TestRegistrationEditOnlyWhileActionRequired: rows of Microsoft's deal
// registrations template that change a registered deal's contract value.
// The registration waiting for the partner (ActionRequired, "Action
// Pending" in bulk-operations-deal-registrations.md) is edited; one under
// review or decided fails before anything is sent, with
// lifecycle-registration-edit named (plan --online says so first); a row
// whose values the registration already shows sends nothing, whatever its
// state.
func TestRegistrationEditOnlyWhileActionRequired(t *testing.T) {
	e := newTemplateEnv(t)
	seedRegistered(t, e, templateClock.AddDate(0, 0, -30), map[string]string{"e1": "ActionRequired", "e2": "Approved", "e3": "ReviewPending", "e4": "Approved"})
	headers, row := dealregHeaders, dealregRow
	file := writeCSV(t, headers, row("e1", "300000"), row("e2", "300000"), row("e3", "300000"), row("e4", "250000"))

	v, err := e.c.Validate(t.Context(), file, batch.Hooks{})
	if err != nil || v.Summary.Valid != 4 {
		t.Fatalf("offline: %+v %v, want 4 valid rows (offline, nothing says the registrations' states)", v.Summary, err)
	}
	plans, _, err := e.c.Plan(t.Context(), file, batch.PlanOptions{Online: true})
	if err != nil {
		t.Fatal(err)
	}
	register := func(p engine.RowPlan) string {
		for _, r := range p.Requests {
			if r.Step == refbatch.StepRegister {
				return string(r.Body)
			}
		}
		return ""
	}
	wantRule := map[int]string{3: refbatch.RuleLifecycleRegistrationEdit, 4: refbatch.RuleLifecycleRegistrationEdit}
	for _, p := range plans {
		if rule := wantRule[p.Row]; firstRule(p) != rule || p.Valid != (rule == "") {
			t.Errorf("plan row %d: valid %v, rule %q, want %q (%s)", p.Row, p.Valid, firstRule(p), rule, p.Note)
		}
	}
	if body := register(plans[0]); !strings.Contains(body, `"path":"/registrations/0/contract/value","value":300000`) ||
		!strings.Contains(body, `"path":"/registrations/0/solutionDetails/0/value","value":300000`) || strings.Contains(body, `"op":"add"`) {
		t.Errorf("plan row 2: register %s, want the edit of the contract and solution value", body)
	}
	if body := register(plans[3]); body != "" {
		t.Errorf("plan row 5: register %s, want nothing (the registration shows the row's values)", body)
	}

	before := e.wire(t)
	res, err := e.c.Run(t.Context(), file)
	if err == nil || res == nil {
		t.Fatalf("run: %v, want the refused rows reported", err)
	}
	if res.Counts[refbatch.OutcomeFailed] != 2 || res.Counts[refbatch.OutcomeRegistered] != 1 || res.Counts[refbatch.OutcomeUnchanged] != 1 {
		t.Errorf("counts %v, problems %+v", res.Counts, res.Problems)
	}
	for _, p := range res.Problems {
		if p.Number != 3 && p.Number != 4 || !strings.Contains(p.Error, "lifecycle-registration-edit") {
			t.Errorf("row %d: %s, want it refused by lifecycle-registration-edit", p.Number, p.Error)
		}
	}
	after := e.wire(t)
	for _, id := range []string{"e2", "e3", "e4"} {
		if byID(after, id).ETag != byID(before, id).ETag {
			t.Errorf("%s was changed", id)
		}
	}
	e1 := byID(after, "e1")
	if reg := e1.Registrations; len(reg) != 1 || float64(*reg[0].Contract.Value) != 300000 || float64(*reg[0].SolutionDetails[0].Value) != 300000 {
		t.Errorf("e1: registrations %+v, want one, edited to 300,000", reg)
	}
}

// dealregHeaders are columns of Microsoft's deal registrations template;
// dealregRow is a row of them registering referral id for value.
var dealregHeaders = []string{"Referral ID", "Registration Type", "Registration Status", "Is Marketplace Transacted", "Is Deployed on Azure",
	"Contract Value", "Contract Currency", "Contract Term", "Contract Sign Date", "Contract Start Date", "Contract End Date",
	"Solution Value", "Solution Currency", "Primary Deployment On", "Pricing Model"}

func dealregRow(id, value string) []string {
	return []string{id, "AzureIPCoSell", "", "No", "Yes", value, "USD", "Finite", "11/20/2026", "11/25/2026", "11/24/2029", value, "USD", "Partner", "Other"}
}

func writeCSV(t *testing.T, headers []string, rows ...[]string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.csv")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.WriteAll(append([][]string{headers}, rows...))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestLiveWarningsReported: the live re-check's warnings reach plan
// --online (a finding of a valid row) and run (Observer.LiveWarning, once
// per row), and the row goes on: registering a deal whose referral was
// created a day ago is lifecycle-register's warning (Microsoft "might"
// reject it), which only the live referral's createdDateTime tells.
func TestLiveWarningsReported(t *testing.T) {
	e := newTemplateEnv(t)
	seedRegistered(t, e, templateClock.Add(-24*time.Hour), map[string]string{"w1": "none"})
	file := writeCSV(t, dealregHeaders, dealregRow("w1", "300000"))
	v, err := e.c.Validate(t.Context(), file, batch.Hooks{})
	if err != nil || v.Summary.Valid != 1 || v.Summary.Warnings != 0 {
		t.Fatalf("offline: %+v %v, want a valid row without warnings", v.Summary, err)
	}
	plans, _, err := e.c.Plan(t.Context(), file, batch.PlanOptions{Online: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := plans[0]; !p.Valid || len(p.Findings) != 1 || p.Findings[0].Rule != refbatch.RuleLifecycleRegister || p.Findings[0].Severity != refbatch.SeverityWarning {
		t.Errorf("plan --online: valid %v, findings %+v, want one lifecycle-register warning", p.Valid, p.Findings)
	}

	var warned []refbatch.Finding
	var mu sync.Mutex
	jr, err := batch.OpenJournal(t.Context(), filepath.Join(t.TempDir(), "j.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jr.Close() })
	now := func() time.Time { return templateClock }
	c, err := batch.NewClient(jr, e.sb.Endpoint(), batch.Config{Now: now, Observer: batch.Observer{
		LiveWarning: func(row int, f refbatch.Finding) {
			mu.Lock()
			defer mu.Unlock()
			if row == 2 {
				warned = append(warned, f)
			}
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), file)
	if err != nil || res.Counts[refbatch.OutcomeRegistered] != 1 {
		t.Fatalf("run: %v %v", res, err)
	}
	if len(warned) != 1 || warned[0].Rule != refbatch.RuleLifecycleRegister {
		t.Errorf("run: live warnings %+v, want one lifecycle-register", warned)
	}
}
