package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (id, at, type, user_id, client_id, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ID, e.At, e.Type, e.UserID, e.ClientID, e.IP, e.Detail)
	if err != nil {
		return fmt.Errorf("postgres: append audit %q: %w", e.ID, translate(err))
	}
	return nil
}

// AppendAudits is one multi-row INSERT; rows get their seq in the order given.
func (s *Store) AppendAudits(ctx context.Context, es []storage.AuditEvent) error {
	if len(es) == 0 {
		return nil
	}
	q, args := insertAudit(es)
	if _, err := s.pool.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("postgres: append %d audit events: %w", len(es), translate(err))
	}
	return nil
}

// insertAudit is the multi-row INSERT of es (at least one) with its arguments.
func insertAudit(es []storage.AuditEvent) (string, []any) {
	var q strings.Builder
	q.WriteString(`INSERT INTO audit (id, at, type, user_id, client_id, ip, detail) VALUES `)
	args := make([]any, 0, 7*len(es))
	for i, e := range es {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, e.ID, e.At, e.Type, e.UserID, e.ClientID, e.IP, e.Detail)
	}
	return q.String(), args
}

func scanEvent(row pgx.Row) (storage.AuditEvent, error) {
	var e storage.AuditEvent
	err := row.Scan(&e.ID, &e.At, &e.Type, &e.UserID, &e.ClientID, &e.IP, &e.Detail)
	return e, err
}

func (s *Store) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	// Only the filters in use go into the SQL, so each combination gets a plan that
	// can use its index; there are few combinations, so the statement cache stays small.
	var q strings.Builder
	var args []any
	q.WriteString(`SELECT id, at, type, user_id, client_id, ip, detail FROM audit WHERE true`)
	where := func(cond string, v any) {
		args = append(args, v)
		q.WriteString(" AND " + cond + " $" + strconv.Itoa(len(args)))
	}
	if f.UserID != "" {
		where("user_id =", f.UserID)
	}
	if f.ClientID != "" {
		where("client_id =", f.ClientID)
	}
	if !f.Since.IsZero() {
		where("at >=", f.Since)
	}
	if !f.Until.IsZero() {
		where("at <", f.Until)
	}
	q.WriteString(" ORDER BY at DESC, seq DESC")
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q.WriteString(" LIMIT $" + strconv.Itoa(len(args)))
	}
	es, err := list(ctx, s, scanEvent, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", unavailable(err))
	}
	return es, nil
}
