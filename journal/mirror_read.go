package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// MirrorFilter narrows what EachMirror lists. Its zero value lists every
// referral of the partner's own organisation.
type MirrorFilter struct {
	Direction    string    // "Incoming" or "Outgoing", case-insensitive; "" for both
	Statuses     []string  // referral statuses to keep, case-insensitive; none for all
	UpdatedSince time.Time // keep referrals updated at or after it (the API's clock); zero for all
	IDs          []string  // keep only these referral ids; none for all
}

// Mirrored is one of the partner's referrals as the mirror holds it, with
// Microsoft's referral of the same co-sell engagement when the mirror has
// one (the first Microsoft made).
type Mirrored struct {
	refbatch.Remote
	Microsoft *refbatch.Remote
}

// EachMirror lists the partner's referrals the mirror holds (not
// Microsoft's: those come with their partner referral), oldest first, one
// row at a time: memory stays flat however many the partner has. A
// referral mirrored before the mirror kept documents has a nil Raw.
func (j *Journal) EachMirror(ctx context.Context, f MirrorFilter) iter.Seq2[Mirrored, error] {
	return func(yield func(Mirrored, error) bool) {
		db, err := j.reader("mirror")
		if err != nil {
			yield(Mirrored{}, err)
			return
		}
		q, args := mirrorQuery(f)
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			yield(Mirrored{}, fmt.Errorf("journal %s: mirror: %w", j.path, err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMirrored(rows)
			if err != nil {
				yield(Mirrored{}, fmt.Errorf("journal %s: mirror: %w", j.path, err))
				return
			}
			if !yield(m, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Mirrored{}, fmt.Errorf("journal %s: mirror: %w", j.path, err))
		}
	}
}

const mirrorColumns = `p.id, p.engagement_id, p.organization_id, p.external_reference_id, p.status, p.substatus, p.created, p.updated, p.etag, p.direction, p.doc,
	m.id, m.engagement_id, m.status, m.substatus, m.created, m.updated, m.etag, m.direction, m.doc`

// mirrorQuery is the SELECT of EachMirror. Microsoft's referral is the
// first Microsoft made in the engagement, as mirrorLookup picks it.
func mirrorQuery(f MirrorFilter) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("?%d", len(args))
	}
	where = append(where, "p.organization_id <> 'msft'")
	if f.Direction != "" {
		where = append(where, "p.direction = "+arg(f.Direction)+" COLLATE NOCASE")
	}
	if len(f.Statuses) > 0 {
		in := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			in[i] = arg(strings.ToLower(s))
		}
		where = append(where, "lower(p.status) IN ("+strings.Join(in, ", ")+")")
	}
	if !f.UpdatedSince.IsZero() {
		where = append(where, "p.updated >= "+arg(encodeTime(f.UpdatedSince)))
	}
	if len(f.IDs) > 0 {
		in := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			in[i] = arg(id)
		}
		where = append(where, "p.id IN ("+strings.Join(in, ", ")+")")
	}
	q := `SELECT ` + mirrorColumns + `
FROM mirror p
LEFT JOIN mirror m ON m.id = (SELECT x.id FROM mirror x
	WHERE x.engagement_id = p.engagement_id AND p.engagement_id <> '' AND x.organization_id = 'msft'
	ORDER BY x.created, x.id LIMIT 1)
WHERE ` + strings.Join(where, " AND ") + `
ORDER BY p.created, p.id`
	return q, args
}

func scanMirrored(rows *sql.Rows) (Mirrored, error) {
	var out Mirrored
	p := &out.Remote
	var created, updated, doc sql.NullString
	var mID, mEng, mStatus, mSub, mCreated, mUpdated, mETag, mDir, mDoc sql.NullString
	if err := rows.Scan(&p.ID, &p.EngagementID, &p.OrganizationID, &p.ExternalReferenceID, &p.Status, &p.Substatus,
		&created, &updated, &p.ETag, &p.Direction, &doc,
		&mID, &mEng, &mStatus, &mSub, &mCreated, &mUpdated, &mETag, &mDir, &mDoc); err != nil {
		return out, err
	}
	var err error
	if p.Created, err = decodeTime(created); err != nil {
		return out, err
	}
	if p.Updated, err = decodeTime(updated); err != nil {
		return out, err
	}
	if doc.Valid {
		p.Raw = json.RawMessage(doc.String)
	}
	if mID.Valid {
		m := &refbatch.Remote{ID: mID.String, EngagementID: mEng.String, OrganizationID: "msft",
			Status: mStatus.String, Substatus: mSub.String, ETag: mETag.String, Direction: mDir.String}
		if m.Created, err = decodeTime(mCreated); err != nil {
			return out, err
		}
		if m.Updated, err = decodeTime(mUpdated); err != nil {
			return out, err
		}
		if mDoc.Valid {
			m.Raw = json.RawMessage(mDoc.String)
		}
		out.Microsoft = m
	}
	return out, nil
}
