package storage

import (
	"context"
	"time"
)

// LogoOwner says whose logo a Logo is.
type LogoOwner string

const (
	// LogoClient is a client's logo, shown on its sign-in's pages.
	LogoClient LogoOwner = "client"
	// LogoOrg is an organisation's logo, shown to its members instead of the server's.
	LogoOrg LogoOwner = "org"
)

// Logo is the image of a client or an organisation. It lives apart from its
// owner's record, which carries only its Sum (Client.LogoSum,
// Organisation.LogoSum): the owner is read on every sign-in, the image only when
// a browser fetches it.
type Logo struct {
	Owner   LogoOwner
	OwnerID string
	// MediaType is sniffed from Content when it was accepted, never taken from
	// the uploader.
	MediaType string
	Content   []byte
	// Sum is a short digest of Content (the caller's), the image's version: its
	// ETag and the cache-busting part of its URL.
	Sum       string
	UpdatedAt time.Time
}

// BrandStore keeps the logos of clients and organisations and an organisation's
// brand name. Setting or deleting a logo changes the owner's LogoSum in the same
// atomic step; deleting a client deletes its logo.
type BrandStore interface {
	// SetLogo stores l as its owner's logo, replacing any, and sets the owner's
	// LogoSum to l.Sum. An unknown owner gives ErrNotFound; an unknown
	// Owner kind ErrInvalid.
	SetLogo(ctx context.Context, l Logo) error
	// GetLogo returns the owner's logo; ErrNotFound when it has none (or does
	// not exist).
	GetLogo(ctx context.Context, owner LogoOwner, ownerID string) (Logo, error)
	// DeleteLogo removes the owner's logo and clears its LogoSum; ErrNotFound
	// when it has none.
	DeleteLogo(ctx context.Context, owner LogoOwner, ownerID string) error
	// SetOrgBrandName sets the name the organisation's members see instead of
	// the product name ("": the product name) and its UpdatedAt; ErrNotFound
	// for an unknown organisation.
	SetOrgBrandName(ctx context.Context, orgID, name string, now time.Time) error
}
