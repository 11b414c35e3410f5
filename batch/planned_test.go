package batch_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
)

// TestResumePlansWhatAKillLeftUnplanned: a run is recorded before its rows
// are planned, a chunk at a time. A kill in between leaves a run with part
// of its rows; resume plans the rest before it goes on, so every row of
// the file loads, once.
func TestResumePlansWhatAKillLeftUnplanned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, nil)
	input := filepath.Join(dir, "in.csv")
	const rows = 1200
	writeCreates(t, input, 0, rows, false)
	jpath := filepath.Join(dir, "j.db")
	res, err := newClient(t, jpath, sb.Endpoint(), batch.Config{}).Run(ctx, input)
	if err != nil || res.Counts[refbatch.OutcomeCreated] != rows {
		t.Fatalf("run: %v %v", res, err)
	}
	// The journal as a kill after the first planned chunk leaves it:
	// nothing sent for the rows after it, nor planned. (The sandbox keeps
	// the referrals they made: resume must find them, not create them.)
	if jr, ok := openJournals[jpath]; ok {
		jr.Close()
		delete(openJournals, jpath)
	}
	db, err := sql.Open("sqlite", jpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DELETE FROM steps WHERE row > 501`, `DELETE FROM rows WHERE number > 501`,
		`UPDATE runs SET planned = NULL, finished = NULL`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()

	if _, err := newClient(t, jpath, sb.Endpoint(), batch.Config{}).Resume(ctx, batch.ResumeOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := newClient(t, jpath, batch.Endpoint{}, batch.Config{}).Status(ctx, batch.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Rows != rows || st[0].Outcomes[refbatch.OutcomePending] != 0 || st[0].Finished == nil {
		t.Errorf("after resume: %d rows %v, finished %v; want %d, all final", st[0].Rows, st[0].Outcomes, st[0].Finished, rows)
	}
	for id, n := range partnerCounts(sb) {
		if n != 1 {
			t.Errorf("%s: %d referrals", id, n)
		}
	}
}
