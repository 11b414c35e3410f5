package refbatch

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode"
)

// Column is one canonical spreadsheet column (SPEC §3). Its zero value is
// not a column; valid columns run from ColAction to NumColumns-1.
type Column uint8

// The canonical columns, in template order.
const (
	colInvalid Column = iota
	ColAction
	ColReferralID
	ColExternalReferenceID
	ColName
	ColDealType
	ColReferralType
	ColQualification
	ColStatus
	ColSubstatus
	ColStatusReason
	ColCurrentStatus
	ColCurrentSubstatus
	ColCustomerName
	ColAddressLine1
	ColAddressLine2
	ColCity
	ColState
	ColPostalCode
	ColCountry
	ColCustomerSize
	ColContactFirstName
	ColContactLastName
	ColContactEmail
	ColContactPhone
	ColDealValue
	ColCurrency
	ColClosingDate
	ColNotes
	ColIndustries
	ColProducts
	ColServices
	ColSolutionIDs
	ColShareWithMicrosoftSellers
	ColConsentToShareInfo
	ColConsentToContact
	ColHelpNeeded
	ColAssistanceRequestCode
	ColInviteNotes
	ColServicesCosell
	ColPartnerRole
	ColSolutionArea
	ColSolutionPlay
	ColTeamMemberFirstName
	ColTeamMemberLastName
	ColTeamMemberEmail
	ColTeamMemberPhone
	ColCustomerManaged
	ColMicrosoftReferralStatus
	ColRegisterDeal
	ColContractValue
	ColContractCurrency
	ColContractTerm
	ColContractSignDate
	ColContractStartDate
	ColContractEndDate
	ColPricingModel
	ColPrimaryDeploymentOn
	ColDeployedOnAzure
	ColMarketplaceTransacted
	ColMarketplaceTransactionDate

	// Columns of Microsoft's bulk-upload templates (bulk-operations.md,
	// bulk-operations-deal-registrations.md), after the original ones so
	// that existing column numbers do not move.
	ColMarketplacePurchaseIntent
	ColSalesStage
	ColMarketingCampaignID
	ColDUNSID
	ColPartnerID
	ColCloseReason
	ColSolutions
	ColTeamMembers
	ColSolutionValue
	ColSolutionCurrency
	ColRegistrationType
	ColRegistrationStatus

	// NumColumns is one past the last column; arrays indexed by Column use it.
	NumColumns
)

// Kind says how a column's text is parsed into its typed Row field.
type Kind uint8

// The value kinds of SPEC §3.
const (
	KindText   Kind = iota // trimmed text
	KindEnum               // one of a vocabulary, matched by FoldKey
	KindNumber             // 30000, 30,000.50, $30,000, USD 30000
	KindDate               // Excel date cell or serial, ISO, US or d/m/y
	KindBool               // yes/no, y/n, true/false, 1/0, x/blank
	KindList               // separated by ';' or newlines
	// KindSolution and KindMember are numbered columns ("Solution 1",
	// "Solution 2"…; "Team member 1"…): each cell is one comma-separated
	// record, "ID, Currency, Price, Quantity" or "First, Last, phone, email".
	KindSolution
	KindMember
)

func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindEnum:
		return "enum"
	case KindNumber:
		return "number"
	case KindDate:
		return "date"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	case KindSolution:
		return "solution"
	case KindMember:
		return "member"
	}
	return "unknown"
}

// ColumnInfo describes a canonical column.
type ColumnInfo struct {
	Name    string   // canonical header, as the template writes it
	Field   string   // the Row field (and rule environment name) it fills
	Kind    Kind     // how its text is parsed
	Aliases []string // extra headers that mean this column (beyond normalisation)
	Help    string   // one line for the template's guide sheet
}

var columnInfo = [NumColumns]ColumnInfo{
	ColAction:                     {"Action", "Action", KindEnum, []string{"Operation"}, "create or update; empty means update when Referral ID is set, else create"},
	ColReferralID:                 {"Referral ID", "ReferralID", KindText, []string{"ID", "Partner Center ID"}, "Partner Center referral id; required for updates"},
	ColExternalReferenceID:        {"External Reference ID", "ExternalReferenceID", KindText, []string{"CRM ID", "Opportunity ID", "External ID", "Record ID", "(Do Not Modify) Opportunity"}, "your CRM's id for the deal; required for creates"},
	ColName:                       {"Name", "Name", KindText, []string{"Opportunity Name", "Deal Name", "Referral Name", "Opportunity", "Topic"}, "name of the opportunity"},
	ColDealType:                   {"Deal Type", "DealType", KindEnum, []string{"Deal Kind"}, "Private, Partner-led or Co-sell"},
	ColReferralType:               {"Referral Type", "ReferralType", KindEnum, nil, "Independent or Shared; defaults from Deal Type"},
	ColQualification:              {"Qualification", "Qualification", KindEnum, nil, "quality of the referral"},
	ColStatus:                     {"Status", "Status", KindEnum, []string{"Partner Referral Status"}, "New, Active or Closed"},
	ColSubstatus:                  {"Substatus", "Substatus", KindEnum, []string{"Sub Status", "Partner Referral Substatus"}, "New: Pending, Received; Active: Accepted; Closed: Won, Lost, Declined, Expired"},
	ColStatusReason:               {"Status Reason", "StatusReason", KindText, nil, "why the status is what it is, e.g. why the deal was lost"},
	ColCurrentStatus:              {"Current Status", "CurrentStatus", KindEnum, nil, "the referral's present status, for offline transition checks"},
	ColCurrentSubstatus:           {"Current Substatus", "CurrentSubstatus", KindEnum, nil, "the referral's present substatus"},
	ColCustomerName:               {"Customer Name", "CustomerName", KindText, []string{"Account Name", "Customer", "Company", "Account", "Potential Customer", "Associated Company", "Associated Company (Primary)"}, "the customer's organisation"},
	ColAddressLine1:               {"Address Line 1", "AddressLine1", KindText, []string{"Street", "Customer Address Line 1", "Billing Street", "Address 1: Street 1"}, "customer address"},
	ColAddressLine2:               {"Address Line 2", "AddressLine2", KindText, []string{"Customer Address Line 2", "Address 1: Street 2"}, "customer address, second line"},
	ColCity:                       {"City", "City", KindText, []string{"Customer City", "Billing City", "Address 1: City"}, "customer city"},
	ColState:                      {"State", "State", KindText, []string{"Province", "Region", "Customer State", "Billing State/Province", "Address 1: State/Province", "State/Region"}, "customer state, province or region"},
	ColPostalCode:                 {"Postal Code", "PostalCode", KindText, []string{"ZIP", "ZIP Code", "Postcode", "Customer Postal Code", "Billing Zip/Postal Code", "Address 1: ZIP/Postal Code", "Postal code"}, "customer postal code"},
	ColCountry:                    {"Country", "Country", KindEnum, []string{"Country Code", "Customer Country", "Customer Country/Region", "Country/Region", "Billing Country", "Address 1: Country/Region"}, "ISO 3166 alpha-2 code, e.g. US, DE"},
	ColCustomerSize:               {"Customer Size", "CustomerSize", KindEnum, []string{"Company Size"}, "size band of the customer"},
	ColContactFirstName:           {"Contact First Name", "ContactFirstName", KindText, []string{"Customer Contact First Name"}, "customer contact"},
	ColContactLastName:            {"Contact Last Name", "ContactLastName", KindText, []string{"Customer Contact Last Name"}, "customer contact"},
	ColContactEmail:               {"Contact Email", "ContactEmail", KindText, []string{"Customer Contact Email Address", "Customer Contact Email"}, "customer contact e-mail"},
	ColContactPhone:               {"Contact Phone", "ContactPhone", KindText, []string{"Customer Contact Phone number", "Customer Contact Phone"}, "customer contact phone"},
	ColDealValue:                  {"Deal Value", "DealValue", KindNumber, []string{"Amount", "Deal Size", "Estimated Value", "Estimated Deal Value", "Est. Revenue", "Estimated Revenue"}, "estimated deal value, a positive number"},
	ColCurrency:                   {"Currency", "Currency", KindEnum, []string{"Opportunity Currency", "CurrencyIsoCode", "Currency ISO Code", "Deal Currency Code"}, "ISO 4217 code of the deal value, e.g. USD"},
	ColClosingDate:                {"Closing Date", "ClosingDate", KindDate, []string{"Close Date", "Expected Close Date", "Est. Close Date", "Estimated Close Date"}, "expected close date"},
	ColNotes:                      {"Notes", "Notes", KindText, []string{"Description", "Comments"}, "notes on the customer's need"},
	ColIndustries:                 {"Industries", "Industries", KindList, nil, "industry ids, separated by ';'"},
	ColProducts:                   {"Products", "Products", KindList, nil, "product ids, separated by ';'"},
	ColServices:                   {"Services", "Services", KindList, nil, "service ids, separated by ';'"},
	ColSolutionIDs:                {"Solution IDs", "SolutionIDs", KindList, []string{"Solution ID", "Solutions"}, "your solution ids (SOL-…), separated by ';'"},
	ColShareWithMicrosoftSellers:  {"Share With Microsoft Sellers", "ShareWithMicrosoftSellers", KindBool, []string{"Share with Microsoft sales team"}, "yes to make the deal visible to Microsoft sellers"},
	ColConsentToShareInfo:         {"Consent To Share Info", "ConsentToShareInfo", KindBool, []string{"Consent to share Customer/Partner contact"}, "customer consents to share information with others"},
	ColConsentToContact:           {"Consent To Contact", "ConsentToContact", KindBool, nil, "customer consents to be contacted"},
	ColHelpNeeded:                 {"Help Needed", "HelpNeeded", KindBool, []string{"Help From Microsoft", "Help Needed From Microsoft", "Microsoft help required?", "Microsoft help required"}, "yes asks Microsoft for help (Co-sell when Deal Type is empty)"},
	ColAssistanceRequestCode:      {"Assistance Request Code", "AssistanceRequestCode", KindEnum, []string{"What specific help from Microsoft?", "What specific help from Microsoft"}, "what help is asked of Microsoft on a Co-sell deal"},
	ColInviteNotes:                {"Invite Notes", "InviteNotes", KindText, []string{"Notes to Microsoft"}, "notes to Microsoft on a Co-sell deal"},
	ColServicesCosell:             {"Services Co-sell", "ServicesCosell", KindBool, nil, "yes for a Services co-sell referral"},
	ColPartnerRole:                {"Partner Role", "PartnerRole", KindEnum, nil, "required for Services co-sell"},
	ColSolutionArea:               {"Solution Area", "SolutionArea", KindEnum, nil, "required for Services co-sell"},
	ColSolutionPlay:               {"Solution Play", "SolutionPlay", KindEnum, nil, "required for Services co-sell; must belong to the Solution Area"},
	ColTeamMemberFirstName:        {"Team Member First Name", "TeamMemberFirstName", KindText, nil, "a member of your team on the deal"},
	ColTeamMemberLastName:         {"Team Member Last Name", "TeamMemberLastName", KindText, nil, "a member of your team on the deal"},
	ColTeamMemberEmail:            {"Team Member Email", "TeamMemberEmail", KindText, []string{"Owner Email"}, "a member of your team on the deal"},
	ColTeamMemberPhone:            {"Team Member Phone", "TeamMemberPhone", KindText, nil, "a member of your team on the deal"},
	ColCustomerManaged:            {"Customer Managed", "CustomerManaged", KindBool, nil, "yes when the customer is Microsoft managed (deal registration)"},
	ColMicrosoftReferralStatus:    {"Microsoft Referral Status", "MicrosoftReferralStatus", KindEnum, nil, "status of Microsoft's side of a Co-sell deal (deal registration)"},
	ColRegisterDeal:               {"Register Deal", "RegisterDeal", KindBool, nil, "yes to register the deal (Azure IP co-sell)"},
	ColContractValue:              {"Contract Value", "ContractValue", KindNumber, nil, "registered contract value"},
	ColContractCurrency:           {"Contract Currency", "ContractCurrency", KindEnum, nil, "ISO 4217 code of the contract value"},
	ColContractTerm:               {"Contract Term", "ContractTerm", KindEnum, nil, "contract term"},
	ColContractSignDate:           {"Contract Sign Date", "ContractSignDate", KindDate, nil, "contract signature date"},
	ColContractStartDate:          {"Contract Start Date", "ContractStartDate", KindDate, nil, "contract start date"},
	ColContractEndDate:            {"Contract End Date", "ContractEndDate", KindDate, nil, "contract end date"},
	ColPricingModel:               {"Pricing Model", "PricingModel", KindEnum, nil, "pricing model of the registered solution"},
	ColPrimaryDeploymentOn:        {"Primary Deployment On", "PrimaryDeploymentOn", KindEnum, nil, "where the solution is primarily deployed"},
	ColDeployedOnAzure:            {"Deployed On Azure", "DeployedOnAzure", KindBool, []string{"Is Deployed on Azure"}, "yes when the solution is deployed on Azure"},
	ColMarketplaceTransacted:      {"Marketplace Transacted", "MarketplaceTransacted", KindBool, []string{"Is Marketplace Transacted"}, "yes when transacted through the marketplace"},
	ColMarketplaceTransactionDate: {"Marketplace Transaction Date", "MarketplaceTransactionDate", KindDate, nil, "date of the marketplace transaction"},

	ColMarketplacePurchaseIntent: {"Marketplace Purchase Intent", "MarketplacePurchaseIntent", KindEnum, []string{"Customer Marketplace Intent", "Purchase Intent"}, "will the customer buy through the Azure Marketplace: Yes, No or Have not decided (Partner Center requires it on new referrals)"},
	ColSalesStage:                {"Sales Stage", "SalesStage", KindEnum, nil, "Qualify (20%), Develop (40%), Propose (60%) or Close (80%); 10% and 100% are the Accepted and Won states"},
	ColMarketingCampaignID:       {"Marketing Campaign ID", "MarketingCampaignID", KindText, []string{"Campaign ID"}, "the marketing campaign that led to the deal"},
	ColDUNSID:                    {"Customer D-U-N-S ID", "DUNSID", KindText, []string{"D-U-N-S ID", "DUNS ID", "DUNS", "Customer DUNS ID", "DUNS Number"}, "the customer's Dun & Bradstreet number; cannot change after creation"},
	ColPartnerID:                 {"PartnerID", "PartnerID", KindText, []string{"PartnerID (formerly MPN ID)", "Partner ID", "MPN ID", "MPNID"}, "your PartnerID (formerly MPN ID) for the deal; cannot change after creation"},
	ColCloseReason:               {"Close Reason", "CloseReason", KindText, []string{"Declined/Lost/Error reason", "Declined/Lost reason", "Lost Reason", "Decline Reason", "Declined Reason"}, "why a deal is Declined or Lost: a code 1-8 of Partner Center's list, or your own words"},
	ColSolutions:                 {"Solution n", "SolutionLines", KindSolution, nil, "Solution 1, Solution 2… up to 50: \"ID, Currency, Price, Quantity\" (only the ID is required)"},
	ColTeamMembers:               {"Team member n", "TeamMembers", KindMember, nil, "Team member 1, Team member 2… up to 50: \"First, Last, phone, email\""},
	ColSolutionValue:             {"Solution Value", "SolutionValue", KindNumber, nil, "registered value of the solution: contract value less one-off fees"},
	ColSolutionCurrency:          {"Solution Currency", "SolutionCurrency", KindEnum, nil, "ISO 4217 code of the solution value"},
	ColRegistrationType:          {"Registration Type", "RegistrationType", KindEnum, nil, "AzureIPCoSell, the one registration type"},
	ColRegistrationStatus:        {"Registration Status", "RegistrationStatus", KindEnum, []string{"Current Registration Status"}, "the registration's present review state (read-only; for the local edit check)"},
}

// MaxNumbered is how many numbered columns of one kind a file may have
// (bulk-operations.md: "up to 50 solutions", "up to 50 team members").
const MaxNumbered = 50

// NumberedBase returns the header stem of a numbered column ("Solution",
// "Team member") and true, or false for other columns.
func (c Column) NumberedBase() (string, bool) {
	switch c {
	case ColSolutions:
		return "Solution", true
	case ColTeamMembers:
		return "Team member", true
	}
	return "", false
}

// Columns returns every canonical column in template order.
func Columns() []Column {
	cols := make([]Column, 0, NumColumns-1)
	for c := ColAction; c < NumColumns; c++ {
		cols = append(cols, c)
	}
	return cols
}

// Valid reports whether c is a canonical column.
func (c Column) Valid() bool { return c > colInvalid && c < NumColumns }

// Info returns the column's description; the zero ColumnInfo for an invalid column.
func (c Column) Info() ColumnInfo {
	if !c.Valid() {
		return ColumnInfo{}
	}
	return columnInfo[c]
}

// String returns the canonical header name.
func (c Column) String() string {
	if !c.Valid() {
		return "column(?)"
	}
	return columnInfo[c].Name
}

// Kind returns how the column's text is parsed.
func (c Column) Kind() Kind { return c.Info().Kind }

// ColumnByName finds a canonical column by its canonical name, its Row field
// name or one of its built-in aliases, compared with FoldKey.
func ColumnByName(name string) (Column, bool) {
	key := FoldKey(name)
	if key == "" {
		return colInvalid, false
	}
	for c := ColAction; c < NumColumns; c++ {
		info := &columnInfo[c]
		if FoldKey(info.Name) == key || FoldKey(info.Field) == key {
			return c, true
		}
		for _, a := range info.Aliases {
			if FoldKey(a) == key {
				return c, true
			}
		}
	}
	return colInvalid, false
}

// FoldKey normalises a header or enum text for comparison: lower case, with
// spaces (also non-breaking), '_', '-', '.', '(' and ')' removed. "Co-Sell",
// "co sell" and "cosell" all fold to "cosell".
func FoldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '_' || r == '-' || r == '.' || r == '(' || r == ')':
		case unicode.IsSpace(r) || r == '\u00a0':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// ColumnSet is a set of columns, one bit each. It is a value: copy it,
// compare it with ==; its zero value is the empty set.
type ColumnSet [2]uint64

// Has reports whether c is in the set.
func (s ColumnSet) Has(c Column) bool { return s[c>>6]&(1<<(c&63)) != 0 }

// With returns the set with c added.
func (s ColumnSet) With(c Column) ColumnSet {
	s[c>>6] |= 1 << (c & 63)
	return s
}

// Without returns the set with c removed.
func (s ColumnSet) Without(c Column) ColumnSet {
	s[c>>6] &^= 1 << (c & 63)
	return s
}

// Minus returns the members of s that are not in o.
func (s ColumnSet) Minus(o ColumnSet) ColumnSet { return ColumnSet{s[0] &^ o[0], s[1] &^ o[1]} }

// Intersects reports whether s and o share a member.
func (s ColumnSet) Intersects(o ColumnSet) bool { return s[0]&o[0] != 0 || s[1]&o[1] != 0 }

// HasAll reports whether every member of o is in s.
func (s ColumnSet) HasAll(o ColumnSet) bool { return s[0]&o[0] == o[0] && s[1]&o[1] == o[1] }

// Union returns the members of s and o.
func (s ColumnSet) Union(o ColumnSet) ColumnSet { return ColumnSet{s[0] | o[0], s[1] | o[1]} }

// First returns the lowest member, or an invalid column for the empty set.
func (s ColumnSet) First() Column {
	switch {
	case s[0] != 0:
		return Column(bits.TrailingZeros64(s[0]))
	case s[1] != 0:
		return Column(64 + bits.TrailingZeros64(s[1]))
	}
	return colInvalid
}

// Empty reports whether the set has no member.
func (s ColumnSet) Empty() bool { return s == ColumnSet{} }

// Columns lists the set's members in column order.
func (s ColumnSet) Columns() []Column {
	var out []Column
	for c := ColAction; c < NumColumns; c++ {
		if s.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// ColumnLetters returns the spreadsheet letters of a zero-based column index:
// 0 → "A", 25 → "Z", 26 → "AA".
func ColumnLetters(index int) string {
	if index < 0 {
		return ""
	}
	var buf [8]byte
	i := len(buf)
	for n := index + 1; n > 0; n = (n - 1) / 26 {
		i--
		buf[i] = byte('A' + (n-1)%26)
	}
	return string(buf[i:])
}

// CellRef returns the A1 reference of a zero-based column index in a
// spreadsheet row: CellRef(1, 7) is "B7". It is empty for a negative index.
func CellRef(index, row int) string {
	if index < 0 {
		return ""
	}
	return ColumnLetters(index) + strconv.Itoa(row)
}
