package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sourcegraph/conc/stream"

	"github.com/refbatch/refbatch"
)

// RowSource yields the rows of one input file in file order, with the
// findings of cells it could not parse. A row it marks NotLoaded (a total
// row) comes with the finding saying so and is not checked. It returns
// io.EOF after the last row. It is used by one goroutine.
type RowSource interface {
	Next(ctx context.Context) (*refbatch.Row, []refbatch.Finding, error)
}

// RowChecker checks one row against the policies and appends its findings to
// dst. Validate gives each worker goroutine its own RowChecker.
type RowChecker interface {
	Evaluate(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding
}

// OrderedChecker checks what depends on earlier rows (duplicates). Validate
// calls it in file order from a single goroutine.
type OrderedChecker interface {
	Check(dst []refbatch.Finding, row *refbatch.Row) []refbatch.Finding
}

// ValidateOptions configures Validate.
type ValidateOptions struct {
	// NewChecker returns a checker for one worker goroutine. Required.
	NewChecker func() RowChecker
	// Ordered, if set, runs in file order after the row's own checks.
	Ordered OrderedChecker
	// Sink receives every row with all its findings, in file order, from a
	// single goroutine. The findings slice is not reused afterwards; the row
	// is handed to Release (if set) once Sink returns. Sink must return, not
	// exit its goroutine (no t.Fatal inside it).
	// An error from Sink stops the validation and is returned.
	Sink func(row *refbatch.Row, findings []refbatch.Finding) error
	// Release, if set, is called with each row after Sink has returned, so
	// that the source can reuse its memory.
	Release func(row *refbatch.Row)
	// Workers is the number of checking goroutines; 0 means GOMAXPROCS.
	Workers int
	// BatchSize is the number of rows handed to a worker at once; 0 means 256.
	BatchSize int
}

// Validate reads every row from src, checks it, and hands it to opts.Sink in
// file order. A row marked NotLoaded reaches the sink too, with the source's
// findings only: no rule checks it, and the summary counts it as a row not
// loaded (Summary.NotLoaded), never as valid. It returns the summary of what
// it delivered. On an error from
// src, the sink or ctx, it stops reading, lets the rows already read finish,
// and returns that error: the sink never sees a row out of order or twice.
func Validate(ctx context.Context, src RowSource, opts ValidateOptions) (refbatch.Summary, error) {
	var summary refbatch.Summary
	if opts.NewChecker == nil {
		return summary, errors.New("validate: no checker")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	batchSize := opts.BatchSize
	if batchSize <= 0 {
		batchSize = 256
	}

	checkers := make(chan RowChecker, workers)
	for range workers {
		checkers <- opts.NewChecker()
	}
	batches := sync.Pool{New: func() any { return new(batch) }}

	var (
		failed  atomic.Bool
		sinkErr error // written only by the callback goroutine, read after Wait
	)
	s := stream.New().WithMaxGoroutines(workers)
	submit := func(b *batch) {
		s.Go(func() stream.Callback {
			c := <-checkers
			for i, row := range b.rows {
				if row.NotLoaded == "" {
					b.findings[i] = c.Evaluate(b.findings[i], row)
				}
			}
			checkers <- c
			return func() {
				defer func() { b.reset(); batches.Put(b) }()
				if failed.Load() {
					return
				}
				for i, row := range b.rows {
					f := b.findings[i]
					if row.NotLoaded != "" {
						summary.AddNotLoaded(f)
					} else {
						if opts.Ordered != nil {
							f = opts.Ordered.Check(f, row)
						}
						summary.Add(f)
					}
					if opts.Sink != nil {
						if err := opts.Sink(row, f); err != nil {
							sinkErr = err
							failed.Store(true)
							return
						}
					}
					if opts.Release != nil {
						opts.Release(row)
					}
				}
			}
		})
	}

	var readErr error
	b := batches.Get().(*batch)
	for !failed.Load() {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		row, findings, err := src.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		b.rows = append(b.rows, row)
		// Copy: the source may reuse its findings slice for the next row.
		b.findings = append(b.findings, append([]refbatch.Finding(nil), findings...))
		if len(b.rows) == batchSize {
			submit(b)
			b = batches.Get().(*batch)
		}
	}
	if len(b.rows) > 0 && readErr == nil {
		submit(b)
	}
	s.Wait()

	switch {
	case sinkErr != nil:
		return summary, fmt.Errorf("write results: %w", sinkErr)
	case readErr != nil:
		return summary, readErr
	}
	return summary, nil
}

type batch struct {
	rows     []*refbatch.Row
	findings [][]refbatch.Finding
}

func (b *batch) reset() {
	clear(b.rows)
	clear(b.findings)
	b.rows = b.rows[:0]
	b.findings = b.findings[:0]
}
