package importer

import (
	"time"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// slot is one canonical column present in the file.
type slot struct {
	col  refbatch.Column
	idx  int // position in the record
	kind refbatch.Kind
}

// converter turns a record's cell texts into a Row's typed fields.
type converter struct {
	slots        []slot
	vocab        *vocabulary
	decimalComma bool
	order        DateOrder
	workbook     bool // cells are a workbook's raw values (numbers with '.', dates as serials)
	date1904     bool
}

func newConverter(h *refbatch.Header, opts Options, src source) converter {
	cv := converter{vocab: newVocabulary(opts.Vocabulary), decimalComma: opts.DecimalComma, order: opts.DateOrder}
	if x, ok := src.(*xlsxSource); ok {
		cv.workbook, cv.date1904 = true, x.date1904
	}
	for _, c := range refbatch.Columns() {
		if h.Has(c) {
			cv.slots = append(cv.slots, slot{col: c, idx: h.Index[c], kind: c.Kind()})
		}
	}
	return cv
}

// fill sets the typed fields of row from row.Raw, and returns a finding for
// each cell that does not parse (nil when all do, which is nearly always).
func (cv *converter) fill(row *refbatch.Row) []refbatch.Finding {
	var finds []refbatch.Finding
	var filled refbatch.ColumnSet
	cells := row.Raw
	for _, sl := range cv.slots {
		if sl.idx >= len(cells) {
			continue
		}
		v := cells[sl.idx]
		if len(v) == 0 || plain[v[0]]&plain[v[len(v)-1]] == 0 { // trimCell, inlined by hand
			if v = trimSlow(v); v == "" {
				continue
			}
		}
		filled = filled.With(sl.col)
		switch sl.kind {
		case refbatch.KindText:
			if cv.workbook {
				v = tidyRawNumber(v)
			}
			setText(row, sl.col, v)
		case refbatch.KindEnum:
			if cv.workbook {
				v = tidyRawNumber(v)
			}
			setText(row, sl.col, cv.vocab.canonical(sl.col, v))
		case refbatch.KindNumber:
			decimalComma := cv.decimalComma && !(cv.workbook && isPlainNumber(v))
			f, reason := parseAmount(v, decimalComma)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleValue, v, reason)
				continue
			}
			setNumber(row, sl.col, f)
		case refbatch.KindDate:
			t, reason := parseDate(v, cv.order, cv.date1904)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleDate, v, reason)
				continue
			}
			setDate(row, sl.col, t)
		case refbatch.KindBool:
			b, reason := parseBool(v)
			if reason != "" {
				finds = cv.bad(row, finds, sl.col, refbatch.RuleValue, v, reason)
				continue
			}
			setBool(row, sl.col, b)
		case refbatch.KindList:
			if v == cells[sl.idx] && isSingleItem(v) {
				// One item with nothing to trim: the list is the cell itself.
				setList(row, sl.col, cells[sl.idx:sl.idx+1:sl.idx+1])
				continue
			}
			setList(row, sl.col, splitList(v))
		}
	}
	row.Filled = filled
	return finds
}

func (cv *converter) bad(row *refbatch.Row, finds []refbatch.Finding, c refbatch.Column, rule, v, reason string) []refbatch.Finding {
	row.Invalid = row.Invalid.With(c)
	return append(finds, row.Finding(c, rule, refbatch.SeverityError, c.String()+" "+quoteValue(v)+" "+reason))
}

// excelSerialToTime is excelize's conversion, kept in one place.
func excelSerialToTime(serial float64, date1904 bool) (time.Time, error) {
	return excelize.ExcelDateToTime(serial, date1904)
}

// The setters map a column to its Row field. TestSettersCoverEveryColumn
// checks them against ColumnInfo.Field by reflection, so a column added to
// the root package without a case here fails the tests.

func setText(r *refbatch.Row, c refbatch.Column, v string) {
	switch c {
	case refbatch.ColAction:
		r.Action = v
	case refbatch.ColReferralID:
		r.ReferralID = v
	case refbatch.ColExternalReferenceID:
		r.ExternalReferenceID = v
	case refbatch.ColName:
		r.Name = v
	case refbatch.ColDealType:
		r.DealType = v
	case refbatch.ColReferralType:
		r.ReferralType = v
	case refbatch.ColQualification:
		r.Qualification = v
	case refbatch.ColStatus:
		r.Status = v
	case refbatch.ColSubstatus:
		r.Substatus = v
	case refbatch.ColStatusReason:
		r.StatusReason = v
	case refbatch.ColCurrentStatus:
		r.CurrentStatus = v
	case refbatch.ColCurrentSubstatus:
		r.CurrentSubstatus = v
	case refbatch.ColCustomerName:
		r.CustomerName = v
	case refbatch.ColAddressLine1:
		r.AddressLine1 = v
	case refbatch.ColAddressLine2:
		r.AddressLine2 = v
	case refbatch.ColCity:
		r.City = v
	case refbatch.ColState:
		r.State = v
	case refbatch.ColPostalCode:
		r.PostalCode = v
	case refbatch.ColCountry:
		r.Country = v
	case refbatch.ColCustomerSize:
		r.CustomerSize = v
	case refbatch.ColContactFirstName:
		r.ContactFirstName = v
	case refbatch.ColContactLastName:
		r.ContactLastName = v
	case refbatch.ColContactEmail:
		r.ContactEmail = v
	case refbatch.ColContactPhone:
		r.ContactPhone = v
	case refbatch.ColCurrency:
		r.Currency = v
	case refbatch.ColNotes:
		r.Notes = v
	case refbatch.ColAssistanceRequestCode:
		r.AssistanceRequestCode = v
	case refbatch.ColInviteNotes:
		r.InviteNotes = v
	case refbatch.ColPartnerRole:
		r.PartnerRole = v
	case refbatch.ColSolutionArea:
		r.SolutionArea = v
	case refbatch.ColSolutionPlay:
		r.SolutionPlay = v
	case refbatch.ColTeamMemberFirstName:
		r.TeamMemberFirstName = v
	case refbatch.ColTeamMemberLastName:
		r.TeamMemberLastName = v
	case refbatch.ColTeamMemberEmail:
		r.TeamMemberEmail = v
	case refbatch.ColTeamMemberPhone:
		r.TeamMemberPhone = v
	case refbatch.ColMicrosoftReferralStatus:
		r.MicrosoftReferralStatus = v
	case refbatch.ColContractCurrency:
		r.ContractCurrency = v
	case refbatch.ColContractTerm:
		r.ContractTerm = v
	case refbatch.ColPricingModel:
		r.PricingModel = v
	case refbatch.ColPrimaryDeploymentOn:
		r.PrimaryDeploymentOn = v
	}
}

func setNumber(r *refbatch.Row, c refbatch.Column, v float64) {
	switch c {
	case refbatch.ColDealValue:
		r.DealValue = v
	case refbatch.ColContractValue:
		r.ContractValue = v
	}
}

func setDate(r *refbatch.Row, c refbatch.Column, v time.Time) {
	switch c {
	case refbatch.ColClosingDate:
		r.ClosingDate = v
	case refbatch.ColContractSignDate:
		r.ContractSignDate = v
	case refbatch.ColContractStartDate:
		r.ContractStartDate = v
	case refbatch.ColContractEndDate:
		r.ContractEndDate = v
	case refbatch.ColMarketplaceTransactionDate:
		r.MarketplaceTransactionDate = v
	}
}

func setBool(r *refbatch.Row, c refbatch.Column, v bool) {
	switch c {
	case refbatch.ColShareWithMicrosoftSellers:
		r.ShareWithMicrosoftSellers = v
	case refbatch.ColConsentToShareInfo:
		r.ConsentToShareInfo = v
	case refbatch.ColConsentToContact:
		r.ConsentToContact = v
	case refbatch.ColHelpNeeded:
		r.HelpNeeded = v
	case refbatch.ColServicesCosell:
		r.ServicesCosell = v
	case refbatch.ColCustomerManaged:
		r.CustomerManaged = v
	case refbatch.ColRegisterDeal:
		r.RegisterDeal = v
	case refbatch.ColDeployedOnAzure:
		r.DeployedOnAzure = v
	case refbatch.ColMarketplaceTransacted:
		r.MarketplaceTransacted = v
	}
}

func setList(r *refbatch.Row, c refbatch.Column, v []string) {
	switch c {
	case refbatch.ColIndustries:
		r.Industries = v
	case refbatch.ColProducts:
		r.Products = v
	case refbatch.ColServices:
		r.Services = v
	case refbatch.ColSolutionIDs:
		r.SolutionIDs = v
	}
}
