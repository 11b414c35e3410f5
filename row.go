package refbatch

import (
	"math"
	"time"
)

// Header describes the header row of one input file: where it is and which
// canonical column each input column maps to. Every Row of the file points
// at the same Header; it is read-only once import has begun.
type Header struct {
	File  string   // input path as given by the user
	Sheet string   // worksheet name; empty for CSV
	Row   int      // spreadsheet row number of the header row
	Names []string // headers as written in the file, in file order

	// Index maps a canonical column to its zero-based position in Names,
	// or -1 when the file has no such column.
	Index [NumColumns]int
	// Columns maps each position in Names to its canonical column
	// (zero, not Valid, for an unknown header).
	Columns []Column
	// Numbered lists, per numbered column (Column.NumberedBase), the
	// positions of its "Solution 1", "Solution 2"… headers in n order; its
	// Index is the first of them.
	Numbered map[Column][]int
	// Ignored are the headers of Microsoft's templates that refbatch
	// recognises and never sends: read-only columns (Errors, Engagement
	// ID, Registration Date…) and columns the API has no place for.
	Ignored []IgnoredHeader
	// Template is TemplateCosell or TemplateDealRegistration when the
	// header is one of Microsoft's bulk templates, else "".
	Template string
	// TitleRows are the non-blank rows above the header (a title, an
	// export note, a logo row's text), in order, so outputs can put them
	// back where the user had them. A merged title is its first cell's text.
	TitleRows []TitleRow
	// Pulled maps a canonical column to the position of its hidden
	// "Pulled <column>" header in a workbook `refbatch pull` wrote (the
	// value as pulled); nil for any other file. PulledETag is the position
	// of "Pulled ETag", -1 when absent.
	Pulled     map[Column]int
	PulledETag int
}

// IgnoredHeader is a recognised header whose cells are not sent. A filled
// cell of a column with Warn set gets a warning saying so: the user wrote
// something refbatch cannot deliver.
type IgnoredHeader struct {
	Index  int    // position in Names
	Reason string // why it is not sent, for the warning and the guide
	Warn   bool
}

// TitleRow is a row above the header: its spreadsheet row number and its
// cells as read, in file order.
type TitleRow struct {
	Number int
	Cells  []string
}

// NewHeader returns a Header with every canonical column marked absent.
func NewHeader(file, sheet string, row int, names []string) *Header {
	h := &Header{File: file, Sheet: sheet, Row: row, Names: names, Columns: make([]Column, len(names)), PulledETag: -1}
	for i := range h.Index {
		h.Index[i] = -1
	}
	return h
}

// Has reports whether the file has column c.
func (h *Header) Has(c Column) bool { return c.Valid() && h.Index[c] >= 0 }

// Written returns the header of column c as written in the file, or "".
func (h *Header) Written(c Column) string {
	if !h.Has(c) {
		return ""
	}
	return h.Names[h.Index[c]]
}

// Row is one imported spreadsheet row: the text as read, where each cell came
// from, and the typed value of every canonical column.
//
// Typed fields hold the zero value when the cell is empty, absent or could not
// be parsed; Filled and Invalid tell those apart. Enumerated columns hold the
// canonical spelling when the value is known, else the trimmed text.
type Row struct {
	Header *Header  // the file's header; shared by all rows of a file
	Number int      // the spreadsheet's own row number
	Raw    []string // cells in file order, as read (not trimmed)
	// Cells says, per Raw cell, what the file stored (XLSX: a number, a
	// date, a boolean, text) and its number format, so reports can write
	// the cell back as the user had it. nil when the source has no types
	// (CSV); shorter than Raw when trailing cells are plain text.
	Cells []CellType

	Filled  ColumnSet // canonical columns whose cell is not blank
	Invalid ColumnSet // canonical columns whose text could not be parsed

	// NotLoaded, when not "", says why the row is kept for the reports but
	// neither checked nor sent (NotLoadedTotal): it appears in the Report
	// and Results sheets with its finding, in its place, and a run records
	// it as OutcomeNotLoaded.
	NotLoaded string

	Action              string // ActionCreate or ActionUpdate, resolved from Referral ID when blank
	ReferralID          string
	ExternalReferenceID string
	Name                string
	DealType            string // DealTypePrivate, DealTypePartnerLed, DealTypeCosell
	ReferralType        string // Independent, Shared
	Qualification       string
	Status              string
	Substatus           string
	StatusReason        string
	CurrentStatus       string
	CurrentSubstatus    string

	CustomerName     string
	AddressLine1     string
	AddressLine2     string
	City             string
	State            string
	PostalCode       string
	Country          string
	CustomerSize     string
	ContactFirstName string
	ContactLastName  string
	ContactEmail     string
	ContactPhone     string

	DealValue   float64
	Currency    string
	ClosingDate time.Time
	Notes       string
	Industries  []string
	Products    []string
	Services    []string
	SolutionIDs []string

	ShareWithMicrosoftSellers bool
	ConsentToShareInfo        bool
	ConsentToContact          bool
	HelpNeeded                bool
	AssistanceRequestCode     string
	InviteNotes               string

	ServicesCosell bool
	PartnerRole    string
	SolutionArea   string
	SolutionPlay   string

	TeamMemberFirstName string
	TeamMemberLastName  string
	TeamMemberEmail     string
	TeamMemberPhone     string

	CustomerManaged         bool
	MicrosoftReferralStatus string

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

	MarketplacePurchaseIntent string // Yes, No, HaveNotDecided
	SalesStage                string // SalesStage… constants
	MarketingCampaignID       string
	DUNSID                    string
	PartnerID                 string
	// CloseReason is why a deal is Declined or Lost (or closed as Error),
	// as written: a code of Partner Center's list or text; CloseReasonText
	// reads it.
	CloseReason        string
	SolutionLines      []SolutionLine // the "Solution n" columns, in n order
	TeamMembers        []Member       // the "Team member n" columns, in n order
	SolutionValue      float64
	SolutionCurrency   string
	RegistrationType   string
	RegistrationStatus string

	// Pulled is the row as it was pulled, for a row of a workbook `refbatch
	// pull` wrote (its hidden "Pulled …" cells, typed as the row's own
	// are; Filled where a value was pulled); nil for any other row. The
	// importer has then dropped from Filled every cell equal to its pulled
	// value: what is left is what the user changed.
	Pulled *Row

	// What the live referral says, for the lifecycle rules that need it:
	// set by the live re-check (engine.LiveFindings, for plan --online and
	// run) before the rules see the row, zero offline. Live reports whether
	// they are known. They are no columns: no file fills them.
	Live        bool
	LiveShared  bool      // consent.consentToShareReferralWithMicrosoftSellers
	LiveCreated time.Time // createdDateTime; zero when the answer had none
	// LiveRegistrationStatus is the review state of the referral's deal
	// registration ("" when it has none, or none was said), and
	// LiveRegistrationEdit whether the row would change that registration.
	LiveRegistrationStatus string
	LiveRegistrationEdit   bool
}

// SolutionLine is one "Solution n" cell: "ID, Currency, Price, Quantity".
// Price and Quantity are nil when the cell leaves them out.
type SolutionLine struct {
	ID       string
	Currency string
	Price    *float64
	Quantity *float64
}

// Member is one "Team member n" cell: "First, Last, phone, email".
type Member struct {
	FirstName string
	LastName  string
	Phone     string
	Email     string
}

// CellKind is the type of value a spreadsheet cell stored.
type CellKind uint8

// Cell kinds.
const (
	CellText   CellKind = iota // a string (shared, inline or rich), or unknown
	CellNumber                 // a number; Value holds it
	CellDate                   // a number with a date or time format; Value is the Excel serial in the 1900 date system
	CellBool                   // TRUE/FALSE; Value is 1 or 0
)

// CellType is what the file said of one cell beyond its text.
type CellType struct {
	Kind   CellKind
	Value  float64 // the number, date serial or 0/1 of a non-text cell
	Format string  // the Excel number format code ("m/d/yyyy", "$#,##0.00"); "" for General
}

// Text returns the cell text of column c as read, or "" when the file has no
// such column or the row is short.
func (r *Row) Text(c Column) string {
	if r.Header == nil || !r.Header.Has(c) {
		return ""
	}
	i := r.Header.Index[c]
	if i >= len(r.Raw) {
		return ""
	}
	return r.Raw[i]
}

// ShownText returns cell i (zero-based, file order) as a message shows it:
// a date cell as its ISO date ("2027-03-31", with the time of day when it
// has one) rather than the serial the file stores; any other cell as read.
// Reports render typed cells with their own number format instead.
func (r *Row) ShownText(i int) string {
	if i < 0 || i >= len(r.Raw) {
		return ""
	}
	if i < len(r.Cells) && r.Cells[i].Kind == CellDate && r.Raw[i] != "" {
		if s, ok := SerialDateText(r.Cells[i].Value); ok {
			return s
		}
	}
	return r.Raw[i]
}

// SerialDateText renders an Excel date serial of the 1900 date system as
// "2006-01-02", "2006-01-02 15:04:05" when it has a time of day, or
// "15:04:05" for a time alone (a serial below 1); ok is false for a serial
// no date cell holds (negative, past the year 9999, not finite).
func SerialDateText(serial float64) (string, bool) {
	if math.IsNaN(serial) || serial < 0 || serial >= 2958466 {
		return "", false
	}
	// Seconds, rounded as Excel rounds a displayed time.
	secs := int64(math.Round(serial * 86400))
	days, rem := secs/86400, secs%86400
	var t time.Time
	switch {
	case days == 0:
		t = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC) // a time alone
	case days < 60:
		t = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days))
	case days == 60:
		return "1900-02-29", true // Excel's phantom leap day (Lotus 1-2-3's)
	default:
		t = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days))
	}
	t = t.Add(time.Duration(rem) * time.Second)
	switch {
	case days == 0:
		return t.Format("15:04:05"), true
	case rem == 0:
		return t.Format("2006-01-02"), true
	}
	return t.Format("2006-01-02 15:04:05"), true
}

// Ref returns the A1 reference of column c in this row, or "" when the file
// has no such column.
func (r *Row) Ref(c Column) string {
	if r.Header == nil || !r.Header.Has(c) {
		return ""
	}
	return CellRef(r.Header.Index[c], r.Number)
}

// Finding returns a finding about column c of this row, with the cell
// reference, headers and value filled in.
func (r *Row) Finding(c Column, rule string, sev Severity, message string) Finding {
	f := Finding{Row: r.Number, Rule: rule, Severity: sev, Message: message}
	if c.Valid() {
		f.Column = c.String()
		f.Cell = r.Ref(c)
		if r.Header != nil && r.Header.Has(c) {
			// A date cell's value as a date, not the serial in Raw.
			f.Value = r.ShownText(r.Header.Index[c])
		}
		if r.Header != nil {
			f.Header = r.Header.Written(c)
		}
	}
	return f
}

// Why a row is not loaded (Row.NotLoaded).
const (
	// NotLoadedTotal is a total row: a SUM or SUBTOTAL formula, or a first
	// cell such as "Total", and no referral or CRM id.
	NotLoadedTotal = "total row"
)

// NotLoadedNote is what a report's Error cell and a run's record say of a
// row that is not loaded: "total row: not loaded".
func (r *Row) NotLoadedNote() string {
	if r.NotLoaded == "" {
		return ""
	}
	return r.NotLoaded + ": not loaded"
}

// Row actions.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
)

// Deal types (SPEC §3, create-referral "Deal types").
const (
	DealTypePrivate    = "Private"
	DealTypePartnerLed = "Partner-led"
	DealTypeCosell     = "Co-sell"
)

// Referral types.
const (
	ReferralTypeIndependent = "Independent"
	ReferralTypeShared      = "Shared"
)

// Referral statuses and substatuses (create-referral "Status and substatus
// transition states").
const (
	StatusNew    = "New"
	StatusActive = "Active"
	StatusClosed = "Closed"

	SubstatusPending  = "Pending"
	SubstatusReceived = "Received"
	SubstatusAccepted = "Accepted"
	SubstatusWon      = "Won"
	SubstatusLost     = "Lost"
	SubstatusDeclined = "Declined"
	SubstatusExpired  = "Expired"
	// SubstatusError is Partner Center's "Close as Error" (the co-sell bulk
	// template's substatus "Error"). The Referrals API has no such
	// substatus (referral-resources.md), so a row that asks for it fails
	// with a finding instead of being sent.
	SubstatusError = "Error"
)

// Marketplace Purchase Intent values (bulk-operations.md: "Yes", "No" or
// "Have not decided"), spelled as the create-referral example sends them in
// details.requirements.additionalRequirements.attributes.
const (
	IntentYes            = "Yes"
	IntentNo             = "No"
	IntentHaveNotDecided = "HaveNotDecided"
)

// Sales stages. Qualify, Develop, Propose and Close are the salesStage enum
// of Microsoft's Swagger; Created (10%: a deal created or accepted) and Won
// (100%) are manage-co-sell-opportunities.md's first and last stages, which
// are referral states rather than a salesStage value.
const (
	SalesStageCreated = "Created"
	SalesStageQualify = "Qualify"
	SalesStageDevelop = "Develop"
	SalesStagePropose = "Propose"
	SalesStageClose   = "Close"
	SalesStageWon     = "Won"
)

// Deal registration types and review states
// (bulk-operations-deal-registrations.md, "Registration Status").
const (
	RegistrationTypeAzureIPCoSell = "AzureIPCoSell"

	RegistrationReviewPending  = "ReviewPending"
	RegistrationActionRequired = "ActionRequired"
	RegistrationApproved       = "Approved"
	RegistrationPassed         = "Passed"
	RegistrationFailed         = "Failed"
	RegistrationClosed         = "Closed"
)

// Referral qualifications.
const (
	QualificationMarketingQualified = "MarketingQualified"
	QualificationSalesQualified     = "SalesQualified"
	QualificationDirect             = "Direct"
)

// FixedVocabulary returns the values an enumerated column can hold when they
// are fixed by the API rather than by a reference table, in canonical
// spelling; nil for other columns. Reference-table columns (Country,
// Currency, Solution Area…) get their vocabularies from the rules tables.
func FixedVocabulary(c Column) []string {
	switch c {
	case ColAction:
		return []string{ActionCreate, ActionUpdate}
	case ColDealType:
		return []string{DealTypePrivate, DealTypePartnerLed, DealTypeCosell}
	case ColReferralType:
		return []string{ReferralTypeIndependent, ReferralTypeShared}
	case ColQualification:
		return []string{QualificationMarketingQualified, QualificationSalesQualified, QualificationDirect}
	case ColStatus, ColCurrentStatus:
		return []string{StatusNew, StatusActive, StatusClosed}
	case ColSubstatus, ColCurrentSubstatus:
		return []string{SubstatusPending, SubstatusReceived, SubstatusAccepted, SubstatusWon, SubstatusLost, SubstatusDeclined, SubstatusExpired, SubstatusError}
	case ColMicrosoftReferralStatus:
		return []string{SubstatusPending, SubstatusReceived, SubstatusAccepted, SubstatusWon, SubstatusLost, SubstatusDeclined, SubstatusExpired}
	case ColMarketplacePurchaseIntent:
		return []string{IntentYes, IntentNo, IntentHaveNotDecided}
	case ColSalesStage:
		return []string{SalesStageCreated, SalesStageQualify, SalesStageDevelop, SalesStagePropose, SalesStageClose, SalesStageWon}
	case ColRegistrationType:
		return []string{RegistrationTypeAzureIPCoSell}
	case ColRegistrationStatus:
		return []string{RegistrationReviewPending, RegistrationActionRequired, RegistrationApproved, RegistrationPassed, RegistrationFailed, RegistrationClosed}
	}
	return nil
}
