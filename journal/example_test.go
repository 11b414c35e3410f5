package journal_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

func Example() {
	dir, _ := os.MkdirTemp("", "journal-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	j, err := journal.Open(ctx, filepath.Join(dir, "refbatch.db"), journal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer j.Close()

	run := refbatch.RunInfo{ID: "20261202T064501Z-3fa9c2d1", InputPath: "deals.xlsx", Endpoint: "sandbox"}
	_ = j.CreateRun(ctx, run)
	_ = j.PutRows(ctx, run.ID, []refbatch.RowRecord{{Number: 2, Action: "create", Valid: true, Outcome: refbatch.OutcomePending}})

	// Before the request leaves, and when its answer is in.
	step := refbatch.StepRecord{Run: run.ID, Row: 2, Step: refbatch.StepCreate, ClientRequestID: "9b1c…"}
	_ = j.StepSent(ctx, step)
	step.State, step.HTTPStatus, step.ReferralID = refbatch.StateDone, 201, "ref-1"
	_ = j.StepFinished(ctx, step)
	_ = j.Remember(ctx, refbatch.Known{ExternalReferenceID: "DEAL-001", ReferralID: "ref-1"})

	steps, _ := j.Steps(ctx, run.ID)
	k, _, _ := j.Lookup(ctx, "deal-001")
	fmt.Println(steps[0].Step, steps[0].State, steps[0].Attempts, k.ReferralID)
	// Output: create done 1 ref-1
}

func ExampleOpen_inUse() {
	dir, _ := os.MkdirTemp("", "journal-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "refbatch.db")
	j, _ := journal.Open(context.Background(), path, journal.Options{})
	defer j.Close()

	_, err := journal.Open(context.Background(), path, journal.Options{})
	fmt.Println(err != nil && errors.Is(err, journal.ErrInUse))
	// Output: true
}
