package idp

import (
	"context"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the provider needs of storage (storage.Storage has it all):
// fosite's token records, clients, the signed-in user for userinfo, the spent
// flow with its code, the audit log and the failure counters a request cleared
// (flows.AuditBuffer), and a ping for readiness.
type Store interface {
	tokenStore
	storage.ClientStore
	GetUser(ctx context.Context, id string) (storage.User, error)
	CommitSignIn(ctx context.Context, s storage.SignIn) error
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	AppendAudits(ctx context.Context, es []storage.AuditEvent) error
	ResetThrottle(ctx context.Context, key string) error
	// GetLogo reads the logos the provider serves (logo).
	GetLogo(ctx context.Context, owner storage.LogoOwner, ownerID string) (storage.Logo, error)
	Ping(ctx context.Context) error
}

// tokenStore is what the fosite adapter needs: token records, written in a
// request's batch, and the nonces of client assertions.
type tokenStore interface {
	GetToken(ctx context.Context, kind storage.TokenKind, signature string) (storage.Token, error)
	GetTokens(ctx context.Context, signature string, kinds ...storage.TokenKind) ([]storage.Token, error)
	CreateTokens(ctx context.Context, ts []storage.Token) error
	ConsumeToken(ctx context.Context, kind storage.TokenKind, signature string) error
	ConsumeTokenCreating(ctx context.Context, kind storage.TokenKind, signature string, also []storage.TokenKind, ts []storage.Token) error
	SpendRefreshToken(ctx context.Context, signature, requestID string, ts []storage.Token) error
	DeactivateTokensByRequestID(ctx context.Context, kind storage.TokenKind, requestID string) error
	DeleteToken(ctx context.Context, kind storage.TokenKind, signature string) error
	UseNonce(ctx context.Context, key string, expiresAt time.Time, now time.Time) error
}
