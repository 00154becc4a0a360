package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lockstep-id/lockstep/storage"
)

// flowMovedCode is the SQLSTATE require_flow_update raises (migration 00008).
const flowMovedCode = "LS409"

// commitFlowSQL stores the flow at its version and fails when no row was touched.
const commitFlowSQL = `WITH updated AS (` + updateFlowSQL + ` RETURNING 1)
	SELECT require_flow_update(count(*)) FROM updated`

// CommitSignIn sends its statements in one batch without BEGIN and COMMIT: the
// batch is one implicit transaction, so the sign-in costs one round trip and one
// commit. The flow's version-checked update comes first and raises an error when
// it touches no row, which rolls back the whole batch.
func (s *Store) CommitSignIn(ctx context.Context, in storage.SignIn) error {
	f := in.Flow
	b := &pgx.Batch{}
	b.Queue(commitFlowSQL, updateFlowArgs(f)...)
	if in.EndSession != "" {
		b.Queue(`DELETE FROM sessions WHERE id = $1`, in.EndSession)
	}
	if x := in.Session; x != nil {
		b.Queue(insertSessionSQL, sessionArgs(*x)...)
	}
	if len(in.Tokens) > 0 {
		q, args := insertTokens(in.Tokens)
		b.Queue(q, args...)
	}
	if len(in.Audit) > 0 {
		q, args := insertAudit(in.Audit)
		b.Queue(q, args...)
	}
	if len(in.ResetThrottles) > 0 {
		b.Queue(`DELETE FROM throttle WHERE key = ANY($1)`, in.ResetThrottles)
	}
	err := s.pool.SendBatch(ctx, b).Close()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == flowMovedCode {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM flows WHERE id = $1)`, f.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: commit sign-in of flow %q: %w", f.ID, translate(err))
	}
	return nil
}
