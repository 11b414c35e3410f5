// Command embed loads a spreadsheet into refbatch's sandbox with a journal;
// killed and started again, it resumes: `go run . FILE JOURNAL STATE`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/refbatch/refbatch/batch"
)

func main() {
	if err := load(context.Background(), os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func load(ctx context.Context, file, journal, state string) error {
	sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{StateFile: state})
	if err != nil {
		return err
	}
	defer sb.Close()
	jr, err := batch.OpenJournal(ctx, journal, true)
	if err != nil {
		return err
	}
	defer jr.Close()
	c, err := batch.NewClient(jr, sb.Endpoint(), batch.Config{})
	if err != nil {
		return err
	}
	res, err := c.RunOrResume(ctx, file)
	fmt.Println(res)
	return err
}
