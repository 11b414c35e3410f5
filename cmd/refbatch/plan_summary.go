package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
)

// printPlanSummary writes one line per row: its number, action, key, the
// steps it takes and what they change; then the totals. --bodies prints
// the request bodies instead (printPlan).
func printPlanSummary(w io.Writer, file string, plans []engine.RowPlan) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tACTION\tKEY\tSTEPS\tWHAT CHANGES")
	requests, skipped, notLoaded := 0, 0, 0
	for _, p := range plans {
		requests += len(p.Requests)
		action := p.Action
		if p.Upsert {
			action += " (upsert)"
		}
		steps := make([]string, 0, len(p.Requests))
		for _, r := range p.Requests {
			steps = append(steps, string(r.Step))
		}
		what := planChanges(p)
		switch {
		case p.NotLoaded != "":
			notLoaded++
			action, steps = "none", nil
		case !p.Valid:
			skipped++
			action, steps = "skip", nil
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", p.Row, action, dash(keyText(p.Key)), dash(strings.Join(steps, ", ")), oneLine(what))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s: %s planned, %s, %d skipped for errors%s; nothing was sent (--bodies shows the request bodies)\n", file,
		plural(len(plans), "row", "rows"), plural(requests, "request", "requests"), skipped, notLoadedText(notLoaded))
}

// notLoadedText is the plan totals' mention of total rows, if any.
func notLoadedText(n int) string {
	if n == 0 {
		return ""
	}
	if n == 1 {
		return ", 1 not loaded (a total row)"
	}
	return fmt.Sprintf(", %d not loaded (total rows)", n)
}

// keyText is a row key as the user wrote it: the CRM ID or Referral ID.
func keyText(k refbatch.RowKey) string {
	s := string(k)
	if _, v, ok := strings.Cut(s, ":"); ok {
		return v
	}
	return s
}

// planChanges says in a few words what a row's requests do.
func planChanges(p engine.RowPlan) string {
	if p.NotLoaded != "" {
		return p.NotLoaded
	}
	if !p.Valid {
		n, first := 0, ""
		for _, f := range p.Findings {
			if f.Severity == refbatch.SeverityError {
				if n == 0 {
					first = f.Message
				}
				n++
			}
		}
		if n == 0 {
			return "skipped"
		}
		return fmt.Sprintf("skipped, %s: %s", plural(n, "error", "errors"), first)
	}
	var parts []string
	for _, r := range p.Requests {
		switch r.Step {
		case refbatch.StepCreate:
			parts = append(parts, "creates "+createdWhat(r.Body))
		case refbatch.StepLink:
			parts = append(parts, "links to Microsoft")
		case refbatch.StepRegister:
			parts = append(parts, "registers the deal")
		case refbatch.StepPatch:
			if len(p.Changes) > 0 {
				parts = append(parts, pulledChangesText(p.Changes))
			} else if c := patchChanges(r.Body); c != "" {
				parts = append(parts, c)
			}
		}
	}
	if len(parts) == 0 && p.Note != "" {
		return p.Note
	}
	return strings.Join(parts, "; ")
}

// pulledChangesText shows the cells edited since a pull: "Deal Value
// 52,000 → 60,000".
func pulledChangesText(cs []engine.Change) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Column + " " + cellText(c.From) + " → " + cellText(c.To)
	}
	return strings.Join(out, ", ")
}

// cellText shows a cell's canonical text: a number with separators, text
// quoted, nothing as "(empty)".
func cellText(s string) string {
	if s == "" {
		return "(empty)"
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return money(f)
	}
	if len(s) > 40 {
		s = s[:37] + "…"
	}
	return strconv.Quote(s)
}

// createdWhat is a create body's name and deal value.
func createdWhat(body json.RawMessage) string {
	var b struct {
		Name    string `json:"name"`
		Details struct {
			DealValue *float64 `json:"dealValue"`
			Currency  string   `json:"currency"`
		} `json:"details"`
	}
	if json.Unmarshal(body, &b) != nil {
		return "a referral"
	}
	s := strconv.Quote(b.Name)
	if b.Details.DealValue != nil {
		s += fmt.Sprintf(" (%s %s)", b.Details.Currency, money(*b.Details.DealValue))
	}
	return s
}

// patchPaths name the JSON Patch paths by their column.
var patchPaths = map[string]string{
	"/status": "Status", "/substatus": "Substatus", "/statusReason": "Status Reason", "/name": "Name",
	"/details/dealValue": "Deal Value", "/details/currency": "Currency", "/details/notes": "Notes",
	"/details/closingDateTime": "Closing Date", "/salesStage": "Sales Stage", "/qualification": "Qualification",
}

// patchChanges lists a JSON Patch's changes: "Status → Active", "adds team
// member kai@…". The External Reference ID the patch repeats is left out.
func patchChanges(body json.RawMessage) string {
	var ops []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(body, &ops) != nil {
		return ""
	}
	var out []string
	for _, op := range ops {
		switch {
		case op.Path == "/externalReferenceId":
			continue
		case op.Path == "/team/-":
			var m struct {
				Email string `json:"email"`
			}
			_ = json.Unmarshal(op.Value, &m)
			out = append(out, "adds team member "+m.Email)
		case op.Path == "/registrations/-":
			out = append(out, "registers the deal")
		default:
			name := patchPaths[op.Path]
			if name == "" {
				name = op.Path
			}
			out = append(out, name+" → "+valueText(op.Value))
		}
	}
	return strings.Join(out, ", ")
}

// valueText shows a patch value: a number with thousands separators, a
// string as it is, anything else as JSON.
func valueText(v json.RawMessage) string {
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return money(f)
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if len(s) > 40 {
			s = s[:37] + "…"
		}
		return strconv.Quote(s)
	}
	return string(v)
}

// money writes 52000 as 52,000 and 61250.5 as 61,250.50.
func money(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimSuffix(s, ".00")
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}
