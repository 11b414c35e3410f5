package rules

import (
	"hash/maphash"

	"github.com/refbatch/refbatch"
)

// DuplicateCheck applies a policy's cross-row rules (those with a unique key,
// such as the built-in "duplicate"): a row whose key was already seen gets a
// finding naming the first row. Rows must be given in file order, by one
// goroutine.
//
// It remembers a 64-bit hash of each key and the first row's number, about
// 20 bytes a row, so a million-row file costs some 20 MB. Two different keys
// share a hash with a probability of about 3·10⁻⁸ on a million rows.
type DuplicateCheck struct {
	e    *Evaluator
	seed maphash.Seed
	seen []map[uint64]int32 // per unique rule: key hash → first row
}

// NewDuplicateCheck returns an empty DuplicateCheck for one file.
func (p *Policy) NewDuplicateCheck() *DuplicateCheck {
	d := &DuplicateCheck{e: p.NewEvaluator(), seed: maphash.MakeSeed(), seen: make([]map[uint64]int32, len(p.unique))}
	for i := range d.seen {
		d.seen[i] = map[uint64]int32{}
	}
	return d
}

// Check appends the cross-row findings about row to dst and returns it.
func (d *DuplicateCheck) Check(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding {
	e := d.e
	e.start(row)
	for i, r := range e.p.unique {
		if row.Invalid&r.reads != 0 {
			continue
		}
		if r.when != nil {
			ok, err := e.holds(r.when, row)
			if err != nil {
				dst = e.broken(dst, r, row, "when", err)
				continue
			}
			if !ok {
				continue
			}
		}
		var key string
		if r.unique.key != nil {
			key = r.unique.key(&e.scope)
		} else {
			out, err := e.machine.Run(r.unique.program, e.envOf(row))
			if err != nil {
				dst = e.broken(dst, r, row, "unique", err)
				continue
			}
			key = out.(string)
		}
		if key == "" {
			continue
		}
		h := maphash.String(d.seed, key)
		first, seen := d.seen[i][h]
		if !seen {
			d.seen[i][h] = int32(row.Number)
			continue
		}
		// The message cites the first row: rebox the env with it.
		e.envOf(row)
		e.env.FirstRow = int(first)
		e.boxed = e.env
		dst = appendFindings(dst, r, row, r.message.render(&e.machine, e.boxed))
		e.env.FirstRow = 0
		e.boxed = nil
	}
	return dst
}
