package storage

import (
	"context"
	"time"
)

// LinkPurpose says what an emailed link does; a link works only for its purpose.
type LinkPurpose string

const (
	// LinkPasswordReset sets a new password for a user who forgot theirs.
	LinkPasswordReset LinkPurpose = "password-reset"
	// LinkInvitation sets the first password of an invited user.
	LinkInvitation LinkPurpose = "invitation"
	// LinkEmailChange confirms a user's new email address.
	LinkEmailChange LinkPurpose = "email-change"
)

// EmailLink is a single-use link sent by email, bound to one user and one purpose.
type EmailLink struct {
	// Hash is the SHA-256 of the link's 256-bit token (see flows/emaillink); never
	// the token. It is the link's unique key.
	Hash    string
	Purpose LinkPurpose
	UserID  string
	// Email is the address the link was sent to; for LinkEmailChange the new address.
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is nil until the link was used.
	UsedAt *time.Time
}

// EmailLinkStore keeps emailed links. A link is live while it is unused and its
// ExpiresAt is after now; only live links are read or used, and a link that is not
// live, has another purpose or does not exist gives ErrNotFound alike, so a caller
// cannot tell them apart.
type EmailLinkStore interface {
	// PutEmailLink stores a new link; a hash in use gives ErrAlreadyExists.
	PutEmailLink(ctx context.Context, l EmailLink) error
	// UseEmailLink atomically marks the live link with that purpose and hash used
	// (UsedAt = now) and returns it; otherwise ErrNotFound and nothing changes. Of
	// concurrent callers exactly one succeeds.
	UseEmailLink(ctx context.Context, purpose LinkPurpose, hash string, now time.Time) (EmailLink, error)
	// GetEmailLink returns the live link with that purpose and hash without using it
	// (to show the form the link leads to); otherwise ErrNotFound.
	GetEmailLink(ctx context.Context, purpose LinkPurpose, hash string, now time.Time) (EmailLink, error)
	// DeleteEmailLinks removes the user's links of that purpose, used or not, and
	// returns how many.
	DeleteEmailLinks(ctx context.Context, userID string, purpose LinkPurpose) (int, error)
	// DeleteExpiredEmailLinks removes links whose ExpiresAt is before the given time.
	DeleteExpiredEmailLinks(ctx context.Context, before time.Time) (int, error)
}
