package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/importer/xlsxtest"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// patchLog records the JSON Patch bodies the sandbox is sent, by referral.
type patchLog struct {
	h  http.Handler
	mu sync.Mutex
	by map[string][]string // referral id → paths patched
}

func (p *patchLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var ops []struct{ Path string }
		_ = json.Unmarshal(b, &ops)
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		p.mu.Lock()
		for _, op := range ops {
			p.by[id] = append(p.by[id], op.Path)
		}
		p.mu.Unlock()
	}
	p.h.ServeHTTP(w, r)
}

// readSheet reads a workbook's first sheet with excelize (reading only:
// the edited copy is written by xlsxtest, another library).
func readSheet(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestPullEditRunBack is the round trip: a file is run, pulled, edited in
// a spreadsheet library other than excelize while Partner Center changes
// some of the same referrals through the API, and run back. Exactly the
// edited cells are patched; a cell edited on both sides is a conflict and
// its row sends nothing; the API's changes survive; a new row is created.
func TestPullEditRunBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := &patchLog{h: sandbox.New(sandbox.Options{}), by: map[string][]string{}}
	ts := httptest.NewServer(log)
	defer ts.Close()
	ep := batch.Endpoint{URL: ts.URL, Token: partnercenter.StaticToken("t")}
	jpath := filepath.Join(dir, "j.db")
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 4, false)
	if res, err := newClient(t, jpath, ep, batch.Config{}).Run(ctx, input); err != nil || res.Counts[refbatch.OutcomeCreated] != 4 {
		t.Fatalf("first run: %v %v", res, err)
	}

	pulled := filepath.Join(dir, "pulled.xlsx")
	p, err := newClient(t, jpath, ep, batch.Config{}).Pull(ctx, batch.PullOptions{Out: pulled})
	if err != nil || p.Rows != 4 {
		t.Fatalf("pull: %+v %v", p, err)
	}
	rows := readSheet(t, pulled)
	head := rows[0]
	col := func(name string) int {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("pulled workbook has no %q column: %v", name, head)
		}
		return i
	}
	ids := map[string]string{} // CRM id → referral id
	byCRM := map[string][]string{}
	for _, r := range rows[1:] {
		ids[r[col("External Reference ID")]] = r[col("Referral ID")]
		byCRM[r[col("External Reference ID")]] = r
	}

	// Meanwhile, in Partner Center: BENCH-0's deal value and BENCH-1's name.
	pc, err := partnercenter.NewClient(ts.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("ui")))
	if err != nil {
		t.Fatal(err)
	}
	api := partnercenter.NewReferrals(pc)
	apiPatch := func(id, ops string) {
		live, err := api.Get(ctx, "", id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Patch(ctx, "", id, live.ETag, json.RawMessage(ops)); err != nil {
			t.Fatal(err)
		}
	}
	apiPatch(ids["BENCH-0000000"], `[{"op":"replace","path":"/details/dealValue","value":70000}]`)
	apiPatch(ids["BENCH-0000001"], `[{"op":"replace","path":"/name","value":"Renamed in Partner Center"}]`)
	apiPatch(ids["BENCH-0000003"], `[{"op":"replace","path":"/details/dealValue","value":90000}]`)

	// The user's edits, written by another spreadsheet library.
	set := func(crm, name, v string) { byCRM[crm][col(name)] = v }
	set("BENCH-0000000", "Deal Value", "80000")             // also changed in Partner Center: a conflict
	set("BENCH-0000001", "Notes", "Edited in the workbook") // Partner Center changed the name only
	set("BENCH-0000002", "Deal Value", "65000")             // only here
	set("BENCH-0000003", "Deal Value", "90000")             // both sides, to the same value: no conflict
	edited := [][]any{toAny(head)}
	for _, r := range rows[1:] {
		edited = append(edited, toAny(r))
	}
	newRow := make([]string, len(head))
	newRow[col("External Reference ID")], newRow[col("Name")], newRow[col("Deal Type")] = "NEW-1", "Added to the pulled workbook", "Private"
	newRow[col("Customer Name")], newRow[col("Country")], newRow[col("Deal Value")], newRow[col("Currency")] = "Fabrikam", "US", "40000", "USD"
	newRow[col("Closing Date")] = "2027-06-30"
	edited = append(edited, toAny(newRow))
	back := filepath.Join(dir, "edited.xlsx")
	if err := xlsxtest.WriteFile(back, edited, xlsxtest.Options{}); err != nil {
		t.Fatal(err)
	}

	for k := range log.by {
		delete(log.by, k)
	}
	res, err := newClient(t, jpath, ep, batch.Config{}).Run(ctx, back)
	if err == nil {
		t.Fatalf("run back: want a failed row (the conflict), got %v", res)
	}
	if res == nil {
		t.Fatalf("run back: %v", err)
	}
	if got := res.Counts; got[refbatch.OutcomeUpdated] != 2 || got[refbatch.OutcomeUnchanged] != 1 || got[refbatch.OutcomeFailed] != 1 || got[refbatch.OutcomeCreated] != 1 {
		t.Errorf("run back: %v", res.Outcomes())
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error, `pulled "50000", now "70000"`) || !strings.Contains(res.Problems[0].Error, `"80000"`) {
		t.Errorf("conflict: %+v", res.Problems)
	}
	want := map[string][]string{
		ids["BENCH-0000001"]: {"/details/notes"},
		ids["BENCH-0000002"]: {"/details/dealValue"},
	}
	for id, paths := range want {
		if !slices.Equal(log.by[id], paths) {
			t.Errorf("referral %s patched %v, want %v", id, log.by[id], paths)
		}
	}
	for _, id := range []string{ids["BENCH-0000000"], ids["BENCH-0000003"]} {
		if len(log.by[id]) > 0 {
			t.Errorf("referral %s patched %v, want nothing", id, log.by[id])
		}
	}
	live := map[string]partnercenter.Referral{}
	for _, r := range sandboxReferrals(t, ts.URL) {
		live[r.ExternalReferenceID] = r
	}
	if v := live["BENCH-0000000"].Details.DealValue; v == nil || *v != 70000 {
		t.Errorf("BENCH-0: deal value %v, want Partner Center's 70000 kept", v)
	}
	if n := live["BENCH-0000001"].Name; n != "Renamed in Partner Center" {
		t.Errorf("BENCH-1: name %q, want Partner Center's kept", n)
	}
	if _, ok := live["NEW-1"]; !ok {
		t.Error("the new row was not created")
	}
}

func toAny(r []string) []any {
	out := make([]any, len(r))
	for i, v := range r {
		out[i] = v
	}
	return out
}

// sandboxReferrals lists the sandbox's referrals through the API.
func sandboxReferrals(t *testing.T, url string) []partnercenter.Referral {
	t.Helper()
	pc, err := partnercenter.NewClient(url, partnercenter.WithTokenSource(partnercenter.StaticToken("t")))
	if err != nil {
		t.Fatal(err)
	}
	var out []partnercenter.Referral
	for r, err := range partnercenter.NewReferrals(pc).Newest(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ref, _, err := partnercenter.DecodeReferral(r.Raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ref)
	}
	return out
}

// TestLeadsAnsweredFromAPulledSheet: leads sent to the partner are pulled
// (--direction incoming), accepted and declined from the sheet within
// their 14-day window; an answer after the window (by Partner Center's
// clock, whatever the partner's says) fails before anything is sent, and a
// lead Partner Center archived as Expired cannot be answered.
func TestLeadsAnsweredFromAPulledSheet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var mu sync.Mutex
	serverNow := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return serverNow }
	// Partner Center archives an unanswered lead a while after its window.
	sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{Leads: 4, Options: &sandbox.Options{Now: clock, ArchiveLag: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	jpath := filepath.Join(dir, "j.db")
	pulled := filepath.Join(dir, "leads.xlsx")
	p, err := newClient(t, jpath, sb.Endpoint(), batch.Config{Now: clock}).Pull(ctx, batch.PullOptions{Out: pulled, Direction: "incoming"})
	if err != nil || p.Rows != 4 {
		t.Fatalf("pull: %+v %v", p, err)
	}
	rows := readSheet(t, pulled)
	head := rows[0]
	col := func(name string) int { return slices.Index(head, name) }
	if due := rows[1][col("Response Due")]; !strings.HasPrefix(due, "2026-12-15") {
		t.Errorf("Response Due %q, want 14 days after 2026-12-01", due)
	}
	answer := func(i int, status, sub, reason string) {
		rows[i][col("Status")], rows[i][col("Substatus")] = status, sub
		if reason != "" {
			rows[i][col("Status Reason")] = reason
		}
	}
	answer(1, "Active", "Accepted", "")
	answer(2, "Closed", "Declined", "Outside our region")
	edited := filepath.Join(dir, "answered.xlsx")
	write := func(rows [][]string) {
		out := make([][]any, len(rows))
		for i, r := range rows {
			out[i] = toAny(r)
		}
		if err := xlsxtest.WriteFile(edited, out, xlsxtest.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	write(rows)
	res, err := newClient(t, jpath, sb.Endpoint(), batch.Config{Now: clock}).Run(ctx, edited)
	if err != nil || res.Counts[refbatch.OutcomeUpdated] != 2 || res.Counts[refbatch.OutcomeUnchanged] != 2 {
		t.Fatalf("answers: %v %v", res, err)
	}
	got := map[string]partnercenter.Referral{}
	for _, r := range sb.Server().Referrals() {
		got[r.ID] = r
	}
	if r := got["lead-0001"]; r.Status != partnercenter.StatusActive || r.Substatus != partnercenter.SubstatusAccepted {
		t.Errorf("lead-0001: %s/%s, want Active/Accepted", r.Status, r.Substatus)
	}
	if r := got["lead-0002"]; r.Status != partnercenter.StatusClosed || r.Substatus != partnercenter.SubstatusDeclined || r.StatusReason != "Outside our region" {
		t.Errorf("lead-0002: %s/%s %q, want Closed/Declined with the reason", r.Status, r.Substatus, r.StatusReason)
	}

	// Fourteen days and ten minutes later by Partner Center's clock: the
	// window is closed, the lead not archived yet. The partner's clock is
	// 15 days behind (the skew its Date headers show corrects it): the
	// answer fails locally, nothing is sent.
	mu.Lock()
	serverNow = serverNow.Add(14*24*time.Hour + 10*time.Minute)
	mu.Unlock()
	behind := func() time.Time { return clock().Add(-15 * 24 * time.Hour) }
	answer(3, "Active", "Accepted", "")
	write(rows)
	res, err = newClient(t, jpath, sb.Endpoint(), batch.Config{Now: behind}).Run(ctx, edited)
	if err == nil || res == nil || res.Counts[refbatch.OutcomeFailed] != 1 || !strings.Contains(res.Problems[0].Error, "response window closed") {
		t.Fatalf("late answer: %v %v", res, err)
	}
	if r := findID(sb.Server().Referrals(), "lead-0003"); r.Status != partnercenter.StatusNew {
		t.Errorf("lead-0003 changed: %s", r.Status)
	}
	// Partner Center archives it as Expired: the answer cannot land.
	mu.Lock()
	serverNow = serverNow.Add(2 * time.Hour)
	mu.Unlock()
	answer(4, "Active", "Accepted", "")
	write(rows)
	res, err = newClient(t, jpath, sb.Endpoint(), batch.Config{Now: clock}).Run(ctx, edited)
	if err == nil || res == nil || res.Counts[refbatch.OutcomeFailed] != 2 {
		t.Fatalf("expired leads: %v %v", res, err)
	}
	if r := findID(sb.Server().Referrals(), "lead-0004"); r.Substatus != partnercenter.SubstatusExpired {
		t.Errorf("lead-0004: %s/%s, want Closed/Expired", r.Status, r.Substatus)
	}
}

func findID(refs []partnercenter.Referral, id string) partnercenter.Referral {
	for _, r := range refs {
		if r.ID == id {
			return r
		}
	}
	return partnercenter.Referral{}
}
