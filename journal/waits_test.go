package journal_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

// TestWaits: a wait is written with its row's waiting outcome, read back by
// WaitsOf (without facts) and Waiting (with them); it follows its row when
// the row moves, and goes when the row is re-planned or deleted.
func TestWaits(t *testing.T) {
	ctx := context.Background()
	j := mustOpen(t, tempPath(t))
	run := testRun("r1", t0)
	if err := j.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	rows := makeRows(4) // rows 2..5
	if err := j.PutRows(ctx, run.ID, rows); err != nil {
		t.Fatal(err)
	}
	wait := func(row int) refbatch.Changes {
		rec := rows[row-2]
		rec.Outcome, rec.Error = refbatch.OutcomeWaiting, "register waits"
		return refbatch.Changes{Run: run.ID, Outcome: &rec, Wait: &refbatch.Wait{
			Run: run.ID, Row: row, Step: refbatch.StepRegister, Reason: refbatch.WaitAcceptance,
			Since: t0, Checked: t0.Add(time.Hour), NextCheck: t0.Add(time.Hour), Deadline: t0.Add(14 * 24 * time.Hour),
			Facts: json.RawMessage(`{"Number":` + string(rune('0'+row)) + `}`),
		}}
	}
	for _, n := range []int{2, 3, 4} {
		if err := j.Record(ctx, wait(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Record(ctx, refbatch.Changes{Run: run.ID, Wait: &refbatch.Wait{Run: run.ID, Row: 5}}); err == nil {
		t.Error("a wait without its times was accepted")
	}

	ws, err := j.WaitsOf(ctx, run.ID, []int{2, 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Row != 2 || ws[0].Facts != nil || !ws[0].Deadline.Equal(t0.Add(14*24*time.Hour)) || ws[0].Reason != refbatch.WaitAcceptance {
		t.Fatalf("WaitsOf: %+v", ws)
	}

	// Row 4 finishes: no longer sync's. Row 3 moves to 9. Row 2 is re-planned
	// (a new content hash).
	done := rows[2]
	done.Outcome = refbatch.OutcomeRegistered
	if err := j.SetOutcome(ctx, run.ID, done); err != nil {
		t.Fatal(err)
	}
	if err := j.MoveRows(ctx, run.ID, map[int]int{3: 9}); err != nil {
		t.Fatal(err)
	}
	replanned := rows[0]
	replanned.Hash = "changed"
	if err := j.PutRows(ctx, run.ID, []refbatch.RowRecord{replanned}); err != nil {
		t.Fatal(err)
	}
	all, err := j.Waiting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Row != 9 || string(all[0].Facts) != `{"Number":3}` {
		t.Fatalf("Waiting: %+v, want only the moved row 3, now 9, with its facts", all)
	}
	if err := j.DeleteRows(ctx, run.ID, []int{9}); err != nil {
		t.Fatal(err)
	}
	if all, err := j.Waiting(ctx); err != nil || len(all) != 0 {
		t.Fatalf("Waiting after the row was deleted: %+v %v", all, err)
	}
}
