package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lockstep-id/lockstep/storage"
)

// factorSummaryColumns are the columns of a storage.FactorSummary of the user
// whose id is the expression userID (a parameter, or a column of a joined table).
func factorSummaryColumns(userID string) string {
	return strings.NewReplacer("USER", userID).Replace(`
		EXISTS (SELECT 1 FROM totp_devices WHERE user_id = USER AND active) AS totp,
		EXISTS (SELECT 1 FROM webauthn_credentials WHERE user_id = USER) AS webauthn,
		EXISTS (SELECT 1 FROM phone_numbers WHERE user_id = USER) AS phone,
		(SELECT count(*) FROM recovery_codes WHERE user_id = USER AND used_at IS NULL) AS recovery_codes`)
}

var summarizeFactorsSQL = `SELECT ` + factorSummaryColumns("$1")

func (s *Store) SummarizeFactors(ctx context.Context, userID string) (storage.FactorSummary, error) {
	var f storage.FactorSummary
	err := s.pool.QueryRow(ctx, summarizeFactorsSQL, userID).Scan(&f.TOTP, &f.WebAuthn, &f.Phone, &f.RecoveryCodes)
	if err != nil {
		return f, fmt.Errorf("postgres: summarize factors of %q: %w", userID, unavailable(err))
	}
	return f, nil
}
