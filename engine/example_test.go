package engine_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// Execute runs planned rows as journaled steps. Most programs use the
// batch package, which reads the file, plans the rows and keeps the run's
// books; this is the engine alone, against a sandbox, with a journal in
// memory.
func ExampleExecute() {
	ts := httptest.NewServer(sandbox.New(sandbox.Options{}))
	defer ts.Close()
	client, err := partnercenter.NewClient(ts.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("t")))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	jr, err := journal.Open(ctx, journal.Memory, journal.Options{})
	if err != nil {
		panic(err)
	}
	defer jr.Close()
	run := refbatch.RunInfo{ID: "example-run", InputPath: "in.csv", Endpoint: ts.URL}
	if err := jr.CreateRun(ctx, run); err != nil {
		panic(err)
	}

	headers := []string{"CRM ID", "Name", "Deal Type", "Customer Name", "Country", "Deal Value", "Currency", "Closing Date"}
	row, _, err := importer.RowFromRecord(headers, []string{"CRM-1", "Contoso data platform", "Private", "Contoso", "US", "50000", "USD", "2027-09-30"}, importer.Options{})
	if err != nil {
		panic(err)
	}
	rec := refbatch.RowRecord{Number: row.Number, Key: refbatch.KeyOf(row), Action: row.Action, Valid: true, Outcome: refbatch.OutcomePending}
	if err := jr.PutRows(ctx, run.ID, []refbatch.RowRecord{rec}); err != nil {
		panic(err)
	}
	res, err := engine.Execute(ctx, ctx, []*engine.Planned{{Row: row, Record: rec}}, engine.ExecOptions{
		Run: run.ID, API: partnercenter.NewReferrals(client), Mapper: partnercenter.NewMapper(), Journal: jr,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Counts[refbatch.OutcomeCreated], "created,", res.Unfinished(), "unfinished")
	// Output: 1 created, 0 unfinished
}
