package engine

import (
	"context"
	"encoding/json"
	"iter"

	"github.com/refbatch/refbatch"
)

// API is Partner Center's Referrals API as the engine uses it. Every call
// carries the client-request-id the engine chose (and journaled) before
// the request left. Errors answer the refbatch error vocabulary
// (refbatch.IsRetryable, IsInDoubt, IsConflict, IsFatal, IsNotFound).
// Implementations must be safe for concurrent use.
type API interface {
	// Create POSTs a referral body (a create or a co-sell link).
	Create(ctx context.Context, requestID string, body json.RawMessage) (refbatch.Remote, error)
	// Get reads a referral with its eTag.
	Get(ctx context.Context, requestID, id string) (refbatch.Remote, error)
	// Patch applies a JSON Patch document with If-Match and returns the
	// updated referral.
	Patch(ctx context.Context, requestID, id, ifMatch string, patch json.RawMessage) (refbatch.Remote, error)
	// Eligibility asks whether the referral may get a deal registration.
	Eligibility(ctx context.Context, requestID, id string) (refbatch.Eligibility, error)
	// Newest lists the partner's referrals, newest first
	// ($orderby=createdDateTime desc), following every @odata.nextLink. It
	// ends when the listing ends; an error is yielded once and ends it. The
	// caller stops ranging when it has seen enough.
	Newest(ctx context.Context) iter.Seq2[refbatch.Remote, error]
	// Engagement lists every referral of one engagement
	// ($filter=engagementId eq '…'), as Newest does.
	Engagement(ctx context.Context, engagementID string) iter.Seq2[refbatch.Remote, error]
}

// Mapper turns a row into the requests of its steps. It is pure (no I/O)
// and is the one place where spreadsheet columns meet wire fields; plan and
// run both use it, so what plan prints is what run sends.
type Mapper interface {
	// Create is the body of the create step.
	Create(row *refbatch.Row) (refbatch.Request, error)
	// Link is the body of the co-sell link: Microsoft's referral in the
	// engagement the create answered.
	Link(row *refbatch.Row, created refbatch.Remote) (refbatch.Request, error)
	// Patch is the minimal JSON Patch that makes live show what the row
	// says; ok is false when live already shows it all (nothing to send).
	Patch(row *refbatch.Row, live refbatch.Remote) (req refbatch.Request, ok bool, err error)
	// Register is the add /registrations/- patch; ok is false when live
	// already has the row's registration.
	Register(row *refbatch.Row, live refbatch.Remote) (req refbatch.Request, ok bool, err error)
	// WantsLink reports whether a created row also needs a co-sell link.
	WantsLink(row *refbatch.Row) bool
	// LiveRow reads a live referral back into the canonical columns, as a
	// pulled workbook shows it (refbatch.CanonicalText of each).
	LiveRow(live refbatch.Remote) (*refbatch.Row, error)
}

// Policy re-checks a row against the policies, as validate does; the
// engine uses it to check a transition against the live status before it
// sends a patch. Each goroutine gets its own Policy (see NewPolicy).
type Policy = RowChecker
