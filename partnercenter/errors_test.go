package partnercenter_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
)

// TestClassifyStatus answers each status from a real server and checks the
// class, the decoded envelope and the headers the APIError carries. GETs
// run with one attempt so the status is seen as the server sent it.
func TestClassifyStatus(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		want       partnercenter.Class
		code       string
		message    string
		target     string
		retryAfter time.Duration // minimum expected; 0 means none
	}{
		{name: "401", status: 401, body: `{"error":{"code":"Unauthorized","message":"token expired"}}`,
			want: partnercenter.Fatal, code: "Unauthorized", message: "token expired"},
		{name: "403", status: 403, body: `{"error":{"code":"Forbidden","message":"not a Referral Admin"}}`,
			want: partnercenter.Fatal, code: "Forbidden"},
		{name: "404", status: 404, body: `{"error":{"code":"NotFound","message":"referral not found","target":"id"}}`,
			want: partnercenter.Permanent, code: "NotFound", target: "id"},
		{name: "400 with envelope and innerError", status: 400,
			body: `{"error":{"code":"InvalidInput","message":"customerProfile.name is required","target":"customerProfile.name","innerError":{"code":"Required"}}}`,
			want: partnercenter.Permanent, code: "InvalidInput", message: "customerProfile.name is required", target: "customerProfile.name"},
		{name: "400 malformed envelope", status: 400, body: `{"error": {"code": "Bad`,
			want: partnercenter.Permanent, message: `{"error": {"code": "Bad`},
		{name: "400 plain text", status: 400, body: "bad\nrequest",
			want: partnercenter.Permanent, message: "bad request"},
		{name: "408", status: 408, want: partnercenter.Retryable},
		{name: "412", status: 412, body: `{"error":{"code":"PreconditionFailed","message":"eTag mismatch"}}`,
			want: partnercenter.Conflict, code: "PreconditionFailed"},
		{name: "429 Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "7"},
			want: partnercenter.RetryAfter, retryAfter: 7 * time.Second},
		{name: "429 without Retry-After", status: 429, want: partnercenter.Retryable},
		{name: "500", status: 500, body: `{"error":{"code":"InternalServerError","message":"oops"}}`,
			want: partnercenter.Retryable, code: "InternalServerError"},
		{name: "501", status: 501, want: partnercenter.Permanent},
		{name: "502 HTML page", status: 502, body: "<html><body>Bad Gateway</body></html>",
			want: partnercenter.Retryable, message: "<html><body>Bad Gateway</body></html>"},
		{name: "503 Retry-After HTTP-date", status: 503, header: map[string]string{"Retry-After": httpDate},
			want: partnercenter.RetryAfter, retryAfter: 80 * time.Second},
		{name: "503 without Retry-After", status: 503, want: partnercenter.Retryable},
		{name: "503 malformed Retry-After", status: 503, header: map[string]string{"Retry-After": "soon"}, want: partnercenter.Retryable},
		{name: "redirect is not followed", status: 307, header: map[string]string{"Location": "https://elsewhere.example/"},
			want: partnercenter.Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Request-ID", "req-42")
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1}))
			ctx := partnercenter.WithClientRequestID(t.Context(), "0f8fad5b-d9cb-469f-a165-70867728950e")
			_, err := c.Get(ctx, "4111fffc-f9ee-4d53-bba6-569135228642")
			if got := partnercenter.Classify(err); got != tt.want {
				t.Fatalf("Classify = %v, want %v (err %v)", got, tt.want, err)
			}
			ae, ok := errors.AsType[*partnercenter.APIError](err)
			if !ok {
				t.Fatalf("err %T is no *APIError: %v", err, err)
			}
			if ae.StatusCode != tt.status || ae.Code != tt.code || ae.Target != tt.target {
				t.Errorf("status, code, target = %d %q %q; want %d %q %q", ae.StatusCode, ae.Code, ae.Target, tt.status, tt.code, tt.target)
			}
			if tt.message != "" && ae.Message != tt.message {
				t.Errorf("Message = %q, want %q", ae.Message, tt.message)
			}
			if ae.RequestID != "req-42" || ae.ClientRequestID != "0f8fad5b-d9cb-469f-a165-70867728950e" {
				t.Errorf("RequestID, ClientRequestID = %q, %q", ae.RequestID, ae.ClientRequestID)
			}
			if tt.retryAfter == 0 && ae.Wait != 0 || ae.Wait < tt.retryAfter {
				t.Errorf("RetryAfter = %v, want at least %v", ae.Wait, tt.retryAfter)
			}
			if partnercenter.IsInDoubt(err) {
				t.Errorf("a GET is never in doubt: %v", err)
			}
			for _, s := range []string{ae.Path, ae.ClientRequestID, "req-42"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if tt.code == "InvalidInput" && (ae.InnerError == nil || ae.InnerError.Code != "Required") {
				t.Errorf("InnerError = %+v", ae.InnerError)
			}
		})
	}
}

func TestClassifyOtherErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		err  error
		want partnercenter.Class
	}{
		{"nil", nil, partnercenter.NoError},
		{"canceled", context.Canceled, partnercenter.Canceled},
		{"deadline", fmt.Errorf("row 3: %w", context.DeadlineExceeded), partnercenter.Canceled},
		{"canceled wins over a retryable cause", fmt.Errorf("%w; last: %w", context.Canceled, &partnercenter.APIError{StatusCode: 503}), partnercenter.Canceled},
		{"token", &partnercenter.TokenError{Err: errors.New("invalid_grant")}, partnercenter.Fatal},
		{"transport", &partnercenter.TransportError{Err: errors.New("EOF")}, partnercenter.Retryable},
		{"foreign", errors.New("something else"), partnercenter.Permanent},
		{"response", &partnercenter.ResponseError{StatusCode: 200, Err: errors.New("decode")}, partnercenter.Permanent},
		{"wrapped api error", fmt.Errorf("create row 7: %w", &partnercenter.APIError{StatusCode: 412}), partnercenter.Conflict},
		{"context error value", canceled.Err(), partnercenter.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := partnercenter.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestInDoubt sends each kind of request into each kind of failure and
// checks whether the error says the request may have been applied.
func TestInDoubt(t *testing.T) {
	const id = "4111fffc-f9ee-4d53-bba6-569135228642"
	calls := []struct {
		name  string
		write bool
		do    func(ctx context.Context, c *partnercenter.Client) error
	}{
		{"create", true, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Create(ctx, &partnercenter.Referral{Name: "x"})
			return err
		}},
		{"patch without If-Match", true, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Patch(ctx, id, []partnercenter.PatchOp{{Op: "replace", Path: "/name", Value: "y"}}, "", false)
			return err
		}},
		{"patch with If-Match", true, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Patch(ctx, id, []partnercenter.PatchOp{{Op: "replace", Path: "/name", Value: "y"}}, `"e1"`, false)
			return err
		}},
		{"get", false, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.Get(ctx, id)
			return err
		}},
		{"eligibility POST", false, func(ctx context.Context, c *partnercenter.Client) error {
			_, err := c.ReferralEligibility(ctx, id)
			return err
		}},
	}
	failures := []struct {
		name    string
		script  func(t *testing.T, w http.ResponseWriter)
		inDoubt bool // for a write
		class   partnercenter.Class
	}{
		{"dropped after the request was read", func(t *testing.T, w http.ResponseWriter) { dropConnection(t, w) }, true, partnercenter.Retryable},
		{"500", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 500, `{"error":{"code":"Internal","message":"x"}}`)
		}, true, partnercenter.Retryable},
		{"504", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(504) }, true, partnercenter.Retryable},
		{"503", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(503) }, false, partnercenter.Retryable},
		{"429", func(t *testing.T, w http.ResponseWriter) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) }, false, partnercenter.RetryAfter},
		{"400", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 400, `{"error":{"code":"InvalidInput","message":"x"}}`)
		}, false, partnercenter.Permanent},
		{"2xx body cut short", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			fmt.Fprint(w, `{"id":"4111`)
			w.(http.Flusher).Flush()
			dropConnection(t, w)
		}, true, partnercenter.Retryable},
		{"2xx body not JSON", func(t *testing.T, w http.ResponseWriter) { writeJSON(w, 200, `<html>`) }, true, partnercenter.Permanent},
	}
	for _, call := range calls {
		for _, f := range failures {
			t.Run(call.name+"/"+f.name, func(t *testing.T) {
				srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { f.script(t, w) })
				c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1}))
				err := call.do(t.Context(), c)
				if err == nil {
					t.Fatal("no error")
				}
				if got := partnercenter.Classify(err); got != f.class {
					t.Errorf("Classify = %v, want %v (%v)", got, f.class, err)
				}
				want := call.write && f.inDoubt
				if got := partnercenter.IsInDoubt(err); got != want {
					t.Errorf("IsInDoubt = %v, want %v (%v)", got, want, err)
				}
			})
		}
	}

	t.Run("connection refused is not in doubt", func(t *testing.T) {
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { http.NotFound(w, r) })
		c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1}))
		_, _ = c.Get(t.Context(), "x") // an answer: the API was reachable
		srv.Close()
		_, err := c.Create(t.Context(), &partnercenter.Referral{Name: "x"})
		te, ok := errors.AsType[*partnercenter.TransportError](err)
		if !ok || te.Sent {
			t.Fatalf("want an unsent TransportError, got %#v", err)
		}
		if partnercenter.IsInDoubt(err) || partnercenter.Classify(err) != partnercenter.Retryable {
			t.Errorf("IsInDoubt %v, Classify %v", partnercenter.IsInDoubt(err), partnercenter.Classify(err))
		}
	})

	t.Run("canceled while waiting for the answer", func(t *testing.T) {
		release := make(chan struct{})
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		c := newTestClient(t, srv.URL)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Create(ctx, &partnercenter.Referral{Name: "x"})
		if partnercenter.Classify(err) != partnercenter.Canceled || !partnercenter.IsInDoubt(err) {
			t.Errorf("Classify %v, IsInDoubt %v: %v", partnercenter.Classify(err), partnercenter.IsInDoubt(err), err)
		}
	})
}

// TestErrorVocabulary: each error the package produces answers the run's
// error vocabulary (refbatch.IsRetryable, RetryAfter, IsConflict, IsFatal,
// IsNotFound, IsInDoubt) as Classify does, bare and wrapped.
func TestErrorVocabulary(t *testing.T) {
	type answers struct {
		retryable, conflict, fatal, notFound, inDoubt bool
		retryAfter                                    time.Duration
	}
	status := func(code int, header ...string) func(t *testing.T) error {
		return func(t *testing.T) error {
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
				for i := 0; i+1 < len(header); i += 2 {
					w.Header().Set(header[i], header[i+1])
				}
				writeJSON(w, code, `{"error":{"code":"x","message":"y"}}`)
			})
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1})))
			_, err := api.Get(t.Context(), "", "4111fffc-f9ee-4d53-bba6-569135228642")
			return err
		}
	}
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want answers
	}{
		{"400", status(400), answers{}},
		{"401", status(401), answers{fatal: true}},
		{"403", status(403), answers{fatal: true}},
		{"404", status(404), answers{notFound: true}},
		{"408", status(408), answers{retryable: true}},
		{"412", status(412), answers{conflict: true}},
		{"429 Retry-After", status(429, "Retry-After", "7"), answers{retryable: true, retryAfter: 7 * time.Second}},
		{"429", status(429), answers{retryable: true}},
		{"500", status(500), answers{retryable: true}},
		{"503 Retry-After", status(503, "Retry-After", "2"), answers{retryable: true, retryAfter: 2 * time.Second}},
		{"501", status(501), answers{}},
		{"connection refused after an answer", func(t *testing.T) error {
			srv := httptest.NewServer(http.NotFoundHandler())
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1})))
			_, _ = api.Get(t.Context(), "", "x")
			srv.Close()
			_, err := api.Get(t.Context(), "", "x")
			return err
		}, answers{retryable: true}},
		{"unreachable before any answer", func(t *testing.T) error {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1})))
			_, err := api.Get(t.Context(), "", "x")
			return err
		}, answers{fatal: true}},
		{"untrusted certificate", func(t *testing.T) error {
			srv := httptest.NewTLSServer(http.NotFoundHandler())
			t.Cleanup(srv.Close)
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL))
			_, err := api.Get(t.Context(), "", "x")
			return err
		}, answers{fatal: true}},
		{"token source fails", func(t *testing.T) error {
			srv := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(srv.Close)
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL, partnercenter.WithTokenSource(failingTokens{})))
			_, err := api.Get(t.Context(), "", "x")
			return err
		}, answers{fatal: true}},
		{"create answer lost", func(t *testing.T) error {
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { dropConnection(t, w) })
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL))
			_, err := api.Create(t.Context(), "", []byte(`{"name":"x"}`))
			return err
		}, answers{retryable: true, inDoubt: true}},
		{"canceled", func(t *testing.T) error {
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { <-r.Context().Done() })
			api := partnercenter.NewReferrals(newTestClient(t, srv.URL))
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, err := api.Get(ctx, "", "x")
			return err
		}, answers{}},
		{"bare *APIError", func(t *testing.T) error {
			return &partnercenter.APIError{StatusCode: 429, Wait: 3 * time.Second}
		}, answers{retryable: true, retryAfter: 3 * time.Second}},
		{"*APIError 503 with Retry-After", func(t *testing.T) error {
			return &partnercenter.APIError{StatusCode: 503, Wait: 3 * time.Second}
		}, answers{retryable: true, retryAfter: 3 * time.Second}},
		{"bare *TransportError", func(t *testing.T) error {
			return &partnercenter.TransportError{Err: errors.New("connection reset")}
		}, answers{retryable: true}},
		{"bare *TokenError", func(t *testing.T) error {
			return &partnercenter.TokenError{Err: errors.New("expired refresh token")}
		}, answers{fatal: true}},
		{"*TokenError of a canceled context", func(t *testing.T) error {
			return &partnercenter.TokenError{Err: context.Canceled}
		}, answers{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			if err == nil {
				t.Fatal("no error")
			}
			for _, e := range []error{err, fmt.Errorf("get row 7: %w", err)} {
				d, ok := refbatch.RetryAfter(e)
				got := answers{
					retryable: refbatch.IsRetryable(e), conflict: refbatch.IsConflict(e), fatal: refbatch.IsFatal(e),
					notFound: refbatch.IsNotFound(e), inDoubt: refbatch.IsInDoubt(e),
				}
				if ok {
					got.retryAfter = d
				}
				if got != tt.want {
					t.Errorf("%v:\n got %+v\nwant %+v", e, got, tt.want)
				}
			}
		})
	}
}

// TestHTMLAnswerNamesTheEndpoint: a 200 with an HTML page (a sign-in page, a
// proxy) says the endpoint is wrong, not that a referral is broken.
func TestHTMLAnswerNamesTheEndpoint(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<html><body>Sign in</body></html>")
	}))
	defer ts.Close()
	c, err := partnercenter.NewClient(ts.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("t")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(context.Background(), "abc")
	if err == nil || !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), "endpoint") {
		t.Fatalf("err = %v, want one saying the answer is HTML and naming the endpoint", err)
	}
}
