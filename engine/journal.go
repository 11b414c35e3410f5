package engine

import (
	"context"

	"github.com/refbatch/refbatch"
)

// Journal is what Execute needs of the journal: the steps left unfinished
// by an earlier attempt, what External Reference IDs became, and the
// writes of a run. The run's bookkeeping (runs, rows, re-planning) is the
// embedding client's, not the engine's. Writes are durable against a crash
// of the process when Record returns, so a step is on record as "sent"
// before its request leaves. Implementations must be safe for concurrent
// use (the engine calls them from every worker).
type Journal interface {
	// StepsOf returns the steps of the given rows: what Execute needs to
	// resume them (a caller feeding a run in chunks reads no other rows').
	StepsOf(ctx context.Context, run refbatch.RunID, rows []int) ([]refbatch.StepRecord, error)
	// WaitsOf returns the waits of the given rows (refbatch.Wait; facts
	// may be left out): when a waiting row may be checked again.
	WaitsOf(ctx context.Context, run refbatch.RunID, rows []int) ([]refbatch.Wait, error)
	// LookupMany returns what each of ids became (the referral Partner
	// Center holds for it), keyed by the id in lower case; ids that name
	// no referral are absent.
	LookupMany(ctx context.Context, ids []string) (map[string]refbatch.Known, error)
	// Record writes a row's gathered changes in one transaction: finished
	// steps, remembered ids, then a step's "sent" or the row's outcome. It
	// is durable when it returns.
	Record(ctx context.Context, c refbatch.Changes) error
	// RecordLater queues changes whose loss in a crash resume repairs (a
	// step's answer, a row's outcome) to be written with the next commit,
	// without waiting for it; Flush waits for them and reports the first
	// error. Changes carrying a Sent step never go this way.
	RecordLater(c refbatch.Changes)
	Flush(ctx context.Context) error
}
