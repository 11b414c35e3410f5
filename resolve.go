package refbatch

// RequiredForCreate lists the columns a create row must fill (SPEC §5, rule
// "required"); the template marks them.
func RequiredForCreate() []Column {
	return []Column{ColName, ColDealType, ColCustomerName, ColCountry, ColDealValue, ColCurrency, ColClosingDate, ColExternalReferenceID}
}

// RequiredForUpdate lists the columns an update row must fill.
func RequiredForUpdate() []Column { return []Column{ColReferralID} }

// Resolve fills the defaults a row's own cells leave open, in the one place
// they are decided (SPEC §3):
//
//   - Action: update when Referral ID is set, else create;
//   - Deal Type: Co-sell when Help Needed is yes; Partner-led when only
//     Share With Microsoft Sellers is yes; otherwise left empty (the
//     "required" rule reports it on create rows);
//   - Referral Type: Shared for Partner-led and Co-sell, Independent for
//     Private;
//   - Share With Microsoft Sellers: yes for Partner-led and Co-sell when the
//     cell is blank.
//
// Resolve never overwrites a filled cell. It is idempotent.
func (r *Row) Resolve() {
	if !r.Filled.Has(ColAction) || r.Invalid.Has(ColAction) {
		if r.ReferralID != "" {
			r.Action = ActionUpdate
		} else {
			r.Action = ActionCreate
		}
	}
	if !r.Filled.Has(ColDealType) {
		switch {
		case r.Filled.Has(ColHelpNeeded) && r.HelpNeeded:
			r.DealType = DealTypeCosell
		case r.Filled.Has(ColShareWithMicrosoftSellers) && r.ShareWithMicrosoftSellers:
			r.DealType = DealTypePartnerLed
		case r.Filled.Has(ColShareWithMicrosoftSellers):
			r.DealType = DealTypePrivate
		}
	}
	if !r.Filled.Has(ColReferralType) {
		switch r.DealType {
		case DealTypePrivate:
			r.ReferralType = ReferralTypeIndependent
		case DealTypePartnerLed, DealTypeCosell:
			r.ReferralType = ReferralTypeShared
		}
	}
	if r.Filled.Has(ColCloseReason) && !r.Filled.Has(ColStatusReason) {
		if text, ok := CloseReasonText(r.Substatus, r.CloseReason); ok {
			r.StatusReason = text
		} else {
			r.Invalid = r.Invalid.With(ColCloseReason) // the close-reason rule says so
		}
	}
	if r.Header != nil {
		switch r.Header.Template {
		case TemplateCosell:
			// "Consent to share Customer/Partner contact" is one column for
			// both of the API's consent flags.
			if !r.Filled.Has(ColConsentToContact) && r.Filled.Has(ColConsentToShareInfo) {
				r.ConsentToContact = r.ConsentToShareInfo
			}
		case TemplateDealRegistration:
			// Each row of the deal registrations template is a registration.
			if !r.Filled.Has(ColRegisterDeal) {
				r.RegisterDeal = true
			}
		}
	}
	if !r.Filled.Has(ColShareWithMicrosoftSellers) && (r.DealType == DealTypePartnerLed || r.DealType == DealTypeCosell) {
		r.ShareWithMicrosoftSellers = true
	}
}
