package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// AdministratorsGroup is the organisation group whose members are that
// organisation's administrators.
const AdministratorsGroup = "administrators"

var (
	// ErrNotAdmin: the user holds no administrator role.
	ErrNotAdmin = errors.New("admin: not an administrator")
	// ErrForbidden: the principal's role never allows this (an organisation
	// administrator and clients, or other organisations' settings).
	ErrForbidden = errors.New("admin: forbidden")
)

// Principal is who acts through the admin API or console, and what their role
// lets them reach. The Service checks every call against it (see its methods
// below): this file is the one place the roles are enforced.
type Principal struct {
	// Actor names the principal in the audit log: "user:<id>" or "client:<id>".
	Actor string
	// UserID is the administrator's user id ("" for a client).
	UserID string
	// OrgID is an organisation administrator's organisation; "" for a platform
	// administrator (a user granted the role, or a client with the admin scope).
	OrgID string
}

// Platform reports whether the principal sees everything.
func (p Principal) Platform() bool { return p.OrgID == "" }

// RoleStore is what UserPrincipal reads.
type RoleStore interface {
	IsPlatformAdmin(ctx context.Context, userID string) (bool, error)
}

// UserPrincipal is the administrator role of u: platform administrator when
// granted it, else organisation administrator when in their organisation's
// AdministratorsGroup; ErrNotAdmin otherwise.
func UserPrincipal(ctx context.Context, store RoleStore, u storage.User) (Principal, error) {
	if u.Disabled {
		return Principal{}, ErrNotAdmin
	}
	ok, err := store.IsPlatformAdmin(ctx, u.ID)
	if err != nil {
		return Principal{}, fmt.Errorf("read the role of %q: %w", u.ID, err)
	}
	switch {
	case ok:
		return Principal{Actor: "user:" + u.ID, UserID: u.ID}, nil
	case u.OrgID != "" && slices.Contains(u.Groups, AdministratorsGroup):
		return Principal{Actor: "user:" + u.ID, UserID: u.ID, OrgID: u.OrgID}, nil
	}
	return Principal{}, ErrNotAdmin
}

// ClientPrincipal is a client that holds an access token with the admin scope:
// a platform administrator.
func ClientPrincipal(clientID string) Principal {
	return Principal{Actor: "client:" + clientID}
}

// Operator is whoever runs the command line on the database host: a platform
// administrator named actor (e.g. "cli") in the audit log.
func Operator(actor string) Principal {
	return Principal{Actor: actor}
}

// platformOnly refuses an organisation administrator.
func (p Principal) platformOnly(what string) error {
	if !p.Platform() {
		return fmt.Errorf("%s needs a platform administrator: %w", what, ErrForbidden)
	}
	return nil
}

// seeUser hides another organisation's user (and users in none) from an
// organisation administrator: to them it does not exist.
func (p Principal) seeUser(u storage.User) error {
	if !p.Platform() && u.OrgID != p.OrgID {
		return fmt.Errorf("user %q: %w", u.ID, storage.ErrNotFound)
	}
	return nil
}

// seeOrg hides other organisations from an organisation administrator.
func (p Principal) seeOrg(id string) error {
	if !p.Platform() && id != p.OrgID {
		return fmt.Errorf("organisation %q: %w", id, storage.ErrNotFound)
	}
	return nil
}

// placeUser lets an organisation administrator put users only into their own
// organisation (never into another or into none).
func (p Principal) placeUser(orgID string) error {
	if !p.Platform() && orgID != p.OrgID {
		return storage.Invalid("org_id", "an organisation administrator places users in organisation %q only", p.OrgID)
	}
	return nil
}

// changeable reads a user p may change: one p sees and, for an organisation
// administrator, not a platform administrator (whose account only platform
// administrators change).
func (s *Service) changeable(ctx context.Context, p Principal, id string) (storage.User, error) {
	u, err := s.User(ctx, p, id)
	if err != nil || p.Platform() {
		return u, err
	}
	switch platform, err := s.Store.IsPlatformAdmin(ctx, u.ID); {
	case err != nil:
		return u, fmt.Errorf("read the role of %q: %w", u.ID, err)
	case platform:
		return u, fmt.Errorf("user %q is a platform administrator: %w", u.ID, ErrForbidden)
	}
	return u, nil
}

// users narrows a search to what the principal sees.
func (p Principal) users(q storage.UserQuery) (storage.UserQuery, error) {
	if p.Platform() {
		return q, nil
	}
	if err := p.seeOrg(q.OrgID); q.OrgID != "" && err != nil {
		return q, err
	}
	q.OrgID = p.OrgID
	return q, nil
}

// audit narrows an audit query to what the principal sees: an organisation
// administrator sees their organisation's events and its users'.
func (p Principal) audit(q storage.AuditQuery) (storage.AuditQuery, error) {
	if p.Platform() {
		return q, nil
	}
	if err := p.seeOrg(q.OrgID); q.OrgID != "" && err != nil {
		return q, err
	}
	q.OrgID = p.OrgID
	return q, nil
}

// SetPlatformAdmin grants (admin true) or revokes the platform administrator
// role of the user with that email, audited by actor.
func SetPlatformAdmin(ctx context.Context, store interface {
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	storage.AdminStore
}, email string, admin bool, actor string, now time.Time) (storage.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := store.GetUserByEmail(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		return u, fmt.Errorf("no user with email %s: %w", email, storage.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("find user %s: %w", email, err)
	}
	typ := EventAdminRevoked
	if admin {
		typ = EventAdminGranted
	}
	audit := []storage.AuditEvent{{ID: rand.Text(), At: now.UTC(), Type: typ, UserID: u.ID, Detail: map[string]string{"actor": actor}}}
	if err := store.SetPlatformAdmin(ctx, u.ID, admin, now.UTC(), audit); err != nil {
		return u, fmt.Errorf("set the role of %s: %w", email, err)
	}
	return u, nil
}
