package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

func (s *Store) HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	// One upsert: Postgres either inserts or locks the existing row and updates it,
	// so concurrent hits queue on the row and none is lost.
	var n int
	err := s.pool.QueryRow(ctx, `INSERT INTO throttle (key, count, reset_at) VALUES ($1, 1, $3)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN throttle.reset_at <= $2 THEN 1 ELSE throttle.count + 1 END,
			reset_at = CASE WHEN throttle.reset_at <= $2 THEN $3 ELSE throttle.reset_at END
		RETURNING count`, key, now, now.Add(window)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: hit throttle %q: %w", key, unavailable(err))
	}
	return n, nil
}

func (s *Store) ThrottleCount(ctx context.Context, key string, now time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count FROM throttle WHERE key = $1 AND reset_at > $2`, key, now).Scan(&n)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("postgres: throttle count %q: %w", key, unavailable(err))
	}
	return n, nil
}

func (s *Store) ResetThrottle(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM throttle WHERE key = $1`, key); err != nil {
		return fmt.Errorf("postgres: reset throttle %q: %w", key, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteExpiredThrottles(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM throttle WHERE reset_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired throttles: %w", unavailable(err))
	}
	return n, nil
}
