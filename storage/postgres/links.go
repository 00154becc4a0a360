package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

// Hashes stay out of errors, like every key of a secret.

const emailLinkColumns = `hash, purpose, user_id, email, created_at, expires_at, used_at`

func scanEmailLink(row pgx.Row) (storage.EmailLink, error) {
	var l storage.EmailLink
	if err := row.Scan(&l.Hash, &l.Purpose, &l.UserID, &l.Email, &l.CreatedAt, &l.ExpiresAt, &l.UsedAt); err != nil {
		return storage.EmailLink{}, err
	}
	return l, nil
}

func (s *Store) PutEmailLink(ctx context.Context, l storage.EmailLink) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO email_links (`+emailLinkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		l.Hash, l.Purpose, l.UserID, l.Email, l.CreatedAt, l.ExpiresAt, l.UsedAt)
	if err != nil {
		return fmt.Errorf("postgres: put email link: %w", translate(err))
	}
	return nil
}

func (s *Store) UseEmailLink(ctx context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error) {
	// The guard is re-checked on the row a concurrent winner left, so one caller wins.
	l, err := scanEmailLink(s.pool.QueryRow(ctx, `UPDATE email_links SET used_at = $3
		WHERE hash = $2 AND purpose = $1 AND used_at IS NULL AND expires_at > $3
		RETURNING `+emailLinkColumns, purpose, hash, now))
	if err != nil {
		return storage.EmailLink{}, fmt.Errorf("postgres: use email link: %w", translate(err))
	}
	return l, nil
}

func (s *Store) GetEmailLink(ctx context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error) {
	l, err := scanEmailLink(s.pool.QueryRow(ctx, `SELECT `+emailLinkColumns+` FROM email_links
		WHERE hash = $2 AND purpose = $1 AND used_at IS NULL AND expires_at > $3`, purpose, hash, now))
	if err != nil {
		return storage.EmailLink{}, fmt.Errorf("postgres: get email link: %w", translate(err))
	}
	return l, nil
}

func (s *Store) DeleteEmailLinks(ctx context.Context, userID string, purpose storage.LinkPurpose) (int, error) {
	n, err := s.count(ctx, `DELETE FROM email_links WHERE user_id = $1 AND purpose = $2`, userID, purpose)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete email links: %w", unavailable(err))
	}
	return n, nil
}

func (s *Store) DeleteExpiredEmailLinks(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM email_links WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired email links: %w", unavailable(err))
	}
	return n, nil
}
