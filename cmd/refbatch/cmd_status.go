package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
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
	if _, err := parseWithConfig(fs, args, e); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 1 {
		return usageError("status takes at most one RUN id, got %d arguments", fs.NArg())
	}
	opts.run = fs.Arg(0)
	return runStatus(ctx, opts, e)
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
	c, err := batch.NewClient(jr, batch.Endpoint{}, batch.Config{})
	if err != nil {
		return err
	}
	statuses, err := c.Status(ctx, batch.StatusOptions{Run: opts.run, Rows: opts.rows})
	if err != nil {
		return err
	}
	if opts.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(statuses)
	}
	printStatus(e.stdout, opts.journal, statuses)
	dups, err := c.Duplicates(ctx)
	if err != nil {
		return err
	}
	printDuplicates(e.stdout, dups)
	return nil
}

// printDuplicates lists the CRM ids Partner Center holds more than once.
func printDuplicates(w io.Writer, dups []journal.Duplicate) {
	if len(dups) == 0 {
		return
	}
	fmt.Fprintf(w, "\nPartner Center holds %s on more than one referral (as the journal's mirror of it last saw them); rows naming them fail until the duplicates are closed:\n",
		plural(len(dups), "External Reference ID", "External Reference IDs"))
	for _, d := range dups {
		fmt.Fprintf(w, "  %s: %s\n", d.ExternalReferenceID, strings.Join(d.ReferralIDs, ", "))
	}
}

func printStatus(w io.Writer, path string, statuses []batch.RunStatus) {
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
		if len(s.Microsoft)+len(s.Registrations) > 0 {
			asOf := ""
			if s.MirrorAsOf != nil {
				asOf = " as of " + s.MirrorAsOf.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "  Microsoft's side%s (refbatch sync refreshes it):\n", asOf)
			if len(s.Microsoft) > 0 {
				fmt.Fprintf(w, "    co-sell: %s\n", countsText(s.Microsoft))
			}
			if len(s.Registrations) > 0 {
				fmt.Fprintf(w, "    registrations: %s\n", countsText(s.Registrations))
			}
		}
		if len(s.RowList) > 0 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  ROW\tACTION\tOUTCOME\tREFERRAL ID\tMICROSOFT\tREGISTRATION\tCLIENT-REQUEST-ID\tERROR")
			for _, r := range s.RowList {
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Row, r.Action, r.Outcome, dash(r.ReferralID),
					dash(oneLine(r.Microsoft)), dash(oneLine(r.Registration)), dash(r.ClientRequestID), oneLine(r.Error))
			}
			tw.Flush()
		}
	}
}

// countsText is "3 Active/Accepted, 1 Closed/Declined: …", largest first.
func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}
