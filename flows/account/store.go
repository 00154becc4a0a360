package account

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the account pages need of storage besides the core's.
type Store interface {
	// The password change and its limit.
	UpdateUser(ctx context.Context, u storage.User) error
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	ThrottleCount(ctx context.Context, key string, now time.Time) (int, error)
	// The sessions listed and ended one by one.
	ListSessionsByUser(ctx context.Context, userID string) ([]storage.Session, error)
	DeleteSession(ctx context.Context, id string) error
	// What removing a second factor takes out of every session.
	SetSessionFactors(ctx context.Context, id string, factors []storage.FactorProof, authTime time.Time) error
	// The phone, remembered devices and trusted addresses.
	GetPhoneNumber(ctx context.Context, userID string) (storage.PhoneNumber, error)
	DeletePhoneNumber(ctx context.Context, userID string) error
	ListTrusts(ctx context.Context, userID string) ([]storage.Trust, error)
	GetTrust(ctx context.Context, id string) (storage.Trust, error)
	DeleteTrust(ctx context.Context, id string) error
	DeleteTrustsByUser(ctx context.Context, userID string, kinds ...storage.TrustKind) (int, error)
}
