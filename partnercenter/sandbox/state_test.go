package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// open starts a sandbox with Open (so Options.StateFile is read) behind an
// httptest.Server; stop closes both, as a restart would.
func open(t *testing.T, opts sandbox.Options) (c *client, stop func()) {
	t.Helper()
	srv, err := sandbox.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ts := httptest.NewServer(srv)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(stop)
	return &client{t: t, base: ts.URL, token: "test-token", hc: ts.Client(), srv: srv}, stop
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStateSurvivesRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.state")
	clock := newFakeClock()
	opts := sandbox.Options{StateFile: file, Now: clock.Now, AcceptAfter: time.Hour}

	c, stop := open(t, opts)
	partner := c.create(minimal(nil))
	microsoft := c.create(minimal(map[string]any{"organizationId": "msft", "engagementId": partner.EngagementID, "name": "Microsoft side"}))
	patched := c.patch(partner.ID, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "patched"}}, "If-Match", partner.ETag)
	c.srv.SetFaults(sandbox.Faults{DropRate: 1})
	if _, err := c.try(http.MethodPost, "/v1.0/engagements/referrals", minimal(map[string]any{"name": "dropped create"})); err == nil {
		t.Fatal("create answered; want a dropped connection")
	}
	if _, err := c.try(http.MethodPatch, "/v1.0/engagements/referrals/"+partner.ID,
		[]pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "dropped patch"}}); err == nil {
		t.Fatal("patch answered; want a dropped connection")
	}
	before := c.srv.Referrals()
	stop()

	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	if !strings.Contains(string(data), "dropped create") || !strings.Contains(string(data), "dropped patch") {
		t.Errorf("the dropped writes are not in the state file:\n%s", data)
	}

	c2, stop2 := open(t, opts)
	after := c2.srv.Referrals()
	if asJSON(t, after) != asJSON(t, before) {
		t.Fatalf("after a restart:\n%s\nbefore:\n%s", asJSON(t, after), asJSON(t, before))
	}
	if len(after) != 3 || after[0].ID != partner.ID || after[1].ID != microsoft.ID || after[2].Name != "dropped create" {
		t.Fatalf("stored %d referrals, want partner, microsoft, dropped create", len(after))
	}
	if after[0].Details.Notes != "dropped patch" || after[0].ETag == patched.ETag {
		t.Errorf("partner referral: notes %q, eTag %s (the patched one was %s)", after[0].Details.Notes, after[0].ETag, patched.ETag)
	}
	// The engagement index and the eTag counter are restored.
	got := c2.do(http.MethodGet, "/v1.0/engagements/referrals?$filter="+queryEscape("engagementId eq '"+partner.EngagementID+"'"), nil)
	if page := decode[pc.ReferralPage](t, got.body); len(page.Value) != 2 {
		t.Errorf("engagement lists %d referrals after a restart, want 2", len(page.Value))
	}
	fresh := c2.create(minimal(map[string]any{"name": "after restart"}))
	for _, r := range after {
		if r.ETag == fresh.ETag {
			t.Errorf("a new referral reuses eTag %s", r.ETag)
		}
	}
	// The pending acceptance survived too.
	clock.Advance(2 * time.Hour)
	if ms := c2.get(microsoft.ID); ms.Status != pc.StatusActive || ms.Substatus != pc.SubstatusAccepted {
		t.Errorf("Microsoft referral %s/%s after its acceptance time, want Active/Accepted", ms.Status, ms.Substatus)
	}
	accepted := c2.srv.Referrals()
	stop2()

	// The automatic acceptance was saved.
	c3, _ := open(t, opts)
	if asJSON(t, c3.srv.Referrals()) != asJSON(t, accepted) {
		t.Errorf("the acceptance was not saved")
	}
}

func TestStateFileMissingStartsEmpty(t *testing.T) {
	file := filepath.Join(t.TempDir(), "new.state")
	c, _ := open(t, sandbox.Options{StateFile: file})
	if n := len(c.dump()); n != 0 {
		t.Errorf("%d referrals in a new sandbox", n)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("Open did not create the state file: %v", err)
	}
}

func TestStateFileCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.state")
	c, stop := open(t, sandbox.Options{StateFile: good})
	c.create(minimal(nil))
	c.create(minimal(map[string]any{"name": "second"}))
	stop()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")

	for _, tc := range []struct {
		name, content, want string
	}{
		{"not json", "this is not a state file\n", "not a sandbox state file"},
		{"another json file", `{"rules":[]}` + "\n", "not a sandbox state file"},
		{"future version", strings.Replace(lines[0], `"version":1`, `"version":9`, 1), "version 9"},
		{"bad line", lines[0] + "{\"seq\":1,\"referral\":{\"id\":\n" + lines[2] + "\n", "line 2"},
		{"entry without id", lines[0] + `{"seq":1,"referral":{"name":"x"}}` + "\n", "without id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".state")
			os.WriteFile(file, []byte(tc.content), 0o600)
			_, err := sandbox.Open(sandbox.Options{StateFile: file})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), file) {
				t.Errorf("Open: %v, want an error naming the file and %q", err, tc.want)
			}
			if after, _ := os.ReadFile(file); string(after) != tc.content {
				t.Errorf("a corrupt state file was rewritten")
			}
		})
	}

	t.Run("torn last line", func(t *testing.T) {
		// A write cut short has no newline; its answer never left.
		file := filepath.Join(dir, "torn.state")
		torn := lines[0] + lines[1] + lines[2][:len(lines[2])/2]
		os.WriteFile(file, []byte(torn), 0o600)
		c, _ := open(t, sandbox.Options{StateFile: file})
		if refs := c.dump(); len(refs) != 1 || refs[0].Name != "Contoso deal" {
			t.Errorf("stored %v, want the one complete referral", refs)
		}
	})
}

func TestConflictRateOne(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	c.srv.SetFaults(sandbox.Faults{ConflictRate: 1})
	etag := ref.ETag
	for i := range 3 {
		r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID,
			[]pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "mine " + strconv.Itoa(i)}}, "If-Match", etag)
		wantError(t, r, http.StatusPreconditionFailed, "If-Match")
		now := c.get(ref.ID)
		if now.ETag == etag {
			t.Fatalf("patch %d: eTag unchanged after a conflict", i)
		}
		if now.Details.Notes != "" || now.Name != ref.Name || now.Status != ref.Status {
			t.Errorf("patch %d: the second writer changed fields: %+v", i, now)
		}
		etag = now.ETag // even a fresh eTag meets the next second writer
	}
	// Without If-Match, or with "*", there is nothing to conflict with.
	c.patch(ref.ID, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "no if-match"}})
	c.patch(ref.ID, []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "star"}}, "If-Match", "*")
	if got := c.get(ref.ID).Details.Notes; got != "star" {
		t.Errorf("notes %q, want star", got)
	}
}

func TestConflictUpdatesTimestamp(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now})
	ref := c.create(minimal(nil))
	clock.Advance(time.Minute)
	c.srv.SetFaults(sandbox.Faults{ConflictRate: 1})
	r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID,
		[]pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "x"}}, "If-Match", ref.ETag)
	wantError(t, r, http.StatusPreconditionFailed, "If-Match")
	if now := c.get(ref.ID); !now.UpdatedDateTime.Equal(clock.Now()) || now.ETag == ref.ETag {
		t.Errorf("updatedDateTime %v eTag %s, want %v and a new eTag", now.UpdatedDateTime, now.ETag, clock.Now())
	}
}

// conflictRun sends the same get-then-patch sequence and records the
// statuses.
func conflictRun(t *testing.T, f sandbox.Faults) []int {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	c.srv.SetFaults(f)
	var out []int
	for i := range 40 {
		etag := c.get(ref.ID).ETag
		r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID,
			[]pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: strconv.Itoa(i)}}, "If-Match", etag)
		out = append(out, r.StatusCode)
	}
	return out
}

func TestConflictRateReproducibleBySeed(t *testing.T) {
	f := sandbox.Faults{ConflictRate: 0.4, Seed: 11}
	a, b := conflictRun(t, f), conflictRun(t, f)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different conflicts:\n%v\n%v", a, b)
	}
	if !slices.Contains(a, http.StatusPreconditionFailed) || !slices.Contains(a, http.StatusNoContent) {
		t.Errorf("outcomes %v: want some 412 and some 204", a)
	}
	f.Seed = 12
	if other := conflictRun(t, f); slices.Equal(a, other) {
		t.Errorf("seeds 11 and 12 gave the same conflicts: %v", a)
	}
}

// TestConflictRateKeepsOtherFaults: switching conflicts on does not move the
// fail and drop decisions a seed gives.
func TestConflictRateKeepsOtherFaults(t *testing.T) {
	f := sandbox.Faults{FailRate: 0.25, DropRate: 0.3, Seed: 7}
	a, _, _ := faultRun(t, f)
	f.ConflictRate = 0.5 // faultRun's patches carry no If-Match: nothing conflicts
	if b, _, _ := faultRun(t, f); !slices.Equal(a, b) {
		t.Errorf("ConflictRate changed the other faults:\n%v\n%v", a, b)
	}
}

func queryEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, " ", "%20"), "'", "%27")
}

// TestStateKeepsUnmodelledFields: members no type models (the real API keeps
// what it is sent) survive the state file and a restart.
func TestStateKeepsUnmodelledFields(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.state")
	opts := sandbox.Options{StateFile: file}
	c, stop := open(t, opts)
	body := minimal(map[string]any{"futureProperty": map[string]any{"a": []any{1, "b"}}, "salesStage": "Qualify",
		"trackingInfo": map[string]any{"microsoftMsxId": "7-X", "crmRegion": "EMEA"}})
	body["details"].(map[string]any)["customerAction"] = "Call"
	ref := c.create(body)
	stop()

	c, _ = open(t, opts)
	r := c.do(http.MethodGet, "/v1.0/engagements/referrals/"+ref.ID, nil)
	for _, want := range []string{`"futureProperty": {`, `"crmRegion": "EMEA"`, `"salesStage": "Qualify"`, `"customerAction": "Call"`, `"microsoftMsxId": "7-X"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("after a restart, %s is missing:\n%s", want, r.body)
		}
	}
}
