package batch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// A client with no journal and no endpoint validates files offline. The
// zero Config uses the built-in rules and tables, so country names such as
// "Japan" and "UK" read as ISO codes. Now fixes the date the rules see as
// today (a closing date in the past is a warning).
func ExampleClient_Validate() {
	today := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	c, err := batch.NewClient(nil, batch.Endpoint{}, batch.Config{Now: today})
	if err != nil {
		panic(err)
	}
	v, err := c.Validate(context.Background(), "testdata/creates.csv", batch.Hooks{
		Row: func(row *refbatch.Row, findings []refbatch.Finding) error {
			fmt.Printf("row %d: %s, %s, %d findings\n", row.Number, row.ExternalReferenceID, row.Country, len(findings))
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d rows, %d valid, %d errors\n", v.Summary.Rows, v.Summary.Valid, v.Summary.Errors)
	// Output:
	// row 2: EX-1, US, 0 findings
	// row 3: EX-2, DE, 0 findings
	// row 4: EX-3, JP, 0 findings
	// row 5: EX-4, GB, 0 findings
	// 4 rows, 4 valid, 0 errors
}

// Run a file against a sandbox served in this process, with a journal on
// disk; run it again and nothing is created twice.
func ExampleClient_Run() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{})
	if err != nil {
		panic(err)
	}
	defer sb.Close()
	jr, err := batch.OpenJournal(ctx, filepath.Join(dir, "refbatch.db"), true)
	if err != nil {
		panic(err)
	}
	defer jr.Close()
	c, err := batch.NewClient(jr, sb.Endpoint(), batch.Config{})
	if err != nil {
		panic(err)
	}
	for range 2 {
		res, err := c.Run(ctx, "testdata/creates.csv")
		if err != nil {
			panic(err)
		}
		fmt.Printf("created %d, unchanged %d\n", res.Counts[refbatch.OutcomeCreated], res.Counts[refbatch.OutcomeUnchanged])
	}
	fmt.Println("referrals in Partner Center:", len(sb.Server().Referrals()))
	// Output:
	// created 4, unchanged 0
	// created 0, unchanged 4
	// referrals in Partner Center: 4
}

// A run stopped with its creates in flight (StopAndCancel, the second
// Ctrl-C, or a crash) leaves them in doubt; Resume reconciles them with
// Partner Center before anything is sent again, so each row has its effect
// once.
func ExampleClient_Resume() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	slow := &sandbox.Options{Faults: sandbox.Faults{Latency: 500 * time.Millisecond}}
	sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{Options: slow})
	if err != nil {
		panic(err)
	}
	defer sb.Close()
	jr, err := batch.OpenJournal(ctx, filepath.Join(dir, "refbatch.db"), true)
	if err != nil {
		panic(err)
	}
	defer jr.Close()
	var c *batch.Client
	var sent atomic.Int32
	c, err = batch.NewClient(jr, sb.Endpoint(), batch.Config{Concurrency: 4, Observer: batch.Observer{
		// The second Ctrl-C (or a crash) with every create in flight.
		StepSent: func(row int, step refbatch.StepName) {
			if step == refbatch.StepCreate && sent.Add(1) == 4 {
				c.StopAndCancel()
			}
		},
	}})
	if err != nil {
		panic(err)
	}
	res, err := c.Run(ctx, "testdata/creates.csv")
	fmt.Println("run stopped:", errors.Is(err, context.Canceled), res.Counts[refbatch.OutcomeInDoubt], "in doubt")

	res, err = c.Resume(ctx, batch.ResumeOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("resume:", res.Counts[refbatch.OutcomeCreated], "created")
	fmt.Println("referrals in Partner Center:", len(sb.Server().Referrals()))
	// Output:
	// run stopped: true 4 in doubt
	// resume: 4 created
	// referrals in Partner Center: 4
}

// Export writes the input rows with their outcome and Partner Center ids.
func ExampleClient_Export() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	sb, _ := batch.StartSandbox(ctx, batch.SandboxConfig{})
	defer sb.Close()
	jr, _ := batch.OpenJournal(ctx, filepath.Join(dir, "refbatch.db"), true)
	defer jr.Close()
	c, _ := batch.NewClient(jr, sb.Endpoint(), batch.Config{})
	if _, err := c.Run(ctx, "testdata/creates.csv"); err != nil {
		panic(err)
	}
	ex, err := c.Export(ctx, batch.ExportOptions{Out: filepath.Join(dir, "results.csv")})
	if err != nil {
		panic(err)
	}
	fmt.Println(ex.Rows, "rows exported,", ex.Counts[refbatch.OutcomeCreated], "created")
	// Output:
	// 4 rows exported, 4 created
}
