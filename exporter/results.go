package exporter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/refbatch/refbatch"
)

// Headers of the columns a results export appends to the input's, in order
// (SPEC §8).
const (
	OutcomeHeader             = "Outcome"
	ReferralIDHeader          = "Referral ID"
	EngagementIDHeader        = "Engagement ID"
	MicrosoftReferralIDHeader = "Microsoft Referral ID"
	ErrorHeader               = "Error"
	ClientRequestIDHeader     = "client-request-id"
	MicrosoftStatusHeader     = "Microsoft Status"
	RegistrationStatusHeader  = "Registration Review" // not "Registration Status", a column of the input
)

// SheetResults is the sheet of a .xlsx results export that holds the rows;
// a "Summary" sheet follows it.
const SheetResults = "Results"

var resultHeaders = [...]string{
	OutcomeHeader, ReferralIDHeader, EngagementIDHeader, MicrosoftReferralIDHeader, ErrorHeader, ClientRequestIDHeader,
	MicrosoftStatusHeader, RegistrationStatusHeader,
}

// RowResult is what a run did with one input row.
type RowResult struct {
	Outcome             refbatch.Outcome
	ReferralID          string // the Partner Center referral the row created or updated
	EngagementID        string
	MicrosoftReferralID string // the referral a co-sell link created
	Error               string // why the row failed, is in doubt or was skipped
	ClientRequestID     string // of the row's latest request, for Microsoft support
	// Microsoft's side of a co-sell referral and the deal registration's
	// review, as the journal's mirror of Partner Center last saw them.
	MicrosoftStatus    string
	RegistrationStatus string
}

// fields returns the result columns in the order of resultHeaders.
func (res *RowResult) fields() [len(resultHeaders)]string {
	return [...]string{string(res.Outcome), res.ReferralID, res.EngagementID, res.MicrosoftReferralID, res.Error, res.ClientRequestID,
		res.MicrosoftStatus, res.RegistrationStatus}
}

// Results writes the results export of a run (`refbatch export`, SPEC §2
// and §8): every input row with what the run did with it, like a loader's
// success and error files. Rows are handed to WriteRow in file order; Close
// renames the file into place, Abort drops it. Until Close succeeds nothing
// exists at the path: the file is written under a temporary name in the same
// directory (mode 0600).
//
//   - .xlsx: the "Results" sheet has the input's geometry (the header and
//     every row at their input row numbers, every cell in its input column
//     with its type and number format; the title rows above the header as
//     the input had them, as text), the six result
//     columns appended right of the header, so a team can copy the Referral
//     ID column back into its own sheet. The Outcome cell is green (done),
//     red (failed) or amber (skipped, in doubt, pending). A "Summary" sheet
//     has the counts by outcome.
//   - .csv: the input's headers as written then the result headers, one line
//     per row; fields are neutralised against CSV injection. A date or
//     boolean cell of an .xlsx input is written as the spreadsheet displays
//     it (3/31/2027, TRUE), a number as stored (30000, not $30,000.00), as
//     in .json.
//   - .json: {"summary": {outcome: n}, "rows": [{"row", "outcome",
//     "referralId", "engagementId", "microsoftReferralId", "error",
//     "clientRequestId", "cells": {header: value}}]}.
//
// A Results holds no rows in memory: .xlsx and .csv rows are streamed to
// the file and .json rows spooled to an unlinked temporary file (the summary
// comes first). A Results is used by one goroutine.
type Results struct {
	out    *output
	header *refbatch.Header
	format resultsFormat
	counts map[refbatch.Outcome]int
}

// resultsFormat is what differs between .xlsx, .csv and .json.
type resultsFormat interface {
	writeRow(row *refbatch.Row, res *RowResult) error
	finish(w io.Writer, header *refbatch.Header, counts outcomeCounts) error
	discard()
}

// NewResults starts a results export at path, whose extension picks the
// format (.xlsx, .csv or .json; any other is an error wrapping
// refbatch.ErrUsage). The header is the input file's; rows must follow it.
func NewResults(path string, header *refbatch.Header) (*Results, error) {
	out, format, err := openOutput("results", path, header)
	if err != nil {
		return nil, err
	}
	r := &Results{out: out, header: header, counts: map[refbatch.Outcome]int{}}
	switch format {
	case FormatXLSX:
		r.format, err = newXLSXResults(header, out.work)
	case FormatCSV:
		r.format, err = newCSVResults(out.w, header)
	case FormatJSON:
		r.format, err = newJSONResults(header, out.work)
	}
	if err != nil {
		_ = out.discard()
		return nil, out.wrap(err)
	}
	return r, nil
}

// WriteRow adds one input row and what the run did with it. Rows must arrive
// in file order (strictly increasing row numbers, after the header row).
// WriteRow keeps neither argument after it returns. After an error the export
// is aborted: nothing is left at the path and every later call fails.
func (r *Results) WriteRow(row *refbatch.Row, res RowResult) error {
	if err := r.out.nextRow(row); err != nil {
		return r.fail(err)
	}
	r.counts[res.Outcome]++
	if err := r.format.writeRow(row, &res); err != nil {
		return r.fail(err)
	}
	return nil
}

// Close completes the export with the counts by outcome and renames it into
// place. A nil summary counts the rows written, which is right unless the
// export holds only some of the run's rows. On error nothing is left at the
// path. Calling Abort after Close is harmless.
func (r *Results) Close(summary map[refbatch.Outcome]int) error {
	if r.out.done {
		return r.out.wrap(errors.New("already closed"))
	}
	if summary == nil {
		summary = r.counts
	}
	counts := newOutcomeCounts(summary)
	err := r.out.finish(func(w *bufio.Writer) error { return r.format.finish(w, r.header, counts) })
	if err != nil {
		return r.fail(err)
	}
	r.format.discard()
	_ = r.out.discard() // the work directory
	return nil
}

// Abort drops the export: the temporary files are removed and nothing is
// left at the path. It is safe to call more than once and after Close.
func (r *Results) Abort() error {
	r.format.discard()
	return r.out.discard()
}

func (r *Results) fail(err error) error {
	_ = r.Abort()
	return r.out.wrap(err)
}

// outcomeCounts are counts by outcome in the order summaries print them:
// every known outcome (zero included, so the keys are stable), then any
// other, sorted.
type outcomeCounts []outcomeCount

type outcomeCount struct {
	Outcome refbatch.Outcome
	N       int
}

func newOutcomeCounts(m map[refbatch.Outcome]int) outcomeCounts {
	known := refbatch.Outcomes()
	out := make(outcomeCounts, 0, len(known)+len(m))
	for _, o := range known {
		out = append(out, outcomeCount{o, m[o]})
	}
	var other []refbatch.Outcome
	for o := range m {
		if !slices.Contains(known, o) {
			other = append(other, o)
		}
	}
	slices.Sort(other)
	for _, o := range other {
		out = append(out, outcomeCount{o, m[o]})
	}
	return out
}

// MarshalJSON writes the counts as an object, in order.
func (c outcomeCounts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, oc := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := appendJSON(&b, string(oc.Outcome)); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := appendJSON(&b, oc.N); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// appendJSON writes v as JSON, without escaping HTML characters.
func appendJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// cellKeys names the input columns in a .json export: the header as written,
// or the column letters for a blank header or one written twice, so no key
// is lost or repeated.
func cellKeys(h *refbatch.Header) []string {
	keys := make([]string, len(h.Names))
	seen := map[string]bool{}
	for i, n := range h.Names {
		switch letters := refbatch.ColumnLetters(i); {
		case strings.TrimSpace(n) != "" && !seen[n]:
			keys[i] = n
		case !seen[letters]:
			keys[i] = letters
		default:
			keys[i] = "Column " + letters
		}
		seen[keys[i]] = true
	}
	return keys
}
