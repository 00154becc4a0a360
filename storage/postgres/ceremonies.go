package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Ceremony keys stay out of errors: a caller may derive them from a cookie value.

func (s *Store) PutCeremony(ctx context.Context, key string, data []byte, expiresAt time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO ceremonies (key, data, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`, key, data, expiresAt)
	if err != nil {
		return fmt.Errorf("postgres: put ceremony: %w", unavailable(err))
	}
	return nil
}

func (s *Store) TakeCeremony(ctx context.Context, key string, now time.Time) ([]byte, error) {
	// Concurrent callers queue on the row lock; the ones that waited find the row
	// deleted and get no row, so exactly one of them gets the data. An expired
	// ceremony is deleted all the same.
	var data []byte
	var expiresAt time.Time
	err := s.pool.QueryRow(ctx, `DELETE FROM ceremonies WHERE key = $1 RETURNING data, expires_at`, key).Scan(&data, &expiresAt)
	if err == nil && !expiresAt.After(now) {
		err = fmt.Errorf("expired: %w", storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: take ceremony: %w", translate(err))
	}
	return data, nil
}

func (s *Store) DeleteExpiredCeremonies(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM ceremonies WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired ceremonies: %w", unavailable(err))
	}
	return n, nil
}
