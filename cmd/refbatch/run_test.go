package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"github.com/refbatch/refbatch/batch"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// refbatchCmd runs the program as main does and returns its exit code and
// output.
func refbatchCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// referralsIn reads a sandbox state file the way the sandbox does.
func referralsIn(t *testing.T, stateFile string) []partnercenter.Referral {
	t.Helper()
	sb, err := sandbox.Open(sandbox.Options{StateFile: stateFile})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	return sb.Referrals()
}

// TestRunSandboxSample is the README's main command: the clean sample
// against the embedded sandbox as of the day it was exported, every kind of
// step succeeding; then the same file again creates nothing; status and
// export tell the outcome. TestReadmeSampleOnAnyDate runs it on other
// calendars.
func TestRunSandboxSample(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "q3-pipeline.xlsx")
	copyFile(t, filepath.Join("..", "..", "samples", "q3-pipeline.xlsx"), input)

	code, out, errOut := refbatchCmd(t, "run", "--sandbox", "--today", sampleExported, "--quiet", input)
	if code != exitOK {
		t.Fatalf("run exited %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"16 rows, 16 valid", "created", "linked", "updated", "registered", "0 throttled"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	state := filepath.Join(dir, ".refbatch", "sandbox-state.json")
	first := referralsIn(t, state)

	code, out, errOut = refbatchCmd(t, "run", "--sandbox", "--today", sampleExported, "--quiet", input)
	if code != exitOK {
		t.Fatalf("second run exited %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "created") || strings.Contains(out, "linked") {
		t.Errorf("second run of the same file created or linked again:\n%s", out)
	}
	if again := referralsIn(t, state); len(again) != len(first) {
		t.Errorf("second run: %d referrals on the sandbox, first run left %d", len(again), len(first))
	}

	jpath := filepath.Join(dir, ".refbatch", "sandbox.db")
	code, out, errOut = refbatchCmd(t, "status", "--journal", jpath, "--format", "json", "--rows")
	if code != exitOK {
		t.Fatalf("status exited %d: %s", code, errOut)
	}
	var statuses []batch.RunStatus
	if err := json.Unmarshal([]byte(out), &statuses); err != nil {
		t.Fatalf("status json: %v\n%s", err, out)
	}
	if len(statuses) != 2 {
		t.Fatalf("status lists %d runs, want 2", len(statuses))
	}
	firstRun := statuses[0]
	if firstRun.Outcomes[refbatch.OutcomeCreated]+firstRun.Outcomes[refbatch.OutcomeLinked]+firstRun.Outcomes[refbatch.OutcomeRegistered] == 0 ||
		firstRun.Outcomes[refbatch.OutcomeFailed] != 0 || firstRun.Finished == nil {
		t.Errorf("first run: %+v", firstRun.Outcomes)
	}
	for _, r := range firstRun.RowList {
		if r.ReferralID == "" || r.ClientRequestID == "" {
			t.Errorf("row %d: referral id %q, client-request-id %q", r.Row, r.ReferralID, r.ClientRequestID)
		}
	}

	// export the first run to every format
	for _, ext := range []string{"csv", "json", "xlsx"} {
		outFile := filepath.Join(dir, "results."+ext)
		code, _, errOut = refbatchCmd(t, "export", "--journal", jpath, "--out", outFile, string(firstRun.ID))
		if code != exitOK {
			t.Fatalf("export %s exited %d: %s", ext, code, errOut)
		}
		fi, err := os.Stat(outFile)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", outFile, fi.Mode().Perm())
		}
	}
	// --out replaces an earlier export, a file refbatch did not write only
	// with --force.
	if code, _, errOut := refbatchCmd(t, "export", "--journal", jpath, "--out", filepath.Join(dir, "results.csv"), string(firstRun.ID)); code != exitOK {
		t.Fatalf("export over an earlier export exited %d: %s", code, errOut)
	}
	foreign := filepath.Join(dir, "mine.xlsx")
	os.WriteFile(foreign, []byte("my own work"), 0o644)
	if code, _, errOut := refbatchCmd(t, "export", "--journal", jpath, "--out", foreign, string(firstRun.ID)); code != exitUsage || !strings.Contains(errOut, "--force") {
		t.Fatalf("export over a user's file exited %d: %s", code, errOut)
	}
	if code, _, errOut := refbatchCmd(t, "export", "--journal", jpath, "--out", foreign, "--force", string(firstRun.ID)); code != exitOK {
		t.Fatalf("export --force exited %d: %s", code, errOut)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	header := -1
	for i, r := range rows {
		for _, c := range r {
			if c == "Referral ID" {
				header = i
			}
		}
	}
	if header < 0 {
		t.Fatalf("no Referral ID column in the results workbook")
	}
	col := -1
	for j, c := range rows[header] {
		if c == "Referral ID" {
			col = j
		}
	}
	filled := 0
	for _, r := range rows[header+1:] {
		if col < len(r) && r[col] != "" {
			filled++
		}
	}
	if filled != 16 {
		t.Errorf("results.xlsx: %d rows with a Referral ID, want 16", filled)
	}
}

// recorder keeps the bodies of the create POSTs that reach the sandbox.
type recorder struct {
	h      http.Handler
	mu     sync.Mutex
	bodies [][]byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/referrals") {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rc.h.ServeHTTP(w, r)
}

func writeCSV(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

var smallHeader = []string{"Action", "Partner Center ID", "CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency", "Close Date", "Status", "Substatus", "Notes"}

func smallCreate(ext string) []string {
	return []string{"", "", ext, "Deal " + ext, "Private", "Customer " + ext, "US", "40000", "USD", "2027-10-01", "", "", ""}
}

// TestPlanIsWhatRunSends: the create bodies plan prints are byte for byte
// the bodies run sends.
func TestPlanIsWhatRunSends(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{smallHeader, smallCreate("P-1"), smallCreate("P-2"), smallCreate("P-3")})
	jpath := filepath.Join(dir, "j.db")

	code, out, errOut := refbatchCmd(t, "plan", "--format", "json", "--journal", jpath, input)
	if code != exitOK {
		t.Fatalf("plan exited %d: %s", code, errOut)
	}
	var plans []struct {
		Requests []refbatch.Request `json:"requests"`
	}
	if err := json.Unmarshal([]byte(out), &plans); err != nil {
		t.Fatal(err)
	}
	planned := map[string]bool{}
	for _, p := range plans {
		for _, r := range p.Requests {
			if r.Step == refbatch.StepCreate {
				// --format json indents the output, bodies included.
				var b bytes.Buffer
				if err := json.Compact(&b, r.Body); err != nil {
					t.Fatal(err)
				}
				planned[b.String()] = true
			}
		}
	}
	if len(planned) != 3 {
		t.Fatalf("plan shows %d create bodies, want 3", len(planned))
	}

	rec := &recorder{h: sandbox.New(sandbox.Options{})}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	t.Setenv("REFBATCH_TOKEN", "plan-test")
	code, out, errOut = refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", jpath, input)
	if code != exitOK {
		t.Fatalf("run exited %d\n%s\n%s", code, out, errOut)
	}
	if len(rec.bodies) != 3 {
		t.Fatalf("run sent %d creates, want 3", len(rec.bodies))
	}
	for _, b := range rec.bodies {
		if !planned[string(b)] {
			t.Errorf("run sent a body plan did not show:\n%s", b)
		}
	}
}

// TestRunStopsCleanlyOn401: a token the API refuses stops the run at
// once with exit 2, naming the 401, before anything is journaled or sent
// (the listing of what Partner Center holds comes first); run with a good
// token then creates each row once.
func TestRunStopsCleanlyOn401(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	rows := [][]string{smallHeader}
	for _, ext := range []string{"A-1", "A-2", "A-3", "A-4", "A-5"} {
		rows = append(rows, smallCreate(ext))
	}
	writeCSV(t, input, rows)
	sb := sandbox.New(sandbox.Options{Token: "right-token"})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	jpath := filepath.Join(dir, "j.db")

	t.Setenv("REFBATCH_TOKEN", "wrong-token")
	code, out, errOut := refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", jpath, input)
	if code != exitUsage {
		t.Fatalf("run with a refused token exited %d, want 2\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "401") {
		t.Errorf("no 401 in the output:\n%s\n%s", out, errOut)
	}
	if strings.Contains(out+errOut, "wrong-token") {
		t.Errorf("the token appears in the output")
	}
	if n := len(sb.Referrals()); n != 0 {
		t.Fatalf("%d referrals created with a refused token", n)
	}

	t.Setenv("REFBATCH_TOKEN", "right-token")
	code, out, errOut = refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", jpath, input)
	if code != exitOK {
		t.Fatalf("run with the right token exited %d\n%s\n%s", code, out, errOut)
	}
	if n := len(sb.Referrals()); n != 5 {
		t.Errorf("%d referrals after the run, want 5", n)
	}
}

// TestResumeChangedInput: resume refuses a file that changed since the run;
// with --allow-changed it sends only the new row.
func TestResumeChangedInput(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	rows := [][]string{smallHeader, smallCreate("C-1"), smallCreate("C-2")}
	writeCSV(t, input, rows)
	sb := sandbox.New(sandbox.Options{})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	t.Setenv("REFBATCH_TOKEN", "t")
	jpath := filepath.Join(dir, "j.db")
	if code, out, errOut := refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", jpath, input); code != exitOK {
		t.Fatalf("run exited %d\n%s\n%s", code, out, errOut)
	}
	writeCSV(t, input, append(rows, smallCreate("C-3")))

	code, _, errOut := refbatchCmd(t, "resume", "--quiet", "--journal", jpath)
	if code != exitUsage || !strings.Contains(errOut, "changed") || !strings.Contains(errOut, "--allow-changed") {
		t.Fatalf("resume of a changed file exited %d: %s", code, errOut)
	}
	code, out, errOut := refbatchCmd(t, "resume", "--quiet", "--allow-changed", "--journal", jpath)
	if code != exitOK {
		t.Fatalf("resume --allow-changed exited %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "1 rows re-planned") && !strings.Contains(out, "1 row re-planned") && !strings.Contains(out, ": 1 rows") {
		// the count line says how many rows changed
		if !strings.Contains(out, "re-planned") {
			t.Errorf("resume does not say what it re-planned:\n%s", out)
		}
	}
	if n := len(sb.Referrals()); n != 3 {
		t.Errorf("%d referrals, want 3 (each row once)", n)
	}
}

// TestRunChecksTheLiveStatus: an update whose transition the live status
// forbids fails before anything is sent; a referral that no longer exists
// fails with a clear message.
func TestRunChecksTheLiveStatus(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	ctx := context.Background()
	c, err := partnercenter.NewClient(ts.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("t")))
	if err != nil {
		t.Fatal(err)
	}
	closed, err := c.Create(ctx, &partnercenter.Referral{Name: "closed deal", Type: partnercenter.TypeIndependent,
		Status: partnercenter.StatusClosed, Substatus: partnercenter.SubstatusWon,
		CustomerProfile: &partnercenter.CustomerProfile{Name: "Fabrikam", Address: &partnercenter.Address{Country: "US"}},
		Consent:         &partnercenter.Consent{}, Details: &partnercenter.ReferralDetails{DealValue: partnercenter.NewAmount(1000), Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{smallHeader,
		{"update", closed.ID, "", "", "", "", "", "", "", "", "Active", "Accepted", ""},
		{"update", "00000000-0000-0000-0000-00000000dead", "", "", "", "", "", "", "", "", "", "", "new notes"},
	})
	t.Setenv("REFBATCH_TOKEN", "t")
	code, out, errOut := refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", filepath.Join(dir, "j.db"), input)
	if code != exitFindings {
		t.Fatalf("run exited %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Closed") || !strings.Contains(out, "not found") {
		t.Errorf("the failures are not explained:\n%s", out)
	}
	live, err := c.Get(ctx, closed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if live.Status != partnercenter.StatusClosed || live.ETag != closed.ETag {
		t.Errorf("the closed referral was changed: %s %s (eTag %s → %s)", live.Status, live.Substatus, closed.ETag, live.ETag)
	}
}
