package partnercenter_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
)

// testToken is the bearer token tests send; no log or error may contain it.
const testToken = "test-token-5f1c0e9b-never-log-me"

// fastRetries keeps retry tests quick while exercising every branch.
var fastRetries = partnercenter.RetryPolicy{
	MaxAttempts:    4,
	BaseDelay:      time.Millisecond,
	MaxDelay:       5 * time.Millisecond,
	MaxRetryAfter:  50 * time.Millisecond,
	AttemptTimeout: 10 * time.Second,
}

// newTestClient is a client of baseURL with the test token, fast retries
// and a seeded jitter source; opts come last and win.
func newTestClient(t *testing.T, baseURL string, opts ...partnercenter.Option) *partnercenter.Client {
	t.Helper()
	all := append([]partnercenter.Option{
		partnercenter.WithTokenSource(partnercenter.StaticToken(testToken)),
		partnercenter.WithRetryPolicy(fastRetries),
		partnercenter.WithJitterSource(rand.NewPCG(1, 2)),
	}, opts...)
	c, err := partnercenter.NewClient(baseURL, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seen is one request as a scripted server received it.
type seen struct {
	Method   string
	Path     string // escaped
	RawQuery string
	Header   http.Header
	Body     []byte
}

// scripted is a real HTTP server whose handler is a test's script; n counts
// requests from 1.
type scripted struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newScripted(t *testing.T, script func(w http.ResponseWriter, r *http.Request, n int)) *scripted {
	t.Helper()
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
		n := len(s.reqs)
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		script(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scripted) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// dropConnection closes the connection without an answer: after a request
// was read, the case where a write may have been applied.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func readDoc(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "documents", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attempts records what the client's observer saw.
type attempts struct {
	mu  sync.Mutex
	all []partnercenter.Attempt
}

func (a *attempts) observe(at partnercenter.Attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.all = append(a.all, at)
}

func (a *attempts) list() []partnercenter.Attempt {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]partnercenter.Attempt(nil), a.all...)
}
