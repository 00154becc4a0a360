package e2e

// Cases of shared/SECURITY-TESTS.md whose rule had no test that fails without it
// (issue 13, item 3). README "Tests" → "The adversarial cases" maps every case to
// its tests and to the rule-break patch that shows them failing.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// TestRedirectURIOtherLoopbackPort (case 25): a loopback redirect URI on another
// port than the registered one gets the error page. fosite alone accepts it (the
// RFC 8252 leniency for native apps), so only our exact match refuses it.
func TestRedirectURIOtherLoopbackPort(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		other := strings.Replace(s.RedirectURI, "127.0.0.1:1/", "127.0.0.1:9/", 1)
		if other == s.RedirectURI {
			t.Fatalf("the registered redirect URI %s is not on 127.0.0.1:1", s.RedirectURI)
		}
		rr := *r
		rr.cfg.RedirectURL = other
		p := newBrowser(t).get(s, rr.start().url)
		if p.callback != nil || p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "not valid") {
			t.Fatalf("redirect_uri on another port: got %d to %v, want the error page", p.resp.StatusCode, p.callback)
		}
		if loc := p.resp.Header.Get("Location"); loc != "" {
			t.Errorf("redirected to %s", loc)
		}
	})
}

// TestPKCEVerifierWithoutStoredChallenge (case 26): a code issued without a
// code_challenge cannot be redeemed with a code_verifier, and a code issued with
// one cannot be redeemed with another client's verifier or none (TestPKCE); here
// the confidential client's code without a challenge.
func TestPKCEVerifierWithoutStoredChallenge(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		u := r.cfg.AuthCodeURL("state-long-enough", oidc.Nonce("n0nce-value-long-enough"))
		cb := b.signIn(s, u, s.Email, s.Password)
		code := cb.Query().Get("code")
		if code == "" {
			t.Fatalf("no code: %v", cb)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.RedirectURI},
			"code_verifier": {oauth2.GenerateVerifier()}}
		st, body := postForm(t, s.URL+"/oauth/token", form, s.ClientID, s.ClientSecret)
		if st != http.StatusBadRequest || (body["error"] != "invalid_request" && body["error"] != "invalid_grant") || body["access_token"] != nil {
			t.Errorf("a verifier for a code without a challenge = %d %v, want invalid_request or invalid_grant", st, body)
		}
	})
}

// TestFlowBoundToItsBrowserAndLifetime: a sign-in's pages act only for the
// browser that started it, also when another browser has a sign-in of its own
// (its own browser id), and not after session.flow_lifetime.
func TestFlowBoundToItsBrowserAndLifetime(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		a := newBrowser(t)
		flowA := a.get(s, r.start().url).flowID()
		b := newBrowser(t)
		if b.get(s, r.start().url).flowID() == "" {
			t.Fatal("the second browser got no sign-in of its own")
		}
		for _, p := range []page{
			b.get(s, s.URL+"/login?"+url.Values{"flow": {flowA}}.Encode()),
			b.post(s, s.URL+"/login", url.Values{"flow": {flowA}, "email": {s.Email}, "password": {s.Password}}),
		} {
			if p.resp.StatusCode != http.StatusForbidden || p.callback != nil || !strings.Contains(p.body, "belongs to another browser") {
				t.Errorf("another browser on A's sign-in (%s): %d %v %s", p.url.Path, p.resp.StatusCode, p.callback, brief(p.body))
			}
		}

		// Past its lifetime the sign-in is gone, even in its own browser.
		s.Clock.Advance(s.Config.Session.FlowLifetime + time.Minute)
		p := a.post(s, s.URL+"/login", url.Values{"flow": {flowA}, "email": {s.Email}, "password": {s.Password}})
		if p.resp.StatusCode != http.StatusBadRequest || p.callback != nil || !strings.Contains(p.body, "no longer valid") {
			t.Errorf("an expired sign-in: %d %v %s", p.resp.StatusCode, p.callback, brief(p.body))
		}
	})
}

// TestAppCodeNeverPhishingResistant: a session whose second factor is an app
// code, asked for the phishing-resistant level by a user without a security
// key, ends in unmet_authentication_requirements, never in a code whose tokens
// claim that level.
func TestAppCodeNeverPhishingResistant(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		_, b := mfaUser(t, s, r) // signed in with password and app code
		phr := `{"id_token":{"acr":{"essential":true,"values":["` + flows.ACRPhishingResistant + `"]}}}`
		p := b.get(s, r.start(param("claims", phr)).url)
		if p.callback == nil || p.callback.Query().Get("error") != "unmet_authentication_requirements" || p.callback.Query().Get("code") != "" {
			t.Fatalf("phr on an app-code session: %v %s %s", p.callback, p.url, brief(p.body))
		}
	})
}
