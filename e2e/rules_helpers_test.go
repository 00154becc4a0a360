package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/flows"
)

// account is one more user of a test server, with the password it was made with.
type account struct {
	ID, Email, Password string
}

// addAccount creates the user name@example.com with a password of its own.
func addAccount(t *testing.T, s *server, name string) account {
	t.Helper()
	u := account{Email: name + "@example.com", Password: "the password of " + name}
	created, err := admin.CreateUser(context.Background(), s.Store, app.PasswordHasher(s.Config.Password), admin.UserSpec{
		Email: u.Email, Password: u.Password, GivenName: name,
	}, s.Clock.Now())
	if err != nil {
		t.Fatalf("create %s: %v", u.Email, err)
	}
	u.ID = created.ID
	return u
}

// disableAccount is `lockstep users disable EMAIL`.
func disableAccount(t *testing.T, s *server, u account) {
	t.Helper()
	if _, err := admin.DisableUser(context.Background(), s.Store, u.Email, s.Clock.Now()); err != nil {
		t.Fatalf("disable %s: %v", u.Email, err)
	}
}

// signInAs signs u in with the password in a new browser (allowing the client
// when asked) and returns the browser, now with u's session, and the tokens.
func signInAs(t *testing.T, s *server, r *rp, u account) (*browser, tokens) {
	t.Helper()
	b := newBrowser(t)
	return b, signInIn(t, s, r, b, u)
}

// signInIn signs u in with the password in b, allowing the client when asked.
func signInIn(t *testing.T, s *server, r *rp, b *browser, u account) tokens {
	t.Helper()
	a := r.start()
	return r.redeem(a, b.signIn(s, a.url, u.Email, u.Password))
}

// enrolApp gives u an authenticator app through the sign-in's enrolment in b
// (asked for by an essential multi-factor acr), with r's client: allowed on the
// way when it asks for consent. b then holds u's session at the multi-factor
// level. The enrolment spends the clock's current TOTP step for u.
func enrolApp(t *testing.T, s *server, r *rp, b *browser, u account) enrolment {
	t.Helper()
	a := r.start(param("claims", essentialMFA))
	e, p := b.enrolTOTP(s, b.password(s, b.get(s, a.url), u.Email, u.Password))
	if p.isConsent() {
		p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
	}
	if p.callback == nil {
		t.Fatalf("enrolling an app for %s did not end at the client: %s %.300s", u.Email, p.url, p.body)
	}
	if c := r.redeem(a, p.callback).claims; c["acr"] != flows.ACRMultiFactor || c["sub"] != u.ID {
		t.Fatalf("after enrolling an app for %s: sub %v acr %v", u.Email, c["sub"], c["acr"])
	}
	return e
}

// addPasskey signs u in with the password in a browser of its own, allowing r's
// client, and registers a passkey on the account page, finishing with the
// passkey's own proof (as addKey does for the server's user).
func addPasskey(t *testing.T, s *server, r *rp, u account) *securityKey {
	t.Helper()
	b, _ := signInAs(t, s, r, u)
	key := newSecurityKey(s)
	key.auth = virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(u.ID)})
	opts, err := virtualwebauthn.ParseAttestationOptions(b.options(s, "/account/webauthn/options", url.Values{"passkey": {"1"}}))
	if err != nil {
		t.Fatal(err)
	}
	att := virtualwebauthn.CreateAttestationResponse(key.rp, key.auth, key.cred, *opts)
	b.post(s, s.URL+"/account/webauthn/add", url.Values{"name": {"Laptop"}, "response": {att}})
	key.auth.AddCredential(key.cred)
	p := b.post(s, s.URL+"/account/recovery-codes?done=key-added", url.Values{"stored": {"yes"}})
	if p = key.sign(t, b, s, p); p.url.Path != "/account/keys" || !strings.Contains(p.body, "Laptop") {
		t.Fatalf("adding a passkey for %s: %s %d %.300s", u.Email, p.url, p.resp.StatusCode, p.body)
	}
	return key
}

// passkeySignIn starts a sign-in in b and answers the login page's passkey
// button with key; it returns the attempt and where the browser stopped.
func passkeySignIn(t *testing.T, s *server, r *rp, b *browser, key *securityKey) (attempt, page) {
	t.Helper()
	a, p := toPasskeyLogin(t, r, s, b)
	flow := p.flowID()
	return a, postPasskey(b, s, flow, key.assert(t, b, s, "/login/passkey/options", flow, nil))
}

// refreshToken presents rt at the token endpoint as the confidential client.
func refreshToken(t *testing.T, s *server, rt string) (int, map[string]any) {
	t.Helper()
	return postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, s.ClientID, s.ClientSecret)
}

// introspect reports whether the server says token is active.
func introspect(t *testing.T, s *server, token string) bool {
	t.Helper()
	st, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {token}}, s.ClientID, s.ClientSecret)
	if st != http.StatusOK {
		t.Fatalf("introspection answered %d: %v", st, in)
	}
	active, _ := in["active"].(bool)
	return active
}

// wantInvalidGrant checks a refused token request.
func wantInvalidGrant(t *testing.T, what string, st int, body map[string]any) {
	t.Helper()
	if st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		got := fmt.Sprintf("error=%v", body["error"])
		if body["access_token"] != nil {
			got = "new tokens"
		}
		t.Errorf("%s: got %d with %s, want 400 invalid_grant", what, st, got)
	}
}

// authError is the error an authorization response gave the client, "" for none
// (or no response at the client at all).
func authError(p page) string {
	if p.callback == nil {
		return ""
	}
	return p.callback.Query().Get("error")
}

// where says briefly where a browser stopped, for failure messages.
func where(p page) string {
	if p.callback != nil {
		if q := p.callback.Query(); q.Get("code") != "" {
			return "a code at the client"
		} else {
			return "error=" + q.Get("error") + " at the client"
		}
	}
	return strconv.Itoa(p.resp.StatusCode) + " at " + pageMessage(p)
}
