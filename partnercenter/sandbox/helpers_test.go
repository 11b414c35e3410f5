package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// fakeClock is an injectable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// client talks real HTTP to a sandbox behind an httptest.Server.
type client struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client
	srv   *sandbox.Server
}

func start(t testing.TB, opts sandbox.Options) *client {
	t.Helper()
	srv := sandbox.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	token := opts.Token
	if token == "" {
		token = "test-token"
	}
	return &client{t: t, base: ts.URL, token: token, hc: ts.Client(), srv: srv}
}

// response is an answer read in full.
type response struct {
	*http.Response
	body []byte
}

// try sends a request and returns the transport error instead of failing.
// body is nil, a []byte or string sent verbatim, or a value encoded as JSON.
// hdr is name, value pairs.
func (c *client) try(method, path string, body any, hdr ...string) (*response, error) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encoding request body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Response: resp, body: b}, nil
}

func (c *client) do(method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	r, err := c.try(method, path, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// create posts a body and requires 201.
func (c *client) create(body any) pc.Referral {
	c.t.Helper()
	r := c.do(http.MethodPost, "/v1.0/engagements/referrals", body)
	if r.StatusCode != http.StatusCreated {
		c.t.Fatalf("create: %d %s", r.StatusCode, r.body)
	}
	return decode[pc.Referral](c.t, r.body)
}

func (c *client) get(id string) pc.Referral {
	c.t.Helper()
	r := c.do(http.MethodGet, "/v1.0/engagements/referrals/"+id, nil)
	if r.StatusCode != http.StatusOK {
		c.t.Fatalf("get %s: %d %s", id, r.StatusCode, r.body)
	}
	return decode[pc.Referral](c.t, r.body)
}

// patch sends a patch with Prefer: return=representation and requires 200.
func (c *client) patch(id string, ops any, hdr ...string) pc.Referral {
	c.t.Helper()
	r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+id, ops, append([]string{"Prefer", "return=representation"}, hdr...)...)
	if r.StatusCode != http.StatusOK {
		c.t.Fatalf("patch %s: %d %s", id, r.StatusCode, r.body)
	}
	return decode[pc.Referral](c.t, r.body)
}

func (c *client) dump() []pc.Referral {
	c.t.Helper()
	r, err := http.Get(c.base + sandbox.AdminReferralsPath)
	if err != nil {
		c.t.Fatalf("admin dump: %v", err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		c.t.Fatalf("admin dump: %d %s", r.StatusCode, b)
	}
	return decode[[]pc.Referral](c.t, b)
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, b)
	}
	return v
}

// wantError checks a status and the documented error body with its target.
func wantError(t testing.TB, r *response, status int, target string) pc.ErrorBody {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var env pc.ErrorEnvelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("error body does not decode: %v: %s", err, r.body)
	}
	if env.Error.Code == "" || env.Error.Message == "" {
		t.Errorf("error body lacks code or message: %s", r.body)
	}
	if env.Error.Target != target {
		t.Errorf("target %q, want %q (%s)", env.Error.Target, target, env.Error.Message)
	}
	return env.Error
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// minimal returns a valid create body with overrides applied on top.
func minimal(overrides map[string]any) map[string]any {
	body := map[string]any{
		"name": "Contoso deal",
		"type": "Shared",
		"customerProfile": map[string]any{
			"name":               "Contoso Ltd",
			"address":            map[string]any{"country": "US"},
			"isMatchingComplete": true,
		},
		"consent": map[string]any{"consentToShareReferralWithMicrosoftSellers": true},
		"details": map[string]any{
			"dealValue": 30000, "currency": "USD",
			"requirements": map[string]any{"solutions": []any{map[string]any{"id": "DEAL-123456-XYZ", "name": "Contoso Experience Platform"}}},
		},
	}
	for k, v := range overrides {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	return body
}

// leaves flattens a JSON document into path → value for every non-zero
// leaf (null, "", false, 0, {} and [] carry nothing a decoder could lose).
// Keys are lower-cased: the documents' request keys are not always in the
// resource's case.
func leaves(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("leaves: %v", err)
	}
	out := map[string]any{}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, path+"."+strings.ToLower(k))
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		case nil:
		case string:
			if x != "" {
				out[path] = x
			}
		case bool:
			if x {
				out[path] = x
			}
		case json.Number:
			if f, _ := x.Float64(); f != 0 {
				out[path] = x
			}
		}
	}
	walk(v, "")
	return out
}

// sameValue compares leaves semantically: times as instants, numbers as
// numbers (also when one side sent the number as a string).
func sameValue(a, b any) bool {
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			ta, ea := time.Parse(time.RFC3339Nano, as)
			tb, eb := time.Parse(time.RFC3339Nano, bs)
			if ea == nil && eb == nil {
				return ta.Equal(tb)
			}
			return as == bs
		}
	}
	af, aok := number(a)
	bf, bok := number(b)
	if aok && bok {
		return af == bf
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// assertKept checks that every non-zero leaf of from is in to with the same
// value, except the paths in skip.
func assertKept(t testing.TB, from, to []byte, skip ...string) {
	t.Helper()
	want, got := leaves(t, from), leaves(t, to)
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	for path, v := range want {
		if skipped[path] {
			continue
		}
		g, ok := got[path]
		if !ok {
			t.Errorf("%s (%v) lost", path, v)
			continue
		}
		if !sameValue(v, g) {
			t.Errorf("%s = %v, want %v", path, g, v)
		}
	}
}

// shape is the set of key paths of a document, with array indices folded.
func shape(t testing.TB, b []byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for path := range leaves(t, b) {
		var sb strings.Builder
		skipping := false
		for _, r := range path {
			switch {
			case r == '[':
				sb.WriteString("[]")
				skipping = true
			case r == ']':
				skipping = false
			case !skipping:
				sb.WriteRune(r)
			}
		}
		out[sb.String()] = true
	}
	return out
}

// assertShaped checks that every key path the example fills, the answer fills.
func assertShaped(t testing.TB, example, answer []byte, skip ...string) {
	t.Helper()
	want, got := shape(t, example), shape(t, answer)
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	for p := range want {
		if !got[p] && !skipped[p] {
			t.Errorf("answer lacks %s, which the document's example has", p)
		}
	}
}
