package sandbox

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// Seed stores referrals that exist before a rehearsal starts: the ones a
// partner downloads in Microsoft's bulk template (with their Referral and
// Engagement IDs), a referral made in Partner Center's UI, or Microsoft's
// side of a co-sell engagement (organizationId "msft"). Unlike a create,
// it keeps what the referral says about itself: id, engagementId, status
// and substatus, consent, registrations and createdDateTime (default: the
// sandbox's now). Each referral is validated as a create would be; an id
// already stored, or a referral that does not validate, fails the whole
// call and stores nothing.
func (s *Server) Seed(refs ...pc.Referral) error {
	var err error
	s.locked(func() { err = s.seedLocked(refs) })
	return err
}

func (s *Server) seedLocked(refs []pc.Referral) error {
	now := s.now().UTC()
	ready := make([]pc.Referral, 0, len(refs))
	seen := map[string]bool{}
	for i, in := range refs {
		ref := deepCopy(in)
		ref.ETag, ref.ODataContext, ref.Links = "", "", nil
		if ref.ID == "" {
			return fmt.Errorf("seed %d: a seeded referral needs its id", i)
		}
		key := strings.ToLower(ref.ID)
		if s.byID[key] != nil || seen[key] {
			return fmt.Errorf("seed %d: referral %s already exists", i, ref.ID)
		}
		seen[key] = true
		if ref.EngagementID == "" {
			ref.EngagementID = uuid.NewString()
		}
		if strings.EqualFold(ref.OrganizationID, pc.MicrosoftOrganizationID) {
			ref.OrganizationID, ref.OrganizationName = pc.MicrosoftOrganizationID, "Microsoft"
		} else {
			ref.OrganizationID, ref.OrganizationName = s.opts.OrganizationID, s.opts.OrganizationName
		}
		// A lead sent to the partner keeps its direction; anything else
		// seeded is the partner's own, as a create is.
		if strings.EqualFold(ref.Direction, DirectionIncoming) {
			ref.Direction = DirectionIncoming
		} else {
			ref.Direction = DirectionOutgoing
		}
		normaliseEnums(&ref)
		if ref.Status == "" {
			ref.Status, ref.Substatus = pc.StatusNew, pc.SubstatusPending
		}
		if e := validateReferral(&ref); e != nil {
			return fmt.Errorf("seed %d (%s): %s: %s", i, ref.ID, e.target, e.message)
		}
		if ref.CreatedDateTime == nil {
			ref.CreatedDateTime = &now
		}
		if ref.UpdatedDateTime == nil {
			ref.UpdatedDateTime = ref.CreatedDateTime
		}
		if ref.Status == pc.StatusActive && ref.AcceptedDateTime == nil {
			ref.AcceptedDateTime = ref.CreatedDateTime
		}
		for j := range ref.Registrations {
			if ref.Registrations[j].ID == "" {
				ref.Registrations[j].ID = uuid.NewString()
			}
		}
		ready = append(ready, ref)
	}
	for _, ref := range ready {
		ref.ETag = s.nextETag(now)
		rec := &record{ref: ref, seq: s.seq + 1}
		if e := s.persistLocked(rec.seq, ref, rec.acceptAt, true); e != nil {
			return errors.New(e.message)
		}
		s.seq = rec.seq
		s.byID[strings.ToLower(ref.ID)] = rec
		s.order = append(s.order, rec)
		key := strings.ToLower(ref.EngagementID)
		s.engagements[key] = append(s.engagements[key], rec)
		s.track(rec)
	}
	s.maybeCompactLocked()
	return nil
}
