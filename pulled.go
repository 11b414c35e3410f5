package refbatch

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Facts are what Partner Center says about a referral that no column
// sends: shown read-only in a pulled workbook and in status and export.
type Facts struct {
	ETag    string
	Updated time.Time // updatedDateTime, on the API's clock
	// Direction is "Incoming" for a lead sent to the partner, "Outgoing"
	// for the partner's own referral.
	Direction string
	// Expires is the referral's expirationDateTime: for an incoming lead,
	// the end of its response window.
	Expires time.Time

	// Microsoft's referral of a co-sell engagement, when there is one.
	MicrosoftReferralID   string
	MicrosoftStatus       string
	MicrosoftSubstatus    string
	MicrosoftStatusReason string // why Microsoft declined or closed it
	MicrosoftExpires      time.Time

	// The referral's latest deal registration, when it has one.
	RegistrationStatus string
	RegistrationReason string
	Registered         time.Time
}

// The read-only columns a pulled workbook adds after the canonical ones:
// what Partner Center says, never sent. The importer recognises them.
var PulledFactHeaders = []string{
	"Direction", "Response Due", "Microsoft Status", "Microsoft Substatus", "Microsoft Reason",
	"Registration Reason", "Last Updated",
}

// PulledPrefix starts the headers of a pulled workbook's hidden columns:
// "Pulled Deal Value" holds Deal Value as it was pulled, "Pulled ETag" the
// referral's eTag then. A later run compares the user's cells, the pulled
// ones and the live referral to patch only what the user changed and to
// find conflicts.
const PulledPrefix = "Pulled "

// PulledETagHeader is the hidden column of the eTag at pull time.
const PulledETagHeader = PulledPrefix + "ETag"

// PulledColumns are the canonical columns a pulled workbook fills and
// round-trips, in template order.
func PulledColumns() []Column {
	return []Column{
		ColAction, ColReferralID, ColExternalReferenceID, ColName, ColDealType, ColReferralType, ColQualification,
		ColStatus, ColSubstatus, ColStatusReason, ColCustomerName, ColAddressLine1, ColAddressLine2, ColCity,
		ColState, ColPostalCode, ColCountry, ColCustomerSize, ColContactFirstName, ColContactLastName,
		ColContactEmail, ColContactPhone, ColDealValue, ColCurrency, ColClosingDate, ColNotes, ColIndustries,
		ColProducts, ColServices, ColSolutionIDs, ColShareWithMicrosoftSellers, ColConsentToShareInfo,
		ColConsentToContact, ColPartnerRole, ColSolutionArea, ColSolutionPlay, ColTeamMemberFirstName,
		ColTeamMemberLastName, ColTeamMemberEmail, ColTeamMemberPhone, ColCustomerManaged,
		ColMarketplacePurchaseIntent, ColSalesStage, ColMarketingCampaignID, ColDUNSID, ColRegistrationStatus,
	}
}

// CanonicalText is column c of row as refbatch writes it: the typed value,
// not the cell as typed. Text and enums as held, numbers without grouping
// ("30000.5"), dates as "2006-01-02", booleans "Yes" or "No", lists joined
// by "; ". A column the row does not fill is "". It is how a pulled value
// is kept and how the round trip compares the user's cell with it.
func CanonicalText(row *Row, c Column) string {
	if !row.Filled.Has(c) || row.Invalid.Has(c) {
		return ""
	}
	if p := row.TextField(c); p != nil {
		return strings.TrimSpace(*p)
	}
	if p := row.NumberField(c); p != nil {
		return strconv.FormatFloat(math.Round(*p*100)/100, 'f', -1, 64)
	}
	if p := row.DateField(c); p != nil {
		if p.IsZero() {
			return ""
		}
		return p.Format(time.DateOnly)
	}
	if p := row.BoolField(c); p != nil {
		if *p {
			return "Yes"
		}
		return "No"
	}
	if p := row.ListField(c); p != nil {
		return strings.Join(*p, "; ")
	}
	return ""
}

// SameCanonical reports whether two CanonicalText values of column c mean
// the same: enums and e-mails without case, lists as sets, numbers to the
// cent; other text exactly (trimmed).
func SameCanonical(c Column, a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	switch c.Kind() {
	case KindEnum, KindBool:
		return FoldKey(a) == FoldKey(b)
	case KindNumber:
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		return err1 == nil && err2 == nil && math.Abs(x-y) < 0.005
	case KindList:
		return slices.Equal(splitList(a), splitList(b))
	}
	if c == ColContactEmail || c == ColTeamMemberEmail {
		return strings.EqualFold(a, b)
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToLower(p))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// IsPulled reports whether the row comes from a workbook `refbatch pull`
// wrote, with its pulled values (Row.Pulled).
func (r *Row) IsPulled() bool { return r.Pulled != nil }

// PulledETag returns the referral's eTag when it was pulled; "" when the
// file has none.
func (r *Row) PulledETag() string {
	if r.Header == nil || r.Header.PulledETag < 0 || r.Header.PulledETag >= len(r.Raw) {
		return ""
	}
	return strings.TrimSpace(r.Raw[r.Header.PulledETag])
}

// Unguard undoes the CSV-injection guard a pulled .csv puts before a value
// that starts with =, +, -, @, tab or CR (a leading apostrophe), so that a
// phone number "+1 206 555 0101" reads back as itself.
func Unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// PulledHeader reports whether a header is one of a pulled workbook's
// hidden columns: "Pulled <column>" (c valid) or "Pulled ETag" (c zero).
func PulledHeader(name string) (c Column, ok bool) {
	name = strings.TrimSpace(name)
	if len(name) <= len(PulledPrefix) || !strings.EqualFold(name[:len(PulledPrefix)], PulledPrefix) {
		return 0, false
	}
	rest := name[len(PulledPrefix):]
	if FoldKey(rest) == "etag" {
		return colInvalid, true
	}
	return ColumnByName(rest)
}
