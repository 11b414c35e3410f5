package sandbox

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// Microsoft's side of the Referrals API: what Microsoft does with the
// referrals a partner sends it, and with the deals it registers. Each
// behaviour is off in the zero Options.
//
//   - Declines (Options.DeclineRate): Microsoft's referral of a co-sell link
//     is declined instead of accepted, when it comes due (AcceptAfter), with
//     a reason of referrals-faq.md ("How do I know whether Microsoft accepted
//     or declined a co-sell deal?"). While declines are on, a deal below
//     USD 25,000 is always declined, without a reason, as that page says.
//   - Expiry (Options.ExpireAfter): Microsoft's referral carries an
//     expirationDateTime, and one still New at that time turns
//     Closed/Expired (manage-co-sell-opportunities.md: 14 days to decide).
//   - Review (Options.ReviewAfter): a new deal registration is ReviewPending
//     and, that long after it was registered, Approved or Failed
//     (register-deals.md, "Deal registration states"). A deal registered
//     less than 72 hours after its referral was created fails ("Wait 72
//     hours after creating an eligible deal before marking it Won … the
//     registration might be rejected"); Options.RejectRate fails others.
//
// Every decision is a hash of Faults.Seed and the referral's
// externalReferenceId (else its engagementId), not a draw from a sequence,
// so it is the same whatever order concurrent requests arrive in, and the
// same on every rehearsal of the same file. Every change happens on the
// sandbox's clock (Options.Now) the first time any request sees it due: no
// goroutine, no sleep.

// The documented decline reasons (referrals-faq.md).
const (
	DeclineNoCustomerRecord = "No corresponding Microsoft customer record could be found"
	DeclineNoSeller         = "No Microsoft seller directly manages this customer"
)

// Registration review states (register-deals.md; the bulk template's
// Registration Status values).
const (
	RegistrationReviewPending = "ReviewPending"
	RegistrationApproved      = "Approved"
	RegistrationFailed        = "Failed"
	RegistrationActionNeeded  = "ActionRequired"
)

// registrationTooEarly is the review's reason for a deal registered within
// 72 hours of its referral's creation.
const registrationTooEarly = "the deal was registered less than 72 hours after it was created (register-deals.md: wait 72 hours before marking an eligible deal Won)"

const minDeclineUSD = 25000

// unit is a number in [0, 1) decided by the seed, a purpose and a key.
func (s *Server) unit(purpose, key string) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(s.opts.Seed))
	h.Write(b[:])
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(key)))
	// FNV's high bits barely move between keys that differ in their last
	// byte ("CRM-001", "CRM-002"); splitmix64's finaliser spreads them.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func decisionKey(r *pc.Referral) string { return cmp.Or(r.ExternalReferenceID, r.EngagementID, r.ID) }

// microsoftAnswer is what Microsoft answers its referral r when it comes
// due: declined (with the reason, "" for none) or accepted.
func (s *Server) microsoftAnswer(r *pc.Referral) (declined bool, reason string) {
	if s.opts.DeclineRate <= 0 {
		return false, ""
	}
	if usd, ok := s.dealValueUSD(r); ok && usd < minDeclineUSD {
		return true, "" // referrals-faq.md: no reason is displayed below USD 25,000
	}
	if s.unit("decline", decisionKey(r)) >= s.opts.DeclineRate {
		return false, ""
	}
	if s.unit("decline-reason", decisionKey(r)) < 0.5 {
		return true, DeclineNoCustomerRecord
	}
	return true, DeclineNoSeller
}

func (s *Server) dealValueUSD(r *pc.Referral) (float64, bool) {
	if r.Details == nil || r.Details.DealValue == nil {
		return 0, false
	}
	rate, ok := s.fx[strings.ToUpper(cmp.Or(r.Details.Currency, "USD"))]
	return float64(*r.Details.DealValue) * rate, ok
}

// microsoftReferralCreated prepares Microsoft's new referral of a co-sell
// link: its expiration. Callers hold s.mu.
func (s *Server) microsoftReferralCreated(ref *pc.Referral, now time.Time) {
	if s.opts.ExpireAfter > 0 {
		ref.ExpirationDateTime = new(now.Add(s.opts.ExpireAfter))
	}
}

// track records what rec waits for on Microsoft's side (expiry, review);
// automatic acceptance is tracked by s.pending. Callers hold s.mu.
func (s *Server) track(rec *record) {
	r := &rec.ref
	if (r.OrganizationID == pc.MicrosoftOrganizationID || strings.EqualFold(r.Direction, DirectionIncoming)) && r.Status == pc.StatusNew && r.ExpirationDateTime != nil {
		s.expiring[rec] = struct{}{}
	} else {
		delete(s.expiring, rec)
	}
	reviewing := false
	for _, reg := range r.Registrations {
		reviewing = reviewing || reg.Status == RegistrationReviewPending
	}
	if reviewing && s.opts.ReviewAfter > 0 {
		s.reviewing[rec] = struct{}{}
	} else {
		delete(s.reviewing, rec)
	}
}

// microsoftEvent is one change Microsoft's side makes, due at a time.
type microsoftEvent struct {
	at  time.Time
	rec *record
}

// microsoftDue applies the expiries and reviews that have come due, in time
// order. Callers hold s.mu.
func (s *Server) microsoftDue(now time.Time) {
	if len(s.expiring) == 0 && len(s.reviewing) == 0 {
		return
	}
	var due []microsoftEvent
	for rec := range s.expiring {
		if at := rec.ref.ExpirationDateTime.Add(s.opts.ArchiveLag); !now.Before(at) {
			due = append(due, microsoftEvent{at, rec})
		}
	}
	for rec := range s.reviewing {
		if at, ok := s.reviewDue(&rec.ref); ok && !now.Before(at) {
			due = append(due, microsoftEvent{at, rec})
		}
	}
	slices.SortFunc(due, func(a, b microsoftEvent) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.rec.seq, b.rec.seq))
	})
	for _, ev := range due {
		next := deepCopy(ev.rec.ref)
		at := ev.at.UTC()
		if _, ok := s.expiring[ev.rec]; ok && next.Status == pc.StatusNew && next.ExpirationDateTime != nil && !now.Before(next.ExpirationDateTime.Add(s.opts.ArchiveLag)) {
			next.Status, next.Substatus = pc.StatusClosed, pc.SubstatusExpired
			next.ClosedDateTime = &at
		}
		s.review(&next, now)
		next.UpdatedDateTime = &at
		next.ETag = s.nextETag(at)
		if e := s.persistLocked(ev.rec.seq, next, time.Time{}, false); e != nil {
			if s.log != nil {
				s.log.Error("Microsoft's change not saved", "id", next.ID, "error", e.message)
			}
			continue
		}
		s.setRef(ev.rec, next)
		s.track(ev.rec)
	}
}

// reviewDue is when the first registration of r under review is decided.
func (s *Server) reviewDue(r *pc.Referral) (time.Time, bool) {
	for _, reg := range r.Registrations {
		if reg.Status == RegistrationReviewPending && reg.RegistrationDateTime != nil {
			return reg.RegistrationDateTime.Add(s.opts.ReviewAfter), true
		}
	}
	return time.Time{}, false
}

// review decides the registrations of r whose review is due by now.
func (s *Server) review(r *pc.Referral, now time.Time) {
	for i := range r.Registrations {
		reg := &r.Registrations[i]
		if reg.Status != RegistrationReviewPending || reg.RegistrationDateTime == nil {
			continue
		}
		at := reg.RegistrationDateTime.Add(s.opts.ReviewAfter).UTC()
		if now.Before(at) {
			continue
		}
		if reg.StatusHistory == nil {
			reg.StatusHistory = &pc.StatusHistory{}
		}
		reason := ""
		switch {
		case r.CreatedDateTime != nil && reg.RegistrationDateTime.Sub(*r.CreatedDateTime) < 72*time.Hour:
			reason = registrationTooEarly
		case s.opts.RejectRate > 0 && s.unit("reject", decisionKey(r)) < s.opts.RejectRate:
			reason = "the review team could not validate the contract details"
		}
		if reason == "" {
			reg.Status, reg.StatusHistory.ApprovedDateTime = RegistrationApproved, &at
			continue
		}
		reg.Status, reg.StatusHistory.FailedDateTime = RegistrationFailed, &at
		if reg.Extra == nil {
			reg.Extra = pc.Extra{}
		}
		reg.Extra["statusReason"], _ = json.Marshal(reason)
	}
}

// startReview puts a new registration under review. Callers hold s.mu.
func (s *Server) startReview(reg *pc.Registration, now time.Time) {
	if s.opts.ReviewAfter <= 0 {
		return
	}
	reg.Status = RegistrationReviewPending
	if reg.StatusHistory == nil {
		reg.StatusHistory = &pc.StatusHistory{}
	}
	reg.StatusHistory.ReviewPendingDateTime = &now
}

// terminalRefusal refuses a patch of a referral in a terminal state
// (bulk-operations.md: "No actions are permitted after any deal reaches a
// terminal state, such as Declined, Expired, Won, or Lost"), except the
// registration of a Won deal, which comes after it is Won.
func terminalRefusal(cur *pc.Referral, ops []patchOp) *apiError {
	if cur.Status != pc.StatusClosed {
		return nil
	}
	for _, op := range ops {
		if cur.Substatus == pc.SubstatusWon && op.segs[0] == "registrations" {
			continue
		}
		return &apiError{status: http.StatusBadRequest, code: codeTerminalState, target: op.path,
			message: "the referral is " + string(cur.Status) + "/" + string(cur.Substatus) +
				", a terminal state: no change is permitted after a deal is Won, Lost, Declined or Expired (bulk-operations.md); only a Won deal's registration may be added"}
	}
	return nil
}

// registrationEditRefusal refuses a change to a registration that is under
// review or decided: bulk-operations-deal-registrations.md lets records be
// updated only while Microsoft waits for the partner's action.
func registrationEditRefusal(reg *pc.Registration, target string) *apiError {
	if reg.Status == "" || reg.Status == RegistrationActionNeeded {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, code: codeRegistrationLocked, target: target,
		message: "the deal registration is " + reg.Status + "; it can be changed only while it is ActionRequired (bulk-operations-deal-registrations.md)"}
}

// shareRefusal refuses withdrawing the sharing with Microsoft sellers
// (bulk-operations.md: "Share with Microsoft sales team" becomes read-only
// once it is Yes).
func shareRefusal(cur, next *pc.Referral) *apiError {
	if cur.Consent == nil || !cur.Consent.ConsentToShareReferralWithMicrosoftSellers || (next.Consent != nil && next.Consent.ConsentToShareReferralWithMicrosoftSellers) {
		return nil
	}
	return badRequest(codeShareWithdrawn, "/consent/consentToShareReferralWithMicrosoftSellers",
		"the referral is shared with Microsoft sellers, which cannot be withdrawn (bulk-operations.md)")
}
