package sandbox

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// handleCreate answers POST /v1.0/engagements/referrals: 201 Created with
// the populated referral, a Location and an ETag header.
func (s *Server) handleCreate(w *statusWriter, r *http.Request, d faultDecision) {
	body, e := s.readBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	var in pc.Referral
	if e := decodeBody(body, &in); e != nil {
		writeError(w, e)
		return
	}
	var ref pc.Referral
	s.locked(func() { ref, e = s.createLocked(in, s.now()) })
	if e != nil {
		writeError(w, e)
		return
	}
	if d.drop {
		s.dropConnection(w)
		return
	}
	w.Header().Set("Location", baseURL(r)+referralsPath+"/"+ref.ID)
	s.writeReferral(w, r, http.StatusCreated, ref, false)
}

// createLocked validates and stores a new referral. Callers hold s.mu.
func (s *Server) createLocked(ref pc.Referral, now time.Time) (pc.Referral, *apiError) {
	now = now.UTC()
	// Fields the server owns; whatever the body says about them is ignored.
	ref.ID, ref.ETag, ref.ODataContext, ref.Links = "", "", "", nil
	ref.AcceptedDateTime, ref.ExpirationDateTime, ref.ClosedDateTime = nil, nil, nil
	// Every referral in the sandbox was created by the caller: it goes out
	// from the caller's point of view (the documents' "Incoming" is a
	// referral received from someone else).
	ref.Direction = "Outgoing"
	// registrations is readOnly in Microsoft's Swagger: a deal is registered
	// with PATCH add /registrations/- once the referral is eligible, so a
	// create's registrations are ignored like the other server-owned fields.
	ref.Registrations = nil

	microsoft := strings.EqualFold(strings.TrimSpace(ref.OrganizationID), pc.MicrosoftOrganizationID)
	if microsoft {
		ref.OrganizationID, ref.OrganizationName = pc.MicrosoftOrganizationID, "Microsoft"
	} else {
		ref.OrganizationID, ref.OrganizationName = s.opts.OrganizationID, s.opts.OrganizationName
	}

	linked := false
	if eid := strings.TrimSpace(ref.EngagementID); eid != "" {
		members := s.engagements[strings.ToLower(eid)]
		if len(members) == 0 {
			return ref, badRequest(codeEngagementNotFound, "engagementId",
				"engagement %q does not exist: to link a referral, send the engagementId of an existing referral", eid)
		}
		ref.EngagementID = members[0].ref.EngagementID
		linked = true
	} else {
		ref.EngagementID = uuid.NewString()
	}

	normaliseEnums(&ref)
	// "None" (documented in referral-resources.md) is no state a referral
	// can be stored in: a create that sends it gets the defaults.
	if ref.Status == "None" {
		ref.Status = ""
	}
	if ref.Substatus == "None" {
		ref.Substatus = ""
	}
	if microsoft && linked {
		// Microsoft decides on its own referral: it starts New/Pending
		// whatever the body says, and Microsoft accepts it later.
		ref.Status, ref.Substatus = pc.StatusNew, pc.SubstatusPending
	}
	if ref.Status == "" {
		ref.Status = pc.StatusNew
		for st, subs := range substatusesOf {
			for _, sub := range subs {
				if sub == ref.Substatus {
					ref.Status = st
				}
			}
		}
	}
	if ref.Substatus == "" && oneOf(ref.Status, statusValues) {
		sub, ok := defaultSubstatus[ref.Status]
		if !ok {
			return ref, badRequest(codeRequiredField, "substatus", "substatus is required with status %s (one of %s)", ref.Status, joinSubstatuses(substatusesOf[ref.Status]))
		}
		ref.Substatus = sub
	}
	if e := validateReferral(&ref); e != nil {
		return ref, e
	}

	ref.ID = uuid.NewString()
	ref.CreatedDateTime, ref.UpdatedDateTime = &now, &now
	if ref.Status == pc.StatusActive {
		ref.AcceptedDateTime = &now
	}
	if microsoft && linked {
		s.microsoftReferralCreated(&ref, now)
	}
	ref.ETag = s.nextETag(now)
	rec := &record{seq: s.seq + 1}
	s.setRef(rec, ref)
	if microsoft && linked && s.opts.AcceptAfter > 0 {
		rec.acceptAt = now.Add(s.opts.AcceptAfter)
	}
	if e := s.persistLocked(rec.seq, ref, rec.acceptAt, true); e != nil {
		return ref, e
	}
	s.seq = rec.seq
	s.byID[ref.ID] = rec
	s.order = append(s.order, rec)
	key := strings.ToLower(ref.EngagementID)
	s.engagements[key] = append(s.engagements[key], rec)
	if !rec.acceptAt.IsZero() {
		s.pending[rec] = struct{}{}
	}
	s.track(rec)
	s.maybeCompactLocked()
	return ref, nil
}

// normaliseEnums rewrites enum values given in another case ("closed") in
// the documented case, as the service's enum binding reads them
// case-insensitively. Unknown values are left for validateReferral to name.
func normaliseEnums(r *pc.Referral) {
	r.Status = canonical(r.Status, statusValues)
	r.Substatus = canonical(r.Substatus, substatusValues)
	r.Type = canonical(r.Type, typeValues)
	r.Qualification = canonical(r.Qualification, qualificationValues)
	r.SalesStage = canonical(r.SalesStage, salesStageValues)
	if r.InviteContext != nil {
		r.InviteContext.AssistanceRequestCode = canonical(r.InviteContext.AssistanceRequestCode, assistanceRequestCodeValues)
	}
}
