package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Errors name the user but never the number, which is personal data.

func (s *Store) SetPhoneNumber(ctx context.Context, p storage.PhoneNumber) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO phone_numbers (user_id, e164, is_primary, verified_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET e164 = excluded.e164, is_primary = excluded.is_primary,
			verified_at = excluded.verified_at, last_used_at = excluded.last_used_at`,
		p.UserID, p.E164, p.Primary, p.VerifiedAt, nullTime(p.LastUsedAt))
	if err != nil {
		return fmt.Errorf("postgres: set phone number of user %q: %w", p.UserID, unavailable(err))
	}
	return nil
}

func (s *Store) GetPhoneNumber(ctx context.Context, userID string) (storage.PhoneNumber, error) {
	p := storage.PhoneNumber{UserID: userID}
	var used *time.Time
	err := s.pool.QueryRow(ctx, `SELECT e164, is_primary, verified_at, last_used_at FROM phone_numbers WHERE user_id = $1`,
		userID).Scan(&p.E164, &p.Primary, &p.VerifiedAt, &used)
	if err != nil {
		return storage.PhoneNumber{}, fmt.Errorf("postgres: get phone number of user %q: %w", userID, translate(err))
	}
	p.LastUsedAt = fromNullTime(used)
	return p, nil
}

func (s *Store) DeletePhoneNumber(ctx context.Context, userID string) error {
	if err := s.exec(ctx, `DELETE FROM phone_numbers WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("postgres: delete phone number of user %q: %w", userID, unavailable(err))
	}
	return nil
}
