package rs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultLeeway is the clock skew allowed when checking exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// refetchInterval is the least time between two JWKS fetches caused by tokens
// signed with a key we do not know.
const refetchInterval = time.Minute

// signingAlgs are the only algorithms accepted in access tokens.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// JWTValidator validates RFC 9068 JWT access tokens locally, with the issuer's
// published keys. It is safe for concurrent use.
type JWTValidator struct {
	// Leeway is the clock skew allowed for exp, nbf and iat (DefaultLeeway
	// unless changed). Set it before the first Validate.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now. Set it before the first
	// Validate.
	Now func() time.Time

	issuer   string
	audience string
	ladder   []string
	keys     *keySet
}

// NewJWTValidator reads the issuer's discovery document and JWKS. Tokens must have
// typ at+jwt, be signed with RS256 or ES256 by a key in the JWKS, name issuer as
// iss, carry exp and, when audience is not empty, list audience in aud. Keys are
// cached; a token signed with an unknown kid makes the validator fetch the JWKS
// again, at most once a minute. A nil httpClient means a client with a 10 s timeout.
func NewJWTValidator(ctx context.Context, issuer, audience string, httpClient *http.Client) (*JWTValidator, error) {
	client := orDefault(httpClient)
	d, err := discover(ctx, client, issuer)
	if err != nil {
		return nil, err
	}
	if d.JWKSURI == "" {
		return nil, fmt.Errorf("rs: issuer %s publishes no jwks_uri", issuer)
	}
	v := &JWTValidator{Leeway: DefaultLeeway, issuer: issuer, audience: audience, ladder: d.ACRValuesSupported}
	v.keys = &keySet{uri: d.JWKSURI, client: client, now: v.now}
	if err := v.keys.load(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// Ladder returns the issuer's acr_values_supported, lowest first.
func (v *JWTValidator) Ladder() []string { return v.ladder }

func (v *JWTValidator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// atClaims are the claims of an RFC 9068 access token this package reads.
type atClaims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  stringOrList `json:"aud"`
	Expiry    *numericDate `json:"exp"`
	NotBefore *numericDate `json:"nbf"`
	IssuedAt  *numericDate `json:"iat"`
	ClientID  string       `json:"client_id"`
	Scope     words        `json:"scope"`
	Scp       words        `json:"scp"` // fosite's default name, accepted when scope is absent
	ACR       string       `json:"acr"`
	AMR       words        `json:"amr"`
	AuthTime  *numericDate `json:"auth_time"`
}

// Validate checks raw and returns its claims.
func (v *JWTValidator) Validate(ctx context.Context, raw string) (*Token, error) {
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return nil, invalid("The access token is not a JWT signed with RS256 or ES256.", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, invalid("The access token must have exactly one signature.", nil)
	}
	h := jws.Signatures[0].Protected
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !isAccessTokenType(typ) {
		return nil, invalid("The access token is not a JWT access token (typ at+jwt).", nil)
	}
	payload, err := v.verify(ctx, jws, h)
	if err != nil {
		return nil, err
	}

	var c atClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid("The access token's claims are malformed.", err)
	}
	all := map[string]any{}
	if err := json.Unmarshal(payload, &all); err != nil {
		return nil, invalid("The access token's claims are malformed.", err)
	}
	if c.Issuer != v.issuer {
		return nil, invalid("The access token was issued by another issuer.", nil)
	}
	if v.audience != "" && !slices.Contains(c.Audience, v.audience) {
		return nil, invalid("The access token is not meant for this resource.", nil)
	}
	if c.Expiry == nil {
		return nil, invalid("The access token has no expiry.", nil)
	}
	if err := checkTimes(v.now(), v.Leeway, c.Expiry, c.NotBefore, c.IssuedAt); err != nil {
		return nil, err
	}
	scopes := c.Scope
	if scopes == nil {
		scopes = c.Scp
	}
	return &Token{
		Subject:  c.Subject,
		ClientID: c.ClientID,
		Scopes:   scopes,
		ACR:      c.ACR,
		AMR:      c.AMR,
		AuthTime: c.AuthTime.time(),
		IssuedAt: c.IssuedAt.time(),
		Expiry:   c.Expiry.time(),
		Audience: c.Audience,
		Claims:   all,
		Raw:      raw,
	}, nil
}

// isAccessTokenType accepts "at+jwt" and "application/at+jwt", case-insensitively
// (RFC 9068 section 4, RFC 7515 section 4.1.9).
func isAccessTokenType(typ string) bool {
	typ = strings.ToLower(typ)
	return typ == "at+jwt" || typ == "application/at+jwt"
}

// verify checks the signature with a key from the JWKS, fetching the JWKS again
// (rate limited) when no key fits the token's kid and alg.
func (v *JWTValidator) verify(ctx context.Context, jws *jose.JSONWebSignature, h jose.Header) ([]byte, error) {
	alg := jose.SignatureAlgorithm(h.Algorithm)
	for attempt := 0; ; attempt++ {
		keys := v.keys.candidates(h.KeyID, alg)
		for _, k := range keys {
			if payload, err := jws.Verify(k.Key); err == nil {
				return payload, nil
			}
		}
		if len(keys) > 0 {
			return nil, invalid("The access token's signature is not valid.", nil)
		}
		if attempt > 0 {
			return nil, invalid("The access token is signed with an unknown key.", nil)
		}
		fetched, err := v.keys.refetch(ctx)
		if err != nil {
			return nil, err
		}
		if !fetched {
			return nil, invalid("The access token is signed with an unknown key.", nil)
		}
	}
}

func checkTimes(now time.Time, leeway time.Duration, exp, nbf, iat *numericDate) error {
	if exp != nil && now.Add(-leeway).After(exp.Time) {
		return invalid("The access token expired.", nil)
	}
	if nbf != nil && now.Add(leeway).Before(nbf.Time) {
		return invalid("The access token is not valid yet.", nil)
	}
	if iat != nil && now.Add(leeway).Before(iat.Time) {
		return invalid("The access token was issued in the future.", nil)
	}
	return nil
}

func (d *numericDate) time() time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// keySet caches the issuer's public signing keys.
type keySet struct {
	uri    string
	client *http.Client
	now    func() time.Time

	keys atomic.Pointer[[]jose.JSONWebKey]

	mu          sync.Mutex // serialises fetches
	lastRefetch time.Time  // guarded by mu
}

// load fetches the JWKS unconditionally (at construction).
func (s *keySet) load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetchLocked(ctx)
}

// refetch fetches the JWKS again unless a refetch happened less than
// refetchInterval ago; it reports whether it fetched. A failed fetch counts too, so
// a broken JWKS endpoint is not hammered.
func (s *keySet) refetch(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.lastRefetch.IsZero() && now.Sub(s.lastRefetch) < refetchInterval {
		return false, nil
	}
	s.lastRefetch = now
	if err := s.fetchLocked(ctx); err != nil {
		return false, err
	}
	return true, nil
}

func (s *keySet) fetchLocked(ctx context.Context) error {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := getJSON(ctx, s.client, s.uri, &set); err != nil {
		return fmt.Errorf("rs: jwks: %w", err)
	}
	keys := make([]jose.JSONWebKey, 0, len(set.Keys))
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue // a key of a type go-jose does not know must not hide the others
		}
		if !k.IsPublic() {
			k = k.Public() // private or symmetric: keep only a public part, if any
		}
		if k.Key == nil {
			continue
		}
		keys = append(keys, k)
	}
	s.keys.Store(&keys)
	return nil
}

// candidates returns the cached keys that may have signed a token with this kid
// and alg: same kid (any when kid is empty), usable for signatures, of the right
// type and size.
func (s *keySet) candidates(kid string, alg jose.SignatureAlgorithm) []jose.JSONWebKey {
	p := s.keys.Load()
	if p == nil {
		return nil
	}
	var out []jose.JSONWebKey
	for _, k := range *p {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		switch key := k.Key.(type) {
		case *rsa.PublicKey:
			if alg != jose.RS256 || key.N.BitLen() < 2048 {
				continue
			}
		case *ecdsa.PublicKey:
			if alg != jose.ES256 || key.Curve != elliptic.P256() {
				continue
			}
		default:
			continue
		}
		out = append(out, k)
	}
	return out
}
