package partnercenter

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// Referrals is the Referrals API as the engine uses it (engine.API): bodies
// go out as the Mapper built them, answers come back as refbatch.Remote
// with the referral's JSON as answered, and every error answers the
// refbatch error vocabulary. It is safe for concurrent use.
//
// Its step calls (Create, Get, Patch, Eligibility) are made once: the
// engine owns their retries (ExecOptions.MaxAttempts), because it journals
// every attempt with a fresh client-request-id and knows whether a failed
// write may have been applied. Only the listings (Newest, Engagement),
// which the engine does not repeat, are retried here, by c's RetryPolicy.
// A 429 with Retry-After still holds back every call of both kinds.
type Referrals struct {
	c    *Client // listings: retried by the pacer
	once *Client // steps: one attempt each
}

// NewReferrals returns the engine's view of c.
func NewReferrals(c *Client) *Referrals { return &Referrals{c: c, once: c.singleAttempt()} }

// ClockSkew is the service's clock minus ours (Client.ClockSkew).
func (a *Referrals) ClockSkew() (time.Duration, bool) { return a.c.ClockSkew() }

// withRequestID makes the next call send requestID as its
// client-request-id; "" lets the client draw one.
func withRequestID(ctx context.Context, requestID string) context.Context {
	if requestID == "" {
		return ctx
	}
	return WithClientRequestID(ctx, requestID)
}

// Create POSTs a referral body (a create or a co-sell link). It is never
// retried: see Client.Create.
func (a *Referrals) Create(ctx context.Context, requestID string, body json.RawMessage) (refbatch.Remote, error) {
	ref, raw, err := a.once.createRaw(withRequestID(ctx, requestID), body)
	if err != nil {
		return refbatch.Remote{}, err
	}
	return remoteOf(ref, raw), nil
}

// Get reads a referral with its eTag.
func (a *Referrals) Get(ctx context.Context, requestID, id string) (refbatch.Remote, error) {
	ref, raw, err := a.once.getRaw(withRequestID(ctx, requestID), id)
	if err != nil {
		return refbatch.Remote{}, err
	}
	return remoteOf(ref, raw), nil
}

// Patch applies a JSON Patch document with If-Match, asking for the updated
// referral (Prefer: return=representation). A service that answers 204
// anyway gives a Remote with only the id and the new ETag header.
func (a *Referrals) Patch(ctx context.Context, requestID, id, ifMatch string, patch json.RawMessage) (refbatch.Remote, error) {
	var ops []PatchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		return refbatch.Remote{}, fmt.Errorf("partnercenter: patch: not a JSON Patch document: %w", err)
	}
	if err := checkPatchOps(ops); err != nil {
		return refbatch.Remote{}, err
	}
	pa, err := a.once.patchRaw(withRequestID(ctx, requestID), id, patch, ifMatch, true)
	if err != nil {
		return refbatch.Remote{}, err
	}
	if pa.ref == nil {
		return refbatch.Remote{ID: id, ETag: pa.etag}, nil
	}
	r := remoteOf(pa.ref, pa.raw)
	if r.ID == "" {
		r.ID = id
	}
	return r, nil
}

// Eligibility asks whether the referral may get a deal registration.
// Failed names each failed policy as the API does, followed by the API's
// explanation (its additionalProperties) after ": " when it gave one.
func (a *Referrals) Eligibility(ctx context.Context, requestID, id string) (refbatch.Eligibility, error) {
	el, err := a.once.ReferralEligibility(withRequestID(ctx, requestID), id)
	if err != nil {
		return refbatch.Eligibility{}, err
	}
	out := refbatch.Eligibility{Eligible: el.IsEligible}
	for _, p := range el.FailedPolicies {
		name := p.PolicyName
		if len(p.AdditionalProperties) > 0 {
			name += ": " + strings.Join(p.AdditionalProperties, "; ")
		}
		out.Failed = append(out.Failed, name)
	}
	return out, nil
}

// Newest lists the partner's referrals newest first
// ($orderby=createdDateTime desc), following every @odata.nextLink. No $top
// is sent: the service's own page size is used, so a listing cannot be cut
// short by a $top the service reads as a total.
func (a *Referrals) Newest(ctx context.Context) iter.Seq2[refbatch.Remote, error] {
	return a.list(ctx, ListQuery{OrderBy: "createdDateTime desc"})
}

// Engagement lists every referral of one engagement
// ($filter=engagementId eq '…'), following every @odata.nextLink.
func (a *Referrals) Engagement(ctx context.Context, engagementID string) iter.Seq2[refbatch.Remote, error] {
	return a.list(ctx, ListQuery{Filter: FilterEq("engagementId", engagementID)})
}

// UpdatedSince lists the partner's referrals updated after since, oldest
// update first ($filter on updatedDateTime, $orderby=updatedDateTime asc:
// the documented fields), following every @odata.nextLink; a zero since
// lists them all. It is how the mirror of Partner Center is filled.
func (a *Referrals) UpdatedSince(ctx context.Context, since time.Time) iter.Seq2[refbatch.Remote, error] {
	q := ListQuery{OrderBy: "updatedDateTime asc"}
	if !since.IsZero() {
		q.Filter = "updatedDateTime gt " + since.UTC().Format(time.RFC3339Nano)
	}
	return a.list(ctx, q)
}

func (a *Referrals) list(ctx context.Context, q ListQuery) iter.Seq2[refbatch.Remote, error] {
	return func(yield func(refbatch.Remote, error) bool) {
		for rr, err := range a.c.listRaw(ctx, q) {
			if err != nil {
				yield(refbatch.Remote{}, err)
				return
			}
			if !yield(remoteOf(&rr.ref, rr.raw), nil) {
				return
			}
		}
	}
}

// remoteOf is what the engine keeps of a referral answer.
func remoteOf(r *Referral, raw []byte) refbatch.Remote {
	rem := refbatch.Remote{
		ID:                  r.ID,
		EngagementID:        r.EngagementID,
		OrganizationID:      r.OrganizationID,
		ExternalReferenceID: r.ExternalReferenceID,
		ETag:                r.ETag,
		Status:              string(r.Status),
		Substatus:           string(r.Substatus),
		Direction:           r.Direction,
	}
	if r.CreatedDateTime != nil {
		rem.Created = *r.CreatedDateTime
	}
	if r.UpdatedDateTime != nil {
		rem.Updated = *r.UpdatedDateTime
	}
	if r.ExpirationDateTime != nil {
		rem.Expires = *r.ExpirationDateTime
	}
	if r.Consent != nil {
		rem.SharedWithMicrosoft = r.Consent.ConsentToShareReferralWithMicrosoftSellers
	}
	if _, reg, ok := r.DealRegistration(); ok {
		rem.Registered, rem.RegistrationStatus = true, reg.Status
	}
	if len(raw) > 0 {
		rem.Raw = json.RawMessage(raw)
	}
	return rem
}

// DealRegistration is the referral's deal registration, with its index in
// Registrations: the first AzureIPCoSell one (the documented type), else
// the only one it has. It is the registration status and export show, the
// rules check and Register edits: one choice for all of them.
func (r *Referral) DealRegistration() (int, Registration, bool) {
	for i, reg := range r.Registrations {
		if strings.EqualFold(reg.Type, RegistrationTypeAzureIPCoSell) {
			return i, reg, true
		}
	}
	if len(r.Registrations) == 1 {
		return 0, r.Registrations[0], true
	}
	return 0, Registration{}, false
}
