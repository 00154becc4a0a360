package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

const trustColumns = `id, user_id, kind, label, ip, created_at, last_used_at, expires_at`

func scanTrust(row pgx.Row) (storage.Trust, error) {
	var t storage.Trust
	var used *time.Time
	if err := row.Scan(&t.ID, &t.UserID, &t.Kind, &t.Label, &t.IP, &t.CreatedAt, &used, &t.ExpiresAt); err != nil {
		return storage.Trust{}, err
	}
	t.LastUsedAt = fromNullTime(used)
	return t, nil
}

func (s *Store) PutTrust(ctx context.Context, t storage.Trust) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO trusts (`+trustColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, kind = excluded.kind, label = excluded.label,
			ip = excluded.ip, created_at = excluded.created_at, last_used_at = excluded.last_used_at,
			expires_at = excluded.expires_at`,
		t.ID, t.UserID, string(t.Kind), t.Label, t.IP, t.CreatedAt, nullTime(t.LastUsedAt), t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("postgres: put trust %q: %w", t.ID, unavailable(err))
	}
	return nil
}

func (s *Store) GetTrust(ctx context.Context, id string) (storage.Trust, error) {
	t, err := scanTrust(s.pool.QueryRow(ctx, `SELECT `+trustColumns+` FROM trusts WHERE id = $1`, id))
	if err != nil {
		return storage.Trust{}, fmt.Errorf("postgres: get trust %q: %w", id, translate(err))
	}
	return t, nil
}

func (s *Store) ListTrusts(ctx context.Context, userID string) ([]storage.Trust, error) {
	ts, err := list(ctx, s, scanTrust, `SELECT `+trustColumns+` FROM trusts
		WHERE user_id = $1 ORDER BY created_at DESC, id COLLATE "C"`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list trusts of user %q: %w", userID, unavailable(err))
	}
	return ts, nil
}

func (s *Store) DeleteTrust(ctx context.Context, id string) error {
	if err := s.exec(ctx, `DELETE FROM trusts WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete trust %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteTrustsByUser(ctx context.Context, userID string, kinds ...storage.TrustKind) (int, error) {
	// Never nil, so no kinds goes in as an empty array (every kind), not NULL.
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	n, err := s.count(ctx, `DELETE FROM trusts
		WHERE user_id = $1 AND (cardinality($2::text[]) = 0 OR kind = ANY ($2::text[]))`, userID, ks)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete trusts of user %q: %w", userID, unavailable(err))
	}
	return n, nil
}

func (s *Store) DeleteExpiredTrusts(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM trusts WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired trusts: %w", unavailable(err))
	}
	return n, nil
}
