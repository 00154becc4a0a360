package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) CreateToken(ctx context.Context, t storage.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens
		(kind, signature, request_id, client_id, subject, active, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.Kind, t.Signature, t.RequestID, t.ClientID, t.Subject, t.Active, t.Data, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("postgres: create token %s %q: %w", t.Kind, t.Signature, translate(err))
	}
	return nil
}

func (s *Store) GetToken(ctx context.Context, kind storage.TokenKind, signature string) (storage.Token, error) {
	t := storage.Token{Kind: kind, Signature: signature}
	err := s.pool.QueryRow(ctx, `SELECT request_id, client_id, subject, active, data, created_at, expires_at
		FROM tokens WHERE kind = $1 AND signature = $2`, kind, signature).
		Scan(&t.RequestID, &t.ClientID, &t.Subject, &t.Active, &t.Data, &t.CreatedAt, &t.ExpiresAt)
	if err != nil {
		return storage.Token{}, fmt.Errorf("postgres: get token %s %q: %w", kind, signature, translate(err))
	}
	return t, nil
}

func (s *Store) DeleteToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	if err := s.exec(ctx, `DELETE FROM tokens WHERE kind = $1 AND signature = $2`, kind, signature); err != nil {
		return fmt.Errorf("postgres: delete token %s %q: %w", kind, signature, err)
	}
	return nil
}

func (s *Store) ConsumeToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	// The row lock UPDATE takes makes concurrent callers wait and then re-check
	// "AND active", so exactly one of them sees a row.
	n, err := s.count(ctx, `UPDATE tokens SET active = false
		WHERE kind = $1 AND signature = $2 AND active`, kind, signature)
	if err == nil && n == 0 {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE kind = $1 AND signature = $2)`, kind, signature)
	}
	if err != nil {
		return fmt.Errorf("postgres: consume token %s %q: %w", kind, signature, err)
	}
	return nil
}

func (s *Store) DeactivateTokensByRequestID(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE tokens SET active = false
		WHERE kind = $1 AND request_id = $2 AND active`, kind, requestID); err != nil {
		return fmt.Errorf("postgres: deactivate %s tokens of request %q: %w", kind, requestID, err)
	}
	return nil
}

func (s *Store) DeactivateTokensBySubject(ctx context.Context, kind storage.TokenKind, subject string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE tokens SET active = false
		WHERE kind = $1 AND subject = $2 AND active`, kind, subject); err != nil {
		return fmt.Errorf("postgres: deactivate %s tokens of subject %q: %w", kind, subject, err)
	}
	return nil
}

func (s *Store) DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired tokens: %w", err)
	}
	return n, nil
}
