package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

const sessionColumns = `id, user_id, factors, auth_time, created_at, expires_at, user_agent, ip, last_seen_at`

func scanSession(row pgx.Row) (storage.Session, error) {
	var x storage.Session
	if err := row.Scan(&x.ID, &x.UserID, &x.Factors, &x.AuthTime, &x.CreatedAt, &x.ExpiresAt, &x.UserAgent, &x.IP, &x.LastSeenAt); err != nil {
		return storage.Session{}, err
	}
	utcProofs(x.Factors)
	return x, nil
}

const insertSessionSQL = `INSERT INTO sessions (` + sessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

func sessionArgs(x storage.Session) []any {
	return []any{x.ID, x.UserID, x.Factors, x.AuthTime, x.CreatedAt, x.ExpiresAt, x.UserAgent, x.IP, x.LastSeenAt}
}

func (s *Store) CreateSession(ctx context.Context, x storage.Session) error {
	_, err := s.pool.Exec(ctx, insertSessionSQL, sessionArgs(x)...)
	if err != nil {
		return fmt.Errorf("postgres: create session %q: %w", x.ID, translate(err))
	}
	return nil
}

func (s *Store) GetSession(ctx context.Context, id string) (storage.Session, error) {
	x, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
	if err != nil {
		return storage.Session{}, fmt.Errorf("postgres: get session %q: %w", id, translate(err))
	}
	return x, nil
}

func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.exec(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete session %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) SetSessionFactors(ctx context.Context, id string, factors []storage.FactorProof, authTime time.Time) error {
	if err := s.exec(ctx, `UPDATE sessions SET factors = $2, auth_time = $3 WHERE id = $1`, id, factors, authTime); err != nil {
		return fmt.Errorf("postgres: set factors of session %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if err := s.exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("postgres: touch session %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) ListSessionsByUser(ctx context.Context, userID string) ([]storage.Session, error) {
	xs, err := list(ctx, s, scanSession, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 ORDER BY created_at DESC, id COLLATE "C"`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list sessions of user %q: %w", userID, unavailable(err))
	}
	return xs, nil
}

func (s *Store) DeleteSessionsByUser(ctx context.Context, userID string) (int, error) {
	n, err := s.count(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete sessions of user %q: %w", userID, unavailable(err))
	}
	return n, nil
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM sessions WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired sessions: %w", unavailable(err))
	}
	return n, nil
}
