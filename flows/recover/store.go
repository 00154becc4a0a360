package recover

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the recovery pages need of storage besides the core's.
type Store interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	UpdateUser(ctx context.Context, u storage.User) error
	// The emailed links.
	PutEmailLink(ctx context.Context, l storage.EmailLink) error
	GetEmailLink(ctx context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error)
	UseEmailLink(ctx context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error)
	DeleteEmailLinks(ctx context.Context, userID string, purpose storage.LinkPurpose) (int, error)
	// Request counters.
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	ResetThrottle(ctx context.Context, key string) error
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}
