package main

import (
	"context"
	"time"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// endpointChoice says which endpoint a command over an existing journal
// talks to: the one the journal recorded (own: the API's URL, or the
// embedded sandbox and its state file), unless --endpoint gives another
// (the client refuses one the journal does not belong to).
type endpointChoice struct {
	own, given string
	tables     string           // the run's --tables, for the embedded sandbox's catalog
	today      string           // --today: only with the embedded sandbox
	now        func() time.Time // nil: time.Now
	leads      int              // leads to seed in the embedded sandbox (pull --sandbox-leads)
	settings   *batch.Settings
}

// open returns the endpoint, the clock of the run (--today's), and what
// stops the embedded sandbox when one was started.
func (ch endpointChoice) open(ctx context.Context, e env) (batch.Endpoint, func() time.Time, func(), error) {
	noop := func() {}
	state, embedded := batch.SandboxStateOf(ch.own)
	embedded = embedded && ch.given == ""
	if err := todayNeedsSandbox(ch.today, embedded, endpointOr(ch.given, ch.own)); err != nil {
		return batch.Endpoint{}, nil, noop, err
	}
	now, err := asOf(ch.today, ch.now)
	if err != nil {
		return batch.Endpoint{}, nil, noop, err
	}
	if !embedded {
		ep, err := realEndpoint(endpointOr(ch.given, ch.own), ch.settings, e)
		return ep, now, noop, err
	}
	sb, err := batch.StartSandbox(ctx, batch.SandboxConfig{StateFile: state, TablesDir: ch.tables, Leads: ch.leads, Options: &sandbox.Options{Now: now}})
	if err != nil {
		return batch.Endpoint{}, nil, noop, err
	}
	return sb.Endpoint(), now, func() { _ = sb.Close() }, nil
}
