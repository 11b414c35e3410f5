package rules

import (
	"math/bits"

	"github.com/refbatch/refbatch"
)

// ruleIndex narrows a row's rules down to those whose gate may open, so that
// a row does not pay even a bit test for each of the rules about columns it
// leaves empty (most enum, contact and dealreg rules, on most rows). Each
// rule is keyed on one of its gate's conditions: a column its when needs
// filled, else a fact it needs, else nothing (always a candidate).
type ruleIndex struct {
	always []uint64                      // bit i: rule i is always a candidate
	byCol  [refbatch.NumColumns][]uint64 // rules keyed on the column being filled
	byFact [maxFacts][]uint64            // rules keyed on the fact holding
	facts  uint64                        // the facts some rule is keyed on
}

func newRuleIndex(gates []gate) *ruleIndex {
	words := (len(gates) + 63) / 64
	ix := &ruleIndex{always: make([]uint64, words)}
	set := func(m *[]uint64, i int) {
		if *m == nil {
			*m = make([]uint64, words)
		}
		(*m)[i/64] |= 1 << (i % 64)
	}
	for i, g := range gates {
		switch {
		case !g.filled.Empty():
			set(&ix.byCol[g.filled.First()], i)
		case g.facts != 0:
			f := bits.TrailingZeros64(g.facts)
			set(&ix.byFact[f], i)
			ix.facts |= 1 << f
		default:
			set(&ix.always, i)
		}
	}
	return ix
}

// candidates returns the rules that may apply to the row, as a bit set over
// the policy's row rules, in dst's storage.
func (e *Evaluator) candidates(ix *ruleIndex, dst []uint64) []uint64 {
	dst = append(dst[:0], ix.always...)
	or := func(m []uint64) {
		for w := range dst {
			dst[w] |= m[w]
		}
	}
	for w, word := range e.scope.row.Filled {
		for s := word; s != 0; s &= s - 1 {
			if m := ix.byCol[64*w+bits.TrailingZeros64(s)]; m != nil {
				or(m)
			}
		}
	}
	for f := ix.facts; f != 0; f &= f - 1 {
		i := bits.TrailingZeros64(f)
		if e.factsHold(1 << i) {
			or(ix.byFact[i])
		}
	}
	return dst
}
