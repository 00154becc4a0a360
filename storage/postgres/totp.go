package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

const totpColumns = `id, user_id, name, secret_enc, active, last_step, created_at, confirmed_at, last_used_at`

func scanTOTPDevice(row pgx.Row) (storage.TOTPDevice, error) {
	var d storage.TOTPDevice
	var confirmed, used *time.Time
	if err := row.Scan(&d.ID, &d.UserID, &d.Name, &d.SecretEnc, &d.Active, &d.LastStep, &d.CreatedAt, &confirmed, &used); err != nil {
		return storage.TOTPDevice{}, err
	}
	d.ConfirmedAt, d.LastUsedAt = fromNullTime(confirmed), fromNullTime(used)
	return d, nil
}

func (s *Store) CreateTOTPDevice(ctx context.Context, d storage.TOTPDevice) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO totp_devices (`+totpColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.ID, d.UserID, d.Name, d.SecretEnc, d.Active, d.LastStep, d.CreatedAt, nullTime(d.ConfirmedAt), nullTime(d.LastUsedAt))
	if err != nil {
		return fmt.Errorf("postgres: create totp device %q: %w", d.ID, translate(err))
	}
	return nil
}

func (s *Store) GetTOTPDevice(ctx context.Context, id string) (storage.TOTPDevice, error) {
	d, err := scanTOTPDevice(s.pool.QueryRow(ctx, `SELECT `+totpColumns+` FROM totp_devices WHERE id = $1`, id))
	if err != nil {
		return storage.TOTPDevice{}, fmt.Errorf("postgres: get totp device %q: %w", id, translate(err))
	}
	return d, nil
}

func (s *Store) ListTOTPDevices(ctx context.Context, userID string) ([]storage.TOTPDevice, error) {
	ds, err := list(ctx, s, scanTOTPDevice, `SELECT `+totpColumns+` FROM totp_devices
		WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list totp devices of user %q: %w", userID, unavailable(err))
	}
	return ds, nil
}

func (s *Store) ActivateTOTPDevice(ctx context.Context, id string, step int64, at time.Time, revokeOthers bool) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if revokeOthers {
			// Two of a user's devices activated at once, each revoking the other,
			// would lock their own row and then wait for the other's: a deadlock.
			// Locking all the user's devices first, always in id order, makes the
			// second wait for the first, then find its own device deleted.
			if _, err := tx.Exec(ctx, `SELECT 1 FROM totp_devices
				WHERE user_id = (SELECT user_id FROM totp_devices WHERE id = $1)
				ORDER BY id COLLATE "C" FOR UPDATE`, id); err != nil {
				return err
			}
		}
		// As in ConsumeToken, concurrent callers queue on the row lock and re-check
		// "NOT active", so exactly one of them sees a row.
		var userID string
		if err := tx.QueryRow(ctx, `UPDATE totp_devices SET active = true, last_step = $2, confirmed_at = $3, last_used_at = $3
			WHERE id = $1 AND NOT active RETURNING user_id`, id, step, at).Scan(&userID); err != nil {
			return err
		}
		if !revokeOthers {
			return nil
		}
		_, err := tx.Exec(ctx, `DELETE FROM totp_devices WHERE user_id = $1 AND id <> $2`, userID, id)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM totp_devices WHERE id = $1)`, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: activate totp device %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) error {
	// The row lock serialises callers with the same step; the ones that waited
	// re-check "last_step < $2" against the winner's step and touch no row.
	n, err := s.count(ctx, `UPDATE totp_devices SET last_step = $2, last_used_at = $3
		WHERE id = $1 AND active AND last_step < $2`, id, step, at)
	if err == nil && n == 0 {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM totp_devices WHERE id = $1)`, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: advance totp device %q to step %d: %w", id, step, unavailable(err))
	}
	return nil
}

func (s *Store) RenameTOTPDevice(ctx context.Context, id, name string) error {
	if err := s.exec(ctx, `UPDATE totp_devices SET name = $2 WHERE id = $1`, id, name); err != nil {
		return fmt.Errorf("postgres: rename totp device %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteTOTPDevice(ctx context.Context, id string) error {
	if err := s.exec(ctx, `DELETE FROM totp_devices WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete totp device %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteTOTPDevicesByUser(ctx context.Context, userID string) (int, error) {
	n, err := s.count(ctx, `DELETE FROM totp_devices WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete totp devices of user %q: %w", userID, unavailable(err))
	}
	return n, nil
}
