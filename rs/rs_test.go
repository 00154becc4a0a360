package rs_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lockstep-id/lockstep/rs"
)

var t0 = time.Date(2030, 1, 2, 12, 0, 0, 0, time.UTC)

// result is what one request through the middleware produced.
type result struct {
	status int
	header string // WWW-Authenticate
	body   map[string]string
	rec    *httptest.ResponseRecorder
	token  *rs.Token // what the handler saw; nil when it was not called
}

func serve(t *testing.T, m *rs.Middleware, req rs.Requirement, authorization ...string) result {
	t.Helper()
	var seen *rs.Token
	h := m.Require(req, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := rs.TokenFrom(r.Context())
		if !ok {
			t.Error("handler called without a token in the context")
		}
		seen = tok
		w.WriteHeader(http.StatusOK)
	}))
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := result{status: rec.Code, header: rec.Header().Get("WWW-Authenticate"), rec: rec, token: seen}
	if rec.Code != http.StatusOK {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Errorf("body %q: %v", rec.Body.String(), err)
		}
		if seen != nil {
			t.Error("handler was called on a refused request")
		}
	}
	return res
}

func newJWTSetup(t *testing.T) (*fakeIssuer, *rs.JWTValidator, *clock) {
	t.Helper()
	f := newIssuer(t)
	clk := newClock(t0)
	v, err := rs.NewJWTValidator(context.Background(), f.URL(), audience, nil)
	if err != nil {
		t.Fatalf("NewJWTValidator: %v", err)
	}
	v.Now = clk.Now
	return f, v, clk
}

const (
	hdrInvalid = `Bearer error="invalid_token", error_description=`
	stepUp     = `Bearer error="insufficient_user_authentication", error_description=`
)

func TestJWT(t *testing.T) {
	mfa := rs.Requirement{ACR: []string{acrMFA}}
	pubPEM := func() []byte {
		keys(t)
		der, err := x509.MarshalPKIXPublicKey(rsaKey.Public())
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}

	tests := []struct {
		name    string
		token   func(t *testing.T, f *fakeIssuer) string
		scheme  string // default "Bearer"
		req     rs.Requirement
		status  int
		header  string // WWW-Authenticate, exactly
		error   string // the body's error
		fetches int32  // JWKS fetches including the first; 0: not checked
		check   func(t *testing.T, tok *rs.Token)
	}{
		{
			name: "valid RS256",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0))
			},
			req:     rs.Requirement{Scopes: []string{"orders:read"}},
			status:  200,
			fetches: 1,
			check: func(t *testing.T, tok *rs.Token) {
				if tok.Subject != "user-42" || tok.ClientID != "web-app" || tok.ACR != acrMFA {
					t.Errorf("token = %+v", tok)
				}
				if !slices.Equal(tok.Scopes, []string{"orders:read", "payments"}) || !tok.HasScope("payments") {
					t.Errorf("Scopes = %q", tok.Scopes)
				}
				if !slices.Equal(tok.AMR, []string{"pwd", "otp", "mfa"}) {
					t.Errorf("AMR = %q", tok.AMR)
				}
				if !tok.AuthTime.Equal(t0.Add(-5*time.Minute)) || !tok.Expiry.Equal(t0.Add(time.Hour)) ||
					!tok.IssuedAt.Equal(t0.Add(-time.Minute)) {
					t.Errorf("times = %v %v %v", tok.AuthTime, tok.Expiry, tok.IssuedAt)
				}
				if !slices.Equal(tok.Audience, []string{audience, "https://other.example.com"}) {
					t.Errorf("Audience = %q", tok.Audience)
				}
				if tok.Claims["jti"] != "jti-1" || tok.Raw == "" {
					t.Errorf("Claims = %v, Raw = %q", tok.Claims, tok.Raw)
				}
			},
		},
		{
			name: "valid ES256, application/at+jwt, lower-case scheme, aud as a string",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, ecKey, "ec-1", jose.ES256, "application/at+jwt", f.claims(t0, set("aud", audience)))
			},
			scheme: "bearer",
			status: 200,
			check: func(t *testing.T, tok *rs.Token) {
				if !slices.Equal(tok.Audience, []string{audience}) {
					t.Errorf("Audience = %q", tok.Audience)
				}
			},
		},
		{
			name: "expired within the leeway",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("exp", t0.Add(-20*time.Second).Unix())))
			},
			status: 200,
		},
		{
			name: "no kid: every key of the right type is tried",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, ecKey, "", jose.ES256, "at+jwt", f.claims(t0))
			},
			status: 200,
		},
		{
			name: "typ JWT",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "JWT", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not a JWT access token (typ at+jwt)."`,
		},
		{
			name: "no typ",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not a JWT access token (typ at+jwt)."`,
		},
		{
			name:   "alg none",
			token:  func(t *testing.T, f *fakeIssuer) string { return unsigned(t, f.claims(t0)) },
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not a JWT signed with RS256 or ES256."`,
		},
		{
			name: "HS256 with the public key as the secret",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, pubPEM(), "rsa-1", jose.HS256, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header:  hdrInvalid + `"The access token is not a JWT signed with RS256 or ES256."`,
			fetches: 1,
		},
		{
			name: "RS384 is not accepted",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS384, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not a JWT signed with RS256 or ES256."`,
		},
		{
			name: "wrong issuer",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("iss", "https://evil.example.com")))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token was issued by another issuer."`,
		},
		{
			name: "wrong audience",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("aud", []string{"https://other.example.com"})))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not meant for this resource."`,
		},
		{
			name: "no audience",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, del("aud")))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not meant for this resource."`,
		},
		{
			name: "expired",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("exp", t0.Add(-time.Minute).Unix())))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token expired."`,
		},
		{
			name: "no exp",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, del("exp")))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token has no expiry."`,
		},
		{
			name: "nbf in the future",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("nbf", t0.Add(time.Minute).Unix())))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not valid yet."`,
		},
		{
			name: "unknown kid: one refetch, then refused",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaOther, "rsa-2", jose.RS256, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header:  hdrInvalid + `"The access token is signed with an unknown key."`,
			fetches: 2,
		},
		{
			name: "known kid, another key's signature",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaOther, "rsa-1", jose.RS256, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header:  hdrInvalid + `"The access token's signature is not valid."`,
			fetches: 1,
		},
		{
			name: "ES256 header naming an RSA key",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, ecKey, "rsa-1", jose.ES256, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is signed with an unknown key."`,
		},
		{
			name: "RSA key under 2048 bits",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaSmall, "rsa-small", jose.RS256, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is signed with an unknown key."`,
		},
		{
			name: "EC key not on P-256",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, ecP384, "ec-384", jose.ES384, "at+jwt", f.claims(t0))
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not a JWT signed with RS256 or ES256."`,
		},
		{
			name: "tampered signature",
			token: func(t *testing.T, f *fakeIssuer) string {
				s := sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0))
				i := strings.LastIndex(s, ".") + 10
				c := byte('A')
				if s[i] == 'A' {
					c = 'B'
				}
				return s[:i] + string(c) + s[i+1:]
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token's signature is not valid."`,
		},
		{
			name: "tampered claims",
			token: func(t *testing.T, f *fakeIssuer) string {
				parts := strings.Split(sign(t, ecKey, "ec-1", jose.ES256, "at+jwt", f.claims(t0, set("acr", acrPwd))), ".")
				other := strings.Split(sign(t, ecOther, "ec-1", jose.ES256, "at+jwt", f.claims(t0, set("acr", acrPhr))), ".")
				return parts[0] + "." + other[1] + "." + parts[2]
			},
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token's signature is not valid."`,
		},
		{
			name:   "not a JWT",
			token:  func(t *testing.T, f *fakeIssuer) string { return "ory_at_abc.def" },
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not a JWT signed with RS256 or ES256."`,
		},
		{
			name: "acr lower than required",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPwd)))
			},
			req:    mfa,
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"A higher authentication level is required.", acr_values="urn:lockstep:acr:mfa"`,
		},
		{
			name: "acr equal to the required one",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0))
			},
			req:    mfa,
			status: 200,
		},
		{
			name: "acr higher on the ladder",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPhr)))
			},
			req:    mfa,
			status: 200,
		},
		{
			name: "acr not on the ladder",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", "urn:other:gold")))
			},
			req:    mfa,
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"A higher authentication level is required.", acr_values="urn:lockstep:acr:mfa"`,
		},
		{
			name: "one of several acr values, off the ladder, exact",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", "urn:other:gold")))
			},
			req:    rs.Requirement{ACR: []string{acrPhr, "urn:other:gold"}},
			status: 200,
		},
		{
			name: "several acr values, none met",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPwd)))
			},
			req:    rs.Requirement{ACR: []string{acrPhr, "urn:other:gold"}},
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"A higher authentication level is required.", acr_values="urn:lockstep:acr:phr urn:other:gold"`,
		},
		{
			name: "no acr while one is required",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, del("acr")))
			},
			req:    mfa,
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"The access token does not say how the user authenticated; a higher authentication level is required.", acr_values="urn:lockstep:acr:mfa"`,
		},
		{
			name: "auth_time within max_age",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0))
			},
			req:    rs.Requirement{MaxAge: 10 * time.Minute},
			status: 200,
		},
		{
			name: "auth_time older than max_age",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("auth_time", t0.Add(-11*time.Minute).Unix())))
			},
			req:    rs.Requirement{MaxAge: 10 * time.Minute},
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"A more recent authentication is required.", max_age=600`,
		},
		{
			name: "no auth_time while max_age is set",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, del("auth_time")))
			},
			req:    rs.Requirement{MaxAge: 90 * time.Second},
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"The access token does not say when the user authenticated; a more recent authentication is required.", max_age=90`,
		},
		{
			name: "acr met, too old: both parameters",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("auth_time", t0.Add(-time.Hour).Unix())))
			},
			req:    rs.Requirement{ACR: []string{acrMFA}, MaxAge: 5 * time.Minute},
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"A more recent authentication is required.", acr_values="urn:lockstep:acr:mfa", max_age=300`,
		},
		{
			name: "acr too low and too old",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPwd), set("auth_time", t0.Add(-time.Hour).Unix())))
			},
			req:    rs.Requirement{ACR: []string{acrPhr}, MaxAge: 5 * time.Minute},
			status: 401, error: "insufficient_user_authentication",
			header: stepUp + `"A higher authentication level and a more recent authentication are required.", acr_values="urn:lockstep:acr:phr", max_age=300`,
		},
		{
			name: "missing scope",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0))
			},
			req:    rs.Requirement{Scopes: []string{"orders:read", "orders:write"}},
			status: 403, error: "insufficient_scope",
			header: `Bearer error="insufficient_scope", scope="orders:read orders:write"`,
		},
		{
			name: "missing scope comes before step-up",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPwd)))
			},
			req:    rs.Requirement{Scopes: []string{"admin"}, ACR: []string{acrMFA}},
			status: 403, error: "insufficient_scope",
			header: `Bearer error="insufficient_scope", scope="admin"`,
		},
		{
			name: "scope as an array (scp)",
			token: func(t *testing.T, f *fakeIssuer) string {
				return sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, del("scope"), set("scp", []string{"admin"})))
			},
			req:    rs.Requirement{Scopes: []string{"admin"}},
			status: 200,
		},
		{
			name:   "no Authorization header",
			status: 401,
			header: `Bearer realm="orders"`,
		},
		{
			name:   "Basic instead of Bearer",
			token:  func(t *testing.T, f *fakeIssuer) string { return "dXNlcjpwYXNz" },
			scheme: "Basic",
			status: 401,
			header: `Bearer realm="orders"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, v, clk := newJWTSetup(t)
			m := &rs.Middleware{Validator: v, Now: clk.Now, Realm: "orders"}
			var authz []string
			if tc.token != nil {
				scheme := tc.scheme
				if scheme == "" {
					scheme = "Bearer"
				}
				authz = append(authz, scheme+" "+tc.token(t, f))
			}
			res := serve(t, m, tc.req, authz...)
			if res.status != tc.status {
				t.Errorf("status = %d, want %d (%s %s)", res.status, tc.status, res.header, res.rec.Body)
			}
			if res.header != tc.header {
				t.Errorf("WWW-Authenticate =\n  %s\nwant\n  %s", res.header, tc.header)
			}
			if tc.status != 200 {
				if res.body["error"] != tc.error {
					t.Errorf("body error = %q, want %q", res.body["error"], tc.error)
				}
				if res.body["error_description"] == "" {
					t.Error("body has no error_description")
				}
			}
			if tc.fetches != 0 {
				if got := f.jwksHits.Load(); got != tc.fetches {
					t.Errorf("JWKS fetched %d times, want %d", got, tc.fetches)
				}
			}
			if tc.check != nil {
				if res.token == nil {
					t.Fatal("handler did not see the token")
				}
				tc.check(t, res.token)
			}
		})
	}
}

func TestJWTUnknownKidRefetchIsRateLimited(t *testing.T) {
	f, v, clk := newJWTSetup(t)
	ctx := context.Background()
	unknown := sign(t, rsaOther, "rsa-2", jose.RS256, "at+jwt", f.claims(t0))

	for i := 0; i < 3; i++ {
		if _, err := v.Validate(ctx, unknown); err == nil {
			t.Fatal("token with an unknown kid accepted")
		}
	}
	if got := f.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (start, one refetch)", got)
	}

	// Concurrent requests within the minute fetch nothing more.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = v.Validate(ctx, unknown)
		}()
	}
	wg.Wait()
	if got := f.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", got)
	}

	// A minute later the key has been published: one refetch finds it.
	clk.Advance(61 * time.Second)
	f.addKey(jose.JSONWebKey{Key: rsaOther.Public(), KeyID: "rsa-2", Algorithm: "RS256", Use: "sig"})
	unknown = sign(t, rsaOther, "rsa-2", jose.RS256, "at+jwt", f.claims(clk.Now()))
	tok, err := v.Validate(ctx, unknown)
	if err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if tok.Subject != "user-42" {
		t.Errorf("Subject = %q", tok.Subject)
	}
	if got := f.jwksHits.Load(); got != 3 {
		t.Errorf("JWKS fetched %d times, want 3", got)
	}
	// Known now: no more fetching.
	if _, err := v.Validate(ctx, unknown); err != nil {
		t.Fatal(err)
	}
	if got := f.jwksHits.Load(); got != 3 {
		t.Errorf("JWKS fetched %d times, want 3", got)
	}
}

func TestJWTNewKeyRightAfterStart(t *testing.T) {
	f, v, _ := newJWTSetup(t)
	f.addKey(jose.JSONWebKey{Key: ecOther.Public(), KeyID: "ec-2", Algorithm: "ES256", Use: "sig"})
	if _, err := v.Validate(context.Background(), sign(t, ecOther, "ec-2", jose.ES256, "at+jwt", f.claims(t0))); err != nil {
		t.Fatalf("key published after start: %v", err)
	}
}

func TestJWTWithoutAudience(t *testing.T) {
	f := newIssuer(t)
	v, err := rs.NewJWTValidator(context.Background(), f.URL(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.Now = newClock(t0).Now
	if _, err := v.Validate(context.Background(), sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("aud", "https://anything.example")))); err != nil {
		t.Errorf("no audience configured: %v", err)
	}
}

func TestJWTErrorsMatchErrInvalidToken(t *testing.T) {
	f, v, _ := newJWTSetup(t)
	_, err := v.Validate(context.Background(), sign(t, rsaKey, "rsa-1", jose.RS256, "JWT", f.claims(t0)))
	var ite *rs.InvalidTokenError
	if !errors.Is(err, rs.ErrInvalidToken) || !errors.As(err, &ite) {
		t.Fatalf("err = %v", err)
	}
}

func TestJWKSUnavailableOnRefetch(t *testing.T) {
	f, v, clk := newJWTSetup(t)
	m := &rs.Middleware{Validator: v, Now: clk.Now}
	tok := sign(t, rsaOther, "rsa-2", jose.RS256, "at+jwt", f.claims(t0))
	f.srv.Close()
	res := serve(t, m, rs.Requirement{}, "Bearer "+tok)
	if res.status != http.StatusServiceUnavailable || res.header != "" || res.body["error"] != "temporarily_unavailable" {
		t.Errorf("got %d %q %v", res.status, res.header, res.body)
	}
	// Tokens signed with known keys are still checked from the cache.
	res = serve(t, m, rs.Requirement{}, "Bearer "+sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0)))
	if res.status != http.StatusOK {
		t.Errorf("cached key: status %d %s", res.status, res.header)
	}
}

func newIntrospectionSetup(t *testing.T, secret string) (*fakeIssuer, *rs.IntrospectionValidator, *clock) {
	t.Helper()
	f := newIssuer(t)
	clk := newClock(t0)
	v, err := rs.NewIntrospectionValidator(context.Background(), f.URL(), rsID, secret, nil)
	if err != nil {
		t.Fatalf("NewIntrospectionValidator: %v", err)
	}
	v.Now = clk.Now
	return f, v, clk
}

// introspected is an active introspection response at t0, changed by mods.
func introspected(mods ...func(map[string]any)) map[string]any {
	c := map[string]any{
		"active":    true,
		"sub":       "user-7",
		"client_id": "web-app",
		"scope":     "orders:read",
		"exp":       t0.Add(time.Hour).Unix(),
		"iat":       t0.Add(-time.Minute).Unix(),
		"aud":       []string{audience},
		"acr":       acrMFA,
		"auth_time": t0.Add(-2 * time.Minute).Unix(),
		"amr":       []string{"pwd", "otp", "mfa"},
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

func TestIntrospection(t *testing.T) {
	tests := []struct {
		name     string
		response map[string]any // nil: the issuer does not know the token
		secret   string         // default rsSecret
		audience string
		req      rs.Requirement
		status   int
		header   string
		error    string
		check    func(t *testing.T, tok *rs.Token)
	}{
		{
			name:     "active",
			response: introspected(),
			req:      rs.Requirement{Scopes: []string{"orders:read"}, ACR: []string{acrMFA}, MaxAge: 5 * time.Minute},
			status:   200,
			check: func(t *testing.T, tok *rs.Token) {
				if tok.Subject != "user-7" || tok.ClientID != "web-app" || tok.ACR != acrMFA ||
					!tok.AuthTime.Equal(t0.Add(-2*time.Minute)) || !tok.Expiry.Equal(t0.Add(time.Hour)) ||
					!slices.Equal(tok.Scopes, []string{"orders:read"}) || !slices.Equal(tok.AMR, []string{"pwd", "otp", "mfa"}) ||
					tok.Raw != "opaque-token" || tok.Claims["active"] != true {
					t.Errorf("token = %+v", tok)
				}
			},
		},
		{
			name:     "active false",
			response: map[string]any{"active": false},
			status:   401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not active."`,
		},
		{
			name:   "unknown token",
			status: 401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not active."`,
		},
		{
			name:     "access token use",
			response: introspected(set("token_use", "access_token")),
			status:   200,
		},
		{
			name:     "a refresh token as bearer",
			response: introspected(set("token_use", "refresh_token")),
			status:   401, error: "invalid_token",
			header: hdrInvalid + `"The token is not an access token."`,
		},
		{
			name:     "active but expired",
			response: introspected(set("exp", t0.Add(-time.Hour).Unix())),
			status:   401, error: "invalid_token",
			header: hdrInvalid + `"The access token expired."`,
		},
		{
			name:     "another issuer",
			response: introspected(set("iss", "https://evil.example.com")),
			status:   401, error: "invalid_token",
			header: hdrInvalid + `"The access token was issued by another issuer."`,
		},
		{
			name:     "audience required and present",
			response: introspected(),
			audience: audience,
			status:   200,
		},
		{
			name:     "audience required and missing",
			response: introspected(del("aud")),
			audience: audience,
			status:   401, error: "invalid_token",
			header: hdrInvalid + `"The access token is not meant for this resource."`,
		},
		{
			name:     "wrong client secret: the token could not be checked",
			response: introspected(),
			secret:   "wrong",
			status:   503, error: "temporarily_unavailable",
		},
		{
			name:     "acr from introspection too low",
			response: introspected(set("acr", acrPwd)),
			req:      rs.Requirement{ACR: []string{acrMFA}},
			status:   401, error: "insufficient_user_authentication",
			header: stepUp + `"A higher authentication level is required.", acr_values="urn:lockstep:acr:mfa"`,
		},
		{
			name:     "acr from introspection higher on the ladder",
			response: introspected(set("acr", acrPhr)),
			req:      rs.Requirement{ACR: []string{acrMFA}},
			status:   200,
		},
		{
			name:     "auth_time from introspection too old",
			response: introspected(set("auth_time", t0.Add(-31*time.Minute).Unix())),
			req:      rs.Requirement{ACR: []string{acrMFA}, MaxAge: 30 * time.Minute},
			status:   401, error: "insufficient_user_authentication",
			header: stepUp + `"A more recent authentication is required.", acr_values="urn:lockstep:acr:mfa", max_age=1800`,
		},
		{
			name:     "auth_time as an RFC 3339 string and a fraction",
			response: introspected(set("auth_time", t0.Add(-time.Minute).Format(time.RFC3339)), set("exp", float64(t0.Add(time.Hour).Unix())+0.5)),
			req:      rs.Requirement{MaxAge: 2 * time.Minute},
			status:   200,
		},
		{
			name:     "client credentials token: no acr, no auth_time",
			response: introspected(del("acr"), del("auth_time"), del("amr"), set("sub", "web-app")),
			req:      rs.Requirement{ACR: []string{acrPwd}, MaxAge: time.Hour},
			status:   401, error: "insufficient_user_authentication",
			header: stepUp + `"A higher authentication level and a more recent authentication are required.", acr_values="urn:lockstep:acr:pwd", max_age=3600`,
		},
		{
			name:     "missing scope",
			response: introspected(),
			req:      rs.Requirement{Scopes: []string{"payments"}},
			status:   403, error: "insufficient_scope",
			header: `Bearer error="insufficient_scope", scope="payments"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret := tc.secret
			if secret == "" {
				secret = rsSecret
			}
			f, v, clk := newIntrospectionSetup(t, secret)
			v.Audience = tc.audience
			if tc.response != nil {
				if _, ok := tc.response["iss"]; !ok && tc.response["active"] == true {
					tc.response["iss"] = f.URL()
				}
				f.active["opaque-token"] = tc.response
			}
			m := &rs.Middleware{Validator: v, Now: clk.Now}
			res := serve(t, m, tc.req, "Bearer opaque-token")
			if res.status != tc.status {
				t.Errorf("status = %d, want %d (%s %s)", res.status, tc.status, res.header, res.rec.Body)
			}
			if res.header != tc.header {
				t.Errorf("WWW-Authenticate =\n  %s\nwant\n  %s", res.header, tc.header)
			}
			if tc.status != 200 && res.body["error"] != tc.error {
				t.Errorf("body error = %q, want %q", res.body["error"], tc.error)
			}
			if got := f.introspectionHits.Load(); got != 1 {
				t.Errorf("introspection called %d times", got)
			}
			if tc.check != nil {
				if res.token == nil {
					t.Fatal("handler did not see the token")
				}
				tc.check(t, res.token)
			}
		})
	}
}

func TestIntrospectionUnreachable(t *testing.T) {
	f, v, _ := newIntrospectionSetup(t, rsSecret)
	f.srv.Close()
	_, err := v.Validate(context.Background(), "opaque-token")
	if err == nil || errors.Is(err, rs.ErrInvalidToken) {
		t.Fatalf("err = %v, want an error that is not ErrInvalidToken", err)
	}
}

func TestEither(t *testing.T) {
	f := newIssuer(t)
	clk := newClock(t0)
	ctx := context.Background()
	jv, err := rs.NewJWTValidator(ctx, f.URL(), audience, nil)
	if err != nil {
		t.Fatal(err)
	}
	jv.Now = clk.Now
	iv, err := rs.NewIntrospectionValidator(ctx, f.URL(), rsID, rsSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	iv.Now = clk.Now
	resp := introspected(set("iss", f.URL()), set("acr", acrPhr))
	f.active["ory_at_abc.def"] = resp

	m := &rs.Middleware{Validator: rs.Either(jv, iv), Now: clk.Now} // Ladder from discovery
	req := rs.Requirement{ACR: []string{acrMFA}}
	if res := serve(t, m, req, "Bearer ory_at_abc.def"); res.status != 200 || res.token.Subject != "user-7" {
		t.Errorf("opaque: %d %s", res.status, res.header)
	}
	if res := serve(t, m, req, "Bearer "+sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPhr)))); res.status != 200 || res.token.Subject != "user-42" {
		t.Errorf("jwt: %d %s", res.status, res.header)
	}
	if got := f.introspectionHits.Load(); got != 1 {
		t.Errorf("introspection called %d times, want 1", got)
	}
	// A JWT-shaped token that fails is not sent to introspection.
	if res := serve(t, m, req, "Bearer a.b.c"); res.status != 401 {
		t.Errorf("a.b.c: %d", res.status)
	}
	if got := f.introspectionHits.Load(); got != 1 {
		t.Errorf("introspection called %d times, want 1", got)
	}
}

func TestLadderOverride(t *testing.T) {
	f, v, clk := newJWTSetup(t)
	// With a ladder on which phr is not above mfa, phr does not meet mfa.
	m := &rs.Middleware{Validator: v, Now: clk.Now, Ladder: []string{acrPhr, acrPwd, acrMFA}}
	res := serve(t, m, rs.Requirement{ACR: []string{acrMFA}}, "Bearer "+sign(t, rsaKey, "rsa-1", jose.RS256, "at+jwt", f.claims(t0, set("acr", acrPhr))))
	if res.status != 401 {
		t.Errorf("status = %d", res.status)
	}
	// A validator without a ladder: only exact acr values meet.
	m = &rs.Middleware{Validator: stub{&rs.Token{ACR: acrPhr}}, Now: clk.Now}
	if res := serve(t, m, rs.Requirement{ACR: []string{acrMFA}}, "Bearer x"); res.status != 401 {
		t.Errorf("no ladder: status = %d", res.status)
	}
	if res := serve(t, m, rs.Requirement{ACR: []string{acrPhr}}, "Bearer x"); res.status != 200 {
		t.Errorf("no ladder, exact: status = %d", res.status)
	}
}

type stub struct{ tok *rs.Token }

func (s stub) Validate(ctx context.Context, raw string) (*rs.Token, error) { return s.tok, nil }

type failing struct{ err error }

func (f failing) Validate(ctx context.Context, raw string) (*rs.Token, error) { return nil, f.err }

func TestMiddlewareRequests(t *testing.T) {
	tests := []struct {
		name   string
		m      *rs.Middleware
		authz  []string
		status int
		header string
		body   string
	}{
		{
			name:   "default realm",
			m:      &rs.Middleware{Validator: stub{&rs.Token{}}},
			status: 401,
			header: `Bearer realm="api"`,
			body:   `{"error_description":"An access token is required."}`,
		},
		{
			name:   "realm with a quote and a backslash is escaped",
			m:      &rs.Middleware{Validator: stub{&rs.Token{}}, Realm: `my "api" \ v2` + "\r\nX-Evil: 1"},
			status: 401,
			header: `Bearer realm="my \"api\" \\ v2??X-Evil: 1"`,
		},
		{
			name:   "empty Bearer token",
			m:      &rs.Middleware{Validator: stub{&rs.Token{}}},
			authz:  []string{"Bearer   "},
			status: 401,
			header: `Bearer realm="api"`,
		},
		{
			name:   "two Authorization headers",
			m:      &rs.Middleware{Validator: stub{&rs.Token{}}},
			authz:  []string{"Bearer a", "Bearer b"},
			status: 400,
			header: `Bearer error="invalid_request", error_description="The request has more than one Authorization header."`,
		},
		{
			name:   "a validator's plain ErrInvalidToken",
			m:      &rs.Middleware{Validator: failing{fmt.Errorf("revoked: %w", rs.ErrInvalidToken)}},
			authz:  []string{"Bearer x"},
			status: 401,
			header: hdrInvalid + `"The access token is not valid."`,
			body:   `{"error":"invalid_token","error_description":"The access token is not valid."}`,
		},
		{
			name:   "a validator's description is escaped",
			m:      &rs.Middleware{Validator: failing{&rs.InvalidTokenError{Description: `bad "kid" é`}}},
			authz:  []string{"Bearer x"},
			status: 401,
			header: hdrInvalid + `"bad \"kid\" ?"`,
		},
		{
			name:   "a validator that cannot check",
			m:      &rs.Middleware{Validator: failing{errors.New("connection refused")}},
			authz:  []string{"Bearer x"},
			status: 503,
			body:   `{"error":"temporarily_unavailable","error_description":"The access token could not be checked; try again later."}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(t, tc.m, rs.Requirement{}, tc.authz...)
			if res.status != tc.status || res.header != tc.header {
				t.Errorf("got %d %s\nwant %d %s", res.status, res.header, tc.status, tc.header)
			}
			if tc.body != "" && strings.TrimSpace(res.rec.Body.String()) != tc.body {
				t.Errorf("body = %s, want %s", res.rec.Body, tc.body)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	tests := []struct {
		req    rs.Requirement
		header string
	}{
		{rs.Requirement{ACR: []string{acrMFA}}, stepUp + `"A higher authentication level is required.", acr_values="urn:lockstep:acr:mfa"`},
		{rs.Requirement{MaxAge: 5 * time.Minute}, stepUp + `"A more recent authentication is required.", max_age=300`},
		{rs.Requirement{ACR: []string{acrMFA, acrPhr}, MaxAge: 0}, stepUp + `"A higher authentication level is required.", acr_values="urn:lockstep:acr:mfa urn:lockstep:acr:phr"`},
		{rs.Requirement{ACR: []string{acrPhr}, MaxAge: 90 * time.Second, Scopes: []string{"ignored"}}, stepUp + `"A higher authentication level or a more recent authentication is required.", acr_values="urn:lockstep:acr:phr", max_age=90`},
		{rs.Requirement{ACR: []string{`odd"acr`}}, stepUp + `"A higher authentication level is required.", acr_values="odd\"acr"`},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		rs.Challenge(rec, tc.req)
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != tc.header {
			t.Errorf("%+v: got %d\n  %s\nwant\n  %s", tc.req, rec.Code, rec.Header().Get("WWW-Authenticate"), tc.header)
		}
		if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("headers = %v", rec.Header())
		}
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] != "insufficient_user_authentication" || body["error_description"] == "" {
			t.Errorf("body = %s (%v)", rec.Body, err)
		}
	}
}

func TestStepUpNeeded(t *testing.T) {
	m := &rs.Middleware{Validator: stub{}, Ladder: ladder, Now: newClock(t0).Now}
	tok := &rs.Token{ACR: acrMFA, AuthTime: t0.Add(-10 * time.Minute), Scopes: nil}
	for _, tc := range []struct {
		req  rs.Requirement
		want bool
	}{
		{rs.Requirement{}, false},
		{rs.Requirement{Scopes: []string{"not-looked-at"}}, false},
		{rs.Requirement{ACR: []string{acrPwd}}, false},
		{rs.Requirement{ACR: []string{acrMFA}, MaxAge: 10 * time.Minute}, false},
		{rs.Requirement{ACR: []string{acrPhr}}, true},
		{rs.Requirement{MaxAge: 9 * time.Minute}, true},
	} {
		if got := m.StepUpNeeded(tok, tc.req); got != tc.want {
			t.Errorf("StepUpNeeded(%+v) = %v", tc.req, got)
		}
	}
}

func TestDiscoveryErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		set  map[string]any
	}{
		{"another issuer", map[string]any{"issuer": "https://evil.example.com"}},
		{"no jwks_uri", map[string]any{"jwks_uri": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newIssuer(t)
			maps.Copy(f.discovered, tc.set)
			if _, err := rs.NewJWTValidator(ctx, f.URL(), audience, nil); err == nil {
				t.Error("NewJWTValidator succeeded")
			}
		})
	}
	f := newIssuer(t)
	f.discovered["introspection_endpoint"] = nil
	if _, err := rs.NewIntrospectionValidator(ctx, f.URL(), rsID, rsSecret, nil); err == nil {
		t.Error("NewIntrospectionValidator without an introspection_endpoint succeeded")
	}
	if _, err := rs.NewJWTValidator(ctx, "http://127.0.0.1:1", audience, nil); err == nil {
		t.Error("unreachable issuer accepted")
	}
}

func TestTokenFromEmptyContext(t *testing.T) {
	if _, ok := rs.TokenFrom(context.Background()); ok {
		t.Error("token in an empty context")
	}
	ctx := rs.ContextWithToken(context.Background(), &rs.Token{Subject: "s"})
	if tok, ok := rs.TokenFrom(ctx); !ok || tok.Subject != "s" {
		t.Error("ContextWithToken")
	}
}
