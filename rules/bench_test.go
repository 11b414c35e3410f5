package rules

import (
	"strconv"

	"github.com/refbatch/refbatch"
	"testing"
)

// BenchmarkEvaluate runs every built-in rule on a typical valid create row
// (a Co-sell deal in USD with a contact and a solution): the row most of a
// file's million rows look like.
func BenchmarkEvaluate(b *testing.B) {
	p := loadPolicy(b, "")
	row, _ := validCreate().row(b)
	e := p.NewEvaluator()
	var dst = e.Evaluate(nil, row)
	if len(dst) != 0 {
		b.Fatalf("typical row has findings: %v", dst)
	}
	b.ReportAllocs()
	for b.Loop() {
		dst = e.Evaluate(dst[:0], row)
	}
}

// BenchmarkEvaluateParallel is BenchmarkEvaluate with one Evaluator per
// goroutine sharing the Policy, as the validate pipeline runs it.
func BenchmarkEvaluateParallel(b *testing.B) {
	p := loadPolicy(b, "")
	row, _ := validCreate().row(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		e := p.NewEvaluator()
		var dst []refbatch.Finding
		for pb.Next() {
			dst = e.Evaluate(dst[:0], row)
		}
	})
}

// BenchmarkDuplicateCheck adds a million distinct keys in file order.
func BenchmarkDuplicateCheck(b *testing.B) {
	p := loadPolicy(b, "")
	row, _ := validCreate().row(b)
	d := p.NewDuplicateCheck()
	ids := make([]string, 1<<20)
	for i := range ids {
		ids[i] = "CRM-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		row.ExternalReferenceID = ids[i&(len(ids)-1)]
		row.Number = i + 2
		i++
		if f := d.Check(nil, row); len(f) != 0 && i <= len(ids) {
			b.Fatal(f)
		}
	}
}
