package postgres

import (
	"context"
	"fmt"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) SaveConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO consents (user_id, client_id, scopes, granted_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at`,
		c.UserID, c.ClientID, c.Scopes, c.GrantedAt)
	if err != nil {
		return fmt.Errorf("postgres: save consent of user %q for client %q: %w", c.UserID, c.ClientID, unavailable(err))
	}
	return nil
}

func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c := storage.Consent{UserID: userID, ClientID: clientID}
	err := s.pool.QueryRow(ctx, `SELECT scopes, granted_at FROM consents WHERE user_id = $1 AND client_id = $2`,
		userID, clientID).Scan(&c.Scopes, &c.GrantedAt)
	if err != nil {
		return storage.Consent{}, fmt.Errorf("postgres: get consent of user %q for client %q: %w", userID, clientID, translate(err))
	}
	return c, nil
}

func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	if err := s.exec(ctx, `DELETE FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID); err != nil {
		return fmt.Errorf("postgres: delete consent of user %q for client %q: %w", userID, clientID, unavailable(err))
	}
	return nil
}
