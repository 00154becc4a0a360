package signin

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the sign-in steps need of storage besides the core's.
type Store interface {
	// Users and the sign-in lookup.
	GetFlow(ctx context.Context, id string) (storage.Flow, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	UpdateUser(ctx context.Context, u storage.User) error
	LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error)
	// Failed-attempt counters.
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	ResetThrottle(ctx context.Context, key string) error
	ThrottleCount(ctx context.Context, key string, now time.Time) (int, error)
	// The phone a code is texted to.
	GetPhoneNumber(ctx context.Context, userID string) (storage.PhoneNumber, error)
	SetPhoneNumber(ctx context.Context, p storage.PhoneNumber) error
}
