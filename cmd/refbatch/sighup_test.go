//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// TestSIGHUPIsAFirstCtrlC: a closed terminal (SIGHUP) stops a run as a
// first Ctrl-C does: it finishes the requests in flight, exits 130 and
// prints the resume line; the resume then finishes every row once.
func TestSIGHUPIsAFirstCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	base := startSandboxProcess(t, bin, "--latency", "40ms")
	input := filepath.Join(dir, "in.csv")
	rows := [][]string{smallHeader}
	for i := range 200 {
		rows = append(rows, smallCreate("HUP-"+string(rune('A'+i/26))+string(rune('A'+i%26))))
	}
	writeCSV(t, input, rows)
	jpath := filepath.Join(dir, "j.db")

	cmd := exec.Command(bin, "run", "--quiet", "--concurrency", "2", "--settle", "200ms", "--endpoint", base, "--journal", jpath, input)
	cmd.Env = append(os.Environ(), "REFBATCH_TOKEN=t")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Hang up once the rows are under way: 20 referrals in Partner Center.
	for sandboxCount(t, base) < 20 {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("after SIGHUP: %v, want exit %d\n%s\n%s", err, exitInterrupted, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "refbatch resume --journal") {
		t.Errorf("no resume line after SIGHUP:\n%s", out.String())
	}
	resume := exec.Command(bin, "resume", "--quiet", "--settle", "200ms", "--journal", jpath)
	resume.Env = cmd.Env
	if b, err := resume.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	if n := sandboxCount(t, base); n != 200 {
		t.Errorf("%d referrals after the resume, want 200", n)
	}
}

// sandboxCount is how many referrals the sandbox at base holds.
func sandboxCount(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + sandbox.AdminReferralsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var refs []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&refs); err != nil {
		t.Fatal(err)
	}
	return len(refs)
}
