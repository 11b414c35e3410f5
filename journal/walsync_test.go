//go:build unix

package journal_test

import (
	"context"
	"sync"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

// TestWritesWaitForTheirSync: every write a caller waited for, and every
// RecordLater write once Flush returned, was covered by an fsync of the
// write-ahead log; commits and fsyncs go one for one, each commit carrying
// the writes that waited while the last fsync ran.
func TestWritesWaitForTheirSync(t *testing.T) {
	ctx := context.Background()
	j := mustOpen(t, tempPath(t))
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Syncs != st.Commits || st.Syncs == 0 {
		t.Fatalf("after CreateRun: %+v, want one fsync a commit", st)
	}
	const workers, perWorker = 32, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				s := refbatch.StepRecord{Run: "r1", Row: w*perWorker + i, Step: refbatch.StepCreate, ClientRequestID: "c"}
				if err := j.Record(ctx, refbatch.Changes{Run: "r1", Sent: &s}); err != nil {
					t.Error(err)
					return
				}
				s.State, s.ReferralID = refbatch.StateDone, "ref"
				j.RecordLater(refbatch.Changes{Run: "r1", Finished: []refbatch.StepRecord{s}})
			}
		})
	}
	wg.Wait()
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := j.Stats()
	t.Logf("%+v: %.1f writes a commit", st, float64(st.Writes)/float64(st.Commits))
	if st.Writes != 1+2*workers*perWorker {
		t.Errorf("%d writes, want %d", st.Writes, 1+2*workers*perWorker)
	}
	if st.Syncs != st.Commits {
		t.Errorf("%d fsyncs for %d commits, want one each", st.Syncs, st.Commits)
	}
	steps, err := j.Steps(ctx, "r1")
	if err != nil || len(steps) != workers*perWorker {
		t.Fatalf("%d steps, %v", len(steps), err)
	}
	for _, s := range steps {
		if s.State != refbatch.StateDone {
			t.Fatalf("step %+v not done after Flush", s)
		}
	}
}

// TestMemoryJournalDoesNotSync: an in-memory journal has no file to sync.
func TestMemoryJournalDoesNotSync(t *testing.T) {
	j := mustOpen(t, journal.Memory)
	if err := j.CreateRun(context.Background(), testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Commits != 1 || st.Syncs != 0 {
		t.Errorf("%+v, want 1 commit and no fsync", st)
	}
}
