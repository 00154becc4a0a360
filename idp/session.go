package idp

import (
	"time"

	"github.com/mohae/deepcopy"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is the fosite session of every grant: the OpenID Connect claims (which
// carry acr, amr and auth_time through refreshes) plus the claims of a JWT access
// token for clients that want one.
type Session struct {
	*openid.DefaultSession
	JWTClaims *jwt.JWTClaims `json:"jwt_claims,omitempty"`
	JWTHeader *jwt.Headers   `json:"jwt_header,omitempty"`
	// introspectedAs is set while answering an introspection request, so the
	// response says which kind of token it was (a refresh token is no bearer token).
	introspectedAs fosite.TokenType
}

var (
	_ openid.Session             = (*Session)(nil)
	_ oauth2.JWTSessionContainer = (*Session)(nil)
	_ fosite.ExtraClaimsSession  = (*Session)(nil)
)

// newSession is the session every request starts with.
func newSession() *Session {
	return &Session{DefaultSession: &openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{Extra: map[string]interface{}{}},
		Headers: &jwt.Headers{Extra: map[string]interface{}{}},
	}}
}

// Clone keeps the concrete type, which fosite's refresh flow relies on.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return deepcopy.Copy(s).(*Session)
}

func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	if s.JWTClaims == nil {
		s.JWTClaims = &jwt.JWTClaims{}
	}
	return s.JWTClaims
}

func (s *Session) GetJWTHeader() *jwt.Headers {
	if s.JWTHeader == nil {
		s.JWTHeader = &jwt.Headers{}
	}
	return s.JWTHeader
}

// authClaims are the RFC 9470 claims of the authentication behind a token.
func (s *Session) authClaims() map[string]interface{} {
	out := map[string]interface{}{}
	c := s.IDTokenClaims()
	if c.AuthenticationContextClassReference != "" {
		out["acr"] = c.AuthenticationContextClassReference
	}
	if !c.AuthTime.IsZero() {
		out["auth_time"] = c.AuthTime.Unix()
	}
	if len(c.AuthenticationMethodsReferences) > 0 {
		out["amr"] = c.AuthenticationMethodsReferences
	}
	return out
}

// GetExtraClaims is what introspection adds to its response: acr, auth_time, amr
// and token_use.
func (s *Session) GetExtraClaims() map[string]interface{} {
	out := s.authClaims()
	if s.introspectedAs != "" {
		out["token_use"] = string(s.introspectedAs)
	}
	return out
}

// prepareJWTAccessToken fills the RFC 9068 claims and header just before fosite
// signs a JWT access token.
func (s *Session) prepareJWTAccessToken(clientID string, now time.Time) {
	extra := s.authClaims()
	extra["client_id"] = clientID
	s.JWTClaims = &jwt.JWTClaims{
		Subject:   s.GetSubject(),
		JTI:       randomToken(16),
		IssuedAt:  now.UTC(),
		NotBefore: now.UTC(),
		Extra:     extra,
	}
	s.JWTHeader = &jwt.Headers{Extra: map[string]interface{}{"typ": "at+jwt"}}
}
