package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

const userColumns = `id, email, password_hash, given_name, family_name, disabled, created_at, updated_at,
	org_id, groups, mfa_deadline, setup_offered_at, email_verified`

func scanUser(row pgx.Row) (storage.User, error) {
	var u storage.User
	var deadline, offered *time.Time
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.GivenName, &u.FamilyName, &u.Disabled, &u.CreatedAt, &u.UpdatedAt,
		&u.OrgID, &u.Groups, &deadline, &offered, &u.EmailVerified)
	u.MFADeadline, u.SetupOfferedAt = fromNullTime(deadline), fromNullTime(offered)
	return u, err
}

// insertUserSQL takes the deadline from the policy of the user's organisation
// ($9; none without one), counting from created_at.
var insertUserSQL = `INSERT INTO users (` + userColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		(SELECT ` + deadlineSQL("$10::text[]", "NULL", "$7::timestamptz") + ` FROM organisations o WHERE o.id = $9), $11, $12)`

func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	insert := func(db execer) error {
		_, err := db.Exec(ctx, insertUserSQL, u.ID, u.Email, u.PasswordHash, u.GivenName, u.FamilyName, u.Disabled,
			u.CreatedAt, u.UpdatedAt, u.OrgID, notNull(u.Groups), nullTime(u.SetupOfferedAt), u.EmailVerified)
		return err
	}
	var err error
	if u.OrgID == "" && len(u.Groups) == 0 {
		err = insert(s.pool)
	} else {
		err = s.inOrg(ctx, u.OrgID, forShare, nil, func(tx pgx.Tx, o storage.Organisation) error {
			if err := o.CheckGroups(u.Groups); err != nil {
				return err
			}
			return insert(tx)
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: create user %q: %w", u.ID, translate(err))
	}
	return nil
}

func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return storage.User{}, fmt.Errorf("postgres: get user %q: %w", id, translate(err))
	}
	return u, nil
}

func (s *Store) GetUserByEmail(ctx context.Context, email string) (storage.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	if err != nil {
		return storage.User{}, fmt.Errorf("postgres: get user by email %q: %w", email, translate(err))
	}
	return u, nil
}

func (s *Store) ListUsers(ctx context.Context) ([]storage.User, error) {
	us, err := list(ctx, s, scanUser, `SELECT `+userColumns+` FROM users ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", unavailable(err))
	}
	return us, nil
}

func (s *Store) UpdateUser(ctx context.Context, u storage.User) error {
	err := s.exec(ctx, `UPDATE users SET email = $2, password_hash = $3, given_name = $4,
		family_name = $5, disabled = $6, created_at = $7, updated_at = $8, setup_offered_at = $9, email_verified = $10
		WHERE id = $1`,
		u.ID, u.Email, u.PasswordHash, u.GivenName, u.FamilyName, u.Disabled, u.CreatedAt, u.UpdatedAt, nullTime(u.SetupOfferedAt), u.EmailVerified)
	if err != nil {
		return fmt.Errorf("postgres: update user %q: %w", u.ID, unavailable(err))
	}
	return nil
}

func (s *Store) SetUserNames(ctx context.Context, id, given, family string, now time.Time) error {
	err := s.exec(ctx, `UPDATE users SET given_name = $2, family_name = $3, updated_at = $4 WHERE id = $1`, id, given, family, now)
	if err != nil {
		return fmt.Errorf("postgres: set names of user %q: %w", id, unavailable(err))
	}
	return nil
}

func (s *Store) SetUserEmail(ctx context.Context, id, email string, verified bool, now time.Time) error {
	err := s.exec(ctx, `UPDATE users SET email = $2, email_verified = $3, updated_at = $4 WHERE id = $1`, id, email, verified, now)
	if err != nil {
		return fmt.Errorf("postgres: set email of user %q: %w", id, unavailable(err))
	}
	return nil
}
