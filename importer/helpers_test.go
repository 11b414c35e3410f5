package importer

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeBenchCSVT writes n generated data rows (see benchRecord).
func writeBenchCSVT(t testing.TB, n int) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(strings.Join(benchHeader, ",") + "\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		w.WriteString(strings.Join(benchRecord(rng, i), ",") + "\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return path, st.Size()
}
