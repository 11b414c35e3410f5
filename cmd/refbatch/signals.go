package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// feedKey carries the feed context: the context whose end means "start no
// new rows", as opposed to the work context, whose end cancels the
// requests in flight (river's StartWorkContext).
type feedKey struct{}

// feedContext returns the feed context stored in ctx, or ctx itself.
func feedContext(ctx context.Context) context.Context {
	if f, ok := ctx.Value(feedKey{}).(context.Context); ok {
		return f
	}
	return ctx
}

// withInterrupts returns a work context that carries a feed context. The
// first Ctrl-C (or SIGTERM) ends the feed context: a run starts no new rows
// and finishes the steps in flight. The second ends the work context: the
// requests in flight are cancelled, and the journal says which are in
// doubt. stop releases the signal handler.
func withInterrupts(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	feed, stopFeed := context.WithCancel(parent)
	work, stopWork := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				n++
				if n == 1 {
					fmt.Fprintln(stderr, "\nrefbatch: interrupted: finishing the requests in flight (Ctrl-C again to cancel them)")
					stopFeed()
					continue
				}
				fmt.Fprintln(stderr, "\nrefbatch: cancelling the requests in flight")
				stopWork()
				return
			}
		}
	}()
	return context.WithValue(work, feedKey{}, feed), func() {
		signal.Stop(sigs)
		close(done)
		stopFeed()
		stopWork()
	}
}
