package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// pulledConflicts checks a row of a pulled workbook against the live
// referral: a cell the user changed since the pull that Partner Center
// also changed since, to another value, is a conflict (rule
// pull-conflict), named with the pulled, live and new values; the row
// fails before anything is sent. A cell changed only in Partner Center is
// no conflict: the importer has already dropped it from the row (the
// user's cell still says the pulled value), so the stale value is not
// sent. A live eTag equal to the pulled one means nothing changed. It
// returns nil for a row that is not from a pulled workbook.
func pulledConflicts(m Mapper, row *refbatch.Row, live refbatch.Remote) ([]refbatch.Finding, error) {
	if !row.IsPulled() || live.ID == "" {
		return nil, nil
	}
	if etag := row.PulledETag(); etag != "" && etag == live.ETag {
		return nil, nil
	}
	now, err := m.LiveRow(live)
	if err != nil {
		return nil, err
	}
	var out []refbatch.Finding
	for _, c := range refbatch.PulledColumns() {
		if _, ok := row.Header.Pulled[c]; !ok {
			continue
		}
		// Deal Type is not a field of the referral (it is read from its
		// type and engagement) and the keys say which referral it is.
		if c == refbatch.ColDealType || c == refbatch.ColReferralID || c == refbatch.ColExternalReferenceID {
			continue
		}
		if !row.Filled.Has(c) || row.Invalid.Has(c) {
			continue
		}
		pulled := refbatch.CanonicalText(row.Pulled, c)
		mine, theirs := refbatch.CanonicalText(row, c), refbatch.CanonicalText(now, c)
		if refbatch.SameCanonical(c, pulled, theirs) || refbatch.SameCanonical(c, mine, theirs) {
			continue
		}
		out = append(out, row.Finding(c, refbatch.RulePullConflict, refbatch.SeverityError,
			fmt.Sprintf("%s changed in Partner Center since the pull (pulled %s, now %s) and in the workbook (%s): nothing is sent for this row; pull again, or make the cell say which value wins",
				row.Header.Written(c), quoted(pulled), quoted(theirs), quoted(mine))))
	}
	return out, nil
}

// unchangedSincePull reports whether row is from a pulled workbook and says
// nothing the pull did not: no cell but its keys differs from its pulled
// value. Such a row needs no request at all.
func unchangedSincePull(row *refbatch.Row) bool {
	return row.IsPulled() && row.Filled.Without(refbatch.ColReferralID).Without(refbatch.ColExternalReferenceID).Without(refbatch.ColAction).Empty()
}

// responseWindow refuses an answer to a lead sent to the partner (an
// incoming referral still New) after its response window closed: Partner
// Center archives an unanswered lead as Expired then (manage-leads.md: 14
// days), and an answer after that cannot land. now is the time on the
// API's clock, as its expirationDateTime is.
func responseWindow(row *refbatch.Row, live refbatch.Remote, now time.Time) []refbatch.Finding {
	if !strings.EqualFold(live.Direction, "Incoming") || !strings.EqualFold(live.Status, refbatch.StatusNew) ||
		live.Expires.IsZero() || now.Before(live.Expires) || !row.Filled.Has(refbatch.ColStatus) {
		return nil
	}
	return []refbatch.Finding{row.Finding(refbatch.ColStatus, refbatch.RuleResponseWindow, refbatch.SeverityError,
		fmt.Sprintf("the lead's response window closed at %s: Partner Center archives an unanswered lead as Expired after 14 days, so it can no longer be accepted or declined",
			live.Expires.UTC().Format("2006-01-02 15:04 MST")))}
}

// roundTripFindings are the checks of a pulled workbook's row against the
// live referral: conflicts with Partner Center's changes since the pull
// (pulledConflicts) and a lead answered after its window (responseWindow).
// LiveFindings, the one live re-check, runs them first.
func roundTripFindings(m Mapper, row *refbatch.Row, live refbatch.Remote, now time.Time) ([]refbatch.Finding, error) {
	out, err := pulledConflicts(m, row, live)
	if err != nil {
		return nil, err
	}
	return append(out, responseWindow(row, live, now)...), nil
}

func quoted(s string) string {
	if strings.TrimSpace(s) == "" {
		return "empty"
	}
	return fmt.Sprintf("%q", s)
}
