package sandbox

import (
	"fmt"
	"strings"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// The registration form rules of Microsoft's "Register deals you've won in
// Partner Center" page (register-deals.md, "Co-sell deal registration": the
// table of the registration form's fields and validations), checked on every
// registration a PATCH adds or changes. Each refusal is a 400 with
// innerError.code dealRegistrationFormRule, the rule's name first in the
// message and the offending field as target.
const (
	// "Registration is allowed only if the annual contract value is greater
	// than USD25,000"; a perpetual contract's total value "is spread over a
	// six-year period to determine the annual contract value".
	ruleAnnualContractValue = "annualContractValue"
	// "Solution value should be less than or equal to the total contract value."
	ruleSolutionValue = "solutionValueNotAboveContractValue"
	// Contract signed date: "at most 60 days in the past. The date value
	// can't be in the future." (Also: "You have 60 days from the date a
	// contract is signed to register a co-sell deal.")
	ruleSignDate = "signDateWithin60Days"
	// Contract start date: "at most 90 days in the past".
	ruleStartDate = "startDateWithin90Days"
	// Contract end date: "can't be earlier than the contract start date";
	// required for non-perpetual contracts only.
	ruleEndDate = "endDateOnOrAfterStartDate"
	// The form's mandatory fields: total contract value, contract signed
	// date, contract start date (and end date unless perpetual).
	ruleRequired = "requiredField"
)

const (
	minAnnualContractValueUSD = 25000
	perpetualYears            = 6
	signDateMaxAgeDays        = 60
	startDateMaxAgeDays       = 90
	hoursPerYear              = 8766 // 365.25 days
)

// isPerpetual reports whether a contract term is perpetual (the form's
// "Is this contract a perpetual contract?"; the documents' example term is
// "Finite").
func isPerpetual(term string) bool { return strings.EqualFold(strings.TrimSpace(term), "Perpetual") }

// day is t's calendar day in UTC ("All dates are in Coordinated Universal
// Time (UTC)").
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// annualValue is the contract's annual value in its currency: the total
// spread over six years when perpetual, else over the contract's length in
// years when it runs longer than a year (register-deals.md: for perpetual
// contracts "the end date is deemed to be six years from the contract start
// date for annual contract value calculations", so the annual value is the
// total over the contract's years).
func annualValue(c *pc.Contract) float64 {
	v := float64(*c.Value)
	if isPerpetual(c.Term) {
		return v / perpetualYears
	}
	if c.StartDateTime != nil && c.EndDateTime != nil {
		years := c.EndDateTime.Sub(*c.StartDateTime).Hours() / hoursPerYear
		if years > 1 {
			return v / years
		}
	}
	return v
}

// checkRegistrationForm applies the form rules to a registration at index i,
// as of asOf (the day it was registered). fallbackCurrency is the referral's
// details.currency. target prefixes the field names
// ("/registrations/-" for a new one, "/registrations/0" for an edit).
func (s *Server) checkRegistrationForm(reg *pc.Registration, target, fallbackCurrency string, asOf time.Time) *apiError {
	fail := func(rule, field, format string, args ...any) *apiError {
		return badRequest(codeDealRegistrationForm, target+field, "%s: %s (register-deals.md, registration form)", rule, fmt.Sprintf(format, args...))
	}
	c := reg.Contract
	if c == nil {
		return fail(ruleRequired, "/contract", "a deal registration needs its contract: value, sign date and start date")
	}
	if c.Value == nil {
		return fail(ruleRequired, "/contract/value", "the total contract value is required")
	}
	currency := strings.ToUpper(c.Currency)
	if currency == "" {
		currency = strings.ToUpper(fallbackCurrency)
	}
	if currency == "" {
		currency = "USD"
	}
	rate, ok := s.fx[currency]
	if !ok {
		return fail(ruleAnnualContractValue, "/contract/currency", "no exchange rate to USD for %s", currency)
	}
	if usd := annualValue(c) * rate; usd <= minAnnualContractValueUSD {
		how := "the total"
		if isPerpetual(c.Term) {
			how = "the total over 6 years (perpetual)"
		} else if c.StartDateTime != nil && c.EndDateTime != nil && c.EndDateTime.Sub(*c.StartDateTime).Hours()/hoursPerYear > 1 {
			how = "the total over the contract's years"
		}
		return fail(ruleAnnualContractValue, "/contract/value", "the annual contract value (%s) is USD %.2f; it must be greater than USD %d", how, usd, minAnnualContractValueUSD)
	}
	contractUSD := float64(*c.Value) * rate
	for j, sd := range reg.SolutionDetails {
		if sd.Value == nil {
			continue
		}
		sc := strings.ToUpper(sd.Currency)
		if sc == "" {
			sc = currency
		}
		srate, ok := s.fx[sc]
		if !ok {
			return fail(ruleSolutionValue, fmt.Sprintf("/solutionDetails/%d/currency", j), "no exchange rate to USD for %s", sc)
		}
		if float64(*sd.Value)*srate > contractUSD+0.005 {
			return fail(ruleSolutionValue, fmt.Sprintf("/solutionDetails/%d/value", j), "the solution value %v %s is above the total contract value %v %s", float64(*sd.Value), sc, float64(*c.Value), currency)
		}
	}
	today := day(asOf)
	if c.SignDateTime == nil {
		return fail(ruleRequired, "/contract/signDateTime", "the contract signed date is required")
	}
	sign := day(*c.SignDateTime)
	if sign.After(today) {
		return fail(ruleSignDate, "/contract/signDateTime", "the contract signed date %s is in the future", sign.Format(time.DateOnly))
	}
	if sign.Before(today.AddDate(0, 0, -signDateMaxAgeDays)) {
		return fail(ruleSignDate, "/contract/signDateTime", "the contract signed date %s is more than %d days in the past", sign.Format(time.DateOnly), signDateMaxAgeDays)
	}
	if c.StartDateTime == nil {
		return fail(ruleRequired, "/contract/startDateTime", "the contract start date is required")
	}
	start := day(*c.StartDateTime)
	if start.Before(today.AddDate(0, 0, -startDateMaxAgeDays)) {
		return fail(ruleStartDate, "/contract/startDateTime", "the contract start date %s is more than %d days in the past", start.Format(time.DateOnly), startDateMaxAgeDays)
	}
	if c.EndDateTime == nil {
		if !isPerpetual(c.Term) {
			return fail(ruleEndDate, "/contract/endDateTime", "the contract end date is required unless the contract is perpetual")
		}
		return nil
	}
	if end := day(*c.EndDateTime); end.Before(start) {
		return fail(ruleEndDate, "/contract/endDateTime", "the contract end date %s is before the start date %s", end.Format(time.DateOnly), start.Format(time.DateOnly))
	}
	return nil
}
