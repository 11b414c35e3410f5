package batch_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
)

// TestResumeAfterPlanningCutShort: a run killed after it was journaled but
// before all its rows were (CreateRun, then the kill before the PutRows of
// every chunk, or of the later ones: the state
// TestEmbeddingProgramResumesAfterKill met now and then) is resumed by
// RunOrResume, which must plan and load every row of the file once, not
// finish the run with the rows it has and exit clean.
func TestResumeAfterPlanningCutShort(t *testing.T) {
	for _, planned := range []int{0, 5} {
		t.Run(fmt.Sprintf("%d rows journaled", planned), func(t *testing.T) { resumeAfterPlanningCutShort(t, planned) })
	}
}

func resumeAfterPlanningCutShort(t *testing.T, planned int) {
	ctx := context.Background()
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	const rows = 12
	writeCreates(t, input, 0, rows, false)
	b, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	policy, err := batch.LoadPolicy(batch.InputOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sb := startSandbox(t, nil)
	ep := sb.Endpoint()
	jpath := filepath.Join(dir, "j.db")
	jr, err := batch.OpenJournal(ctx, jpath, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := jr.Bind(ctx, ep.Name, ""); err != nil {
		t.Fatal(err)
	}
	run := refbatch.RunInfo{ID: refbatch.NewRunID(time.Now()), InputPath: input, InputSHA256: hex.EncodeToString(sum[:]),
		RulesHash: policy.Hash(), TablesHash: policy.Tables().Hash(), Options: "{}", Endpoint: ep.Name, Started: time.Now().UTC()}
	if err := jr.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	var recs []refbatch.RowRecord
	for i := range planned { // rows 2 to planned+1, as the first chunk would be
		recs = append(recs, refbatch.RowRecord{Number: i + 2, Key: refbatch.RowKey(fmt.Sprintf("ext:bench-%07d", i)),
			Action: refbatch.ActionCreate, Valid: true, Outcome: refbatch.OutcomePending})
	}
	if err := jr.PutRows(ctx, run.ID, recs); err != nil {
		t.Fatal(err)
	}
	jr.Close()

	res, err := newClient(t, jpath, ep, batch.Config{}).RunOrResume(ctx, input)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !res.Resumed || res.Run.ID != run.ID || res.Counts[refbatch.OutcomeCreated] != rows {
		t.Errorf("resumed %v run %s: %s, want %d created in run %s", res.Resumed, res.Run.ID, res.Outcomes(), rows, run.ID)
	}
	counts := partnerCounts(sb)
	if len(counts) != rows {
		t.Errorf("%d referrals on the sandbox, want %d", len(counts), rows)
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("%s created %d times", id, n)
		}
	}
}
