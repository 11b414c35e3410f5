package engine

import (
	"context"
	"errors"
	"time"

	"github.com/refbatch/refbatch"
)

// RunInfo is one run as the journal keeps it.
type RunInfo struct {
	ID          refbatch.RunID
	InputPath   string // as given on the command line
	InputSHA256 string // hex
	RulesHash   string // hex digest of the rules in force ("" when built in)
	TablesHash  string // hex digest of the reference tables in force
	Options     string // JSON of the options that shape the plan (sheet, header row, mapping…)
	Endpoint    string // API base URL, or "sandbox"
	Started     time.Time
	Finished    time.Time // zero while the run is unfinished
}

// RowRecord is one input row of a run.
type RowRecord struct {
	Number  int             // the spreadsheet's own row number
	Key     refbatch.RowKey // "" for a row no other row can touch
	Action  string          // create or update, as planned (an upsert makes a create an update)
	Valid   bool            // false: the row has error findings and is skipped
	Hash    string          // refbatch.ContentHash
	Outcome refbatch.Outcome
	Error   string // why it failed or is in doubt, for the user

	ReferralID          string
	EngagementID        string
	MicrosoftReferralID string // the referral the co-sell link created
}

// StepRecord is one step of one row.
type StepRecord struct {
	Run             refbatch.RunID
	Row             int
	Step            refbatch.StepName
	State           refbatch.StepState
	Attempts        int    // how many times the step was sent (StepSent increments it)
	ClientRequestID string // of the latest attempt
	HTTPStatus      int    // 0 when no answer arrived
	ReferralID      string // output: the referral the step created or touched
	EngagementID    string
	ETag            string
	ErrorCode       string // the API's error code, or a short class ("in-doubt", "network")
	ErrorMessage    string
	SentAt          time.Time // when the latest attempt left
	FinishedAt      time.Time // when its answer came in; zero while sent
}

// Known is what the journal remembers, across runs, of an External
// Reference ID it created: running the same file twice never creates twice.
type Known struct {
	ExternalReferenceID string
	ReferralID          string
	EngagementID        string
	MicrosoftReferralID string // "" until a co-sell link is done
}

// ErrNoRun is returned by Journal.Run and LatestRun when there is no such run.
var ErrNoRun = errors.New("no such run in the journal")

// Journal records every step of a run so that it can be resumed. Writes are
// durable against a crash of the process when the method returns: StepSent
// returns before the request leaves. Implementations must be safe for
// concurrent use (the engine calls them from every worker).
type Journal interface {
	CreateRun(ctx context.Context, run RunInfo) error
	Run(ctx context.Context, id refbatch.RunID) (RunInfo, error)
	LatestRun(ctx context.Context) (RunInfo, error)
	Runs(ctx context.Context) ([]RunInfo, error)
	// UpdateRun rewrites the run's input hash and options (resume
	// --allow-changed) and its Finished time.
	UpdateRun(ctx context.Context, run RunInfo) error

	// PutRows inserts rows, or replaces the rows with the same numbers.
	PutRows(ctx context.Context, run refbatch.RunID, rows []RowRecord) error
	// DeleteRows removes rows (and their steps) that are no longer in the
	// input (resume --allow-changed).
	DeleteRows(ctx context.Context, run refbatch.RunID, numbers []int) error
	Rows(ctx context.Context, run refbatch.RunID) ([]RowRecord, error)
	// SetOutcome records where a row stands, with its outputs.
	SetOutcome(ctx context.Context, run refbatch.RunID, row RowRecord) error

	// StepSent records that a step's request is about to leave: state sent,
	// attempts+1, the client-request-id and SentAt.
	StepSent(ctx context.Context, step StepRecord) error
	// StepFinished records the answer: state done or failed, with outputs.
	StepFinished(ctx context.Context, step StepRecord) error
	Steps(ctx context.Context, run refbatch.RunID) ([]StepRecord, error)
	// ClearSteps forgets a row's steps (a row re-planned after a change).
	ClearSteps(ctx context.Context, run refbatch.RunID, row int) error

	// Remember records what an External Reference ID became (upsert; empty
	// fields leave the stored ones alone).
	Remember(ctx context.Context, k Known) error
	// Lookup returns what an External Reference ID became, compared
	// case-insensitively.
	Lookup(ctx context.Context, externalReferenceID string) (Known, bool, error)
}
