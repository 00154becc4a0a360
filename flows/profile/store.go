package profile

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the profile pages need of storage besides the core's.
type Store interface {
	SetUserNames(ctx context.Context, id, given, family string, now time.Time) error
	// The email change: who has an address, and the change itself.
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	SetUserEmail(ctx context.Context, id, email string, verified bool, now time.Time) error
}
