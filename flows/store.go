package flows

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the core needs of storage (storage.Storage has it all): the
// flows, sessions, the user and their factors at sign-in, trust records, the
// one-time codes it drops and the audit log.
type Store interface {
	// Flows, written with the request's audit events.
	CreateFlowAudited(ctx context.Context, f storage.Flow, audit []storage.AuditEvent) error
	GetFlow(ctx context.Context, id string) (storage.Flow, error)
	CommitSignIn(ctx context.Context, s storage.SignIn) error
	// SSO sessions.
	GetSession(ctx context.Context, id string) (storage.Session, error)
	CreateSession(ctx context.Context, s storage.Session) error
	DeleteSession(ctx context.Context, id string) error
	TouchSession(ctx context.Context, id string, at time.Time) error
	// The user, their factors and consent, in one round trip at a step.
	GetUser(ctx context.Context, id string) (storage.User, error)
	LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error)
	SummarizeFactors(ctx context.Context, userID string) (storage.FactorSummary, error)
	// Remembered devices, trusted and known addresses.
	GetTrust(ctx context.Context, id string) (storage.Trust, error)
	PutTrust(ctx context.Context, t storage.Trust) error
	// What removing every second factor takes away, and the sessions it ends.
	DeleteTOTPDevicesByUser(ctx context.Context, userID string) (int, error)
	DeleteWebAuthnCredentialsByUser(ctx context.Context, userID string) (int, error)
	DeletePhoneNumber(ctx context.Context, userID string) error
	DeleteRecoveryCodes(ctx context.Context, userID string) error
	DeleteTrustsByUser(ctx context.Context, userID string, kinds ...storage.TrustKind) (int, error)
	ListSessionsByUser(ctx context.Context, userID string) ([]storage.Session, error)
	// What a new password ends.
	DeleteSessionsByUser(ctx context.Context, userID string) (int, error)
	DeactivateTokensBySubject(ctx context.Context, kind storage.TokenKind, subject string) error
	// A text-message code that could not be sent.
	DeleteOneTimeCode(ctx context.Context, key string) error
	// The audit log.
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	AppendAudits(ctx context.Context, es []storage.AuditEvent) error
}
