package engine

import (
	"context"

	"github.com/refbatch/refbatch"
)

// ErrNoRun is returned by Journal.Run and LatestRun when there is no such run.
var ErrNoRun = refbatch.ErrNoRun

// Journal records every step of a run so that it can be resumed. Writes are
// durable against a crash of the process when the method returns: StepSent
// returns before the request leaves. Implementations must be safe for
// concurrent use (the engine calls them from every worker).
type Journal interface {
	CreateRun(ctx context.Context, run refbatch.RunInfo) error
	Run(ctx context.Context, id refbatch.RunID) (refbatch.RunInfo, error)
	LatestRun(ctx context.Context) (refbatch.RunInfo, error)
	Runs(ctx context.Context) ([]refbatch.RunInfo, error)
	// UpdateRun rewrites the run's input, rules and tables hashes and
	// options (resume) and its Finished time.
	UpdateRun(ctx context.Context, run refbatch.RunInfo) error

	// PutRows inserts rows, or replaces the rows with the same numbers.
	PutRows(ctx context.Context, run refbatch.RunID, rows []refbatch.RowRecord) error
	// DeleteRows removes rows (and their steps) that are no longer in the
	// input (resume --allow-changed).
	DeleteRows(ctx context.Context, run refbatch.RunID, numbers []int) error
	Rows(ctx context.Context, run refbatch.RunID) ([]refbatch.RowRecord, error)
	// SetOutcome records where a row stands, with its outputs.
	SetOutcome(ctx context.Context, run refbatch.RunID, row refbatch.RowRecord) error

	// StepSent records that a step's request is about to leave: state sent,
	// attempts+1, the client-request-id and SentAt.
	StepSent(ctx context.Context, step refbatch.StepRecord) error
	// StepFinished records the answer: state done or failed, with outputs.
	StepFinished(ctx context.Context, step refbatch.StepRecord) error
	Steps(ctx context.Context, run refbatch.RunID) ([]refbatch.StepRecord, error)
	// UnfinishedSteps returns the steps of the rows whose outcome is
	// pending, in doubt or failed: what Execute needs to resume.
	UnfinishedSteps(ctx context.Context, run refbatch.RunID) ([]refbatch.StepRecord, error)
	// Record writes a row's gathered changes in one transaction: finished
	// steps, remembered ids, then a step's "sent" or the row's outcome.
	// Like StepSent it is durable when it returns.
	Record(ctx context.Context, c refbatch.Changes) error
	// RecordLater queues changes whose loss in a crash resume repairs (a
	// step's answer, a row's outcome) to be written with the next commit,
	// without waiting for it; Flush waits for them and reports the first
	// error. Changes carrying a Sent step never go this way.
	RecordLater(c refbatch.Changes)
	Flush(ctx context.Context) error
	// ClearSteps forgets a row's steps (a row re-planned after a change).
	ClearSteps(ctx context.Context, run refbatch.RunID, row int) error

	// Remember records what an External Reference ID became (upsert; empty
	// fields leave the stored ones alone).
	Remember(ctx context.Context, k refbatch.Known) error
	// Lookup returns what an External Reference ID became, compared
	// case-insensitively.
	Lookup(ctx context.Context, externalReferenceID string) (refbatch.Known, bool, error)
	// LookupMany returns what each of ids became, keyed by the id in lower
	// case; ids never created are absent.
	LookupMany(ctx context.Context, ids []string) (map[string]refbatch.Known, error)
}
