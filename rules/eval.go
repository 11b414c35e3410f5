package rules

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/refbatch/refbatch"
)

// Evaluator applies a policy's row rules to rows, one at a time. It holds a
// VM and scratch space, so it is not safe for concurrent use: give each
// goroutine its own (Policy.NewEvaluator is cheap).
type Evaluator struct {
	p       *Policy
	scope   scope // the row and Today, for lowered tests
	machine vm.VM
	env     Env
	boxed   any // env boxed for the VM; nil until a rule of the row needs it

	// years evaluate the rows of each fiscal year's Solution Area/Play
	// table (Policy.byYear); nil when every row uses the policy's.
	years []*Evaluator

	cand       []uint64 // the row's candidate rules (scratch)
	facts      uint64   // the policy's facts that hold for the row, among factsKnown
	factsKnown uint64
}

// NewEvaluator returns an Evaluator whose Today is the policy clock's date.
func (p *Policy) NewEvaluator() *Evaluator {
	e := &Evaluator{p: p}
	for _, y := range p.byYear {
		e.years = append(e.years, y.NewEvaluator())
	}
	e.setToday(today(p.now))
	return e
}

func (e *Evaluator) setToday(t time.Time) {
	e.scope.today = t
	e.env.Today = t
	for _, y := range e.years {
		y.setToday(t)
	}
}

// forRow returns the evaluator of the row's fiscal year: the year of its
// Closing Date, else of Today.
func (e *Evaluator) forRow(row *refbatch.Row) *Evaluator {
	if e.years == nil {
		return e
	}
	d := e.scope.today
	if row.Filled.Has(refbatch.ColClosingDate) && !row.Invalid.Has(refbatch.ColClosingDate) {
		d = row.ClosingDate
	}
	return e.years[taxonomyFor(e.p.years, FiscalYearOf(d))]
}

func today(now func() time.Time) time.Time {
	y, m, d := now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Evaluate appends the findings of every row rule about row to dst and
// returns it. Rules run in policy order; a rule that reads a cell the
// importer marked invalid is skipped, since that cell has its finding.
func (e *Evaluator) Evaluate(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding {
	if e.years != nil {
		return e.forRow(row).Evaluate(dst, row)
	}
	e.start(row)
	e.cand = e.candidates(e.p.index, e.cand)
	for w, word := range e.cand {
		for ; word != 0; word &= word - 1 {
			i := w*64 + bits.TrailingZeros64(word)
			dst = e.evaluate(dst, i, row)
		}
	}
	return dst
}

// evaluate applies row rule i.
func (e *Evaluator) evaluate(dst []refbatch.Finding, i int, row *refbatch.Row) []refbatch.Finding {
	r := e.p.rows[i]
	ok, err := e.applies(&e.p.gates[i], r, row)
	if err != nil {
		return e.broken(dst, r, row, "when", err)
	}
	if !ok {
		return dst
	}
	if ok, err = e.holds(r.check, row); err != nil {
		return e.broken(dst, r, row, "check", err)
	}
	if !ok {
		dst = e.report(dst, r, row)
	}
	return dst
}

// applies reports whether rule r, whose gate is g, applies to the row: its
// gate opens and its when holds.
func (e *Evaluator) applies(g *gate, r *rule, row *refbatch.Row) (bool, error) {
	if !e.open(g, row) {
		return false, nil
	}
	if g.exact {
		return true, nil
	}
	return e.holds(r.when, row)
}

// open reports whether a rule's gate lets it be evaluated on the row.
func (e *Evaluator) open(g *gate, row *refbatch.Row) bool {
	return !row.Invalid.Intersects(g.reads) && row.Filled.HasAll(g.filled) &&
		(g.facts == 0 || e.factsHold(g.facts))
}

// factsHold reports whether the facts in need all hold for the row. Each fact
// is computed at most once per row, and only when a rule asks.
func (e *Evaluator) factsHold(need uint64) bool {
	for missing := need &^ e.factsKnown; missing != 0; missing &= missing - 1 {
		i := bits.TrailingZeros64(missing)
		e.factsKnown |= 1 << i
		if !e.p.facts[i](&e.scope) {
			return false
		}
		e.facts |= 1 << i
	}
	return e.facts&need == need
}

// start readies the evaluator for a new row.
func (e *Evaluator) start(row *refbatch.Row) {
	e.scope.row = row
	e.boxed = nil
	e.facts, e.factsKnown = 0, 0
}

// holds evaluates a boolean expression on the row: in Go when it was lowered,
// else in the VM once its Go guards pass.
func (e *Evaluator) holds(x *expression, row *refbatch.Row) (bool, error) {
	if !row.Filled.HasAll(x.filled) {
		return false, nil
	}
	if x.facts != 0 && !e.factsHold(x.facts) {
		return false, nil
	}
	if x.exact {
		return true, nil
	}
	if x.test != nil {
		return x.test(&e.scope), nil
	}
	for _, g := range x.guards {
		if !g(&e.scope) {
			return false, nil
		}
	}
	out, err := e.machine.Run(x.program, e.envOf(row))
	if err != nil {
		return false, err
	}
	return out.(bool), nil
}

// envOf returns the row's environment, built and boxed once per row: every
// program of the row shares the one allocation, and the VM reads fields out
// of the boxed copy without allocating (SPEC §12).
func (e *Evaluator) envOf(row *refbatch.Row) any {
	if e.boxed == nil {
		e.env.fill(row)
		e.boxed = e.env
	}
	return e.boxed
}

// report appends the failing rule's findings: one per column it names, or
// one about the whole row.
func (e *Evaluator) report(dst []refbatch.Finding, r *rule, row *refbatch.Row) []refbatch.Finding {
	msg := r.message.render(&e.machine, e.envOf(row), row.Header)
	return appendFindings(dst, r, row, msg)
}

// broken reports a rule that failed to run on the row (a run-time error in
// the expression, such as an index out of range): the row cannot be
// vouched for.
func (e *Evaluator) broken(dst []refbatch.Finding, r *rule, row *refbatch.Row, part string, err error) []refbatch.Finding {
	return appendFindings(dst, r, row, fmt.Sprintf("rule %s could not be evaluated (%s): %v", r.id, part, err))
}

// appendFindings adds one finding for a failing rule: one cause, one
// finding. It points at the rule's first column that the file has and the
// row leaves empty, else its first column the file has; when the file has
// none of them, at the row's first cell, with the header to add named.
func appendFindings(dst []refbatch.Finding, r *rule, row *refbatch.Row, msg string) []refbatch.Finding {
	h := row.Header
	if len(r.columns) == 0 {
		f := row.Finding(0, r.id, r.severity, msg)
		if h != nil {
			f.Cell = refbatch.CellRef(0, row.Number)
		}
		return append(dst, f)
	}
	if h == nil { // a row built in code, not read from a file
		return append(dst, row.Finding(r.columns[0], r.id, r.severity, msg))
	}
	target := refbatch.Column(0)
	for _, c := range r.columns {
		if h.Has(c) && !row.Filled.Has(c) {
			target = c
			break
		}
	}
	if !target.Valid() {
		for _, c := range r.columns {
			if h.Has(c) {
				target = c
				break
			}
		}
	}
	if !target.Valid() {
		c := r.columns[0]
		f := row.Finding(c, r.id, r.severity, msg+" (the file has no "+c.String()+" column: add one)")
		f.Cell = refbatch.CellRef(0, row.Number)
		return append(dst, f)
	}
	return append(dst, row.Finding(target, r.id, r.severity, msg))
}
