package refbatch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// RunID identifies one run in the journal. It sorts by start time and is
// also sent as MS-CorrelationId, so the service can relate a run's requests.
type RunID string

// NewRunID returns a run id made of the UTC start time and 8 random hex
// digits: "20261202T064501Z-3fa9c2d1".
func NewRunID(now time.Time) RunID {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return RunID(now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]))
}

// RowKey says which referral a row touches: "id:<Referral ID>" when the row
// names one, else "ext:<External Reference ID>", else "" (a row that touches
// nothing another row can). Rows with the same key run one after another,
// in file order (SPEC §4). Keys compare case-insensitively: they are folded
// to lower case.
type RowKey string

// KeyOf returns the key of row.
func KeyOf(row *Row) RowKey {
	switch {
	case row.ReferralID != "":
		return RowKey("id:" + strings.ToLower(row.ReferralID))
	case row.ExternalReferenceID != "":
		return RowKey("ext:" + strings.ToLower(row.ExternalReferenceID))
	}
	return ""
}

// ContentHash is a digest of what a row says: its cells under their headers,
// blank cells and header order ignored. Resume --allow-changed re-plans only
// rows whose hash changed. The row number is not part of it, so inserting a
// row above does not make every row below "changed".
func ContentHash(row *Row) string {
	// One buffer and one Sum: hashing cell by cell through the hash.Hash
	// interface cost about as much as reading the row.
	buf := make([]byte, 0, 256)
	for i, cell := range row.Raw {
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		name := ""
		if row.Header != nil && i < len(row.Header.Names) {
			name = row.Header.Names[i]
			if c := row.Header.Columns[i]; c.Valid() {
				name = c.String()
			}
		}
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(name)))
		buf = append(buf, name...)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(cell)))
		buf = append(buf, cell...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}

// StepName names one step of a row (SPEC §4). Names are stable: the journal
// stores them.
type StepName string

// The steps, in the order a row runs them.
const (
	StepCreate      StepName = "create"      // POST the new referral
	StepLink        StepName = "link"        // POST Microsoft's referral into the engagement (co-sell)
	StepGet         StepName = "get"         // read the live referral and its eTag
	StepPatch       StepName = "patch"       // JSON Patch with If-Match
	StepEligibility StepName = "eligibility" // ask whether a deal registration is allowed
	StepRegister    StepName = "register"    // add /registrations/-
)

// Writes reports whether the step changes Partner Center: a write whose
// answer was lost is in doubt and must be reconciled before it is sent again.
func (s StepName) Writes() bool {
	return s == StepCreate || s == StepLink || s == StepPatch || s == StepRegister
}

// StepState is where a step stands in the journal.
type StepState string

// Step states. A step is written StateSent before its request leaves and
// StateDone or StateFailed when the answer is in; a step left StateSent by
// a crash or a lost answer is in doubt until reconciled.
const (
	StateSent   StepState = "sent"
	StateDone   StepState = "done"
	StateFailed StepState = "failed"
)

// Outcome is what happened to a row, as status, export and the summary
// say it.
type Outcome string

// Row outcomes.
const (
	OutcomePending        Outcome = "pending"         // not finished: run or resume again
	OutcomeInDoubt        Outcome = "in-doubt"        // a write may have happened; reconciliation could not tell yet
	OutcomeWaiting        Outcome = "waiting"         // a step waits for Partner Center (Microsoft's acceptance, the deal's age): sync or resume advances it
	OutcomeCreated        Outcome = "created"         // a new referral
	OutcomeLinked         Outcome = "linked"          // created and linked to a Microsoft co-sell referral
	OutcomeUpdated        Outcome = "updated"         // patched
	OutcomeUnchanged      Outcome = "unchanged"       // Partner Center already showed what the row says
	OutcomeRegistered     Outcome = "registered"      // a deal registration was added
	OutcomeSkippedInvalid Outcome = "skipped-invalid" // the row has error findings; nothing was sent
	OutcomeNotLoaded      Outcome = "not-loaded"      // not a referral (a total row, Row.NotLoaded): reported, never sent
	OutcomeFailed         Outcome = "failed"          // the API refused it, or a policy failed against the live state
)

// Final reports whether the outcome ends the row: resume leaves it alone
// (except failed rows under --retry-failed). A waiting row is not final:
// sync and resume advance it.
func (o Outcome) Final() bool {
	switch o {
	case OutcomePending, OutcomeInDoubt, OutcomeWaiting, "":
		return false
	}
	return true
}

// Outcomes lists every outcome, in the order summaries print them.
func Outcomes() []Outcome {
	return []Outcome{OutcomeCreated, OutcomeLinked, OutcomeUpdated, OutcomeUnchanged, OutcomeRegistered,
		OutcomeSkippedInvalid, OutcomeNotLoaded, OutcomeFailed, OutcomeWaiting, OutcomeInDoubt, OutcomePending}
}

// String returns the outcome's name.
func (o Outcome) String() string { return string(o) }

// ErrInputChanged is returned by resume when the input file's SHA-256 is not
// the run's: the rows may not be the rows that were planned.
var ErrInputChanged = fmt.Errorf("input file changed since the run started")
