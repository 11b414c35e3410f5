package partnercenter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file holds the wire types of the Partner Center Referrals API
// (reference/create-referral.txt, get-referral-by-id*.txt,
// update-referral*.txt). Field names and casing follow the documents; fields
// are pointers or omitempty where the documents send null or leave them out.

// ReferralStatus is a referral's status.
type ReferralStatus string

// ReferralStatus values.
const (
	StatusNone   ReferralStatus = "None" // documented (referral-resources.md); no referral is stored with it
	StatusNew    ReferralStatus = "New"
	StatusActive ReferralStatus = "Active"
	StatusClosed ReferralStatus = "Closed"
)

// ReferralStatuses lists every documented ReferralStatus.
func ReferralStatuses() []ReferralStatus {
	return []ReferralStatus{StatusNone, StatusNew, StatusActive, StatusClosed}
}

// Valid reports whether s is a documented status.
func (s ReferralStatus) Valid() bool { return contains(ReferralStatuses(), s) }

// ReferralSubstatus is a referral's substatus.
type ReferralSubstatus string

// ReferralSubstatus values.
const (
	SubstatusNone     ReferralSubstatus = "None" // documented (referral-resources.md)
	SubstatusPending  ReferralSubstatus = "Pending"
	SubstatusReceived ReferralSubstatus = "Received"
	SubstatusAccepted ReferralSubstatus = "Accepted"
	SubstatusWon      ReferralSubstatus = "Won"
	SubstatusLost     ReferralSubstatus = "Lost"
	SubstatusDeclined ReferralSubstatus = "Declined"
	SubstatusExpired  ReferralSubstatus = "Expired"
)

// ReferralSubstatuses lists every documented ReferralSubstatus.
func ReferralSubstatuses() []ReferralSubstatus {
	return []ReferralSubstatus{SubstatusNone, SubstatusPending, SubstatusReceived, SubstatusAccepted, SubstatusWon, SubstatusLost, SubstatusDeclined, SubstatusExpired}
}

// Valid reports whether s is a documented substatus.
func (s ReferralSubstatus) Valid() bool { return contains(ReferralSubstatuses(), s) }

// ReferralType says who can see a referral.
type ReferralType string

// ReferralType values.
const (
	TypeIndependent ReferralType = "Independent"
	TypeShared      ReferralType = "Shared"
)

// ReferralTypes lists every documented ReferralType.
func ReferralTypes() []ReferralType { return []ReferralType{TypeIndependent, TypeShared} }

// Valid reports whether t is a documented type.
func (t ReferralType) Valid() bool { return contains(ReferralTypes(), t) }

// ReferralQualification is the quality of a referral.
type ReferralQualification string

// ReferralQualification values.
const (
	QualificationNone               ReferralQualification = "None" // documented: no quality measure
	QualificationMarketingQualified ReferralQualification = "MarketingQualified"
	QualificationSalesQualified     ReferralQualification = "SalesQualified"
	QualificationDirect             ReferralQualification = "Direct"
)

// ReferralQualifications lists every documented ReferralQualification.
func ReferralQualifications() []ReferralQualification {
	return []ReferralQualification{QualificationNone, QualificationMarketingQualified, QualificationSalesQualified, QualificationDirect}
}

// Valid reports whether q is a documented qualification.
func (q ReferralQualification) Valid() bool { return contains(ReferralQualifications(), q) }

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Referral is the Referral resource: every property the documents and
// Microsoft's Swagger for the Referrals connector
// (PowerPlatformConnectors, certified-connectors/PartnerCenterReferrals)
// name, and in Extra whatever else the service sends.
type Referral struct {
	ODataContext        string                `json:"@odata.context,omitempty"`
	ID                  string                `json:"id,omitempty"`
	EngagementID        string                `json:"engagementId,omitempty"`
	OrganizationID      string                `json:"organizationId,omitempty"`
	OrganizationName    string                `json:"organizationName,omitempty"`
	Name                string                `json:"name,omitempty"`
	ExternalReferenceID string                `json:"externalReferenceId,omitempty"`
	CampaignID          string                `json:"campaignId,omitempty"`
	MpnID               string                `json:"mpnId,omitempty"`
	CreatedDateTime     *time.Time            `json:"createdDateTime,omitempty"`
	UpdatedDateTime     *time.Time            `json:"updatedDateTime,omitempty"`
	ExpirationDateTime  *time.Time            `json:"expirationDateTime,omitempty"`
	AcceptedDateTime    *time.Time            `json:"acceptedDateTime,omitempty"`
	ClosedDateTime      *time.Time            `json:"closedDateTime,omitempty"`
	Status              ReferralStatus        `json:"status,omitempty"`
	Substatus           ReferralSubstatus     `json:"substatus,omitempty"`
	StatusReason        string                `json:"statusReason,omitempty"`
	Qualification       ReferralQualification `json:"qualification,omitempty"`
	Type                ReferralType          `json:"type,omitempty"`
	Direction           string                `json:"direction,omitempty"`
	DealSensitivity     string                `json:"dealSensitivity,omitempty"`
	CustomerProfile     *CustomerProfile      `json:"customerProfile,omitempty"`
	Consent             *Consent              `json:"consent,omitempty"`
	Details             *ReferralDetails      `json:"details,omitempty"`
	Team                []Member              `json:"team,omitempty"`
	InviteContext       *InviteContext        `json:"inviteContext,omitempty"`
	Target              []ReferralTarget      `json:"target,omitempty"`
	Registrations       []Registration        `json:"registrations,omitempty"`
	Attributes          *Attributes           `json:"attributes,omitempty"`
	ETag                string                `json:"eTag,omitempty"`
	Links               *ReferralLinks        `json:"links,omitempty"`

	// Swagger properties the documents do not show.
	Favorite           *bool         `json:"favorite,omitempty"`
	LastModifiedVia    string        `json:"lastModifiedVia,omitempty"`
	LastRunID          string        `json:"lastRunId,omitempty"`
	ReferralProgram    string        `json:"referralProgram,omitempty"`
	SalesStage         string        `json:"salesStage,omitempty"` // Qualify, Develop, Propose, Close
	TrackingInfo       *TrackingInfo `json:"trackingInfo,omitempty"`
	RegistrationStatus string        `json:"registrationStatus,omitempty"`
	CallToAction       string        `json:"callToAction,omitempty"`
	ReferralSource     string        `json:"referralSource,omitempty"`
	OfferID            string        `json:"offerId,omitempty"`
	Quality            string        `json:"quality,omitempty"`
	IsSpam             *bool         `json:"isSpam,omitempty"`
	// Tags is kept as sent: the Swagger's schema for it is self-contradictory
	// (items typed string with an object's properties).
	Tags json.RawMessage `json:"tags,omitempty"`

	// Services co-sell fields (create-referral.txt: required for Services
	// co-sell referrals only). They sit at the top level of the resource.
	// No Swagger names them.
	PartnerRole  string `json:"partnerRole,omitempty"`
	SolutionArea string `json:"solutionArea,omitempty"`
	SolutionPlay string `json:"solutionPlay,omitempty"`

	Extra Extra `json:"-"` // members not modelled, as sent
}

// TrackingInfo is where the service records the referral in Microsoft's CRM.
type TrackingInfo struct {
	MicrosoftMsxID string `json:"microsoftMsxId,omitempty"`
	Extra          Extra  `json:"-"`
}

// CustomerProfile is the customer of a referral.
type CustomerProfile struct {
	Name               string      `json:"name,omitempty"`
	Address            *Address    `json:"address,omitempty"`
	Size               string      `json:"size,omitempty"`
	Type               string      `json:"type,omitempty"`
	IsMatchingComplete *bool       `json:"isMatchingComplete,omitempty"`
	IsMaccEligible     *bool       `json:"isMaccEligible,omitempty"`
	Team               []Member    `json:"team,omitempty"`
	IDs                CustomerIDs `json:"ids,omitempty"`
	Extra              Extra       `json:"-"`
}

// Address is a postal address; Country is ISO 3166 alpha-2.
type Address struct {
	AddressLine1 string `json:"addressLine1,omitempty"`
	AddressLine2 string `json:"addressLine2,omitempty"`
	City         string `json:"city,omitempty"`
	State        string `json:"state,omitempty"`
	Region       string `json:"region,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
	Country      string `json:"country,omitempty"`
	Extra        Extra  `json:"-"`
}

// CustomerID is an identifier of the customer in another system.
type CustomerID struct {
	ProfileType string `json:"profileType,omitempty"`
	ID          string `json:"id,omitempty"`
}

// CustomerIDs is customerProfile.ids, kept as sent. The Swagger makes it an
// array of anything, referral-resources.md an object of named ids
// (CustomerProfileType: {"Duns": …, "External": …}) and the legacy get
// example an empty object; all three are read and written back unchanged.
// Entries reads either form.
type CustomerIDs json.RawMessage

// UnmarshalJSON accepts an array, an object or null.
func (ids *CustomerIDs) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	switch {
	case bytes.Equal(t, []byte("null")):
		*ids = nil
	case len(t) > 0 && (t[0] == '[' || t[0] == '{') && json.Valid(t):
		*ids = append(CustomerIDs(nil), t...)
	default:
		return fmt.Errorf("ids: want an array or an object, got %.20s", t)
	}
	return nil
}

// MarshalJSON writes the ids as they were read.
func (ids CustomerIDs) MarshalJSON() ([]byte, error) {
	if len(ids) == 0 {
		return []byte("null"), nil
	}
	return []byte(ids), nil
}

// Entries returns the ids: the array's {profileType, id} entries, or the
// object's members in name order as {profileType: name, id: value}.
// Entries it cannot read as such are skipped.
func (ids CustomerIDs) Entries() []CustomerID {
	t := bytes.TrimSpace(ids)
	if len(t) == 0 {
		return nil
	}
	var out []CustomerID
	if t[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(t, &m) != nil {
			return nil
		}
		for _, k := range sortedKeys(m) {
			var v string
			if json.Unmarshal(m[k], &v) == nil && v != "" {
				out = append(out, CustomerID{ProfileType: k, ID: v})
			}
		}
		return out
	}
	var items []json.RawMessage
	if json.Unmarshal(t, &items) != nil {
		return nil
	}
	for _, it := range items {
		var c CustomerID
		if json.Unmarshal(it, &c) == nil && (c.ID != "" || c.ProfileType != "") {
			out = append(out, c)
		}
	}
	return out
}

// Member is a person on the customer's or a partner's team.
type Member struct {
	FirstName             string             `json:"firstName,omitempty"`
	LastName              string             `json:"lastName,omitempty"`
	PhoneNumber           string             `json:"phoneNumber,omitempty"`
	Email                 string             `json:"email,omitempty"`
	Title                 string             `json:"title,omitempty"`
	PhoneValidationStatus string             `json:"phoneValidationStatus,omitempty"`
	EmailValidationStatus string             `json:"emailValidationStatus,omitempty"`
	LinkedInProfileURL    string             `json:"linkedInProfileUrl,omitempty"`
	ContactPreference     *ContactPreference `json:"contactPreference,omitempty"`
	Extra                 Extra              `json:"-"`
}

// ContactPreference is a member's contact preference.
type ContactPreference struct {
	Locale               string `json:"locale,omitempty"`
	DisableNotifications bool   `json:"disableNotifications"`
	Extra                Extra  `json:"-"`
}

// Consent holds the consent flags. The first field's name is spelled as the
// API spells it.
type Consent struct {
	ConsentToShareInfoWithOthers                bool  `json:"consentToToShareInfoWithOthers"`
	ConsentToContact                            bool  `json:"consentToContact"`
	ConsentToMicrosoftToContactSpecificPartners bool  `json:"consentToMicrosoftToContactSpecificPartners,omitempty"`
	ConsentToShareReferralWithMicrosoftSellers  bool  `json:"consentToShareReferralWithMicrosoftSellers"`
	Extra                                       Extra `json:"-"`
}

// ReferralDetails holds the deal: value, currency, closing date, notes and
// the customer's requirements.
type ReferralDetails struct {
	Notes                    string        `json:"notes,omitempty"`
	DealValue                *Amount       `json:"dealValue,omitempty"`
	Currency                 string        `json:"currency,omitempty"`
	ClosingDateTime          *time.Time    `json:"closingDateTime,omitempty"`
	Requirements             *Requirements `json:"requirements,omitempty"`
	CustomerAction           string        `json:"customerAction,omitempty"`
	CustomerRequestedContact *bool         `json:"customerRequestedContact,omitempty"`
	Extra                    Extra         `json:"-"`
}

// Requirements are what the customer needs.
type Requirements struct {
	Industries             []Requirement           `json:"industries,omitempty"`
	Products               []Requirement           `json:"products,omitempty"`
	Services               []Requirement           `json:"services,omitempty"`
	Solutions              []Solution              `json:"solutions,omitempty"`
	Offers                 []json.RawMessage       `json:"offers,omitempty"` // the Swagger leaves their shape open
	AdditionalRequirements *AdditionalRequirements `json:"additionalRequirements,omitempty"`
	Extra                  Extra                   `json:"-"`
}

// Requirement is an industry, product or service by id.
type Requirement struct {
	ID    string `json:"id"`
	Extra Extra  `json:"-"`
}

// Solution is a solution the customer needs; for deal registration, one of
// the partner's solutions by id (SOL-…).
type Solution struct {
	ID            string  `json:"id,omitempty"`
	Name          string  `json:"name,omitempty"`
	Type          string  `json:"type,omitempty"`
	PublisherName string  `json:"publisherName,omitempty"`
	Price         *Amount `json:"price,omitempty"`
	Currency      string  `json:"currency,omitempty"`
	Quantity      *Amount `json:"quantity,omitempty"`
	SolutionType  string  `json:"solutionType,omitempty"`
	Extra         Extra   `json:"-"`
}

// AdditionalRequirements carries attributes such as the customer's
// marketplace intent.
type AdditionalRequirements struct {
	IoT        json.RawMessage `json:"iot,omitempty"`
	Attributes []Attribute     `json:"attributes,omitempty"`
	Extra      Extra           `json:"-"`
}

// Attribute is a typed id.
type Attribute struct {
	ID    string `json:"id,omitempty"`
	Type  string `json:"type,omitempty"`
	Extra Extra  `json:"-"`
}

// Attributes are the resource's object attributes.
type Attributes struct {
	ObjectType string `json:"objectType,omitempty"`
	Extra      Extra  `json:"-"`
}

// InviteContext is what the inviting organisation tells the invited one.
type InviteContext struct {
	Notes                 string        `json:"notes,omitempty"`
	InvitedBy             *Organization `json:"invitedBy,omitempty"`
	AssistanceRequestCode string        `json:"assistanceRequestCode,omitempty"`
	Extra                 Extra         `json:"-"`
}

// Organization names an organisation; "msft" is Microsoft.
type Organization struct {
	OrganizationID   string `json:"organizationId,omitempty"`
	OrganizationName string `json:"organizationName,omitempty"`
	Extra            Extra  `json:"-"`
}

// ReferralTarget says whom a referral is for: a SolutionProfile id, or the
// BusinessProfileLocation "msft" for Microsoft's side of a co-sell deal.
type ReferralTarget struct {
	Type  string `json:"type,omitempty"`
	ID    string `json:"id,omitempty"`
	Extra Extra  `json:"-"`
}

// Target types and ids.
const (
	TargetSolutionProfile         = "SolutionProfile"
	TargetBusinessProfileLocation = "BusinessProfileLocation"
	MicrosoftOrganizationID       = "msft"
)

// ReferralLinks are the resource's links.
type ReferralLinks struct {
	RelatedReferrals *Link `json:"relatedReferrals,omitempty"`
	Self             *Link `json:"self,omitempty"`
	Extra            Extra `json:"-"`
}

// Link is a hypermedia link.
type Link struct {
	URI     string            `json:"uri,omitempty"`
	Method  string            `json:"method,omitempty"`
	Headers []json.RawMessage `json:"headers,omitempty"`
	Extra   Extra             `json:"-"`
}

// Registration is a deal registration on a referral
// (update-referral-and-deal-registration.txt; the Swagger adds
// registrationDateTime and statusHistory).
type Registration struct {
	ID                   string                 `json:"id,omitempty"`
	Type                 string                 `json:"type,omitempty"`
	Status               string                 `json:"status,omitempty"`
	RegistrationDateTime *time.Time             `json:"registrationDateTime,omitempty"`
	Contract             *Contract              `json:"contract,omitempty"`
	SolutionDetails      []RegistrationSolution `json:"solutionDetails,omitempty"`
	StatusHistory        *StatusHistory         `json:"statusHistory,omitempty"`
	Extra                Extra                  `json:"-"`
}

// RegistrationTypeAzureIPCoSell is the documented registration type.
const RegistrationTypeAzureIPCoSell = "AzureIPCoSell"

// StatusHistory is when a deal registration reached each review state.
type StatusHistory struct {
	ReviewPendingDateTime  *time.Time `json:"reviewPendingDateTime,omitempty"`
	ActionRequiredDateTime *time.Time `json:"actionRequiredDateTime,omitempty"`
	PassedDateTime         *time.Time `json:"passedDateTime,omitempty"`
	FailedDateTime         *time.Time `json:"failedDateTime,omitempty"`
	ApprovedDateTime       *time.Time `json:"approvedDateTime,omitempty"`
	ResubmissionDateTime   *time.Time `json:"resubmissionDateTime,omitempty"`
	Extra                  Extra      `json:"-"`
}

// Contract is the registered contract.
type Contract struct {
	Currency      string     `json:"currency,omitempty"`
	EndDateTime   *time.Time `json:"endDateTime,omitempty"`
	SignDateTime  *time.Time `json:"signDateTime,omitempty"`
	StartDateTime *time.Time `json:"startDateTime,omitempty"`
	Term          string     `json:"term,omitempty"`
	Value         *Amount    `json:"value,omitempty"`
	Extra         Extra      `json:"-"`
}

// RegistrationSolution is one registered solution.
type RegistrationSolution struct {
	ID                            string                         `json:"id,omitempty"`
	Name                          string                         `json:"name,omitempty"`
	IsDeployedOnAzure             bool                           `json:"isDeployedOnAzure"`
	MarketplaceTransactionDetails *MarketplaceTransactionDetails `json:"marketplaceTransactionDetails,omitempty"`
	PrimaryDeploymentOn           string                         `json:"primaryDeploymentOn,omitempty"`
	PricingModel                  string                         `json:"pricingModel,omitempty"`
	Value                         *Amount                        `json:"value,omitempty"`
	Currency                      string                         `json:"currency,omitempty"`
	Extra                         Extra                          `json:"-"`
}

// MarketplaceTransactionDetails says whether and when the deal was transacted
// through the marketplace.
type MarketplaceTransactionDetails struct {
	IsMarketplaceTransacted        bool       `json:"isMarketplaceTransacted"`
	MarketplaceTransactionDateTime *time.Time `json:"marketplaceTransactionDateTime,omitempty"`
	Extra                          Extra      `json:"-"`
}

// Amount is a money or quantity value. The API sends numbers, but the
// documents also send them as strings ("dealValue": "10000" in a patch); both
// decode. It encodes as a JSON number.
type Amount float64

// UnmarshalJSON accepts a number or a string holding a number.
func (a *Amount) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if bytes.Equal(t, []byte("null")) {
		return nil
	}
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		t = []byte(strings.TrimSpace(s))
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	// ParseFloat reads "NaN" and "Inf"; they are not amounts, and a NaN or an
	// infinity cannot be encoded back to JSON.
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("not a finite number: %s", b)
	}
	*a = Amount(f)
	return nil
}

// NewAmount returns a pointer to an Amount, for optional fields.
func NewAmount(f float64) *Amount { a := Amount(f); return &a }

// ReferralPage is one page of a list of referrals.
type ReferralPage struct {
	ODataContext string     `json:"@odata.context,omitempty"`
	Count        *int       `json:"@odata.count,omitempty"`
	Value        []Referral `json:"value"`
	NextLink     string     `json:"@odata.nextLink,omitempty"`
}

// PatchOp is one JSON Patch operation. The API supports only "replace" and
// "add".
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// JSON Patch operations the API supports.
const (
	OpReplace = "replace"
	OpAdd     = "add"
)

// ReferralEligibility is the answer of
// POST …/referrals/{id}/dealregistrations/eligibility.
type ReferralEligibility struct {
	IsEligible     bool                `json:"isEligible"`
	PassedPolicies []EligibilityPolicy `json:"passedPolicies"`
	FailedPolicies []EligibilityPolicy `json:"failedPolicies"`
}

// PartnerEligibility is the answer of
// GET …/partners/dealregistrationeligibility.
type PartnerEligibility struct {
	IsEligible bool                `json:"isEligible"`
	Policies   []EligibilityPolicy `json:"policies"`
}

// EligibilityPolicy is one evaluated eligibility policy.
type EligibilityPolicy struct {
	PolicyName           string            `json:"policyName,omitempty"`
	IsEligible           bool              `json:"isEligible"`
	ReferralProperties   map[string]string `json:"referralProperties,omitempty"`
	AdditionalProperties []string          `json:"additionalProperties,omitempty"`
}

// The five referral eligibility policies, named as the API names them.
const (
	PolicyDealTypeCosellOrPartnerLed     = "isDealTypeCosellOrPartnerLed"
	PolicyMicrosoftReferralAcceptedOrWon = "isMicrosoftReferralAcceptedOrWon"
	PolicySolutionIncentiveEligible      = "isSolutionIncentiveEligible"
	PolicyDealValueEligible              = "isDealValueEligible"
	PolicyCustomerManaged                = "isCustomerManaged"
)

// ErrorEnvelope is the API's error body:
// {"error":{"code","message","target","innerError"}}.
type ErrorEnvelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the content of an ErrorEnvelope.
type ErrorBody struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	Target     string      `json:"target,omitempty"`
	InnerError *InnerError `json:"innerError,omitempty"`
}

// InnerError carries nested detail of an error.
type InnerError struct {
	Code       string      `json:"code,omitempty"`
	Message    string      `json:"message,omitempty"`
	InnerError *InnerError `json:"innerError,omitempty"`
}
