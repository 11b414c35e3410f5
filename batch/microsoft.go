package batch

import (
	"context"
	"strings"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
)

// microsoftSideBatch bounds the ids of one mirror query (SQLite's limit on
// a statement's parameters is 32,766).
const microsoftSideBatch = 500

// microsoftSide reads what the journal's mirror last saw of the referrals
// ids: Microsoft's side of each co-sell deal, the registration's review,
// the response window (refbatch.Facts), by referral id. It asks Partner
// Center nothing: Sync (or any run or pull) refreshes the mirror.
func (c *Client) microsoftSide(ctx context.Context, ids []string) (map[string]refbatch.Facts, error) {
	out := make(map[string]refbatch.Facts, len(ids))
	mapper := partnercenter.NewMapper()
	for len(ids) > 0 {
		part := ids[:min(len(ids), microsoftSideBatch)]
		ids = ids[len(part):]
		for m, err := range c.jr.EachMirror(ctx, journal.MirrorFilter{IDs: part}) {
			if err != nil {
				return nil, err
			}
			if len(m.Raw) == 0 {
				continue
			}
			p, err := mapper.RowOf(m.Remote, m.Microsoft)
			if err != nil {
				continue // an odd document: status shows nothing for it
			}
			out[m.ID] = p.Facts
		}
	}
	return out, nil
}

// MicrosoftText is Microsoft's side of a co-sell referral in a few words:
// "Active/Accepted", "Closed/Declined: reason"; "" when it has none.
func MicrosoftText(f refbatch.Facts) string {
	if f.MicrosoftStatus == "" {
		return ""
	}
	s := f.MicrosoftStatus
	if f.MicrosoftSubstatus != "" {
		s += "/" + f.MicrosoftSubstatus
	}
	if f.MicrosoftStatusReason != "" {
		s += ": " + f.MicrosoftStatusReason
	}
	return s
}

// RegistrationText is a deal registration's review in a few words:
// "Approved", "Failed: reason"; "" when the referral has none.
func RegistrationText(f refbatch.Facts) string {
	if f.RegistrationStatus == "" && !f.Registered.IsZero() {
		return "Submitted" // registered; the review has not said anything yet
	}
	if f.RegistrationReason == "" {
		return f.RegistrationStatus
	}
	return strings.TrimSpace(f.RegistrationStatus + ": " + f.RegistrationReason)
}
