package rules

import (
	"time"

	"github.com/refbatch/refbatch"
)

// Env is what a rule expression sees. Its fields are the typed values of the
// row's canonical columns under their refbatch.Row field names (text and enum
// columns are strings, numbers float64, dates time.Time and zero when empty,
// booleans bool, lists []string), plus:
//
//   - Filled and Invalid: one boolean per column, from Row.Filled and
//     Row.Invalid (filled("Deal Value") is Filled.DealValue);
//   - Today: the current date at 00:00 UTC, from the policy's clock;
//   - FirstRow: in the message of a unique rule, the row where the key was
//     first seen (0 elsewhere).
//
// Rules receive it by value, boxed once per row (SPEC §12).
type Env struct {
	// Row gives the rule its columns under their field names (DealValue,
	// ClosingDate…) and the spreadsheet row Number. Its Filled and Invalid
	// bitsets are shadowed by the flags below, which expressions can read.
	refbatch.Row

	Filled   ColumnFlags
	Invalid  ColumnFlags
	Today    time.Time
	FirstRow int
}

// ColumnFlags has one boolean per canonical column, named after the column's
// Row field, so that a rule reads a column's flag as a plain field.
type ColumnFlags struct {
	Action                     bool
	ReferralID                 bool
	ExternalReferenceID        bool
	Name                       bool
	DealType                   bool
	ReferralType               bool
	Qualification              bool
	Status                     bool
	Substatus                  bool
	StatusReason               bool
	CurrentStatus              bool
	CurrentSubstatus           bool
	CustomerName               bool
	AddressLine1               bool
	AddressLine2               bool
	City                       bool
	State                      bool
	PostalCode                 bool
	Country                    bool
	CustomerSize               bool
	ContactFirstName           bool
	ContactLastName            bool
	ContactEmail               bool
	ContactPhone               bool
	DealValue                  bool
	Currency                   bool
	ClosingDate                bool
	Notes                      bool
	Industries                 bool
	Products                   bool
	Services                   bool
	SolutionIDs                bool
	ShareWithMicrosoftSellers  bool
	ConsentToShareInfo         bool
	ConsentToContact           bool
	HelpNeeded                 bool
	AssistanceRequestCode      bool
	InviteNotes                bool
	ServicesCosell             bool
	PartnerRole                bool
	SolutionArea               bool
	SolutionPlay               bool
	TeamMemberFirstName        bool
	TeamMemberLastName         bool
	TeamMemberEmail            bool
	TeamMemberPhone            bool
	CustomerManaged            bool
	MicrosoftReferralStatus    bool
	RegisterDeal               bool
	ContractValue              bool
	ContractCurrency           bool
	ContractTerm               bool
	ContractSignDate           bool
	ContractStartDate          bool
	ContractEndDate            bool
	PricingModel               bool
	PrimaryDeploymentOn        bool
	DeployedOnAzure            bool
	MarketplaceTransacted      bool
	MarketplaceTransactionDate bool
	MarketplacePurchaseIntent  bool
	SalesStage                 bool
	MarketingCampaignID        bool
	DUNSID                     bool
	PartnerID                  bool
	CloseReason                bool
	SolutionLines              bool
	TeamMembers                bool
	SolutionValue              bool
	SolutionCurrency           bool
	RegistrationType           bool
	RegistrationStatus         bool
}

func (f *ColumnFlags) set(s refbatch.ColumnSet) {
	f.Action = s.Has(refbatch.ColAction)
	f.ReferralID = s.Has(refbatch.ColReferralID)
	f.ExternalReferenceID = s.Has(refbatch.ColExternalReferenceID)
	f.Name = s.Has(refbatch.ColName)
	f.DealType = s.Has(refbatch.ColDealType)
	f.ReferralType = s.Has(refbatch.ColReferralType)
	f.Qualification = s.Has(refbatch.ColQualification)
	f.Status = s.Has(refbatch.ColStatus)
	f.Substatus = s.Has(refbatch.ColSubstatus)
	f.StatusReason = s.Has(refbatch.ColStatusReason)
	f.CurrentStatus = s.Has(refbatch.ColCurrentStatus)
	f.CurrentSubstatus = s.Has(refbatch.ColCurrentSubstatus)
	f.CustomerName = s.Has(refbatch.ColCustomerName)
	f.AddressLine1 = s.Has(refbatch.ColAddressLine1)
	f.AddressLine2 = s.Has(refbatch.ColAddressLine2)
	f.City = s.Has(refbatch.ColCity)
	f.State = s.Has(refbatch.ColState)
	f.PostalCode = s.Has(refbatch.ColPostalCode)
	f.Country = s.Has(refbatch.ColCountry)
	f.CustomerSize = s.Has(refbatch.ColCustomerSize)
	f.ContactFirstName = s.Has(refbatch.ColContactFirstName)
	f.ContactLastName = s.Has(refbatch.ColContactLastName)
	f.ContactEmail = s.Has(refbatch.ColContactEmail)
	f.ContactPhone = s.Has(refbatch.ColContactPhone)
	f.DealValue = s.Has(refbatch.ColDealValue)
	f.Currency = s.Has(refbatch.ColCurrency)
	f.ClosingDate = s.Has(refbatch.ColClosingDate)
	f.Notes = s.Has(refbatch.ColNotes)
	f.Industries = s.Has(refbatch.ColIndustries)
	f.Products = s.Has(refbatch.ColProducts)
	f.Services = s.Has(refbatch.ColServices)
	f.SolutionIDs = s.Has(refbatch.ColSolutionIDs)
	f.ShareWithMicrosoftSellers = s.Has(refbatch.ColShareWithMicrosoftSellers)
	f.ConsentToShareInfo = s.Has(refbatch.ColConsentToShareInfo)
	f.ConsentToContact = s.Has(refbatch.ColConsentToContact)
	f.HelpNeeded = s.Has(refbatch.ColHelpNeeded)
	f.AssistanceRequestCode = s.Has(refbatch.ColAssistanceRequestCode)
	f.InviteNotes = s.Has(refbatch.ColInviteNotes)
	f.ServicesCosell = s.Has(refbatch.ColServicesCosell)
	f.PartnerRole = s.Has(refbatch.ColPartnerRole)
	f.SolutionArea = s.Has(refbatch.ColSolutionArea)
	f.SolutionPlay = s.Has(refbatch.ColSolutionPlay)
	f.TeamMemberFirstName = s.Has(refbatch.ColTeamMemberFirstName)
	f.TeamMemberLastName = s.Has(refbatch.ColTeamMemberLastName)
	f.TeamMemberEmail = s.Has(refbatch.ColTeamMemberEmail)
	f.TeamMemberPhone = s.Has(refbatch.ColTeamMemberPhone)
	f.CustomerManaged = s.Has(refbatch.ColCustomerManaged)
	f.MicrosoftReferralStatus = s.Has(refbatch.ColMicrosoftReferralStatus)
	f.RegisterDeal = s.Has(refbatch.ColRegisterDeal)
	f.ContractValue = s.Has(refbatch.ColContractValue)
	f.ContractCurrency = s.Has(refbatch.ColContractCurrency)
	f.ContractTerm = s.Has(refbatch.ColContractTerm)
	f.ContractSignDate = s.Has(refbatch.ColContractSignDate)
	f.ContractStartDate = s.Has(refbatch.ColContractStartDate)
	f.ContractEndDate = s.Has(refbatch.ColContractEndDate)
	f.PricingModel = s.Has(refbatch.ColPricingModel)
	f.PrimaryDeploymentOn = s.Has(refbatch.ColPrimaryDeploymentOn)
	f.DeployedOnAzure = s.Has(refbatch.ColDeployedOnAzure)
	f.MarketplaceTransacted = s.Has(refbatch.ColMarketplaceTransacted)
	f.MarketplaceTransactionDate = s.Has(refbatch.ColMarketplaceTransactionDate)
	f.MarketplacePurchaseIntent = s.Has(refbatch.ColMarketplacePurchaseIntent)
	f.SalesStage = s.Has(refbatch.ColSalesStage)
	f.MarketingCampaignID = s.Has(refbatch.ColMarketingCampaignID)
	f.DUNSID = s.Has(refbatch.ColDUNSID)
	f.PartnerID = s.Has(refbatch.ColPartnerID)
	f.CloseReason = s.Has(refbatch.ColCloseReason)
	f.SolutionLines = s.Has(refbatch.ColSolutions)
	f.TeamMembers = s.Has(refbatch.ColTeamMembers)
	f.SolutionValue = s.Has(refbatch.ColSolutionValue)
	f.SolutionCurrency = s.Has(refbatch.ColSolutionCurrency)
	f.RegistrationType = s.Has(refbatch.ColRegistrationType)
	f.RegistrationStatus = s.Has(refbatch.ColRegistrationStatus)
}

// fill sets e from row r; e's Today is left as it is.
func (e *Env) fill(r *refbatch.Row) {
	e.Row = *r
	e.FirstRow = 0
	e.Filled.set(r.Filled)
	e.Invalid.set(r.Invalid)
}

// Row readers by field name, for the tests the evaluator decides without the
// VM (see lower.go). Each returns nil when name is not a column of that kind;
// they read through refbatch.Row's typed accessors, so a column added to the
// root package needs no change here.

// zeroRow answers which accessor a column has.
var zeroRow refbatch.Row

// rowText reads a text or enum column.
func rowText(name string) func(*scope) string {
	if name == "LiveRegistrationStatus" {
		return func(s *scope) string { return s.row.LiveRegistrationStatus }
	}
	c, ok := fieldColumn[name]
	if !ok || zeroRow.TextField(c) == nil {
		return nil
	}
	return func(s *scope) string { return *s.row.TextField(c) }
}

// rowBool reads a boolean column, or a fact of the live referral.
func rowBool(name string) func(*scope) bool {
	switch name {
	case "Live":
		return func(s *scope) bool { return s.row.Live }
	case "LiveShared":
		return func(s *scope) bool { return s.row.LiveShared }
	case "LiveRegistrationEdit":
		return func(s *scope) bool { return s.row.LiveRegistrationEdit }
	}
	c, ok := fieldColumn[name]
	if !ok || zeroRow.BoolField(c) == nil {
		return nil
	}
	return func(s *scope) bool { return *s.row.BoolField(c) }
}

// rowList reads a list column.
func rowList(name string) func(*scope) []string {
	c, ok := fieldColumn[name]
	if !ok || zeroRow.ListField(c) == nil {
		return nil
	}
	return func(s *scope) []string { return *s.row.ListField(c) }
}

// rowNumber reads a number column.
func rowNumber(name string) func(*scope) float64 {
	c, ok := fieldColumn[name]
	if !ok || zeroRow.NumberField(c) == nil {
		return nil
	}
	return func(s *scope) float64 { return *s.row.NumberField(c) }
}

// rowDate reads a date column, or the live referral's creation time.
func rowDate(name string) func(*scope) time.Time {
	if name == "LiveCreated" {
		return func(s *scope) time.Time { return s.row.LiveCreated }
	}
	c, ok := fieldColumn[name]
	if !ok || zeroRow.DateField(c) == nil {
		return nil
	}
	return func(s *scope) time.Time { return *s.row.DateField(c) }
}
