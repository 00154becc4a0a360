package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// securityKey is a virtual authenticator holding one credential.
type securityKey struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	rp   virtualwebauthn.RelyingParty
	last string // the last assertion sent
}

func newSecurityKey(s *server) *securityKey {
	u, _ := url.Parse(s.URL)
	for {
		// virtualwebauthn drops a leading zero byte of a coordinate; skip such keys.
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		pub, err := k.PublicKey.Bytes()
		if err != nil || pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return &securityKey{
			auth: virtualwebauthn.NewAuthenticator(),
			cred: virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der),
			rp:   virtualwebauthn.RelyingParty{Name: "Lockstep", ID: u.Hostname(), Origin: s.URL},
		}
	}
}

// sign answers the security-key challenge page p with this key, as the page's
// script does: fetch the options, sign, post the assertion.
func (k *securityKey) sign(t *testing.T, b *browser, s *server, p page) page {
	t.Helper()
	flow := p.flowID()
	opts, err := virtualwebauthn.ParseAssertionOptions(b.options(s, "/challenge/webauthn", url.Values{"flow": {flow}}))
	if err != nil {
		t.Fatal(err)
	}
	k.last = virtualwebauthn.CreateAssertionResponse(k.rp, k.auth, k.cred, *opts)
	return b.post(s, s.URL+"/challenge", url.Values{"flow": {flow}, "method": {"webauthn"}, "response": {k.last}})
}

// options posts form to path and returns the WebAuthn options JSON, as the page's
// script does.
func (b *browser) options(s *server, path string, form url.Values) string {
	b.t.Helper()
	req := mustRequest(b.t, http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		b.t.Fatalf("options at %s: %d %.300s", path, resp.StatusCode, body)
	}
	return string(body)
}

func TestSecurityKeyMeetsPhishingResistantLevel(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))

		// Without a key the phishing-resistant level cannot be met.
		phr := `{"id_token":{"acr":{"essential":true,"values":["` + flows.ACRPhishingResistant + `"]}}}`
		if p := b.get(s, r.start(param("claims", phr)).url); p.callback == nil || p.callback.Query().Get("error") != "unmet_authentication_requirements" {
			t.Fatalf("phr without a key: %v %s", p.callback, p.url)
		}

		// Register a key on the account page (freshly signed in: no re-verification).
		key := newSecurityKey(s)
		opts, err := virtualwebauthn.ParseAttestationOptions(b.options(s, "/account/webauthn/options", url.Values{}))
		if err != nil {
			t.Fatal(err)
		}
		att := virtualwebauthn.CreateAttestationResponse(key.rp, key.auth, key.cred, *opts)
		p := b.post(s, s.URL+"/account/webauthn/add", url.Values{"name": {"YubiKey"}, "response": {att}})
		key.auth.AddCredential(key.cred)
		// The first second factor comes with recovery codes.
		if !strings.Contains(p.body, "I have safely copied and stored these codes") || len(reRecovery.FindAllString(p.body, -1)) != 10 {
			t.Fatalf("no recovery codes after the first key: %s %.300s", p.url, p.body)
		}
		p = b.post(s, s.URL+"/account/recovery-codes?done=key-added", url.Values{"stored": {"yes"}})
		// With a second factor set up, the account page wants it: the new key proves itself.
		if !p.isChallenge() || !strings.Contains(p.body, `data-webauthn="get"`) {
			t.Fatalf("after adding the key: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		p = key.sign(t, b, s, p)
		if p.url.Path != "/account/keys" || !strings.Contains(p.body, "YubiKey") {
			t.Fatalf("after verifying with the new key: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		waitForMail(t, s, "A security key was added")

		// This session proved the key just now: the level is met without a page.
		a = r.start(param("claims", phr))
		if p := b.get(s, a.url); p.callback == nil || r.redeem(a, p.callback).claims["acr"] != flows.ACRPhishingResistant {
			t.Fatalf("the session that used the key was asked again: %s", p.url)
		}

		// A new browser: the password, then the key (the only method that meets the level).
		b2 := newBrowser(t)
		a = r.start(param("claims", phr))
		p = b2.password(s, b2.get(s, a.url), s.Email, s.Password)
		if !p.isChallenge() || !strings.Contains(p.body, `data-webauthn="get"`) || strings.Contains(p.body, "authenticator app") {
			t.Fatalf("expected a security-key challenge only: %s %.300s", p.url, p.body)
		}
		p = key.sign(t, b2, s, p)
		if p.callback == nil {
			t.Fatalf("the key was refused: %d %.300s", p.resp.StatusCode, p.body)
		}
		c := r.redeem(a, p.callback).claims
		amr := toStrings(c["amr"])
		if c["acr"] != flows.ACRPhishingResistant || !slices.Contains(amr, "mfa") || !slices.Contains(amr, "pwd") ||
			!(slices.Contains(amr, "hwk") || slices.Contains(amr, "swk")) {
			t.Errorf("after the key: acr %v amr %v auth_time %v", c["acr"], amr, c["auth_time"])
		}

		// The last assertion again, in a new flow: refused (single-use challenge).
		a = r.start(param("prompt", "login"), param("claims", phr))
		p = b2.password(s, b2.get(s, a.url), s.Email, s.Password)
		if q := b2.post(s, s.URL+"/challenge", url.Values{"flow": {p.flowID()}, "method": {"webauthn"}, "response": {key.last}}); q.callback != nil {
			t.Error("a replayed assertion signed in")
		}
	})
}

func TestPasskeySignInWithoutPassword(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))

		// Register a passkey: a discoverable credential that verifies the user.
		key := newSecurityKey(s)
		key.auth = virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(s.UserID)})
		raw := b.options(s, "/account/webauthn/options", url.Values{"passkey": {"1"}})
		if !strings.Contains(raw, `"residentKey":"required"`) || !strings.Contains(raw, `"userVerification":"required"`) {
			t.Errorf("passkey registration options do not require a discoverable, user-verifying credential: %s", raw)
		}
		opts, err := virtualwebauthn.ParseAttestationOptions(raw)
		if err != nil {
			t.Fatal(err)
		}
		att := virtualwebauthn.CreateAttestationResponse(key.rp, key.auth, key.cred, *opts)
		if p := b.post(s, s.URL+"/account/webauthn/add", url.Values{"name": {"Laptop"}, "response": {att}}); !strings.Contains(p.body, "I have safely copied and stored these codes") {
			t.Fatalf("adding the key did not show recovery codes: %s %d", p.url, p.resp.StatusCode)
		}
		key.auth.AddCredential(key.cred)
		p := b.post(s, s.URL+"/account/recovery-codes?done=key-added", url.Values{"stored": {"yes"}})
		if p = key.sign(t, b, s, p); p.url.Path != "/account/keys" || !strings.Contains(p.body, "Laptop") {
			t.Fatalf("after adding the passkey: %s %.300s", p.url, p.body)
		}

		// A new browser signs in with the passkey alone: no password page, the top level.
		b2 := newBrowser(t)
		a = r.start(param("acr_values", flows.ACRPhishingResistant))
		p = b2.get(s, a.url)
		if !p.isLogin() || !strings.Contains(p.body, "Sign in with a passkey") {
			t.Fatalf("expected the login page with a passkey button: %s", p.url)
		}
		flow := p.flowID()
		asOpts, err := virtualwebauthn.ParseAssertionOptions(b2.options(s, "/login/passkey/options", url.Values{"flow": {flow}}))
		if err != nil {
			t.Fatal(err)
		}
		assertion := virtualwebauthn.CreateAssertionResponse(key.rp, key.auth, key.cred, *asOpts)
		p = b2.post(s, s.URL+"/login/passkey", url.Values{"flow": {flow}, "response": {assertion}})
		if p.callback == nil {
			t.Fatalf("the passkey did not sign in: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		c := r.redeem(a, p.callback).claims
		amr := toStrings(c["amr"])
		if c["sub"] != s.UserID || c["acr"] != flows.ACRPhishingResistant || slices.Contains(amr, "pwd") ||
			!slices.Contains(amr, "user") || !slices.Contains(amr, "mfa") || c["auth_time"] == nil {
			t.Errorf("passkey sign-in: sub %v acr %v amr %v auth_time %v", c["sub"], c["acr"], amr, c["auth_time"])
		}

		// The same assertion again is refused.
		a = r.start()
		p = newBrowser(t).get(s, a.url)
		if q := b2.post(s, s.URL+"/login/passkey", url.Values{"flow": {p.flowID()}, "response": {assertion}}); q.callback != nil {
			t.Error("a replayed passkey assertion signed in")
		}
	})
}
