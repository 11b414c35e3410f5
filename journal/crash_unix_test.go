//go:build unix

package journal_test

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

const crashEnv = "REFBATCH_JOURNAL_CRASH_PATH"

// TestMain lets TestKilledAfterStepSent re-execute the test binary as the
// process that gets killed.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return // not reached
	}
	os.Exit(m.Run())
}

// crashChild records a step as sent and kills itself with SIGKILL the
// moment StepSent returns: no deferred function, no Close, no checkpoint.
func crashChild(path string) {
	ctx := context.Background()
	j, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		os.Exit(3)
	}
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		os.Exit(4)
	}
	s := refbatch.StepRecord{Run: "r1", Row: 7, Step: refbatch.StepCreate, ClientRequestID: "crid-7", SentAt: t0}
	if err := j.StepSent(ctx, s); err != nil {
		os.Exit(5)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func TestKilledAfterStepSent(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := tempPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	err := cmd.Run()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL left by the killed process: %v", err)
	}
	// status after a crash reads the WAL the dead process left; then a
	// resume opens it for writing (the dead process's lock died with it).
	r, err := journal.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	checkSentStep(t, r)
	r.Close()
	checkSentStep(t, mustOpen(t, path))
}

func checkSentStep(t *testing.T, j *journal.Journal) {
	t.Helper()
	steps, err := j.Steps(context.Background(), "r1")
	if err != nil || len(steps) != 1 {
		t.Fatalf("steps after the kill: %+v, %v", steps, err)
	}
	if s := steps[0]; s.State != refbatch.StateSent || s.Attempts != 1 || s.ClientRequestID != "crid-7" || !s.SentAt.Equal(t0) {
		t.Fatalf("step after the kill: %+v", s)
	}
}
