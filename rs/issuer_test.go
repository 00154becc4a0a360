package rs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	acrPwd = "urn:lockstep:acr:pwd"
	acrMFA = "urn:lockstep:acr:mfa"
	acrPhr = "urn:lockstep:acr:phr"

	audience = "https://api.example.com"
	rsID     = "orders-api"
	// rsSecret has characters that RFC 6749 section 2.3.1 form-encodes before Basic.
	rsSecret = "s3cret:with spaces/+&%"
)

var ladder = []string{acrPwd, acrMFA, acrPhr}

// The keys are generated once: RSA generation is slow.
var (
	keysOnce         sync.Once
	rsaKey, rsaOther *rsa.PrivateKey
	rsaSmall         *rsa.PrivateKey
	ecKey, ecOther   *ecdsa.PrivateKey
	ecP384           *ecdsa.PrivateKey
)

func keys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		must := func(e error) {
			if e != nil && err == nil {
				err = e
			}
		}
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaOther, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaSmall, err = rsa.GenerateKey(rand.Reader, 1024)
		must(err)
		ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		ecOther, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		ecP384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		if err != nil {
			panic(err)
		}
	})
}

// clock is a settable time source shared by the validators and the middleware.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeIssuer stands in for Lockstep: discovery, JWKS and introspection.
type fakeIssuer struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	jwks       []jose.JSONWebKey
	active     map[string]map[string]any // introspection responses by token
	discovered map[string]any            // overrides of discovery members

	jwksHits          atomic.Int32
	introspectionHits atomic.Int32
}

func newIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	keys(t)
	f := &fakeIssuer{t: t, active: map[string]map[string]any{}, discovered: map[string]any{}}
	f.jwks = []jose.JSONWebKey{
		{Key: rsaKey.Public(), KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		{Key: ecKey.Public(), KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
		{Key: rsaSmall.Public(), KeyID: "rsa-small", Algorithm: "RS256", Use: "sig"},
		{Key: ecP384.Public(), KeyID: "ec-384", Use: "sig"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /jwks", f.jwksHandler)
	mux.HandleFunc("/introspect", f.introspect)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) URL() string { return f.srv.URL }

func (f *fakeIssuer) discovery(w http.ResponseWriter, r *http.Request) {
	d := map[string]any{
		"issuer":                 f.srv.URL,
		"jwks_uri":               f.srv.URL + "/jwks",
		"introspection_endpoint": f.srv.URL + "/introspect",
		"acr_values_supported":   ladder,
	}
	f.mu.Lock()
	for k, v := range f.discovered {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = v
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, d)
}

func (f *fakeIssuer) addKey(k jose.JSONWebKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwks = append(f.jwks, k)
}

func (f *fakeIssuer) jwksHandler(w http.ResponseWriter, r *http.Request) {
	f.jwksHits.Add(1)
	f.mu.Lock()
	set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), f.jwks...)}
	f.mu.Unlock()
	body, err := json.Marshal(set)
	if err != nil {
		f.t.Errorf("marshal jwks: %v", err)
	}
	// A key of a type go-jose does not know must not hide the others.
	var raw map[string][]json.RawMessage
	_ = json.Unmarshal(body, &raw)
	raw["keys"] = append(raw["keys"], json.RawMessage(`{"kty":"OKP","crv":"X448","x":"AAAA","kid":"odd"}`),
		json.RawMessage(`{"kty":"oct","k":"c2VjcmV0","kid":"rsa-1"}`))
	writeJSON(w, http.StatusOK, raw)
}

// introspect checks the request like fosite does (POST, form, client_secret_basic
// with form-encoded id and secret) and answers from f.active.
func (f *fakeIssuer) introspect(w http.ResponseWriter, r *http.Request) {
	f.introspectionHits.Add(1)
	if r.Method != http.MethodPost {
		f.t.Errorf("introspection method = %s", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("introspection Content-Type = %q", ct)
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		ok = err1 == nil && err2 == nil
	}
	if !ok || id != rsID || secret != rsSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("introspection form: %v", err)
	}
	if hint := r.PostForm.Get("token_type_hint"); hint != "access_token" {
		f.t.Errorf("token_type_hint = %q", hint)
	}
	f.mu.Lock()
	resp, found := f.active[r.PostForm.Get("token")]
	f.mu.Unlock()
	if !found {
		resp = map[string]any{"active": false}
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// claims returns a valid access token's claims at now, changed by mods.
func (f *fakeIssuer) claims(now time.Time, mods ...func(map[string]any)) map[string]any {
	c := map[string]any{
		"iss":       f.srv.URL,
		"sub":       "user-42",
		"aud":       []string{audience, "https://other.example.com"},
		"client_id": "web-app",
		"exp":       now.Add(time.Hour).Unix(),
		"iat":       now.Add(-time.Minute).Unix(),
		"jti":       "jti-1",
		"scope":     "orders:read payments",
		"acr":       acrMFA,
		"auth_time": now.Add(-5 * time.Minute).Unix(),
		"amr":       []string{"pwd", "otp", "mfa"},
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

func set(k string, v any) func(map[string]any) { return func(c map[string]any) { c[k] = v } }
func del(k string) func(map[string]any)        { return func(c map[string]any) { delete(c, k) } }

// sign makes a compact JWS of claims with key, kid, alg and typ ("" for none).
func sign(t *testing.T, key any, kid string, alg jose.SignatureAlgorithm, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	var sk jose.SigningKey
	if kid != "" {
		sk = jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}
	} else {
		sk = jose.SigningKey{Algorithm: alg, Key: key}
	}
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned makes an alg none token.
func unsigned(t *testing.T, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "at+jwt", "kid": "rsa-1"})
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "."
}
