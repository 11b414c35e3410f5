package batch_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writeCreates writes n Private create rows (ids from first) to a CSV.
func writeCreates(tb testing.TB, path string, first, n int, appendTo bool) {
	tb.Helper()
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(f)
	if !appendTo {
		_ = w.Write([]string{"CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency", "Close Date"})
	}
	for i := first; i < first+n; i++ {
		_ = w.Write([]string{fmt.Sprintf("BENCH-%07d", i), fmt.Sprintf("Deal %d", i), "Private", fmt.Sprintf("Customer %d", i), "US", "50000", "USD", "2027-09-30"})
	}
	w.Flush()
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// counting wraps the sandbox and counts what it answers.
type counting struct {
	h         http.Handler
	requests  atomic.Int64
	throttled atomic.Int64
	ok        atomic.Int64
	firstOnce sync.Once
	first     atomic.Int64 // unix nanos of the first API request
	writeOnce sync.Once
	write     atomic.Int64 // unix nanos of the first write (POST or PATCH)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.firstOnce.Do(func() { c.first.Store(time.Now().UnixNano()) })
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		c.writeOnce.Do(func() { c.write.Store(time.Now().UnixNano()) })
	}
	sw := &statusWriter{ResponseWriter: w, status: 200}
	c.h.ServeHTTP(sw, r)
	c.requests.Add(1)
	switch {
	case sw.status == http.StatusTooManyRequests:
		c.throttled.Add(1)
	case sw.status < 300:
		c.ok.Add(1)
	}
}
