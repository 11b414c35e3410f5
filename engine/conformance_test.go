package engine_test

// The conformance suite: the engine against the real sandbox over HTTP and a
// real SQLite journal, with each fault the sandbox can inject, and all of
// them at once. After every scenario the sandbox's own dump must show each
// row's effect exactly once (SPEC §7: "after resume each row has its effect
// on Partner Center exactly once").

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

var conformanceHeaders = []string{
	"Action", "External Reference ID", "Name", "Deal Type", "Customer Name", "Country", "Deal Value", "Currency",
	"Closing Date", "Contact First Name", "Contact Last Name", "Contact Email", "Solution IDs",
	"Assistance Request Code", "Invite Notes", "Status", "Substatus", "Notes", "Team Member Email",
	"Register Deal", "Customer Managed", "Microsoft Referral Status", "Contract Value", "Contract Currency",
	"Contract Term", "Contract Sign Date", "Contract Start Date", "Contract End Date", "Pricing Model",
	"Primary Deployment On", "Deployed On Azure",
}

// kinds of conformance rows
const (
	kindCreate   = "create"
	kindCosell   = "cosell"
	kindRegister = "register"
	kindUpdate   = "update"
)

type confRow struct {
	kind   string
	ext    string
	values map[string]string
}

// conformanceRows returns n rows: creates of every deal type, co-sell deals
// with a deal registration, and updates (status, notes, a team member) of
// referrals created by earlier rows of the same file.
func conformanceRows(n int) []confRow {
	var out []confRow
	for i := 0; len(out) < n; i++ {
		ext := fmt.Sprintf("CONF-%04d", i)
		base := map[string]string{
			"External Reference ID": ext, "Name": "Deal " + ext, "Customer Name": "Customer " + ext, "Country": "US",
			"Deal Value": "50000", "Currency": "USD", "Closing Date": "2027-06-30",
			"Contact First Name": "Ana", "Contact Last Name": "Bauer", "Contact Email": "ana" + strings.ToLower(ext) + "@example.com",
		}
		switch i % 5 {
		case 0, 1:
			base["Deal Type"] = []string{"Private", "Partner-led"}[i%2]
			out = append(out, confRow{kind: kindCreate, ext: ext, values: base})
		case 2:
			base["Deal Type"] = "Co-sell"
			base["Solution IDs"] = "SOL-34104-EBB"
			base["Assistance Request Code"] = "ProofOfConceptOrDemo"
			base["Invite Notes"] = "please help"
			out = append(out, confRow{kind: kindCosell, ext: ext, values: base})
		case 3:
			base["Deal Type"] = "Co-sell"
			base["Solution IDs"] = "SOL-34104-EBB"
			base["Assistance Request Code"] = "ProofOfConceptOrDemo"
			for k, v := range map[string]string{"Register Deal": "yes", "Customer Managed": "yes", "Microsoft Referral Status": "Accepted",
				"Contract Value": "60000", "Contract Currency": "USD", "Contract Term": "Finite", "Contract Sign Date": daysFromNow(-10),
				"Contract Start Date": daysFromNow(-5), "Contract End Date": daysFromNow(360), "Pricing Model": "Other",
				"Primary Deployment On": "Partner", "Deployed On Azure": "yes"} {
				base[k] = v
			}
			out = append(out, confRow{kind: kindRegister, ext: ext, values: base})
		case 4:
			// Update the Private deal created two rows... earlier in this group.
			target := fmt.Sprintf("CONF-%04d", i-4)
			out = append(out, confRow{kind: kindUpdate, ext: target, values: map[string]string{
				"Action": "update", "External Reference ID": target, "Status": "Active", "Substatus": "Accepted",
				"Notes": "moved on " + target, "Team Member Email": "owner." + strings.ToLower(target) + "@partner.example",
			}})
		}
	}
	return out
}

// daysFromNow is a date relative to today: registrations must be signed in
// the last 60 days (register-deals.md), so fixed dates would age.
func daysFromNow(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }

func plannedRows(t testing.TB, rows []confRow) []*engine.Planned {
	t.Helper()
	var out []*engine.Planned
	for i, cr := range rows {
		values := make([]string, len(conformanceHeaders))
		for j, h := range conformanceHeaders {
			values[j] = cr.values[h]
		}
		row, finds, err := importer.RowFromRecord(conformanceHeaders, values, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range finds {
			if f.Severity == refbatch.SeverityError {
				t.Fatalf("row %d: %v", i, f)
			}
		}
		row.Number = i + 2
		out = append(out, &engine.Planned{Row: row, Record: refbatch.RowRecord{
			Number: row.Number, Key: refbatch.KeyOf(row), Action: row.Action, Valid: true,
			Hash: refbatch.ContentHash(row), Outcome: refbatch.OutcomePending,
		}})
	}
	return out
}

type harness struct {
	t      testing.TB
	sb     *sandbox.Server
	url    string
	jr     *journal.Journal
	run    refbatch.RunID
	rows   []confRow
	limit  *engine.AdaptiveLimiter
	client *partnercenter.Client
}

func newHarness(t testing.TB, faults sandbox.Faults, rows []confRow) *harness {
	t.Helper()
	// Every scenario lists with a lag (an eventually consistent service),
	// below the settle time the run is given.
	sb := sandbox.New(sandbox.Options{Faults: faults, AcceptAfter: 50 * time.Millisecond, ListLag: confListLag})
	ts := httptest.NewServer(sb)
	t.Cleanup(ts.Close)
	jr, err := journal.Open(context.Background(), filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jr.Close() })
	h := &harness{t: t, sb: sb, url: ts.URL, jr: jr, rows: rows}
	h.limit = engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Start: 200})
	h.client, err = partnercenter.NewClient(ts.URL,
		partnercenter.WithTokenSource(partnercenter.StaticToken("conformance")),
		partnercenter.WithLimiter(h.limit),
		partnercenter.WithObserver(func(a partnercenter.Attempt) { h.limit.Observe(a.StatusCode) }),
		partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{BaseDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, MaxRetryAfter: time.Second}),
	)
	if err != nil {
		t.Fatal(err)
	}
	h.newRun()
	return h
}

func (h *harness) options() engine.ExecOptions {
	return engine.ExecOptions{
		Run:          h.run,
		API:          partnercenter.NewReferrals(h.client),
		Mapper:       partnercenter.NewMapper(),
		Journal:      h.jr,
		Concurrency:  8,
		RegisterWait: 10 * time.Second,
		RetryFailed:  true,
		Settle:       confSettle,
		Logger:       testLogger(),
	}
}

// confListLag is the conformance sandbox's listing lag, confSettle the
// settle time the runs wait before a listing may prove a write absent.
const (
	confListLag = 150 * time.Millisecond
	confSettle  = 400 * time.Millisecond
)

// testLogger shows the engine's retries and reconciliations under -v.
func testLogger() *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// execute runs (and resumes) until every row is finished, as a user
// would with `refbatch resume --retry-failed`.
func (h *harness) execute(ctx context.Context, planned []*engine.Planned) engine.Result {
	h.t.Helper()
	h.put(ctx, planned)
	var res engine.Result
	for attempt := 0; attempt < 8; attempt++ {
		var err error
		res, err = engine.Execute(ctx, ctx, planned, h.options())
		if err != nil {
			h.t.Fatalf("execute: %v", err)
		}
		if res.Unfinished() == 0 && res.Counts[refbatch.OutcomeFailed] == 0 {
			return res
		}
		// Resume: the journal's records are the truth.
		recs, err := h.jr.Rows(ctx, h.run)
		if err != nil {
			h.t.Fatal(err)
		}
		byNum := map[int]refbatch.RowRecord{}
		for _, r := range recs {
			byNum[r.Number] = r
		}
		for _, p := range planned {
			if r, ok := byNum[p.Record.Number]; ok {
				p.Record = r
			}
		}
	}
	h.t.Fatalf("rows still unfinished or failed after 8 resumes: %v", res.Counts)
	return res
}

// assertExactlyOnce checks the sandbox's dump against the rows.
func (h *harness) assertExactlyOnce() {
	h.t.Helper()
	refs := h.sb.Referrals()
	partner := map[string][]partnercenter.Referral{}
	msft := map[string]int{}
	for _, r := range refs {
		if r.OrganizationID == partnercenter.MicrosoftOrganizationID {
			msft[r.EngagementID]++
			continue
		}
		partner[r.ExternalReferenceID] = append(partner[r.ExternalReferenceID], r)
	}
	for _, cr := range h.rows {
		got := partner[cr.ext]
		if len(got) != 1 {
			h.t.Errorf("%s (%s): %d referrals on Partner Center, want exactly 1", cr.ext, cr.kind, len(got))
			continue
		}
		ref := got[0]
		switch cr.kind {
		case kindCosell, kindRegister:
			if n := msft[ref.EngagementID]; n != 1 {
				h.t.Errorf("%s: %d Microsoft referrals in its engagement, want 1", cr.ext, n)
			}
			if cr.kind == kindRegister && len(ref.Registrations) != 1 {
				h.t.Errorf("%s: %d deal registrations, want 1", cr.ext, len(ref.Registrations))
			}
		case kindUpdate:
			if ref.Status != partnercenter.StatusActive {
				h.t.Errorf("%s: status %s, want Active", cr.ext, ref.Status)
			}
			members := 0
			for _, m := range ref.Team {
				if strings.EqualFold(m.Email, cr.values["Team Member Email"]) {
					members++
				}
			}
			if members != 1 {
				h.t.Errorf("%s: team member %s present %d times, want 1", cr.ext, cr.values["Team Member Email"], members)
			}
		}
	}
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs against a sandbox with faults")
	}
	for _, tc := range []struct {
		name   string
		faults sandbox.Faults
	}{
		{"no faults", sandbox.Faults{}},
		{"latency", sandbox.Faults{Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 1}},
		{"429 with Retry-After", sandbox.Faults{RateLimit: 150, Seed: 2}},
		{"5xx", sandbox.Faults{FailRate: 0.15, Seed: 3}},
		{"answers dropped after commit", sandbox.Faults{DropRate: 0.15, Seed: 4}},
		{"eTag races", sandbox.Faults{ConflictRate: 0.3, Seed: 5}},
		{"everything at once", sandbox.Faults{Latency: 2 * time.Millisecond, Jitter: 2 * time.Millisecond, RateLimit: 300,
			FailRate: 0.1, DropRate: 0.1, ConflictRate: 0.2, Seed: 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows := conformanceRows(60)
			h := newHarness(t, tc.faults, rows)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res := h.execute(ctx, plannedRows(t, rows))
			h.assertExactlyOnce()
			if res.Counts[refbatch.OutcomeRegistered] != 12 {
				t.Errorf("registered %d rows, want 12: %v", res.Counts[refbatch.OutcomeRegistered], res.Counts)
			}
			// Running the same rows again changes nothing and sends no write.
			again := plannedRows(t, rows)
			h.faultsOff()
			h.newRun()
			h.put(ctx, again)
			res2, err := engine.Execute(ctx, ctx, again, h.options())
			if err != nil {
				t.Fatal(err)
			}
			h.assertExactlyOnce()
			if n := res2.Counts[refbatch.OutcomeUnchanged]; n != len(rows) {
				t.Errorf("second pass: %v, want all %d unchanged", res2.Counts, len(rows))
			}
		})
	}
}

// put records the planned rows in the journal, as run does.
func (h *harness) put(ctx context.Context, planned []*engine.Planned) {
	h.t.Helper()
	recs := make([]refbatch.RowRecord, len(planned))
	for i, p := range planned {
		recs[i] = p.Record
	}
	if err := h.jr.PutRows(ctx, h.run, recs); err != nil {
		h.t.Fatal(err)
	}
}

// newRun starts a second run in the same journal, as running the same
// file again does.
func (h *harness) newRun() {
	h.t.Helper()
	h.run = refbatch.NewRunID(time.Now())
	if err := h.jr.CreateRun(context.Background(), refbatch.RunInfo{ID: h.run, InputPath: "conformance.csv", Started: time.Now().UTC()}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) faultsOff() { h.sb.SetFaults(sandbox.Faults{}) }

// TestFailedRowWithSentPatchIsReconciled: a journal in which a row is
// recorded failed while its patch step was sent again (a kill during
// resume --retry-failed, by a refbatch before the fix) is reconciled, not
// left failed: the fresh get shows the patch applied, so nothing is sent.
func TestFailedRowWithSentPatchIsReconciled(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, sandbox.Faults{}, nil)
	created, err := h.client.Create(ctx, &partnercenter.Referral{Name: "deal", Type: partnercenter.TypeIndependent,
		CustomerProfile: &partnercenter.CustomerProfile{Name: "Fabrikam", Address: &partnercenter.Address{Country: "US"}},
		Consent:         &partnercenter.Consent{}, Details: &partnercenter.ReferralDetails{DealValue: partnercenter.NewAmount(40000), Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	// The patch the killed attempt sent did reach Partner Center.
	if _, err := h.client.Patch(ctx, created.ID, []partnercenter.PatchOp{{Op: "replace", Path: "/details/notes", Value: "moved on"}}, created.ETag, false); err != nil {
		t.Fatal(err)
	}
	headers := []string{"Action", "Referral ID", "Notes"}
	row, _, err := importer.RowFromRecord(headers, []string{"update", created.ID, "moved on"}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := refbatch.RowRecord{Number: 2, Key: refbatch.KeyOf(row), Action: "update", Valid: true, Hash: refbatch.ContentHash(row),
		Outcome: refbatch.OutcomeFailed, Error: "patch: 412 twice"}
	h.put(ctx, []*engine.Planned{{Row: row, Record: rec}})
	if err := h.jr.StepSent(ctx, refbatch.StepRecord{Run: h.run, Row: 2, Step: refbatch.StepPatch, State: refbatch.StateSent,
		ClientRequestID: "00000000-0000-0000-0000-000000000001", SentAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	opts := h.options()
	opts.RetryFailed = false
	res, err := engine.Execute(ctx, ctx, []*engine.Planned{{Row: row, Record: rec}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[refbatch.OutcomeUpdated] != 1 {
		t.Fatalf("outcomes %v, want the row updated (its sent patch found applied)", res.Counts)
	}
	live, err := h.client.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if live.Details == nil || live.Details.Notes != "moved on" {
		t.Errorf("notes %+v", live.Details)
	}
}
