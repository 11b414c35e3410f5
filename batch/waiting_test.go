package batch_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/journal"
	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// shiftClock is the real clock moved by an offset a test advances: the
// sandbox's Microsoft side and the client's deadlines both read it, and
// it still moves, so the engine's short waits end.
type shiftClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// waitEnv is a sandbox whose Microsoft side accepts co-sell referrals
// acceptAfter after their link (0: never), and a client on one journal,
// both on one shifted clock.
type waitEnv struct {
	clock *shiftClock
	sb    *batch.Sandbox
	jpath string
	dir   string
}

func newWaitEnv(t *testing.T, acceptAfter time.Duration, declineRate ...float64) *waitEnv {
	t.Helper()
	e := &waitEnv{clock: &shiftClock{}, dir: t.TempDir()}
	opts := &sandbox.Options{Now: e.clock.now, AcceptAfter: acceptAfter}
	if len(declineRate) > 0 {
		opts.DeclineRate = declineRate[0]
	}
	if acceptAfter == 0 {
		opts.AcceptAfter = -1 // never by itself (StartSandbox's default is 2 s)
	}
	sb, err := batch.StartSandbox(t.Context(), batch.SandboxConfig{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	e.sb, e.jpath = sb, filepath.Join(e.dir, "refbatch.db")
	return e
}

// client opens the journal and a client for one command, as separate
// invocations of refbatch would.
func (e *waitEnv) client(t *testing.T, cfg batch.Config) *batch.Client {
	t.Helper()
	jr, err := batch.OpenJournal(t.Context(), e.jpath, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jr.Close() })
	cfg.Now = e.clock.now
	if cfg.RegisterWait == 0 {
		cfg.RegisterWait = time.Millisecond // one check, not the rehearsal's 30 s
	}
	c, err := batch.NewClient(jr, e.sb.Endpoint(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// registrationRows writes co-sell create rows that register their deal.
func registrationRows(t *testing.T, path string, exts ...string) {
	t.Helper()
	sign := time.Now().AddDate(0, 0, -5).Format("2006-01-02")
	start := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	end := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	var b strings.Builder
	b.WriteString("CRM ID,Opportunity Name,Deal Type,Account Name,Country,Amount,Currency,Close Date,Contact First Name,Contact Last Name,Contact Email," +
		"Solution ID,Assistance Request Code,Register Deal,Customer Managed,Microsoft Referral Status,Contract Value,Contract Currency,Contract Term," +
		"Contract Sign Date,Contract Start Date,Contract End Date,Pricing Model,Primary Deployment On,Deployed On Azure\n")
	for _, ext := range exts {
		b.WriteString(ext + ",Deal " + ext + ",Co-sell,Customer " + ext + ",US,\"$60,000\",USD,2027-09-30,Ana,Bauer,ana." + strings.ToLower(ext) + "@example.com," +
			"SOL-34104-EBB,ProofOfConceptOrDemo,yes,yes,Accepted,70000,USD,Finite," + sign + "," + start + "," + end + ",Other,Partner,yes\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (e *waitEnv) partnerReferrals(t *testing.T) map[string][]pc.Referral {
	t.Helper()
	resp, err := http.Get(e.sb.URL + sandbox.AdminReferralsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var refs []pc.Referral
	if err := json.NewDecoder(resp.Body).Decode(&refs); err != nil {
		t.Fatal(err)
	}
	out := map[string][]pc.Referral{}
	for _, r := range refs {
		if r.OrganizationID != pc.MicrosoftOrganizationID {
			out[r.ExternalReferenceID] = append(out[r.ExternalReferenceID], r)
		}
	}
	return out
}

// TestRegistrationWaitsAcrossRunsThenSyncRegisters: Microsoft takes a day
// to accept the co-sell referrals. The run ends with their registrations
// waiting (ErrWaiting, not failed); a resume checks them once and leaves
// them waiting; once Microsoft accepts, sync, with the input file gone,
// registers each exactly once, and a second sync has nothing to do.
func TestRegistrationWaitsAcrossRunsThenSyncRegisters(t *testing.T) {
	e := newWaitEnv(t, 24*time.Hour)
	input := filepath.Join(e.dir, "pipeline.csv")
	registrationRows(t, input, "WAIT-1", "WAIT-2")

	c := e.client(t, batch.Config{})
	res, err := c.Run(t.Context(), input)
	if !errors.Is(err, refbatch.ErrWaiting) || errors.Is(err, refbatch.ErrFindings) {
		t.Fatalf("run: %v, want ErrWaiting alone", err)
	}
	if res.Waiting != 2 || res.Counts[refbatch.OutcomeWaiting] != 2 || res.Unfinished != 0 || !res.Run.Finished.IsZero() {
		t.Fatalf("run: waiting %d, counts %v, unfinished %d, finished %v", res.Waiting, res.Counts, res.Unfinished, res.Run.Finished)
	}
	for _, p := range res.Problems {
		if p.Outcome != refbatch.OutcomeWaiting || !strings.Contains(p.Error, "Microsoft has not accepted") || !strings.Contains(p.Error, "until ") {
			t.Errorf("row %d: %s %q, want waiting for Microsoft with its deadline", p.Number, p.Outcome, p.Error)
		}
	}

	// The second run (a resume) an hour later: checked once, still waiting.
	e.clock.advance(time.Hour)
	res, err = c.Resume(t.Context(), batch.ResumeOptions{})
	if !errors.Is(err, refbatch.ErrWaiting) || res.Waiting != 2 {
		t.Fatalf("resume: %v, waiting %d, want both still waiting", err, res.Waiting)
	}
	if res.Requests == 0 || res.Requests > 12 {
		t.Errorf("resume made %d requests, want a check of each waiting row (and the mirror), not a poll", res.Requests)
	}
	for ext, refs := range e.partnerReferrals(t) {
		if len(refs) != 1 || len(refs[0].Registrations) != 0 {
			t.Fatalf("%s before acceptance: %d referrals, %d registrations", ext, len(refs), len(refs[0].Registrations))
		}
	}

	// Microsoft accepts; the file is gone: sync works from the journal.
	e.clock.advance(24 * time.Hour)
	if err := os.Remove(input); err != nil {
		t.Fatal(err)
	}
	sr, err := c.Sync(t.Context())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if got := sr.Counts(); got[refbatch.OutcomeRegistered] != 2 || len(sr.Rows) != 2 {
		t.Fatalf("sync: %v", got)
	}
	if len(sr.Runs) != 1 || sr.Runs[0].Run.Finished.IsZero() || sr.Runs[0].Waiting != 0 {
		t.Errorf("sync: the run should be finished now: %+v", sr.Runs)
	}
	for _, ext := range []string{"WAIT-1", "WAIT-2"} {
		refs := e.partnerReferrals(t)[ext]
		if len(refs) != 1 || len(refs[0].Registrations) != 1 {
			t.Errorf("%s: %d referrals, want 1 with exactly one registration", ext, len(refs))
		}
	}
	sr, err = c.Sync(t.Context())
	if err != nil || len(sr.Rows) != 0 {
		t.Errorf("second sync: %v, %d rows, want nothing to do", err, len(sr.Rows))
	}
}

// TestWaitingRowPastDeadlineFails: Microsoft never answers; sync after the
// 14 days ends the row failed, naming the deadline, and sends nothing.
func TestWaitingRowPastDeadlineFails(t *testing.T) {
	e := newWaitEnv(t, 0)
	input := filepath.Join(e.dir, "pipeline.csv")
	registrationRows(t, input, "LATE-1")
	c := e.client(t, batch.Config{})
	if _, err := c.Run(t.Context(), input); !errors.Is(err, refbatch.ErrWaiting) {
		t.Fatalf("run: %v, want ErrWaiting", err)
	}
	e.clock.advance(15 * 24 * time.Hour)
	sr, err := c.Sync(t.Context())
	if !errors.Is(err, refbatch.ErrFindings) {
		t.Fatalf("sync: %v, want ErrFindings", err)
	}
	if len(sr.Rows) != 1 || sr.Rows[0].Outcome != refbatch.OutcomeFailed || !strings.Contains(sr.Rows[0].Error, "deadline") {
		t.Fatalf("sync rows: %+v, want one failed row naming its deadline", sr.Rows)
	}
	deadline := sr.Rows[0].Wait.Deadline.Format(time.RFC3339)
	if !strings.Contains(sr.Rows[0].Error, deadline) {
		t.Errorf("error %q does not name the deadline %s", sr.Rows[0].Error, deadline)
	}
	if n := len(e.partnerReferrals(t)["LATE-1"][0].Registrations); n != 0 {
		t.Errorf("%d registrations, want none", n)
	}
	// Final: another sync leaves it alone.
	if sr, err := c.Sync(t.Context()); err != nil || len(sr.Rows) != 0 {
		t.Errorf("second sync: %v, %d rows", err, len(sr.Rows))
	}
}

// TestRegistrationWaitsForTheDealsAge: with RegisterAge, a deal Microsoft
// has accepted still waits until its referral is 72 hours old; a sync
// before then sends nothing for it, one after registers it.
func TestRegistrationWaitsForTheDealsAge(t *testing.T) {
	e := newWaitEnv(t, 100*time.Millisecond)
	input := filepath.Join(e.dir, "pipeline.csv")
	registrationRows(t, input, "AGE-1")
	c := e.client(t, batch.Config{RegisterAge: 72 * time.Hour, RegisterWait: 5 * time.Second})
	res, err := c.Run(t.Context(), input)
	if !errors.Is(err, refbatch.ErrWaiting) || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error, "72 hours") {
		t.Fatalf("run: %v %+v, want the row waiting for the deal's age", err, res.Problems)
	}
	e.clock.advance(24 * time.Hour)
	sr, err := c.Sync(t.Context())
	if !errors.Is(err, refbatch.ErrWaiting) || len(sr.Rows) != 1 || sr.Rows[0].Outcome != refbatch.OutcomeWaiting {
		t.Fatalf("sync a day later: %v %+v", err, sr.Rows)
	}
	if w := sr.Rows[0].Wait; w.Reason != refbatch.WaitDealAge || w.NextCheck.Sub(w.Since) < 71*time.Hour {
		t.Errorf("wait %+v, want the deal's age with its next check 72 hours on", w)
	}
	e.clock.advance(49 * time.Hour)
	sr, err = c.Sync(t.Context())
	if err != nil || sr.Counts()[refbatch.OutcomeRegistered] != 1 {
		t.Fatalf("sync after 72 hours: %v %v", err, sr.Counts())
	}
	if n := len(e.partnerReferrals(t)["AGE-1"][0].Registrations); n != 1 {
		t.Errorf("%d registrations, want 1", n)
	}
}

// TestWaitingRowDeclinedFailsAtOnce: Microsoft declines the co-sell
// referral a day later; the next sync fails the row then, saying so, rather
// than waiting out the 14 days.
func TestWaitingRowDeclinedFailsAtOnce(t *testing.T) {
	e := newWaitEnv(t, 24*time.Hour, 1)
	input := filepath.Join(e.dir, "pipeline.csv")
	registrationRows(t, input, "DECL-1")
	c := e.client(t, batch.Config{})
	if _, err := c.Run(t.Context(), input); !errors.Is(err, refbatch.ErrWaiting) {
		t.Fatalf("run: %v, want ErrWaiting", err)
	}
	e.clock.advance(25 * time.Hour)
	sr, err := c.Sync(t.Context())
	if !errors.Is(err, refbatch.ErrFindings) || len(sr.Rows) != 1 {
		t.Fatalf("sync: %v %+v, want the row failed", err, sr.Rows)
	}
	if r := sr.Rows[0]; r.Outcome != refbatch.OutcomeFailed || !strings.Contains(r.Error, "Closed/Declined") {
		t.Errorf("row: %s %q, want failed, naming Microsoft's decline", r.Outcome, r.Error)
	}
}

// TestResumeAdvancesWaitingRowAndTheRowsBehindIt: a later row that updates
// the same referral keeps its place behind the waiting registration
// (pending, saying why); once Microsoft accepts, resume registers the deal
// and then runs the later row.
func TestResumeAdvancesWaitingRowAndTheRowsBehindIt(t *testing.T) {
	e := newWaitEnv(t, 24*time.Hour)
	input := filepath.Join(e.dir, "pipeline.csv")
	registrationRows(t, input, "KEY-1")
	b, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 2)
	header, first := lines[0]+",Action,Notes\n", strings.TrimSuffix(lines[1], "\n")+",create,\n"
	later := "KEY-1" + strings.Repeat(",", strings.Count(lines[0], ",")) + ",update,Updated after the registration\n"
	if err := os.WriteFile(input, []byte(header+first+later), 0o600); err != nil {
		t.Fatal(err)
	}
	c := e.client(t, batch.Config{})
	res, err := c.Run(t.Context(), input)
	if !errors.Is(err, refbatch.ErrFindings) || res.Waiting != 1 || res.Counts[refbatch.OutcomePending] != 1 {
		t.Fatalf("run: %v, counts %v; want the registration waiting and the row behind it pending", err, res.Counts)
	}
	ro, err := journal.OpenReadOnly(t.Context(), e.jpath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ro.RowsOf(t.Context(), res.Run.ID, []int{3})
	ro.Close()
	if err != nil || len(rows) != 1 || rows[0].Outcome != refbatch.OutcomePending || !strings.Contains(rows[0].Error, "waits for row 2") {
		t.Errorf("row 3: %+v %v, want pending, saying it waits for row 2", rows, err)
	}
	e.clock.advance(25 * time.Hour)
	res, err = c.Resume(t.Context(), batch.ResumeOptions{})
	if err != nil {
		t.Fatalf("resume: %v (counts %v, problems %+v)", err, res.Counts, res.Problems)
	}
	if res.Counts[refbatch.OutcomeRegistered] != 1 || res.Counts[refbatch.OutcomeUpdated] != 1 || res.Run.Finished.IsZero() {
		t.Errorf("resume: counts %v, finished %v", res.Counts, res.Run.Finished)
	}
	refs := e.partnerReferrals(t)["KEY-1"]
	if len(refs) != 1 || len(refs[0].Registrations) != 1 || refs[0].Details.Notes != "Updated after the registration" {
		t.Errorf("KEY-1: %d referrals; want one, registered once, with the later row's notes", len(refs))
	}
}

// TestRunOrResumeRunsTheNextFileWhileRowsWait: a nightly job calls
// RunOrResume with the day's file at the same path. Rows of yesterday's run
// that wait for Microsoft (Sync's) do not hold today's file back: it runs
// as a new run, instead of being refused as a changed input of yesterday's.
func TestRunOrResumeRunsTheNextFileWhileRowsWait(t *testing.T) {
	e := newWaitEnv(t, 24*time.Hour)
	input := filepath.Join(e.dir, "pipeline.csv")
	registrationRows(t, input, "WAIT-1")
	c := e.client(t, batch.Config{})
	first, err := c.RunOrResume(t.Context(), input)
	if !errors.Is(err, refbatch.ErrWaiting) || first.Waiting != 1 {
		t.Fatalf("day 1: %v, waiting %d", err, first.Waiting)
	}
	e.clock.advance(time.Hour)
	registrationRows(t, input, "WAIT-1", "WAIT-2") // day 2's file
	second, err := c.RunOrResume(t.Context(), input)
	if errors.Is(err, refbatch.ErrInputChanged) || second == nil || second.Resumed || second.Run.ID == first.Run.ID {
		t.Fatalf("day 2: %v (%+v), want a new run", err, second)
	}
	if got := len(e.partnerReferrals(t)); got != 2 {
		t.Errorf("day 2 loaded %d referrals, want 2", got)
	}
}
