package batch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
)

// TestRunCountsEveryRow: a file with three creates, a total row and a row
// with errors. The run records all five (3 created, 1 not-loaded, 1
// skipped-invalid), sends nothing for the last two, and its progress adds
// up: Started.Finished counts the two rows planning finished, RowFinished
// comes for the three it sends, so a progress bar reaches 5 of 5.
func TestRunCountsEveryRow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 3, false)
	f, err := os.OpenFile(input, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("Total,,,,,150000,,\r\nBAD-1,Deal bad,Private,,US,lots,USD,2027-09-30\r\n") // rows 5 and 6
	f.Close()

	var started batch.Started
	var finished atomic.Int64
	sb := startSandbox(t, nil)
	c := newClient(t, filepath.Join(dir, "j.db"), sb.Endpoint(), batch.Config{Observer: batch.Observer{
		Started:     func(s batch.Started) { started = s },
		RowFinished: func(refbatch.RowRecord) { finished.Add(1) },
	}})
	res, err := c.Run(ctx, input)
	if !errors.Is(err, refbatch.ErrFindings) {
		t.Fatalf("run: %v (the row with errors is skipped)", err)
	}
	want := map[refbatch.Outcome]int{refbatch.OutcomeCreated: 3, refbatch.OutcomeNotLoaded: 1, refbatch.OutcomeSkippedInvalid: 1}
	for o, n := range want {
		if res.Counts[o] != n {
			t.Errorf("%s: %d, want %d (%v)", o, res.Counts[o], n, res.Counts)
		}
	}
	if in := res.Input; in.Rows != 5 || in.Valid != 3 || in.NotLoaded != 1 || in.RowsWithErrors() != 1 {
		t.Errorf("input summary %+v", in)
	}
	if started.Rows != 5 || started.Finished != 2 || finished.Load() != 3 {
		t.Errorf("progress: %d rows, %d finished by planning, %d finished by the run", started.Rows, started.Finished, finished.Load())
	}
	if got := len(partnerCounts(sb)); got != 3 {
		t.Errorf("%d referrals on the sandbox, want 3", got)
	}
	// A total row is no problem to list; the row with errors is.
	if len(res.Problems) != 1 || res.Problems[0].Number != 6 {
		t.Errorf("problems %+v", res.Problems)
	}
}
