package journal_test

import (
	"context"
	"sync"
	"testing"

	"github.com/refbatch/refbatch"
)

// TestStatsCountsTheGroupCommit: Stats counts every write once and every
// transaction once; writes that wait together share a transaction.
func TestStatsCountsTheGroupCommit(t *testing.T) {
	ctx := context.Background()
	j := mustOpen(t, tempPath(t))
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Commits != 1 || st.Writes != 1 {
		t.Fatalf("after CreateRun: %+v, want one commit of one write", st)
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
	if want := int64(1 + 2*workers*perWorker); st.Writes != want {
		t.Errorf("%d writes, want %d", st.Writes, want)
	}
	if st.Commits > st.Writes || st.Commits < 2 {
		t.Errorf("%d commits for %d writes", st.Commits, st.Writes)
	}
}
