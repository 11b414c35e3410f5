package sandbox

import (
	"slices"
	"strconv"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// substatusesOf is the documented table of allowed substatuses per status
// (create-referral.txt, "Status and substatus transition states").
var substatusesOf = map[pc.ReferralStatus][]pc.ReferralSubstatus{
	pc.StatusNew:    {pc.SubstatusPending, pc.SubstatusReceived},
	pc.StatusActive: {pc.SubstatusAccepted},
	pc.StatusClosed: {pc.SubstatusWon, pc.SubstatusLost, pc.SubstatusDeclined, pc.SubstatusExpired},
}

// transitionsFrom is the documented table of allowed status transitions.
var transitionsFrom = map[pc.ReferralStatus][]pc.ReferralStatus{
	pc.StatusNew:    {pc.StatusNew, pc.StatusActive, pc.StatusClosed},
	pc.StatusActive: {pc.StatusActive, pc.StatusClosed},
	pc.StatusClosed: {pc.StatusClosed},
}

// defaultSubstatus is the substatus a referral gets when a create names a
// status but no substatus. Closed has none: the caller must say how it closed.
var defaultSubstatus = map[pc.ReferralStatus]pc.ReferralSubstatus{
	pc.StatusNew:    pc.SubstatusPending,
	pc.StatusActive: pc.SubstatusAccepted,
}

func pairAllowed(s pc.ReferralStatus, sub pc.ReferralSubstatus) bool {
	return slices.Contains(substatusesOf[s], sub)
}

func transitionAllowed(from, to pc.ReferralStatus) bool {
	return slices.Contains(transitionsFrom[from], to)
}

// validateReferral checks what every stored referral must satisfy, after a
// create and after a patch. Targets are body-style ("details.dealValue").
func validateReferral(r *pc.Referral) *apiError {
	if strings.TrimSpace(r.Name) == "" {
		return badRequest(codeRequiredField, "name", "name is required: the referral's name")
	}
	if r.Type == "" {
		return badRequest(codeRequiredField, "type", "type is required: Independent or Shared")
	}
	if !r.Type.Valid() {
		return badRequest(codeInvalidValue, "type", "type %q is not one of Independent, Shared", r.Type)
	}
	if r.Qualification != "" && !r.Qualification.Valid() {
		return badRequest(codeInvalidValue, "qualification", "qualification %q is not one of MarketingQualified, SalesQualified, Direct", r.Qualification)
	}
	if !r.Status.Valid() {
		return badRequest(codeInvalidValue, "status", "status %q is not one of New, Active, Closed", r.Status)
	}
	if !r.Substatus.Valid() {
		return badRequest(codeInvalidValue, "substatus", "substatus %q is not one of Pending, Received, Accepted, Won, Lost, Declined, Expired", r.Substatus)
	}
	if !pairAllowed(r.Status, r.Substatus) {
		return badRequest(codeInvalidValue, "substatus", "substatus %s is not allowed with status %s (allowed: %s)", r.Substatus, r.Status, joinSubstatuses(substatusesOf[r.Status]))
	}
	if r.CustomerProfile == nil {
		return badRequest(codeRequiredField, "customerProfile", "customerProfile is required")
	}
	if strings.TrimSpace(r.CustomerProfile.Name) == "" {
		return badRequest(codeRequiredField, "customerProfile.name", "customerProfile.name is required: the customer's name")
	}
	if a := r.CustomerProfile.Address; a != nil && a.Country != "" && !isLetters(a.Country, 2) {
		return badRequest(codeInvalidValue, "customerProfile.address.country", "country %q is not an ISO 3166 alpha-2 code", a.Country)
	}
	if r.Consent == nil {
		return badRequest(codeRequiredField, "consent", "consent is required")
	}
	if r.Details == nil {
		return badRequest(codeRequiredField, "details", "details is required")
	}
	if v := r.Details.DealValue; v != nil && *v < 0 {
		return badRequest(codeInvalidValue, "details.dealValue", "dealValue must not be negative")
	}
	if c := r.Details.Currency; c != "" && !isLetters(c, 3) {
		return badRequest(codeInvalidValue, "details.currency", "currency %q is not an ISO 4217 code", c)
	}
	// Services co-sell referrals need all three (create-referral.txt:
	// "Required for Services co-sell referrals only"); the values change every
	// fiscal year, so the sandbox does not check them against a table.
	if r.PartnerRole != "" || r.SolutionArea != "" || r.SolutionPlay != "" {
		for _, f := range []struct{ name, v string }{{"partnerRole", r.PartnerRole}, {"solutionArea", r.SolutionArea}, {"solutionPlay", r.SolutionPlay}} {
			if strings.TrimSpace(f.v) == "" {
				return badRequest(codeRequiredField, f.name, "%s is required for a Services co-sell referral (partnerRole, solutionArea and solutionPlay go together)", f.name)
			}
		}
	}
	for i, reg := range r.Registrations {
		if reg.Type != pc.RegistrationTypeAzureIPCoSell {
			return badRequest(codeInvalidValue, joinTarget("registrations", "["+strconv.Itoa(i)+"].type"), "registration type %q is not %s", reg.Type, pc.RegistrationTypeAzureIPCoSell)
		}
	}
	return nil
}

func joinSubstatuses(list []pc.ReferralSubstatus) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func isLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
