package credentials_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// countingSandbox serves a sandbox and counts requests to token endpoints.
type countingSandbox struct {
	*httptest.Server
	refreshes atomic.Int64
}

func newSandbox(t *testing.T, o sandbox.TokenOptions) *countingSandbox {
	t.Helper()
	sb := sandbox.New(sandbox.Options{TokenOptions: o})
	cs := &countingSandbox{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			cs.refreshes.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func apiAnswers(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1.0/engagements/referrals", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRefresherRotatesAndShares(t *testing.T) {
	for _, v := range []credentials.Version{credentials.V1, credentials.V2} {
		t.Run(string(v), func(t *testing.T) {
			sb := newSandbox(t, sandbox.TokenOptions{TokenLifetime: 2 * time.Second, RefreshTokens: []string{"seed-refresh-token"}})
			store := credentials.NewStore(filepath.Join(t.TempDir(), "cfg", "token.json"))
			a := credentials.Authority{URL: sb.URL, Tenant: "contoso", ClientID: "app", Version: v}
			var clock atomic.Int64 // nanoseconds the Refresher's clock is ahead
			now := func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }
			r, err := credentials.NewRefresher(a, "seed-refresh-token", credentials.RefreshOptions{Store: store, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			// Sixteen workers at once share one refresh.
			var wg sync.WaitGroup
			toks := make([]string, 16)
			for i := range toks {
				wg.Go(func() {
					tok, err := r.Token(context.Background())
					if err != nil {
						t.Error(err)
					}
					toks[i] = tok
				})
			}
			wg.Wait()
			if n := sb.refreshes.Load(); n != 1 {
				t.Errorf("%d refreshes for 16 concurrent callers, want 1", n)
			}
			for _, tok := range toks[1:] {
				if tok != toks[0] {
					t.Fatalf("callers got different tokens")
				}
			}
			if s := apiAnswers(t, sb.URL, toks[0]); s != http.StatusOK {
				t.Fatalf("API answered %d to the refreshed token", s)
			}
			// The rotated refresh token is on disk, private.
			l, err := store.Load()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(l.RefreshToken.Reveal(), sandbox.RefreshTokenPrefix) || !l.For(a) {
				t.Errorf("stored login %+v", l)
			}
			fi, _ := os.Stat(store.Path())
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("token store mode %04o, want 0600", fi.Mode().Perm())
			}
			di, _ := os.Stat(filepath.Dir(store.Path()))
			if di.Mode().Perm() != 0o700 {
				t.Errorf("token store folder mode %04o, want 0700", di.Mode().Perm())
			}

			// Half-way through a 2 s life (on the Refresher's clock) the
			// token is refreshed ahead.
			clock.Store(int64(1100 * time.Millisecond))
			tok2, err := r.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tok2 == toks[0] || sb.refreshes.Load() != 2 {
				t.Errorf("no refresh ahead of expiry (%d refreshes)", sb.refreshes.Load())
			}
			// Invalidating an old token does nothing; the current one refreshes.
			r.Invalidate(toks[0])
			if tok3, _ := r.Token(context.Background()); tok3 != tok2 {
				t.Errorf("invalidating a replaced token refreshed")
			}
			r.Invalidate(tok2)
			if tok3, _ := r.Token(context.Background()); tok3 == tok2 || sb.refreshes.Load() != 3 {
				t.Errorf("invalidating the current token did not refresh")
			}

			// A new Refresher from the stored login goes on; the seed is spent.
			r2, err := credentials.NewRefresher(a, l.RefreshToken.Reveal(), credentials.RefreshOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r2.Token(context.Background()); err == nil {
				t.Errorf("a refresh token rotated away still worked")
			}
			l, _ = store.Load()
			r3, _ := credentials.NewRefresher(a, l.RefreshToken.Reveal(), credentials.RefreshOptions{Store: store})
			if _, err := r3.Token(context.Background()); err != nil {
				t.Errorf("the newest stored refresh token: %v", err)
			}
		})
	}
}

func TestRefusedRefreshTokenNeedsLogin(t *testing.T) {
	sb := newSandbox(t, sandbox.TokenOptions{})
	r, err := credentials.NewRefresher(credentials.Authority{URL: sb.URL, Tenant: "t", ClientID: "c"}, "revoked-refresh-token-123", credentials.RefreshOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Token(context.Background())
	if !errors.Is(err, credentials.ErrLoginNeeded) {
		t.Fatalf("err = %v, want ErrLoginNeeded", err)
	}
	if strings.Contains(err.Error(), "revoked-refresh-token-123") || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("error %q: want invalid_grant and no refresh token", err)
	}
}

func TestRefresherRetriesPassingFailures(t *testing.T) {
	sb := sandbox.New(sandbox.Options{TokenOptions: sandbox.TokenOptions{RefreshTokens: []string{"rt"}}})
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	defer ts.Close()
	r, _ := credentials.NewRefresher(credentials.Authority{URL: ts.URL, Tenant: "t", ClientID: "c"}, "rt", credentials.RefreshOptions{RetryDelay: time.Millisecond})
	if _, err := r.Token(context.Background()); err != nil {
		t.Fatalf("a 503 then success: %v", err)
	}
}

func TestDeviceLogin(t *testing.T) {
	for _, v := range []credentials.Version{credentials.V1, credentials.V2} {
		t.Run(string(v), func(t *testing.T) {
			t.Parallel()
			sb := newSandbox(t, sandbox.TokenOptions{DeviceApproveAfter: 1500 * time.Millisecond, DeviceInterval: time.Second, TokenLifetime: time.Minute})
			a := credentials.Authority{URL: sb.URL, Tenant: "contoso", ClientID: "app", Version: v}
			var shown credentials.DeviceCode
			tok, err := credentials.DeviceLogin(context.Background(), a, credentials.DeviceLoginOptions{
				Prompt: func(dc credentials.DeviceCode) error { shown = dc; return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if shown.UserCode == "" || shown.VerificationURI != sb.URL+sandbox.DeviceLoginPath {
				t.Errorf("prompt got %+v", shown)
			}
			if !strings.HasPrefix(tok.RefreshToken, sandbox.RefreshTokenPrefix) {
				t.Fatalf("no refresh token")
			}
			if s := apiAnswers(t, sb.URL, tok.AccessToken); s != http.StatusOK {
				t.Errorf("API answered %d to the login's access token", s)
			}
		})
	}
}

func TestDeviceLoginExpires(t *testing.T) {
	sb := newSandbox(t, sandbox.TokenOptions{DeviceInterval: time.Second, DeviceCodeLifetime: 1500 * time.Millisecond})
	_, err := credentials.DeviceLogin(context.Background(), credentials.Authority{URL: sb.URL, Tenant: "t", ClientID: "c"}, credentials.DeviceLoginOptions{})
	if !errors.Is(err, credentials.ErrLoginNeeded) {
		t.Fatalf("err = %v, want an expired code (ErrLoginNeeded)", err)
	}
}

func TestHTTPRefusedButLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://login.microsoftonline.com": true,
		"http://127.0.0.1:8765":             true,
		"http://localhost:1":                true,
		"http://[::1]:1":                    true,
		"http://login.microsoftonline.com":  false,
		"http://10.0.0.1":                   false,
		"ftp://x":                           false,
	} {
		a := credentials.Authority{URL: url, Tenant: "t", ClientID: "c"}
		_, err := credentials.NewRefresher(a, "rt", credentials.RefreshOptions{})
		if (err == nil) != ok {
			t.Errorf("authority %s: err = %v, want ok=%v", url, err, ok)
		}
		_, err = credentials.DeviceLogin(context.Background(), a, credentials.DeviceLoginOptions{HTTPClient: &http.Client{Transport: failTransport{}}})
		if !ok && (err == nil || !strings.Contains(err.Error(), "authority")) {
			t.Errorf("device login at %s: err = %v, want the authority refused", url, err)
		}
	}
}

type failTransport struct{}

func (failTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in this test")
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tok")
	if err := os.WriteFile(p, []byte("  file-token-abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := credentials.ReadTokenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := s.Token(context.Background()); tok != "file-token-abc" {
		t.Errorf("token %q", tok)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = credentials.ReadTokenFile(p)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "file-token-abc") {
		t.Errorf("group-readable token file: err = %v", err)
	}
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := credentials.ReadTokenFile(empty); err == nil {
		t.Errorf("empty token file accepted")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := credentials.Secret("s3cr3t-value")
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "tok", s)
	j, _ := json.Marshal(struct{ T credentials.Secret }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%s %v %q %#v %x %+v", s, s, s, s, s, struct{ T credentials.Secret }{s}), logged.String(), string(j)} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "s3cr3t-value" {
		t.Errorf("Reveal lost the value")
	}
}

func TestStoreRefusesReadableFile(t *testing.T) {
	store := credentials.NewStore(filepath.Join(t.TempDir(), "token.json"))
	if _, err := store.Load(); !errors.Is(err, credentials.ErrNoLogin) {
		t.Fatalf("empty store: %v", err)
	}
	if err := store.Save(credentials.Login{Authority: "https://a", Tenant: "t", ClientID: "c", Version: credentials.V1, RefreshToken: "rt-stored"}); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(store.Path(), 0o640)
	if _, err := store.Load(); err == nil {
		t.Errorf("group-readable store loaded")
	}
	if removed, err := store.Remove(); !removed || err != nil {
		t.Errorf("Remove = %v, %v", removed, err)
	}
}
