package journal_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

// TestUnfinishedSteps: resume reads only the steps of rows that are not
// finished (pending, in doubt, failed), not those of finished rows.
func TestUnfinishedSteps(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "j.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	run := refbatch.RunID("r1")
	if err := j.CreateRun(ctx, refbatch.RunInfo{ID: run, InputPath: "in.csv", Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	outcomes := []refbatch.Outcome{refbatch.OutcomeCreated, refbatch.OutcomePending, refbatch.OutcomeInDoubt,
		refbatch.OutcomeFailed, refbatch.OutcomeUnchanged, refbatch.OutcomeSkippedInvalid}
	var rows []refbatch.RowRecord
	for i, o := range outcomes {
		rows = append(rows, refbatch.RowRecord{Number: i + 2, Action: "create", Valid: true, Outcome: o})
	}
	if err := j.PutRows(ctx, run, rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := j.StepSent(ctx, refbatch.StepRecord{Run: run, Row: r.Number, Step: refbatch.StepCreate, State: refbatch.StateSent, SentAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.UnfinishedSteps(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{3: true, 4: true, 5: true}
	if len(got) != len(want) {
		t.Fatalf("%d unfinished steps, want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		if !want[s.Row] {
			t.Errorf("step of finished row %d returned", s.Row)
		}
	}
	all, err := j.Steps(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(rows) {
		t.Errorf("Steps returned %d, want %d", len(all), len(rows))
	}
	// StepsOf reads the rows asked for, and only them.
	some, err := j.StepsOf(ctx, run, []int{2, 5, 99})
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != 2 || some[0].Row != 2 || some[1].Row != 5 {
		t.Errorf("StepsOf(2, 5, 99) = %+v, want the steps of rows 2 and 5", some)
	}
}

// TestRowDigestsAndRowsOf: the light read of every row and the full read of
// chosen rows agree with Rows.
func TestRowDigestsAndRowsOf(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "j.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	run := refbatch.RunID("r1")
	if err := j.CreateRun(ctx, refbatch.RunInfo{ID: run, InputPath: "in.csv", Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var rows []refbatch.RowRecord
	for i := 0; i < 1200; i++ {
		rows = append(rows, refbatch.RowRecord{Number: i + 2, Action: "create", Valid: true, Hash: "h" + string(rune('a'+i%26)),
			Outcome: refbatch.OutcomeCreated, ReferralID: "ref"})
	}
	if err := j.PutRows(ctx, run, rows); err != nil {
		t.Fatal(err)
	}
	digests, err := j.RowDigests(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(digests) != len(rows) || digests[5].Number != 7 || digests[5].Hash != rows[5].Hash || digests[5].Outcome != refbatch.OutcomeCreated {
		t.Fatalf("digests: %d, sixth %+v", len(digests), digests[5])
	}
	want := []int{2, 600, 1201, 5000} // 5000 does not exist; more than one chunk of 500
	for n := 3; n < 1000; n += 2 {
		want = append(want, n)
	}
	got, err := j.RowsOf(ctx, run, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want)-1 {
		t.Fatalf("RowsOf: %d rows, want %d", len(got), len(want)-1)
	}
	for _, r := range got {
		if r != rows[r.Number-2] {
			t.Errorf("row %d: %+v, want %+v", r.Number, r, rows[r.Number-2])
		}
	}
}
