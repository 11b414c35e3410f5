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
