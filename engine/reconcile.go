package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// reconcileCreates settles creates whose answer was lost (by a crash, a
// dropped connection, a gateway 5xx), all with one listing of the newest
// referrals: the listing is read newest first back to the earliest sent
// time minus the margin, and each row's External Reference ID is looked
// for among the partner's own referrals created in its window.
//
//   - Found: the step is done, with the referral's ids; nothing is sent.
//   - Provably absent: the listing reached a referral created before the
//     row's window, or ran to its end, with no match. The step is marked
//     failed ("absent") so the row's next round sends the create again.
//   - Otherwise (the listing failed, hit MaxListed, or the row has no
//     External Reference ID to match on): the step stays sent, the row in
//     doubt; nothing is re-sent on a guess.
//
// The listing never relies on $top: Microsoft's Swagger calls it a total,
// not a page size, so only @odata.nextLink decides where pages end.
func (x *executor) reconcileCreates(ctx context.Context, rows []*rowRun) error {
	want := map[string][]*rowRun{}
	var cutoff time.Time
	// Sent times are on this machine's clock, createdDateTime on the
	// service's: compare on the service's.
	skew := x.skew()
	windowOf := func(r *rowRun) time.Time {
		return r.step(refbatch.StepCreate).SentAt.Add(skew).Add(-x.opts.ReconcileMargin)
	}
	for _, r := range rows {
		ext := strings.ToLower(r.row.ExternalReferenceID)
		if ext == "" {
			x.settle(ctx, r, refbatch.OutcomeInDoubt, "create: answer lost, and the row has no External Reference ID to find it by; check Partner Center, then fill its Referral ID")
			continue
		}
		if at, ok := x.waitingForSettle(r); ok {
			// A listing read now may not show it yet: prove nothing.
			x.settle(ctx, r, refbatch.OutcomeInDoubt, fmt.Sprintf("create: answer lost; Partner Center's listing can prove it absent from %s (settle time)", at.Format(time.RFC3339)))
			continue
		}
		want[ext] = append(want[ext], r)
		from := windowOf(r)
		if cutoff.IsZero() || from.Before(cutoff) {
			cutoff = from
		}
	}
	if len(want) == 0 {
		return nil
	}
	found := map[*rowRun]refbatch.Remote{}
	reached := false
	n := 0
	var listErr error
	for ref, err := range x.opts.API.Newest(ctx) {
		if err != nil {
			listErr = err
			break
		}
		if n++; n > x.opts.MaxListed {
			listErr = fmt.Errorf("listing passed %d referrals without reaching %s", x.opts.MaxListed, cutoff.Format(time.RFC3339))
			break
		}
		if !ref.Created.IsZero() && ref.Created.Before(cutoff) {
			reached = true
			break
		}
		if strings.EqualFold(ref.OrganizationID, "msft") {
			continue
		}
		for _, r := range want[strings.ToLower(ref.ExternalReferenceID)] {
			from := windowOf(r)
			if ref.Created.IsZero() || !ref.Created.Before(from) {
				// Newest first: the last match seen is the oldest, the
				// one the lost answer would have named.
				found[r] = ref
			}
		}
	}
	if listErr == nil && !reached {
		reached = true // the listing ran to its end: nothing older exists
	}
	for _, list := range want {
		for _, r := range list {
			if ref, ok := found[r]; ok {
				x.log.Info("reconciled: the lost create was applied", "row", r.rec.Number, "referral", ref.ID)
				x.created(r, ref)
				x.settle(ctx, r, refbatch.OutcomePending, "")
				if err := x.fatalErr(); err != nil {
					return err
				}
				continue
			}
			if !reached {
				x.settle(ctx, r, refbatch.OutcomeInDoubt, fmt.Sprintf("create: answer lost and the listing could not prove it absent (%v); resume tries again", listErr))
				continue
			}
			x.log.Info("reconciled: the lost create was not applied; it will be sent again", "row", r.rec.Number)
			x.finish(r, refbatch.StepCreate, refbatch.StateFailed, refbatch.Remote{}, errAbsent)
			x.settle(ctx, r, refbatch.OutcomePending, "")
			if err := x.fatalErr(); err != nil {
				return err
			}
		}
	}
	return listErr
}

// errAbsent records a create that reconciliation proved was never applied.
var errAbsent = absentError{}

type absentError struct{}

func (absentError) Error() string {
	return "not applied: the listing reached past the request's time without finding it"
}
