package e2e

// Security rules of the README that the suite did not prove (issue 13): each test
// here fails when its rule is taken out of the code.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// gotCode reports whether p is an authorization code at the client.
func gotCode(p page) bool { return p.callback != nil && p.callback.Query().Get("code") != "" }

// TestDisabledUserCannotSignIn: `lockstep users disable` leaves the user no way in
// (README, Admin CLI): not the password, not a passkey, not a session the user
// already had, not a refresh token. Each way is shown open before the user is
// disabled, so that its refusal afterwards is the disabling's doing.
func TestDisabledUserCannotSignIn(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		for _, tc := range []struct {
			name, user string
			// flagOnly disables the user by the stored flag alone, without the
			// CLI's sweep of sessions and tokens: what a session written by a
			// sign-in that was under way while the user was disabled still meets.
			flagOnly bool
			// ready gives the user a way in and shows that it works; try, after
			// the user is disabled, takes it again and checks that it is closed.
			ready func(t *testing.T, u account) (try func(t *testing.T))
		}{
			{name: "the password step", user: "pwd", ready: func(t *testing.T, u account) func(t *testing.T) {
				signInAs(t, s, r, u)
				return func(t *testing.T) {
					b := newBrowser(t)
					p := b.password(s, b.get(s, r.start().url), u.Email, u.Password)
					if p.callback != nil || p.resp.StatusCode != http.StatusForbidden || !strings.Contains(p.body, "This account is disabled") {
						t.Errorf("the right password of a disabled user: got %s, want 403 with “This account is disabled”", where(p))
					}
					if e := authError(b.get(s, r.start(param("prompt", "none")).url)); e != "login_required" {
						t.Errorf("after the refused password the browser is signed in: prompt=none gave %q, want login_required", e)
					}
				}
			}},
			{name: "a passkey", user: "passkey", ready: func(t *testing.T, u account) func(t *testing.T) {
				key := addPasskey(t, s, r, u)
				a, p := passkeySignIn(t, s, r, newBrowser(t), key)
				if !gotCode(p) {
					t.Fatalf("the passkey does not sign in before the user is disabled: %s", where(p))
				}
				if sub := r.redeem(a, p.callback).claims["sub"]; sub != u.ID {
					t.Fatalf("the passkey signed in %v, want %s", sub, u.ID)
				}
				return func(t *testing.T) {
					b := newBrowser(t)
					_, p := passkeySignIn(t, s, r, b, key)
					if p.callback != nil || p.resp.StatusCode != http.StatusUnauthorized || !strings.Contains(p.body, msgPasskeyRefused) {
						t.Errorf("the passkey of a disabled user: got %s, want 401 with %q", where(p), msgPasskeyRefused)
					}
					if e := authError(b.get(s, r.start(param("prompt", "none")).url)); e != "login_required" {
						t.Errorf("after the refused passkey the browser is signed in: prompt=none gave %q, want login_required", e)
					}
				}
			}},
			{name: "an existing session", user: "session", ready: sessionStaysShut(s, r)},
			{name: "an existing session, the stored flag alone", user: "flag", flagOnly: true, ready: sessionStaysShut(s, r)},
			{name: "a refresh token", user: "refresh", ready: func(t *testing.T, u account) func(t *testing.T) {
				_, tk := signInAs(t, s, r, u)
				st, next := refreshToken(t, s, tk.tok.RefreshToken)
				if st != http.StatusOK {
					t.Fatalf("the refresh token does not work before the user is disabled: %d %v", st, next)
				}
				rt, at := next["refresh_token"].(string), next["access_token"].(string)
				return func(t *testing.T) {
					st, body := refreshToken(t, s, rt)
					wantInvalidGrant(t, "refreshing after the user was disabled", st, body)
					for what, tok := range map[string]string{"the refresh token": rt, "its access token": at, "the first access token": tk.tok.AccessToken} {
						if introspect(t, s, tok) {
							t.Errorf("%s of the disabled user is still active", what)
						}
					}
					st, body = refreshToken(t, s, rt)
					wantInvalidGrant(t, "refreshing again", st, body)
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := addAccount(t, s, "disabled-"+tc.user)
				try := tc.ready(t, u)
				if tc.flagOnly {
					ctx := context.Background()
					stored, err := s.Store.GetUser(ctx, u.ID)
					if err != nil {
						t.Fatal(err)
					}
					stored.Disabled = true
					if err := s.Store.UpdateUser(ctx, stored); err != nil {
						t.Fatal(err)
					}
				} else {
					disableAccount(t, s, u)
					// The CLI ends the user's sessions ("users disable EMAIL # also
					// ends the user's sessions and revokes their tokens").
					if left, err := s.Store.ListSessionsByUser(context.Background(), u.ID); err != nil || len(left) != 0 {
						t.Errorf("after disabling: %d sessions of the user left (%v), want none", len(left), err)
					}
				}
				try(t)
			})
		}
	})
}

// sessionStaysShut is the row for a session the user had before being disabled:
// it meets a request silently before, and not at all after.
func sessionStaysShut(s *server, r *rp) func(t *testing.T, u account) func(t *testing.T) {
	return func(t *testing.T, u account) func(t *testing.T) {
		b, _ := signInAs(t, s, r, u)
		a := r.start(param("prompt", "none"))
		p := b.get(s, a.url)
		if !gotCode(p) {
			t.Fatalf("the session does not meet prompt=none before the user is disabled: %s", where(p))
		}
		r.redeem(a, p.callback)
		return func(t *testing.T) {
			if p := b.get(s, r.start(param("prompt", "none")).url); authError(p) != "login_required" {
				t.Errorf("prompt=none with a disabled user's session: got %s, want error=login_required", where(p))
			}
			if p := b.get(s, r.start().url); !p.isLogin() {
				t.Errorf("a disabled user's session: got %s, want the login form", where(p))
			}
		}
	}
}

// TestConsentCoversOnlyItsScopes: a remembered consent covers the scopes the user
// allowed and no more; a client asking for one more scope shows the consent page
// again, and one asking for the same or fewer does not. The rule holds where the
// session meets the request at /authorize and where the password step decides.
func TestConsentCoversOnlyItsScopes(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		var b *browser
		for _, step := range []struct {
			what string
			// fresh: a new browser, so the password step decides; else the
			// session in the last browser meets the request at /authorize.
			fresh  bool
			scopes string
			prompt string
			// consent: the consent page is shown (and allowed); wantErr: the
			// client gets this error instead.
			consent bool
			wantErr string
		}{
			{what: "the first sign-in", fresh: true, scopes: "openid email", consent: true},
			{what: "the same scopes", scopes: "openid email"},
			{what: "the same scopes in another order", scopes: "email openid"},
			{what: "fewer scopes", scopes: "openid"},
			{what: "one more scope with prompt=none", scopes: "openid email profile", prompt: "none", wantErr: "consent_required"},
			{what: "one more scope", scopes: "openid email profile", consent: true},
			{what: "the scopes allowed last", scopes: "openid email profile"},
			{what: "the scopes allowed first", scopes: "openid email"},
			{what: "one more scope at the password step", fresh: true, scopes: "openid email profile offline_access", consent: true},
			{what: "fewer scopes at the password step", fresh: true, scopes: "openid profile"},
			{what: "everything allowed so far", scopes: "openid email profile offline_access"},
		} {
			if step.fresh || b == nil {
				b = newBrowser(t)
			}
			rr := *r
			rr.cfg.Scopes = strings.Fields(step.scopes)
			var opts []oauth2.AuthCodeOption
			if step.prompt != "" {
				opts = append(opts, param("prompt", step.prompt))
			}
			a := rr.start(opts...)
			p := b.get(s, a.url)
			if p.isLogin() {
				if !step.fresh {
					t.Fatalf("%s: the session was not used: %s", step.what, where(p))
				}
				p = b.password(s, p, s.Email, s.Password)
			}
			if step.wantErr != "" {
				if authError(p) != step.wantErr {
					t.Errorf("%s (%s): got %s, want error=%s", step.what, step.scopes, where(p), step.wantErr)
				}
				continue
			}
			if p.isConsent() != step.consent {
				t.Errorf("%s (%s): consent page shown %v, want %v (stopped at %s)", step.what, step.scopes, p.isConsent(), step.consent, where(p))
			}
			if p.isConsent() {
				p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
			}
			if !gotCode(p) {
				t.Fatalf("%s (%s): no code: %s", step.what, step.scopes, where(p))
			}
			tk := rr.redeem(a, p.callback)
			got := strings.Fields(tk.tok.Extra("scope").(string))
			slices.Sort(got)
			want := strings.Fields(step.scopes)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: granted %v, want %v", step.what, got, want)
			}
		}
	})
}

// TestIDTokenHintNamesTheSessionUser: an id_token_hint naming another user than the
// session's asks for a sign-in (login_required with prompt=none, the login form
// without it), and one naming the session's user is met by the session.
func TestIDTokenHintNamesTheSessionUser(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		alice := account{ID: s.UserID, Email: s.Email, Password: s.Password}
		bob := addAccount(t, s, "bob")
		_, aliceTokens := signInAs(t, s, r, alice)
		_, bobTokens := signInAs(t, s, r, bob) // Bob has allowed the client too

		for _, tc := range []struct {
			name, hint, prompt string
			// signIn: the login form is shown, and the password of who then
			// signs in; wantErr: the client gets this error; else a code for the
			// session's user without a page.
			signIn  *account
			wantErr string
		}{
			{name: "another user's hint with prompt=none", hint: bobTokens.raw, prompt: "none", wantErr: "login_required"},
			{name: "another user's hint", hint: bobTokens.raw, signIn: &bob},
			{name: "the session user's hint with prompt=none", hint: aliceTokens.raw, prompt: "none"},
			{name: "the session user's hint", hint: aliceTokens.raw},
		} {
			t.Run(tc.name, func(t *testing.T) {
				opts := []oauth2.AuthCodeOption{param("id_token_hint", tc.hint)}
				if tc.prompt != "" {
					opts = append(opts, param("prompt", tc.prompt))
				}
				b, _ := signInAs(t, s, r, alice) // the browser under test: Alice's session
				a := r.start(opts...)
				p := b.get(s, a.url)
				switch {
				case tc.wantErr != "":
					if authError(p) != tc.wantErr {
						t.Fatalf("got %s, want error=%s", where(p), tc.wantErr)
					}
					return
				case tc.signIn != nil:
					if !p.isLogin() {
						t.Fatalf("got %s, want the login form", where(p))
					}
					p = b.password(s, p, tc.signIn.Email, tc.signIn.Password)
				}
				if !gotCode(p) {
					t.Fatalf("got %s, want a code", where(p))
				}
				c := r.redeem(a, p.callback).claims
				want := alice.ID
				if tc.signIn != nil {
					want = tc.signIn.ID
				}
				if c["sub"] != want {
					t.Errorf("sub = %v, want %v", c["sub"], want)
				}
			})
		}
	})
}

// TestDecisionsUseTheFlowUsersReads: a browser holds user A's session and a
// sign-in in it is finished with user B's password: asked again for the password
// (prompt=login, "switch account"), or on a login form opened in another tab
// before A signed in there. The policy, the consent check and the finish reuse
// what the password step read (flows.Reads); they must decide for B with B's
// factors, consent and proofs, never with A's: B without a second factor gets no
// otp from A's session, B without consent is asked although A allowed the client,
// and B with an app is asked for its code although A has none.
func TestDecisionsUseTheFlowUsersReads(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour) // TOTP steps ahead, see testClock
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		fp := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
		type setup struct{ app, consent bool }
		n := 0
		for _, tc := range []struct {
			name string
			a, b setup // A always has a session in the browser, so A has allowed the client
			// What B's sign-in shows: the challenge (B's app), then the consent page.
			challenge, consent bool
			amr                []string
		}{
			{name: "B without factor or consent, A with an app", a: setup{app: true}, b: setup{},
				consent: true, amr: []string{"pwd"}},
			{name: "B with consent only, A with an app", a: setup{app: true}, b: setup{consent: true},
				amr: []string{"pwd"}},
			{name: "B with an app and consent, A without an app", a: setup{}, b: setup{app: true, consent: true},
				challenge: true, amr: []string{"pwd", "otp", "mfa"}},
			{name: "B with an app and no consent, A without an app", a: setup{}, b: setup{app: true},
				challenge: true, consent: true, amr: []string{"pwd", "otp", "mfa"}},
		} {
			for _, via := range []string{"prompt=login", "an older tab"} {
				t.Run(tc.name+", "+via, func(t *testing.T) {
					n++
					ua, ub := addAccount(t, s, fmt.Sprintf("a%d", n)), addAccount(t, s, fmt.Sprintf("b%d", n))
					var eb enrolment
					switch {
					case tc.b.app && tc.b.consent:
						eb = enrolApp(t, s, r, newBrowser(t), ub)
					case tc.b.app:
						eb = enrolApp(t, s, fp, newBrowser(t), ub) // a first-party client asks no consent
					case tc.b.consent:
						signInAs(t, s, r, ub)
					}

					// The browser: a login form opened before A signs in (the older tab),
					// then A's session.
					browser := newBrowser(t)
					var a attempt
					var p page
					if via == "an older tab" {
						a = r.start()
						if p = browser.get(s, a.url); !p.isLogin() {
							t.Fatalf("no login form in a new browser: %s", where(p))
						}
					}
					if tc.a.app {
						enrolApp(t, s, r, browser, ua)
					} else {
						signInIn(t, s, r, browser, ua)
					}
					if via == "prompt=login" {
						a = r.start(param("prompt", "login"))
						if p = browser.get(s, a.url); !p.isLogin() {
							t.Fatalf("prompt=login on A's session: got %s, want the login form", where(p))
						}
					}
					s.Clock.Advance(30 * time.Second) // the enrolments spent the current step

					p = browser.password(s, p, ub.Email, ub.Password)
					if p.isChallenge() != tc.challenge {
						t.Fatalf("B's password: challenge shown %v, want %v (stopped at %s)", p.isChallenge(), tc.challenge, where(p))
					}
					if p.isChallenge() {
						p = browser.code(s, p, "totp", totpCode(t, eb.secret, s.Clock.Now()))
					}
					if p.isConsent() != tc.consent {
						t.Fatalf("consent page shown %v, want %v (stopped at %s)", p.isConsent(), tc.consent, where(p))
					}
					if p.isConsent() {
						if !strings.Contains(p.body, ub.Email) || strings.Contains(p.body, ua.Email) {
							t.Errorf("the consent page does not name B alone (%s, not %s)", ub.Email, ua.Email)
						}
						p = browser.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
					}
					if !gotCode(p) {
						t.Fatalf("B's sign-in did not reach the client: %s", where(p))
					}
					c := r.redeem(a, p.callback).claims
					if c["sub"] != ub.ID || c["email"] != ub.Email {
						t.Errorf("the tokens are for sub %v (%v), want B %s", c["sub"], c["email"], ub.ID)
					}
					wantAMR(t, c, tc.amr...)
					wantACR := flows.ACRPassword
					if slices.Contains(tc.amr, "otp") {
						wantACR = flows.ACRMultiFactor
					}
					if c["acr"] != wantACR {
						t.Errorf("acr = %v, want %s", c["acr"], wantACR)
					}
				})
			}
		}
	})
}
