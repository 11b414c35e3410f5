package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// readDrawEvery is how often validate redraws its progress line.
const readDrawEvery = 200 * time.Millisecond

// readProgress is validate's progress on a terminal: one line, redrawn at
// most every readDrawEvery, with the rows read and the rate, cleared when
// validation ends. It is drawn from the goroutine that hands validate its
// rows in file order, so it needs no lock, and it has no timer: a redraw
// happens when a row arrives late enough after the last one.
type readProgress struct {
	w           io.Writer
	now         func() time.Time
	start, last time.Time
	rows        int
	drawn       bool
}

// stderrTerminal is stderr when it is a terminal, else nil: piped or
// redirected, validate prints no progress.
func stderrTerminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return w
	}
	return nil
}

// newReadProgress returns nil (no progress) when w is nil.
func newReadProgress(w io.Writer, now func() time.Time) *readProgress {
	if w == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	t := now()
	return &readProgress{w: w, now: now, start: t, last: t}
}

// row counts a row read; every 256 rows it looks at the clock.
func (p *readProgress) row() {
	if p == nil {
		return
	}
	p.rows++
	if p.rows%256 != 0 {
		return
	}
	t := p.now()
	if t.Sub(p.last) < readDrawEvery {
		return
	}
	p.last = t
	rate := float64(p.rows) / t.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\rvalidating: %s rows read (%s rows/s)\033[K", money(float64(p.rows)), money(float64(int64(rate))))
	p.drawn = true
}

// finish clears the line, so the summary starts on a clean one.
func (p *readProgress) finish() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
