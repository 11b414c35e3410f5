package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// minDealValueUSD is the documented threshold: "The total deal value is
// greater than USD 25,000".
const minDealValueUSD = 25000

// DefaultAzureIPCoSellSolutions returns the sandbox's default catalog of
// Azure IP co-sell eligible solution ids: the two the documents use
// ("DEAL-123456-XYZ" in the eligibility example, "SOL-34104-EBB" in the
// create example) and every id starting "SOL-AZIP-", so tests and samples can
// make eligible ids at will. Entries ending in "*" are prefixes.
func DefaultAzureIPCoSellSolutions() []string {
	return []string{"DEAL-123456-XYZ", "SOL-34104-EBB", "SOL-AZIP-*"}
}

// DefaultFXToUSD returns the sandbox's built-in exchange rates: USD per unit
// of each currency. They are rounded approximations, fixed so that rehearsals
// are reproducible, not market data; they only decide isDealValueEligible in
// the sandbox (refbatch's own pre-check uses the dated FX table of the rules
// package). A currency missing from the table fails the policy.
func DefaultFXToUSD() map[string]float64 {
	return map[string]float64{
		"USD": 1, "EUR": 1.17, "GBP": 1.35, "CHF": 1.25, "CAD": 0.72, "AUD": 0.66, "NZD": 0.58,
		"JPY": 0.0064, "CNY": 0.14, "INR": 0.011, "SGD": 0.78, "HKD": 0.128, "SEK": 0.107,
		"NOK": 0.099, "DKK": 0.157, "PLN": 0.276, "BRL": 0.18, "MXN": 0.055, "ZAR": 0.058,
	}
}

// handleEligibility answers POST …/referrals/{id}/dealregistrations/eligibility.
// It has no body, changes nothing and is never dropped.
func (s *Server) handleEligibility(w *statusWriter, r *http.Request, id string) {
	var rec *record
	var el pc.ReferralEligibility
	s.locked(func() {
		if rec = s.find(id); rec != nil {
			el = s.evaluateLocked(&rec.ref)
		}
	})
	if rec == nil {
		referralNotFound(w, id)
		return
	}
	writeJSON(w, http.StatusOK, el)
}

// evaluateLocked evaluates the five documented referral eligibility
// policies. Callers hold s.mu (the Microsoft referral of the engagement is
// looked up in the store).
func (s *Server) evaluateLocked(r *pc.Referral) pc.ReferralEligibility {
	out := pc.ReferralEligibility{PassedPolicies: []pc.EligibilityPolicy{}, FailedPolicies: []pc.EligibilityPolicy{}}
	for _, p := range []pc.EligibilityPolicy{
		policyDealType(r),
		s.policyMicrosoftReferral(r),
		s.policySolution(r),
		s.policyDealValue(r),
		policyCustomerManaged(r),
	} {
		if p.IsEligible {
			out.PassedPolicies = append(out.PassedPolicies, p)
		} else {
			out.FailedPolicies = append(out.FailedPolicies, p)
		}
	}
	out.IsEligible = len(out.FailedPolicies) == 0
	return out
}

// policyDealType: a Co-sell or Partner-led deal is a Shared referral shared
// with Microsoft sellers (create-referral.txt, "Deal types").
func policyDealType(r *pc.Referral) pc.EligibilityPolicy {
	shared := r.Consent != nil && r.Consent.ConsentToShareReferralWithMicrosoftSellers
	return pc.EligibilityPolicy{
		PolicyName: pc.PolicyDealTypeCosellOrPartnerLed,
		IsEligible: r.Type == pc.TypeShared && shared,
		ReferralProperties: map[string]string{
			"type": string(r.Type),
			"consentToShareReferralWithMicrosoftSellers": strconv.FormatBool(shared),
		},
	}
}

// policyMicrosoftReferral: the Microsoft referral of the same engagement is
// Active/Accepted or Closed/Won. With several, one that qualifies suffices;
// otherwise the latest is reported.
func (s *Server) policyMicrosoftReferral(r *pc.Referral) pc.EligibilityPolicy {
	p := pc.EligibilityPolicy{PolicyName: pc.PolicyMicrosoftReferralAcceptedOrWon}
	var found *pc.Referral
	for _, rec := range s.engagements[strings.ToLower(r.EngagementID)] {
		m := &rec.ref
		if m.ID == r.ID || m.OrganizationID != pc.MicrosoftOrganizationID {
			continue
		}
		found = m
		if (m.Status == pc.StatusActive && m.Substatus == pc.SubstatusAccepted) || (m.Status == pc.StatusClosed && m.Substatus == pc.SubstatusWon) {
			p.IsEligible = true
			break
		}
	}
	if found == nil {
		p.ReferralProperties = map[string]string{"status": "", "substatus": ""}
		p.AdditionalProperties = []string{"no Microsoft referral in engagement " + r.EngagementID}
		return p
	}
	p.ReferralProperties = map[string]string{"status": string(found.Status), "substatus": string(found.Substatus)}
	return p
}

// policySolution: some solution of the referral is in the Azure IP co-sell
// catalog.
func (s *Server) policySolution(r *pc.Referral) pc.EligibilityPolicy {
	p := pc.EligibilityPolicy{PolicyName: pc.PolicySolutionIncentiveEligible, ReferralProperties: map[string]string{"solutionId": "", "solutionName": ""}}
	var solutions []pc.Solution
	if r.Details != nil && r.Details.Requirements != nil {
		solutions = r.Details.Requirements.Solutions
	}
	for _, sol := range solutions {
		if s.inCatalog(sol.ID) {
			p.IsEligible = true
			p.ReferralProperties = map[string]string{"solutionId": sol.ID, "solutionName": sol.Name}
			p.AdditionalProperties = []string{"MSFT Internal Azure IP Co-Sell"}
			return p
		}
	}
	if len(solutions) > 0 {
		p.ReferralProperties = map[string]string{"solutionId": solutions[0].ID, "solutionName": solutions[0].Name}
		p.AdditionalProperties = []string{"no solution of the referral is Azure IP co-sell eligible"}
	} else {
		p.AdditionalProperties = []string{"the referral names no solution"}
	}
	return p
}

func (s *Server) inCatalog(id string) bool {
	id = strings.TrimSpace(id)
	if id == "" {
		return false
	}
	for _, c := range s.catalog {
		if prefix, ok := strings.CutSuffix(c, "*"); ok {
			if len(id) >= len(prefix) && strings.EqualFold(id[:len(prefix)], prefix) {
				return true
			}
		} else if strings.EqualFold(id, c) {
			return true
		}
	}
	return false
}

// policyDealValue: the deal value, converted to USD, is greater than 25,000.
func (s *Server) policyDealValue(r *pc.Referral) pc.EligibilityPolicy {
	p := pc.EligibilityPolicy{PolicyName: pc.PolicyDealValueEligible}
	var value *pc.Amount
	var currency string
	if r.Details != nil {
		value, currency = r.Details.DealValue, r.Details.Currency
	}
	p.ReferralProperties = map[string]string{"currency": currency, "dealValue": ""}
	if value == nil {
		p.AdditionalProperties = []string{"the referral has no deal value"}
		return p
	}
	p.ReferralProperties["dealValue"] = strconv.FormatFloat(float64(*value), 'f', -1, 64)
	rate, ok := s.fx[strings.ToUpper(currency)]
	if !ok {
		p.AdditionalProperties = []string{fmt.Sprintf("no exchange rate to USD for currency %q", currency)}
		return p
	}
	usd := float64(*value) * rate
	p.IsEligible = usd > minDealValueUSD
	if !strings.EqualFold(currency, "USD") {
		p.AdditionalProperties = []string{fmt.Sprintf("USD %.2f at %g USD per %s", usd, rate, strings.ToUpper(currency))}
	}
	return p
}

// policyCustomerManaged: the customer is Microsoft managed. The API shows the
// policy reading customerProfile.isMatchingComplete (the example's
// referralProperties), so the sandbox passes it exactly when that is true.
func policyCustomerManaged(r *pc.Referral) pc.EligibilityPolicy {
	matched := r.CustomerProfile != nil && r.CustomerProfile.IsMatchingComplete != nil && *r.CustomerProfile.IsMatchingComplete
	p := pc.EligibilityPolicy{
		PolicyName:         pc.PolicyCustomerManaged,
		IsEligible:         matched,
		ReferralProperties: map[string]string{"isMatchingComplete": strconv.FormatBool(matched)},
	}
	if matched {
		p.AdditionalProperties = []string{"Managed"}
	} else {
		p.AdditionalProperties = []string{"Unmanaged"}
	}
	return p
}
