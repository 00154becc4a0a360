package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lockstep-id/lockstep/storage"
)

const orgColumns = `id, name, groups, level, covered_groups, grace_days, created_at, updated_at`

// orgRead is what reading an organisation returns: its columns and its brand,
// which only the BrandStore calls write.
const orgRead = orgColumns + `, brand_name, logo_sum`

func scanOrg(row pgx.Row) (storage.Organisation, error) {
	var o storage.Organisation
	err := row.Scan(&o.ID, &o.Name, &o.Groups, &o.Policy.Level, &o.Policy.CoveredGroups, &o.Policy.GraceDays, &o.CreatedAt, &o.UpdatedAt,
		&o.BrandName, &o.LogoSum)
	return o, err
}

// deadlineSQL is storage.OrgStore's deadline rule: the MFADeadline, after a change
// at now, of a member with groups of organisation o (a row of the query) who had
// deadline kept in o (NULL when none or not in o). memory states it in Go.
func deadlineSQL(groups, kept, now string) string {
	return `CASE WHEN o.level = '` + string(storage.LevelHigh) + `' AND ` + groups + ` && o.covered_groups
		THEN coalesce(` + kept + `, ` + now + ` + o.grace_days * interval '24 hours') END`
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Row locks inOrg takes on an organisation.
const (
	forUpdate = "FOR UPDATE" // the call changes the organisation
	forShare  = "FOR SHARE"  // the call needs its groups and policy to stay as read
)

// inOrg runs write in a transaction that first reads organisation orgID under
// lock, and appends audit after it. Every call that changes an organisation or a
// user's membership starts so: the calls on one organisation take turns where
// one of them changes it, and write's statements, each with a READ COMMITTED
// snapshot taken after the lock was granted, see every member committed before.
// With orgID "" (a user in no organisation) nothing is locked and write gets the
// zero Organisation.
func (s *Store) inOrg(ctx context.Context, orgID, lock string, audit []storage.AuditEvent, write func(pgx.Tx, storage.Organisation) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var o storage.Organisation
		if orgID != "" {
			var err error
			o, err = scanOrg(tx.QueryRow(ctx, `SELECT `+orgRead+` FROM organisations WHERE id = $1 `+lock, orgID))
			if err != nil {
				return fmt.Errorf("organisation %q: %w", orgID, translate(err))
			}
		}
		if err := write(tx, o); err != nil {
			return err
		}
		if len(audit) == 0 {
			return nil
		}
		q, args := insertAudit(audit)
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
}

// CreateOrganisation sends the organisation and its audit events as one batch,
// one implicit transaction: both are kept or neither.
func (s *Store) CreateOrganisation(ctx context.Context, o storage.Organisation, audit []storage.AuditEvent) error {
	err := o.Check()
	if err == nil {
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO organisations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			o.ID, o.Name, o.Groups, o.Policy.Level, o.Policy.CoveredGroups, o.Policy.GraceDays, o.CreatedAt, o.UpdatedAt)
		if len(audit) > 0 {
			q, args := insertAudit(audit)
			b.Queue(q, args...)
		}
		err = s.pool.SendBatch(ctx, b).Close()
	}
	if err != nil {
		return fmt.Errorf("postgres: create organisation %q: %w", o.ID, translate(err))
	}
	return nil
}

func (s *Store) GetOrganisation(ctx context.Context, id string) (storage.Organisation, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, `SELECT `+orgRead+` FROM organisations WHERE id = $1`, id))
	if err != nil {
		return storage.Organisation{}, fmt.Errorf("postgres: get organisation %q: %w", id, translate(err))
	}
	return o, nil
}

func (s *Store) ListOrganisations(ctx context.Context) ([]storage.Organisation, error) {
	orgs, err := list(ctx, s, scanOrg, `SELECT `+orgRead+` FROM organisations ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list organisations: %w", unavailable(err))
	}
	return orgs, nil
}

func (s *Store) AddGroup(ctx context.Context, orgID, name string, now time.Time, audit []storage.AuditEvent) error {
	err := s.inOrg(ctx, orgID, forUpdate, audit, func(tx pgx.Tx, o storage.Organisation) error {
		if slices.Contains(o.Groups, name) {
			return fmt.Errorf("group %q: %w", name, storage.ErrAlreadyExists)
		}
		_, err := tx.Exec(ctx, `UPDATE organisations SET groups = array_append(groups, $2), updated_at = $3 WHERE id = $1`,
			orgID, name, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: add group to organisation %q: %w", orgID, translate(err))
	}
	return nil
}

func (s *Store) RenameGroup(ctx context.Context, orgID, oldName, newName string, now time.Time, audit []storage.AuditEvent) error {
	err := s.inOrg(ctx, orgID, forUpdate, audit, func(tx pgx.Tx, o storage.Organisation) error {
		switch {
		case !slices.Contains(o.Groups, oldName):
			return fmt.Errorf("no group %q: %w", oldName, storage.ErrInvalid)
		case slices.Contains(o.Groups, newName):
			return fmt.Errorf("group %q: %w", newName, storage.ErrAlreadyExists)
		}
		if _, err := tx.Exec(ctx, `UPDATE organisations SET groups = array_replace(groups, $2, $3),
			covered_groups = array_replace(covered_groups, $2, $3), updated_at = $4 WHERE id = $1`,
			orgID, oldName, newName, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE users SET groups = array_replace(groups, $2, $3) WHERE org_id = $1 AND $2 = ANY (groups)`,
			orgID, oldName, newName)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: rename group %q of organisation %q: %w", oldName, orgID, translate(err))
	}
	return nil
}

// setDeadlinesSQL applies the deadline rule to every member of organisation $1 at
// $2, writing only the rows whose deadline changes.
var setDeadlinesSQL = func() string {
	d := deadlineSQL("u.groups", "u.mfa_deadline", "$2::timestamptz")
	return `UPDATE users u SET mfa_deadline = ` + d + `
		FROM organisations o WHERE o.id = $1 AND u.org_id = o.id AND u.mfa_deadline IS DISTINCT FROM ` + d
}()

func (s *Store) SetOrgPolicy(ctx context.Context, orgID string, p storage.OrgPolicy, now time.Time, audit []storage.AuditEvent) error {
	err := s.inOrg(ctx, orgID, forUpdate, audit, func(tx pgx.Tx, o storage.Organisation) error {
		if err := o.CheckPolicy(p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE organisations SET level = $2, covered_groups = $3, grace_days = $4, updated_at = $5
			WHERE id = $1`, orgID, p.Level, p.CoveredGroups, p.GraceDays, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, setDeadlinesSQL, orgID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set policy of organisation %q: %w", orgID, translate(err))
	}
	return nil
}

// setUserOrgSQL keeps the user's deadline only while they stay in the same
// organisation (the SET expressions read the row as it was).
var setUserOrgSQL = `UPDATE users u SET org_id = $2, groups = $3, updated_at = $4,
	mfa_deadline = (SELECT ` + deadlineSQL("$3::text[]", "CASE WHEN u.org_id = $2 THEN u.mfa_deadline END", "$4::timestamptz") + `
		FROM organisations o WHERE o.id = $2)
	WHERE u.id = $1`

func (s *Store) SetUserOrg(ctx context.Context, userID, orgID string, groups []string, now time.Time, audit []storage.AuditEvent) error {
	err := s.inOrg(ctx, orgID, forShare, audit, func(tx pgx.Tx, o storage.Organisation) error {
		if err := o.CheckGroups(groups); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, setUserOrgSQL, userID, orgID, notNull(groups), now)
		if err == nil && tag.RowsAffected() == 0 {
			err = storage.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set organisation of user %q: %w", userID, translate(err))
	}
	return nil
}

func (s *Store) ListUsersByOrg(ctx context.Context, orgID string) ([]storage.User, error) {
	us, err := list(ctx, s, scanUser, `SELECT `+userColumns+` FROM users WHERE org_id = $1 ORDER BY id COLLATE "C"`, orgID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users of organisation %q: %w", orgID, unavailable(err))
	}
	return us, nil
}
