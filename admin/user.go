package admin

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/storage"
)

// UserSpec is what an admin asks for when creating a user.
type UserSpec struct {
	Email      string
	Password   string
	GivenName  string
	FamilyName string
}

// CreateUser validates and stores a user with an argon2id password hash.
func CreateUser(ctx context.Context, store storage.UserStore, hasher *password.Hasher, spec UserSpec, now time.Time) (storage.User, error) {
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
	if err := errors.Join(errs...); err != nil {
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
	u.Disabled = true
	u.UpdatedAt = now.UTC()
	if err := store.UpdateUser(ctx, u); err != nil {
		return storage.User{}, fmt.Errorf("disable user %s: %w", email, err)
	}
	if _, err := store.DeleteSessionsByUser(ctx, u.ID); err != nil {
		return storage.User{}, fmt.Errorf("end the sessions of %s: %w", email, err)
	}
	for _, k := range []storage.TokenKind{storage.TokenAccess, storage.TokenRefresh} {
		if err := store.DeactivateTokensBySubject(ctx, k, u.ID); err != nil {
			return storage.User{}, fmt.Errorf("revoke the tokens (%s) of %s: %w", k, email, err)
		}
	}
	return u, nil
}
