package idp

import (
	"context"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// tokenStrategy issues opaque HMAC access tokens, or RFC 9068 JWT access tokens
// for clients configured for them; codes and refresh tokens are always opaque.
// Either kind is found in the store by its signature, which is what makes it valid.
type tokenStrategy struct {
	*oauth2.HMACSHAStrategy
	jwt *oauth2.DefaultJWTStrategy
	now func() time.Time
}

var _ oauth2.CoreStrategy = (*tokenStrategy)(nil)

func isJWT(token string) bool {
	return strings.Count(token, ".") == 2 && strings.HasPrefix(token, "ey")
}

func wantsJWT(r fosite.Requester) bool {
	c, ok := r.GetClient().(*client)
	return ok && c.AccessTokenFormat == "jwt"
}

func (s *tokenStrategy) AccessTokenSignature(ctx context.Context, token string) string {
	if isJWT(token) {
		return s.jwt.AccessTokenSignature(ctx, token)
	}
	return s.HMACSHAStrategy.AccessTokenSignature(ctx, token)
}

func (s *tokenStrategy) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	if !wantsJWT(r) {
		return s.HMACSHAStrategy.GenerateAccessToken(ctx, r)
	}
	if sess, ok := r.GetSession().(*Session); ok {
		sess.prepareJWTAccessToken(r.GetClient().GetID(), s.now())
	}
	return s.jwt.GenerateAccessToken(ctx, r)
}

// ValidateAccessToken runs after the token was found by its signature. A JWT's
// signature is checked again only in the sense that it had to match a stored one;
// what is left is expiry, which must not depend on the key still being active.
func (s *tokenStrategy) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	if !isJWT(token) {
		return s.HMACSHAStrategy.ValidateAccessToken(ctx, r, token)
	}
	exp := r.GetSession().GetExpiresAt(fosite.AccessToken)
	if !exp.IsZero() && exp.Before(s.now()) {
		return fosite.ErrTokenExpired.WithHint("The access token expired.")
	}
	return nil
}
