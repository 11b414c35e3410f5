package batch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
)

// PullOptions say what Pull writes.
type PullOptions struct {
	// Out is the workbook to write, .xlsx or .csv. An existing file is
	// replaced only with Force: a pulled workbook is what people edit.
	Out   string
	Force bool
	// Direction keeps "incoming" leads or "outgoing" referrals only; ""
	// keeps both.
	Direction string
	// Statuses keeps referrals in these statuses (New, Active, Closed);
	// none keeps all.
	Statuses []string
	// UpdatedSince keeps referrals updated at or after it; zero keeps all.
	UpdatedSince time.Time
}

// PullResult is what Pull wrote.
type PullResult struct {
	Out     string
	Rows    int
	Mirror  MirrorRefresh
	Elapsed time.Duration
}

// Pull refreshes the journal's mirror of Partner Center and writes the
// partner's referrals to opts.Out in refbatch's columns, one row per
// referral with its Referral ID (exporter.Pulled: read-only columns for
// what Partner Center says, hidden columns with the pulled values and
// eTag for the round trip). The workbook streams from the mirror: memory
// stays flat however many referrals there are. Nothing is written to
// Partner Center; the file appears only when complete.
func (c *Client) Pull(ctx context.Context, opts PullOptions) (PullResult, error) {
	out := PullResult{Out: opts.Out}
	dir, err := pullDirection(opts.Direction)
	if err != nil {
		return out, err
	}
	if err := exporter.CheckReplace(opts.Out, opts.Force); err != nil {
		return out, err
	}
	_, ctx, end, err := c.begin(ctx)
	if err != nil {
		return out, err
	}
	defer end()
	start := c.cfg.Now()
	policy, err := LoadPolicy(c.cfg.Input, c.cfg.Today)
	if err != nil {
		return out, err
	}
	if err := c.bind(ctx); err != nil {
		return out, err
	}
	conn, err := c.connect(ctx, refbatch.NewRunID(start))
	if err != nil {
		return out, err
	}
	if out.Mirror, err = c.refreshMirror(ctx, conn.api); err != nil {
		return out, err
	}
	w, err := exporter.NewPulled(opts.Out, TemplateOptions(policy))
	if err != nil {
		return out, err
	}
	mapper := partnercenter.NewMapper()
	filter := journal.MirrorFilter{Direction: dir, Statuses: opts.Statuses, UpdatedSince: opts.UpdatedSince}
	for m, err := range c.jr.EachMirror(ctx, filter) {
		if err != nil {
			w.Abort()
			return out, err
		}
		if len(m.Raw) == 0 {
			w.Abort()
			return out, fmt.Errorf("referral %s: the mirror has no copy of it; run pull again to list Partner Center in full", m.ID)
		}
		p, err := mapper.RowOf(m.Remote, m.Microsoft)
		if err != nil {
			w.Abort()
			return out, err
		}
		if err := w.Write(exporter.PulledRow{Row: p.Row, Facts: p.Facts}); err != nil {
			w.Abort()
			return out, err
		}
	}
	if err := w.Close(); err != nil {
		return out, err
	}
	out.Rows = w.Rows()
	out.Elapsed = c.cfg.Now().Sub(start)
	return out, nil
}

// pullDirection is the mirror's spelling of a --direction.
func pullDirection(d string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(d)) {
	case "":
		return "", nil
	case "incoming":
		return "Incoming", nil
	case "outgoing":
		return "Outgoing", nil
	}
	return "", fmt.Errorf("%w: direction %q: want incoming or outgoing", refbatch.ErrUsage, d)
}
