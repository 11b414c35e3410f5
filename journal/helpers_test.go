package journal_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

var t0 = time.Date(2026, 12, 2, 6, 45, 1, 123456789, time.UTC)

func tempPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "refbatch.db")
}

func mustOpen(t testing.TB, path string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func testRun(id string, started time.Time) refbatch.RunInfo {
	return refbatch.RunInfo{
		ID: refbatch.RunID(id), InputPath: "in/deals.xlsx", InputSHA256: "ab12", RulesHash: "r1",
		TablesHash: "t1", Options: `{"sheet":"Deals"}`, Endpoint: "sandbox", Started: started,
	}
}

func makeRows(n int) []refbatch.RowRecord {
	rows := make([]refbatch.RowRecord, n)
	for i := range rows {
		rows[i] = refbatch.RowRecord{
			Number: i + 2, Key: refbatch.RowKey(fmt.Sprintf("ext:deal-%07d", i)), Action: "create", Valid: i%10 != 0,
			Hash: fmt.Sprintf("%032x", i), Outcome: refbatch.OutcomePending,
		}
	}
	return rows
}
