package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/partnercenter"
)

// PlanOptions say how Plan looks at Partner Center.
type PlanOptions struct {
	// Online reads each update row's live referral (the client's endpoint)
	// so that patches show only what differs and the live re-check
	// (engine.LiveFindings, as run applies it) is made.
	Online bool
}

// Plan lays out, row by row, what a run of file would send: the same
// upsert decision (engine.Resolve, with what the journal knows of Partner
// Center) and the same request bodies as Run. It sends nothing unless
// Online, and then only reads.
func (c *Client) Plan(ctx context.Context, file string, opts PlanOptions) ([]engine.RowPlan, Validation, error) {
	if opts.Online {
		if c.ep.URL == "" || c.ep.Token == nil {
			return nil, Validation{File: file}, errors.New("batch: an online plan needs an endpoint and a token source")
		}
	}
	in, err := c.load(ctx, file, c.cfg.Input)
	if err != nil {
		return nil, Validation{File: file}, err
	}
	known := map[string]refbatch.Known{}
	if c.jr != nil {
		var ids []string
		for _, lr := range in.rows {
			if lr.row.ExternalReferenceID != "" {
				ids = append(ids, lr.row.ExternalReferenceID)
			}
		}
		if known, err = c.jr.LookupMany(ctx, ids); err != nil {
			return nil, in.v, err
		}
	}
	var api *partnercenter.Referrals
	if opts.Online {
		pc, err := partnercenter.NewClient(c.ep.URL, partnercenter.WithTokenSource(c.ep.Token), partnercenter.WithLogger(c.cfg.Logger),
			partnercenter.WithClock(c.cfg.Now))
		if err != nil {
			return nil, in.v, fmt.Errorf("%w: %w", refbatch.ErrUsage, err)
		}
		api = partnercenter.NewReferrals(pc)
	}
	mapper := partnercenter.NewMapper()
	checker := in.policy.NewEvaluator()
	plans := make([]engine.RowPlan, 0, len(in.rows))
	for _, lr := range in.rows {
		row := lr.row
		if row.NotLoaded != "" {
			plans = append(plans, engine.RowPlan{Row: row.Number, NotLoaded: row.NotLoadedNote(),
				Findings: lr.findings, Requests: []refbatch.Request{}, Note: row.NotLoadedNote()})
			continue
		}
		if hasErrors(lr.findings) {
			plans = append(plans, engine.RowPlan{Row: row.Number, Key: refbatch.KeyOf(row), Action: row.Action,
				Findings: lr.findings, Requests: []refbatch.Request{}, Note: "skipped: " + firstError(lr.findings)})
			continue
		}
		ext := strings.ToLower(row.ExternalReferenceID)
		var kp *refbatch.Known
		if k, ok := known[ext]; ok && ext != "" {
			kp = &k
		}
		t := engine.Resolve(row, kp)
		if t.Action == refbatch.ActionCreate && ext != "" {
			// The rows below that name this External Reference ID act on
			// the referral this row will create, as they do in a run.
			known[ext] = refbatch.Known{ExternalReferenceID: row.ExternalReferenceID,
				ReferralID: engine.PlaceholderReferralID, EngagementID: engine.PlaceholderEngagementID}
		}
		var live *refbatch.Remote
		if api != nil && t.Action == refbatch.ActionUpdate && t.Referral.ID != "" && t.Referral.ID != engine.PlaceholderReferralID {
			r, err := api.Get(ctx, partnercenter.NewClientRequestID(), t.Referral.ID)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return nil, in.v, err
				}
				plans = append(plans, engine.RowPlan{Row: row.Number, Key: refbatch.KeyOf(row), Action: refbatch.ActionUpdate, Upsert: t.Upsert,
					Requests: []refbatch.Request{}, Note: fmt.Sprintf("run would fail this row: %v", err)})
				continue
			}
			live = &r
		}
		var linkNote string
		if live != nil && t.Upgrades(mapper, row) {
			// As run does: an upgrade to Co-sell links only when the
			// engagement has no Microsoft referral yet.
			msft, err := microsoftReferralOf(ctx, api, live.EngagementID)
			switch {
			case errors.Is(err, context.Canceled):
				return nil, in.v, err
			case err != nil:
				linkNote = fmt.Sprintf("run would fail this row: %v", err)
			case msft != "":
				t.MicrosoftReferralID = msft
				linkNote = fmt.Sprintf("the engagement already has Microsoft's referral %s: nothing to link", msft)
			}
		}
		p, err := engine.PlanRow(row, t, live, mapper)
		if err != nil {
			return nil, in.v, err
		}
		p.Note = joinNote(p.Note, linkNote)
		if t.Referral.ID == engine.PlaceholderReferralID {
			p.Note = joinNote(p.Note, "updates the referral an earlier row of the file creates")
		}
		if live != nil {
			skew, _ := api.ClockSkew()
			fs, err := engine.LiveFindings(checker, mapper, row, *live, c.cfg.Now().Add(skew))
			if err != nil {
				return nil, in.v, err
			}
			p.Findings = append(p.Findings, fs...)
			if f, ok := engine.FirstError(fs); ok {
				p.Valid = false
				p.Note = joinNote(p.Note, fmt.Sprintf("run would fail this row before sending: %s (%s)", f.Message, f.Rule))
			}
		}
		plans = append(plans, p)
	}
	return plans, in.v, nil
}

// microsoftReferralOf is the id of Microsoft's referral in an engagement,
// "" when it has none.
func microsoftReferralOf(ctx context.Context, api *partnercenter.Referrals, engagementID string) (string, error) {
	if engagementID == "" {
		return "", errors.New("the referral's engagement id is unknown; cannot link it for co-sell")
	}
	for ref, err := range api.Engagement(ctx, engagementID) {
		if err != nil {
			return "", fmt.Errorf("read engagement %s: %w", engagementID, err)
		}
		if strings.EqualFold(ref.OrganizationID, partnercenter.MicrosoftOrganizationID) {
			return ref.ID, nil
		}
	}
	return "", nil
}

func joinNote(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return b
	}
	return a + "; " + b
}
