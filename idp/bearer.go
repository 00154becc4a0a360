package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ory/fosite"
)

// Mount is a handler served under Prefix (relative to the issuer) with the
// pages' CSRF protection, built once the provider exists: the admin API, which
// checks access tokens with it.
type Mount struct {
	Prefix string
	Build  func(p *Provider) http.Handler
}

// AccessToken is what an active access token grants.
type AccessToken struct {
	ClientID string
	// Subject is the user, or the client itself for a client-credentials token
	// (ForClient).
	Subject   string
	ForClient bool
	Scopes    []string
	ExpiresAt time.Time
}

// ErrInactiveToken: the token is unknown, expired or revoked.
var ErrInactiveToken = errors.New("idp: the access token is not active")

// CheckAccessToken returns what an active access token grants, or an error
// wrapping ErrInactiveToken.
func (p *Provider) CheckAccessToken(ctx context.Context, token string) (AccessToken, error) {
	bctx, batch := p.store.begin(ctx)
	_, ar, err := p.oauth.IntrospectToken(bctx, token, fosite.AccessToken, newSession())
	if err == nil {
		err = p.store.commit(ctx, batch)
	}
	if err != nil {
		var rfc *fosite.RFC6749Error
		if errors.As(err, &rfc) && rfc.CodeField >= 500 {
			return AccessToken{}, fmt.Errorf("check access token: %w", err)
		}
		return AccessToken{}, fmt.Errorf("%w: %v", ErrInactiveToken, err)
	}
	s, _ := ar.GetSession().(*Session)
	t := AccessToken{ClientID: ar.GetClient().GetID(), Subject: ar.GetSession().GetSubject(),
		Scopes: ar.GetGrantedScopes(), ExpiresAt: ar.GetSession().GetExpiresAt(fosite.AccessToken)}
	// A client-credentials token's subject is its client, and no user signed in.
	t.ForClient = t.Subject == t.ClientID && (s == nil || s.Claims == nil || s.Claims.AuthTime.IsZero())
	return t, nil
}
