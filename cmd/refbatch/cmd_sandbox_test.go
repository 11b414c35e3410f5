package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
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
		{"--rate-limit", "-1"},
		{"--latency", "-1s"},
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
