package batch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// stopWithCreatesInDoubt runs input and stops it hard (the second Ctrl-C,
// as a crash would) once n creates are on their way: they are in doubt.
func stopWithCreatesInDoubt(t *testing.T, jpath, input string, sb *batch.Sandbox, n int32) {
	t.Helper()
	var c *batch.Client
	var sent atomic.Int32
	c = newClient(t, jpath, sb.Endpoint(), batch.Config{Concurrency: int(n), Observer: batch.Observer{
		StepSent: func(row int, step refbatch.StepName) {
			if step == refbatch.StepCreate && sent.Add(1) == n {
				c.StopAndCancel()
			}
		},
	}})
	res, err := c.Run(context.Background(), input)
	if !errors.Is(err, context.Canceled) || res.Counts[refbatch.OutcomeInDoubt] != int(n) {
		t.Fatalf("the stopped run: %v %v", res, err)
	}
}

// TestInsertedRowDuringACrash: creates in doubt, then a row inserted at the
// top of the sheet (every row number shifts): resume --allow-changed
// matches the rows by key and content, reconciles the creates under their
// new numbers and re-plans only the new row. Every row once.
func TestInsertedRowDuringACrash(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, &sandbox.Options{Faults: sandbox.Faults{Latency: 300 * time.Millisecond}})
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 1, 4, false)
	jpath := filepath.Join(dir, "j.db")
	stopWithCreatesInDoubt(t, jpath, input, sb, 4)

	b, _ := os.ReadFile(input)
	lines := strings.SplitN(string(b), "\n", 2)
	if err := os.WriteFile(input, []byte(lines[0]+"\nBENCH-0000000,Deal 0,Private,Customer 0,US,50000,USD,2027-09-30\n"+lines[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, jpath, sb.Endpoint(), batch.Config{})
	res, err := c.Resume(context.Background(), batch.ResumeOptions{AllowChanged: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replanned != 1 || res.Counts[refbatch.OutcomeCreated] != 5 {
		t.Errorf("resume: %d re-planned, %v", res.Replanned, res)
	}
	counts := partnerCounts(sb)
	for i := range 5 {
		id := "BENCH-000000" + string(rune('0'+i))
		if counts[id] != 1 {
			t.Errorf("%s: %d referrals, want 1", id, counts[id])
		}
	}
}

// TestEditedRowInDoubtIsRefused: a row whose create may have been applied
// is edited before resume --allow-changed: the resume is refused (nothing
// sent), naming the row; put back, the resume finishes exactly once.
func TestEditedRowInDoubtIsRefused(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, &sandbox.Options{Faults: sandbox.Faults{Latency: 300 * time.Millisecond}})
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 3, false)
	original, _ := os.ReadFile(input)
	jpath := filepath.Join(dir, "j.db")
	stopWithCreatesInDoubt(t, jpath, input, sb, 3)
	time.Sleep(400 * time.Millisecond) // the slow sandbox commits what it took
	before := len(sb.Server().Referrals())

	edited := strings.Replace(string(original), "Deal 1,", "Deal 1 (bigger),", 1)
	if err := os.WriteFile(input, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := newClient(t, jpath, sb.Endpoint(), batch.Config{}).Resume(context.Background(), batch.ResumeOptions{AllowChanged: true})
	if !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), "row 3 changed") {
		t.Fatalf("resume over an edited row in doubt: %v", err)
	}
	if after := len(sb.Server().Referrals()); after != before {
		t.Errorf("%d requests' worth of referrals made by a refused resume", after-before)
	}
	if err := os.WriteFile(input, original, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, jpath, sb.Endpoint(), batch.Config{}).Resume(context.Background(), batch.ResumeOptions{}); err != nil {
		t.Fatal(err)
	}
	for id, n := range partnerCounts(sb) {
		if n != 1 {
			t.Errorf("%s: %d referrals", id, n)
		}
	}
}
