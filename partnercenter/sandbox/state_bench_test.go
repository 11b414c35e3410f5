package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// benchState returns a sandbox holding n referrals shaped like the
// create-referral document's example (about 1.5 KB of JSON each), whose
// state file has just been written.
func benchState(b *testing.B, n int) *Server {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "requests", "create-referral.json"))
	if err != nil {
		b.Fatal(err)
	}
	var in pc.Referral
	if e := decodeBody(body, &in); e != nil {
		b.Fatal(e)
	}
	s := New(Options{})
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.locked(func() {
		for i := range n {
			ref := deepCopy(in)
			ref.ExternalReferenceID = fmt.Sprintf("CRM-%06d", i)
			if _, e := s.createLocked(ref, now); e != nil {
				b.Fatal(e)
			}
		}
	})
	s.state = &stateFile{path: filepath.Join(b.TempDir(), "sandbox.state")}
	s.locked(func() { err = s.compactLocked() })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkStateSave compares the two ways of saving a committed write:
// rewriting the whole state (what Open and compaction do: temporary file,
// fsync, rename) and appending the one referral that changed (what every
// write does: one line and an fsync).
func BenchmarkStateSave(b *testing.B) {
	for _, n := range []int{1000, 50000} {
		b.Run(fmt.Sprintf("whole-file/%d", n), func(b *testing.B) {
			s := benchState(b, n)
			b.ResetTimer()
			for b.Loop() {
				s.mu.Lock()
				err := s.compactLocked()
				s.mu.Unlock()
				if err != nil {
					b.Fatal(err)
				}
			}
			st, _ := os.Stat(s.state.path)
			b.ReportMetric(float64(st.Size())/(1<<20), "MB")
		})
		b.Run(fmt.Sprintf("append/%d", n), func(b *testing.B) {
			s := benchState(b, n)
			rec := s.order[n/2]
			b.ResetTimer()
			for b.Loop() {
				s.mu.Lock()
				e := s.persistLocked(rec.seq, rec.ref, rec.acceptAt, false)
				s.mu.Unlock()
				if e != nil {
					b.Fatal(e)
				}
			}
		})
	}
}
