package refbatch

import "time"

// Typed access to the field of a column, so that an importer can store a
// parsed cell without a switch of its own. Each accessor returns nil when
// the column is not of that kind; TestFieldAccessorsMatchColumnInfo checks
// them against ColumnInfo.Field and Kind.

// TextField returns a pointer to the text or enum field of column c, or nil.
func (r *Row) TextField(c Column) *string {
	switch c {
	case ColReferralID:
		return &r.ReferralID
	case ColExternalReferenceID:
		return &r.ExternalReferenceID
	case ColName:
		return &r.Name
	case ColStatusReason:
		return &r.StatusReason
	case ColCustomerName:
		return &r.CustomerName
	case ColAddressLine1:
		return &r.AddressLine1
	case ColAddressLine2:
		return &r.AddressLine2
	case ColCity:
		return &r.City
	case ColState:
		return &r.State
	case ColPostalCode:
		return &r.PostalCode
	case ColContactFirstName:
		return &r.ContactFirstName
	case ColContactLastName:
		return &r.ContactLastName
	case ColContactEmail:
		return &r.ContactEmail
	case ColContactPhone:
		return &r.ContactPhone
	case ColNotes:
		return &r.Notes
	case ColInviteNotes:
		return &r.InviteNotes
	case ColTeamMemberFirstName:
		return &r.TeamMemberFirstName
	case ColTeamMemberLastName:
		return &r.TeamMemberLastName
	case ColTeamMemberEmail:
		return &r.TeamMemberEmail
	case ColTeamMemberPhone:
		return &r.TeamMemberPhone
	case ColAction:
		return &r.Action
	case ColDealType:
		return &r.DealType
	case ColReferralType:
		return &r.ReferralType
	case ColQualification:
		return &r.Qualification
	case ColStatus:
		return &r.Status
	case ColSubstatus:
		return &r.Substatus
	case ColCurrentStatus:
		return &r.CurrentStatus
	case ColCurrentSubstatus:
		return &r.CurrentSubstatus
	case ColCountry:
		return &r.Country
	case ColCustomerSize:
		return &r.CustomerSize
	case ColCurrency:
		return &r.Currency
	case ColAssistanceRequestCode:
		return &r.AssistanceRequestCode
	case ColPartnerRole:
		return &r.PartnerRole
	case ColSolutionArea:
		return &r.SolutionArea
	case ColSolutionPlay:
		return &r.SolutionPlay
	case ColMicrosoftReferralStatus:
		return &r.MicrosoftReferralStatus
	case ColContractCurrency:
		return &r.ContractCurrency
	case ColContractTerm:
		return &r.ContractTerm
	case ColPricingModel:
		return &r.PricingModel
	case ColPrimaryDeploymentOn:
		return &r.PrimaryDeploymentOn
	case ColMarketplacePurchaseIntent:
		return &r.MarketplacePurchaseIntent
	case ColSalesStage:
		return &r.SalesStage
	case ColMarketingCampaignID:
		return &r.MarketingCampaignID
	case ColDUNSID:
		return &r.DUNSID
	case ColPartnerID:
		return &r.PartnerID
	case ColCloseReason:
		return &r.CloseReason
	case ColSolutionCurrency:
		return &r.SolutionCurrency
	case ColRegistrationType:
		return &r.RegistrationType
	case ColRegistrationStatus:
		return &r.RegistrationStatus
	}
	return nil
}

// NumberField returns a pointer to the number field of column c, or nil.
func (r *Row) NumberField(c Column) *float64 {
	switch c {
	case ColDealValue:
		return &r.DealValue
	case ColContractValue:
		return &r.ContractValue
	case ColSolutionValue:
		return &r.SolutionValue
	}
	return nil
}

// DateField returns a pointer to the date field of column c, or nil.
func (r *Row) DateField(c Column) *time.Time {
	switch c {
	case ColClosingDate:
		return &r.ClosingDate
	case ColContractSignDate:
		return &r.ContractSignDate
	case ColContractStartDate:
		return &r.ContractStartDate
	case ColContractEndDate:
		return &r.ContractEndDate
	case ColMarketplaceTransactionDate:
		return &r.MarketplaceTransactionDate
	}
	return nil
}

// BoolField returns a pointer to the boolean field of column c, or nil.
func (r *Row) BoolField(c Column) *bool {
	switch c {
	case ColShareWithMicrosoftSellers:
		return &r.ShareWithMicrosoftSellers
	case ColConsentToShareInfo:
		return &r.ConsentToShareInfo
	case ColConsentToContact:
		return &r.ConsentToContact
	case ColHelpNeeded:
		return &r.HelpNeeded
	case ColServicesCosell:
		return &r.ServicesCosell
	case ColCustomerManaged:
		return &r.CustomerManaged
	case ColRegisterDeal:
		return &r.RegisterDeal
	case ColDeployedOnAzure:
		return &r.DeployedOnAzure
	case ColMarketplaceTransacted:
		return &r.MarketplaceTransacted
	}
	return nil
}

// ListField returns a pointer to the list field of column c, or nil.
func (r *Row) ListField(c Column) *[]string {
	switch c {
	case ColIndustries:
		return &r.Industries
	case ColProducts:
		return &r.Products
	case ColServices:
		return &r.Services
	case ColSolutionIDs:
		return &r.SolutionIDs
	}
	return nil
}
