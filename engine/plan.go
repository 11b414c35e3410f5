package engine

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// Placeholders stand in plan output for what only an earlier step's answer
// can tell.
const (
	PlaceholderReferralID   = "{referral id from create}"
	PlaceholderEngagementID = "{engagement id from create}"
	// PlaceholderLiveEngagementID is the engagement of a referral an
	// offline plan has not read.
	PlaceholderLiveEngagementID = "{engagement id of the referral}"
)

// Target is what a row acts on, decided once by Resolve for plan, for the
// journal's records and for the run, so that the three never disagree.
type Target struct {
	Action string // create or update, after the upsert decision
	// Upsert is set when a create row becomes an update because Partner
	// Center already holds a referral with its External Reference ID.
	Upsert bool
	// Known is set when the row's External Reference ID names a referral.
	Known bool
	// Referral is the referral an update touches (ID, and EngagementID when
	// known); empty for a create.
	Referral refbatch.Remote
	// MicrosoftReferralID is the co-sell link of the known referral, "" when
	// it has none (or none is known).
	MicrosoftReferralID string
	// Also are other partner referrals with the row's External Reference
	// ID: the row cannot know which one it means and fails before sending.
	Also []string
}

// AmbiguousMessage says why a row whose External Reference ID Partner
// Center holds more than once fails.
func AmbiguousMessage(row *refbatch.Row, t Target) string {
	ids := append([]string{t.Referral.ID}, t.Also...)
	return fmt.Sprintf("Partner Center holds %d referrals with External Reference ID %q (%s): the row cannot know which one it means; fill its Referral ID, or close the duplicates in Partner Center",
		len(ids), row.ExternalReferenceID, strings.Join(ids, ", "))
}

// Resolve decides what row does. known is the referral its External
// Reference ID names (from the mirror of Partner Center, or what this run
// created), nil when none. A create row whose External Reference ID names
// a referral updates it instead (upsert): a file run twice, with another
// journal, or after the referral was made in Partner Center's UI never
// creates twice. An update row names its referral by Referral ID, else by
// its External Reference ID.
func Resolve(row *refbatch.Row, known *refbatch.Known) Target {
	t := Target{Action: row.Action, Referral: refbatch.Remote{ID: row.ReferralID}}
	if known == nil {
		return t
	}
	t.Known = true
	if row.ReferralID == "" {
		// Only a row that names its referral by External Reference ID can
		// mean either of two referrals that hold it.
		t.Also = known.Also
	}
	switch {
	case row.Action == refbatch.ActionCreate:
		t.Action, t.Upsert = refbatch.ActionUpdate, true
		t.Referral = refbatch.Remote{ID: known.ReferralID, EngagementID: known.EngagementID}
		t.MicrosoftReferralID = known.MicrosoftReferralID
	case t.Referral.ID == "" || strings.EqualFold(t.Referral.ID, known.ReferralID):
		t.Referral = refbatch.Remote{ID: known.ReferralID, EngagementID: known.EngagementID}
		t.MicrosoftReferralID = known.MicrosoftReferralID
	}
	return t
}

// WantsLink reports whether the row, acting on t, needs a co-sell link: a
// new co-sell referral, or an existing one (an update row, or a create row
// turned update) that is not known to have Microsoft's referral yet: the
// row upgrades it to Co-sell (Upgrades). For an existing referral the run
// first reads its engagement and links only when no Microsoft referral is
// there, as plan --online does, so a second run or a resume never links
// twice.
func (t Target) WantsLink(m Mapper, row *refbatch.Row) bool {
	return m.WantsLink(row) && (t.Action == refbatch.ActionCreate || t.MicrosoftReferralID == "")
}

// Upgrades reports whether the row, acting on t, links an existing
// referral to Microsoft (an upgrade to Co-sell), rather than the referral
// it creates.
func (t Target) Upgrades(m Mapper, row *refbatch.Row) bool {
	return t.Action != refbatch.ActionCreate && t.WantsLink(m, row)
}

// NoReferralMessage says why an update row has no referral to update.
func NoReferralMessage(row *refbatch.Row) string {
	if row.ExternalReferenceID == "" {
		return "the row updates a referral but names none: fill its Referral ID"
	}
	return fmt.Sprintf("no Referral ID, and Partner Center holds no referral with External Reference ID %q (nor does a row above create one): fill the row's Referral ID, or make it a create row", row.ExternalReferenceID)
}

// LiveFindings is the one live re-check: it re-checks row against the
// referral as Partner Center shows it now. First the round trip of a
// pulled workbook's row (roundTripFindings: a cell changed on both sides
// since the pull; a lead answered after its response window, judged by
// apiNow, the time on the API's clock). Then, with p, the rules whose
// verdict depends on the live referral (liveRules): the status transition
// and the status/substatus pair from the live status, and the lifecycle
// rules that read the live referral (a terminal referral cannot change;
// sharing with Microsoft sellers cannot be withdrawn; a registration
// changes only while ActionRequired, which m tells: does the row change
// live's registration; a deal registered less than 72 hours after its
// referral was created may be rejected). plan --online and run both use
// it, so what plan predicts is what run does. It returns errors and
// warnings: an error fails the row before anything is sent, a warning is
// reported and the row goes on.
func LiveFindings(p Policy, m Mapper, row *refbatch.Row, live refbatch.Remote, apiNow time.Time) ([]refbatch.Finding, error) {
	if live.ID == "" {
		return nil, nil
	}
	out, err := roundTripFindings(m, row, live, apiNow)
	if err != nil || p == nil {
		return out, err
	}
	r := *row
	r.Live, r.LiveShared, r.LiveCreated = true, live.SharedWithMicrosoft, live.Created
	r.LiveRegistrationStatus = live.RegistrationStatus
	if m != nil && row.RegisterDeal && live.Registered {
		_, edits, err := m.Register(row, live)
		r.LiveRegistrationEdit = edits && err == nil
	}
	// The status rules compare the row's Status with the live one; a row
	// that says no Status has no transition to check.
	if row.Filled.Has(refbatch.ColStatus) && live.Status != "" {
		r.CurrentStatus, r.CurrentSubstatus = live.Status, live.Substatus
		r.Filled = r.Filled.With(refbatch.ColCurrentStatus)
		if live.Substatus != "" {
			r.Filled = r.Filled.With(refbatch.ColCurrentSubstatus)
		}
		r.Invalid = r.Invalid.Without(refbatch.ColCurrentStatus).Without(refbatch.ColCurrentSubstatus)
	}
	var warned bool
	for _, f := range p.Evaluate(nil, &r) {
		if liveRules[f.Rule] {
			out = append(out, f)
			warned = warned || f.Severity == refbatch.SeverityWarning
		}
	}
	if !warned {
		return out, nil
	}
	// A warning the row has offline too (lifecycle-register on a row that
	// creates what it registers) was reported by validate: only what the
	// live referral adds is returned. Evaluated only when there is a
	// warning to compare: the rules run once per row otherwise.
	offline := map[string]bool{}
	for _, f := range p.Evaluate(nil, row) {
		if f.Severity == refbatch.SeverityWarning {
			offline[f.Rule+"\x00"+f.Message] = true
		}
	}
	return slices.DeleteFunc(out, func(f refbatch.Finding) bool {
		return f.Severity == refbatch.SeverityWarning && offline[f.Rule+"\x00"+f.Message]
	}), nil
}

// FirstError is the first error of findings, false when there is none.
func FirstError(findings []refbatch.Finding) (refbatch.Finding, bool) {
	for _, f := range findings {
		if f.Severity == refbatch.SeverityError {
			return f, true
		}
	}
	return refbatch.Finding{}, false
}

// liveRules are the rules whose verdict depends on the referral's present
// state, so LiveFindings re-checks them against the live referral.
var liveRules = map[string]bool{
	refbatch.RuleCosell:                    true, // an upgrade to Co-sell of an unshared referral
	refbatch.RuleStatusTransition:          true,
	refbatch.RuleStatusPair:                true,
	refbatch.RuleLifecycleTerminal:         true,
	refbatch.RuleLifecycleRegistrationEdit: true,
	refbatch.RuleLifecycleShare:            true,
	refbatch.RuleLifecycleRegister:         true,
}

// RowPlan is what a run would send for one row, in order.
type RowPlan struct {
	Row    int             `json:"row"`
	Key    refbatch.RowKey `json:"key,omitempty"`
	Action string          `json:"action"` // create or update, after upsert
	// Upsert is set when a create row becomes an update because Partner
	// Center already holds its External Reference ID.
	Upsert   bool               `json:"upsert,omitempty"`
	Valid    bool               `json:"valid"`
	Findings []refbatch.Finding `json:"findings,omitempty"`
	Requests []refbatch.Request `json:"requests"`
	// Note says what plan could not know offline, or why a step sends
	// nothing.
	Note string `json:"note,omitempty"`
	// NotLoaded says why the row is never sent at all (Row.NotLoadedNote:
	// "total row: not loaded").
	NotLoaded string `json:"notLoaded,omitempty"`
	// Changes are the cells of a pulled workbook's row that differ from
	// their pulled values: what its patch is made of.
	Changes []Change `json:"changes,omitempty"`
}

// Change is one cell edited since the pull: its column as the file heads
// it, the value pulled and the value now.
type Change struct {
	Column string `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// pulledChanges lists the cells of a pulled row that differ from the pull.
func pulledChanges(row *refbatch.Row) []Change {
	var out []Change
	if !row.IsPulled() {
		return nil
	}
	for _, c := range refbatch.PulledColumns() {
		if c == refbatch.ColReferralID || c == refbatch.ColExternalReferenceID || !row.Filled.Has(c) {
			continue
		}
		if _, ok := row.Header.Pulled[c]; ok {
			out = append(out, Change{Column: row.Header.Written(c), From: refbatch.CanonicalText(row.Pulled, c), To: refbatch.CanonicalText(row, c)})
		}
	}
	return out
}

// PlanRow lays out the requests of one valid row with the Mapper that run
// uses, so the bodies are byte for byte what run sends. t is the row's
// Resolve decision. live, when not nil, is the referral as Partner Center
// shows it now (plan --online), against which an update's patch is minimal;
// offline, the patch is built against an empty referral and shows every
// column the row fills. pending is set when the referral is one a row
// above creates: its ids are placeholders.
func PlanRow(row *refbatch.Row, t Target, live *refbatch.Remote, m Mapper) (RowPlan, error) {
	p := RowPlan{Row: row.Number, Key: refbatch.KeyOf(row), Action: t.Action, Upsert: t.Upsert, Valid: true, Requests: []refbatch.Request{}}
	target := t.Referral
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
			p.Note = "run would fail this row: " + NoReferralMessage(row)
			return p, nil
		}
		if unchangedSincePull(row) {
			p.Note = "no cell changed since the pull: nothing to send"
			return p, nil
		}
		p.Requests = append(p.Requests, refbatch.Request{Step: refbatch.StepGet, Method: "GET", Path: referralPath(target.ID)})
		base := refbatch.Remote{ID: target.ID, Raw: emptyReferral}
		nothing := "the live referral already shows every value of the row: nothing to patch"
		switch {
		case live != nil:
			base = *live
		case row.IsPulled():
			if pulled, ok := pulledReferral(row, target.ID, m); ok {
				base, nothing = pulled, "no cell changed since the pull: nothing to patch"
				notes = append(notes, "offline: the cells changed since the pull; --online also checks Partner Center's changes since")
				break
			}
			fallthrough
		default:
			notes = append(notes, "offline: the patch shows every filled column; with --online only what differs from the live referral")
		}
		req, need, err := m.Patch(row, base)
		if err != nil {
			return p, fmt.Errorf("row %d: patch: %w", row.Number, err)
		}
		if need {
			p.Requests = append(p.Requests, req)
			p.Changes = pulledChanges(row)
		} else {
			notes = append(notes, nothing)
		}
	}
	if t.WantsLink(m, row) {
		partner := target
		if p.Action == refbatch.ActionUpdate {
			// An upgrade to Co-sell: Microsoft's referral is made from the
			// partner's referral as it is (run reads it after the patch).
			if live != nil {
				partner = *live
			} else {
				notes = append(notes, "offline: the link is sent only if the referral's engagement has no Microsoft referral yet (run reads it first; plan --online shows it)")
			}
			if partner.EngagementID == "" {
				partner.EngagementID = PlaceholderLiveEngagementID
			}
		}
		req, err := m.Link(row, partner)
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

// pulledReferral is the referral as a pulled workbook's row was pulled,
// built as the Mapper would create it: an offline plan's patch against it
// holds the cells the user changed since.
func pulledReferral(row *refbatch.Row, id string, m Mapper) (refbatch.Remote, bool) {
	req, err := m.Create(row.Pulled)
	if err != nil || len(req.Body) == 0 {
		return refbatch.Remote{}, false
	}
	return refbatch.Remote{ID: id, Raw: req.Body}, true
}

// emptyReferral is what an offline plan patches against: every column the
// row fills shows as an operation.
var emptyReferral = json.RawMessage(`{}`)

func referralPath(id string) string {
	if id == PlaceholderReferralID {
		return "/v1.0/engagements/referrals/" + id
	}
	return "/v1.0/engagements/referrals/" + url.PathEscape(id)
}
