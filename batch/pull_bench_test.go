package batch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch/batch"
)

// BenchmarkPull: pull 10,000 and 100,000 referrals into an .xlsx from a
// sandbox without a rate limit, into a new journal (the mirror's first,
// full listing and the workbook) and again (an incremental refresh and the
// workbook). It reports the seconds of each and the peak live Go heap
// while pulling above what the in-process sandbox holds before, sampled
// every 5 ms: flat memory means the peak does not grow with the number of
// referrals.
//
//	go test ./batch -run '^$' -bench Pull -benchtime 1x
func BenchmarkPull(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			sb, err := batch.StartSandbox(context.Background(), batch.SandboxConfig{})
			if err != nil {
				b.Fatal(err)
			}
			defer sb.Close()
			seedReferrals(b, sb.Server(), n)
			for b.Loop() {
				dir := b.TempDir()
				jpath := filepath.Join(dir, "j.db")
				var first, again batch.PullResult
				peak := peakHeap(func() {
					first = pullTo(b, jpath, sb, filepath.Join(dir, "first."+pullExt))
				})
				peakAgain := peakHeap(func() {
					again = pullTo(b, jpath, sb, filepath.Join(dir, "again."+pullExt))
				})
				if first.Rows != n || again.Rows != n {
					b.Fatalf("pulled %d and %d of %d", first.Rows, again.Rows, n)
				}
				b.ReportMetric(first.Elapsed.Seconds(), "s-first-pull")
				b.ReportMetric(again.Elapsed.Seconds(), "s-pull-again")
				b.ReportMetric(float64(peak)/1e6, "MB-peak-live-first")
				b.ReportMetric(float64(peakAgain)/1e6, "MB-peak-live-again")
			}
		})
	}
}

func pullTo(b *testing.B, jpath string, sb *batch.Sandbox, out string) batch.PullResult {
	b.Helper()
	jr, err := batch.OpenJournal(context.Background(), jpath, true)
	if err != nil {
		b.Fatal(err)
	}
	defer jr.Close()
	c, err := batch.NewClient(jr, sb.Endpoint(), batch.Config{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := c.Pull(context.Background(), batch.PullOptions{Out: out})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// peakHeap runs fn and returns the most live heap seen while it ran (as
// of each garbage collection: /gc/heap/live:bytes), above the live heap
// before it (the in-process sandbox's referrals). Heap in use would
// measure the GC's allowance for garbage instead, which scales with the
// sandbox's own size.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	runtime.GC()
	close(done)
	return peak.Load() - min(peak.Load(), before)
}

// pullExt is the benchmark's output format.
const pullExt = "xlsx"
