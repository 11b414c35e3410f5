package batch_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// TestStatusShowsMicrosoftsSide: the sandbox's Microsoft side declines
// some co-sell referrals and reviews the registrations on its clock; once
// the mirror is refreshed, status counts Microsoft's answers and the
// reviews, and status --rows names them row by row.
func TestStatusShowsMicrosoftsSide(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sample, err := os.ReadFile(filepath.Join("..", "samples", "q3-pipeline.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "q3.xlsx")
	if err := os.WriteFile(input, sample, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{Options: &sandbox.Options{Now: clock, AcceptAfter: time.Second,
		DeclineRate: 0.5, ReviewAfter: time.Hour, Faults: sandbox.Faults{Seed: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	jpath := filepath.Join(dir, "j.db")
	cfg := batch.Config{Today: clock, RegisterWait: 5 * time.Second}
	go func() { // Microsoft answers a second after each link, on the sandbox's clock
		for range 50 {
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			now = now.Add(time.Second)
			mu.Unlock()
		}
	}()
	if _, err := newClient(t, jpath, sb.Endpoint(), cfg).Run(ctx, input); err != nil {
		t.Logf("run: %v (declined co-sell deals cannot be registered)", err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour) // the reviews are due
	mu.Unlock()
	if _, err := newClient(t, jpath, sb.Endpoint(), cfg).Pull(ctx, batch.PullOptions{Out: filepath.Join(dir, "refresh.csv")}); err != nil {
		t.Fatal(err)
	}
	st, err := newClient(t, jpath, batch.Endpoint{}, batch.Config{}).Status(ctx, batch.StatusOptions{Rows: true})
	if err != nil || len(st) != 1 {
		t.Fatalf("status: %v %v", st, err)
	}
	s := st[0]
	t.Logf("Microsoft: %v; registrations: %v", s.Microsoft, s.Registrations)
	declined, accepted := 0, 0
	for k, n := range s.Microsoft {
		switch {
		case strings.HasPrefix(k, "Closed/Declined: "):
			declined += n
		case k == "Active/Accepted":
			accepted += n
		}
	}
	if declined == 0 || accepted == 0 {
		t.Errorf("Microsoft's side: %v, want some declined (with the reason) and some accepted", s.Microsoft)
	}
	reviewed := 0
	for k, n := range s.Registrations {
		if k == "Approved" || strings.HasPrefix(k, "Failed: ") {
			reviewed += n
		}
	}
	if reviewed == 0 {
		t.Errorf("registrations: %v, want reviews", s.Registrations)
	}
	rows := 0
	for _, r := range s.RowList {
		if r.Microsoft != "" {
			rows++
		}
	}
	if rows != declined+accepted {
		t.Errorf("status --rows names Microsoft's side on %d rows, want %d", rows, declined+accepted)
	}
}
