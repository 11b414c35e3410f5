package journal_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

// BenchmarkStepPairs measures the group commit: workers record
// StepSent+StepFinished pairs concurrently, as the engine's workers do.
// writes/s counts both writes of each pair.
func BenchmarkStepPairs(b *testing.B) {
	for _, where := range []string{"disk", "memory"} {
		for _, workers := range []int{1, 8, 32, 64} {
			b.Run(fmt.Sprintf("%s/workers=%d", where, workers), func(b *testing.B) {
				path := journal.Memory
				if where == "disk" {
					path = tempPath(b)
				}
				j := mustOpen(b, path)
				ctx := context.Background()
				if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for range workers {
					wg.Go(func() {
						for {
							n := next.Add(1)
							if n > int64(b.N) {
								return
							}
							s := refbatch.StepRecord{Run: "r1", Row: int(n), Step: refbatch.StepCreate, ClientRequestID: "crid"}
							if err := j.StepSent(ctx, s); err != nil {
								b.Error(err)
								return
							}
							s.State, s.HTTPStatus, s.ReferralID = refbatch.StateDone, 201, "ref"
							if err := j.StepFinished(ctx, s); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "writes/s")
			})
		}
	}
}

func BenchmarkPutRows100k(b *testing.B) {
	rows := makeRows(100_000)
	j := mustOpen(b, tempPath(b))
	ctx := context.Background()
	for i := range b.N {
		id := refbatch.RunID(fmt.Sprint("r", i))
		if err := j.CreateRun(ctx, testRun(string(id), t0)); err != nil {
			b.Fatal(err)
		}
		if err := j.PutRows(ctx, id, rows); err != nil {
			b.Fatal(err)
		}
	}
}

// seed100k writes a run of 100,000 rows with two steps each.
func seed100k(b *testing.B) *journal.Journal {
	b.Helper()
	j := mustOpen(b, tempPath(b))
	ctx := context.Background()
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		b.Fatal(err)
	}
	rows := makeRows(100_000)
	if err := j.PutRows(ctx, "r1", rows); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < len(rows); i += 32 {
				for _, step := range []refbatch.StepName{refbatch.StepCreate, refbatch.StepLink} {
					s := refbatch.StepRecord{Run: "r1", Row: rows[i].Number, Step: step, ClientRequestID: "crid", SentAt: t0,
						State: refbatch.StateDone, HTTPStatus: 201, ReferralID: "ref", FinishedAt: t0}
					if err := j.StepFinished(ctx, s); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return j
}

func BenchmarkRows100k(b *testing.B) {
	j := seed100k(b)
	b.ResetTimer()
	for range b.N {
		rows, err := j.Rows(context.Background(), "r1")
		if err != nil || len(rows) != 100_000 {
			b.Fatal(len(rows), err)
		}
	}
}

func BenchmarkSteps200k(b *testing.B) {
	j := seed100k(b)
	b.ResetTimer()
	for range b.N {
		steps, err := j.Steps(context.Background(), "r1")
		if err != nil || len(steps) != 200_000 {
			b.Fatal(len(steps), err)
		}
	}
}

// BenchmarkOpenQuickCheck is the cost of Options.QuickCheck on a journal of
// 100,000 rows and 200,000 steps (compare with QuickCheck off).
func BenchmarkOpenQuickCheck(b *testing.B) {
	j := seed100k(b)
	path := j.Path()
	j.Close()
	for _, qc := range []bool{false, true} {
		b.Run(fmt.Sprint("quickcheck=", qc), func(b *testing.B) {
			for range b.N {
				j, err := journal.Open(context.Background(), path, journal.Options{QuickCheck: qc})
				if err != nil {
					b.Fatal(err)
				}
				j.Close()
			}
		})
	}
}
