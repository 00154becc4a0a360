package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) UseNonce(ctx context.Context, key string, expiresAt time.Time, now time.Time) error {
	// A live row makes the conditional upsert touch nothing; an expired one is
	// taken over. Concurrent callers queue on the row lock, so one wins.
	n, err := s.count(ctx, `INSERT INTO nonces (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
		WHERE nonces.expires_at <= $3`, key, expiresAt, now)
	if err == nil && n == 0 {
		err = storage.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("postgres: use nonce %q: %w", key, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteExpiredNonces(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM nonces WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired nonces: %w", unavailable(err))
	}
	return n, nil
}
