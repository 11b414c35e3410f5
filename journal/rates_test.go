package journal_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/refbatch/refbatch/journal"
)

// TestLearntRate: a rate remembered for an endpoint is read back for the
// same endpoint (case and a trailing slash aside), replaced by the next
// run's, survives a reopen, and other endpoints know nothing.
func TestLearntRate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	at := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	j, err := journal.Open(ctx, path, journal.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.LearntRate(ctx, "https://api.partner.microsoft.com"); err != nil || ok {
		t.Fatalf("empty journal: ok=%v err=%v", ok, err)
	}
	if err := j.RememberRate(ctx, "https://api.partner.microsoft.com", 19.7); err != nil {
		t.Fatal(err)
	}
	if err := j.RememberRate(ctx, "https://API.partner.microsoft.com/", 18.5); err != nil {
		t.Fatal(err)
	}
	if err := j.RememberRate(ctx, "http://127.0.0.1:8765", 97); err != nil {
		t.Fatal(err)
	}
	if err := j.RememberRate(ctx, "http://127.0.0.1:8765", 0); err == nil {
		t.Error("a zero rate was remembered")
	}
	j.Close()

	j, err = journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r, ok, err := j.LearntRate(ctx, "https://api.partner.microsoft.com/")
	if err != nil || !ok || r.Rate != 18.5 || !r.Updated.Equal(at) {
		t.Errorf("LearntRate = %+v, %v, %v; want 18.5 at %v", r, ok, err, at)
	}
	if r, ok, _ := j.LearntRate(ctx, "http://127.0.0.1:8765"); !ok || r.Rate != 97 {
		t.Errorf("sandbox endpoint: %+v %v", r, ok)
	}
	if _, ok, _ := j.LearntRate(ctx, "http://127.0.0.1:9999"); ok {
		t.Error("an endpoint never run against has a rate")
	}
}
