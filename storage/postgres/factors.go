package postgres

import (
	"context"
	"fmt"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) SummarizeFactors(ctx context.Context, userID string) (storage.FactorSummary, error) {
	var f storage.FactorSummary
	err := s.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM totp_devices WHERE user_id = $1 AND active),
		EXISTS (SELECT 1 FROM webauthn_credentials WHERE user_id = $1),
		EXISTS (SELECT 1 FROM phone_numbers WHERE user_id = $1),
		(SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)`, userID).Scan(&f.TOTP, &f.WebAuthn, &f.Phone, &f.RecoveryCodes)
	if err != nil {
		return f, fmt.Errorf("postgres: summarize factors of %q: %w", userID, err)
	}
	return f, nil
}
