package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/rules"
)

// syncBuffer is a bytes.Buffer safe for a writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSandboxCommandServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runSandboxCmd(ctx, []string{"--addr", "127.0.0.1:0", "--token", "T", "--seed", "3"},
			env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	}()

	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		select {
		case err := <-done:
			t.Fatalf("returned early: %v; stderr %q", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		for _, line := range strings.Split(stdout.String(), "\n") {
			if u, ok := strings.CutPrefix(line, "sandbox listening on "); ok {
				base = strings.TrimSpace(u)
			}
		}
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("base URL %q", base)
	}
	if !strings.Contains(stdout.String(), "curl -H 'Authorization: Bearer <token>' "+base+"/v1.0/engagements/referrals") {
		t.Errorf("no sample curl: %q", stdout.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "Bearer T") {
		t.Errorf("the token was printed")
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/v1.0/engagements/referrals", nil)
	req.Header.Set("Authorization", "Bearer T")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"value"`) {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not return after cancel")
	}
	if !strings.Contains(stderr.String(), "path=/v1.0/engagements/referrals") || !strings.Contains(stderr.String(), "status=200") {
		t.Errorf("request not logged: %q", stderr.String())
	}
	if _, err := http.Get(base + "/_sandbox/referrals"); err == nil {
		t.Errorf("still serving after return")
	}
}

func TestSandboxCommandRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "0.0.0.0:0"},
		{"--addr", "192.0.2.1:8765"},
		{"--addr", "example.com:8765"},
		{"--addr", "no-port"},
		{"--fail-rate", "1.5"},
		{"--drop-rate", "-0.1"},
		{"--conflict-rate", "2"},
		{"--rate-limit", "-1"},
		{"--latency", "-1s"},
		{"--decline-rate", "1.1"},
		{"--reject-rate", "-0.5"},
		{"--expire-after", "-1h"},
		{"--review-after", "-1m"},
		{"--bogus"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		err := runSandboxCmd(context.Background(), append([]string{"--quiet"}, args...), env{stdout: &out, stderr: &errOut})
		if !errors.Is(err, refbatch.ErrUsage) {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}

func TestSandboxCommandEmptyHostIsLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runSandboxCmd(ctx, []string{"--addr", ":0", "--quiet"}, env{stdout: &stdout, stderr: io.Discard})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "listening on") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "sandbox listening on http://127.0.0.1:") {
		t.Errorf("stdout %q", stdout.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("err %v", err)
	}
}

// startSandboxCmd runs `refbatch sandbox args…` until the test ends and
// returns its base URL, its stdout and a stop function that waits for it.
func startSandboxCmd(t *testing.T, args ...string) (base string, stdout *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runSandboxCmd(ctx, append([]string{"--addr", "127.0.0.1:0", "--quiet"}, args...), env{stdout: stdout, stderr: io.Discard})
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stdout %q", stdout.String())
		}
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("returned early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		for _, line := range strings.Split(stdout.String(), "\n") {
			if u, ok := strings.CutPrefix(line, "sandbox listening on "); ok {
				base = strings.TrimSpace(u)
			}
		}
	}
	return base, stdout, stop
}

// sandboxCall sends one API request with any token and returns the status
// and body.
func sandboxCall(t *testing.T, method, url, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer T")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSandboxOptionsFromTables(t *testing.T) {
	builtin, err := rules.LoadTables("")
	if err != nil {
		t.Fatal(err)
	}
	catalog, fx := builtin.AzureIPCoSellSolutions(), builtin.FXToUSD()
	for _, id := range []string{"DEAL-123456-XYZ", "SOL-34104-EBB", "SOL-8163-XCJ"} {
		if !slices.Contains(catalog, id) {
			t.Errorf("catalog %v lacks %s, eligible in the built-in solutions table", catalog, id)
		}
	}
	if slices.Contains(catalog, "SOL-34104-EBA") {
		t.Errorf("catalog %v holds SOL-34104-EBA, not eligible in the table", catalog)
	}
	if fx["USD"] != 1 || fx["EUR"] != 1.16 || fx["GBP"] != 1.34 {
		t.Errorf("fx USD %g EUR %g GBP %g, want 1, 1.16 (newest) and 1.34", fx["USD"], fx["EUR"], fx["GBP"])
	}
	// Every rate the rules can convert with, the sandbox can too, and the
	// two agree on a deal's value in USD.
	for cur, rate := range fx {
		if got := builtin.USD(100000, cur, time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)); math.Abs(got-100000*rate) > 0.01 {
			t.Errorf("%s: rules say USD %.2f, sandbox rate %g", cur, got, rate)
		}
	}
}

// eligibleBody is a create body for a Shared referral naming one solution.
func eligibleBody(solution string) string {
	return `{"name":"Trey Research lab data","type":"Shared",
		"customerProfile":{"name":"Trey Research","address":{"country":"US"},"isMatchingComplete":true},
		"consent":{"consentToShareReferralWithMicrosoftSellers":true},
		"details":{"dealValue":88000,"currency":"USD","requirements":{"solutions":[{"id":"` + solution + `"}]}}}`
}

// solutionPolicy creates a referral naming solution and reports whether the
// sandbox finds it isSolutionIncentiveEligible.
func solutionPolicy(t *testing.T, base, solution string) bool {
	t.Helper()
	status, body := sandboxCall(t, http.MethodPost, base+"/v1.0/engagements/referrals", eligibleBody(solution))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var ref struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(body), &ref)
	status, body = sandboxCall(t, http.MethodPost, base+"/v1.0/engagements/referrals/"+ref.ID+"/dealregistrations/eligibility", "")
	if status != http.StatusOK {
		t.Fatalf("eligibility: %d %s", status, body)
	}
	var el struct {
		PassedPolicies []struct {
			PolicyName string `json:"policyName"`
		} `json:"passedPolicies"`
	}
	json.Unmarshal([]byte(body), &el)
	for _, p := range el.PassedPolicies {
		if p.PolicyName == "isSolutionIncentiveEligible" {
			return true
		}
	}
	return false
}

func TestSandboxCommandUsesTheRulesTables(t *testing.T) {
	t.Run("built-in", func(t *testing.T) {
		base, _, _ := startSandboxCmd(t)
		if !solutionPolicy(t, base, "SOL-8163-XCJ") {
			t.Error("SOL-8163-XCJ, eligible in the built-in solutions table, is not eligible in the sandbox")
		}
		if solutionPolicy(t, base, "SOL-34104-EBA") {
			t.Error("SOL-34104-EBA, not eligible in the table, is eligible in the sandbox")
		}
	})
	t.Run("--tables", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "solutions.csv"), []byte("id,name,azure_ip_cosell_eligible\nSOL-MINE-1,Mine,yes\nSOL-8163-XCJ,Contoso Solution,no\n"), 0o644)
		base, _, _ := startSandboxCmd(t, "--tables", dir)
		if !solutionPolicy(t, base, "SOL-MINE-1") || solutionPolicy(t, base, "SOL-8163-XCJ") {
			t.Error("the sandbox does not use the --tables solutions catalog")
		}
	})
	t.Run("bad --tables", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "solutions.csv"), []byte("nope\n"), 0o644)
		err := runSandboxCmd(context.Background(), []string{"--quiet", "--addr", "127.0.0.1:0", "--tables", dir}, env{stdout: io.Discard, stderr: io.Discard})
		if err == nil || !strings.Contains(err.Error(), "solutions.csv") {
			t.Errorf("err %v, want one naming solutions.csv", err)
		}
	})
}

func TestSandboxCommandState(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rehearsal.state")
	base, stdout, stop := startSandboxCmd(t, "--state", file)
	if !strings.Contains(stdout.String(), "state kept in "+file+" (0 referrals)") {
		t.Errorf("stdout %q", stdout.String())
	}
	status, body := sandboxCall(t, http.MethodPost, base+"/v1.0/engagements/referrals", eligibleBody("SOL-8163-XCJ"))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	base, stdout, _ = startSandboxCmd(t, "--state", file, "--conflict-rate", "1")
	if !strings.Contains(stdout.String(), "(1 referrals)") {
		t.Errorf("stdout after a restart %q", stdout.String())
	}
	_, dump := sandboxCall(t, http.MethodGet, base+"/_sandbox/referrals", "")
	var refs []struct {
		ID   string `json:"id"`
		ETag string `json:"eTag"`
	}
	json.Unmarshal([]byte(dump), &refs)
	if len(refs) != 1 {
		t.Fatalf("after a restart: %s", dump)
	}
	status, body = sandboxCall(t, http.MethodPatch, base+"/v1.0/engagements/referrals/"+refs[0].ID,
		`[{"op":"replace","path":"/details/notes","value":"x"}]`, "If-Match", refs[0].ETag)
	if status != http.StatusPreconditionFailed {
		t.Errorf("--conflict-rate 1: patch %d %s, want 412", status, body)
	}

	corrupt := filepath.Join(t.TempDir(), "corrupt.state")
	os.WriteFile(corrupt, []byte("{not json\n"), 0o600)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"sandbox", "--quiet", "--addr", "127.0.0.1:0", "--state", corrupt}, strings.NewReader(""), io.Discard, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), corrupt) {
		t.Errorf("corrupt state: exit %d, stderr %q", code, stderr.String())
	}
}
