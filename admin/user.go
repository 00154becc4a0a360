package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
)

// UserSpec is what an admin asks for when creating a user.
type UserSpec struct {
	Email      string
	Password   string
	GivenName  string
	FamilyName string
}

// Check refuses a spec with a bad email or password, each as a
// storage.FieldError, and returns the email as stored (lower-cased).
func (spec UserSpec) Check() (string, error) {
	email := strings.ToLower(strings.TrimSpace(spec.Email))
	var errs []error
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		errs = append(errs, storage.Invalid("email", "%q is not a valid email address", spec.Email))
	}
	// The one rule for new passwords, shared with the account page.
	switch err := password.CheckNew(spec.Password); {
	case errors.Is(err, password.ErrPasswordTooLong):
		errs = append(errs, storage.Invalid("password", "the password must be at most %d bytes", password.MaxLen))
	case err != nil:
		errs = append(errs, storage.Invalid("password", "%v", err))
	}
	return email, errors.Join(errs...)
}

// CreateUser validates and stores a user with an argon2id password hash.
func CreateUser(ctx context.Context, store storage.UserStore, hasher *password.Hasher, spec UserSpec, now time.Time) (storage.User, error) {
	email, err := spec.Check()
	if err != nil {
		return storage.User{}, err
	}
	hash, err := hasher.Hash(ctx, spec.Password)
	if err != nil {
		return storage.User{}, fmt.Errorf("hash the password: %w", err)
	}
	u := storage.User{
		ID:           randomToken(16),
		Email:        email,
		PasswordHash: hash,
		GivenName:    strings.TrimSpace(spec.GivenName),
		FamilyName:   strings.TrimSpace(spec.FamilyName),
		CreatedAt:    now.UTC(),
		UpdatedAt:    now.UTC(),
	}
	if err := store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return storage.User{}, fmt.Errorf("a user with email %s exists already: %w", email, err)
		}
		return storage.User{}, err
	}
	return u, nil
}

// DisableStore is what DisableUser changes: the user, their SSO sessions and
// their tokens.
type DisableStore interface {
	storage.UserStore
	storage.SessionStore
	storage.TokenStore
}

// DisableUser marks the user with that email disabled, so they can no longer sign
// in, and ends what they already hold: their SSO sessions are deleted and their
// access and refresh tokens deactivated, so a disabled user keeps no way in. An
// email no user has gives an error wrapping storage.ErrNotFound and changes
// nothing.
func DisableUser(ctx context.Context, store DisableStore, email string, now time.Time) (storage.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := store.GetUserByEmail(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, fmt.Errorf("no user with email %s: %w", email, storage.ErrNotFound)
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("find user %s: %w", email, err)
	}
	return disable(ctx, store, u, now)
}

// disable marks u disabled, deletes their sessions and deactivates their tokens.
func disable(ctx context.Context, store DisableStore, u storage.User, now time.Time) (storage.User, error) {
	u.Disabled = true
	u.UpdatedAt = now.UTC()
	if err := store.UpdateUser(ctx, u); err != nil {
		return storage.User{}, fmt.Errorf("disable user %s: %w", u.Email, err)
	}
	if _, err := store.DeleteSessionsByUser(ctx, u.ID); err != nil {
		return storage.User{}, fmt.Errorf("end the sessions of %s: %w", u.Email, err)
	}
	for _, k := range []storage.TokenKind{storage.TokenAccess, storage.TokenRefresh} {
		if err := store.DeactivateTokensBySubject(ctx, k, u.ID); err != nil {
			return storage.User{}, fmt.Errorf("revoke the tokens (%s) of %s: %w", k, u.Email, err)
		}
	}
	return u, nil
}

// intoOrg is a user store whose CreateUser puts the new user in an organisation:
// CreateUser then stores them there in one step, and the store sets their
// deadline from their creation (storage.UserStore.CreateUser).
type intoOrg struct {
	storage.UserStore
	orgID  string
	groups []string
}

func (s intoOrg) CreateUser(ctx context.Context, u storage.User) error {
	u.OrgID, u.Groups = s.orgID, s.groups
	return s.UserStore.CreateUser(ctx, u)
}

// InOrganisation is store, but a user it creates is in the organisation orgID
// with these groups (checked beforehand, with orgs.CheckMembership): for
// creations outside CreateMember, such as an invitation.
func InOrganisation(store storage.UserStore, orgID string, groups []string) storage.UserStore {
	return intoOrg{UserStore: store, orgID: orgID, groups: groups}
}

// MemberStore is what CreateMember needs.
type MemberStore interface {
	storage.UserStore
	GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
	flows.AuditWriter
}

// CreateMember creates the user as CreateUser does, in the organisation orgID
// with these groups ("" and none: in no organisation), checked first with orgs'
// rules and messages. Joining is audited as orgs.SetUserOrg audits a move, by
// actor; the user returned has the deadline the store set.
func CreateMember(ctx context.Context, store MemberStore, hasher *password.Hasher, spec UserSpec, orgID string, groups []string, actor string, now time.Time) (storage.User, error) {
	_, specErr := spec.Check()
	groups, err := orgs.CheckMembership(ctx, store, orgID, groups)
	if err := errors.Join(specErr, err); err != nil {
		return storage.User{}, err
	}
	u, err := CreateUser(ctx, intoOrg{UserStore: store, orgID: orgID, groups: groups}, hasher, spec, now)
	if err != nil || orgID == "" {
		return u, err
	}
	// The format of orgs' own user.org_changed events.
	err = flows.AppendAudit(ctx, store, storage.AuditEvent{ID: rand.Text(), At: now.UTC(), Type: orgs.EventUserOrgChanged, UserID: u.ID,
		Detail: map[string]string{"actor": actor, "org": orgID, "old": "", "new": fmt.Sprintf("org=%s groups=%s", orgID, strings.Join(groups, ","))}})
	if err != nil {
		return u, fmt.Errorf("user %s was created in organisation %s, but the audit log did not take the event: %w", u.Email, orgID, err)
	}
	return store.GetUser(ctx, u.ID)
}
