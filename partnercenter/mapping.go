package partnercenter

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// This file is the one place where a spreadsheet row meets the wire: the
// create and co-sell link bodies, the minimal JSON Patch of an update and
// the deal registration (SPEC §3, §4). Everything else in refbatch speaks
// refbatch.Row; everything else here speaks Referral.

// referralsPath is the path of the referrals collection.
const referralsPath = "/v1.0/engagements/referrals"

// The top-level paths of the Services co-sell fields (create-referral.txt:
// "Partner role", "Solution Area", "Solution Play"); their JSON names are
// the tags of Referral.PartnerRole, SolutionArea and SolutionPlay.
const (
	pathPartnerRole  = "/partnerRole"
	pathSolutionArea = "/solutionArea"
	pathSolutionPlay = "/solutionPlay"
)

// Mapper turns rows into the requests of their steps. It is pure (no I/O),
// has no state, and is safe for concurrent use; plan and run share it, so
// what plan prints is what run sends.
type Mapper struct{}

// NewMapper returns a Mapper.
func NewMapper() *Mapper { return &Mapper{} }

// WantsLink reports whether a row asks for the co-sell link: its Deal Type
// is Co-sell (or its Help Needed is yes). On a create row that is the link
// after the create; on an update row it upgrades a Private or Partner-led
// referral to Co-sell (create-referral.txt, "Upgrade from Private/Partner-led
// to Co-sell deal"), unless the referral's engagement already has
// Microsoft's referral, which the engine checks before it links.
func (m *Mapper) WantsLink(row *refbatch.Row) bool {
	return sameFold(row.DealType, refbatch.DealTypeCosell)
}

// Create returns the POST of a new referral. The Deal Type decides the type
// and consent (SPEC §4): Private is Independent and not shared with
// Microsoft sellers; Partner-led and Co-sell are Shared and shared (the
// Microsoft side of a Co-sell deal is the Link step's).
func (m *Mapper) Create(row *refbatch.Row) (refbatch.Request, error) {
	ref, err := createReferral(row)
	if err != nil {
		return refbatch.Request{}, fmt.Errorf("create row %d: %w", row.Number, err)
	}
	return request(refbatch.StepCreate, http.MethodPost, referralsPath, ref)
}

func createReferral(row *refbatch.Row) (*Referral, error) {
	var typ ReferralType
	var share bool
	switch {
	case sameFold(row.DealType, refbatch.DealTypePrivate):
		typ, share = TypeIndependent, false
	case sameFold(row.DealType, refbatch.DealTypePartnerLed), sameFold(row.DealType, refbatch.DealTypeCosell):
		typ, share = TypeShared, true
	case row.DealType == "":
		return nil, errors.New("no Deal Type: Private, Partner-led or Co-sell")
	default:
		return nil, fmt.Errorf("unknown Deal Type %q", row.DealType)
	}
	// A Referral Type the user wrote wins over the Deal Type's; the rules
	// report a contradiction.
	if has(row, refbatch.ColReferralType) && row.ReferralType != "" {
		typ = ReferralType(row.ReferralType)
	}
	ref := &Referral{
		Name:                row.Name,
		ExternalReferenceID: row.ExternalReferenceID,
		Status:              ReferralStatus(row.Status),
		Substatus:           ReferralSubstatus(row.Substatus),
		StatusReason:        row.StatusReason,
		Qualification:       ReferralQualification(row.Qualification),
		Type:                typ,
		CustomerProfile:     customerProfile(row),
		Consent: &Consent{
			ConsentToShareInfoWithOthers:               row.ConsentToShareInfo,
			ConsentToContact:                           row.ConsentToContact,
			ConsentToShareReferralWithMicrosoftSellers: share,
		},
		Details:      details(row, row.Notes, true),
		PartnerRole:  row.PartnerRole,
		SolutionArea: row.SolutionArea,
		SolutionPlay: row.SolutionPlay,
		CampaignID:   row.MarketingCampaignID,
		MpnID:        row.PartnerID,
		SalesStage:   salesStage(row.SalesStage),
	}
	// Microsoft's co-sell template creates deals as New + Accepted, and
	// Partner Center places the deals you create in the Accepted stage
	// (manage-co-sell-opportunities.md): on the wire that is Active.
	if ref.Status == StatusNew && ref.Substatus == SubstatusAccepted {
		ref.Status = StatusActive
	}
	if mem, ok := teamMember(row); ok {
		ref.Team = []Member{mem}
	}
	for _, m := range row.TeamMembers {
		ref.Team = append(ref.Team, Member{FirstName: m.FirstName, LastName: m.LastName, PhoneNumber: m.Phone, Email: m.Email})
	}
	return ref, nil
}

// customerProfile is the customer of a row: name, address, size, the
// contact as team[0], and Customer Managed as isMatchingComplete (the
// property the isCustomerManaged policy reports).
func customerProfile(row *refbatch.Row) *CustomerProfile {
	cp := &CustomerProfile{Name: row.CustomerName, Size: row.CustomerSize}
	if a := (Address{AddressLine1: row.AddressLine1, AddressLine2: row.AddressLine2, City: row.City,
		State: row.State, PostalCode: row.PostalCode, Country: row.Country}); !isZero(a) {
		cp.Address = &a
	}
	if c, ok := contact(row); ok {
		cp.Team = []Member{c}
	}
	if has(row, refbatch.ColCustomerManaged) {
		cp.IsMatchingComplete = new(row.CustomerManaged)
	}
	// The customer's D-U-N-S number as a CustomerProfileType id
	// (referral-resources.md: "Duns").
	if row.DUNSID != "" {
		b, _ := json.Marshal([]CustomerID{{ProfileType: "Duns", ID: row.DUNSID}})
		cp.IDs = CustomerIDs(b)
	}
	return cp
}

func contact(row *refbatch.Row) (Member, bool) {
	m := Member{FirstName: row.ContactFirstName, LastName: row.ContactLastName, Email: row.ContactEmail, PhoneNumber: row.ContactPhone}
	return m, !isZero(m)
}

func teamMember(row *refbatch.Row) (Member, bool) {
	m := Member{FirstName: row.TeamMemberFirstName, LastName: row.TeamMemberLastName, Email: row.TeamMemberEmail, PhoneNumber: row.TeamMemberPhone}
	return m, !isZero(m)
}

// details is the deal of a row; requirements only when withRequirements.
func details(row *refbatch.Row, notes string, withRequirements bool) *ReferralDetails {
	d := &ReferralDetails{Notes: notes, Currency: row.Currency}
	if has(row, refbatch.ColDealValue) {
		d.DealValue = NewAmount(row.DealValue)
	}
	if !row.ClosingDate.IsZero() {
		d.ClosingDateTime = new(day(row.ClosingDate))
	}
	if !withRequirements {
		return d
	}
	req := &Requirements{
		Industries: requirements(row.Industries),
		Products:   requirements(row.Products),
		Services:   requirements(row.Services),
	}
	for _, id := range row.SolutionIDs {
		req.Solutions = append(req.Solutions, solutionOf(row, id))
	}
	// The customer's marketplace intent, as create-referral.txt's co-sell
	// example sends it.
	if row.MarketplacePurchaseIntent != "" {
		req.AdditionalRequirements = &AdditionalRequirements{Attributes: []Attribute{{ID: row.MarketplacePurchaseIntent, Type: AttributeCustomerMarketplaceIntent}}}
	}
	if req.Industries != nil || req.Products != nil || req.Services != nil || req.Solutions != nil || req.AdditionalRequirements != nil {
		d.Requirements = req
	}
	return d
}

// AttributeCustomerMarketplaceIntent is the attribute type of the
// Marketplace Purchase Intent.
const AttributeCustomerMarketplaceIntent = "CustomerMarketplaceIntent"

// solutionOf is a solution id with the price, currency and quantity a
// "Solution n" cell gave it.
func solutionOf(row *refbatch.Row, id string) Solution {
	s := Solution{ID: id}
	for _, l := range row.SolutionLines {
		if strings.EqualFold(l.ID, id) {
			s.Currency = l.Currency
			if l.Price != nil {
				s.Price = NewAmount(*l.Price)
			}
			if l.Quantity != nil {
				s.Quantity = NewAmount(*l.Quantity)
			}
			break
		}
	}
	return s
}

// salesStage is the wire salesStage of a row's Sales Stage: the Swagger's
// Qualify, Develop, Propose or Close; Created (10%) and Won (100%) are
// states, not a salesStage, and send none.
func salesStage(s string) string {
	switch s {
	case refbatch.SalesStageQualify, refbatch.SalesStageDevelop, refbatch.SalesStagePropose, refbatch.SalesStageClose:
		return s
	}
	return ""
}

func requirements(ids []string) []Requirement {
	var out []Requirement
	for _, id := range ids {
		out = append(out, Requirement{ID: id})
	}
	return out
}

// day is the calendar day of t as midnight UTC: the wire form of a date
// cell, whatever zone the importer gave it.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Link returns the POST of Microsoft's referral into the engagement the
// create answered (create-referral.txt, "Upgrade from Private/Partner-led to
// Co-sell deal", step 2): organizationId msft, the partner's engagementId,
// target BusinessProfileLocation msft, and an inviteContext with the
// Assistance Request Code and Invite Notes. It carries the row's External
// Reference ID too, so a link whose answer was lost can be found again.
func (m *Mapper) Link(row *refbatch.Row, created refbatch.Remote) (refbatch.Request, error) {
	if created.EngagementID == "" {
		return refbatch.Request{}, fmt.Errorf("link row %d: the created referral has no engagementId", row.Number)
	}
	invitedBy := &Organization{OrganizationID: created.OrganizationID}
	if len(created.Raw) > 0 {
		partner, _, err := DecodeReferral(created.Raw)
		if err != nil {
			return refbatch.Request{}, fmt.Errorf("link row %d: read the created referral: %w", row.Number, err)
		}
		if invitedBy.OrganizationID == "" {
			invitedBy.OrganizationID = partner.OrganizationID
		}
		invitedBy.OrganizationName = partner.OrganizationName
	}
	if isZero(*invitedBy) {
		invitedBy = nil
	}
	notes := row.InviteNotes
	if notes == "" {
		notes = row.Notes
	}
	if row.Action == refbatch.ActionUpdate && len(created.Raw) > 0 {
		return upgradeLink(row, created, invitedBy, notes)
	}
	ref := &Referral{
		EngagementID:        created.EngagementID,
		OrganizationID:      MicrosoftOrganizationID,
		OrganizationName:    "Microsoft",
		Name:                row.Name,
		ExternalReferenceID: row.ExternalReferenceID,
		Qualification:       ReferralQualification(row.Qualification),
		Type:                TypeShared,
		CustomerProfile:     customerProfile(row),
		Consent: &Consent{
			ConsentToShareInfoWithOthers:               row.ConsentToShareInfo,
			ConsentToContact:                           row.ConsentToContact,
			ConsentToShareReferralWithMicrosoftSellers: true,
		},
		Details: details(row, notes, false),
		InviteContext: &InviteContext{
			Notes:                 row.InviteNotes,
			InvitedBy:             invitedBy,
			AssistanceRequestCode: row.AssistanceRequestCode,
		},
		Target: []ReferralTarget{{Type: TargetBusinessProfileLocation, ID: MicrosoftOrganizationID}},
	}
	return request(refbatch.StepLink, http.MethodPost, referralsPath, ref)
}

// upgradeLink is the link of an update row that upgrades an existing
// referral to Co-sell: the Microsoft referral is made from the partner's
// referral as Partner Center holds it (create-referral.txt: "create a
// Microsoft referral using partner referral details"), since an update row
// fills only what changes and its customer fields are never sent (they are
// read-only after creation). The row's own values of the columns an update
// may change win, so the link says what the patch before it made true.
func upgradeLink(row *refbatch.Row, partner refbatch.Remote, invitedBy *Organization, notes string) (refbatch.Request, error) {
	p, _, err := DecodeReferral(partner.Raw)
	if err != nil {
		return refbatch.Request{}, fmt.Errorf("link row %d: read the referral: %w", row.Number, err)
	}
	name := p.Name
	if has(row, refbatch.ColName) {
		name = row.Name
	}
	qual := p.Qualification
	if has(row, refbatch.ColQualification) {
		qual = ReferralQualification(row.Qualification)
	}
	consent := &Consent{ConsentToShareReferralWithMicrosoftSellers: true}
	if p.Consent != nil {
		consent.ConsentToShareInfoWithOthers, consent.ConsentToContact = p.Consent.ConsentToShareInfoWithOthers, p.Consent.ConsentToContact
	}
	if has(row, refbatch.ColConsentToShareInfo) {
		consent.ConsentToShareInfoWithOthers = row.ConsentToShareInfo
	}
	if has(row, refbatch.ColConsentToContact) {
		consent.ConsentToContact = row.ConsentToContact
	}
	d := &ReferralDetails{}
	if p.Details != nil {
		d.DealValue, d.Currency, d.ClosingDateTime, d.Notes = p.Details.DealValue, p.Details.Currency, p.Details.ClosingDateTime, p.Details.Notes
	}
	if has(row, refbatch.ColDealValue) {
		d.DealValue = NewAmount(row.DealValue)
	}
	if has(row, refbatch.ColCurrency) {
		d.Currency = row.Currency
	}
	if has(row, refbatch.ColClosingDate) {
		d.ClosingDateTime = new(day(row.ClosingDate))
	}
	if notes != "" {
		d.Notes = notes
	}
	ref := &Referral{
		EngagementID:        partner.EngagementID,
		OrganizationID:      MicrosoftOrganizationID,
		OrganizationName:    "Microsoft",
		Name:                name,
		ExternalReferenceID: cmp.Or(row.ExternalReferenceID, p.ExternalReferenceID),
		Qualification:       qual,
		Type:                TypeShared,
		CustomerProfile:     p.CustomerProfile,
		Consent:             consent,
		Details:             d,
		InviteContext: &InviteContext{
			Notes:                 row.InviteNotes,
			InvitedBy:             invitedBy,
			AssistanceRequestCode: row.AssistanceRequestCode,
		},
		Target: []ReferralTarget{{Type: TargetBusinessProfileLocation, ID: MicrosoftOrganizationID}},
	}
	return request(refbatch.StepLink, http.MethodPost, referralsPath, ref)
}

// Patch returns the minimal JSON Patch that makes live show what the row's
// filled cells say: one replace (or add, for team members and an absent
// contact) per filled column whose live value differs, compared as the
// column's kind (money as numbers, dates by day, enums and e-mails without
// case, lists as sets). Defaults Resolve filled in are not the row's word
// and send nothing. ok is false when live already shows it all, which is
// how a lost answer, a 412 or a resume is reconciled. Deal Type and Referral
// Type are not patchable (type is fixed at creation) and are ignored here.
func (m *Mapper) Patch(row *refbatch.Row, live refbatch.Remote) (refbatch.Request, bool, error) {
	cur, err := liveReferral(live)
	if err != nil {
		return refbatch.Request{}, false, fmt.Errorf("patch row %d: %w", row.Number, err)
	}
	ops := (&patchBuilder{row: row}).build(cur)
	if len(ops) == 0 {
		return refbatch.Request{}, false, nil
	}
	req, err := request(refbatch.StepPatch, http.MethodPatch, referralPath(live.ID), ops)
	return req, err == nil, err
}

// Register returns the add /registrations/- patch of an AzureIPCoSell deal
// registration (update-referral-and-deal-registration.txt) from the
// Contract… columns and one solutionDetails entry per Solution ID. When
// live already has an AzureIPCoSell registration (a referral has at most
// one) it returns the edit of it instead: a replace of each registration
// field whose filled column differs (the /registrations/0/… paths of the
// Swagger), which Partner Center accepts only while the registration is
// ActionRequired (rule lifecycle-registration-edit). ok is false when live
// already shows it all, so a register whose answer was lost is not sent
// again.
func (m *Mapper) Register(row *refbatch.Row, live refbatch.Remote) (refbatch.Request, bool, error) {
	cur, err := liveReferral(live)
	if err != nil {
		return refbatch.Request{}, false, fmt.Errorf("register row %d: %w", row.Number, err)
	}
	if i, reg, ok := cur.DealRegistration(); ok {
		ops := registrationEdit(row, i, reg)
		if len(ops) == 0 {
			return refbatch.Request{}, false, nil
		}
		req, err := request(refbatch.StepRegister, http.MethodPatch, referralPath(live.ID), ops)
		return req, err == nil, err
	}
	ops := []PatchOp{{Op: OpAdd, Path: "/registrations/-", Value: registration(row, cur)}}
	req, err := request(refbatch.StepRegister, http.MethodPatch, referralPath(live.ID), ops)
	return req, err == nil, err
}

// registration is the row's deal registration of live. Its solutions are
// the row's Solution IDs, else live's (a row of the deal registrations
// template names none: it registers the referral's solution). Solution
// Value and Solution Currency, when the row has them, are each solution's
// value; else the contract value belongs to a sole solution.
func registration(row *refbatch.Row, live *Referral) Registration {
	currency := row.ContractCurrency
	if currency == "" {
		currency = row.Currency // one currency for the deal and its contract, unless told
	}
	c := &Contract{Currency: currency, Term: row.ContractTerm}
	if has(row, refbatch.ColContractValue) {
		c.Value = NewAmount(row.ContractValue)
	}
	c.SignDateTime = optionalDay(row.ContractSignDate)
	c.StartDateTime = optionalDay(row.ContractStartDate)
	c.EndDateTime = optionalDay(row.ContractEndDate)
	reg := Registration{Type: RegistrationTypeAzureIPCoSell, Contract: c}
	ids := row.SolutionIDs
	if len(ids) == 0 && live.Details != nil && live.Details.Requirements != nil {
		for _, sol := range live.Details.Requirements.Solutions {
			ids = append(ids, sol.ID)
		}
	}
	for _, id := range ids {
		s := RegistrationSolution{
			ID:                  id,
			IsDeployedOnAzure:   row.DeployedOnAzure,
			PrimaryDeploymentOn: row.PrimaryDeploymentOn,
			PricingModel:        row.PricingModel,
			MarketplaceTransactionDetails: &MarketplaceTransactionDetails{
				IsMarketplaceTransacted:        row.MarketplaceTransacted,
				MarketplaceTransactionDateTime: optionalDay(row.MarketplaceTransactionDate),
			},
		}
		// The contract value belongs to the solution only when there is one;
		// how a contract splits over several solutions is not the row's to say.
		switch {
		case has(row, refbatch.ColSolutionValue):
			s.Value, s.Currency = NewAmount(row.SolutionValue), cmp.Or(row.SolutionCurrency, currency)
		case len(ids) == 1:
			s.Value, s.Currency = c.Value, currency
		}
		reg.SolutionDetails = append(reg.SolutionDetails, s)
	}
	return reg
}

// registrationEdit is the patch that makes registration i (reg) show the
// registration columns the row fills: the contract's fields, and each
// registered solution's (those the row's Solution IDs name, else all).
func registrationEdit(row *refbatch.Row, i int, reg Registration) []PatchOp {
	b := &patchBuilder{row: row}
	base := fmt.Sprintf("/registrations/%d", i)
	c := reg.Contract
	if c == nil {
		c = &Contract{}
	}
	b.number(refbatch.ColContractValue, base+"/contract/value", c.Value)
	b.enum(refbatch.ColContractCurrency, base+"/contract/currency", c.Currency)
	b.enum(refbatch.ColContractTerm, base+"/contract/term", c.Term)
	b.date(refbatch.ColContractSignDate, base+"/contract/signDateTime", c.SignDateTime)
	b.date(refbatch.ColContractStartDate, base+"/contract/startDateTime", c.StartDateTime)
	b.date(refbatch.ColContractEndDate, base+"/contract/endDateTime", c.EndDateTime)
	for j, sol := range reg.SolutionDetails {
		if len(row.SolutionIDs) > 0 && !containsFold(row.SolutionIDs, sol.ID) {
			continue
		}
		path := fmt.Sprintf("%s/solutionDetails/%d", base, j)
		b.number(refbatch.ColSolutionValue, path+"/value", sol.Value)
		if !b.filled(refbatch.ColSolutionValue) && len(reg.SolutionDetails) == 1 {
			// As registration sends it: a sole solution's value is the
			// contract's.
			b.number(refbatch.ColContractValue, path+"/value", sol.Value)
		}
		b.enum(refbatch.ColSolutionCurrency, path+"/currency", sol.Currency)
		b.flag(refbatch.ColDeployedOnAzure, path+"/isDeployedOnAzure", &sol.IsDeployedOnAzure)
		b.enum(refbatch.ColPrimaryDeploymentOn, path+"/primaryDeploymentOn", sol.PrimaryDeploymentOn)
		b.enum(refbatch.ColPricingModel, path+"/pricingModel", sol.PricingModel)
		mt := sol.MarketplaceTransactionDetails
		if mt == nil {
			mt = &MarketplaceTransactionDetails{}
		}
		b.flag(refbatch.ColMarketplaceTransacted, path+"/marketplaceTransactionDetails/isMarketplaceTransacted", &mt.IsMarketplaceTransacted)
		b.date(refbatch.ColMarketplaceTransactionDate, path+"/marketplaceTransactionDetails/marketplaceTransactionDateTime", mt.MarketplaceTransactionDateTime)
	}
	return b.ops
}

func optionalDay(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return new(day(t))
}

func liveReferral(live refbatch.Remote) (*Referral, error) {
	if live.ID == "" {
		return nil, errors.New("the live referral has no id")
	}
	if len(live.Raw) == 0 {
		return nil, fmt.Errorf("referral %s: no live state to compare with", live.ID)
	}
	// Tolerantly, as the client lists: an odd member of the live referral
	// (kept in Extra) must not fail the row.
	r, _, err := DecodeReferral(live.Raw)
	if err != nil {
		return nil, fmt.Errorf("referral %s: read live state: %w", live.ID, err)
	}
	return &r, nil
}

func referralPath(id string) string { return referralsPath + "/" + url.PathEscape(id) }

func request(step refbatch.StepName, method, path string, body any) (refbatch.Request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return refbatch.Request{}, fmt.Errorf("%s: encode body: %w", step, err)
	}
	return refbatch.Request{Step: step, Method: method, Path: path, Body: b}, nil
}

// patchBuilder collects the operations of one update row, in column order.
type patchBuilder struct {
	row *refbatch.Row
	ops []PatchOp
}

func (b *patchBuilder) filled(c refbatch.Column) bool { return has(b.row, c) }

// has reports whether the row's own cell gave column c a value: filled and
// parsed. Defaults Resolve chose are not the row's word.
func has(row *refbatch.Row, c refbatch.Column) bool {
	return row.Filled.Has(c) && !row.Invalid.Has(c)
}

func (b *patchBuilder) replace(path string, v any) {
	b.ops = append(b.ops, PatchOp{Op: OpReplace, Path: path, Value: v})
}

// text sets path to the column's text when it differs exactly.
func (b *patchBuilder) text(c refbatch.Column, path, live string) {
	if want := *b.row.TextField(c); b.filled(c) && want != strings.TrimSpace(live) {
		b.replace(path, want)
	}
}

// enum sets path when the column's value differs ignoring case, spaces and
// hyphens, as enums are matched everywhere.
func (b *patchBuilder) enum(c refbatch.Column, path, live string) {
	if want := *b.row.TextField(c); b.filled(c) && !sameFold(want, live) {
		b.replace(path, want)
	}
}

// email sets path when the address differs ignoring case.
func (b *patchBuilder) email(c refbatch.Column, path, live string) {
	if want := *b.row.TextField(c); b.filled(c) && !strings.EqualFold(want, strings.TrimSpace(live)) {
		b.replace(path, want)
	}
}

func (b *patchBuilder) number(c refbatch.Column, path string, live *Amount) {
	want := *b.row.NumberField(c)
	if b.filled(c) && (live == nil || math.Abs(float64(*live)-want) >= 0.005) {
		b.replace(path, want)
	}
}

func (b *patchBuilder) date(c refbatch.Column, path string, live *time.Time) {
	want := day(*b.row.DateField(c))
	if b.filled(c) && (live == nil || !day(live.UTC()).Equal(want)) {
		b.replace(path, want)
	}
}

func (b *patchBuilder) flag(c refbatch.Column, path string, live *bool) {
	want := *b.row.BoolField(c)
	if b.filled(c) && (live == nil || *live != want) {
		b.replace(path, want)
	}
}

func (b *patchBuilder) build(cur *Referral) []PatchOp {
	row := b.row
	b.text(refbatch.ColExternalReferenceID, "/externalReferenceId", cur.ExternalReferenceID)
	b.text(refbatch.ColName, "/name", cur.Name)
	b.enum(refbatch.ColQualification, "/qualification", string(cur.Qualification))
	b.enum(refbatch.ColStatus, "/status", string(cur.Status))
	b.enum(refbatch.ColSubstatus, "/substatus", string(cur.Substatus))
	// Active has one substatus: a row that moves a referral to Active
	// without naming it means Accepted, and the pair must stay valid.
	if b.filled(refbatch.ColStatus) && !b.filled(refbatch.ColSubstatus) &&
		sameFold(row.Status, refbatch.StatusActive) && !sameFold(string(cur.Status), refbatch.StatusActive) &&
		!sameFold(string(cur.Substatus), refbatch.SubstatusAccepted) {
		b.replace("/substatus", refbatch.SubstatusAccepted)
	}
	b.text(refbatch.ColStatusReason, "/statusReason", cur.StatusReason)
	// A Close Reason (a template's code, read as its text by Resolve)
	// is the status reason when the row has no Status Reason of its own.
	if b.filled(refbatch.ColCloseReason) && !b.filled(refbatch.ColStatusReason) && row.StatusReason != "" && row.StatusReason != strings.TrimSpace(cur.StatusReason) {
		b.replace("/statusReason", row.StatusReason)
	}
	if st := salesStage(row.SalesStage); b.filled(refbatch.ColSalesStage) && st != "" && !sameFold(st, cur.SalesStage) {
		b.replace("/salesStage", st)
	}
	b.text(refbatch.ColMarketingCampaignID, "/campaignId", cur.CampaignID)

	cp := cur.CustomerProfile
	if cp == nil {
		cp = &CustomerProfile{}
	}
	addr := cp.Address
	if addr == nil {
		addr = &Address{}
	}
	// The customer's name, address and D-U-N-S ID and the PartnerID are
	// read-only once the referral exists (bulk-operations.md, "Fields
	// that become read-only after you create the referral"): an update
	// never sends them (ReadOnlyAfterCreate; rule lifecycle-readonly).
	b.enum(refbatch.ColCustomerSize, "/customerProfile/size", cp.Size)
	b.contact(cp)

	d := cur.Details
	if d == nil {
		d = &ReferralDetails{}
	}
	b.number(refbatch.ColDealValue, "/details/dealValue", d.DealValue)
	b.enum(refbatch.ColCurrency, "/details/currency", d.Currency)
	b.date(refbatch.ColClosingDate, "/details/closingDateTime", d.ClosingDateTime)
	b.text(refbatch.ColNotes, "/details/notes", d.Notes)
	req := d.Requirements
	if req == nil {
		req = &Requirements{}
	}
	b.requirementList(refbatch.ColIndustries, "/details/requirements/industries", req.Industries)
	b.requirementList(refbatch.ColProducts, "/details/requirements/products", req.Products)
	b.requirementList(refbatch.ColServices, "/details/requirements/services", req.Services)
	b.solutions(req.Solutions)
	b.marketplaceIntent(req.AdditionalRequirements)

	var share, info, contact *bool
	if c := cur.Consent; c != nil {
		share, info, contact = &c.ConsentToShareReferralWithMicrosoftSellers, &c.ConsentToShareInfoWithOthers, &c.ConsentToContact
	}
	b.flag(refbatch.ColShareWithMicrosoftSellers, "/consent/consentToShareReferralWithMicrosoftSellers", share)
	b.flag(refbatch.ColConsentToShareInfo, "/consent/consentToToShareInfoWithOthers", info)
	b.flag(refbatch.ColConsentToContact, "/consent/consentToContact", contact)

	b.enum(refbatch.ColPartnerRole, pathPartnerRole, cur.PartnerRole)
	b.enum(refbatch.ColSolutionArea, pathSolutionArea, cur.SolutionArea)
	b.enum(refbatch.ColSolutionPlay, pathSolutionPlay, cur.SolutionPlay)

	b.teamMember(cur.Team)
	for _, m := range row.TeamMembers {
		b.addMember(cur.Team, Member{FirstName: m.FirstName, LastName: m.LastName, PhoneNumber: m.Phone, Email: m.Email})
	}
	b.flag(refbatch.ColCustomerManaged, "/customerProfile/isMatchingComplete", cp.IsMatchingComplete)
	return b.ops
}

// ReadOnlyAfterCreate are the columns Partner Center makes read-only once
// a referral exists (bulk-operations.md, "Fields that become read-only after
// you create the referral"): Patch never sends them, and the rule
// lifecycle-readonly warns when an update row fills them.
var ReadOnlyAfterCreate = []refbatch.Column{
	refbatch.ColCustomerName, refbatch.ColAddressLine1, refbatch.ColAddressLine2, refbatch.ColCity,
	refbatch.ColState, refbatch.ColPostalCode, refbatch.ColCountry, refbatch.ColDUNSID, refbatch.ColPartnerID,
}

// marketplaceIntent replaces the additional requirements when the row's
// Marketplace Purchase Intent differs from live's CustomerMarketplaceIntent
// attribute, keeping live's other attributes.
func (b *patchBuilder) marketplaceIntent(live *AdditionalRequirements) {
	want := b.row.MarketplacePurchaseIntent
	if !b.filled(refbatch.ColMarketplacePurchaseIntent) || want == "" {
		return
	}
	next := AdditionalRequirements{}
	if live != nil {
		next = *live
		next.Attributes = nil
		for _, a := range live.Attributes {
			if strings.EqualFold(a.Type, AttributeCustomerMarketplaceIntent) {
				if sameFold(a.ID, want) {
					return
				}
				continue
			}
			next.Attributes = append(next.Attributes, a)
		}
	}
	next.Attributes = append(next.Attributes, Attribute{ID: want, Type: AttributeCustomerMarketplaceIntent})
	b.replace("/details/requirements/additionalRequirements", next)
}

// contact updates customerProfile.team[0] field by field, or adds the
// contact when the customer has no team yet (an index must exist).
func (b *patchBuilder) contact(cp *CustomerProfile) {
	cols := []refbatch.Column{refbatch.ColContactFirstName, refbatch.ColContactLastName, refbatch.ColContactEmail, refbatch.ColContactPhone}
	if !slices.ContainsFunc(cols, b.filled) {
		return
	}
	if len(cp.Team) == 0 {
		var m Member
		for _, c := range cols {
			if b.filled(c) {
				*memberField(&m, c) = *b.row.TextField(c)
			}
		}
		b.ops = append(b.ops, PatchOp{Op: OpAdd, Path: "/customerProfile/team/-", Value: m})
		return
	}
	first := &cp.Team[0]
	b.text(refbatch.ColContactFirstName, "/customerProfile/team/0/firstName", first.FirstName)
	b.text(refbatch.ColContactLastName, "/customerProfile/team/0/lastName", first.LastName)
	b.email(refbatch.ColContactEmail, "/customerProfile/team/0/email", first.Email)
	b.text(refbatch.ColContactPhone, "/customerProfile/team/0/phoneNumber", first.PhoneNumber)
}

func memberField(m *Member, c refbatch.Column) *string {
	switch c {
	case refbatch.ColContactFirstName, refbatch.ColTeamMemberFirstName:
		return &m.FirstName
	case refbatch.ColContactLastName, refbatch.ColTeamMemberLastName:
		return &m.LastName
	case refbatch.ColContactEmail, refbatch.ColTeamMemberEmail:
		return &m.Email
	}
	return &m.PhoneNumber
}

// teamMember adds the row's team member unless the team already has
// someone with that e-mail (or, without an e-mail, that name): add
// /team/- is an append, and the team cannot be patched otherwise.
func (b *patchBuilder) teamMember(team []Member) {
	cols := []refbatch.Column{refbatch.ColTeamMemberFirstName, refbatch.ColTeamMemberLastName, refbatch.ColTeamMemberEmail, refbatch.ColTeamMemberPhone}
	var m Member
	for _, c := range cols {
		if b.filled(c) {
			*memberField(&m, c) = *b.row.TextField(c)
		}
	}
	if isZero(m) {
		return
	}
	b.addMember(team, m)
}

// addMember adds m to the team unless someone there has its e-mail (or,
// without one, its name), or an earlier op of this patch adds it.
func (b *patchBuilder) addMember(team []Member, m Member) {
	for _, op := range b.ops {
		if added, ok := op.Value.(Member); ok && op.Path == "/team/-" {
			team = append(team, added)
		}
	}
	for _, t := range team {
		if m.Email != "" && strings.EqualFold(strings.TrimSpace(t.Email), m.Email) {
			return
		}
		if m.Email == "" && strings.EqualFold(strings.TrimSpace(t.FirstName), m.FirstName) && strings.EqualFold(strings.TrimSpace(t.LastName), m.LastName) {
			return
		}
	}
	b.ops = append(b.ops, PatchOp{Op: OpAdd, Path: "/team/-", Value: m})
}

// requirementList replaces a list of ids when the row's set differs from
// live's, keeping live's entries the row still names.
func (b *patchBuilder) requirementList(c refbatch.Column, path string, live []Requirement) {
	if !b.filled(c) {
		return
	}
	ids := make([]string, len(live))
	for i, r := range live {
		ids[i] = r.ID
	}
	want := *b.row.ListField(c)
	if sameSet(want, ids) {
		return
	}
	out := []Requirement{}
	for _, id := range mergeIDs(want, ids) {
		out = append(out, Requirement{ID: id})
	}
	b.replace(path, out)
}

// solutions is requirementList for solutions, whose live entries keep
// their names and types; a "Solution n" cell's currency, price and
// quantity replace live's, so a changed price is sent even when the set of
// ids is the same.
func (b *patchBuilder) solutions(live []Solution) {
	if !b.filled(refbatch.ColSolutionIDs) {
		return
	}
	ids := make([]string, len(live))
	for i, s := range live {
		ids[i] = s.ID
	}
	want := b.row.SolutionIDs
	out := []Solution{}
	same := sameSet(want, ids)
	for _, id := range mergeIDs(want, ids) {
		s := Solution{ID: id}
		if i := slices.IndexFunc(live, func(l Solution) bool { return strings.EqualFold(strings.TrimSpace(l.ID), id) }); i >= 0 {
			s = live[i]
		}
		line := solutionOf(b.row, id)
		if line.Currency != "" && !sameFold(line.Currency, s.Currency) {
			s.Currency, same = line.Currency, false
		}
		if line.Price != nil && !sameAmount(line.Price, s.Price) {
			s.Price, same = line.Price, false
		}
		if line.Quantity != nil && !sameAmount(line.Quantity, s.Quantity) {
			s.Quantity, same = line.Quantity, false
		}
		out = append(out, s)
	}
	if !same {
		b.replace("/details/requirements/solutions", out)
	}
}

func sameAmount(a, b *Amount) bool {
	return a != nil && b != nil && math.Abs(float64(*a)-float64(*b)) < 0.005
}

// mergeIDs is want as a list: live's ids that want names, in live's order
// and spelling, then want's new ids in want's order.
func mergeIDs(want, live []string) []string {
	var out []string
	for _, id := range live {
		if containsFold(want, id) && !containsFold(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range want {
		if !containsFold(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !containsFold(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !containsFold(a, x) {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	s = strings.TrimSpace(s)
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), s) })
}

// sameFold compares two enum values as the importer matches them.
func sameFold(a, b string) bool { return refbatch.FoldKey(a) == refbatch.FoldKey(b) }
