package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

const clientColumns = `id, secret_hash, name, redirect_uris, post_logout_redirect_uris,
	grant_types, response_types, scopes, public, first_party, min_acr, default_acr_values,
	max_auth_age_ns, access_token_format, id_token_alg, created_at, updated_at`

// clientRead is what reading a client returns: its columns and the sum of its
// logo, which only the BrandStore calls write.
const clientRead = clientColumns + `, logo_sum`

func scanClient(row pgx.Row) (storage.Client, error) {
	var c storage.Client
	var maxAuthAge int64
	err := row.Scan(&c.ID, &c.SecretHash, &c.Name, &c.RedirectURIs, &c.PostLogoutRedirectURIs,
		&c.GrantTypes, &c.ResponseTypes, &c.Scopes, &c.Public, &c.FirstParty, &c.MinACR, &c.DefaultACRValues,
		&maxAuthAge, &c.AccessTokenFormat, &c.IDTokenAlg, &c.CreatedAt, &c.UpdatedAt, &c.LogoSum)
	c.MaxAuthAge = time.Duration(maxAuthAge)
	return c, err
}

// notNull maps a nil list to an empty one, for the text[] columns that are NOT NULL.
func notNull(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		c.ID, c.SecretHash, c.Name, c.RedirectURIs, c.PostLogoutRedirectURIs,
		c.GrantTypes, c.ResponseTypes, c.Scopes, c.Public, c.FirstParty, c.MinACR, notNull(c.DefaultACRValues),
		int64(c.MaxAuthAge), c.AccessTokenFormat, c.IDTokenAlg, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("postgres: create client %q: %w", c.ID, translate(err))
	}
	return nil
}

func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := scanClient(s.pool.QueryRow(ctx, `SELECT `+clientRead+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return storage.Client{}, fmt.Errorf("postgres: get client %q: %w", id, translate(err))
	}
	return c, nil
}

func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	// COLLATE "C" orders by bytes, like Go, whatever the database's collation.
	cs, err := list(ctx, s, scanClient, `SELECT `+clientRead+` FROM clients ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list clients: %w", unavailable(err))
	}
	return cs, nil
}

func (s *Store) UpdateClient(ctx context.Context, c storage.Client) error {
	err := s.exec(ctx, `UPDATE clients SET secret_hash = $2, name = $3, redirect_uris = $4,
		post_logout_redirect_uris = $5, grant_types = $6, response_types = $7, scopes = $8,
		public = $9, first_party = $10, min_acr = $11, default_acr_values = $12,
		max_auth_age_ns = $13, access_token_format = $14, id_token_alg = $15, created_at = $16, updated_at = $17
		WHERE id = $1`,
		c.ID, c.SecretHash, c.Name, c.RedirectURIs, c.PostLogoutRedirectURIs,
		c.GrantTypes, c.ResponseTypes, c.Scopes, c.Public, c.FirstParty, c.MinACR, notNull(c.DefaultACRValues),
		int64(c.MaxAuthAge), c.AccessTokenFormat, c.IDTokenAlg, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("postgres: update client %q: %w", c.ID, unavailable(err))
	}
	return nil
}

func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := s.exec(ctx, `DELETE FROM clients WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete client %q: %w", id, unavailable(err))
	}
	return nil
}
