package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

type statusOptions struct {
	journal string
	run     string
	rows    bool
	format  string
}

func runStatusCmd(ctx context.Context, args []string, e env) error {
	var opts statusOptions
	fs := newFlagSet("status", "status [flags] [RUN]", e)
	fs.StringVar(&opts.journal, "journal", "refbatch.db", "journal `FILE`")
	fs.BoolVar(&opts.rows, "rows", false, "list every row of the run with its outcome, ids and error")
	fs.StringVar(&opts.format, "format", "text", "output: text or json")
	if err := fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 1 {
		return usageError("status takes at most one RUN id, got %d arguments", fs.NArg())
	}
	opts.run = fs.Arg(0)
	return runStatus(ctx, opts, e)
}

// runStatus is what status prints: the runs, and for the chosen run its
// rows by outcome.
type statusOfRun struct {
	ID       refbatch.RunID             `json:"id"`
	Input    string                     `json:"input"`
	Endpoint string                     `json:"endpoint"`
	Started  time.Time                  `json:"started"`
	Finished *time.Time                 `json:"finished,omitempty"`
	Rows     int                        `json:"rows"`
	Outcomes map[refbatch.Outcome]int   `json:"outcomes"`
	RowList  []statusRow                `json:"rowList,omitempty"`
	Steps    map[refbatch.StepState]int `json:"steps"`
}

type statusRow struct {
	Row                 int              `json:"row"`
	Action              string           `json:"action"`
	Outcome             refbatch.Outcome `json:"outcome"`
	ReferralID          string           `json:"referralId,omitempty"`
	EngagementID        string           `json:"engagementId,omitempty"`
	MicrosoftReferralID string           `json:"microsoftReferralId,omitempty"`
	ClientRequestID     string           `json:"clientRequestId,omitempty"`
	Error               string           `json:"error,omitempty"`
}

func runStatusFor(ctx context.Context, jr *journal.Journal, run refbatch.RunInfo, withRows bool) (statusOfRun, error) {
	s := statusOfRun{ID: run.ID, Input: run.InputPath, Endpoint: run.Endpoint, Started: run.Started,
		Outcomes: map[refbatch.Outcome]int{}, Steps: map[refbatch.StepState]int{}}
	if !run.Finished.IsZero() {
		f := run.Finished
		s.Finished = &f
	}
	rows, err := jr.Rows(ctx, run.ID)
	if err != nil {
		return s, err
	}
	steps, err := jr.Steps(ctx, run.ID)
	if err != nil {
		return s, err
	}
	lastRequest := latestRequestIDs(steps)
	for _, st := range steps {
		s.Steps[st.State]++
	}
	s.Rows = len(rows)
	for _, r := range rows {
		s.Outcomes[r.Outcome]++
		if withRows {
			s.RowList = append(s.RowList, statusRow{Row: r.Number, Action: r.Action, Outcome: r.Outcome, ReferralID: r.ReferralID,
				EngagementID: r.EngagementID, MicrosoftReferralID: r.MicrosoftReferralID, ClientRequestID: lastRequest[r.Number], Error: r.Error})
		}
	}
	sort.Slice(s.RowList, func(i, j int) bool { return s.RowList[i].Row < s.RowList[j].Row })
	return s, nil
}

// latestRequestIDs returns, per row, the client-request-id of the step
// sent last: the one to quote in a support ticket.
func latestRequestIDs(steps []refbatch.StepRecord) map[int]string {
	at := map[int]time.Time{}
	out := map[int]string{}
	for _, st := range steps {
		if st.ClientRequestID == "" {
			continue
		}
		if t, ok := at[st.Row]; !ok || st.SentAt.After(t) {
			at[st.Row], out[st.Row] = st.SentAt, st.ClientRequestID
		}
	}
	return out
}

func runStatus(ctx context.Context, opts statusOptions, e env) error {
	if opts.format != "text" && opts.format != "json" {
		return usageError("--format must be text or json, got %q", opts.format)
	}
	jr, err := journal.OpenReadOnly(ctx, opts.journal)
	if err != nil {
		return err
	}
	defer jr.Close()
	runs, err := jr.Runs(ctx)
	if err != nil {
		return err
	}
	var statuses []statusOfRun
	for _, run := range runs {
		if opts.run != "" && string(run.ID) != opts.run {
			continue
		}
		s, err := runStatusFor(ctx, jr, run, opts.rows)
		if err != nil {
			return err
		}
		statuses = append(statuses, s)
	}
	if opts.run != "" && len(statuses) == 0 {
		return usageError("the journal %s has no run %q", opts.journal, opts.run)
	}
	if opts.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if statuses == nil {
			statuses = []statusOfRun{}
		}
		return enc.Encode(statuses)
	}
	printStatus(e.stdout, opts.journal, statuses)
	return nil
}

func printStatus(w io.Writer, path string, statuses []statusOfRun) {
	if len(statuses) == 0 {
		fmt.Fprintf(w, "%s: no runs\n", path)
		return
	}
	for i, s := range statuses {
		if i > 0 {
			fmt.Fprintln(w)
		}
		state := "unfinished"
		if s.Finished != nil {
			state = "finished " + s.Finished.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "run %s  %s  started %s, %s\n", s.ID, s.Input, s.Started.Local().Format("2006-01-02 15:04:05"), state)
		var parts []string
		for _, o := range refbatch.Outcomes() {
			if n := s.Outcomes[o]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, o))
			}
		}
		fmt.Fprintf(w, "  %s: %s\n", plural(s.Rows, "row", "rows"), strings.Join(parts, ", "))
		if s.Steps[refbatch.StateSent] > 0 {
			fmt.Fprintf(w, "  %d steps in doubt (sent, answer not recorded): resume reconciles them\n", s.Steps[refbatch.StateSent])
		}
		if len(s.RowList) > 0 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  ROW\tACTION\tOUTCOME\tREFERRAL ID\tCLIENT-REQUEST-ID\tERROR")
			for _, r := range s.RowList {
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", r.Row, r.Action, r.Outcome, dash(r.ReferralID), dash(r.ClientRequestID), oneLine(r.Error))
			}
			tw.Flush()
		}
	}
}
