package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

// ownerTable is the table of each kind of logo owner.
var ownerTable = map[storage.LogoOwner]string{storage.LogoClient: "clients", storage.LogoOrg: "organisations"}

// logoOwner returns the owner kind's table, or an error wrapping
// storage.ErrInvalid for an unknown kind.
func logoOwner(owner storage.LogoOwner) (string, error) {
	table, ok := ownerTable[owner]
	if !ok {
		return "", fmt.Errorf("logo owner kind %q: %w", owner, storage.ErrInvalid)
	}
	return table, nil
}

// SetLogo writes the owner's sum first: its row lock orders concurrent uploads
// for one owner, and no row there means no owner.
func (s *Store) SetLogo(ctx context.Context, l storage.Logo) error {
	table, err := logoOwner(l.Owner)
	if err == nil {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE `+table+` SET logo_sum = $2 WHERE id = $1`, l.OwnerID, l.Sum)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return storage.ErrNotFound
			}
			_, err = tx.Exec(ctx, `INSERT INTO logos (owner_kind, owner_id, media_type, content, sum, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (owner_kind, owner_id) DO UPDATE SET media_type = excluded.media_type,
					content = excluded.content, sum = excluded.sum, updated_at = excluded.updated_at`,
				l.Owner, l.OwnerID, l.MediaType, l.Content, l.Sum, l.UpdatedAt)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: set logo of %s %q: %w", l.Owner, l.OwnerID, translate(err))
	}
	return nil
}

func (s *Store) GetLogo(ctx context.Context, owner storage.LogoOwner, ownerID string) (storage.Logo, error) {
	l := storage.Logo{Owner: owner, OwnerID: ownerID}
	_, err := logoOwner(owner)
	if err == nil {
		err = s.pool.QueryRow(ctx, `SELECT media_type, content, sum, updated_at FROM logos
			WHERE owner_kind = $1 AND owner_id = $2`, owner, ownerID).Scan(&l.MediaType, &l.Content, &l.Sum, &l.UpdatedAt)
	}
	if err != nil {
		return storage.Logo{}, fmt.Errorf("postgres: get logo of %s %q: %w", owner, ownerID, translate(err))
	}
	return l, nil
}

func (s *Store) DeleteLogo(ctx context.Context, owner storage.LogoOwner, ownerID string) error {
	table, err := logoOwner(owner)
	if err == nil {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM logos WHERE owner_kind = $1 AND owner_id = $2`, owner, ownerID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return storage.ErrNotFound
			}
			_, err = tx.Exec(ctx, `UPDATE `+table+` SET logo_sum = '' WHERE id = $1`, ownerID)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: delete logo of %s %q: %w", owner, ownerID, translate(err))
	}
	return nil
}

func (s *Store) SetOrgBrandName(ctx context.Context, orgID, name string, now time.Time) error {
	if err := s.exec(ctx, `UPDATE organisations SET brand_name = $2, updated_at = $3 WHERE id = $1`, orgID, name, now); err != nil {
		return fmt.Errorf("postgres: set brand name of organisation %q: %w", orgID, err)
	}
	return nil
}
