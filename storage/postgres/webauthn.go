package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

const webauthnColumns = `id, user_id, name, public_key, attestation_type, transports, aaguid, sign_count,
	user_verified, discoverable, backup_eligible, backup_state, created_at, last_used_at`

func scanWebAuthnCredential(row pgx.Row) (storage.WebAuthnCredential, error) {
	var c storage.WebAuthnCredential
	var count int64
	var used *time.Time
	if err := row.Scan(&c.ID, &c.UserID, &c.Name, &c.PublicKey, &c.AttestationType, &c.Transports, &c.AAGUID, &count,
		&c.UserVerified, &c.Discoverable, &c.BackupEligible, &c.BackupState, &c.CreatedAt, &used); err != nil {
		return storage.WebAuthnCredential{}, err
	}
	// The column's CHECK keeps it in uint32 range.
	c.SignCount, c.LastUsedAt = uint32(count), fromNullTime(used)
	return c, nil
}

func (s *Store) CreateWebAuthnCredential(ctx context.Context, c storage.WebAuthnCredential) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO webauthn_credentials (`+webauthnColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		c.ID, c.UserID, c.Name, c.PublicKey, c.AttestationType, c.Transports, c.AAGUID, int64(c.SignCount),
		c.UserVerified, c.Discoverable, c.BackupEligible, c.BackupState, c.CreatedAt, nullTime(c.LastUsedAt))
	if err != nil {
		return fmt.Errorf("postgres: create webauthn credential %x: %w", c.ID, translate(err))
	}
	return nil
}

func (s *Store) GetWebAuthnCredential(ctx context.Context, id []byte) (storage.WebAuthnCredential, error) {
	c, err := scanWebAuthnCredential(s.pool.QueryRow(ctx, `SELECT `+webauthnColumns+` FROM webauthn_credentials WHERE id = $1`, id))
	if err != nil {
		return storage.WebAuthnCredential{}, fmt.Errorf("postgres: get webauthn credential %x: %w", id, translate(err))
	}
	return c, nil
}

func (s *Store) ListWebAuthnCredentials(ctx context.Context, userID string) ([]storage.WebAuthnCredential, error) {
	// bytea compares byte by byte, like bytes.Compare, whatever the collation.
	cs, err := list(ctx, s, scanWebAuthnCredential, `SELECT `+webauthnColumns+` FROM webauthn_credentials
		WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list webauthn credentials of user %q: %w", userID, unavailable(err))
	}
	return cs, nil
}

func (s *Store) UseWebAuthnCredential(ctx context.Context, id []byte, count uint32, at time.Time) error {
	// As in AdvanceTOTPStep, the row lock serialises callers with the same count;
	// the ones that waited re-check the guard against the winner's count and touch
	// no row. Counter-less authenticators (0 and 0) pass every time, as they must.
	n, err := s.count(ctx, `UPDATE webauthn_credentials SET sign_count = $2, last_used_at = $3
		WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))`, id, int64(count), at)
	if err == nil && n == 0 {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM webauthn_credentials WHERE id = $1)`, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: use webauthn credential %x with count %d: %w", id, count, unavailable(err))
	}
	return nil
}

func (s *Store) RenameWebAuthnCredential(ctx context.Context, id []byte, name string) error {
	if err := s.exec(ctx, `UPDATE webauthn_credentials SET name = $2 WHERE id = $1`, id, name); err != nil {
		return fmt.Errorf("postgres: rename webauthn credential %x: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteWebAuthnCredential(ctx context.Context, id []byte) error {
	if err := s.exec(ctx, `DELETE FROM webauthn_credentials WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete webauthn credential %x: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteWebAuthnCredentialsByUser(ctx context.Context, userID string) (int, error) {
	n, err := s.count(ctx, `DELETE FROM webauthn_credentials WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete webauthn credentials of user %q: %w", userID, unavailable(err))
	}
	return n, nil
}
