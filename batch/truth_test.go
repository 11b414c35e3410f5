package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// partnerCounts counts the sandbox's partner referrals by External
// Reference ID: the dump, read from outside refbatch.
func partnerCounts(sb *batch.Sandbox) map[string]int {
	out := map[string]int{}
	for _, r := range sb.Server().Referrals() {
		if r.OrganizationID != partnercenter.MicrosoftOrganizationID {
			out[r.ExternalReferenceID]++
		}
	}
	return out
}

func startSandbox(t *testing.T, opts *sandbox.Options) *batch.Sandbox {
	t.Helper()
	sb, err := batch.StartSandbox(context.Background(), batch.SandboxConfig{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// newClient opens the journal at jpath for one client; the journal closes
// when the test ends or when the next client of the same path is made.
func newClient(t *testing.T, jpath string, ep batch.Endpoint, cfg batch.Config) *batch.Client {
	t.Helper()
	if prev, ok := openJournals[jpath]; ok {
		prev.Close()
	}
	jr, err := batch.OpenJournal(context.Background(), jpath, true)
	if err != nil {
		t.Fatal(err)
	}
	openJournals[jpath] = jr
	t.Cleanup(func() { jr.Close(); delete(openJournals, jpath) })
	c, err := batch.NewClient(jr, ep, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openJournals are the journals newClient opened, by path (tests in this
// file do not run in parallel).
var openJournals = map[string]interface{ Close() error }{}

// TestNothingCreatedTwiceWithoutTheJournal: the same file run with a new
// journal, from a moved copy of the workbook (its default journal beside
// it), and a file naming referrals made outside refbatch: Partner Center's
// listing (the mirror) turns every create of a CRM ID it holds into an
// update, so nothing is created twice.
func TestNothingCreatedTwiceWithoutTheJournal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, nil)
	input := filepath.Join(dir, "in.csv")
	const rows = 60
	writeCreates(t, input, 0, rows, false)

	res, err := newClient(t, filepath.Join(dir, "a.db"), sb.Endpoint(), batch.Config{}).Run(ctx, input)
	if err != nil || res.Counts[refbatch.OutcomeCreated] != rows {
		t.Fatalf("first run: %v %v", res, err)
	}
	// A new journal: another machine, a lost journal.
	res, err = newClient(t, filepath.Join(dir, "b.db"), sb.Endpoint(), batch.Config{}).Run(ctx, input)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Counts[refbatch.OutcomeCreated]; n != 0 || res.Mirror.Listed != rows || !res.Mirror.Full {
		t.Errorf("a new journal: %d created, mirror %+v", n, res.Mirror)
	}
	// The workbook moved to another folder, its default journal with it.
	moved := filepath.Join(dir, "moved")
	if err := os.Mkdir(moved, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(input)
	if err := os.WriteFile(filepath.Join(moved, "in.csv"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = newClient(t, filepath.Join(moved, "refbatch.db"), sb.Endpoint(), batch.Config{}).Run(ctx, filepath.Join(moved, "in.csv"))
	if err != nil || res.Counts[refbatch.OutcomeCreated] != 0 {
		t.Errorf("a moved workbook: %v %v", res, err)
	}

	// Referrals made outside refbatch (the UI, a CRM connector) with the
	// CRM ids a file then loads.
	pc, err := partnercenter.NewClient(sb.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("ui")))
	if err != nil {
		t.Fatal(err)
	}
	api, mapper := partnercenter.NewReferrals(pc), partnercenter.NewMapper()
	headers := []string{"CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency", "Close Date"}
	for i := range 20 {
		row, _, err := importer.RowFromRecord(headers, []string{"UI-" + string(rune('A'+i)), "Made in the UI", "Private", "Contoso", "US", "50000", "USD", "2027-09-30"}, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		req, err := mapper.Create(row)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Create(ctx, "", req.Body); err != nil {
			t.Fatal(err)
		}
	}
	ui := filepath.Join(dir, "ui.csv")
	f, _ := os.Create(ui)
	f.WriteString(strings.Join(headers, ",") + "\n")
	for i := range 20 {
		f.WriteString("UI-" + string(rune('A'+i)) + ",Made in the UI,Private,Contoso,US,60000,USD,2027-09-30\n")
	}
	f.Close()
	res, err = newClient(t, filepath.Join(dir, "b.db"), sb.Endpoint(), batch.Config{}).Run(ctx, ui)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[refbatch.OutcomeCreated] != 0 || res.Counts[refbatch.OutcomeUpdated] != 20 || res.Mirror.Full {
		t.Errorf("referrals made in the UI: %v, mirror %+v", res, res.Mirror)
	}
	for id, n := range partnerCounts(sb) {
		if n != 1 {
			t.Errorf("%s: %d referrals", id, n)
		}
	}
}

// TestDuplicateInPartnerCenterFailsTheRow: two partner referrals with one
// CRM id (made by anyone): a row naming it fails before anything is sent,
// naming both ids, and status lists the duplicate.
func TestDuplicateInPartnerCenterFailsTheRow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, nil)
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 1, false)
	// One machine creates BENCH-0000000; someone makes it again in the UI.
	if _, err := newClient(t, filepath.Join(dir, "a.db"), sb.Endpoint(), batch.Config{}).Run(ctx, input); err != nil {
		t.Fatal(err)
	}
	pc, _ := partnercenter.NewClient(sb.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("ui")))
	row, _, _ := importer.RowFromRecord([]string{"CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency", "Close Date"},
		[]string{"BENCH-0000000", "Deal 0", "Private", "Customer 0", "US", "50000", "USD", "2027-09-30"}, importer.Options{})
	req, _ := partnercenter.NewMapper().Create(row)
	if _, err := partnercenter.NewReferrals(pc).Create(ctx, "", req.Body); err != nil {
		t.Fatal(err)
	}
	before := len(sb.Server().Referrals())
	c := newClient(t, filepath.Join(dir, "c.db"), sb.Endpoint(), batch.Config{})
	res, err := c.Run(ctx, input)
	if !errors.Is(err, refbatch.ErrFindings) || res.Counts[refbatch.OutcomeFailed] != 1 {
		t.Fatalf("run over a duplicate: %v %v", res, err)
	}
	if msg := res.Problems[0].Error; !strings.Contains(msg, "2 referrals") || strings.Count(msg, "-") < 8 {
		t.Errorf("message does not name both referrals: %s", msg)
	}
	if after := len(sb.Server().Referrals()); after != before {
		t.Errorf("%d referrals sent for a duplicated CRM id", after-before)
	}
	dups, err := c.Duplicates(ctx)
	if err != nil || len(dups) != 1 || len(dups[0].ReferralIDs) != 2 {
		t.Fatalf("Duplicates = %+v, %v", dups, err)
	}

	// A row that names its Referral ID means that one: no doubt.
	named := filepath.Join(dir, "named.csv")
	if err := os.WriteFile(named, []byte("Referral ID,CRM ID,Notes\n"+dups[0].ReferralIDs[0]+",BENCH-0000000,named\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := newClient(t, filepath.Join(dir, "c.db"), sb.Endpoint(), batch.Config{}).Run(ctx, named); err != nil || res.Counts[refbatch.OutcomeUpdated] != 1 {
		t.Errorf("a row naming its Referral ID: %v %v", res, err)
	}
	// The duplicate closed in Partner Center, as the message advises: the
	// CRM id names one open referral again.
	api := partnercenter.NewReferrals(pc)
	dup := dups[0].ReferralIDs[1]
	live, err := api.Get(ctx, "", dup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Patch(ctx, "", dup, live.ETag, json.RawMessage(`[{"op":"replace","path":"/status","value":"Closed"},{"op":"replace","path":"/substatus","value":"Lost"}]`)); err != nil {
		t.Fatal(err)
	}
	c = newClient(t, filepath.Join(dir, "c.db"), sb.Endpoint(), batch.Config{})
	if res, err := c.Run(ctx, input); err != nil || res.Counts[refbatch.OutcomeFailed] != 0 {
		t.Errorf("after the duplicate was closed: %v %v", res, err)
	}
	if dups, err := c.Duplicates(ctx); err != nil || len(dups) != 0 {
		t.Errorf("Duplicates after closing one = %+v, %v", dups, err)
	}
}

// TestJournalOfAnotherEndpointIsRefused: a journal filled against one
// Partner Center is refused, before anything is sent, by a run or a resume
// against another, with both named.
func TestJournalOfAnotherEndpointIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := startSandbox(t, nil), startSandbox(t, nil)
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 5, false)
	jpath := filepath.Join(dir, "j.db")
	if _, err := newClient(t, jpath, a.Endpoint(), batch.Config{}).Run(ctx, input); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func(*batch.Client) error{
		"run":    func(c *batch.Client) error { _, err := c.Run(ctx, input); return err },
		"resume": func(c *batch.Client) error { _, err := c.Resume(ctx, batch.ResumeOptions{}); return err },
	} {
		err := call(newClient(t, jpath, b.Endpoint(), batch.Config{}))
		if !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), a.Endpoint().Name) || !strings.Contains(err.Error(), b.Endpoint().Name) {
			t.Errorf("%s against another endpoint: %v", name, err)
		}
	}
	if n := len(b.Server().Referrals()); n != 0 {
		t.Errorf("%d referrals sent to the other endpoint", n)
	}
}

// TestUnreachableEndpointStopsAtOnce: a closed port stops a 1,000-row run
// before anything is planned, with one message naming the endpoint and the
// cause, and no run left behind to resume.
func TestUnreachableEndpointStopsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 1000, false)
	c := newClient(t, filepath.Join(dir, "j.db"), batch.Endpoint{URL: url, Token: partnercenter.StaticToken("t")}, batch.Config{})
	start := time.Now()
	res, err := c.Run(context.Background(), input)
	t.Logf("stopped after %v: %v", time.Since(start), err)
	if err == nil || !refbatch.IsFatal(err) || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("run against a closed port: %v", err)
	}
	if res != nil {
		t.Errorf("a run was started: %v", res)
	}
	if _, err := c.Resume(context.Background(), batch.ResumeOptions{}); !errors.Is(err, refbatch.ErrUsage) {
		t.Errorf("a run was journaled: resume said %v", err)
	}
}

// TestClockSkewChangesNothing: the service's clock 15 minutes behind or
// ahead of the client's, or three hours off, with a fifth of the write
// answers lost and a listing that lags: every row once. Reconciliation
// compares the service's createdDateTime with sent times moved onto the
// service's clock (its Date header).
func TestClockSkewChangesNothing(t *testing.T) {
	for _, skew := range []time.Duration{-15 * time.Minute, 15 * time.Minute, -3 * time.Hour, 3 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			dir := t.TempDir()
			sb := startSandbox(t, &sandbox.Options{ClockSkew: skew, ListLag: 200 * time.Millisecond,
				Faults: sandbox.Faults{DropRate: 0.2, Seed: 3}})
			input := filepath.Join(dir, "in.csv")
			const rows = 80
			writeCreates(t, input, 0, rows, false)
			c := newClient(t, filepath.Join(dir, "j.db"), sb.Endpoint(), batch.Config{Settle: 600 * time.Millisecond})
			res, err := c.Run(context.Background(), input)
			for i := 0; err != nil && i < 3; i++ {
				res, err = c.Resume(context.Background(), batch.ResumeOptions{RetryFailed: true})
			}
			if err != nil {
				t.Fatalf("%v %v", res, err)
			}
			counts := partnerCounts(sb)
			if len(counts) != rows {
				t.Errorf("%d CRM ids in Partner Center, want %d", len(counts), rows)
			}
			for id, n := range counts {
				if n != 1 {
					t.Errorf("%s created %d times", id, n)
				}
			}
		})
	}
}

// TestNewJournalWaitsForALaggingListing: the same file run again at once
// with a new journal (another machine, a lost journal) while Partner
// Center's listing lags: the first, full listing of the new journal does
// not show the referrals just made, so its creates wait a settle time and
// meet a fresh refresh first; nothing is created twice.
func TestNewJournalWaitsForALaggingListing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, &sandbox.Options{ListLag: 2 * time.Second})
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 4, false)
	if res, err := newClient(t, filepath.Join(dir, "a.db"), sb.Endpoint(), batch.Config{}).Run(ctx, input); err != nil || res.Counts[refbatch.OutcomeCreated] != 4 {
		t.Fatalf("first run: %v %v", res, err)
	}
	res, err := newClient(t, filepath.Join(dir, "b.db"), sb.Endpoint(), batch.Config{}).Run(ctx, input)
	if err != nil || res.Counts[refbatch.OutcomeCreated] != 0 {
		t.Errorf("a new journal at once: %v %v", res, err)
	}
	for id, n := range partnerCounts(sb) {
		if n != 1 {
			t.Errorf("%s: %d referrals", id, n)
		}
	}
}
