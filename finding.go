package refbatch

// Severity says whether a finding blocks a row (error) or only informs (warning).
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Built-in rule ids (SPEC §5). They are stable: reports, rule test cases and
// users' own rules files refer to them.
const (
	RuleRequired         = "required"
	RuleEnum             = "enum"
	RuleStatusPair       = "status-pair"
	RuleStatusTransition = "status-transition"
	RuleServicesCosell   = "services-cosell"
	RuleSolutionPlay     = "solution-play"
	RuleCosell           = "cosell"
	RuleDealReg          = "dealreg"
	RuleValue            = "value"
	RuleDate             = "date"
	RuleContact          = "contact"
	RuleDuplicate        = "duplicate"

	// Rules of Partner Center's own bulk templates and of the referral
	// life cycle (issue 15).
	RuleCloseError                = "close-error"                 // the template's Error substatus has no API value
	RuleCloseReason               = "close-reason"                // a Declined/Lost/Error reason code of the template's lists
	RuleSalesStage                = "sales-stage"                 // 100% is the Won state
	RuleLifecycleTerminal         = "lifecycle-terminal"          // Won, Lost, Declined, Expired cannot change
	RuleLifecycleContract         = "lifecycle-contract"          // a contract cannot start before it is signed
	RuleLifecycleRegistrationEdit = "lifecycle-registration-edit" // a registration changes only while ActionRequired
	RuleLifecycleShare            = "lifecycle-share"             // sharing with Microsoft sellers cannot be withdrawn
	RuleLifecycleRegister         = "lifecycle-register"          // register a Won deal, 72 hours after its creation
	RuleLifecycleReadOnly         = "lifecycle-readonly"          // customer fields are read-only after creation
	RuleMarketplaceIntent         = "marketplace-intent"          // the co-sell template requires it on creates
	RulePullConflict              = "pull-conflict"               // a cell changed in the workbook and in Partner Center since the pull
	RulePullCleared               = "pull-cleared"                // a pulled cell emptied: refbatch never clears a value
	RulePullMismatch              = "pull-mismatch"               // a row's Referral ID is not the one it was pulled with
	RuleResponseWindow            = "response-window"             // an incoming lead answered after its response window
	// RuleCRMStage is a CRM export's stage that says no Partner Center
	// status (an open deal's "Prospecting", "Qualified To Buy"…).
	RuleCRMStage = "crm-stage"
	// RuleHeader is used for findings about the header row itself, such as
	// an unknown header.
	RuleHeader = "header"
)

// Finding is one problem with a row or a cell, as the pre-flight report
// shows it (SPEC §8).
type Finding struct {
	Row      int      `json:"row"`      // spreadsheet row number
	Cell     string   `json:"cell"`     // A1 reference; empty when the column is absent
	Column   string   `json:"column"`   // canonical column name; empty for a whole-row finding
	Header   string   `json:"header"`   // header as written in the file; empty when absent
	Rule     string   `json:"rule"`     // rule id
	Severity Severity `json:"severity"` // error or warning
	Message  string   `json:"message"`
	Value    string   `json:"value"` // the cell's text as read
}

// Summary counts the outcome of validating a file.
type Summary struct {
	Rows  int `json:"rows"`  // data rows read (blank rows excluded, rows not loaded included)
	Valid int `json:"valid"` // rows to load: without error findings, not NotLoaded
	// NotLoaded counts the rows kept in the reports but never sent (total
	// rows, Row.NotLoaded); each has a finding saying so.
	NotLoaded int            `json:"notLoaded,omitempty"`
	Errors    int            `json:"errors"`   // error findings
	Warnings  int            `json:"warnings"` // warning findings
	ByRule    map[string]int `json:"byRule"`   // findings by rule id
}

// Add counts the findings of one row.
func (s *Summary) Add(findings []Finding) {
	s.Rows++
	hasError := false
	for _, f := range findings {
		s.Count(f)
		if f.Severity == SeverityError {
			hasError = true
		}
	}
	if !hasError {
		s.Valid++
	}
}

// AddNotLoaded counts a row that is reported but not loaded, with its
// findings (the one saying why, and any about cells beside the table).
func (s *Summary) AddNotLoaded(findings []Finding) {
	s.Rows++
	s.NotLoaded++
	for _, f := range findings {
		s.Count(f)
	}
}

// RowsWithErrors is the number of rows that have error findings.
func (s *Summary) RowsWithErrors() int { return s.Rows - s.Valid - s.NotLoaded }

// Count adds one finding to the totals without counting a row; use it for
// findings that belong to no data row, such as header warnings.
func (s *Summary) Count(f Finding) {
	if s.ByRule == nil {
		s.ByRule = make(map[string]int)
	}
	s.ByRule[f.Rule]++
	if f.Severity == SeverityError {
		s.Errors++
	} else {
		s.Warnings++
	}
}
