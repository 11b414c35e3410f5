package partnercenter_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/refbatch/refbatch/partnercenter"
)

func TestNewClientBaseURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true}, // DefaultBaseURL
		{"https://api.partner.microsoft.com", true},
		{"https://api.partner.microsoft.com/", true},
		{"https://gateway.example/partner", true},
		{"http://127.0.0.1:8765", true},
		{"http://127.8.0.1:8765", true},
		{"http://localhost:8765", true},
		{"http://LOCALHOST", true},
		{"http://[::1]:8765", true},
		{"http://api.partner.microsoft.com", false},
		{"http://10.0.0.5:8765", false},
		{"http://192.168.1.10", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"ftp://api.partner.microsoft.com", false},
		{"https://user:secret@api.partner.microsoft.com", false},
		{"https://api.partner.microsoft.com?x=1", false},
		{"api.partner.microsoft.com", false},
		{"https://", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := partnercenter.NewClient(tt.url, partnercenter.WithTokenSource(partnercenter.StaticToken("t")))
			if (err == nil) != tt.ok {
				t.Fatalf("NewClient(%q) err = %v, want ok %v", tt.url, err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %v", err)
			}
			if err == nil && tt.url == "" && c.BaseURL() != partnercenter.DefaultBaseURL {
				t.Errorf("BaseURL = %q", c.BaseURL())
			}
		})
	}
	if _, err := partnercenter.NewClient(""); err == nil {
		t.Error("a client without a TokenSource was built")
	}
}

// TestRequestHeaders checks what every request carries, per call.
func TestRequestHeaders(t *testing.T) {
	const id = "4111fffc-f9ee-4d53-bba6-569135228642"
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.Method == http.MethodPatch && r.Header.Get("Prefer") == "":
			w.WriteHeader(204)
		case strings.HasSuffix(r.URL.Path, "eligibility"):
			writeJSON(w, 200, `{"isEligible":true}`)
		case r.Method == http.MethodPost:
			writeJSON(w, 201, referralJSON)
		default:
			writeJSON(w, 200, referralJSON)
		}
	})
	c := newTestClient(t, srv.URL, partnercenter.WithCorrelationID("run-8f14e45f"))
	ctx := t.Context()
	ops := []partnercenter.PatchOp{{Op: "replace", Path: "/details/notes", Value: "n"}}
	steps := []struct {
		name                       string
		do                         func() error
		method, path               string
		contentType, ifMatch, pref string
		emptyBody                  bool
	}{
		{"create", func() error { _, err := c.Create(ctx, &partnercenter.Referral{Name: "n"}); return err },
			"POST", "/v1.0/engagements/referrals", "application/json", "", "", false},
		{"get", func() error { _, err := c.Get(ctx, id); return err },
			"GET", "/v1.0/engagements/referrals/" + id, "", "", "", true},
		{"patch plain", func() error {
			r, err := c.Patch(ctx, id, ops, "", false)
			if err == nil && r != nil {
				return errors.New("a 204 returned a referral")
			}
			return err
		}, "PATCH", "/v1.0/engagements/referrals/" + id, "application/json", "", "", false},
		{"patch with If-Match and Prefer", func() error {
			r, err := c.Patch(ctx, id, ops, `"e1"`, true)
			if err == nil && (r == nil || r.ETag != `"e2"`) {
				return errors.New("no representation")
			}
			return err
		}, "PATCH", "/v1.0/engagements/referrals/" + id, "application/json", `"e1"`, "return=representation", false},
		{"referral eligibility", func() error { _, err := c.ReferralEligibility(ctx, id); return err },
			"POST", "/v1.0/engagements/referrals/" + id + "/dealregistrations/eligibility", "", "", "return=representation", true},
		{"partner eligibility", func() error { _, err := c.PartnerEligibility(ctx); return err },
			"GET", "/v1.0/engagements/partners/dealregistrationeligibility", "", "", "return=representation", true},
	}
	ids := map[string]bool{}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			r := srv.requests()[i]
			if r.Method != s.method || r.Path != s.path {
				t.Errorf("sent %s %s, want %s %s", r.Method, r.Path, s.method, s.path)
			}
			want := map[string]string{
				"Authorization":    "Bearer " + testToken,
				"Accept":           "application/json",
				"Ms-Correlationid": "run-8f14e45f",
				"Content-Type":     s.contentType,
				"If-Match":         s.ifMatch,
				"Prefer":           s.pref,
			}
			for k, v := range want {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "refbatch/") {
				t.Errorf("User-Agent = %q", ua)
			}
			crid := r.Header.Get("client-request-id")
			if _, err := uuid.Parse(crid); err != nil {
				t.Errorf("client-request-id %q is not a GUID", crid)
			}
			if ids[crid] {
				t.Errorf("client-request-id %q reused", crid)
			}
			ids[crid] = true
			if (len(r.Body) == 0) != s.emptyBody {
				t.Errorf("body = %q", r.Body)
			}
		})
	}
}

func TestClientRequestIDFromContext(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 201, referralJSON) })
	c := newTestClient(t, srv.URL)
	id := partnercenter.NewClientRequestID()
	ctx := partnercenter.WithClientRequestID(t.Context(), id)
	if got, ok := partnercenter.ClientRequestIDFrom(ctx); !ok || got != id {
		t.Fatalf("ClientRequestIDFrom = %q, %v", got, ok)
	}
	if _, err := c.Create(ctx, &partnercenter.Referral{Name: "n"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].Header.Get("client-request-id"); got != id {
		t.Errorf("sent %q, want the chosen %q", got, id)
	}
	_, err := c.Create(partnercenter.WithClientRequestID(t.Context(), "row-7"), &partnercenter.Referral{Name: "n"})
	if err == nil || len(srv.requests()) != 1 {
		t.Errorf("a non-GUID client-request-id was sent: %v", err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	other := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, referralJSON) })
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c := newTestClient(t, srv.URL)
	_, err := c.Create(t.Context(), &partnercenter.Referral{Name: "n"})
	if partnercenter.Classify(err) != partnercenter.Permanent {
		t.Errorf("Classify = %v (%v)", partnercenter.Classify(err), err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the redirect was followed %d times: token and body sent elsewhere", n)
	}
}

func TestResponseCap(t *testing.T) {
	big := `{"id":"x","name":"` + strings.Repeat("a", 4096) + `"}`
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, big) })
	c := newTestClient(t, srv.URL, partnercenter.WithMaxResponseBytes(1024))
	_, err := c.Get(t.Context(), "x")
	if _, ok := errors.AsType[*partnercenter.ResponseError](err); !ok || partnercenter.Classify(err) != partnercenter.Permanent {
		t.Errorf("err = %v", err)
	}
	c = newTestClient(t, srv.URL, partnercenter.WithMaxResponseBytes(int64(len(big))))
	if _, err := c.Get(t.Context(), "x"); err != nil {
		t.Errorf("a body of exactly the cap: %v", err)
	}
}

func TestETagFallsBackToHeader(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("ETag", `"from-header"`)
		if n == 1 {
			writeJSON(w, 200, `{"id":"x"}`)
			return
		}
		writeJSON(w, 200, `{"id":"x","eTag":"\"from-body\""}`)
	})
	c := newTestClient(t, srv.URL)
	for _, want := range []string{`"from-header"`, `"from-body"`} {
		r, err := c.Get(t.Context(), "x")
		if err != nil {
			t.Fatal(err)
		}
		if r.ETag != want {
			t.Errorf("ETag = %q, want %q", r.ETag, want)
		}
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, referralJSON) })
	c := newTestClient(t, srv.URL)
	ctx := t.Context()
	tests := []struct {
		name string
		do   func() error
	}{
		{"empty id", func() error { _, err := c.Get(ctx, ""); return err }},
		{"dot-dot id", func() error { _, err := c.Get(ctx, ".."); return err }},
		{"id with a slash", func() error { _, err := c.Get(ctx, "../partners"); return err }},
		{"id with a query", func() error { _, err := c.ReferralEligibility(ctx, "x?y=1"); return err }},
		{"nil referral", func() error { _, err := c.Create(ctx, nil); return err }},
		{"no patch operations", func() error { _, err := c.Patch(ctx, "x", nil, "", false); return err }},
		{"remove operation", func() error {
			_, err := c.Patch(ctx, "x", []partnercenter.PatchOp{{Op: "remove", Path: "/details/notes"}}, "", false)
			return err
		}},
		{"negative top", func() error {
			for _, err := range c.List(ctx, partnercenter.ListQuery{Top: -1}) {
				return err
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err == nil || partnercenter.Classify(err) != partnercenter.Permanent {
				t.Errorf("err = %v", err)
			}
		})
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestIDIsEscaped(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, referralJSON) })
	c := newTestClient(t, srv.URL)
	if _, err := c.Get(t.Context(), "a b%c"); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].Path; got != "/v1.0/engagements/referrals/a%20b%25c" {
		t.Errorf("path = %q", got)
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, referralJSON) })
	c := newTestClient(t, srv.URL+"/gateway/")
	if _, err := c.Get(t.Context(), "x"); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].Path; got != "/gateway/v1.0/engagements/referrals/x" {
		t.Errorf("path = %q", got)
	}
}

type failingTokens struct{}

func (failingTokens) Token(context.Context) (string, error) {
	return "", errors.New("invalid_grant: refresh token expired")
}

func TestTokenSourceFailure(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, referralJSON) })
	c := newTestClient(t, srv.URL, partnercenter.WithTokenSource(failingTokens{}))
	_, err := c.Get(t.Context(), "x")
	if _, ok := errors.AsType[*partnercenter.TokenError](err); !ok || partnercenter.Classify(err) != partnercenter.Fatal {
		t.Errorf("err = %v", err)
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests sent without a token", n)
	}
}

// TestTokenNeverLogged runs successful and failing calls with a debug
// logger and checks that neither the log nor the errors hold the token.
func TestTokenNeverLogged(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n % 3 {
		case 0:
			writeJSON(w, 200, referralJSON)
		case 1:
			w.Header().Set("Retry-After", "0")
			writeJSON(w, 503, `{"error":{"code":"Busy","message":"`+r.Header.Get("Authorization")[:7]+`"}}`)
		default:
			dropConnection(t, w)
		}
	})
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var seen attempts
	c := newTestClient(t, srv.URL, partnercenter.WithLogger(log), partnercenter.WithObserver(seen.observe))
	var errs []string
	for range 3 {
		if _, err := c.Get(t.Context(), "x"); err != nil {
			errs = append(errs, err.Error())
		}
		if _, err := c.Create(t.Context(), &partnercenter.Referral{Name: "n"}); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, a := range seen.list() {
		if a.Err != nil {
			errs = append(errs, a.Err.Error())
		}
	}
	if buf.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	all := buf.String() + strings.Join(errs, "\n")
	if strings.Contains(all, testToken) {
		t.Errorf("the token leaked:\n%s", all)
	}
}
