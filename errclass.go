package refbatch

import (
	"errors"
	"time"
)

// The error vocabulary of a run. The engine asks an error what to do about
// it through these small interfaces, as rclone's fserrors does, and never
// looks at HTTP: the packages at the edge (partnercenter) make their error
// types answer them. An error that answers none is permanent.

// retryabler is an error that may succeed if tried again later.
type retryabler interface{ Retryable() bool }

// retryAfterer is an error that says how long to wait before trying again
// (HTTP 429, or 503 with Retry-After).
type retryAfterer interface{ RetryAfter() (time.Duration, bool) }

// conflicter is an error saying the resource changed under us (HTTP 412).
type conflicter interface{ Conflict() bool }

// fataler is an error after which no request can succeed until the user
// fixes something (HTTP 401/403, no token, an untrusted certificate): the
// run stops cleanly.
type fataler interface{ Fatal() bool }

// inDoubter is an error of a write that may have been applied anyway: the
// request left, the answer was lost.
type inDoubter interface{ InDoubt() bool }

// notFounder is an error saying the referral does not exist (HTTP 404).
type notFounder interface{ NotFound() bool }

func asks[T any](err error, ask func(T) bool) bool {
	for err != nil {
		if v, ok := err.(T); ok && ask(v) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if asks(e, ask) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// IsRetryable reports whether err (or an error it wraps) says trying again
// later may succeed.
func IsRetryable(err error) bool {
	return asks(err, func(e retryabler) bool { return e.Retryable() })
}

// RetryAfter returns the delay err asks for before the next try.
func RetryAfter(err error) (time.Duration, bool) {
	var d time.Duration
	ok := asks(err, func(e retryAfterer) bool {
		var ok bool
		d, ok = e.RetryAfter()
		return ok
	})
	return d, ok
}

// IsConflict reports whether err says the referral changed since it was
// read (its eTag is stale).
func IsConflict(err error) bool {
	return asks(err, func(e conflicter) bool { return e.Conflict() })
}

// IsFatal reports whether err stops the whole run.
func IsFatal(err error) bool {
	return asks(err, func(e fataler) bool { return e.Fatal() })
}

// IsInDoubt reports whether err ended a write that may have been applied.
func IsInDoubt(err error) bool {
	return asks(err, func(e inDoubter) bool { return e.InDoubt() })
}

// IsNotFound reports whether err says the referral does not exist.
func IsNotFound(err error) bool {
	return asks(err, func(e notFounder) bool { return e.NotFound() })
}

// ErrFatal marks an error that stopped a run (see IsFatal); the journal is
// consistent and resume works once the cause is fixed.
var ErrFatal = errors.New("run stopped")
