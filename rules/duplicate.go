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
// It remembers a 64-bit hash of each key with the first row's number, 16
// bytes in a table kept at most three quarters full: 32 MB for a million
// keys. Two different keys share a hash with a probability of about
// 3·10⁻⁸ on a million rows.
type DuplicateCheck struct {
	e    *Evaluator
	seed maphash.Seed
	seen []firstRows // per unique rule
}

// NewDuplicateCheck returns an empty DuplicateCheck for one file.
func (p *Policy) NewDuplicateCheck() *DuplicateCheck {
	return &DuplicateCheck{e: p.NewEvaluator(), seed: maphash.MakeSeed(), seen: make([]firstRows, len(p.unique))}
}

// Check appends the cross-row findings about row to dst and returns it.
func (d *DuplicateCheck) Check(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding {
	e := d.e
	e.start(row)
	for i, r := range e.p.unique {
		ok, err := e.applies(&e.p.ugates[i], r, row)
		if err != nil {
			dst = e.broken(dst, r, row, "when", err)
			continue
		}
		if !ok {
			continue
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
		first := d.seen[i].add(maphash.String(d.seed, key), int32(row.Number))
		if first == 0 {
			continue
		}
		// The message cites the first row: box the env with it.
		e.envOf(row)
		e.env.FirstRow = int(first)
		e.boxed = e.env
		dst = appendFindings(dst, r, row, r.message.render(&e.machine, e.boxed, row.Header))
		e.env.FirstRow = 0
		e.boxed = nil
	}
	return dst
}

// firstRows maps key hashes to the row that first had the key: an open
// addressing table with linear probing in one flat array, so that a lookup
// that is an insert costs one cache miss (a Go map costs about twice the
// memory and time here).
type firstRows struct {
	slots []firstRow
	n     int
}

type firstRow struct {
	hash uint64 // 0: empty slot
	row  int32
}

// add records row for hash h unless h is there already; it returns the row
// recorded first, or 0 when h is new.
func (t *firstRows) add(h uint64, row int32) int32 {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	if 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		switch s.hash {
		case h:
			return s.row
		case 0:
			s.hash, s.row = h, row
			t.n++
			return 0
		}
	}
}

func (t *firstRows) grow() {
	old := t.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1 << 10
	}
	t.slots, t.n = make([]firstRow, size), 0
	for _, s := range old {
		if s.hash != 0 {
			t.add(s.hash, s.row)
		}
	}
}
