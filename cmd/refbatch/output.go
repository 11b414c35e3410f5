package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/journal"
)

// runOutput is what run and resume print: the input's validation line,
// progress, and the summary with the rows that need attention.
type runOutput struct {
	e        env
	quiet    bool
	today    string // --today of a rehearsal, repeated in the validate hint
	now      func() time.Time
	nowOrNil func() time.Time // the clock a test injected, nil for the real one
	prog     atomic.Pointer[progress]
}

func newRunOutput(e env, quiet bool, now func() time.Time) *runOutput {
	o := &runOutput{e: e, quiet: quiet, now: now, nowOrNil: now}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

func (o *runOutput) observer() batch.Observer {
	return batch.Observer{
		Started: func(s batch.Started) {
			w := o.e.stdout
			if s.PolicyChanged && s.Resumed {
				fmt.Fprintf(w, "note: the rules or reference tables changed since run %s started; the rows left are checked with the current ones\n", s.Run.ID)
			}
			if s.Replanned > 0 {
				fmt.Fprintf(w, "%s changed since the run started: %s re-planned\n", s.Run.InputPath, plural(s.Replanned, "row", "rows"))
			}
			if !s.Resumed {
				in := s.Input
				fmt.Fprintf(w, "%s: %s\n", s.Run.InputPath, inputCounts(in))
				if in.Errors > 0 {
					fmt.Fprintf(w, "rows with errors are skipped; see them with: %s\n", o.validateHint(s.Run))
				}
			}
			p := newProgress(o.e.stderr, o.quiet, s.Rows, o.now)
			p.already(s.Finished)
			// Rows skipped for errors and total rows are never sent: they
			// are finished from the start, no RowFinished comes for them.
			p.skipped.Add(int64(s.Input.RowsWithErrors() + s.Input.NotLoaded))
			o.prog.Store(p)
		},
		RowFinished: func(rec refbatch.RowRecord) {
			if p := o.prog.Load(); p != nil {
				p.done(rec.Outcome)
			}
		},
		Request: func(status int) {
			if p := o.prog.Load(); p != nil {
				p.request(status)
			}
		},
	}
}

// validateHint is the validate command that writes the run's findings to a
// report: as of the rehearsal's --today, and for a rehearsal on the
// embedded sandbox into the .refbatch/ folder beside the input that holds
// its journal (git ignores it in a checkout), not into the current folder.
func (o *runOutput) validateHint(run refbatch.RunInfo) string {
	report := "findings.xlsx"
	if strings.HasPrefix(run.Endpoint, "sandbox:") {
		report = filepath.Join(filepath.Dir(run.InputPath), ".refbatch", "findings.xlsx")
	}
	cmd := "refbatch validate " + batch.ShellQuote(run.InputPath)
	if o.today != "" {
		cmd += " --today " + o.today
	}
	return cmd + " --report " + batch.ShellQuote(report)
}

// start builds the client of a run or resume with its output wired in,
// and lets the first Ctrl-C stop it (the second cancels ctx).
func (o *runOutput) start(jr *journal.Journal, ep batch.Endpoint, exec *execFlags, in batch.InputOptions, today func() time.Time) (*batch.Client, error) {
	cfg := exec.config(in, o.nowOrNil, today, o.e.stderr)
	cfg.Observer = o.observer()
	c, err := batch.NewClient(jr, ep, cfg)
	if err != nil {
		return nil, err
	}
	o.e.interrupts.onFirst(c.Stop)
	return c, nil
}

// finish prints the result and returns the error that sets the exit code.
func (o *runOutput) finish(res *batch.Result, err error) error {
	if p := o.prog.Load(); p != nil {
		p.finish()
	}
	if res == nil {
		return err
	}
	w := o.e.stdout
	verb := "run"
	if res.Resumed {
		verb = "resume of run"
	}
	fmt.Fprintf(w, "%s %s: %s, journal %s\n", verb, res.Run.ID, res.Run.InputPath, res.Journal)
	fmt.Fprintln(w, res.Outcomes())
	rate := 0.0
	if s := res.Elapsed.Seconds(); s > 0 {
		rate = float64(res.Requests) / s
	}
	fmt.Fprintf(w, "%s in %s (%.1f/s), %d throttled\n", plural(int(res.Requests), "request", "requests"), res.Elapsed.Round(time.Millisecond), rate, res.Throttled)
	if len(res.Problems) > 0 {
		printProblems(w, res.Problems)
	}
	hint := "The journal is consistent. To finish: " + res.ResumeCommand()
	switch {
	case err != nil && !errors.Is(err, refbatch.ErrFindings) && !errors.Is(err, refbatch.ErrWaiting):
		fmt.Fprintf(w, "\n%s\n", hint)
	case res.Unfinished > 0:
		fmt.Fprintf(w, "\n%d rows are not finished (in doubt or pending).\n%s\n", res.Unfinished, hint)
	case res.Retryable > 0:
		fmt.Fprintf(w, "\n%s failed on a passing error (throttling, 5xx, a concurrent edit); retry them with: %s\n",
			plural(res.Retryable, "row", "rows"), res.ResumeCommand())
	}
	if res.Waiting > 0 {
		fmt.Fprintf(w, "\n%s for Partner Center (Microsoft to accept a co-sell referral, or a deal to be old enough to register); each is checked again, until its deadline, by: %s\n",
			plural(res.Waiting, "row waits", "rows wait"), res.SyncCommand())
	}
	return err
}

const maxFailedPrinted = 20

func printProblems(w interface{ Write([]byte) (int, error) }, rows []refbatch.RowRecord) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tOUTCOME\tWHY")
	for i, r := range rows {
		if i == maxFailedPrinted {
			fmt.Fprintf(tw, "…\t\t%d more: refbatch status --rows, or refbatch export\n", len(rows)-i)
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", r.Number, r.Outcome, oneLine(r.Error))
	}
	tw.Flush()
}
