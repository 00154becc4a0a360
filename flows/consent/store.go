package consent

import (
	"context"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the consent page needs of storage.
type Store interface {
	// The consenting user and their consents.
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error)
	SaveConsent(ctx context.Context, c storage.Consent) error
}
