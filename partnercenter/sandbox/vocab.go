package sandbox

import (
	"slices"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// The sandbox's own vocabulary. It is written out here, not taken from the
// client package or refbatch's rules, so the sandbox stays an independent
// oracle: a value both sides got wrong the same way would otherwise pass.

// Enum values of referral-resources.md ("None" included: documented, but no
// stored referral has status or substatus None, see validateReferral).
var (
	statusValues        = []pc.ReferralStatus{"None", "New", "Active", "Closed"}
	substatusValues     = []pc.ReferralSubstatus{"None", "Pending", "Received", "Accepted", "Won", "Lost", "Declined", "Expired"}
	typeValues          = []pc.ReferralType{"Independent", "Shared"}
	qualificationValues = []pc.ReferralQualification{"None", "Direct", "MarketingQualified", "SalesQualified"}
)

// Enums of Microsoft's Swagger for the Referrals connector.
var (
	salesStageValues            = []string{"Qualify", "Develop", "Propose", "Close"}
	assistanceRequestCodeValues = []string{"Unknown", "GeneralOrOther", "CustomerTechnicalArchitecture",
		"ProofOfConceptOrDemo", "QuotesOrLicensing", "PostSalesCustomerSuccess", "WorkloadSpecificValueProposition"}
)

// currencyCodes are the active ISO 4217 alphabetic codes (referral-resources.md:
// currency is "the ISO 4217 currency symbol"), without funds and metals.
var currencyCodes = codeSet(`
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD
XCG XOF XPF YER ZAR ZMW ZWG ZWL XXX XTS`) // XXX: "no currency", XTS: reserved for testing

// countryCodes are the ISO 3166-1 alpha-2 codes (the documents' examples
// send "US"; refbatch sends alpha-2).
var countryCodes = codeSet(`
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE
IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU
NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM
SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
VG VI VN VU WF WS YE YT ZA ZM ZW`)

func codeSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(s) {
		m[c] = true
	}
	return m
}

// knownCurrency and knownCountry read codes case-insensitively.
func knownCurrency(c string) bool { return currencyCodes[strings.ToUpper(c)] }
func knownCountry(c string) bool  { return countryCodes[strings.ToUpper(c)] }

// canonical returns the documented spelling of v, read case-insensitively,
// or v itself when it is not one of known.
func canonical[T ~string](v T, known []T) T {
	for _, k := range known {
		if strings.EqualFold(string(v), string(k)) {
			return k
		}
	}
	return v
}

func oneOf[T ~string](v T, known []T) bool { return slices.Contains(known, v) }

func joinValues[T ~string](list []T) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
