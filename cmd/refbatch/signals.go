package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interrupts turns Ctrl-C, SIGTERM and a closed terminal (SIGHUP) into
// refbatch's two-stage stop: the first signal calls the stop a command
// registered with onFirst (a run stops taking rows and finishes what is in
// flight), or cancels the command's context when it registered none; the
// second cancels the context, and with it the requests in flight.
type interrupts struct {
	mu    sync.Mutex
	first func()
}

// onFirst registers what the first signal does. Safe on a nil receiver
// (tests build env without interrupts).
func (i *interrupts) onFirst(f func()) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.first = f
}

func (i *interrupts) firstStop() (func(), bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.first, i.first != nil
}

// withInterrupts returns a context that the signals cancel as described
// on interrupts. SIGHUP is caught only when it is not ignored: under nohup
// the run goes on when the terminal closes, as nohup asks.
func withInterrupts(parent context.Context, stderr io.Writer) (ctx context.Context, in *interrupts, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	in = &interrupts{}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if !signal.Ignored(syscall.SIGHUP) {
		signal.Notify(sigs, syscall.SIGHUP)
	}
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				n++
				if first, ok := in.firstStop(); n == 1 && ok {
					what := "interrupted"
					if sig == syscall.SIGHUP {
						what = "the terminal closed (SIGHUP)"
					}
					fmt.Fprintf(stderr, "\nrefbatch: %s: stopping; no new row starts, requests in flight finish (Ctrl-C again to cancel them)\n", what)
					first()
					continue
				}
				if n > 1 {
					fmt.Fprintln(stderr, "\nrefbatch: cancelling the requests in flight")
				}
				cancel()
				return
			}
		}
	}()
	return ctx, in, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
