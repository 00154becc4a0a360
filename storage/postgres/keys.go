package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

func scanKey(row pgx.Row) (storage.SigningKey, error) {
	var k storage.SigningKey
	var retired, expires *time.Time
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateEnc, &k.PublicJWK, &k.CreatedAt, &retired, &expires); err != nil {
		return storage.SigningKey{}, err
	}
	k.RetiredAt, k.ExpiresAt = fromNullTime(retired), fromNullTime(expires)
	return k, nil
}

func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	ks, err := list(ctx, s, scanKey, `SELECT id, algorithm, private_enc, public_jwk, created_at, retired_at, expires_at
		FROM signing_keys ORDER BY created_at DESC, id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list signing keys: %w", unavailable(err))
	}
	return ks, nil
}

func (s *Store) AddSigningKey(ctx context.Context, k storage.SigningKey, retiredUntil time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Row locks cannot cover a key another node is inserting right now, so
		// rotations take turns on the table: the second one then sees the first
		// one's key and retires it, instead of leaving two active keys (which the
		// signing_keys_one_active index would refuse anyway). Readers are not blocked.
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $2, expires_at = $3
			WHERE algorithm = $1 AND retired_at IS NULL`,
			k.Algorithm, k.CreatedAt, nullTime(retiredUntil)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO signing_keys
			(id, algorithm, private_enc, public_jwk, created_at, retired_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			k.ID, k.Algorithm, k.PrivateEnc, k.PublicJWK, k.CreatedAt, nullTime(k.RetiredAt), nullTime(k.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: add signing key %q: %w", k.ID, translate(err))
	}
	return nil
}

func (s *Store) DeleteExpiredSigningKeys(ctx context.Context, before time.Time) (int, error) {
	// NULL expires_at (an active key) never compares less, so it is kept.
	n, err := s.count(ctx, `DELETE FROM signing_keys WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired signing keys: %w", unavailable(err))
	}
	return n, nil
}
