package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// SecretHasher hashes a client secret for storage. It must be the hasher the
// server compares presented secrets with (idp.ClientSecretHasher of the server's
// secret), or the stored client cannot authenticate.
type SecretHasher interface {
	Hash(ctx context.Context, secret []byte) ([]byte, error)
}

// ClientSpec is what an admin asks for when creating a client.
type ClientSpec struct {
	ID                     string
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Scopes                 []string
	Public                 bool
	FirstParty             bool
	// Secret is used instead of a generated one when set (at least 32 characters).
	Secret string
	// MinACR, DefaultACRValues and MaxAuthAge are the client's assurance settings
	// (AAL-4): the lowest level every sign-in must reach, the levels asked for when a
	// request names none, and the oldest a proven factor may be.
	MinACR           string
	DefaultACRValues []string
	MaxAuthAge       time.Duration
	// AccessTokenFormat is "opaque" (default) or "jwt" (RFC 9068).
	AccessTokenFormat string
	// IDTokenAlg signs the client's ID tokens (and JWT access tokens): RS256,
	// ES256, or "" for the server's tokens.signing_algorithm.
	IDTokenAlg string
}

// MinClientSecretLen is the shortest secret an admin may choose.
const MinClientSecretLen = 32

var (
	supportedGrants = []string{"authorization_code", "refresh_token", "client_credentials"}
	defaultScopes   = []string{"openid", "profile", "email", "offline_access"}
)

// Validate checks the spec and fills defaults. Every problem is reported.
func (s *ClientSpec) Validate() error {
	var errs []error
	if strings.TrimSpace(s.Name) == "" {
		errs = append(errs, storage.Invalid("name", "a client needs a name"))
	}
	if s.ID != "" && !validClientID(s.ID) {
		errs = append(errs, storage.Invalid("client_id", "a client id may use letters, digits, '-', '_' and '.' only, at most 64 characters"))
	}
	if len(s.GrantTypes) == 0 {
		s.GrantTypes = []string{"authorization_code", "refresh_token"}
	}
	for _, g := range s.GrantTypes {
		if !slices.Contains(supportedGrants, g) {
			errs = append(errs, storage.Invalid("grant_types", "grant type %q is not supported (use %s)", g, strings.Join(supportedGrants, ", ")))
		}
	}
	if s.Public && slices.Contains(s.GrantTypes, "client_credentials") {
		errs = append(errs, storage.Invalid("grant_types", "a public client cannot use client_credentials"))
	}
	if s.Public && s.Secret != "" {
		errs = append(errs, storage.Invalid("client_secret", "a public client has no secret"))
	}
	if s.Secret != "" && len(s.Secret) < MinClientSecretLen {
		errs = append(errs, storage.Invalid("client_secret", "a client secret must be at least %d characters", MinClientSecretLen))
	}
	needsRedirect := slices.Contains(s.GrantTypes, "authorization_code")
	if needsRedirect && len(s.RedirectURIs) == 0 {
		errs = append(errs, storage.Invalid("redirect_uris", "the authorization_code grant needs at least one redirect URI"))
	}
	for _, u := range s.RedirectURIs {
		if err := validRedirectURI(u); err != nil {
			errs = append(errs, storage.Invalid("redirect_uris", "redirect URI %q: %v", u, err))
		}
	}
	for _, u := range s.PostLogoutRedirectURIs {
		if err := validRedirectURI(u); err != nil {
			errs = append(errs, storage.Invalid("post_logout_redirect_uris", "post-logout redirect URI %q: %v", u, err))
		}
	}
	if s.MinACR != "" && flows.ACRRank(s.MinACR) < 0 {
		errs = append(errs, storage.Invalid("min_acr", "minimum acr %q is not one of %s", s.MinACR, strings.Join(flows.ACRLadder, ", ")))
	}
	for _, a := range s.DefaultACRValues {
		if flows.ACRRank(a) < 0 {
			errs = append(errs, storage.Invalid("default_acr_values", "default acr %q is not one of %s", a, strings.Join(flows.ACRLadder, ", ")))
		}
	}
	if s.MaxAuthAge < 0 {
		errs = append(errs, storage.Invalid("max_auth_age_seconds", "the maximum authentication age cannot be negative"))
	}
	switch s.AccessTokenFormat {
	case "":
		s.AccessTokenFormat = "opaque"
	case "opaque", "jwt":
	default:
		errs = append(errs, storage.Invalid("access_token_format", "access token format %q is not opaque or jwt", s.AccessTokenFormat))
	}
	if s.IDTokenAlg != "" && !slices.Contains(configs.SigningAlgorithms, s.IDTokenAlg) {
		errs = append(errs, storage.Invalid("id_token_signed_response_alg", "ID token algorithm %q is not %s", s.IDTokenAlg, strings.Join(configs.SigningAlgorithms, " or ")))
	}
	if len(s.Scopes) == 0 {
		s.Scopes = defaultScopes
	}
	for _, sc := range s.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \"\\") {
			errs = append(errs, storage.Invalid("scopes", "scope %q is not a valid scope token", sc))
		}
	}
	return errors.Join(errs...)
}

func validClientID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// validRedirectURI accepts https URLs, http only for loopback hosts (RFC 8252 native
// apps and local development), and private-use schemes such as com.example.app:/cb.
func validRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme == "":
		return errors.New("must be an absolute URL")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not contain a fragment")
	case u.User != nil:
		return errors.New("must not contain user information")
	case u.Scheme == "https":
		if u.Host == "" {
			return errors.New("needs a host")
		}
	case u.Scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return errors.New("http is only allowed for localhost; use https")
		}
	case u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "file":
		return fmt.Errorf("the %s scheme is not allowed", u.Scheme)
	case !strings.Contains(u.Scheme, "."):
		return errors.New("a private-use scheme must be a reversed domain name such as com.example.app")
	}
	return nil
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// CreateClient stores a new client and returns it with the secret in clear, which
// is shown once and never stored.
func CreateClient(ctx context.Context, store storage.ClientStore, hasher SecretHasher, spec ClientSpec, now time.Time) (storage.Client, string, error) {
	if err := spec.Validate(); err != nil {
		return storage.Client{}, "", err
	}
	c := storage.Client{
		ID:                     spec.ID,
		Name:                   spec.Name,
		RedirectURIs:           spec.RedirectURIs,
		PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
		GrantTypes:             spec.GrantTypes,
		ResponseTypes:          []string{"code"},
		Scopes:                 spec.Scopes,
		Public:                 spec.Public,
		FirstParty:             spec.FirstParty,
		MinACR:                 spec.MinACR,
		DefaultACRValues:       spec.DefaultACRValues,
		MaxAuthAge:             spec.MaxAuthAge,
		AccessTokenFormat:      spec.AccessTokenFormat,
		IDTokenAlg:             spec.IDTokenAlg,
		CreatedAt:              now.UTC(),
		UpdatedAt:              now.UTC(),
	}
	if c.ID == "" {
		c.ID = randomToken(16)
	}
	secret := ""
	if !c.Public {
		secret = spec.Secret
		if secret == "" {
			secret = newClientSecret()
		}
		var err error
		if c.SecretHash, err = hasher.Hash(ctx, []byte(secret)); err != nil {
			return storage.Client{}, "", fmt.Errorf("hash the client secret: %w", err)
		}
	}
	if err := store.CreateClient(ctx, c); err != nil {
		return storage.Client{}, "", err
	}
	return c, secret, nil
}

// UpdateClient changes a client: change edits the spec of the stored client, which
// is validated as at creation. The secret and the client type stay as they are.
func UpdateClient(ctx context.Context, store storage.ClientStore, id string, change func(*ClientSpec), now time.Time) (storage.Client, error) {
	c, err := store.GetClient(ctx, id)
	if err != nil {
		return storage.Client{}, err
	}
	spec := ClientSpec{
		ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		GrantTypes: c.GrantTypes, Scopes: c.Scopes, Public: c.Public, FirstParty: c.FirstParty,
		MinACR: c.MinACR, DefaultACRValues: c.DefaultACRValues, MaxAuthAge: c.MaxAuthAge, AccessTokenFormat: c.AccessTokenFormat,
		IDTokenAlg: c.IDTokenAlg,
	}
	change(&spec)
	spec.Public, spec.Secret = c.Public, ""
	if err := spec.Validate(); err != nil {
		return storage.Client{}, err
	}
	c.Name, c.RedirectURIs, c.PostLogoutRedirectURIs = spec.Name, spec.RedirectURIs, spec.PostLogoutRedirectURIs
	c.GrantTypes, c.Scopes, c.FirstParty = spec.GrantTypes, spec.Scopes, spec.FirstParty
	c.MinACR, c.DefaultACRValues, c.MaxAuthAge, c.AccessTokenFormat = spec.MinACR, spec.DefaultACRValues, spec.MaxAuthAge, spec.AccessTokenFormat
	c.IDTokenAlg = spec.IDTokenAlg
	c.UpdatedAt = now.UTC()
	if err := store.UpdateClient(ctx, c); err != nil {
		return storage.Client{}, err
	}
	return c, nil
}

// RotateClientSecret gives a confidential client a new generated secret; the old
// one stops working at once.
func RotateClientSecret(ctx context.Context, store storage.ClientStore, hasher SecretHasher, id string, now time.Time) (string, error) {
	c, err := store.GetClient(ctx, id)
	if err != nil {
		return "", err
	}
	if c.Public {
		return "", storage.Invalid("public", "a public client has no secret to rotate")
	}
	secret := newClientSecret()
	if c.SecretHash, err = hasher.Hash(ctx, []byte(secret)); err != nil {
		return "", fmt.Errorf("hash the client secret: %w", err)
	}
	c.UpdatedAt = now.UTC()
	if err := store.UpdateClient(ctx, c); err != nil {
		return "", err
	}
	return secret, nil
}

// newClientSecret returns a random secret with 256 bits of entropy.
func newClientSecret() string {
	return randomToken(32)
}

// randomToken returns n random bytes, base64url-encoded: ids and secrets.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: since Go 1.24 it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}
