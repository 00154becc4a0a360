package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

// Keys stay out of errors: they hold flow IDs, which are bearer values.

const oneTimeCodeColumns = `key, user_id, hash, destination, attempts, created_at, expires_at, used_at`

func scanOneTimeCode(row pgx.Row) (storage.OneTimeCode, error) {
	var c storage.OneTimeCode
	var used *time.Time
	if err := row.Scan(&c.Key, &c.UserID, &c.Hash, &c.Destination, &c.Attempts, &c.CreatedAt, &c.ExpiresAt, &used); err != nil {
		return storage.OneTimeCode{}, err
	}
	c.UsedAt = fromNullTime(used)
	return c, nil
}

func (s *Store) PutOneTimeCode(ctx context.Context, c storage.OneTimeCode) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO one_time_codes (`+oneTimeCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO UPDATE SET user_id = excluded.user_id, hash = excluded.hash,
			destination = excluded.destination, attempts = excluded.attempts, created_at = excluded.created_at,
			expires_at = excluded.expires_at, used_at = excluded.used_at`,
		c.Key, c.UserID, c.Hash, c.Destination, c.Attempts, c.CreatedAt, c.ExpiresAt, nullTime(c.UsedAt))
	if err != nil {
		return fmt.Errorf("postgres: put one-time code: %w", unavailable(err))
	}
	return nil
}

func (s *Store) GetOneTimeCode(ctx context.Context, key string) (storage.OneTimeCode, error) {
	c, err := scanOneTimeCode(s.pool.QueryRow(ctx, `SELECT `+oneTimeCodeColumns+` FROM one_time_codes WHERE key = $1`, key))
	if err != nil {
		return storage.OneTimeCode{}, fmt.Errorf("postgres: get one-time code: %w", translate(err))
	}
	return c, nil
}

func (s *Store) UseOneTimeCode(ctx context.Context, key, hash string, now time.Time, maxAttempts int) (storage.OneTimeCode, error) {
	// One statement handles every guess at a live code: the right one sets used_at,
	// a wrong one adds an attempt. Concurrent callers queue on the row lock and
	// re-check the guard and re-read attempts on the winner's row version, so one
	// right guess wins and no wrong guess is lost. Since the guard requires used_at
	// to be NULL, a non-NULL used_at in the returned row means this call set it.
	c, err := scanOneTimeCode(s.pool.QueryRow(ctx, `UPDATE one_time_codes SET
			used_at = CASE WHEN hash = $2 THEN $3::timestamptz END,
			attempts = attempts + CASE WHEN hash = $2 THEN 0 ELSE 1 END
		WHERE key = $1 AND used_at IS NULL AND expires_at > $3::timestamptz AND attempts < $4
		RETURNING `+oneTimeCodeColumns, key, hash, now, maxAttempts))
	switch {
	case err == nil && c.UsedAt.IsZero():
		err = fmt.Errorf("wrong code: %w", storage.ErrConflict)
	case errors.Is(err, pgx.ErrNoRows):
		// Used, expired, at the limit or missing; only this failure path costs a
		// second round trip, to return the code as stored.
		c, err = scanOneTimeCode(s.pool.QueryRow(ctx, `SELECT `+oneTimeCodeColumns+` FROM one_time_codes WHERE key = $1`, key))
		if err == nil {
			err = storage.ErrConflict
		}
	}
	if err != nil {
		return c, fmt.Errorf("postgres: use one-time code: %w", translate(err))
	}
	return c, nil
}

func (s *Store) DeleteOneTimeCode(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM one_time_codes WHERE key = $1`, key); err != nil {
		return fmt.Errorf("postgres: delete one-time code: %w", unavailable(err))
	}
	return nil
}

func (s *Store) DeleteExpiredOneTimeCodes(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM one_time_codes WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired one-time codes: %w", unavailable(err))
	}
	return n, nil
}
