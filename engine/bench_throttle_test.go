package engine_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// benchRun is one run of the engine against an in-process sandbox over
// HTTP, wired as `refbatch run` wires it (an AdaptiveLimiter told nothing
// but --rate, the client's default retry policy, a journal).
type benchRun struct {
	faults  sandbox.Faults
	rows    int
	rate    float64 // --rate; 0: find it
	journal string  // journal.Memory, or "" for a file in a temporary directory
	learnt  float64 // a rate remembered from an earlier run
	// planned, when set, are the rows (planned once for many runs: each
	// run gets copies); otherwise do plans rows creates.
	planned []*engine.Planned
	// profile, when set, is a file for a CPU profile of Execute alone.
	profile string
}

// benchCounts is what the sandbox answered, counted in front of it.
type benchCounts struct {
	requests, ok, throttled atomic.Int64

	// The server's pauses: a refusal while none runs starts one for its
	// Retry-After (refusals inside it are the same pause).
	mu          sync.Mutex
	pauses      int
	paused      time.Duration
	pausedUntil time.Time
	okAtPause   int64 // successful answers when the last pause began
}

// pause records a refusal's Retry-After.
func (c *benchCounts) pause(now time.Time, retryAfter time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Before(c.pausedUntil) {
		return
	}
	c.pauses++
	c.paused += retryAfter
	c.pausedUntil = now.Add(retryAfter)
	c.okAtPause = c.ok.Load()
}

// afterLastPause is the rate of successful answers from the end of the
// server's last pause to end.
func (c *benchCounts) afterLastPause(end time.Time) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pauses == 0 || !end.After(c.pausedUntil) {
		return 0
	}
	return float64(c.ok.Load()-c.okAtPause) / end.Sub(c.pausedUntil).Seconds()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }

func (c *benchCounts) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(sw, r)
		c.requests.Add(1)
		switch {
		case sw.status == http.StatusTooManyRequests:
			c.throttled.Add(1)
			if secs, err := strconv.Atoi(sw.Header().Get("Retry-After")); err == nil {
				c.pause(time.Now(), time.Duration(secs)*time.Second)
			}
		case sw.status < 300:
			c.ok.Add(1)
		}
	})
}

// createRows are n Private creates, planned.
func createRows(tb testing.TB, n int) []*engine.Planned {
	rows := make([]confRow, n)
	for i := range rows {
		ext := fmt.Sprintf("BENCH-%07d", i)
		rows[i] = confRow{kind: kindCreate, ext: ext, values: map[string]string{
			"External Reference ID": ext, "Name": "Deal " + ext, "Customer Name": "Customer " + ext, "Country": "US",
			"Deal Value": "50000", "Currency": "USD", "Closing Date": "2027-06-30", "Deal Type": "Private",
			"Contact First Name": "Ana", "Contact Last Name": "Bauer", "Contact Email": "ana@example.com",
		}}
	}
	return plannedRows(tb, rows)
}

// benchResult is what one benchRun measured.
type benchResult struct {
	counts  *benchCounts
	elapsed time.Duration // Execute, from start to return
	end     time.Time     // when Execute returned
	cpu     time.Duration // the process's CPU time (user and system) during Execute
	learnt  float64       // the limiter's learnt rate at the end
	journal journal.Stats // the journal writer's work during Execute
}

// do runs the rows and returns what the sandbox counted, the time the run
// took and the limiter's learnt rate.
func (br benchRun) do(b *testing.B) benchResult {
	b.Helper()
	ctx := context.Background()
	var planned []*engine.Planned
	if br.planned != nil {
		planned = make([]*engine.Planned, len(br.planned))
		for i, p := range br.planned {
			row := *p.Row
			planned[i] = &engine.Planned{Row: &row, Record: p.Record}
		}
	} else {
		planned = createRows(b, br.rows)
	}
	counts := &benchCounts{}
	ts := httptest.NewServer(counts.wrap(sandbox.New(sandbox.Options{Faults: br.faults})))
	defer ts.Close()
	path := br.journal
	if path == "" {
		path = filepath.Join(b.TempDir(), "journal.db")
	}
	jr, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer jr.Close()
	run := refbatch.NewRunID(time.Now())
	if err := jr.CreateRun(ctx, refbatch.RunInfo{ID: run, InputPath: "bench.csv", Started: time.Now().UTC()}); err != nil {
		b.Fatal(err)
	}
	recs := make([]refbatch.RowRecord, len(planned))
	for i, p := range planned {
		recs[i] = p.Record
	}
	if err := jr.PutRows(ctx, run, recs); err != nil {
		b.Fatal(err)
	}
	limiter := engine.NewAdaptiveLimiter(engine.AdaptiveOptions{Max: br.rate, Learnt: br.learnt})
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	client, err := partnercenter.NewClient(ts.URL,
		partnercenter.WithHTTPClient(&http.Client{Transport: transport}),
		partnercenter.WithTokenSource(partnercenter.StaticToken("bench")),
		partnercenter.WithLimiter(limiter),
		partnercenter.WithObserver(func(a partnercenter.Attempt) { limiter.Observe(a.StatusCode) }),
	)
	if err != nil {
		b.Fatal(err)
	}
	if br.profile != "" {
		f, err := os.Create(br.profile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	js0 := jr.Stats()
	cpu0 := processCPU()
	start := time.Now()
	res, err := engine.Execute(ctx, ctx, planned, engine.ExecOptions{
		Run: run, API: partnercenter.NewReferrals(client), Mapper: partnercenter.NewMapper(), Journal: jr, Concurrency: 8,
	})
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	js := jr.Stats()
	js.Commits, js.Writes = js.Commits-js0.Commits, js.Writes-js0.Writes
	if br.profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		b.Fatal(err)
	}
	if n := res.Counts[refbatch.OutcomeCreated]; n != len(planned) {
		b.Fatalf("%d rows created of %d: %v", n, len(planned), res.Counts)
	}
	learnt, _ := limiter.LearntRate()
	return benchResult{counts: counts, elapsed: elapsed, end: start.Add(elapsed), cpu: cpu, learnt: learnt, journal: js}
}

// BenchmarkThrottle runs create rows against each throttle shape the
// sandbox models, without --rate: the adaptive limiter must find the limit
// by itself. It reports the share of the limit reached over the whole run
// (ramp and pauses included), the same over the time the server was not
// pausing the run (the Retry-After of each refusal that started a pause;
// %-of-limit-unpaused), how many pauses there were, and the share of
// requests throttled. Targets (issue 16): ≥ 90% of a 20/s limit (≤ 5%
// throttled), ≥ 95% of a 100/s limit (≤ 2% throttled), both with ± 10 ms
// of jitter. The sandbox's bucket starts full (one second's worth), which
// the figures include. Against a penalty box the first pause cannot be
// avoided by a run not told the limit: there the figure outside pauses,
// with one pause, is the one that says how well the rate was found (not
// reported for the minute window, whose pause is the wait for the next
// window). For the window, %-of-limit-after-last-pause is the rate from
// the end of the last pause to the end of the run: a run paced at the
// window's rate shows about 100%, one that spends each window in seconds
// many times that. The window's 900 rows take three windows: the first
// two are spent before the run knows it is a window (see
// engine.AdaptiveLimiter), the third is paced. Name a shape with ^…$: 'Throttle/20-per-s$' also runs
// penalty-10s-20-per-s.
//
//	go test ./engine -run '^$' -bench Throttle -benchtime 1x -count 3
func BenchmarkThrottle(b *testing.B) {
	jittery := func(f sandbox.Faults) sandbox.Faults {
		f.Latency, f.Jitter, f.Seed = 20*time.Millisecond, 10*time.Millisecond, 1
		return f
	}
	shapes := []struct {
		name    string
		faults  sandbox.Faults
		rows    int
		perSec  float64 // the limit, in requests per second
		learnt  float64
		limited float64 // --rate
	}{
		{"20-per-s", jittery(sandbox.Faults{RateLimit: 20}), 400, 20, 0, 0},
		{"20-per-s-rate-20", jittery(sandbox.Faults{RateLimit: 20}), 400, 20, 0, 20},
		{"100-per-s", jittery(sandbox.Faults{RateLimit: 100}), 1500, 100, 0, 0},
		{"100-per-s-learnt", jittery(sandbox.Faults{RateLimit: 100}), 1500, 100, 97, 0},
		{"300-per-min", jittery(sandbox.Faults{MinuteLimit: 300, PartnerCenter429: true}), 900, 5, 0, 0},
		{"penalty-10s-20-per-s", jittery(sandbox.Faults{RateLimit: 20, Penalty: 10 * time.Second, PartnerCenter429: true}), 400, 20, 0, 0},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			for b.Loop() {
				r := benchRun{faults: sh.faults, rows: sh.rows, learnt: sh.learnt, rate: sh.limited}.do(b)
				c, elapsed, learnt := r.counts, r.elapsed, r.learnt
				okRate := float64(c.ok.Load()) / elapsed.Seconds()
				b.ReportMetric(elapsed.Seconds(), "s")
				b.ReportMetric(100*okRate/sh.perSec, "%-of-limit")
				if sh.faults.MinuteLimit == 0 { // a window's pause is the wait for the next window: no figure
					b.ReportMetric(100*float64(c.ok.Load())/(elapsed-c.paused).Seconds()/sh.perSec, "%-of-limit-unpaused")
				} else {
					// Paced, a run uses a window over its length; a run
					// that spends each window in seconds shows many
					// times the limit here.
					b.ReportMetric(100*c.afterLastPause(r.end)/sh.perSec, "%-of-limit-after-last-pause")
				}
				b.ReportMetric(float64(c.pauses), "pauses")
				b.ReportMetric(100*float64(c.throttled.Load())/float64(c.requests.Load()), "%-throttled")
				b.ReportMetric(learnt, "learnt-req/s")
			}
		})
	}
}

// zeroLatencyProfile names a directory for CPU profiles of
// BenchmarkZeroLatency's runs, Execute alone (the planning, the journal's
// setup and the sandbox's start are left out): memory-N.pprof and
// disk-N.pprof. Read them together with
// `go tool pprof -top engine.test DIR/disk-*.pprof`.
var zeroLatencyProfile = flag.String("zerolatency.profile", "", "directory for CPU profiles of BenchmarkZeroLatency's runs")

// BenchmarkZeroLatency runs 5,000 creates against a sandbox that answers
// at once, with --rate far above what the machine reaches: the CPU a row
// costs, sandbox, client, engine and journal included. Each iteration runs
// the same rows with an in-memory journal, then with a journal file, back
// to back, so that the ratio compares runs made under the same load of the
// machine. It reports rows/s of each, the file's rows/s as a share of the
// memory run's, the CPU time of the whole process per row (user and
// system, all goroutines: the sandbox's too) and the rows each commit of
// the file carried (one fsync each: the group commit's reach). Targets
// (issue 16): ≥ 5,000 rows/s on 2 cores; a disk journal within 5% of an
// in-memory one.
//
//	go test ./engine -run '^$' -bench ZeroLatency -benchtime 3x -count 5
//	go test ./engine -run '^$' -bench ZeroLatency -benchtime 3x -o engine.test -args -zerolatency.profile DIR
func BenchmarkZeroLatency(b *testing.B) {
	const rows = 5000
	planned := createRows(b, rows)
	kinds := [...]struct{ name, path string }{{"memory", journal.Memory}, {"disk", ""}}
	var elapsed, cpu [len(kinds)]time.Duration
	var commits [len(kinds)]int64
	i := 0
	for b.Loop() {
		i++
		for k, kind := range kinds {
			br := benchRun{rows: rows, rate: 1e6, journal: kind.path, planned: planned}
			if *zeroLatencyProfile != "" {
				br.profile = filepath.Join(*zeroLatencyProfile, fmt.Sprintf("%s-%d.pprof", kind.name, i))
			}
			r := br.do(b)
			if testing.Verbose() {
				b.Logf("%s: %.0f rows/s, %.0f µs CPU a row, journal %+v", kind.name, rows/r.elapsed.Seconds(), float64(r.cpu.Microseconds())/rows, r.journal)
			}
			elapsed[k] += r.elapsed
			cpu[k] += r.cpu
			commits[k] += r.journal.Commits
		}
	}
	n := float64(rows * i)
	for k, kind := range kinds {
		b.ReportMetric(n/elapsed[k].Seconds(), kind.name+"-rows/s")
		if cpu[k] > 0 {
			b.ReportMetric(float64(cpu[k].Microseconds())/n, kind.name+"-cpu-us/row")
		}
	}
	b.ReportMetric(100*elapsed[0].Seconds()/elapsed[1].Seconds(), "%-disk/memory")
	b.ReportMetric(n/float64(commits[1]), "disk-rows/commit")
}
