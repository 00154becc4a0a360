package enrol

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what setting up a factor needs of storage besides the core's.
type Store interface {
	// The enrolling user and the enrolment attempts.
	GetUser(ctx context.Context, id string) (storage.User, error)
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	ResetThrottle(ctx context.Context, key string) error
	// A phone number being set up: its pending code, then the number.
	GetOneTimeCode(ctx context.Context, key string) (storage.OneTimeCode, error)
	SetPhoneNumber(ctx context.Context, p storage.PhoneNumber) error
	GetPhoneNumber(ctx context.Context, userID string) (storage.PhoneNumber, error)
	// The recovery codes a wizard run shows until they are stored (sealed).
	PutCeremony(ctx context.Context, key string, data []byte, expiresAt time.Time) error
	TakeCeremony(ctx context.Context, key string, now time.Time) ([]byte, error)
}
