package refbatch

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUsage marks a mistake in how refbatch was called: an unknown flag, a
// missing argument. Commands exit 2.
var ErrUsage = errors.New("usage error")

// ErrFindings marks a validation or run that completed but found errors
// (or warnings under --strict). Commands exit 1.
var ErrFindings = errors.New("findings")

// ErrWaiting marks a run, resume or sync that ended with rows waiting for
// Partner Center (Microsoft to accept a co-sell referral, a deal to be old
// enough to register) and nothing worse: `refbatch sync` advances them.
// Commands exit 3, so that a nightly job tells "wait" from "failed".
var ErrWaiting = errors.New("rows waiting")

// InputError is a problem with an input or configuration file that stops
// processing: a corrupt workbook, no header row, a rules file that does not
// compile. Commands exit 2. It names the file and, where known, the row,
// column or rule and position.
type InputError struct {
	File   string // path as given
	Row    int    // spreadsheet row, or line of a text file; 0 when unknown
	Column string // canonical column, header or A1 cell; empty when unknown
	Rule   string // rule id, for rules files
	Err    error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Row > 0 {
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s", e.Column)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", e.Rule)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err is or wraps an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
