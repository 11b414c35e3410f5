package importer

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

func TestZZPipe(t *testing.T) {
	path := os.Getenv("SMOKE_CSV")
	if path == "" {
		t.Skip()
	}
	ctx := context.Background()
	best := time.Hour
	defer func() { t.Logf("BEST %d ms", best.Milliseconds()) }()
	for k := 0; k < 3; k++ {
		start := time.Now()
		cpu0 := cpuTime()
		r, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan []*refbatch.Row, 8)
		go func() {
			defer close(ch)
			batch := make([]*refbatch.Row, 0, 256)
			for {
				row, _, err := r.Next(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Error(err)
					return
				}
				batch = append(batch, row)
				if len(batch) == cap(batch) {
					ch <- batch
					batch = make([]*refbatch.Row, 0, 256)
				}
			}
			ch <- batch
		}()
		n := 0
		var sum float64
		for batch := range ch {
			for _, row := range batch {
				sum += row.DealValue
				n++
				if os.Getenv("NORELEASE") == "" {
					r.Release(row)
				}
			}
		}
		r.Close()
		t.Logf("rows %d in %v wall, %v cpu", n, time.Since(start), cpuTime()-cpu0)
		best = min(best, time.Since(start))
	}
}
