package e2e

// Forged, replayed and cloned WebAuthn assertions, posted over HTTP as an attacker
// (or a broken authenticator) would: each is refused with the page's message, and
// nothing moves on: no authorization code reaches the client, no session starts,
// the flow stays where it was, and the failure is in the audit log.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

// What the pages say when a key or a passkey is refused (flows/webauthn.go).
const (
	msgKeyRefused     = "The security key could not be verified. Try again, or use another method."
	msgPasskeyRefused = "That passkey could not be used. Try again, or sign in with your password."
)

// forgery changes what a virtual authenticator answers with.
type forgery func(rp *virtualwebauthn.RelyingParty, auth *virtualwebauthn.Authenticator, cred *virtualwebauthn.Credential)

// addKey signs the user in with the password in a browser of its own and
// registers a key on the account page (a passkey when passkey is set), finishing
// with the key's own proof, as in TestSecurityKeyMeetsPhishingResistantLevel.
func addKey(t *testing.T, s *server, passkey bool) *securityKey {
	t.Helper()
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	b := newBrowser(t)
	a := r.start()
	r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
	key := newSecurityKey(s)
	form := url.Values{}
	if passkey {
		key.auth = virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(s.UserID)})
		form.Set("passkey", "1")
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(b.options(s, "/account/webauthn/options", form))
	if err != nil {
		t.Fatal(err)
	}
	att := virtualwebauthn.CreateAttestationResponse(key.rp, key.auth, key.cred, *opts)
	b.post(s, s.URL+"/account/webauthn/add", url.Values{"name": {"Key"}, "response": {att}})
	key.auth.AddCredential(key.cred)
	p := b.post(s, s.URL+"/account/recovery-codes?done=key-added", url.Values{"stored": {"yes"}})
	if p = key.sign(t, b, s, p); p.url.Path != "/account/keys" || !strings.Contains(p.body, "Key") {
		t.Fatalf("adding the key: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
	}
	return key
}

// assert fetches the WebAuthn options at path for flow, as the page's script
// does, and answers them with this key after forge (nil: the genuine answer)
// changed a copy of its relying party, authenticator and credential.
func (k *securityKey) assert(t *testing.T, b *browser, s *server, path, flow string, forge forgery) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(b.options(s, path, url.Values{"flow": {flow}}))
	if err != nil {
		t.Fatal(err)
	}
	rp, auth, cred := k.rp, k.auth, k.cred
	if forge != nil {
		forge(&rp, &auth, &cred)
	}
	return virtualwebauthn.CreateAssertionResponse(rp, auth, cred, *opts)
}

// postKey posts an assertion on the challenge page of flow.
func postKey(b *browser, s *server, flow, assertion string) page {
	b.t.Helper()
	return b.post(s, s.URL+"/challenge", url.Values{"flow": {flow}, "method": {"webauthn"}, "response": {assertion}})
}

// postPasskey posts a passkey assertion on the login page of flow.
func postPasskey(b *browser, s *server, flow, assertion string) page {
	b.t.Helper()
	return b.post(s, s.URL+"/login/passkey", url.Values{"flow": {flow}, "response": {assertion}})
}

// toKeyChallenge starts a sign-in in b and enters the password: the user with a
// key is then asked for it.
func toKeyChallenge(t *testing.T, s *server, r *rp, b *browser) (attempt, page) {
	t.Helper()
	a := r.start()
	p := b.password(s, b.get(s, a.url), s.Email, s.Password)
	if !p.isChallenge() || p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `data-webauthn="get"`) {
		t.Fatalf("expected the security-key challenge: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
	}
	return a, p
}

// toPasskeyLogin starts a sign-in in b, at the login page with its passkey button.
func toPasskeyLogin(t *testing.T, r *rp, s *server, b *browser) (attempt, page) {
	t.Helper()
	a := r.start()
	p := b.get(s, a.url)
	if !p.isLogin() || !strings.Contains(p.body, "Sign in with a passkey") {
		t.Fatalf("expected the login page with a passkey button: %s %v %.300s", p.url, p.callback, p.body)
	}
	return a, p
}

// refused checks that p is the page of a refusal: status and message, and no
// redirect to the client (so no authorization code).
func refused(t *testing.T, what string, p page, status int, msg string) {
	t.Helper()
	if p.callback != nil {
		t.Fatalf("%s: redirected to the client: %s", what, p.callback)
	}
	if p.resp.StatusCode != status || !strings.Contains(p.body, msg) {
		t.Errorf("%s: %s %d, want %d with %q: %.400s", what, p.url, p.resp.StatusCode, status, msg, p.body)
	}
}

// stillAt checks that flow still waits at step (/challenge or /login): a flow
// that moved on would be redirected elsewhere.
func stillAt(t *testing.T, b *browser, s *server, step, flow string) page {
	t.Helper()
	p := b.get(s, s.URL+step+"?flow="+url.QueryEscape(flow))
	if p.callback != nil || p.url.Path != step || p.resp.StatusCode != http.StatusOK || p.flowID() != flow {
		t.Fatalf("the flow moved on from %s: %s %v %d %.300s", step, p.url, p.callback, p.resp.StatusCode, p.body)
	}
	return p
}

// noSession checks that b is not signed in: a new request asks for the password.
func noSession(t *testing.T, b *browser, s *server, r *rp) {
	t.Helper()
	if p := b.get(s, r.start().url); !p.isLogin() {
		t.Errorf("the browser is signed in after a refused key: %s %v", p.url, p.callback)
	}
}

// failureReasons are the reasons of the audited factor.failure events for
// factor matching f, newest first.
func failureReasons(t *testing.T, s *server, f storage.AuditFilter, factorName string) []string {
	t.Helper()
	events, err := s.Store.ListAudit(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, ev := range events {
		if ev.Type == "factor.failure" && ev.Detail["factor"] == factorName {
			reasons = append(reasons, ev.Detail["reason"])
		}
	}
	return reasons
}

// audited checks that exactly one failure was added since before, for want.
func audited(t *testing.T, what string, before, after []string, want error) {
	t.Helper()
	if len(after) != len(before)+1 {
		t.Errorf("%s: %d failures audited, want %d: %q", what, len(after), len(before)+1, after)
		return
	}
	if !strings.Contains(after[0], want.Error()) {
		t.Errorf("%s: audited reason %q, want %q", what, after[0], want)
	}
}

// successes counts the audited factor.success events for factorName.
func successes(t *testing.T, s *server, f storage.AuditFilter, factorName string) int {
	t.Helper()
	events, err := s.Store.ListAudit(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Type == "factor.success" && ev.Detail["factor"] == factorName {
			n++
		}
	}
	return n
}

// tamperSignature flips a bit of the assertion's signature.
func tamperSignature(t *testing.T, assertion string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(assertion), &m); err != nil {
		t.Fatal(err)
	}
	resp := m["response"].(map[string]any)
	sig, err := base64URLDecode(resp["signature"].(string))
	if err != nil || len(sig) == 0 {
		t.Fatalf("signature: %v", err)
	}
	sig[len(sig)-1] ^= 0x01
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// adversarialCase is a forged assertion and the reason it must be refused for.
type adversarialCase struct {
	name   string
	forge  forgery
	tamper bool // flip a bit of the signature after signing
	want   error
}

// forgedCases are refused both as a second factor and as a passkey.
func forgedCases(s *server) []adversarialCase {
	other := newSecurityKey(s)
	return []adversarialCase{
		{name: "no user presence", want: factor.ErrUserPresenceRequired,
			forge: func(_ *virtualwebauthn.RelyingParty, a *virtualwebauthn.Authenticator, _ *virtualwebauthn.Credential) {
				a.Options.UserNotPresent = true
			}},
		{name: "tampered signature", tamper: true, want: factor.ErrInvalidResponse},
		{name: "another key under the credential id", want: factor.ErrInvalidResponse,
			forge: func(_ *virtualwebauthn.RelyingParty, _ *virtualwebauthn.Authenticator, c *virtualwebauthn.Credential) {
				c.Key = other.cred.Key
			}},
		{name: "unregistered credential", want: factor.ErrWrongCredential,
			forge: func(_ *virtualwebauthn.RelyingParty, _ *virtualwebauthn.Authenticator, c *virtualwebauthn.Credential) {
				*c = other.cred
			}},
		{name: "wrong origin", want: factor.ErrInvalidResponse,
			forge: func(rp *virtualwebauthn.RelyingParty, _ *virtualwebauthn.Authenticator, _ *virtualwebauthn.Credential) {
				rp.Origin = "https://evil.example"
			}},
		{name: "wrong port", want: factor.ErrInvalidResponse,
			forge: func(rp *virtualwebauthn.RelyingParty, _ *virtualwebauthn.Authenticator, _ *virtualwebauthn.Credential) {
				rp.Origin = "http://localhost:1"
			}},
		{name: "wrong RP ID", want: factor.ErrInvalidResponse,
			forge: func(rp *virtualwebauthn.RelyingParty, _ *virtualwebauthn.Authenticator, _ *virtualwebauthn.Credential) {
				rp.ID = "evil.example"
			}},
	}
}

// TestSecurityKeyForgedAssertionsRefused: at the second-factor challenge, an
// assertion without user presence, with a broken signature or one made by another
// key, from an unregistered key, for another origin or another RP ID is refused
// with the page's message; the flow stays at the challenge, no code reaches the
// client, no session starts, the failure is audited with its reason, and the
// genuine key then still signs in.
func TestSecurityKeyForgedAssertionsRefused(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		key := addKey(t, s, false)
		byUser := storage.AuditFilter{UserID: s.UserID}

		for _, c := range forgedCases(s) {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				b := newBrowser(t)
				a, p := toKeyChallenge(t, s, r, b)
				flow := p.flowID()
				before := failureReasons(t, s, byUser, "webauthn")
				assertion := key.assert(t, b, s, "/challenge/webauthn", flow, c.forge)
				if c.tamper {
					assertion = tamperSignature(t, assertion)
				}
				refused(t, c.name, postKey(b, s, flow, assertion), http.StatusUnauthorized, msgKeyRefused)
				audited(t, c.name, before, failureReasons(t, s, byUser, "webauthn"), c.want)

				p = stillAt(t, b, s, "/challenge", flow)
				noSession(t, b, s, r)

				// The genuine key still works in the same flow.
				if p = key.sign(t, b, s, p); p.callback == nil {
					t.Fatalf("the genuine key after %s: %s %d %.300s", c.name, p.url, p.resp.StatusCode, p.body)
				}
				amr := toStrings(r.redeem(a, p.callback).claims["amr"])
				if !slices.Contains(amr, "mfa") || !(slices.Contains(amr, "hwk") || slices.Contains(amr, "swk")) {
					t.Errorf("after the genuine key: amr %v", amr)
				}
			})
		}
	})
}

// TestPasskeyForgedAssertionsRefused: a passkey sign-in without user verification
// is refused (the passkey stands for both factors, so it must have verified its
// user), as are the forgeries refused at the challenge; the flow stays at the
// login page with the passkey message, no session starts, no code reaches the
// client, the failure is audited, and a proper passkey then signs in.
func TestPasskeyForgedAssertionsRefused(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		key := addKey(t, s, true)
		byClient := storage.AuditFilter{ClientID: s.ClientID}

		cases := append([]adversarialCase{
			{name: "no user verification", want: factor.ErrUserVerificationRequired,
				forge: func(_ *virtualwebauthn.RelyingParty, a *virtualwebauthn.Authenticator, _ *virtualwebauthn.Credential) {
					a.Options.UserNotVerified = true
				}},
			{name: "no user handle", want: factor.ErrInvalidResponse,
				forge: func(_ *virtualwebauthn.RelyingParty, a *virtualwebauthn.Authenticator, _ *virtualwebauthn.Credential) {
					a.Options.UserHandle = nil
				}},
		}, forgedCases(s)...)
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				b := newBrowser(t)
				a, p := toPasskeyLogin(t, r, s, b)
				flow := p.flowID()
				before := failureReasons(t, s, byClient, "passkey")
				assertion := key.assert(t, b, s, "/login/passkey/options", flow, c.forge)
				if c.tamper {
					assertion = tamperSignature(t, assertion)
				}
				q := postPasskey(b, s, flow, assertion)
				refused(t, c.name, q, http.StatusUnauthorized, msgPasskeyRefused)
				// The login page again, for the same flow, with its password form.
				if q.flowID() != flow || !strings.Contains(q.body, `name="password"`) || !strings.Contains(q.body, "Sign in with a passkey") {
					t.Errorf("%s: not the login page of the flow: %s %q", c.name, q.url, q.flowID())
				}
				audited(t, c.name, before, failureReasons(t, s, byClient, "passkey"), c.want)

				stillAt(t, b, s, "/login", flow)
				noSession(t, b, s, r)

				// A proper assertion in the same flow signs in.
				if p = postPasskey(b, s, flow, key.assert(t, b, s, "/login/passkey/options", flow, nil)); p.callback == nil {
					t.Fatalf("the passkey after %s: %s %d %.300s", c.name, p.url, p.resp.StatusCode, p.body)
				}
				claims := r.redeem(a, p.callback).claims
				if amr := toStrings(claims["amr"]); claims["sub"] != s.UserID || !slices.Contains(amr, "user") || slices.Contains(amr, "pwd") {
					t.Errorf("after the passkey: sub %v amr %v", claims["sub"], amr)
				}
			})
		}
	})
}

// TestSecurityKeyReplayedAssertionRefused: an assertion that signed in once is
// refused when posted again: in the same flow (which is spent) and in a new flow,
// whether that flow has a challenge of its own or none yet. Nothing is proven by
// the replays, and the new flow stays at its challenge.
func TestSecurityKeyReplayedAssertionRefused(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		key := addKey(t, s, false)
		byUser := storage.AuditFilter{UserID: s.UserID}

		b := newBrowser(t)
		a, p := toKeyChallenge(t, s, r, b)
		flow := p.flowID()
		if p = key.sign(t, b, s, p); p.callback == nil {
			t.Fatalf("the key was refused: %d %.300s", p.resp.StatusCode, p.body)
		}
		r.redeem(a, p.callback)
		captured := key.last
		wins := successes(t, s, byUser, "webauthn")

		// Again in the same flow: it is spent.
		q := postKey(b, s, flow, captured)
		if q.callback != nil || q.resp.StatusCode < 400 {
			t.Errorf("the assertion again in its own flow: %s %v %d", q.url, q.callback, q.resp.StatusCode)
		}

		// In a new flow, in the attacker's browser that knows the password.
		b2 := newBrowser(t)
		a2, p2 := toKeyChallenge(t, s, r, b2)
		flow2 := p2.flowID()
		before := failureReasons(t, s, byUser, "webauthn")
		// Without a challenge of its own: there is no ceremony to answer.
		refused(t, "replay without a challenge", postKey(b2, s, flow2, captured), http.StatusUnauthorized, msgKeyRefused)
		after := failureReasons(t, s, byUser, "webauthn")
		audited(t, "replay without a challenge", before, after, factor.ErrChallengeUsed)
		// With a challenge of its own: the signed challenge is not that one.
		key.assert(t, b2, s, "/challenge/webauthn", flow2, nil) // the page fetched its options
		refused(t, "replay into a new challenge", postKey(b2, s, flow2, captured), http.StatusUnauthorized, msgKeyRefused)
		audited(t, "replay into a new challenge", after, failureReasons(t, s, byUser, "webauthn"), factor.ErrInvalidResponse)

		if n := successes(t, s, byUser, "webauthn"); n != wins {
			t.Errorf("%d key successes audited after the replays, want %d", n, wins)
		}
		stillAt(t, b2, s, "/challenge", flow2)
		noSession(t, b2, s, r)

		// A challenge takes one answer: after a refused one, even the genuine
		// key's answer to the same challenge is refused.
		opts, err := virtualwebauthn.ParseAssertionOptions(b2.options(s, "/challenge/webauthn", url.Values{"flow": {flow2}}))
		if err != nil {
			t.Fatal(err)
		}
		genuine := virtualwebauthn.CreateAssertionResponse(key.rp, key.auth, key.cred, *opts)
		wrongRP := key.rp
		wrongRP.Origin = "https://evil.example"
		refused(t, "a forged answer", postKey(b2, s, flow2, virtualwebauthn.CreateAssertionResponse(wrongRP, key.auth, key.cred, *opts)),
			http.StatusUnauthorized, msgKeyRefused)
		after = failureReasons(t, s, byUser, "webauthn")
		refused(t, "the genuine answer to a spent challenge", postKey(b2, s, flow2, genuine), http.StatusUnauthorized, msgKeyRefused)
		audited(t, "the genuine answer to a spent challenge", after, failureReasons(t, s, byUser, "webauthn"), factor.ErrChallengeUsed)
		if n := successes(t, s, byUser, "webauthn"); n != wins {
			t.Errorf("%d key successes audited after the spent challenge, want %d", n, wins)
		}
		p2 = stillAt(t, b2, s, "/challenge", flow2)

		// The key itself still works in the new flow.
		if p2 = key.sign(t, b2, s, p2); p2.callback == nil {
			t.Fatalf("the key after the replays: %d %.300s", p2.resp.StatusCode, p2.body)
		}
		r.redeem(a2, p2.callback)
	})
}

// TestPasskeyReplayedAssertionRefused: a passkey assertion that signed in once is
// refused in its spent flow and in a new flow, with or without a challenge of its
// own; the new flow stays at the login page without a session.
func TestPasskeyReplayedAssertionRefused(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		key := addKey(t, s, true)
		byClient := storage.AuditFilter{ClientID: s.ClientID}

		b := newBrowser(t)
		a, p := toPasskeyLogin(t, r, s, b)
		flow := p.flowID()
		captured := key.assert(t, b, s, "/login/passkey/options", flow, nil)
		if p = postPasskey(b, s, flow, captured); p.callback == nil {
			t.Fatalf("the passkey was refused: %d %.300s", p.resp.StatusCode, p.body)
		}
		r.redeem(a, p.callback)
		wins := successes(t, s, byClient, "passkey")

		q := postPasskey(b, s, flow, captured)
		if q.callback != nil || q.resp.StatusCode < 400 {
			t.Errorf("the assertion again in its own flow: %s %v %d", q.url, q.callback, q.resp.StatusCode)
		}

		b2 := newBrowser(t)
		a2, p2 := toPasskeyLogin(t, r, s, b2)
		flow2 := p2.flowID()
		before := failureReasons(t, s, byClient, "passkey")
		refused(t, "replay without a challenge", postPasskey(b2, s, flow2, captured), http.StatusUnauthorized, msgPasskeyRefused)
		after := failureReasons(t, s, byClient, "passkey")
		audited(t, "replay without a challenge", before, after, factor.ErrChallengeUsed)
		key.assert(t, b2, s, "/login/passkey/options", flow2, nil)
		refused(t, "replay into a new challenge", postPasskey(b2, s, flow2, captured), http.StatusUnauthorized, msgPasskeyRefused)
		audited(t, "replay into a new challenge", after, failureReasons(t, s, byClient, "passkey"), factor.ErrInvalidResponse)

		if n := successes(t, s, byClient, "passkey"); n != wins {
			t.Errorf("%d passkey successes audited after the replays, want %d", n, wins)
		}
		stillAt(t, b2, s, "/login", flow2)
		noSession(t, b2, s, r)

		if p2 = postPasskey(b2, s, flow2, key.assert(t, b2, s, "/login/passkey/options", flow2, nil)); p2.callback == nil {
			t.Fatalf("the passkey after the replays: %d %.300s", p2.resp.StatusCode, p2.body)
		}
		r.redeem(a2, p2.callback)
	})
}

// TestSecurityKeyCounterRegressionRefused: once a key has signed with counter 10,
// a clone signing with a lower counter, or the same one, is refused as a second
// factor and as a passkey, without a code or a session, and the stored counter
// stays; the genuine key, counting on, still signs in.
func TestSecurityKeyCounterRegressionRefused(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		ctx := context.Background()
		byUser := storage.AuditFilter{UserID: s.UserID}
		byClient := storage.AuditFilter{ClientID: s.ClientID}
		key := addKey(t, s, true) // a passkey also answers second-factor challenges
		stored := func() storage.WebAuthnCredential {
			t.Helper()
			c, err := s.Store.GetWebAuthnCredential(ctx, key.cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		// The genuine key signs with counter 10.
		key.cred.Counter = 10
		b := newBrowser(t)
		a, p := toKeyChallenge(t, s, r, b)
		if p = key.sign(t, b, s, p); p.callback == nil {
			t.Fatalf("the key at counter 10: %d %.300s", p.resp.StatusCode, p.body)
		}
		r.redeem(a, p.callback)
		if c := stored(); c.SignCount != 10 {
			t.Fatalf("stored sign count %d, want 10", c.SignCount)
		}
		was := stored()

		for _, counter := range []uint32{5, 10, 0} {
			clone := func(_ *virtualwebauthn.RelyingParty, _ *virtualwebauthn.Authenticator, c *virtualwebauthn.Credential) {
				c.Counter = counter
			}
			what := fmt.Sprintf("a clone at %d", counter)

			// As a second factor.
			b := newBrowser(t)
			_, p := toKeyChallenge(t, s, r, b)
			flow := p.flowID()
			before := failureReasons(t, s, byUser, "webauthn")
			refused(t, what, postKey(b, s, flow, key.assert(t, b, s, "/challenge/webauthn", flow, clone)), http.StatusUnauthorized, msgKeyRefused)
			audited(t, what, before, failureReasons(t, s, byUser, "webauthn"), factor.ErrCounterRegressed)
			stillAt(t, b, s, "/challenge", flow)
			noSession(t, b, s, r)

			// As a passkey.
			b = newBrowser(t)
			_, p = toPasskeyLogin(t, r, s, b)
			flow = p.flowID()
			before = failureReasons(t, s, byClient, "passkey")
			refused(t, what+" (passkey)", postPasskey(b, s, flow, key.assert(t, b, s, "/login/passkey/options", flow, clone)), http.StatusUnauthorized, msgPasskeyRefused)
			audited(t, what+" (passkey)", before, failureReasons(t, s, byClient, "passkey"), factor.ErrCounterRegressed)
			stillAt(t, b, s, "/login", flow)
			noSession(t, b, s, r)

			if c := stored(); c.SignCount != 10 || !c.LastUsedAt.Equal(was.LastUsedAt) {
				t.Errorf("after %s: stored sign count %d, last used %v; want 10, %v", what, c.SignCount, c.LastUsedAt, was.LastUsedAt)
			}
		}

		// The genuine key counts on.
		key.cred.Counter = 11
		b = newBrowser(t)
		a, p = toPasskeyLogin(t, r, s, b)
		if p = postPasskey(b, s, p.flowID(), key.assert(t, b, s, "/login/passkey/options", p.flowID(), nil)); p.callback == nil {
			t.Fatalf("the genuine key at 11: %d %.300s", p.resp.StatusCode, p.body)
		}
		r.redeem(a, p.callback)
		if c := stored(); c.SignCount != 11 {
			t.Errorf("stored sign count %d, want 11", c.SignCount)
		}
	})
}
