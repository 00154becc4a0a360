package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

// errFlowMoved rolls the sign-in back when the flow is not at the expected version.
var errFlowMoved = errors.New("flow moved on")

// CommitSignIn is one transaction whose statements go in one batch: three round
// trips (begin, batch, commit) and one commit for what used to be four commits.
// The flow's version-checked UPDATE comes first; when it touches no row, the
// transaction is rolled back and nothing else is kept.
func (s *Store) CommitSignIn(ctx context.Context, in storage.SignIn) error {
	f := in.Flow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(updateFlowSQL, updateFlowArgs(f)...)
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
		br := tx.SendBatch(ctx, b)
		tag, err := br.Exec()
		if err == nil && tag.RowsAffected() == 0 {
			err = errFlowMoved
		}
		for i := 1; err == nil && i < b.Len(); i++ {
			_, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if errors.Is(err, errFlowMoved) {
		err = s.conflictOrNotFound(ctx, `SELECT EXISTS (SELECT 1 FROM flows WHERE id = $1)`, f.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: commit sign-in of flow %q: %w", f.ID, translate(err))
	}
	return nil
}
