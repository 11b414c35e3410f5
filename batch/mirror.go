package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/partnercenter"
)

// mirrorMargin is how far before the newest updatedDateTime the mirror has
// seen an incremental refresh starts: a referral written just before the
// last refresh may have reached the listing after it (listings lag by
// seconds), with an updatedDateTime older than the newest one seen then.
const mirrorMargin = 15 * time.Minute

// mirrorBatch is how many listed referrals go into one journal commit.
const mirrorBatch = 500

// MirrorRefresh is what one refresh of the mirror read.
type MirrorRefresh struct {
	Full    bool // the first, full listing of the endpoint
	Listed  int  // referrals read
	Elapsed time.Duration
}

// refreshMirror brings the journal's mirror of Partner Center up to date
// before anything is planned or sent: in full the first time a journal
// meets its endpoint, then incrementally, from the newest updatedDateTime
// seen minus mirrorMargin, through the documented listing (nextLink paging,
// $filter and $orderby on updatedDateTime). A listing that fails ends the
// refresh with an error: without it, the run cannot know what exists.
func (c *Client) refreshMirror(ctx context.Context, api *partnercenter.Referrals) (MirrorRefresh, error) {
	start := c.cfg.Now()
	b, _, err := c.jr.Binding(ctx)
	if err != nil {
		return MirrorRefresh{}, err
	}
	m := MirrorRefresh{Full: b.MirrorFull.IsZero()}
	var since time.Time
	if !m.Full {
		since = b.MirrorUpdated.Add(-mirrorMargin - c.settle())
	}
	page := make([]refbatch.Remote, 0, mirrorBatch)
	var newest time.Time
	flush := func(done bool) error {
		if len(page) == 0 && !done {
			return nil
		}
		err := c.jr.PutMirror(ctx, page, newest, done && m.Full)
		page = page[:0]
		return err
	}
	for ref, err := range api.UpdatedSince(ctx, since) {
		if err != nil {
			return m, fmt.Errorf("read Partner Center's listing of referrals, to know what exists before anything is created: %w", err)
		}
		m.Listed++
		page = append(page, ref)
		if ref.Updated.After(newest) {
			newest = ref.Updated
		}
		if len(page) == mirrorBatch {
			if err := flush(false); err != nil {
				return m, err
			}
		}
	}
	if err := flush(true); err != nil {
		return m, err
	}
	m.Elapsed = c.cfg.Now().Sub(start)
	return m, nil
}

// settle is the settle time in force: Config.Settle, else the endpoint's,
// else the engine's default for the real service.
func (c *Client) settle() time.Duration {
	switch {
	case c.cfg.Settle > 0:
		return c.cfg.Settle
	case c.ep.Settle > 0:
		return c.ep.Settle
	}
	return DefaultSettle
}
