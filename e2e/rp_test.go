package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// rp is a relying party built from go-oidc and x/oauth2, as an app would use them.
type rp struct {
	t        testing.TB
	s        *server
	cfg      oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	ctx      context.Context
}

func newRP(t testing.TB, s *server, clientID, secret, redirect string) *rp {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, s.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{
		t: t, s: s, ctx: ctx, provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: clientID}),
		cfg: oauth2.Config{
			ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
			Endpoint: provider.Endpoint(),
			Scopes:   []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
		},
	}
}

// attempt is one authorization request with its secrets.
type attempt struct {
	state, nonce, verifier string
	url                    string
}

func (r *rp) start(extra ...oauth2.AuthCodeOption) attempt {
	a := attempt{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)}, extra...)
	a.url = r.cfg.AuthCodeURL(a.state, opts...)
	return a
}

// tokens is a verified token response.
type tokens struct {
	tok     *oauth2.Token
	raw     string
	idToken *oidc.IDToken
	claims  map[string]any
}

// redeem checks the callback and exchanges its code, verifying the ID token.
func (r *rp) redeem(a attempt, cb *url.URL) tokens {
	r.t.Helper()
	q := cb.Query()
	if e := q.Get("error"); e != "" {
		r.t.Fatalf("authorization error: %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != a.state {
		r.t.Fatalf("state = %q, want %q", q.Get("state"), a.state)
	}
	if q.Get("iss") != r.s.URL {
		r.t.Fatalf("iss = %q, want %q (RFC 9207)", q.Get("iss"), r.s.URL)
	}
	tok, err := r.cfg.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		r.t.Fatalf("exchange: %v", err)
	}
	return r.verify(tok, a.nonce)
}

func (r *rp) verify(tok *oauth2.Token, nonce string) tokens {
	r.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		r.t.Fatal("no id_token in the token response")
	}
	idt, err := r.verifier.Verify(r.ctx, raw)
	if err != nil {
		r.t.Fatalf("verify id token: %v", err)
	}
	if nonce != "" && idt.Nonce != nonce {
		r.t.Fatalf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		r.t.Fatalf("at_hash: %v", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		r.t.Fatal(err)
	}
	return tokens{tok: tok, raw: raw, idToken: idt, claims: claims}
}

// page is where a browser stopped: a Lockstep page, or the client's callback.
type page struct {
	resp     *http.Response
	body     string
	url      *url.URL
	callback *url.URL
}

// get fetches u and follows redirects while they stay on Lockstep.
func (b *browser) get(s *server, u string) page {
	b.t.Helper()
	return b.do(s, mustRequest(b.t, http.MethodGet, u, nil))
}

func (b *browser) post(s *server, u string, form url.Values) page {
	b.t.Helper()
	req := mustRequest(b.t, http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(s, req)
}

func mustRequest(t testing.TB, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func (b *browser) do(s *server, req *http.Request) page {
	b.t.Helper()
	for hops := 0; hops < 10; hops++ {
		resp, err := b.client.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return page{resp: resp, body: string(body), url: req.URL}
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		if !strings.HasPrefix(next.String(), s.URL+"/") {
			return page{resp: resp, body: string(body), url: req.URL, callback: next}
		}
		req = mustRequest(b.t, http.MethodGet, next.String(), nil)
	}
	b.t.Fatal("too many redirects")
	return page{}
}

// flowID is the flow of a step page: from its address, or from its form when the
// page answered a post.
func (p page) flowID() string {
	if f := p.url.Query().Get("flow"); f != "" {
		return f
	}
	if m := reFlowField.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

// isLogin: the password form, which /authorize answers with itself and /login
// shows again after a failed attempt.
func (p page) isLogin() bool {
	return p.callback == nil && (p.url.Path == "/login" || p.url.Path == "/authorize") &&
		strings.Contains(p.body, `<form method="post" action="/login"`)
}

func (p page) isConsent() bool { return p.callback == nil && p.url.Path == "/consent" }

// signIn drives the hosted pages from an authorization URL to the client's
// callback: password when asked, consent when asked.
func (b *browser) signIn(s *server, authURL, email, password string) *url.URL {
	b.t.Helper()
	p := b.get(s, authURL)
	if p.isLogin() {
		p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {email}, "password": {password}})
	}
	if p.isConsent() {
		p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
	}
	if p.callback == nil {
		b.t.Fatalf("expected a redirect to the client, stopped at %s with %d: %.300s", p.url, p.resp.StatusCode, p.body)
	}
	return p.callback
}

// postForm is a back-channel request with client authentication.
func postForm(t testing.TB, u string, form url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	req := mustRequest(t, http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
