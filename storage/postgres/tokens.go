package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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

// CreateTokens is one multi-row INSERT: one statement, one commit, all or nothing.
func (s *Store) CreateTokens(ctx context.Context, ts []storage.Token) error {
	if len(ts) == 0 {
		return nil
	}
	q, args := insertTokens(ts)
	if _, err := s.pool.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("postgres: create %d tokens: %w", len(ts), translate(err))
	}
	return nil
}

const insertTokensSQL = `INSERT INTO tokens (kind, signature, request_id, client_id, subject, active, data, created_at, expires_at) `

// insertTokens is the multi-row INSERT of ts (at least one) with its arguments.
func insertTokens(ts []storage.Token) (string, []any) {
	values, args := tokenValues(ts, nil)
	return insertTokensSQL + values, args
}

// tokenValues is a VALUES list of ts, its parameters numbered after args and
// appended to them. The values are typed, so the list also works as a SELECT.
func tokenValues(ts []storage.Token, args []any) (string, []any) {
	var q strings.Builder
	q.WriteString("VALUES ")
	for i, t := range ts {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d::text, $%d::text, $%d::text, $%d::text, $%d::text, $%d::boolean, $%d::bytea, $%d::timestamptz, $%d::timestamptz)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
		args = append(args, t.Kind, t.Signature, t.RequestID, t.ClientID, t.Subject, t.Active, t.Data, t.CreatedAt, t.ExpiresAt)
	}
	return q.String(), args
}

func (s *Store) GetTokens(ctx context.Context, signature string, kinds ...storage.TokenKind) ([]storage.Token, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	rows, err := s.pool.Query(ctx, `SELECT kind, request_id, client_id, subject, active, data, created_at, expires_at
		FROM tokens WHERE signature = $1 AND kind = ANY($2)`, signature, names)
	if err != nil {
		return nil, fmt.Errorf("postgres: get tokens %q: %w", signature, unavailable(err))
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.Token, error) {
		t := storage.Token{Signature: signature}
		err := row.Scan(&t.Kind, &t.RequestID, &t.ClientID, &t.Subject, &t.Active, &t.Data, &t.CreatedAt, &t.ExpiresAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: get tokens %q: %w", signature, unavailable(err))
	}
	var out []storage.Token
	for _, k := range kinds {
		for _, t := range found {
			if t.Kind == k {
				out = append(out, t)
			}
		}
	}
	return out, nil
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
		return fmt.Errorf("postgres: delete token %s %q: %w", kind, signature, unavailable(err))
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
		return fmt.Errorf("postgres: consume token %s %q: %w", kind, signature, unavailable(err))
	}
	return nil
}

// ConsumeTokenCreating is one statement: the DELETE and the INSERT run only when
// the guarded UPDATE took the row. A key violation of the INSERT aborts it all.
func (s *Store) ConsumeTokenCreating(ctx context.Context, kind storage.TokenKind, signature string, also []storage.TokenKind, ts []storage.Token) error {
	return s.consumeCreating(ctx, kind, signature, also, "", ts)
}

// SpendRefreshToken is ConsumeTokenCreating's statement with one more step that
// ends the family's access tokens. Every step of a statement sees the rows as they
// were before it, so the access token stored with the rotation stays active.
func (s *Store) SpendRefreshToken(ctx context.Context, signature, requestID string, ts []storage.Token) error {
	return s.consumeCreating(ctx, storage.TokenRefresh, signature, nil, requestID, ts)
}

// consumeCreating spends the token, deletes its also records, ends the access
// tokens of family (unless "") and stores ts, in one statement.
func (s *Store) consumeCreating(ctx context.Context, kind storage.TokenKind, signature string, also []storage.TokenKind, family string, ts []storage.Token) error {
	args := []any{kind, signature}
	deleted := ""
	if len(also) > 0 {
		// Only when there is something to delete: a generic plan for an empty list
		// scans the whole table.
		names := make([]string, len(also))
		for i, k := range also {
			names[i] = string(k)
		}
		args = append(args, names)
		deleted = fmt.Sprintf(`, deleted AS (
			DELETE FROM tokens WHERE signature = $2 AND kind = ANY($%d) AND EXISTS (SELECT 1 FROM consumed)
		)`, len(args))
	}
	ended := ""
	if family != "" {
		args = append(args, storage.TokenAccess, family)
		ended = fmt.Sprintf(`, ended AS (
			UPDATE tokens SET active = false WHERE kind = $%d AND request_id = $%d AND active
				AND EXISTS (SELECT 1 FROM consumed)
		)`, len(args)-1, len(args))
	}
	insert := ""
	if len(ts) > 0 {
		var values string
		values, args = tokenValues(ts, args)
		insert = `, created AS (` + insertTokensSQL + `SELECT * FROM (` + values + `) AS v WHERE EXISTS (SELECT 1 FROM consumed))`
	}
	var n int
	// subject locks the token's user row (FOR SHARE): a concurrent disable, which
	// updates that row, either waits for this statement (and then revokes what it
	// stored) or wins it (and this sees the user disabled).
	err := s.pool.QueryRow(ctx, `WITH subject AS (
			SELECT u.disabled FROM users u
			WHERE u.id = (SELECT subject FROM tokens WHERE kind = $1 AND signature = $2) FOR SHARE
		), consumed AS (
			UPDATE tokens SET active = false WHERE kind = $1 AND signature = $2 AND active
				AND NOT EXISTS (SELECT 1 FROM subject WHERE disabled) RETURNING 1
		)`+deleted+ended+insert+`
		SELECT count(*) FROM consumed`, args...).Scan(&n)
	if err == nil && n == 0 {
		err = s.notConsumed(ctx, kind, signature)
	}
	if err != nil {
		return fmt.Errorf("postgres: consume token %s %q: %w", kind, signature, translate(err))
	}
	return nil
}

// notConsumed says why a token was not consumed: its user is disabled, it was
// spent already, or it does not exist.
func (s *Store) notConsumed(ctx context.Context, kind storage.TokenKind, signature string) error {
	var disabled bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens t JOIN users u ON u.id = t.subject
		WHERE t.kind = $1 AND t.signature = $2 AND t.active AND u.disabled)`, kind, signature).Scan(&disabled)
	switch {
	case err != nil:
		return err
	case disabled:
		return storage.ErrDisabled
	}
	return s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE kind = $1 AND signature = $2)`, kind, signature)
}

func (s *Store) DeactivateTokensByRequestID(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE tokens SET active = false
		WHERE kind = $1 AND request_id = $2 AND active`, kind, requestID); err != nil {
		return fmt.Errorf("postgres: deactivate %s tokens of request %q: %w", kind, requestID, unavailable(err))
	}
	return nil
}

func (s *Store) DeactivateTokensBySubject(ctx context.Context, kind storage.TokenKind, subject string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE tokens SET active = false
		WHERE kind = $1 AND subject = $2 AND active`, kind, subject); err != nil {
		return fmt.Errorf("postgres: deactivate %s tokens of subject %q: %w", kind, subject, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired tokens: %w", unavailable(err))
	}
	return n, nil
}
