package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) SetPlatformAdmin(ctx context.Context, userID string, admin bool, at time.Time, audit []storage.AuditEvent) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 FOR SHARE)`, userID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return storage.ErrNotFound
		}
		var err error
		if admin {
			_, err = tx.Exec(ctx, `INSERT INTO platform_admins (user_id, granted_at) VALUES ($1, $2)
				ON CONFLICT (user_id) DO NOTHING`, userID, at)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM platform_admins WHERE user_id = $1`, userID)
		}
		if err != nil || len(audit) == 0 {
			return err
		}
		q, args := insertAudit(audit)
		_, err = tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set platform admin %q: %w", userID, translate(err))
	}
	return nil
}

func (s *Store) IsPlatformAdmin(ctx context.Context, userID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM platform_admins WHERE user_id = $1)`, userID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: is platform admin %q: %w", userID, unavailable(err))
	}
	return ok, nil
}

func (s *Store) ListPlatformAdmins(ctx context.Context) ([]storage.User, error) {
	us, err := list(ctx, s, scanUser, `SELECT `+userColumns+` FROM users
		WHERE id IN (SELECT user_id FROM platform_admins) ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list platform admins: %w", unavailable(err))
	}
	return us, nil
}

// query builds a statement from the filters in use, so each combination gets a
// plan of its own.
type query struct {
	sql  strings.Builder
	args []any
}

// arg adds v to the arguments and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// hasSecondFactorSQL is true for a user (column users.id) with an active app, a
// security key or a phone, as SummarizeFactors counts them.
const hasSecondFactorSQL = `(EXISTS (SELECT 1 FROM totp_devices t WHERE t.user_id = users.id AND t.active)
	OR EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.user_id = users.id)
	OR EXISTS (SELECT 1 FROM phone_numbers p WHERE p.user_id = users.id))`

// userWhere is the condition of q's filters but After and Limit.
func userWhere(q *query, u storage.UserQuery) {
	q.sql.WriteString(" WHERE true")
	if u.Email != "" {
		q.sql.WriteString(" AND strpos(email, " + q.arg(strings.ToLower(u.Email)) + ") > 0")
	}
	if u.OrgID != "" {
		q.sql.WriteString(" AND org_id = " + q.arg(u.OrgID))
	}
	if u.Group != "" {
		q.sql.WriteString(" AND " + q.arg(u.Group) + " = ANY (groups)")
	}
	if !u.DeadlineBefore.IsZero() {
		q.sql.WriteString(" AND mfa_deadline < " + q.arg(u.DeadlineBefore))
	}
	if u.WithoutSecondFactor {
		q.sql.WriteString(" AND NOT " + hasSecondFactorSQL)
	}
}

func (s *Store) SearchUsers(ctx context.Context, u storage.UserQuery) ([]storage.User, error) {
	var q query
	q.sql.WriteString(`SELECT ` + userColumns + ` FROM users`)
	userWhere(&q, u)
	if u.After != "" {
		q.sql.WriteString(` AND id COLLATE "C" > ` + q.arg(u.After))
	}
	q.sql.WriteString(` ORDER BY id COLLATE "C"`)
	if u.Limit > 0 {
		q.sql.WriteString(" LIMIT " + q.arg(u.Limit))
	}
	us, err := list(ctx, s, scanUser, q.sql.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: search users: %w", unavailable(err))
	}
	return us, nil
}

func (s *Store) CountUsers(ctx context.Context, u storage.UserQuery) (int, error) {
	var q query
	q.sql.WriteString(`SELECT count(*) FROM users`)
	userWhere(&q, u)
	var n int
	if err := s.pool.QueryRow(ctx, q.sql.String(), q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", unavailable(err))
	}
	return n, nil
}

func (s *Store) QueryAudit(ctx context.Context, a storage.AuditQuery) ([]storage.AuditEvent, error) {
	var q query
	q.sql.WriteString(`SELECT id, at, type, user_id, client_id, ip, detail FROM audit WHERE true`)
	if a.Before != "" {
		var at time.Time
		var seq int64
		err := s.pool.QueryRow(ctx, `SELECT at, seq FROM audit WHERE id = $1`, a.Before).Scan(&at, &seq)
		if err != nil {
			return nil, fmt.Errorf("postgres: query audit after %q: %w", a.Before, translate(err))
		}
		q.sql.WriteString(" AND (at, seq) < (" + q.arg(at) + "::timestamptz, " + q.arg(seq) + "::bigint)")
	}
	for _, f := range []struct{ col, v string }{{"user_id", a.UserID}, {"client_id", a.ClientID}, {"type", a.Type}} {
		if f.v != "" {
			q.sql.WriteString(" AND " + f.col + " = " + q.arg(f.v))
		}
	}
	if a.OrgID != "" {
		org := q.arg(a.OrgID)
		q.sql.WriteString(" AND (detail->>'org' = " + org + " OR user_id IN (SELECT id FROM users WHERE org_id = " + org + "))")
	}
	if !a.Since.IsZero() {
		q.sql.WriteString(" AND at >= " + q.arg(a.Since))
	}
	if !a.Until.IsZero() {
		q.sql.WriteString(" AND at < " + q.arg(a.Until))
	}
	q.sql.WriteString(" ORDER BY at DESC, seq DESC")
	if a.Limit > 0 {
		q.sql.WriteString(" LIMIT " + q.arg(a.Limit))
	}
	es, err := list(ctx, s, scanEvent, q.sql.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: query audit: %w", unavailable(err))
	}
	return es, nil
}

func (s *Store) RenameOrganisation(ctx context.Context, id, name string, now time.Time, audit []storage.AuditEvent) error {
	err := s.inOrg(ctx, id, forUpdate, audit, func(tx pgx.Tx, _ storage.Organisation) error {
		_, err := tx.Exec(ctx, `UPDATE organisations SET name = $2, updated_at = $3 WHERE id = $1`, id, name, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: rename organisation %q: %w", id, translate(err))
	}
	return nil
}
