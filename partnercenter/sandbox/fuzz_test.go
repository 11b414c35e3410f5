package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// serve sends one request to the handler in-process (fuzzing needs speed;
// every other test speaks real HTTP).
func serve(t testing.TB, h http.Handler, method, path string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer fuzz")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// checkAnswer asserts the invariants every answer keeps: never a 5xx, and a
// 4xx carries the documented error body.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, input []byte) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("status %d for %q: %s", w.Code, input, w.Body)
	}
	if w.Code >= 400 {
		var env pc.ErrorEnvelope
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Error.Code == "" || env.Error.Message == "" {
			t.Fatalf("status %d without an error body for %q: %s", w.Code, input, w.Body)
		}
		if w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("error with Content-Type %q", w.Header().Get("Content-Type"))
		}
	}
}

func addSeeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", glob))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzPatch sends arbitrary JSON Patch bodies to an eligible co-sell
// referral: never a panic or 5xx, a 4xx with an error body for bad input,
// the store unchanged after an error, and a stored referral that still
// encodes and validates after a success.
func FuzzPatch(f *testing.F) {
	addSeeds(f, "requests/patch-*.json")
	for _, s := range []string{
		`[{"op":"replace","path":"/status","value":"Closed"},{"op":"replace","path":"/substatus","value":"Lost"}]`,
		`[{"op":"add","path":"/customerProfile/team/0","value":{"email":"a@b.c"}}]`,
		`[{"op":"add","path":"/customerProfile/ids/-","value":{"profileType":"External","id":"1"}}]`,
		`[{"op":"replace","path":"/details/requirements","value":{"solutions":[{"id":"SOL-AZIP-1","price":"NaN"}]}}]`,
		`[{"op":"replace","path":"/details/closingDateTime","value":"9999-12-31T23:59:59-23:59"}]`,
		`[{"op":"replace","path":"/customerProfile/ids","value":{}}]`,
		`[{"op":"add","path":"/details/requirements/additionalRequirements/iot","value":{"a":[1,2]}}]`,
		`[{"op":"remove","path":"/name"}]`,
		`[{"op":"replace","path":"/consent/~1x","value":1}]`,
		`{}`, `[]`, `null`, `[null]`, `[{"op":"add","path":"/team/-","value":null}]`, "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkPatch)
}

// FuzzPatchOperation builds one operation from its parts, so the fuzzer
// explores paths and values rather than JSON syntax.
func FuzzPatchOperation(f *testing.F) {
	for _, s := range [][3]string{
		{"replace", "/details/dealValue", `"10000"`},
		{"add", "/team/-", `{"email":"jane.doe@contoso.com"}`},
		{"add", "/registrations/-", `{"type":"AzureIPCoSell","contract":{"value":1}}`},
		{"add", "/customerProfile/team/0/contactPreference/locale", `"en-us"`},
		{"replace", "/customerProfile/ids/0/id", `"x"`},
		{"add", "/details/requirements/solutions/0/quantity", `"3"`},
		{"replace", "/consent/consentToContact", `false`},
		{"replace", "/status", `"Closed"`},
		{"replace", "/details/closingDateTime", `"2026-03-31T00:00:00+02:00"`},
		{"copy", "/name", `"x"`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, op, path, value string) {
		body, err := json.Marshal([]map[string]any{{"op": op, "path": path, "value": json.RawMessage(value)}})
		if err != nil {
			body = []byte(`[{"op":` + strconv.Quote(op) + `,"path":` + strconv.Quote(path) + `,"value":` + value + `}]`)
		}
		checkPatch(t, body)
	})
}

// checkPatch sends one patch body to a fresh, eligible co-sell referral and
// checks the invariants of FuzzPatch.
func checkPatch(t *testing.T, body []byte) {
	srv := sandbox.New(sandbox.Options{AcceptAfter: time.Nanosecond})
	w := serve(t, srv, http.MethodPost, "/v1.0/engagements/referrals", mustJSON(t, minimal(map[string]any{
		"team":            []any{map[string]any{"email": "a@b.c"}},
		"customerProfile": map[string]any{"name": "C", "isMatchingComplete": true, "team": []any{map[string]any{"email": "d@e.f"}}, "ids": []any{map[string]any{"id": "1"}}},
	})))
	var p pc.Referral
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusCreated {
		t.Fatalf("setup: %d %s", w.Code, w.Body)
	}
	serve(t, srv, http.MethodPost, "/v1.0/engagements/referrals", mustJSON(t, minimal(map[string]any{"engagementId": p.EngagementID, "organizationId": "msft"})))
	time.Sleep(time.Microsecond)

	before := srv.Referrals()
	w = serve(t, srv, http.MethodPatch, "/v1.0/engagements/referrals/"+p.ID, body, "Prefer", "return=representation")
	checkAnswer(t, w, body)
	after := srv.Referrals()
	if w.Code >= 400 {
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("a rejected patch (%d) changed the store: %q", w.Code, body)
		}
		return
	}
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	g := serve(t, srv, http.MethodGet, "/v1.0/engagements/referrals/"+p.ID, nil)
	var got pc.Referral
	if g.Code != http.StatusOK || json.Unmarshal(g.Body.Bytes(), &got) != nil {
		t.Fatalf("get after a patch: %d %s", g.Code, g.Body)
	}
	if got.ETag == p.ETag || got.ID != p.ID || got.EngagementID != p.EngagementID || !got.CreatedDateTime.Equal(*p.CreatedDateTime) {
		t.Fatalf("a patch changed server-owned fields: %s", g.Body)
	}
	// What was stored can be created again: a patch cannot store what a
	// create would refuse.
	got.ID, got.EngagementID, got.Registrations = "", "", nil
	again := serve(t, srv, http.MethodPost, "/v1.0/engagements/referrals", mustJSON(t, got))
	if again.Code != http.StatusCreated {
		t.Fatalf("a patched referral does not pass create validation: %d %s", again.Code, again.Body)
	}
}

// FuzzRequestDecode sends arbitrary create bodies: never a panic or 5xx, a
// 4xx with an error body, nothing stored after an error.
func FuzzRequestDecode(f *testing.F) {
	addSeeds(f, "requests/create-*.json")
	for _, s := range []string{`{}`, `[]`, `{"details":{"dealValue":"1e400"}}`, `{"customerProfile":{"ids":{"a":1}}}`, `{"engagementId":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := sandbox.New(sandbox.Options{})
		w := serve(t, srv, http.MethodPost, "/v1.0/engagements/referrals", body)
		checkAnswer(t, w, body)
		n := len(srv.Referrals())
		switch {
		case w.Code >= 400 && n != 0:
			t.Fatalf("a rejected create stored a referral")
		case w.Code == http.StatusCreated && (n != 1 || !strings.Contains(w.Body.String(), srv.Referrals()[0].ID)):
			t.Fatalf("created but stored %d", n)
		}
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzFilter sends arbitrary $filter expressions (seeded with the
// documents' own): never a panic or 5xx, and a 400 names $filter.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"engagementId eq '65edc0b5-3485-41b7-a17e-dfa9ef4706e2'",
		"status eq 'New' and qualification eq 'SalesQualified'",
		"customerProfile/address/country eq 'US' and direction eq 'Incoming'",
		"(type eq 'Shared' and direction eq 'Incoming')",
		"team/any(t:t/email eq 'sue.smith@fabrikam.com')",
		"updatedDateTime gt 2026-01-01T00:00:00Z or createdDateTime le datetime'2026-01-01'",
		"not (details/dealValue lt -1.5e3) and favorite",
		"registrations/any(r:r/solutionDetails/all(s:s/value ge 0))",
		"((((status eq 'New'))))",
		"status eq 'it''s'",
	} {
		f.Add(s)
	}
	h := sandbox.New(sandbox.Options{})
	serve(f, h, http.MethodPost, "/v1.0/engagements/referrals", mustJSON(f, minimal(nil)))
	f.Fuzz(func(t *testing.T, filter string) {
		w := serve(t, h, http.MethodGet, "/v1.0/engagements/referrals?$filter="+url.QueryEscape(filter), nil)
		checkAnswer(t, w, []byte(filter))
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest && w.Code != http.StatusRequestURITooLong {
			t.Fatalf("status %d for %q", w.Code, filter)
		}
	})
}
