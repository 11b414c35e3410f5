package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

// countingSource yields n rows numbered from 2, failing at row failAt if set.
type countingSource struct {
	n, next, failAt int
}

func (s *countingSource) Next(ctx context.Context) (*refbatch.Row, []refbatch.Finding, error) {
	if s.next >= s.n {
		return nil, nil, io.EOF
	}
	s.next++
	num := s.next + 1
	if num == s.failAt {
		return nil, nil, &refbatch.InputError{File: "in.csv", Row: num, Err: errors.New("broken")}
	}
	row := &refbatch.Row{Number: num, DealValue: float64(num)}
	var f []refbatch.Finding
	if num%7 == 0 {
		f = []refbatch.Finding{{Row: num, Rule: refbatch.RuleValue, Severity: refbatch.SeverityError}}
	}
	return row, f, nil
}

// oddChecker flags odd rows with a warning after a random short pause, so
// that workers finish out of order.
type oddChecker struct{ rng *rand.Rand }

func (c oddChecker) Evaluate(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding {
	if c.rng.IntN(50) == 0 {
		time.Sleep(time.Duration(c.rng.IntN(200)) * time.Microsecond)
	}
	if row.Number%2 == 1 {
		dst = append(dst, refbatch.Finding{Row: row.Number, Rule: "odd", Severity: refbatch.SeverityWarning})
	}
	return dst
}

type seenChecker struct{ seen map[float64]int }

func (c *seenChecker) Check(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding {
	key := float64(int(row.DealValue) % 100)
	if first, ok := c.seen[key]; ok {
		return append(dst, refbatch.Finding{Row: row.Number, Rule: refbatch.RuleDuplicate, Severity: refbatch.SeverityError, Message: fmt.Sprint(first)})
	}
	c.seen[key] = row.Number
	return dst
}

func newOdd(seed uint64) func() RowChecker {
	return func() RowChecker { seed++; return oddChecker{rand.New(rand.NewPCG(seed, 1))} }
}

func TestValidateKeepsFileOrder(t *testing.T) {
	for _, tc := range []struct {
		name             string
		rows, workers, b int
	}{{"empty", 0, 2, 16}, {"one", 1, 2, 16}, {"partial batch", 37, 3, 16}, {"many", 5000, 4, 64}, {"batch of one", 300, 2, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			dups := 0
			sum, err := Validate(context.Background(), &countingSource{n: tc.rows}, ValidateOptions{
				NewChecker: newOdd(1), Workers: tc.workers, BatchSize: tc.b,
				Ordered: &seenChecker{seen: map[float64]int{}},
				Sink: func(row *refbatch.Row, f []refbatch.Finding) error {
					got = append(got, row.Number)
					for _, x := range f {
						if x.Row != row.Number {
							t.Errorf("row %d got finding of row %d", row.Number, x.Row)
						}
						if x.Rule == refbatch.RuleDuplicate {
							dups++
							first := row.Number - 100*((row.Number-2)/100)
							if x.Message != fmt.Sprint(first) {
								t.Errorf("row %d: duplicate of %s, want %d (ordered checker out of order)", row.Number, x.Message, first)
							}
						}
					}
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.rows || sum.Rows != tc.rows {
				t.Fatalf("delivered %d rows, summary %d, want %d", len(got), sum.Rows, tc.rows)
			}
			for i, n := range got {
				if n != i+2 {
					t.Fatalf("position %d holds row %d", i, n)
				}
			}
			if want := max(0, tc.rows-100); dups != want {
				t.Errorf("%d duplicates, want %d", dups, want)
			}
		})
	}
}

func TestValidateStopsOnSourceError(t *testing.T) {
	delivered := 0
	_, err := Validate(context.Background(), &countingSource{n: 1000, failAt: 500}, ValidateOptions{
		NewChecker: newOdd(2), BatchSize: 32,
		Sink: func(*refbatch.Row, []refbatch.Finding) error { delivered++; return nil },
	})
	var ie *refbatch.InputError
	if !errors.As(err, &ie) || ie.Row != 500 {
		t.Fatalf("err = %v, want the input error at row 500", err)
	}
	if delivered >= 499 {
		t.Errorf("delivered %d rows; a failed read must not deliver its partial batch", delivered)
	}
}

func TestValidateStopsOnSinkError(t *testing.T) {
	boom := errors.New("disk full")
	delivered := 0
	_, err := Validate(context.Background(), &countingSource{n: 100000}, ValidateOptions{
		NewChecker: newOdd(3), BatchSize: 16,
		Sink: func(row *refbatch.Row, _ []refbatch.Finding) error {
			delivered++
			if row.Number == 100 {
				return boom
			}
			return nil
		},
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if delivered != 99 {
		t.Errorf("sink called %d times, want 99 (no calls after its error)", delivered)
	}
}

func TestValidateHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Validate(ctx, &countingSource{n: 1 << 30}, ValidateOptions{
		NewChecker: newOdd(4),
		Sink: func(row *refbatch.Row, _ []refbatch.Finding) error {
			if row.Number == 1000 {
				cancel()
			}
			return nil
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func BenchmarkValidatePipeline(b *testing.B) {
	b.ReportAllocs()
	src := &countingSource{n: b.N}
	b.ResetTimer()
	_, err := Validate(context.Background(), src, ValidateOptions{NewChecker: func() RowChecker { return nopChecker{} }})
	if err != nil {
		b.Fatal(err)
	}
}

type nopChecker struct{}

func (nopChecker) Evaluate(dst []refbatch.Finding, _ *refbatch.Row) []refbatch.Finding { return dst }

// notLoadedSource yields rows 2 to 6; rows 3 and 5 are total rows, each
// with the finding the importer gives one.
type notLoadedSource struct{ next int }

func (s *notLoadedSource) Next(ctx context.Context) (*refbatch.Row, []refbatch.Finding, error) {
	if s.next >= 5 {
		return nil, nil, io.EOF
	}
	s.next++
	row := &refbatch.Row{Number: s.next + 1, DealValue: 1}
	if row.Number == 3 || row.Number == 5 {
		row.NotLoaded = refbatch.NotLoadedTotal
		return row, []refbatch.Finding{{Row: row.Number, Rule: "total-row", Severity: refbatch.SeverityWarning}}, nil
	}
	return row, nil, nil
}

// TestValidateNotLoadedRows: a row marked NotLoaded reaches the sink in
// its place with the source's finding only (no checker sees it: row 3 and
// 5 are odd, and their DealValue would be a duplicate), and the summary
// counts it as a row not loaded, never as valid.
func TestValidateNotLoadedRows(t *testing.T) {
	var got []string
	sum, err := Validate(context.Background(), &notLoadedSource{}, ValidateOptions{
		NewChecker: newOdd(1), Workers: 2, BatchSize: 2,
		Ordered: &seenChecker{seen: map[float64]int{}},
		Sink: func(row *refbatch.Row, f []refbatch.Finding) error {
			s := fmt.Sprint(row.Number)
			for _, x := range f {
				s += " " + x.Rule
			}
			got = append(got, s)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2", "3 total-row", "4 duplicate", "5 total-row", "6 duplicate"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sink saw %q, want %q", got, want)
	}
	if sum.Rows != 5 || sum.Valid != 1 || sum.NotLoaded != 2 || sum.RowsWithErrors() != 2 || sum.Errors != 2 || sum.Warnings != 2 {
		t.Errorf("summary %+v", sum)
	}
}
