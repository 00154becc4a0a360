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

// MinPasswordLen follows NIST SP 800-63B's minimum for chosen passwords.
const MinPasswordLen = 8

// CreateUser validates and stores a user with an argon2id password hash.
func CreateUser(ctx context.Context, store storage.UserStore, hasher *password.Hasher, spec UserSpec, now time.Time) (storage.User, error) {
	email := strings.ToLower(strings.TrimSpace(spec.Email))
	var errs []error
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		errs = append(errs, fmt.Errorf("%q is not a valid email address", spec.Email))
	}
	if n := len([]rune(spec.Password)); n < MinPasswordLen {
		errs = append(errs, fmt.Errorf("the password must be at least %d characters", MinPasswordLen))
	} else if len(spec.Password) > password.MaxLen {
		errs = append(errs, fmt.Errorf("the password must be at most %d bytes", password.MaxLen))
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
