package engine

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/refbatch/refbatch"
)

// Placeholders stand in plan output for what only an earlier step's answer
// can tell.
const (
	PlaceholderReferralID   = "{referral id from create}"
	PlaceholderEngagementID = "{engagement id from create}"
)

// RowPlan is what a run would send for one row, in order.
type RowPlan struct {
	Row    int             `json:"row"`
	Key    refbatch.RowKey `json:"key,omitempty"`
	Action string          `json:"action"` // create or update, after upsert
	// Upsert is set when a create row becomes an update because this
	// journal already created its External Reference ID.
	Upsert   bool               `json:"upsert,omitempty"`
	Valid    bool               `json:"valid"`
	Findings []refbatch.Finding `json:"findings,omitempty"`
	Requests []refbatch.Request `json:"requests"`
	// Note says what plan could not know offline, or why a step sends
	// nothing.
	Note string `json:"note,omitempty"`
}

// PlanRow lays out the requests of one valid row with the Mapper that run
// uses, so the bodies are byte for byte what run sends. known is what the
// journal remembers of the row's External Reference ID; live, when not nil,
// is the referral as Partner Center shows it now (plan --online), against
// which an update's patch is minimal; offline, the patch is built against
// an empty referral and shows every column the row fills.
func PlanRow(row *refbatch.Row, known *refbatch.Known, live *refbatch.Remote, m Mapper) (RowPlan, error) {
	p := RowPlan{Row: row.Number, Key: refbatch.KeyOf(row), Action: row.Action, Valid: true, Requests: []refbatch.Request{}}
	target := refbatch.Remote{ID: row.ReferralID}
	if row.Action == refbatch.ActionCreate && known != nil {
		p.Action, p.Upsert = refbatch.ActionUpdate, true
		target = refbatch.Remote{ID: known.ReferralID, EngagementID: known.EngagementID}
	}
	if row.Action == refbatch.ActionUpdate && target.ID == "" && known != nil {
		target = refbatch.Remote{ID: known.ReferralID, EngagementID: known.EngagementID}
	}
	var notes []string
	if p.Action == refbatch.ActionCreate {
		req, err := m.Create(row)
		if err != nil {
			return p, fmt.Errorf("row %d: create: %w", row.Number, err)
		}
		p.Requests = append(p.Requests, req)
		target = refbatch.Remote{ID: PlaceholderReferralID, EngagementID: PlaceholderEngagementID}
	} else {
		if target.ID == "" {
			p.Note = fmt.Sprintf("no Referral ID, and this journal never created External Reference ID %q: run would fail this row", row.ExternalReferenceID)
			return p, nil
		}
		p.Requests = append(p.Requests, refbatch.Request{Step: refbatch.StepGet, Method: "GET", Path: referralPath(target.ID)})
		base := refbatch.Remote{ID: target.ID, Raw: emptyReferral}
		if live != nil {
			base = *live
		} else {
			notes = append(notes, "offline: the patch shows every filled column; with --online only what differs from the live referral")
		}
		req, need, err := m.Patch(row, base)
		if err != nil {
			return p, fmt.Errorf("row %d: patch: %w", row.Number, err)
		}
		if need {
			p.Requests = append(p.Requests, req)
		} else {
			notes = append(notes, "the live referral already shows every value of the row: nothing to patch")
		}
	}
	if m.WantsLink(row) && (p.Action == refbatch.ActionCreate || (known != nil && known.MicrosoftReferralID == "")) {
		req, err := m.Link(row, target)
		if err != nil {
			return p, fmt.Errorf("row %d: link: %w", row.Number, err)
		}
		p.Requests = append(p.Requests, req)
	}
	if row.RegisterDeal {
		p.Requests = append(p.Requests, refbatch.Request{Step: refbatch.StepEligibility, Method: "POST", Path: referralPath(target.ID) + "/dealregistrations/eligibility"})
		base := refbatch.Remote{ID: target.ID, Raw: emptyReferral}
		if live != nil && p.Action == refbatch.ActionUpdate {
			base = *live
		}
		req, need, err := m.Register(row, base)
		if err != nil {
			return p, fmt.Errorf("row %d: register: %w", row.Number, err)
		}
		if need {
			p.Requests = append(p.Requests, req)
		} else {
			notes = append(notes, "the referral already has its deal registration")
		}
	}
	p.Note = strings.Join(notes, "; ")
	return p, nil
}

// emptyReferral is what an offline plan patches against: every column the
// row fills shows as an operation.
var emptyReferral = json.RawMessage(`{}`)

func referralPath(id string) string { return "/v1.0/engagements/referrals/" + id }
