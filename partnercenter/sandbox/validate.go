package sandbox

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// substatusesOf is the documented table of allowed substatuses per status
// (create-referral.txt and referral-resources.md, "Status and substatus
// transition states").
var substatusesOf = map[pc.ReferralStatus][]pc.ReferralSubstatus{
	"New":    {"Pending", "Received"},
	"Active": {"Accepted"},
	"Closed": {"Won", "Lost", "Declined", "Expired"},
}

// transitionsFrom is the documented table of allowed status transitions.
var transitionsFrom = map[pc.ReferralStatus][]pc.ReferralStatus{
	"New":    {"New", "Active", "Closed"},
	"Active": {"Active", "Closed"},
	"Closed": {"Closed"},
}

// defaultSubstatus is the substatus a referral gets when a create names a
// status but no substatus. Closed has none: the caller must say how it closed.
var defaultSubstatus = map[pc.ReferralStatus]pc.ReferralSubstatus{
	"New":    "Pending",
	"Active": "Accepted",
}

// Caps on the arrays a referral may hold, so that a client appending in a
// loop cannot grow one without bound (the documents set no limit; these
// are far above any real referral).
const (
	MaxTeamMembers   = 100 // team and customerProfile.team
	MaxRegistrations = 10  // registrations (the Swagger's patch paths only ever name /registrations/0)
	MaxListItems     = 100 // every other array: requirements, solutionDetails, target, ids
)

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
	if !oneOf(r.Type, typeValues) {
		return badRequest(codeInvalidValue, "type", "type %q is not one of %s", r.Type, joinValues(typeValues))
	}
	if r.Qualification != "" && !oneOf(r.Qualification, qualificationValues) {
		return badRequest(codeInvalidValue, "qualification", "qualification %q is not one of %s", r.Qualification, joinValues(qualificationValues))
	}
	if !oneOf(r.Status, statusValues) {
		return badRequest(codeInvalidValue, "status", "status %q is not one of %s", r.Status, joinValues(statusValues))
	}
	if !oneOf(r.Substatus, substatusValues) {
		return badRequest(codeInvalidValue, "substatus", "substatus %q is not one of %s", r.Substatus, joinValues(substatusValues))
	}
	if r.SalesStage != "" && !oneOf(r.SalesStage, salesStageValues) {
		return badRequest(codeInvalidValue, "salesStage", "salesStage %q is not one of %s", r.SalesStage, joinValues(salesStageValues))
	}
	if ic := r.InviteContext; ic != nil && ic.AssistanceRequestCode != "" && !oneOf(ic.AssistanceRequestCode, assistanceRequestCodeValues) {
		return badRequest(codeInvalidValue, "inviteContext.assistanceRequestCode", "assistanceRequestCode %q is not one of %s",
			ic.AssistanceRequestCode, joinValues(assistanceRequestCodeValues))
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
	if a := r.CustomerProfile.Address; a != nil && a.Country != "" && !knownCountry(a.Country) {
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
	if e := checkCurrencies(r); e != nil {
		return e
	}
	if e := checkArrayCaps(r); e != nil {
		return e
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

// checkCurrencies checks every currency of the referral against ISO 4217.
func checkCurrencies(r *pc.Referral) *apiError {
	check := func(target, c string) *apiError {
		if c != "" && !knownCurrency(c) {
			return badRequest(codeInvalidValue, target, "currency %q is not an ISO 4217 code", c)
		}
		return nil
	}
	if e := check("details.currency", r.Details.Currency); e != nil {
		return e
	}
	if req := r.Details.Requirements; req != nil {
		for i, s := range req.Solutions {
			if e := check(fmt.Sprintf("details.requirements.solutions[%d].currency", i), s.Currency); e != nil {
				return e
			}
		}
	}
	for i, reg := range r.Registrations {
		if reg.Contract != nil {
			if e := check(fmt.Sprintf("registrations[%d].contract.currency", i), reg.Contract.Currency); e != nil {
				return e
			}
		}
		for j, sd := range reg.SolutionDetails {
			if e := check(fmt.Sprintf("registrations[%d].solutionDetails[%d].currency", i, j), sd.Currency); e != nil {
				return e
			}
		}
	}
	return nil
}

// checkArrayCaps refuses arrays longer than their cap.
func checkArrayCaps(r *pc.Referral) *apiError {
	type arr struct {
		target string
		n, max int
	}
	list := []arr{
		{"team", len(r.Team), MaxTeamMembers},
		{"customerProfile.team", len(r.CustomerProfile.Team), MaxTeamMembers},
		{"registrations", len(r.Registrations), MaxRegistrations},
		{"target", len(r.Target), MaxListItems},
	}
	if req := r.Details.Requirements; req != nil {
		list = append(list, arr{"details.requirements.industries", len(req.Industries), MaxListItems},
			arr{"details.requirements.products", len(req.Products), MaxListItems},
			arr{"details.requirements.services", len(req.Services), MaxListItems},
			arr{"details.requirements.solutions", len(req.Solutions), MaxListItems},
			arr{"details.requirements.offers", len(req.Offers), MaxListItems})
	}
	for i, reg := range r.Registrations {
		list = append(list, arr{fmt.Sprintf("registrations[%d].solutionDetails", i), len(reg.SolutionDetails), MaxListItems})
	}
	for _, a := range list {
		if a.n > a.max {
			return badRequest(codeTooManyItems, a.target, "%s has %d entries; the sandbox allows at most %d", a.target, a.n, a.max)
		}
	}
	return nil
}
