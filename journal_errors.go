package refbatch

import "errors"

// ErrNoRun is returned by the journal when it has no such run (or no run at
// all, for the latest one). engine.ErrNoRun is the same value, so callers
// may test either with errors.Is.
var ErrNoRun = errors.New("no such run in the journal")
