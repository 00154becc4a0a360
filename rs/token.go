package rs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Token is a validated access token.
type Token struct {
	// Subject is the sub claim: the user (or, for client credentials, the client).
	Subject string
	// ClientID is the OAuth client the token was issued to.
	ClientID string
	// Scopes are the granted scopes.
	Scopes []string
	// ACR is the authentication context class the user's authentication met
	// ("" when the token has none, e.g. client credentials).
	ACR string
	// AMR lists the authentication methods (RFC 8176) the user proved.
	AMR []string
	// AuthTime is when the user last actively authenticated (zero when unknown).
	AuthTime time.Time
	// IssuedAt and Expiry are the token's iat and exp (zero when absent).
	IssuedAt, Expiry time.Time
	// Audience is the aud claim.
	Audience []string
	// Claims holds every member of the JWT claims set or of the introspection
	// response, for claims this type has no field for.
	Claims map[string]any
	// Raw is the access token as presented.
	Raw string
}

// HasScope reports whether the token was granted scope s.
func (t *Token) HasScope(s string) bool { return slices.Contains(t.Scopes, s) }

// Validator validates a raw bearer access token.
//
// An error that matches ErrInvalidToken (errors.Is) means the token itself is not
// acceptable: Middleware answers 401 invalid_token. Any other error means the token
// could not be checked (the issuer is unreachable, for example): Middleware answers
// 503 and the client may retry with the same token.
type Validator interface {
	Validate(ctx context.Context, raw string) (*Token, error)
}

// ErrInvalidToken is matched by every error that rejects the token itself.
var ErrInvalidToken = errors.New("invalid access token")

// InvalidTokenError rejects a token. Description is sent to the client as the
// error_description, so it never repeats values taken from the token.
type InvalidTokenError struct {
	Description string
	Err         error // the underlying cause, if any; not sent to the client
}

func (e *InvalidTokenError) Error() string {
	if e.Err != nil {
		return "invalid access token: " + e.Description + ": " + e.Err.Error()
	}
	return "invalid access token: " + e.Description
}

func (e *InvalidTokenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidToken) true.
func (e *InvalidTokenError) Is(target error) bool { return target == ErrInvalidToken }

func invalid(desc string, cause error) error {
	return &InvalidTokenError{Description: desc, Err: cause}
}

type ctxKey struct{}

// TokenFrom returns the token that Middleware validated for this request.
func TokenFrom(ctx context.Context) (*Token, bool) {
	t, ok := ctx.Value(ctxKey{}).(*Token)
	return t, ok && t != nil
}

// ContextWithToken returns ctx carrying t, as Middleware does; handy when testing
// handlers without a token issuer.
func ContextWithToken(ctx context.Context, t *Token) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// Either validates tokens that look like a JWS (three dot-separated parts) with
// jwt and every other token with opaque. Lockstep issues JWT or opaque access
// tokens per client, so an API used by several clients may receive both. A token
// that looks like a JWT but fails jwt is rejected, never retried with opaque.
// The result has a Ladder method when jwt or opaque has one.
func Either(jwt, opaque Validator) Validator { return either{jwt: jwt, opaque: opaque} }

type either struct{ jwt, opaque Validator }

func (e either) Validate(ctx context.Context, raw string) (*Token, error) {
	if strings.Count(raw, ".") == 2 {
		return e.jwt.Validate(ctx, raw)
	}
	return e.opaque.Validate(ctx, raw)
}

func (e either) Ladder() []string {
	for _, v := range []Validator{e.jwt, e.opaque} {
		if l, ok := v.(interface{ Ladder() []string }); ok {
			if ladder := l.Ladder(); ladder != nil {
				return ladder
			}
		}
	}
	return nil
}

// words decodes a space-separated string or an array of strings.
type words []string

func (w *words) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*w = strings.Fields(s)
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*w = l
	return nil
}

// stringOrList decodes a single string or an array of strings (the aud claim).
type stringOrList []string

func (a *stringOrList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*a = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = []string{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*a = l
	return nil
}

// numericDate decodes seconds since the epoch (integer or fraction) and, leniently,
// an RFC 3339 string.
type numericDate struct{ time.Time }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		d.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errors.New("want seconds since the epoch")
		}
		d.Time = t
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return errors.New("want seconds since the epoch")
	}
	sec := int64(f)
	d.Time = time.Unix(sec, int64((f-float64(sec))*1e9))
	return nil
}
