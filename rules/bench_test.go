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

// BenchmarkDuplicateCheck adds distinct keys in file order, as a valid
// million-row file does; the table starts over every 2²¹ keys.
func BenchmarkDuplicateCheck(b *testing.B) {
	p := loadPolicy(b, "")
	row, _ := validCreate().row(b)
	ids := make([]string, 1<<21)
	for i := range ids {
		ids[i] = "CRM-" + strconv.Itoa(i)
	}
	d := p.NewDuplicateCheck()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(ids) {
			d, i = p.NewDuplicateCheck(), 0
		}
		row.ExternalReferenceID = ids[i]
		row.Number = i + 2
		i++
		if f := d.Check(nil, row); len(f) != 0 {
			b.Fatal(f)
		}
	}
}

// BenchmarkLoad compiles the built-in rules and tables, as every command
// does before reading a row.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load("", nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
