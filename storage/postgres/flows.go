package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// CreateFlowAudited is one statement: the audit INSERT takes the flow INSERT as a
// CTE, so both are kept or neither.
func (s *Store) CreateFlowAudited(ctx context.Context, f storage.Flow, audit []storage.AuditEvent) error {
	var q string
	var args []any
	if len(audit) > 0 {
		q, args = insertAudit(audit)
	}
	fq, fargs := insertFlow(f, len(args))
	if q != "" {
		fq = "WITH flow AS (" + fq + ") " + q
	}
	if _, err := s.pool.Exec(ctx, fq, append(args, fargs...)...); err != nil {
		return fmt.Errorf("postgres: create flow %q: %w", f.ID, translate(err))
	}
	return nil
}

// insertFlow is the INSERT of f with its arguments, numbered after the first n.
func insertFlow(f storage.Flow, n int) (string, []any) {
	return fmt.Sprintf(`INSERT INTO flows (id, browser_hash, client_id, authorize_query,
		requested_at, state, user_id, proven, expires_at, version, kind, declined, return_to, reset)
		VALUES ($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)`, n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+13, n+14),
		[]any{f.ID, f.BrowserHash, f.ClientID, f.AuthorizeQuery, f.RequestedAt, f.State, f.UserID, f.Proven, f.ExpiresAt, f.Version, f.Kind, f.Declined, f.ReturnTo, f.Reset}
}

// updateFlowSQL stores a flow at its version (updateFlowArgs); it touches no row
// when the version moved on.
const updateFlowSQL = `UPDATE flows SET browser_hash = $3, client_id = $4, authorize_query = $5,
	requested_at = $6, state = $7, user_id = $8, proven = $9, expires_at = $10, kind = $11, declined = $12, return_to = $13, reset = $14, version = version + 1
	WHERE id = $1 AND version = $2`

func updateFlowArgs(f storage.Flow) []any {
	return []any{f.ID, f.Version, f.BrowserHash, f.ClientID, f.AuthorizeQuery, f.RequestedAt, f.State, f.UserID, f.Proven, f.ExpiresAt, f.Kind, f.Declined, f.ReturnTo, f.Reset}
}

func (s *Store) GetFlow(ctx context.Context, id string) (storage.Flow, error) {
	f := storage.Flow{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT browser_hash, client_id, authorize_query, requested_at,
		state, user_id, proven, expires_at, version, kind, declined, return_to, reset FROM flows WHERE id = $1`, id).
		Scan(&f.BrowserHash, &f.ClientID, &f.AuthorizeQuery, &f.RequestedAt, &f.State, &f.UserID, &f.Proven, &f.ExpiresAt, &f.Version, &f.Kind, &f.Declined, &f.ReturnTo, &f.Reset)
	if err != nil {
		return storage.Flow{}, fmt.Errorf("postgres: get flow %q: %w", id, translate(err))
	}
	utcProofs(f.Proven)
	return f, nil
}

func (s *Store) DeleteFlow(ctx context.Context, id string) error {
	if err := s.exec(ctx, `DELETE FROM flows WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete flow %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteExpiredFlows(ctx context.Context, before time.Time) (int, error) {
	n, err := s.count(ctx, `DELETE FROM flows WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired flows: %w", unavailable(err))
	}
	return n, nil
}
