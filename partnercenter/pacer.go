package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryPolicy says how often and how patiently the client repeats an
// idempotent request. The engine may tune it (WithRetryPolicy); zero fields
// take the defaults of DefaultRetryPolicy.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one idempotent call, the first
	// included. 1 disables retries. Referrals (the engine's view) makes its
	// step calls once whatever this says: the engine owns their retries;
	// only its listings' pages are retried here.
	MaxAttempts int
	// BaseDelay is the upper bound of the first backoff; it doubles with
	// each retry up to MaxDelay. The sleep is drawn uniformly from
	// [0, bound] ("full jitter"), so concurrent workers spread out.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter caps how long one server Retry-After is honoured. The
	// pacer sleeps min(Retry-After, MaxRetryAfter) plus the jittered
	// backoff: never sooner than the server asked, and not all at once.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds one attempt (connect, send, read the answer);
	// 0 leaves only the caller's context. An attempt that times out is a
	// Retryable TransportError wrapping ErrAttemptTimeout, in doubt for a
	// write.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy is the policy of a Client built without
// WithRetryPolicy.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:    5,
		BaseDelay:      500 * time.Millisecond,
		MaxDelay:       30 * time.Second,
		MaxRetryAfter:  2 * time.Minute,
		AttemptTimeout: 2 * time.Minute,
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.AttemptTimeout < 0 {
		p.AttemptTimeout = 0
	}
	return p
}

// Limiter paces requests before they leave, for example a
// *golang.org/x/time/rate.Limiter shared by every worker. Wait blocks until
// a request may be sent or ctx ends.
type Limiter interface {
	Wait(ctx context.Context) error
}

// pacer runs the attempts of one call: it waits for the limiter before each
// attempt and, for idempotent calls only, repeats Retryable and RetryAfter
// failures with backoff. Modelled on rclone's lib/pacer, but every wait
// selects on ctx.Done(). Safe for concurrent use.
type pacer struct {
	policy  RetryPolicy
	limiter Limiter // nil: no pacing
	log     *slog.Logger
	// gate holds every attempt of every worker back while the server's
	// Retry-After of a throttled answer (429, 509) runs: a limit is per
	// partner tenant, so one worker's 429 speaks for all of them. Shared
	// by the pacers of one Client (see Client.singleAttempt).
	gate *gate

	mu  sync.Mutex
	rnd *rand.Rand // nil: the global, concurrency-safe source
}

// do runs attempt (n counts from 1) until it succeeds or fails for good.
//
// idempotent says whether a failed attempt may be repeated. Only GET, a
// PATCH carrying If-Match (the eTag makes a second application fail with
// 412 rather than apply twice) and the body-less eligibility POST (it only
// reads) are. A create POST is never repeated here, whatever the error: a
// lost answer may hide a created referral, and a duplicate is the worst
// outcome; the engine reconciles it through the list API instead.
func (p *pacer) do(ctx context.Context, idempotent bool, attempt func(n int) error) error {
	var priorInDoubt bool
	final := func(err error) error {
		if priorInDoubt && !IsInDoubt(err) {
			return &priorInDoubtError{err}
		}
		return err
	}
	for n := 1; ; n++ {
		if err := p.wait(ctx); err != nil {
			return final(err)
		}
		err := attempt(n)
		if err == nil {
			return nil
		}
		p.throttled(err)
		if !idempotent || n >= p.policy.MaxAttempts {
			return final(err)
		}
		if c := Classify(err); c != Retryable && c != RetryAfter {
			return final(err)
		}
		priorInDoubt = priorInDoubt || IsInDoubt(err)
		d := p.delay(n, err)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
			return final(err) // sleeping would only end in DeadlineExceeded
		}
		p.log.InfoContext(ctx, "partnercenter: retrying", "attempt", n, "in", d, "err", err)
		if serr := sleep(ctx, d); serr != nil {
			return final(fmt.Errorf("%w while waiting to retry; last error: %w", serr, err))
		}
	}
}

// wait blocks on the limiter. rate.Limiter answers a wait that would pass
// the context's deadline with an error of its own, which is classified as
// the deadline it is.
func (p *pacer) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.gate.wait(ctx); err != nil {
		return fmt.Errorf("partnercenter: wait for the server's Retry-After: %w", err)
	}
	if p.limiter == nil {
		return nil
	}
	err := p.limiter.Wait(ctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("partnercenter: wait for rate limiter: %w", ctx.Err())
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("partnercenter: wait for rate limiter: %w", err)
	default:
		if _, ok := ctx.Deadline(); ok {
			return fmt.Errorf("partnercenter: wait for rate limiter: %v: %w", err, context.DeadlineExceeded)
		}
		return fmt.Errorf("partnercenter: wait for rate limiter: %w", err)
	}
}

// ThrottleObserver is implemented by a Limiter that wants to know the
// server's Retry-After of each throttled answer (429, 509): the adaptive
// limiter reads the server's limit over a window from it.
type ThrottleObserver interface {
	Throttled(retryAfter time.Duration)
}

// throttled closes the gate for the Retry-After of a throttled answer
// (capped by MaxRetryAfter) and tells the limiter. A 503 does not close
// it: a few 503s among clean answers are failures of single requests.
func (p *pacer) throttled(err error) {
	ae, ok := errors.AsType[*APIError](err)
	if !ok || !ae.Throttled() || ae.Wait <= 0 {
		return
	}
	d := min(ae.Wait, p.policy.MaxRetryAfter)
	p.gate.closeFor(d)
	if t, ok := p.limiter.(ThrottleObserver); ok {
		t.Throttled(d)
	}
	p.log.Info("partnercenter: throttled; every request waits", "retry_after", d, "path", ae.Path)
}

// gate is a pause shared by every worker: closed until a time.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

// closeFor keeps the gate closed for at least d from now.
func (g *gate) closeFor(d time.Duration) {
	if g == nil {
		return
	}
	t := time.Now().Add(d)
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.After(g.until) {
		g.until = t
	}
}

// wait blocks until the gate opens or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	if g == nil {
		return nil
	}
	for {
		g.mu.Lock()
		d := time.Until(g.until)
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		// The gate may close again meanwhile (another 429): look again.
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// delay is the sleep before retry n (n ≥ 1): an exponential backoff with
// full jitter, after the server's Retry-After (capped) when it sent one.
func (p *pacer) delay(n int, err error) time.Duration {
	bound := p.policy.MaxDelay
	if shift := n - 1; shift < 40 {
		if b := p.policy.BaseDelay << shift; b > 0 && b < bound {
			bound = b
		}
	}
	d := p.jitter(bound)
	if ae, ok := errors.AsType[*APIError](err); ok && ae.Wait > 0 {
		d += min(ae.Wait, p.policy.MaxRetryAfter)
	}
	return d
}

// jitter is uniform in [0, bound].
func (p *pacer) jitter(bound time.Duration) time.Duration {
	if bound <= 0 {
		return 0
	}
	if p.rnd == nil {
		return rand.N(bound + 1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Duration(p.rnd.Int64N(int64(bound) + 1))
}

// sleep waits d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
