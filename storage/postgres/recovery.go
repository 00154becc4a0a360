package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Row locks cannot cover codes another replace is inserting right now, so
		// without this two concurrent replaces would each delete only the old set
		// and leave both new sets valid. The lock, per user and held until commit,
		// makes them take turns; it must be its own statement so the DELETE's
		// snapshot is taken after the previous replace committed.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('lockstep.recovery_codes:' || $1, 0))`, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if len(hashes) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, hash, created_at)
			SELECT $1, h, $3 FROM unnest($2::text[]) AS h`, userID, hashes, at)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: replace recovery codes of user %q: %w", userID, translate(err))
	}
	return nil
}

func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error {
	// As in ConsumeToken, concurrent callers queue on the row lock and re-check
	// "used_at IS NULL", so exactly one of them sees a row.
	n, err := s.count(ctx, `UPDATE recovery_codes SET used_at = $3
		WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`, userID, hash, at)
	if err == nil && n == 0 {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = $1 AND hash = $2)`, userID, hash)
	}
	if err != nil {
		// The hash stays out of the error, which may end up in a log.
		return fmt.Errorf("postgres: use recovery code of user %q: %w", userID, unavailable(err))
	}
	return nil
}

func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (total, unused int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE used_at IS NULL)
		FROM recovery_codes WHERE user_id = $1`, userID).Scan(&total, &unused)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: count recovery codes of user %q: %w", userID, unavailable(err))
	}
	return total, unused, nil
}

func (s *Store) DeleteRecoveryCodes(ctx context.Context, userID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("postgres: delete recovery codes of user %q: %w", userID, unavailable(err))
	}
	return nil
}
