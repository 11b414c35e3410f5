package partnercenter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/refbatch/refbatch"
)

// This file is the way back: a referral as Partner Center holds it, read
// into the canonical columns (for `pull` and for the round trip's
// conflict check), the mirror image of Create and Patch.

// Pulled is a referral read back into a row, with what Partner Center says
// about it that no column sends.
type Pulled struct {
	Row   *refbatch.Row  // the canonical columns the referral fills; Filled says which
	Facts refbatch.Facts // read-only: Microsoft's side, the response window, the registration
}

// RowOf reads the referral live (with Microsoft's referral of its co-sell
// engagement, when there is one) into the canonical columns. It is what a
// pulled workbook shows and what a later run compares the user's edits and
// the live referral against. Columns that Create or Patch would send
// differently round-trip as refbatch reads them: money as numbers, dates as
// days, the first customer contact and the first team member.
func (m *Mapper) RowOf(live refbatch.Remote, microsoft *refbatch.Remote) (Pulled, error) {
	r, err := liveReferral(live)
	if err != nil {
		return Pulled{}, fmt.Errorf("pull: %w", err)
	}
	row := &refbatch.Row{Action: refbatch.ActionUpdate}
	set := func(c refbatch.Column, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*row.TextField(c) = v
			row.Filled = row.Filled.With(c)
		}
	}
	set(refbatch.ColReferralID, r.ID)
	set(refbatch.ColExternalReferenceID, r.ExternalReferenceID)
	set(refbatch.ColName, r.Name)
	switch {
	case r.Type == TypeIndependent:
		set(refbatch.ColDealType, refbatch.DealTypePrivate)
	case microsoft != nil:
		set(refbatch.ColDealType, refbatch.DealTypeCosell)
	case r.Type == TypeShared:
		set(refbatch.ColDealType, refbatch.DealTypePartnerLed)
	}
	set(refbatch.ColReferralType, string(r.Type))
	set(refbatch.ColQualification, string(r.Qualification))
	set(refbatch.ColStatus, string(r.Status))
	set(refbatch.ColSubstatus, string(r.Substatus))
	set(refbatch.ColStatusReason, r.StatusReason)
	set(refbatch.ColSalesStage, r.SalesStage)
	set(refbatch.ColMarketingCampaignID, r.CampaignID)
	set(refbatch.ColPartnerRole, r.PartnerRole)
	set(refbatch.ColSolutionArea, r.SolutionArea)
	set(refbatch.ColSolutionPlay, r.SolutionPlay)
	if cp := r.CustomerProfile; cp != nil {
		set(refbatch.ColCustomerName, cp.Name)
		set(refbatch.ColCustomerSize, cp.Size)
		if a := cp.Address; a != nil {
			set(refbatch.ColAddressLine1, a.AddressLine1)
			set(refbatch.ColAddressLine2, a.AddressLine2)
			set(refbatch.ColCity, a.City)
			set(refbatch.ColState, a.State)
			set(refbatch.ColPostalCode, a.PostalCode)
			set(refbatch.ColCountry, a.Country)
		}
		if len(cp.Team) > 0 {
			c := cp.Team[0]
			set(refbatch.ColContactFirstName, c.FirstName)
			set(refbatch.ColContactLastName, c.LastName)
			set(refbatch.ColContactEmail, c.Email)
			set(refbatch.ColContactPhone, c.PhoneNumber)
		}
		if cp.IsMatchingComplete != nil {
			row.CustomerManaged = *cp.IsMatchingComplete
			row.Filled = row.Filled.With(refbatch.ColCustomerManaged)
		}
		for _, id := range cp.IDs.Entries() {
			if strings.EqualFold(id.ProfileType, "Duns") {
				set(refbatch.ColDUNSID, id.ID)
			}
		}
	}
	if len(r.Team) > 0 {
		t := r.Team[0]
		set(refbatch.ColTeamMemberFirstName, t.FirstName)
		set(refbatch.ColTeamMemberLastName, t.LastName)
		set(refbatch.ColTeamMemberEmail, t.Email)
		set(refbatch.ColTeamMemberPhone, t.PhoneNumber)
	}
	if d := r.Details; d != nil {
		if d.DealValue != nil {
			row.DealValue = float64(*d.DealValue)
			row.Filled = row.Filled.With(refbatch.ColDealValue)
		}
		set(refbatch.ColCurrency, d.Currency)
		if d.ClosingDateTime != nil {
			row.ClosingDate = day(d.ClosingDateTime.UTC())
			row.Filled = row.Filled.With(refbatch.ColClosingDate)
		}
		set(refbatch.ColNotes, d.Notes)
		if q := d.Requirements; q != nil {
			list := func(c refbatch.Column, ids []string) {
				if len(ids) > 0 {
					*row.ListField(c) = ids
					row.Filled = row.Filled.With(c)
				}
			}
			list(refbatch.ColIndustries, requirementIDs(q.Industries))
			list(refbatch.ColProducts, requirementIDs(q.Products))
			list(refbatch.ColServices, requirementIDs(q.Services))
			var sol []string
			for _, s := range q.Solutions {
				if id := strings.TrimSpace(s.ID); id != "" {
					sol = append(sol, id)
				}
			}
			list(refbatch.ColSolutionIDs, sol)
			if a := q.AdditionalRequirements; a != nil {
				for _, at := range a.Attributes {
					if strings.EqualFold(at.Type, AttributeCustomerMarketplaceIntent) {
						set(refbatch.ColMarketplacePurchaseIntent, at.ID)
					}
				}
			}
		}
	}
	if c := r.Consent; c != nil {
		row.ShareWithMicrosoftSellers = c.ConsentToShareReferralWithMicrosoftSellers
		row.ConsentToShareInfo = c.ConsentToShareInfoWithOthers
		row.ConsentToContact = c.ConsentToContact
		row.Filled = row.Filled.With(refbatch.ColShareWithMicrosoftSellers)
		row.Filled = row.Filled.With(refbatch.ColConsentToShareInfo)
		row.Filled = row.Filled.With(refbatch.ColConsentToContact)
	}

	facts := refbatch.Facts{Direction: r.Direction, ETag: r.ETag}
	if r.UpdatedDateTime != nil {
		facts.Updated = r.UpdatedDateTime.UTC()
	}
	if r.ExpirationDateTime != nil {
		facts.Expires = r.ExpirationDateTime.UTC()
	}
	if microsoft != nil {
		facts.MicrosoftReferralID = microsoft.ID
		facts.MicrosoftStatus, facts.MicrosoftSubstatus = microsoft.Status, microsoft.Substatus
		if ms, err := liveReferral(*microsoft); err == nil {
			facts.MicrosoftStatusReason = ms.StatusReason
			if ms.ExpirationDateTime != nil {
				facts.MicrosoftExpires = ms.ExpirationDateTime.UTC()
			}
		}
	}
	if _, reg, ok := r.DealRegistration(); ok {
		facts.RegistrationStatus = reg.Status
		if raw, ok := reg.Extra["statusReason"]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				facts.RegistrationReason = s
			}
		}
		if reg.RegistrationDateTime != nil {
			facts.Registered = reg.RegistrationDateTime.UTC()
		}
		set(refbatch.ColRegistrationStatus, reg.Status)
	}
	return Pulled{Row: row, Facts: facts}, nil
}

// LiveRow is RowOf's row, without Microsoft's side: what the round trip
// compares a pulled workbook's cells with.
func (m *Mapper) LiveRow(live refbatch.Remote) (*refbatch.Row, error) {
	p, err := m.RowOf(live, nil)
	return p.Row, err
}

func requirementIDs(reqs []Requirement) []string {
	var out []string
	for _, q := range reqs {
		if id := strings.TrimSpace(q.ID); id != "" {
			out = append(out, id)
		}
	}
	return out
}
