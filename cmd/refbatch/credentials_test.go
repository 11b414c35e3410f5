package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// isolateUser points the user config folder (token store, refbatch.yaml)
// at a fresh folder and clears every REFBATCH_ variable, so a developer's
// own login and settings stay out of the test. It returns the folder.
func isolateUser(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AppData", filepath.Join(home, "AppData"))
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "REFBATCH_") {
			t.Setenv(k, "")
		}
	}
	t.Chdir(t.TempDir()) // no refbatch.yaml here
	return home
}

func storePath(t *testing.T) string {
	t.Helper()
	p, err := credentials.DefaultStorePath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoginWithDeviceCode: refbatch login against the sandbox's device-code
// endpoint, approved through its admin path, keeps a private refresh token
// that a run then uses; logout removes it.
func TestLoginWithDeviceCode(t *testing.T) {
	isolateUser(t)
	sb := sandbox.New(sandbox.Options{TokenOptions: sandbox.TokenOptions{DeviceInterval: time.Second, TokenLifetime: time.Minute}})
	ts := httptest.NewServer(sb)
	defer ts.Close()

	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"login", "--authority", ts.URL, "--tenant", "contoso", "--client-id", "app-1"},
			strings.NewReader(""), &stdout, &stderr)
	}()
	// The person reads the code and approves it at the verification URI.
	codeRE := regexp.MustCompile(`open (\S+) and enter the code ([A-Z]{8})`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = codeRE.FindStringSubmatch(stdout.String())
	}
	if m == nil {
		t.Fatalf("login printed no code:\n%s\n%s", stdout.String(), stderr.String())
	}
	if m[1] != ts.URL+sandbox.DeviceLoginPath {
		t.Errorf("verification URI %s", m[1])
	}
	resp, err := http.PostForm(ts.URL+sandbox.AdminDeviceApprovePath, map[string][]string{"user_code": {m[2]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("login exited %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login still polling 20 s after approval")
	}
	fi, err := os.Stat(storePath(t))
	if err != nil {
		t.Fatalf("no token store after login: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token store mode %04o", fi.Mode().Perm())
	}
	if strings.Contains(stdout.String()+stderr.String(), sandbox.RefreshTokenPrefix) {
		t.Errorf("login printed a token")
	}

	// A run finds the login by itself.
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{smallHeader, smallCreate("L-1"), smallCreate("L-2")})
	code, out, errOut := refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", filepath.Join(dir, "j.db"), input)
	if code != exitOK {
		t.Fatalf("run after login exited %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = refbatchCmd(t, "config")
	if code != exitOK || !strings.Contains(out, "tenant contoso, client app-1") || strings.Contains(out, sandbox.RefreshTokenPrefix) {
		t.Errorf("config after login:\n%s", out)
	}
	code, out, _ = refbatchCmd(t, "logout")
	if code != exitOK || !strings.Contains(out, "Removed") {
		t.Errorf("logout: %d %s", code, out)
	}
	if _, err := os.Stat(storePath(t)); !os.IsNotExist(err) {
		t.Errorf("token store still there after logout")
	}
	code, _, errOut = refbatchCmd(t, "run", "--quiet", "--endpoint", ts.URL, "--journal", filepath.Join(dir, "j2.db"), input)
	if code != exitUsage || !strings.Contains(errOut, "refbatch login") {
		t.Errorf("run after logout: %d %s", code, errOut)
	}
}

// TestRunWithExpiringTokensLeaksNothing runs a whole load against a sandbox
// whose tokens live 2 s, with faults, through the refresh-token grant; then
// resume, status, export and a report. Every output and every file written
// is searched for the seed refresh token and anything the sandbox issued.
func TestRunWithExpiringTokensLeaksNothing(t *testing.T) {
	home := isolateUser(t)
	const seed = "RT-hygiene-seed-3f9a0c7e"
	sb := sandbox.New(sandbox.Options{
		Faults:       sandbox.Faults{Latency: 150 * time.Millisecond, Jitter: 30 * time.Millisecond, FailRate: 0.05, DropRate: 0.05, Seed: 7},
		TokenOptions: sandbox.TokenOptions{TokenLifetime: 2 * time.Second, RefreshTokens: []string{seed}},
		AcceptAfter:  time.Second,
	})
	var refreshes, apiCalls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth2/token") {
			refreshes.Add(1)
		} else if apiCalls.Add(1) == 15 {
			// A token revoked under the run: one refresh, one retry.
			http.Error(w, `{"error":{"code":"Unauthorized","message":"token revoked"}}`, http.StatusUnauthorized)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	defer ts.Close()
	t.Setenv("REFBATCH_REFRESH_TOKEN", seed)
	t.Setenv("REFBATCH_TENANT", "contoso")
	t.Setenv("REFBATCH_CLIENT_ID", "app-1")
	t.Setenv("REFBATCH_AUTHORITY", ts.URL)

	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	rows := [][]string{smallHeader}
	for i := range 40 {
		rows = append(rows, smallCreate(fmt.Sprintf("H-%02d", i)))
	}
	writeCSV(t, input, rows)
	jpath := filepath.Join(dir, "j.db")

	var outputs []string
	start := time.Now()
	code, out, errOut := refbatchCmd(t, "run", "--verbose", "--log-format", "json", "--concurrency", "2", "--settle", "500ms", "--endpoint", ts.URL, "--journal", jpath, input)
	outputs = append(outputs, out, errOut)
	for i := 0; code != exitOK && i < 5; i++ {
		code, out, errOut = refbatchCmd(t, "resume", "--verbose", "--retry-failed", "--settle", "500ms", "--journal", jpath)
		outputs = append(outputs, out, errOut)
	}
	if code != exitOK {
		t.Fatalf("run and resumes did not finish: exit %d\n%s", code, strings.Join(outputs, "\n"))
	}
	if n := len(sb.Referrals()); n != 40 {
		t.Errorf("%d referrals, want 40", n)
	}
	if d := time.Since(start); refreshes.Load() < 3 {
		t.Errorf("%d token requests in %v: tokens did not expire during the run", refreshes.Load(), d)
	}
	// The rotated refresh token was kept, and the seed is spent.
	l, err := credentials.NewStore(storePath(t)).Load()
	if err != nil {
		t.Fatal(err)
	}
	if l.RefreshToken.Reveal() == seed || !strings.HasPrefix(l.RefreshToken.Reveal(), sandbox.RefreshTokenPrefix) {
		t.Errorf("the store does not hold a rotated refresh token")
	}

	code, out, errOut = refbatchCmd(t, "status", "--journal", jpath, "--rows")
	outputs = append(outputs, out, errOut)
	if code != exitOK {
		t.Errorf("status: %d %s", code, errOut)
	}
	for _, ext := range []string{"csv", "json", "xlsx"} {
		code, out, errOut = refbatchCmd(t, "export", "--journal", jpath, "--out", filepath.Join(dir, "results."+ext))
		outputs = append(outputs, out, errOut)
		if code != exitOK {
			t.Errorf("export %s: %d %s", ext, code, errOut)
		}
	}
	code, out, errOut = refbatchCmd(t, "validate", "--report", filepath.Join(dir, "report.xlsx"), input)
	outputs = append(outputs, out, errOut)
	if code != exitOK {
		t.Errorf("validate: %d %s", code, errOut)
	}
	code, out, errOut = refbatchCmd(t, "config")
	outputs = append(outputs, out, errOut)
	if code != exitOK {
		t.Errorf("config: %d %s", code, errOut)
	}

	secrets := []string{seed, sandbox.AccessTokenPrefix, sandbox.RefreshTokenPrefix}
	for i, o := range outputs {
		for _, s := range secrets {
			if strings.Contains(o, s) {
				t.Errorf("output %d contains %q:\n%s", i, s, o)
			}
		}
	}
	store := storePath(t)
	for _, root := range []string{dir, home} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || p == store {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s contains %q", p, s)
				}
			}
			if p == input {
				return nil
			}
			if fi, _ := d.Info(); fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s has mode %04o: others may read it", p, fi.Mode().Perm())
			}
			return nil
		})
	}
}

func writeConfig(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestConfigSources: refbatch config shows flags over environment over
// refbatch.yaml over defaults, where each came from, secrets masked; and
// run takes its defaults from them.
func TestConfigSources(t *testing.T) {
	isolateUser(t)
	dir, _ := os.Getwd()
	writeConfig(t, filepath.Join(dir, "refbatch.yaml"), `# refbatch settings
endpoint: https://example.invalid
tenant: file-tenant
client_id: file-client
concurrency: 3
rate: 2.5
journal: journals/main.db
token: cfg-secret-token-123
`, 0o600)
	t.Setenv("REFBATCH_TENANT", "env-tenant")
	code, out, errOut := refbatchCmd(t, "config", "--concurrency", "5")
	if code != exitOK {
		t.Fatalf("config: %d %s", code, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`config file: refbatch.yaml`),
		regexp.MustCompile(`endpoint\s+https://example.invalid\s+refbatch.yaml:2\n`),
		regexp.MustCompile(`tenant\s+env-tenant\s+env REFBATCH_TENANT\n`),
		regexp.MustCompile(`client_id\s+file-client\s+refbatch.yaml:4\n`),
		regexp.MustCompile(`concurrency\s+5\s+flag --concurrency\n`),
		regexp.MustCompile(`rate\s+2.5\s+refbatch.yaml:6\n`),
		regexp.MustCompile(`journal\s+journals/main.db\s+refbatch.yaml:7\n`),
		regexp.MustCompile(`authority\s+https://login.microsoftonline.com\s+default\n`),
		regexp.MustCompile(`token\s+\[redacted\]\s+refbatch.yaml:8\n`),
		regexp.MustCompile(`refresh_token\s+-\s+not set\n`),
	} {
		if !want.MatchString(out) {
			t.Errorf("config output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cfg-secret-token-123") {
		t.Errorf("config printed the token")
	}

	// run takes endpoint, journal and token from the file.
	sb := sandbox.New(sandbox.Options{Token: "cfg-secret-token-123"})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	writeConfig(t, filepath.Join(dir, "refbatch.yaml"), "endpoint: "+ts.URL+"\njournal: journals/main.db\ntoken: cfg-secret-token-123\n", 0o600)
	_ = os.Mkdir(filepath.Join(dir, "journals"), 0o700)
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{smallHeader, smallCreate("S-1")})
	code, out, errOut = refbatchCmd(t, "run", "--quiet", input)
	if code != exitOK || len(sb.Referrals()) != 1 {
		t.Fatalf("run from refbatch.yaml: %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "journals", "main.db")); err != nil {
		t.Errorf("the journal of refbatch.yaml was not used: %v", err)
	}
	// A rehearsal keeps its own endpoint and journal.
	code, out, errOut = refbatchCmd(t, "run", "--sandbox", "--quiet", input)
	if code != exitOK {
		t.Errorf("run --sandbox with a configured endpoint: %d\n%s\n%s", code, out, errOut)
	}

	// A secret in a file others may read is refused.
	writeConfig(t, filepath.Join(dir, "refbatch.yaml"), "tenant: t\ntoken: cfg-secret-token-123\n", 0o644)
	code, _, errOut = refbatchCmd(t, "config")
	if code != exitUsage || !strings.Contains(errOut, "readable by others") || strings.Contains(errOut, "cfg-secret-token-123") {
		t.Errorf("readable config with a token: %d %s", code, errOut)
	}
	// Without a secret the same mode is fine.
	writeConfig(t, filepath.Join(dir, "refbatch.yaml"), "tenant: t\n", 0o644)
	if code, _, errOut = refbatchCmd(t, "config"); code != exitOK {
		t.Errorf("readable config without a secret: %d %s", code, errOut)
	}
}

// TestBadConfigFile: unknown keys, wrong types and YAML errors name the
// file, line and column, and stop every command that reads the file.
func TestBadConfigFile(t *testing.T) {
	isolateUser(t)
	dir := t.TempDir()
	cases := []struct{ name, body, want string }{
		{"unknown key", "tenant: t\n\nconcurency: 4\n", "bad.yaml:3:1: unknown key \"concurency\""},
		{"wrong type", "tenant: t\nconcurrency: eight\n", "bad.yaml:2:14: concurrency: want a number, got the string \"eight\""},
		{"fraction for an int", "concurrency: 2.5\n", "bad.yaml:1:14: concurrency: want a whole number"},
		{"list for a string", "rules:\n  - a.yaml\n", "bad.yaml:2:3: rules: want a string, got a list"},
		{"number for a string", "client_id: 12345\n", "bad.yaml:1:12: client_id: want a string, got the number 12345"},
		{"not a mapping", "- tenant\n", "bad.yaml:1:1: want keys and values"},
		{"syntax", "tenant: [t\n", "bad.yaml:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.yaml")
			writeConfig(t, p, tc.body, 0o600)
			code, _, errOut := refbatchCmd(t, "config", "--config", p)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("config: exit %d, stderr %q, want %q", code, errOut, tc.want)
			}
			code, _, errOut = refbatchCmd(t, "run", "--config", p, "in.csv")
			if code != exitUsage || !strings.Contains(errOut, "bad.yaml:") {
				t.Errorf("run: exit %d, stderr %q", code, errOut)
			}
		})
	}
	code, _, errOut := refbatchCmd(t, "config", "--config", filepath.Join(dir, "missing.yaml"))
	if code != exitUsage || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing --config file: %d %s", code, errOut)
	}
	t.Setenv("REFBATCH_CONCURRENCY", "many")
	if code, _, errOut = refbatchCmd(t, "config"); code != exitUsage || !strings.Contains(errOut, "REFBATCH_CONCURRENCY") {
		t.Errorf("bad REFBATCH_CONCURRENCY: %d %s", code, errOut)
	}
}

// TestTokenEndpointMustBeHTTPS: an authority over http:// to another host is
// refused before anything is sent.
func TestTokenEndpointMustBeHTTPS(t *testing.T) {
	isolateUser(t)
	code, _, errOut := refbatchCmd(t, "login", "--authority", "http://login.example.com", "--tenant", "t", "--client-id", "c")
	if code != exitUsage || !strings.Contains(errOut, "http:// is allowed only to a loopback host") {
		t.Errorf("login over http: %d %s", code, errOut)
	}
	t.Setenv("REFBATCH_REFRESH_TOKEN", "rt")
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{smallHeader, smallCreate("X-1")})
	code, _, errOut = refbatchCmd(t, "run", "--authority", "http://login.example.com", "--tenant", "t", "--client-id", "c",
		"--journal", filepath.Join(dir, "j.db"), "--endpoint", "https://127.0.0.1:1", input)
	if code != exitUsage || !strings.Contains(errOut, "http:// is allowed only to a loopback host") {
		t.Errorf("run with an http authority: %d %s", code, errOut)
	}
}

// TestTokenFileFlag: --token-file is read once, trimmed, and refused when
// others may read it.
func TestTokenFileFlag(t *testing.T) {
	isolateUser(t)
	sb := sandbox.New(sandbox.Options{Token: "file-token-9"})
	ts := httptest.NewServer(sb)
	defer ts.Close()
	dir := t.TempDir()
	tf := filepath.Join(dir, "token")
	writeConfig(t, tf, "file-token-9\n", 0o644)
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{smallHeader, smallCreate("F-1")})
	args := []string{"run", "--quiet", "--token-file", tf, "--endpoint", ts.URL, "--journal", filepath.Join(dir, "j.db"), input}
	code, _, errOut := refbatchCmd(t, args...)
	if code != exitUsage || !strings.Contains(errOut, "chmod 600") {
		t.Fatalf("readable token file: %d %s", code, errOut)
	}
	_ = os.Chmod(tf, 0o600)
	t.Setenv("REFBATCH_TOKEN", "a-wrong-token") // the flag wins over the environment
	code, out, errOut := refbatchCmd(t, args...)
	if code != exitOK || len(sb.Referrals()) != 1 {
		t.Fatalf("run with --token-file: %d\n%s\n%s", code, out, errOut)
	}
}
