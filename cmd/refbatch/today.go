package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/pflag"
)

// todayEnv names the environment variable that --today falls back to.
const todayEnv = "REFBATCH_TODAY"

// todayFlag is --today DATE (else REFBATCH_TODAY): the date the rules, and a
// sandbox this process starts, take as today. A file is checked as of the day
// it was written (a contract signed on 2026-11-16 is registrable for 60 days
// after it, not on the day someone reads the README), and a rehearsal
// replays it. The clock keeps ticking: only whole days are added, so
// durations, token lifetimes and the sandbox's acceptance delay are real.
type todayFlag struct {
	value string
}

func (t *todayFlag) bind(fs *pflag.FlagSet, usage string) {
	fs.StringVar(&t.value, "today", "", usage+" (YYYY-MM-DD; env "+todayEnv+")")
}

// resolve is the --today value, else REFBATCH_TODAY, checked: "" when
// neither is set.
func (t todayFlag) resolve(e env) (string, error) {
	v, from := t.value, "--today"
	if v == "" {
		v, from = e.lookupEnv(todayEnv), todayEnv
	}
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", usageError("%s %q is not a date: write it as YYYY-MM-DD, e.g. 2026-11-20", from, v)
	}
	return v, nil
}

// asOf is the clock a command runs on: now (nil: time.Now) moved by whole
// days so that its UTC date is today (YYYY-MM-DD), or now itself when today
// is "". The shift is fixed when asOf is called.
func asOf(today string, now func() time.Time) (func() time.Time, error) {
	if now == nil {
		now = time.Now
	}
	if today == "" {
		return now, nil
	}
	day, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return nil, usageError("--today %q is not a date: write it as YYYY-MM-DD", today)
	}
	shift := day.Sub(now().UTC().Truncate(24 * time.Hour))
	return func() time.Time { return now().Add(shift) }, nil
}

// asOfNote is the line that says a command checked dates as of another day.
func asOfNote(today string) string {
	return fmt.Sprintf("dates checked as of %s (--today or %s), not the calendar's today", today, todayEnv)
}

// todayNeedsSandbox refuses --today for a run against anything but a
// sandbox: the embedded one, whose clock it also sets, or one on a loopback
// endpoint (started with the same --today). Partner Center decides deal
// registrations by its own calendar, so rules passing as of another day
// would only move the refusal to the API; and the journal's step times,
// taken from the same clock, must be comparable with the server's
// createdDateTime for resume to reconcile lost answers.
func todayNeedsSandbox(today string, embedded bool, endpoint string) error {
	if today == "" || embedded {
		return nil
	}
	if u, err := url.Parse(endpoint); err == nil && endpoint != "" && isLoopbackHost(u.Hostname()) {
		return nil
	}
	return usageError("--today (or %s) is for validate, plan and rehearsals against a sandbox (--sandbox, or refbatch sandbox --today on this machine): Partner Center checks dates by its own calendar", todayEnv)
}

// endpointOr is the endpoint given, else the run's own.
func endpointOr(given, own string) string {
	if given != "" {
		return given
	}
	return own
}
