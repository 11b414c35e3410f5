package batch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// seedReferrals stores n partner referrals in sb, as if made before refbatch
// ever ran (the UI, another tool).
func seedReferrals(b *testing.B, sb *sandbox.Server, n int) {
	b.Helper()
	headers := []string{"CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency", "Close Date"}
	mapper := partnercenter.NewMapper()
	refs := make([]partnercenter.Referral, 0, 1000)
	for i := range n {
		row, _, err := importer.RowFromRecord(headers, []string{fmt.Sprintf("SEED-%07d", i), "Seeded deal", "Private", "Contoso", "US", "50000", "USD", "2027-09-30"}, importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		req, err := mapper.Create(row)
		if err != nil {
			b.Fatal(err)
		}
		var ref partnercenter.Referral
		if err := json.Unmarshal(req.Body, &ref); err != nil {
			b.Fatal(err)
		}
		ref.ID = fmt.Sprintf("seed-%07d", i)
		// Made a month ago: an incremental refresh does not list them.
		old := time.Now().UTC().AddDate(0, -1, 0).Add(time.Duration(i) * time.Second)
		ref.CreatedDateTime, ref.UpdatedDateTime = &old, &old
		refs = append(refs, ref)
		if len(refs) == cap(refs) || i == n-1 {
			if err := sb.Seed(refs...); err != nil {
				b.Fatal(err)
			}
			refs = refs[:0]
		}
	}
}

// BenchmarkMirror: the first full listing of 100,000 referrals into a new
// journal's mirror, against a sandbox allowing 100 requests/s (pages of
// 100), then the incremental refresh of the next run after 10 new
// referrals. Each run loads a one-row file, so the refresh is what is
// measured.
//
//	go test ./batch -run '^$' -bench Mirror -benchtime 1x
func BenchmarkMirror(b *testing.B) {
	const seeded = 100_000
	opts := &sandbox.Options{Faults: sandbox.Faults{RateLimit: 100, Seed: 1}}
	sb, err := batch.StartSandbox(context.Background(), batch.SandboxConfig{Options: opts})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	seedReferrals(b, sb.Server(), seeded)
	for b.Loop() {
		dir := b.TempDir()
		input := filepath.Join(dir, "in.csv")
		writeCreates(b, input, 0, 1, false)
		jpath := filepath.Join(dir, "j.db")
		full := runForMirror(b, jpath, sb, input)
		writeCreates(b, input, 1, 10, false)
		runForMirror(b, jpath, sb, input) // 10 new referrals
		writeCreates(b, input, 11, 1, false)
		incr := runForMirror(b, jpath, sb, input)
		b.ReportMetric(full.Elapsed.Seconds(), "s-full-listing")
		b.ReportMetric(float64(full.Listed), "listed-full")
		b.ReportMetric(incr.Elapsed.Seconds(), "s-incremental")
		b.ReportMetric(float64(incr.Listed), "listed-incremental")
	}
}

func runForMirror(b *testing.B, jpath string, sb *batch.Sandbox, input string) batch.MirrorRefresh {
	b.Helper()
	jr, err := batch.OpenJournal(context.Background(), jpath, true)
	if err != nil {
		b.Fatal(err)
	}
	defer jr.Close()
	c, err := batch.NewClient(jr, sb.Endpoint(), batch.Config{Settle: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	res, err := c.Run(context.Background(), input)
	if err != nil {
		b.Fatal(err)
	}
	return res.Mirror
}
