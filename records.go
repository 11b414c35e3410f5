package refbatch

import (
	"encoding/json"
	"time"
)

// The records of a run: what the engine plans and sends, what Partner Center
// answers, and what the journal keeps. They are plain values shared by the
// engine, the journal and the API edge, which never import one another.

// Request is one HTTP request a step sends, exactly as `plan` prints it and
// `run` sends it: the Mapper builds it, the API sends its Body unchanged.
type Request struct {
	Step   StepName `json:"step"`
	Method string   `json:"method"`
	// Path is the request path, e.g. "/v1.0/engagements/referrals/{id}";
	// a referral not created yet appears as "{referral id from create}".
	Path string `json:"path"`
	// Body is the JSON body; nil for a body-less request.
	Body json.RawMessage `json:"body,omitempty"`
}

// Remote is a referral as Partner Center showed it: what the engine needs to
// decide, plus the whole answer for the Mapper.
type Remote struct {
	ID                  string
	EngagementID        string
	OrganizationID      string // "msft" for Microsoft's referral of a co-sell engagement
	ExternalReferenceID string
	ETag                string
	Status              string
	Substatus           string
	// Direction is "Incoming" for a referral sent to the partner (a lead
	// from Microsoft or another partner), "Outgoing" for the partner's own;
	// "" when the answer did not say.
	Direction string
	// Expires is expirationDateTime: for an incoming lead, the end of its
	// response window; zero when the answer had none.
	Expires time.Time
	Created time.Time // createdDateTime; zero when the answer had none
	Updated time.Time // updatedDateTime; zero when the answer had none
	// SharedWithMicrosoft is consent.consentToShareReferralWithMicrosoftSellers
	// as answered (false when the answer had no consent).
	SharedWithMicrosoft bool
	// Registered reports whether the referral has a deal registration, and
	// RegistrationStatus its review state as answered (ReviewPending,
	// ActionRequired, Approved…; "" when it has none or the answer said none).
	Registered         bool
	RegistrationStatus string
	// Raw is the referral's JSON as answered (nil when the answer had no
	// body). The Mapper reads it to build a minimal patch.
	Raw json.RawMessage
}

// Eligibility is the answer of the deal-registration eligibility check.
type Eligibility struct {
	Eligible bool
	// Failed names the failed policies as the API names them
	// (isDealValueEligible…), each with the API's explanation when it gave one.
	Failed []string
}

// RunInfo is one run as the journal keeps it.
type RunInfo struct {
	ID          RunID
	InputPath   string // as given on the command line
	InputSHA256 string // hex
	RulesHash   string // SHA-256 of the rules in force, built-in and user file, with the tables
	TablesHash  string // SHA-256 of the reference tables in force, built-in and overridden
	Options     string // JSON of the options that shape the plan (sheet, header row, mapping…)
	Endpoint    string // the endpoint the run ran against: the API base URL, or "sandbox:" and the embedded sandbox's state file
	Started     time.Time
	Finished    time.Time // zero while the run is unfinished
	// Planned is when every row of the input was planned into the journal;
	// zero while planning has not finished (a run killed then has rows
	// missing, which resume plans before it goes on).
	Planned time.Time
}

// RowRecord is one input row of a run.
type RowRecord struct {
	Number  int    // the spreadsheet's own row number
	Key     RowKey // "" for a row no other row can touch
	Action  string // create or update, as planned (an upsert makes a create an update)
	Valid   bool   // false: the row has error findings and is skipped
	Hash    string // ContentHash
	Outcome Outcome
	Error   string // why it failed or is in doubt, for the user

	ReferralID          string
	EngagementID        string
	MicrosoftReferralID string // the referral the co-sell link created
}

// StepRecord is one step of one row.
type StepRecord struct {
	Run             RunID
	Row             int
	Step            StepName
	State           StepState
	Attempts        int    // how many times the step was sent (StepSent increments it)
	ClientRequestID string // of the latest attempt
	HTTPStatus      int    // 0 when no answer arrived
	ReferralID      string // output: the referral the step created or touched
	EngagementID    string
	ETag            string
	ErrorCode       FailureClass // why the step failed, as the engine classed it; "" when it did not
	ErrorMessage    string
	SentAt          time.Time // when the latest attempt left
	FinishedAt      time.Time // when its answer came in; zero while sent
}

// Known is the referral an External Reference ID names: one this journal
// created, or one the mirror of Partner Center lists (whoever made it), so
// that running the same file twice, from another journal or after the UI
// made the referral never creates twice.
type Known struct {
	ExternalReferenceID string
	ReferralID          string
	EngagementID        string
	MicrosoftReferralID string // "" until a co-sell link is done
	// Also are the other partner referrals Partner Center holds with the
	// same External Reference ID: a row naming it cannot know which one it
	// means, and fails before anything is sent.
	Also []string
}

// Changes are journal writes that go in one transaction: the answers of
// steps, what External Reference IDs became, then the next step's "sent"
// record or the row's outcome. The engine gathers a row's writes and hands
// them over together with the next write that must be durable before a
// request leaves, so a row costs two or three commits instead of six.
type Changes struct {
	Run      RunID
	Finished []StepRecord // each as Journal.StepFinished records it
	Known    []Known      // each as Journal.Remember records it
	Sent     *StepRecord  // as Journal.StepSent records it, after the above
	Outcome  *RowRecord   // as Journal.SetOutcome records it, last
	// Wait is what the row waits for, written with its waiting Outcome.
	Wait *Wait
}

// Empty reports whether c writes nothing.
func (c *Changes) Empty() bool {
	return len(c.Finished) == 0 && len(c.Known) == 0 && c.Sent == nil && c.Outcome == nil && c.Wait == nil
}

// WaitReason is what a waiting row waits for. The journal stores it.
type WaitReason string

// The conditions a deal registration waits for.
const (
	// WaitAcceptance: Microsoft has not accepted the co-sell referral yet
	// (eligibility fails only on isMicrosoftReferralAcceptedOrWon).
	WaitAcceptance WaitReason = "microsoft-acceptance"
	// WaitDealAge: the referral is younger than the age a registration
	// waits for (Microsoft asks for 72 hours between creating a deal and
	// marking it Won).
	WaitDealAge WaitReason = "deal-age"
)

// Wait is a row left OutcomeWaiting: the step that waits, for what, when it
// may be checked again and when waiting ends in failure. It carries the
// row's typed values (Facts), so that sync can finish the row from the
// journal alone, without the input file.
type Wait struct {
	Run       RunID
	Row       int
	Step      StepName // the step that waits (register)
	Reason    WaitReason
	Since     time.Time // when the row began to wait
	Checked   time.Time // the latest check
	NextCheck time.Time // not before: no check is made earlier
	Deadline  time.Time // a row still waiting after it fails
	Facts     json.RawMessage
}

// RowFacts is the row's typed values as JSON, without its cells and
// header: what the engine needs to build a row's requests again.
func RowFacts(row *Row) (json.RawMessage, error) {
	r := *row
	r.Header, r.Raw, r.Cells = nil, nil, nil
	return json.Marshal(&r)
}

// RowFromFacts is the row RowFacts recorded.
func RowFromFacts(facts json.RawMessage) (*Row, error) {
	var r Row
	if err := json.Unmarshal(facts, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// FailureClass is why a step failed, as the journal keeps it: a typed state,
// so that resume --retry-failed asks ErrorCode.Retryable() instead of
// reading a prefix.
type FailureClass string

// The classes the engine records.
const (
	FailureAbsent      FailureClass = "absent"      // reconciliation proved a lost write was never applied
	FailureInDoubt     FailureClass = "in-doubt"    // the answer was lost
	FailureFatal       FailureClass = "fatal"       // credentials refused: the run stopped
	FailureConflict    FailureClass = "conflict"    // the referral changed meanwhile (412 twice)
	FailureNotFound    FailureClass = "not-found"   // the referral does not exist
	FailureInterrupted FailureClass = "interrupted" // the run was stopped while the step waited
	FailureTransient   FailureClass = "transient"   // throttling, 5xx or the network, past the retries
	FailureRejected    FailureClass = "rejected"    // the API refused the request (a 4xx), or a policy did
	FailureIneligible  FailureClass = "ineligible"  // Partner Center said the deal cannot be registered
	FailureExpired     FailureClass = "expired"     // the row waited past its deadline (Wait.Deadline)
)

// Retryable reports whether a step that failed so may pass on another try
// (resume --retry-failed). Journals written before the classes were typed
// stored "retryable:conflict" and "retryable:transient".
func (c FailureClass) Retryable() bool {
	switch c {
	case FailureConflict, FailureTransient, "retryable:conflict", "retryable:transient":
		return true
	}
	return false
}
