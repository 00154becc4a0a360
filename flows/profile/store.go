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
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// The links that confirm a new address.
	PutEmailLink(ctx context.Context, l storage.EmailLink) error
	GetEmailLink(ctx context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error)
	UseEmailLink(ctx context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error)
	DeleteEmailLinks(ctx context.Context, userID string, purpose storage.LinkPurpose) (int, error)
}
