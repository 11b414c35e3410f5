package batch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/engine"
	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// Engagements of the upgrade tests' seeded referrals.
const (
	engPartnerLed = "aaaaaaaa-0000-4000-8000-000000000001"
	engPrivate    = "aaaaaaaa-0000-4000-8000-000000000002"
	engCosell     = "aaaaaaaa-0000-4000-8000-000000000003"
)

// seedUpgrades stores what the upgrade rows name: a Partner-led referral
// and a Private one with no Microsoft referral, and a Co-sell one whose
// engagement has Microsoft's referral already. None has an External
// Reference ID, so nothing but the engagement tells a run that a referral
// is linked.
func seedUpgrades(t *testing.T, sb *batch.Sandbox) {
	t.Helper()
	created := time.Now().UTC().AddDate(0, 0, -10)
	closing := time.Date(2027, 12, 15, 0, 0, 0, 0, time.UTC)
	partner := func(id, eng string, typ pc.ReferralType, shared bool) pc.Referral {
		return pc.Referral{ID: id, EngagementID: eng, Name: "Deal " + id, Type: typ,
			Status: pc.StatusActive, Substatus: pc.SubstatusAccepted, CreatedDateTime: &created,
			CustomerProfile: &pc.CustomerProfile{Name: "Customer of " + id, Address: &pc.Address{City: "Redmond", Country: "US"},
				Team: []pc.Member{{FirstName: "Dana", LastName: "Buyer", Email: "dana@customer.example"}}},
			Consent: &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: shared, ConsentToContact: true},
			Details: &pc.ReferralDetails{DealValue: pc.NewAmount(90000), Currency: "USD", ClosingDateTime: &closing,
				Requirements: &pc.Requirements{Solutions: []pc.Solution{{ID: "SOL-34104-EBB"}}}}}
	}
	msft := pc.Referral{ID: "msft-cs", EngagementID: engCosell, OrganizationID: pc.MicrosoftOrganizationID, Name: "Microsoft",
		Type: pc.TypeShared, Status: pc.StatusActive, Substatus: pc.SubstatusAccepted, CreatedDateTime: &created,
		CustomerProfile: &pc.CustomerProfile{Name: "x"}, Consent: &pc.Consent{ConsentToShareReferralWithMicrosoftSellers: true},
		Details: &pc.ReferralDetails{DealValue: pc.NewAmount(1), Currency: "USD", ClosingDateTime: &closing}}
	if err := sb.Server().Seed(
		partner("ref-pl", engPartnerLed, pc.TypeShared, true),
		partner("ref-pv", engPrivate, pc.TypeIndependent, false),
		partner("ref-cs", engCosell, pc.TypeShared, true), msft); err != nil {
		t.Fatal(err)
	}
}

// writeUpgrades writes the update rows that ask for co-sell: by Deal Type,
// by Help Needed (as the co-sell template's "Microsoft help required?"
// says it), and one on a referral that is co-sell already.
func writeUpgrades(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(dir, "upgrades.csv")
	csv := "Referral ID,Deal Type,Help Needed,Share With Microsoft Sellers,Assistance Request Code,Invite Notes,Deal Value\n" +
		"ref-pl,Co-sell,,,ProofOfConceptOrDemo,Architecture review please,120000\n" +
		"ref-pv,,yes,yes,CustomerTechnicalArchitecture,,\n" +
		"ref-cs,Co-sell,,,GeneralOrOther,,\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// microsoftReferrals counts Microsoft's referrals by engagement, as the
// sandbox holds them.
func microsoftReferrals(sb *batch.Sandbox) map[string]int {
	out := map[string]int{}
	for _, r := range sb.Server().Referrals() {
		if r.OrganizationID == pc.MicrosoftOrganizationID {
			out[r.EngagementID]++
		}
	}
	return out
}

func checkOneMicrosoftReferralEach(t *testing.T, sb *batch.Sandbox, when string) {
	t.Helper()
	got := microsoftReferrals(sb)
	for _, eng := range []string{engPartnerLed, engPrivate, engCosell} {
		if got[eng] != 1 {
			t.Errorf("%s: engagement %s has %d Microsoft referrals, want 1", when, eng, got[eng])
		}
	}
}

// TestUpgradeToCosell: an update row that asks for co-sell on a
// Partner-led or Private referral is patched and linked to Microsoft (its
// Microsoft referral made from the partner referral as Partner Center
// holds it); one on a referral whose engagement has Microsoft's referral is
// not linked again. plan (offline and --online) shows it; a second run and
// a run with another journal link nothing.
func TestUpgradeToCosell(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, nil)
	seedUpgrades(t, sb)
	file := writeUpgrades(t, dir)
	c := newClient(t, filepath.Join(dir, "j.db"), sb.Endpoint(), batch.Config{})

	links := func(p engine.RowPlan) int {
		n := 0
		for _, r := range p.Requests {
			if r.Step == refbatch.StepLink {
				n++
			}
		}
		return n
	}
	offline, _, err := c.Plan(ctx, file, batch.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range offline {
		// Offline, plan cannot know the engagement: every row shows the
		// link, with a note that run reads the engagement first.
		if !p.Valid || links(p) != 1 || !strings.Contains(p.Note, "no Microsoft referral yet") {
			t.Errorf("offline plan row %d: valid %v, %d links, note %q", p.Row, p.Valid, links(p), p.Note)
		}
	}
	online, _, err := c.Plan(ctx, file, batch.PlanOptions{Online: true})
	if err != nil {
		t.Fatal(err)
	}
	wantLinks := map[int]int{2: 1, 3: 1, 4: 0}
	for _, p := range online {
		if !p.Valid || links(p) != wantLinks[p.Row] {
			t.Errorf("online plan row %d: valid %v, %d links, want %d (%s)", p.Row, p.Valid, links(p), wantLinks[p.Row], p.Note)
		}
		if p.Row == 2 {
			body := string(p.Requests[len(p.Requests)-1].Body)
			for _, want := range []string{`"engagementId":"` + engPartnerLed + `"`, `"organizationId":"msft"`, `"assistanceRequestCode":"ProofOfConceptOrDemo"`, `"name":"Customer of ref-pl"`} {
				if !strings.Contains(body, want) {
					t.Errorf("online plan row 2: link body lacks %s: %s", want, body)
				}
			}
		}
		if p.Row == 4 && !strings.Contains(p.Note, "already has Microsoft's referral msft-cs") {
			t.Errorf("online plan row 4: note %q", p.Note)
		}
	}

	res, err := c.Run(ctx, file)
	if err != nil {
		t.Fatalf("run: %v %+v", err, res)
	}
	if res.Counts[refbatch.OutcomeLinked] != 2 || res.Counts[refbatch.OutcomeLinked]+res.Counts[refbatch.OutcomeUnchanged]+res.Counts[refbatch.OutcomeUpdated] != 3 {
		t.Errorf("run: counts %v, want 2 linked", res.Counts)
	}
	checkOneMicrosoftReferralEach(t, sb, "run")
	refs := sb.Server().Referrals()
	var m *pc.Referral
	for i := range refs {
		if refs[i].EngagementID == engPartnerLed && refs[i].OrganizationID == pc.MicrosoftOrganizationID {
			m = &refs[i]
		}
	}
	if m == nil || m.InviteContext == nil || m.InviteContext.AssistanceRequestCode != "ProofOfConceptOrDemo" ||
		m.InviteContext.Notes != "Architecture review please" || m.Details == nil || m.Details.DealValue == nil || float64(*m.Details.DealValue) != 120000 ||
		m.CustomerProfile == nil || m.CustomerProfile.Name != "Customer of ref-pl" {
		t.Errorf("ref-pl's Microsoft referral: %+v", m)
	}
	if p := byID(refs, "ref-pv"); p == nil || !p.Consent.ConsentToShareReferralWithMicrosoftSellers {
		t.Errorf("ref-pv: %+v, want it shared with Microsoft sellers (the row said yes)", p)
	}

	// The same file again, with the same journal and with a new one.
	for _, jpath := range []string{filepath.Join(dir, "j.db"), filepath.Join(dir, "other.db")} {
		res, err := newClient(t, jpath, sb.Endpoint(), batch.Config{}).Run(ctx, file)
		if err != nil || res.Counts[refbatch.OutcomeLinked] != 0 {
			t.Errorf("again with %s: %v %v, want nothing linked", filepath.Base(jpath), res.Counts, err)
		}
		checkOneMicrosoftReferralEach(t, sb, "again with "+filepath.Base(jpath))
	}
}

// TestUpgradeToCosellInDoubt: every answer to a write is lost after the
// sandbox committed it, and a run is stopped hard while its links are on
// their way; after the run's own reconciliation, and after resume, each
// engagement has exactly one Microsoft referral.
func TestUpgradeToCosellInDoubt(t *testing.T) {
	t.Run("answers lost", func(t *testing.T) {
		dir := t.TempDir()
		sb := startSandbox(t, &sandbox.Options{Faults: sandbox.Faults{DropRate: 1, Seed: 5}})
		seedUpgrades(t, sb)
		file := writeUpgrades(t, dir)
		c := newClient(t, filepath.Join(dir, "j.db"), sb.Endpoint(), batch.Config{Settle: 300 * time.Millisecond})
		res, err := c.Run(context.Background(), file)
		for i := 0; err != nil && i < 3; i++ {
			res, err = c.Resume(context.Background(), batch.ResumeOptions{RetryFailed: true})
		}
		if err != nil || res.Counts[refbatch.OutcomeLinked] != 2 {
			t.Fatalf("run: %v %v", res, err)
		}
		checkOneMicrosoftReferralEach(t, sb, "answers lost")
	})
	t.Run("killed while linking", func(t *testing.T) {
		dir := t.TempDir()
		sb := startSandbox(t, &sandbox.Options{Faults: sandbox.Faults{Latency: 200 * time.Millisecond}})
		seedUpgrades(t, sb)
		file := writeUpgrades(t, dir)
		jpath := filepath.Join(dir, "j.db")
		var c *batch.Client
		var sent atomic.Int32
		c = newClient(t, jpath, sb.Endpoint(), batch.Config{Settle: 300 * time.Millisecond, Observer: batch.Observer{
			StepSent: func(row int, step refbatch.StepName) {
				if step == refbatch.StepLink && sent.Add(1) == 2 {
					c.StopAndCancel()
				}
			},
		}})
		res, err := c.Run(context.Background(), file)
		if !errors.Is(err, context.Canceled) || res.Counts[refbatch.OutcomeInDoubt] == 0 {
			t.Fatalf("the stopped run: %v %v, want links in doubt", res, err)
		}
		res, err = newClient(t, jpath, sb.Endpoint(), batch.Config{Settle: 300 * time.Millisecond}).Resume(context.Background(), batch.ResumeOptions{})
		if err != nil {
			t.Fatalf("resume: %v %v", res, err)
		}
		if res.Counts[refbatch.OutcomeLinked] != 2 {
			t.Errorf("resume: counts %v, want 2 linked", res.Counts)
		}
		checkOneMicrosoftReferralEach(t, sb, "after resume")
	})
}

// TestUpgradeOfAnUnsharedReferralNeedsTheRowsWord: upgrading a Private
// referral shares it with Microsoft sellers, which cannot be withdrawn, so
// a row that asks for co-sell without saying Share With Microsoft Sellers
// yes fails before anything is sent (cosell, known from the live
// referral); plan --online says so.
func TestUpgradeOfAnUnsharedReferralNeedsTheRowsWord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, nil)
	seedUpgrades(t, sb)
	file := filepath.Join(dir, "private.csv")
	if err := os.WriteFile(file, []byte("Referral ID,Deal Type,Assistance Request Code\nref-pv,Co-sell,GeneralOrOther\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, filepath.Join(dir, "j.db"), sb.Endpoint(), batch.Config{})
	plans, _, err := c.Plan(ctx, file, batch.PlanOptions{Online: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := plans[0]; p.Valid || firstRule(p) != refbatch.RuleCosell {
		t.Errorf("plan --online: valid %v, rule %q (%s), want cosell", p.Valid, firstRule(p), p.Note)
	}
	res, err := c.Run(ctx, file)
	if err == nil || res.Counts[refbatch.OutcomeFailed] != 1 || !strings.Contains(res.Problems[0].Error, "(cosell)") {
		t.Errorf("run: %v %+v, want the row refused by cosell", err, res)
	}
	if n := microsoftReferrals(sb)[engPrivate]; n != 0 {
		t.Errorf("%d Microsoft referrals linked to the private referral", n)
	}
	if p := byID(sb.Server().Referrals(), "ref-pv"); p.Consent.ConsentToShareReferralWithMicrosoftSellers {
		t.Error("ref-pv was shared")
	}
}
