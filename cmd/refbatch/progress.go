package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/refbatch/refbatch"
)

// plainInterval is how often progress is printed as a plain line when
// stderr is not a terminal (a log file, CI).
const plainInterval = 10 * time.Second

// progress shows a run's progress: a bar on a terminal, a line every
// plainInterval otherwise, nothing with --quiet. Its methods are called
// from the engine's and the client's goroutines.
type progress struct {
	w     io.Writer
	total int
	now   func() time.Time
	start time.Time

	rows, failed, skipped, requests, throttled atomic.Int64

	bar  *progressbar.ProgressBar
	stop chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer, quiet bool, total int, now func() time.Time) *progress {
	p := &progress{w: w, total: total, now: now, start: now()}
	if quiet {
		return p
	}
	p.stop = make(chan struct{})
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("rows"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		p.tick(500*time.Millisecond, func() {
			p.bar.Describe(fmt.Sprintf("rows (%d failed, %d skipped, %.0f req/s, %d throttled)",
				p.failed.Load(), p.skipped.Load(), p.rate(), p.throttled.Load()))
		})
		return p
	}
	p.tick(plainInterval, func() { fmt.Fprintln(w, p.line()) })
	return p
}

func (p *progress) tick(every time.Duration, f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				f()
			}
		}
	}()
}

func (p *progress) rate() float64 {
	s := p.now().Sub(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(p.requests.Load()) / s
}

func (p *progress) line() string {
	done := p.rows.Load()
	eta := ""
	if r := float64(done) / p.now().Sub(p.start).Seconds(); done > 0 && r > 0 && int(done) < p.total {
		eta = fmt.Sprintf(", ETA %s", (time.Duration(float64(p.total-int(done))/r) * time.Second).Round(time.Second))
	}
	return fmt.Sprintf("progress: %d/%d rows (%d failed, %d skipped), %d requests (%.1f/s), %d throttled%s",
		done, p.total, p.failed.Load(), p.skipped.Load(), p.requests.Load(), p.rate(), p.throttled.Load(), eta)
}

// already counts the rows an earlier attempt finished.
func (p *progress) already(n int) {
	p.rows.Add(int64(n))
	if p.bar != nil && n > 0 {
		_ = p.bar.Add(n)
	}
}

// done counts a row that reached an outcome.
func (p *progress) done(o refbatch.Outcome) {
	p.rows.Add(1)
	switch o {
	case refbatch.OutcomeFailed, refbatch.OutcomeInDoubt:
		p.failed.Add(1)
	case refbatch.OutcomeSkippedInvalid:
		p.skipped.Add(1)
	}
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

// request counts an answer (status 0: none came).
func (p *progress) request(status int) {
	p.requests.Add(1)
	if status == 429 || status == 503 {
		p.throttled.Add(1)
	}
}

func (p *progress) finish() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
