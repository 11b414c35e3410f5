package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// EndpointRate is the request rate a run against an endpoint ended at, as
// the adaptive limiter learnt it (engine.AdaptiveLimiter.LearntRate).
type EndpointRate struct {
	Endpoint string
	Rate     float64 // requests per second
	Updated  time.Time
}

// endpointKey folds what does not tell endpoints apart: case and a
// trailing slash.
func endpointKey(endpoint string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(endpoint), "/"))
}

// LearntRate returns the rate remembered for endpoint; ok is false when no
// run against it remembered one.
func (j *Journal) LearntRate(ctx context.Context, endpoint string) (r EndpointRate, ok bool, err error) {
	db, err := j.reader("learnt rate")
	if err != nil {
		return EndpointRate{}, false, err
	}
	var updated sql.NullString
	err = db.QueryRowContext(ctx, `SELECT endpoint, rate, updated FROM endpoint_rates WHERE endpoint = ?`, endpointKey(endpoint)).
		Scan(&r.Endpoint, &r.Rate, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return EndpointRate{}, false, nil
	case err != nil:
		return EndpointRate{}, false, fmt.Errorf("journal %s: learnt rate: %w", j.path, err)
	}
	if r.Updated, err = decodeTime(updated); err != nil {
		return EndpointRate{}, false, fmt.Errorf("journal %s: learnt rate: %w", j.path, err)
	}
	return r, true, nil
}

// RememberRate records the rate a run against endpoint ended at,
// replacing the one remembered before.
func (j *Journal) RememberRate(ctx context.Context, endpoint string, rate float64) error {
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return fmt.Errorf("journal %s: remember rate: %v is not a rate", j.path, rate)
	}
	key, now := endpointKey(endpoint), j.now()
	return j.submit(ctx, "remember the rate of "+key, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO endpoint_rates (endpoint, rate, updated) VALUES (?, ?, ?)
ON CONFLICT (endpoint) DO UPDATE SET rate = excluded.rate, updated = excluded.updated`, key, rate, encodeTime(now))
		return err
	})
}
