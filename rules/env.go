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
	Action                     string
	ReferralID                 string
	ExternalReferenceID        string
	Name                       string
	DealType                   string
	ReferralType               string
	Qualification              string
	Status                     string
	Substatus                  string
	StatusReason               string
	CurrentStatus              string
	CurrentSubstatus           string
	CustomerName               string
	AddressLine1               string
	AddressLine2               string
	City                       string
	State                      string
	PostalCode                 string
	Country                    string
	CustomerSize               string
	ContactFirstName           string
	ContactLastName            string
	ContactEmail               string
	ContactPhone               string
	DealValue                  float64
	Currency                   string
	ClosingDate                time.Time
	Notes                      string
	Industries                 []string
	Products                   []string
	Services                   []string
	SolutionIDs                []string
	ShareWithMicrosoftSellers  bool
	ConsentToShareInfo         bool
	ConsentToContact           bool
	HelpNeeded                 bool
	AssistanceRequestCode      string
	InviteNotes                string
	ServicesCosell             bool
	PartnerRole                string
	SolutionArea               string
	SolutionPlay               string
	TeamMemberFirstName        string
	TeamMemberLastName         string
	TeamMemberEmail            string
	TeamMemberPhone            string
	CustomerManaged            bool
	MicrosoftReferralStatus    string
	RegisterDeal               bool
	ContractValue              float64
	ContractCurrency           string
	ContractTerm               string
	ContractSignDate           time.Time
	ContractStartDate          time.Time
	ContractEndDate            time.Time
	PricingModel               string
	PrimaryDeploymentOn        string
	DeployedOnAzure            bool
	MarketplaceTransacted      bool
	MarketplaceTransactionDate time.Time

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
}

// fill sets e from row r; e's Today is left as it is.
func (e *Env) fill(r *refbatch.Row) {
	today := e.Today
	*e = Env{
		Action:                     r.Action,
		ReferralID:                 r.ReferralID,
		ExternalReferenceID:        r.ExternalReferenceID,
		Name:                       r.Name,
		DealType:                   r.DealType,
		ReferralType:               r.ReferralType,
		Qualification:              r.Qualification,
		Status:                     r.Status,
		Substatus:                  r.Substatus,
		StatusReason:               r.StatusReason,
		CurrentStatus:              r.CurrentStatus,
		CurrentSubstatus:           r.CurrentSubstatus,
		CustomerName:               r.CustomerName,
		AddressLine1:               r.AddressLine1,
		AddressLine2:               r.AddressLine2,
		City:                       r.City,
		State:                      r.State,
		PostalCode:                 r.PostalCode,
		Country:                    r.Country,
		CustomerSize:               r.CustomerSize,
		ContactFirstName:           r.ContactFirstName,
		ContactLastName:            r.ContactLastName,
		ContactEmail:               r.ContactEmail,
		ContactPhone:               r.ContactPhone,
		DealValue:                  r.DealValue,
		Currency:                   r.Currency,
		ClosingDate:                r.ClosingDate,
		Notes:                      r.Notes,
		Industries:                 r.Industries,
		Products:                   r.Products,
		Services:                   r.Services,
		SolutionIDs:                r.SolutionIDs,
		ShareWithMicrosoftSellers:  r.ShareWithMicrosoftSellers,
		ConsentToShareInfo:         r.ConsentToShareInfo,
		ConsentToContact:           r.ConsentToContact,
		HelpNeeded:                 r.HelpNeeded,
		AssistanceRequestCode:      r.AssistanceRequestCode,
		InviteNotes:                r.InviteNotes,
		ServicesCosell:             r.ServicesCosell,
		PartnerRole:                r.PartnerRole,
		SolutionArea:               r.SolutionArea,
		SolutionPlay:               r.SolutionPlay,
		TeamMemberFirstName:        r.TeamMemberFirstName,
		TeamMemberLastName:         r.TeamMemberLastName,
		TeamMemberEmail:            r.TeamMemberEmail,
		TeamMemberPhone:            r.TeamMemberPhone,
		CustomerManaged:            r.CustomerManaged,
		MicrosoftReferralStatus:    r.MicrosoftReferralStatus,
		RegisterDeal:               r.RegisterDeal,
		ContractValue:              r.ContractValue,
		ContractCurrency:           r.ContractCurrency,
		ContractTerm:               r.ContractTerm,
		ContractSignDate:           r.ContractSignDate,
		ContractStartDate:          r.ContractStartDate,
		ContractEndDate:            r.ContractEndDate,
		PricingModel:               r.PricingModel,
		PrimaryDeploymentOn:        r.PrimaryDeploymentOn,
		DeployedOnAzure:            r.DeployedOnAzure,
		MarketplaceTransacted:      r.MarketplaceTransacted,
		MarketplaceTransactionDate: r.MarketplaceTransactionDate,
		Today:                      today,
	}
	e.Filled.set(r.Filled)
	e.Invalid.set(r.Invalid)
}

// Row readers by field name, for the tests the evaluator decides without the
// VM (see lower.go); a test checks they cover every field of the row. They
// read through the scope so that a lowered test calls one closure per field.

// rowText reads a text or enum column.
var rowText = map[string]func(*scope) string{
	"Action":                  func(s *scope) string { return s.row.Action },
	"ReferralID":              func(s *scope) string { return s.row.ReferralID },
	"ExternalReferenceID":     func(s *scope) string { return s.row.ExternalReferenceID },
	"Name":                    func(s *scope) string { return s.row.Name },
	"DealType":                func(s *scope) string { return s.row.DealType },
	"ReferralType":            func(s *scope) string { return s.row.ReferralType },
	"Qualification":           func(s *scope) string { return s.row.Qualification },
	"Status":                  func(s *scope) string { return s.row.Status },
	"Substatus":               func(s *scope) string { return s.row.Substatus },
	"StatusReason":            func(s *scope) string { return s.row.StatusReason },
	"CurrentStatus":           func(s *scope) string { return s.row.CurrentStatus },
	"CurrentSubstatus":        func(s *scope) string { return s.row.CurrentSubstatus },
	"CustomerName":            func(s *scope) string { return s.row.CustomerName },
	"AddressLine1":            func(s *scope) string { return s.row.AddressLine1 },
	"AddressLine2":            func(s *scope) string { return s.row.AddressLine2 },
	"City":                    func(s *scope) string { return s.row.City },
	"State":                   func(s *scope) string { return s.row.State },
	"PostalCode":              func(s *scope) string { return s.row.PostalCode },
	"Country":                 func(s *scope) string { return s.row.Country },
	"CustomerSize":            func(s *scope) string { return s.row.CustomerSize },
	"ContactFirstName":        func(s *scope) string { return s.row.ContactFirstName },
	"ContactLastName":         func(s *scope) string { return s.row.ContactLastName },
	"ContactEmail":            func(s *scope) string { return s.row.ContactEmail },
	"ContactPhone":            func(s *scope) string { return s.row.ContactPhone },
	"Currency":                func(s *scope) string { return s.row.Currency },
	"Notes":                   func(s *scope) string { return s.row.Notes },
	"AssistanceRequestCode":   func(s *scope) string { return s.row.AssistanceRequestCode },
	"InviteNotes":             func(s *scope) string { return s.row.InviteNotes },
	"PartnerRole":             func(s *scope) string { return s.row.PartnerRole },
	"SolutionArea":            func(s *scope) string { return s.row.SolutionArea },
	"SolutionPlay":            func(s *scope) string { return s.row.SolutionPlay },
	"TeamMemberFirstName":     func(s *scope) string { return s.row.TeamMemberFirstName },
	"TeamMemberLastName":      func(s *scope) string { return s.row.TeamMemberLastName },
	"TeamMemberEmail":         func(s *scope) string { return s.row.TeamMemberEmail },
	"TeamMemberPhone":         func(s *scope) string { return s.row.TeamMemberPhone },
	"MicrosoftReferralStatus": func(s *scope) string { return s.row.MicrosoftReferralStatus },
	"ContractCurrency":        func(s *scope) string { return s.row.ContractCurrency },
	"ContractTerm":            func(s *scope) string { return s.row.ContractTerm },
	"PricingModel":            func(s *scope) string { return s.row.PricingModel },
	"PrimaryDeploymentOn":     func(s *scope) string { return s.row.PrimaryDeploymentOn },
}

// rowBool reads a boolean column.
var rowBool = map[string]func(*scope) bool{
	"ShareWithMicrosoftSellers": func(s *scope) bool { return s.row.ShareWithMicrosoftSellers },
	"ConsentToShareInfo":        func(s *scope) bool { return s.row.ConsentToShareInfo },
	"ConsentToContact":          func(s *scope) bool { return s.row.ConsentToContact },
	"HelpNeeded":                func(s *scope) bool { return s.row.HelpNeeded },
	"ServicesCosell":            func(s *scope) bool { return s.row.ServicesCosell },
	"CustomerManaged":           func(s *scope) bool { return s.row.CustomerManaged },
	"RegisterDeal":              func(s *scope) bool { return s.row.RegisterDeal },
	"DeployedOnAzure":           func(s *scope) bool { return s.row.DeployedOnAzure },
	"MarketplaceTransacted":     func(s *scope) bool { return s.row.MarketplaceTransacted },
}

// rowList reads a list column.
var rowList = map[string]func(*scope) []string{
	"Industries":  func(s *scope) []string { return s.row.Industries },
	"Products":    func(s *scope) []string { return s.row.Products },
	"Services":    func(s *scope) []string { return s.row.Services },
	"SolutionIDs": func(s *scope) []string { return s.row.SolutionIDs },
}

// rowNumber reads a number column.
var rowNumber = map[string]func(*scope) float64{
	"DealValue":     func(s *scope) float64 { return s.row.DealValue },
	"ContractValue": func(s *scope) float64 { return s.row.ContractValue },
}

// rowDate reads a date column.
var rowDate = map[string]func(*scope) time.Time{
	"ClosingDate":                func(s *scope) time.Time { return s.row.ClosingDate },
	"ContractSignDate":           func(s *scope) time.Time { return s.row.ContractSignDate },
	"ContractStartDate":          func(s *scope) time.Time { return s.row.ContractStartDate },
	"ContractEndDate":            func(s *scope) time.Time { return s.row.ContractEndDate },
	"MarketplaceTransactionDate": func(s *scope) time.Time { return s.row.MarketplaceTransactionDate },
}
