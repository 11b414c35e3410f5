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
		x, ok1 := canonicalNumber(a)
		y, ok2 := canonicalNumber(b)
		return ok1 && ok2 && math.Abs(x-y) < 0.005
	case KindDate:
		x, ok1 := canonicalDate(a)
		y, ok2 := canonicalDate(b)
		return ok1 && ok2 && x.Equal(y)
	case KindList:
		return sameFoldSet(splitList(a), splitList(b))
	}
	if c == ColContactEmail || c == ColTeamMemberEmail {
		return strings.EqualFold(a, b)
	}
	return false
}

// canonicalNumber reads a number as refbatch writes it, or as a
// spreadsheet that re-saved a pulled CSV may have ("52,000").
func canonicalNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	return f, err == nil
}

// canonicalDate reads a date as refbatch writes it (2006-01-02), or as a
// spreadsheet that re-saved a pulled CSV may have (1/2/2006, 2006-01-02
// 00:00:00).
func canonicalDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "1/2/2006", "01/02/2006", time.DateTime, "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
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

func sameFoldSet(a, b []string) bool { return slices.Equal(a, b) }

// IsPulled reports whether the row comes from a workbook `refbatch pull`
// wrote and kept its pulled values.
func (r *Row) IsPulled() bool { return r.Header != nil && len(r.Header.Pulled) > 0 }

// PulledText returns column c as it was pulled (CanonicalText of the
// referral then); ok is false when the file has no pulled value of c.
func (r *Row) PulledText(c Column) (string, bool) {
	if r.Header == nil {
		return "", false
	}
	i, ok := r.Header.Pulled[c]
	if !ok {
		return "", false
	}
	if i >= len(r.Raw) {
		return "", true
	}
	return strings.TrimSpace(Unguard(r.Raw[i])), true
}

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

// PulledRow returns the row as it was pulled: a Row whose typed fields
// hold the pulled values (the inverse of CanonicalText), Filled where a
// value was pulled; nil when the row is not from a pulled workbook. An
// offline plan patches against it, so that it shows the cells the user
// changed, as a run sends them.
func (r *Row) PulledRow() *Row {
	if !r.IsPulled() {
		return nil
	}
	p := &Row{Header: r.Header, Number: r.Number, Action: ActionUpdate}
	for c := range r.Header.Pulled {
		v, _ := r.PulledText(c)
		if v == "" {
			continue
		}
		ok := true
		switch {
		case p.TextField(c) != nil:
			*p.TextField(c) = v
		case p.NumberField(c) != nil:
			*p.NumberField(c), ok = canonicalNumber(v)
		case p.DateField(c) != nil:
			*p.DateField(c), ok = canonicalDate(v)
		case p.BoolField(c) != nil:
			*p.BoolField(c) = FoldKey(v) == "yes"
		case p.ListField(c) != nil:
			var list []string
			for _, s := range strings.Split(v, ";") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
			*p.ListField(c) = list
		default:
			ok = false
		}
		if ok {
			p.Filled = p.Filled.With(c)
		}
	}
	return p
}
