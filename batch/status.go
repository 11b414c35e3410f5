package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
	"github.com/refbatch/refbatch/journal"
)

// RunStatus is where one run of the journal stands.
type RunStatus struct {
	ID       refbatch.RunID             `json:"id"`
	Input    string                     `json:"input"`
	Endpoint string                     `json:"endpoint"`
	Started  time.Time                  `json:"started"`
	Finished *time.Time                 `json:"finished,omitempty"`
	Rows     int                        `json:"rows"`
	Outcomes map[refbatch.Outcome]int   `json:"outcomes"`
	RowList  []RowStatus                `json:"rowList,omitempty"`
	Steps    map[refbatch.StepState]int `json:"steps"`
	// Microsoft counts Microsoft's side of the run's co-sell referrals
	// ("Active/Accepted", "Closed/Declined: reason") and Registrations
	// the reviews of its deal registrations, as the journal's mirror of
	// Partner Center last saw them (MirrorAsOf: its last refresh).
	Microsoft     map[string]int `json:"microsoft,omitempty"`
	Registrations map[string]int `json:"registrations,omitempty"`
	MirrorAsOf    *time.Time     `json:"mirrorAsOf,omitempty"`
}

// RowStatus is one row of a run, as status --rows lists it.
type RowStatus struct {
	Row                 int              `json:"row"`
	Action              string           `json:"action"`
	Outcome             refbatch.Outcome `json:"outcome"`
	ReferralID          string           `json:"referralId,omitempty"`
	EngagementID        string           `json:"engagementId,omitempty"`
	MicrosoftReferralID string           `json:"microsoftReferralId,omitempty"`
	ClientRequestID     string           `json:"clientRequestId,omitempty"`
	Error               string           `json:"error,omitempty"`
	// Microsoft and Registration are Microsoft's side of the referral and
	// its deal registration's review, as the mirror last saw them.
	Microsoft    string `json:"microsoft,omitempty"`
	Registration string `json:"registration,omitempty"`
}

// StatusOptions choose what Status reads.
type StatusOptions struct {
	Run  string // "" = every run
	Rows bool   // list every row of each run
}

// Status reads the journal's runs and where their rows stand.
func (c *Client) Status(ctx context.Context, opts StatusOptions) ([]RunStatus, error) {
	if c.jr == nil {
		return nil, errors.New("batch: status needs a journal")
	}
	runs, err := c.jr.Runs(ctx)
	if err != nil {
		return nil, err
	}
	out := []RunStatus{}
	for _, run := range runs {
		if opts.Run != "" && string(run.ID) != opts.Run {
			continue
		}
		s, err := c.runStatus(ctx, run, opts.Rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if opts.Run != "" && len(out) == 0 {
		return nil, usageErrorf("the journal %s has no run %q", c.jr.Path(), opts.Run)
	}
	return out, nil
}

func (c *Client) runStatus(ctx context.Context, run refbatch.RunInfo, withRows bool) (RunStatus, error) {
	s := RunStatus{ID: run.ID, Input: run.InputPath, Endpoint: run.Endpoint, Started: run.Started,
		Outcomes: map[refbatch.Outcome]int{}, Steps: map[refbatch.StepState]int{}}
	if !run.Finished.IsZero() {
		f := run.Finished
		s.Finished = &f
	}
	rows, err := c.jr.Rows(ctx, run.ID)
	if err != nil {
		return s, err
	}
	steps, err := c.jr.Steps(ctx, run.ID)
	if err != nil {
		return s, err
	}
	lastRequest := latestRequestIDs(steps)
	for _, st := range steps {
		s.Steps[st.State]++
	}
	s.Rows = len(rows)
	var ids []string
	for _, r := range rows {
		if r.ReferralID != "" {
			ids = append(ids, r.ReferralID)
		}
	}
	side, err := c.microsoftSide(ctx, ids)
	if err != nil {
		return s, err
	}
	if b, ok, err := c.jr.Binding(ctx); err != nil {
		return s, err
	} else if ok && !b.MirrorUpdated.IsZero() {
		at := b.MirrorUpdated
		s.MirrorAsOf = &at
	}
	for _, r := range rows {
		s.Outcomes[r.Outcome]++
		f := side[r.ReferralID]
		if t := MicrosoftText(f); t != "" {
			if s.Microsoft == nil {
				s.Microsoft = map[string]int{}
			}
			s.Microsoft[t]++
		}
		if t := RegistrationText(f); t != "" {
			if s.Registrations == nil {
				s.Registrations = map[string]int{}
			}
			s.Registrations[t]++
		}
		if withRows {
			s.RowList = append(s.RowList, RowStatus{Row: r.Number, Action: r.Action, Outcome: r.Outcome, ReferralID: r.ReferralID,
				EngagementID: r.EngagementID, MicrosoftReferralID: r.MicrosoftReferralID, ClientRequestID: lastRequest[r.Number], Error: r.Error,
				Microsoft: MicrosoftText(f), Registration: RegistrationText(f)})
		}
	}
	sort.Slice(s.RowList, func(i, j int) bool { return s.RowList[i].Row < s.RowList[j].Row })
	return s, nil
}

// Duplicates lists the External Reference IDs that Partner Center holds on
// more than one of the partner's referrals (made by anyone), as the
// journal's mirror of it last saw them, with their ids.
func (c *Client) Duplicates(ctx context.Context) ([]journal.Duplicate, error) {
	if c.jr == nil {
		return nil, errors.New("batch: duplicates need a journal")
	}
	return c.jr.MirrorDuplicates(ctx)
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

// ExportOptions choose the run and the results file.
type ExportOptions struct {
	Run string // "" = the latest run
	// Out is the results file: .xlsx, .csv or .json.
	Out string
	// Force lets Out replace a file that is not a refbatch export or report.
	Force bool
}

// Exported is what Export wrote.
type Exported struct {
	Run    refbatch.RunID
	Rows   int
	Counts map[refbatch.Outcome]int
}

// Export writes the run's input rows with their outcome, Partner Center
// ids, error and the last client-request-id, like a loader's success and
// error files. It streams the input: memory does not grow with its rows.
// The input must be as the run last read it.
func (c *Client) Export(ctx context.Context, opts ExportOptions) (ex Exported, err error) {
	if c.jr == nil {
		return ex, errors.New("batch: export needs a journal")
	}
	if opts.Out == "" {
		return ex, usageErrorf("export needs a results file (.xlsx, .csv or .json)")
	}
	if _, err := exporter.ResultsFormat(opts.Out); err != nil {
		return ex, err
	}
	if err := exporter.CheckReplace(opts.Out, opts.Force); err != nil {
		return ex, err
	}
	run, err := FindRun(ctx, c.jr, opts.Run)
	if err != nil {
		return ex, err
	}
	if SameFile(run.InputPath, opts.Out) {
		return ex, usageErrorf("%s is the run's input file: the export would replace it; choose another name", opts.Out)
	}
	in, err := InputOptionsOf(run)
	if err != nil {
		return ex, err
	}
	rows, err := c.jr.Rows(ctx, run.ID)
	if err != nil {
		return ex, err
	}
	steps, err := c.jr.Steps(ctx, run.ID)
	if err != nil {
		return ex, err
	}
	lastRequest := latestRequestIDs(steps)
	byNumber := make(map[int]refbatch.RowRecord, len(rows))
	var ids []string
	for _, r := range rows {
		byNumber[r.Number] = r
		if r.ReferralID != "" {
			ids = append(ids, r.ReferralID)
		}
	}
	side, err := c.microsoftSide(ctx, ids)
	if err != nil {
		return ex, err
	}
	policy, err := LoadPolicy(in, c.cfg.Today)
	if err != nil {
		return ex, err
	}
	var results *exporter.Results
	defer func() {
		if err != nil && results != nil {
			_ = results.Abort()
		}
	}()
	ex = Exported{Run: run.ID, Counts: map[refbatch.Outcome]int{}}
	_, err = readFile(ctx, run.InputPath, in, policy, c.cfg.Workers, Hooks{
		Header: func(h *refbatch.Header, _ []refbatch.Finding) error {
			var err error
			results, err = exporter.NewResults(opts.Out, h)
			return err
		},
		Row: func(row *refbatch.Row, _ []refbatch.Finding) error {
			rec, ok := byNumber[row.Number]
			switch {
			case !ok && row.NotLoaded != "":
				// Journaled before total rows were recorded.
				rec = refbatch.RowRecord{Outcome: refbatch.OutcomeNotLoaded, Error: row.NotLoadedNote()}
			case !ok:
				rec = refbatch.RowRecord{Outcome: refbatch.OutcomePending}
			}
			ex.Counts[rec.Outcome]++
			ex.Rows++
			return results.WriteRow(row, exporter.RowResult{Outcome: rec.Outcome, ReferralID: rec.ReferralID, EngagementID: rec.EngagementID,
				MicrosoftReferralID: rec.MicrosoftReferralID, Error: rec.Error, ClientRequestID: lastRequest[row.Number],
				MicrosoftStatus: MicrosoftText(side[rec.ReferralID]), RegistrationStatus: RegistrationText(side[rec.ReferralID])})
		},
	}, false, run.InputSHA256)
	if errors.Is(err, refbatch.ErrInputChanged) {
		// Refused before anything was read: no result is written.
		return ex, fmt.Errorf("%w: %s; the export pairs the journal's rows with the file's rows by row number, so it needs the file as the run last read it",
			refbatch.ErrInputChanged, run.InputPath)
	}
	if err != nil {
		return ex, err
	}
	return ex, results.Close(ex.Counts)
}

// SameFile reports whether a and b name one file (b need not exist).
func SameFile(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(ai, bi)
	}
	aa, err1 := filepath.Abs(a)
	ba, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ba
}
