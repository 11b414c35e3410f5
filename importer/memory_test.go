package importer

import (
	"context"
	"io"
	"runtime"
	"testing"
)

// TestMemoryDoesNotGrowWithRows reads 200,000 rows and checks that the live
// heap stays small: the reader holds no rows behind the caller's back.
func TestMemoryDoesNotGrowWithRows(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB file")
	}
	path, size := writeBenchCSVT(t, 200_000)
	ctx := context.Background()
	r, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var peak uint64
	var ms runtime.MemStats
	for n := 0; ; n++ {
		_, _, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n%50_000 == 49_999 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if limit := uint64(16 << 20); peak > limit {
		t.Errorf("live heap reached %d MB reading a %d MB file; want under %d MB", peak>>20, size>>20, limit>>20)
	}
	t.Logf("live heap peak %.1f MB for a %.0f MB file", float64(peak)/(1<<20), float64(size)/(1<<20))
}

// TestWorkbookMemoryDoesNotGrowWithRows: the same for a workbook, whose
// sheet is streamed (only the shared strings are held, one per distinct
// text).
func TestWorkbookMemoryDoesNotGrowWithRows(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large workbook")
	}
	xlsxPath, _ := writeSameRows(t, t.TempDir(), 200_000)
	ctx := context.Background()
	r, err := Open(ctx, xlsxPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var peak uint64
	var ms runtime.MemStats
	for n := 0; ; n++ {
		_, _, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n%50_000 == 49_999 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if limit := uint64(24 << 20); peak > limit {
		t.Errorf("live heap reached %d MB; want under %d MB", peak>>20, limit>>20)
	}
	t.Logf("live heap peak %.1f MB for 200,000 rows", float64(peak)/(1<<20))
}
