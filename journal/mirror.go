package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// ErrOtherEndpoint is returned by Bind when the journal belongs to another
// endpoint.
var ErrOtherEndpoint = errors.New("the journal belongs to another endpoint")

// EndpointError names the endpoint a journal belongs to and the one it was
// asked to serve.
type EndpointError struct {
	Path, Bound, Asked string
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("journal %s belongs to %s, not %s: a journal keeps the runs and the mirror of one Partner Center; use another journal (--journal) for %s",
		e.Path, e.Bound, e.Asked, e.Asked)
}

func (e *EndpointError) Unwrap() error { return ErrOtherEndpoint }

// Binding is the endpoint a journal belongs to and its mirror's progress.
type Binding struct {
	Endpoint string
	Tenant   string
	Bound    time.Time
	// MirrorFull is when the mirror's first full listing ended (zero: it
	// has not); MirrorUpdated the newest updatedDateTime it has seen, on
	// the API's clock.
	MirrorFull    time.Time
	MirrorUpdated time.Time
}

// Binding returns the endpoint the journal belongs to; ok is false when no
// run has bound it yet.
func (j *Journal) Binding(ctx context.Context) (b Binding, ok bool, err error) {
	db, err := j.reader("binding")
	if err != nil {
		return b, false, err
	}
	var bound string
	var full, updated sql.NullString
	err = db.QueryRowContext(ctx, `SELECT endpoint, tenant, bound, mirror_full, mirror_updated FROM binding`).
		Scan(&b.Endpoint, &b.Tenant, &bound, &full, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("journal %s: binding: %w", j.path, err)
	}
	if b.Bound, err = decodeTime(sql.NullString{String: bound, Valid: true}); err != nil {
		return b, false, fmt.Errorf("journal %s: binding: %w", j.path, err)
	}
	if b.MirrorFull, err = decodeTime(full); err != nil {
		return b, false, fmt.Errorf("journal %s: binding: %w", j.path, err)
	}
	if b.MirrorUpdated, err = decodeTime(updated); err != nil {
		return b, false, fmt.Errorf("journal %s: binding: %w", j.path, err)
	}
	return b, true, nil
}

// Bind makes the journal belong to endpoint (and tenant, when known), or
// checks that it does: another endpoint, or another known tenant, is an
// *EndpointError (ErrOtherEndpoint). Call it before anything is sent.
func (j *Journal) Bind(ctx context.Context, endpoint, tenant string) error {
	b, ok, err := j.Binding(ctx)
	if err != nil {
		return err
	}
	if ok {
		if b.Endpoint != endpoint {
			return &EndpointError{Path: j.path, Bound: b.Endpoint, Asked: endpoint}
		}
		if b.Tenant != "" && tenant != "" && !strings.EqualFold(b.Tenant, tenant) {
			return &EndpointError{Path: j.path, Bound: b.Endpoint + " (tenant " + b.Tenant + ")", Asked: endpoint + " (tenant " + tenant + ")"}
		}
		if b.Tenant != "" || tenant == "" {
			return nil
		}
	}
	now := j.now()
	return j.submit(ctx, "bind to "+endpoint, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO binding (one, endpoint, tenant, bound) VALUES (1, ?1, ?2, ?3)
ON CONFLICT (one) DO UPDATE SET tenant = excluded.tenant WHERE binding.tenant = '' AND binding.endpoint = excluded.endpoint`,
			endpoint, tenant, encodeTime(now))
		return err
	})
}

// PutMirror records referrals as Partner Center listed them, and how far
// the mirror has come: updated is the newest updatedDateTime seen (kept if
// older than what the journal has), full marks the end of a first full
// listing. One transaction.
func (j *Journal) PutMirror(ctx context.Context, refs []refbatch.Remote, updated time.Time, full bool) error {
	now := j.now()
	return j.submit(ctx, fmt.Sprintf("mirror %d referrals", len(refs)), func(tx *sql.Tx) error {
		stmt, err := tx.Prepare(`INSERT INTO mirror (id, engagement_id, organization_id, external_reference_id, status, substatus, created, updated, etag, direction, doc)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (id) DO UPDATE SET engagement_id = excluded.engagement_id, organization_id = excluded.organization_id,
	external_reference_id = excluded.external_reference_id, status = excluded.status, substatus = excluded.substatus,
	created = excluded.created, updated = excluded.updated, etag = excluded.etag, direction = excluded.direction,
	doc = coalesce(excluded.doc, mirror.doc)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range refs {
			if r.ID == "" {
				continue
			}
			var doc any
			if len(r.Raw) > 0 {
				doc = string(r.Raw)
			}
			if _, err := stmt.Exec(r.ID, r.EngagementID, r.OrganizationID, r.ExternalReferenceID, r.Status, r.Substatus,
				nullTime(r.Created), nullTime(r.Updated), r.ETag, r.Direction, doc); err != nil {
				return err
			}
		}
		if !updated.IsZero() {
			if _, err := tx.Exec(`UPDATE binding SET mirror_updated = ?1 WHERE mirror_updated IS NULL OR mirror_updated < ?1`, encodeTime(updated)); err != nil {
				return err
			}
		}
		if full {
			if _, err := tx.Exec(`UPDATE binding SET mirror_full = ?1`, encodeTime(now)); err != nil {
				return err
			}
		}
		return nil
	})
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return encodeTime(t)
}

// Duplicate is an External Reference ID that Partner Center holds on more
// than one of the partner's referrals.
type Duplicate struct {
	ExternalReferenceID string
	ReferralIDs         []string
}

// MirrorDuplicates lists the External Reference IDs the mirror shows on
// more than one open partner referral (made by anyone), with their ids.
func (j *Journal) MirrorDuplicates(ctx context.Context) ([]Duplicate, error) {
	db, err := j.reader("duplicates")
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT external_reference_id, group_concat(id, ' ') FROM (
	SELECT external_reference_id, id FROM mirror
	WHERE external_reference_id <> '' AND organization_id <> 'msft' AND lower(status) <> 'closed' ORDER BY created, id)
GROUP BY external_reference_id COLLATE NOCASE HAVING count(*) > 1 ORDER BY external_reference_id`)
	if err != nil {
		return nil, fmt.Errorf("journal %s: duplicates: %w", j.path, err)
	}
	defer rows.Close()
	var out []Duplicate
	for rows.Next() {
		var d Duplicate
		var ids string
		if err := rows.Scan(&d.ExternalReferenceID, &ids); err != nil {
			return nil, fmt.Errorf("journal %s: duplicates: %w", j.path, err)
		}
		d.ReferralIDs = strings.Fields(ids)
		out = append(out, d)
	}
	return out, rows.Err()
}

// mirrorLookup adds to out what the mirror lists for ids: the partner's
// referral with each External Reference ID, Microsoft's referral in its
// engagement, and every other partner referral with the same id (Also).
func (j *Journal) mirrorLookup(ctx context.Context, db *sql.DB, part []string, out map[string]refbatch.Known) error {
	args := make([]any, len(part))
	for i, id := range part {
		args[i] = id
	}
	// Open referrals first: a closed duplicate (Won, Lost, Declined,
	// Expired: what the user did when told to close the duplicates) is
	// neither the one a row means nor a reason to doubt it.
	q := `SELECT p.external_reference_id, p.id, p.engagement_id, lower(p.status) = 'closed',
	coalesce((SELECT m.id FROM mirror m WHERE m.engagement_id = p.engagement_id AND p.engagement_id <> '' AND m.organization_id = 'msft' ORDER BY m.created LIMIT 1), '')
FROM mirror p
WHERE p.organization_id <> 'msft' AND p.external_reference_id IN (?` + strings.Repeat(",?", len(part)-1) + `)
ORDER BY lower(p.status) = 'closed', p.created, p.id`
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ext, id, eng, msft string
		var closed bool
		if err := rows.Scan(&ext, &id, &eng, &closed, &msft); err != nil {
			return err
		}
		key := strings.ToLower(ext)
		k, ok := out[key]
		switch {
		case !ok:
			out[key] = refbatch.Known{ExternalReferenceID: ext, ReferralID: id, EngagementID: eng, MicrosoftReferralID: msft}
		case k.ReferralID == id:
			if k.EngagementID == "" {
				k.EngagementID = eng
			}
			if k.MicrosoftReferralID == "" {
				k.MicrosoftReferralID = msft
			}
			out[key] = k
		case !closed:
			k.Also = append(k.Also, id)
			out[key] = k
		}
	}
	return rows.Err()
}
