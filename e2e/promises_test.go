package e2e

// Promises of the README and of SECURITY-TESTS.md that no test proved (issue 13,
// item 3), the ones an attacker tries first: spraying passwords from one address
// behind a forged X-Forwarded-For, riding a sign-in with a cookie taken before it,
// and asking for tokens in the front channel.

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// TestLoginThrottlePerAddress: after throttle.ip_failures failed passwords from one
// client address, whatever emails they named, sign-in from that address is refused
// ("Too many failed sign-in attempts"), even with a right password; other
// addresses go on. The address is the TCP peer: an X-Forwarded-For from a peer
// that is not a trusted proxy changes nothing, and behind a trusted proxy the
// forwarded address is the one counted (README, Security choices).
func TestLoginThrottlePerAddress(t *testing.T) {
	const limit = 5
	for _, tc := range []struct {
		name    string
		proxies []string
		// Where the failures come from, where the right password then comes
		// from (refused), and from where it still works: a loopback address to
		// connect from and an X-Forwarded-For header ("" for none). {i} in a
		// header is the attempt's number.
		spray, blocked, open [2]string
	}{
		{name: "no trusted proxy: a forged X-Forwarded-For does not hide the peer",
			spray:   [2]string{"127.0.0.2", "198.51.100.{i}"},
			blocked: [2]string{"127.0.0.2", "203.0.113.99"},
			open:    [2]string{"127.0.0.3", ""}},
		{name: "behind a trusted proxy: the forwarded address counts",
			proxies: []string{"127.0.0.0/8"},
			spray:   [2]string{"127.0.0.2", "198.51.100.7"},
			blocked: [2]string{"127.0.0.3", "198.51.100.7"}, // through another proxy node
			open:    [2]string{"127.0.0.2", "198.51.100.8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
				s := startServer(t, newStore(t), func(c *configs.Config) {
					c.Throttle.IPFailures, c.TrustedProxies = limit, tc.proxies
				})
				r := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
				try := func(from [2]string, i int, email, password string) page {
					t.Helper()
					b := addrBrowser(t, from[0], strings.ReplaceAll(from[1], "{i}", strconv.Itoa(i)))
					return b.password(s, b.get(s, r.start().url), email, password)
				}
				for i := range limit {
					// One failure per email: no account reaches its own limit.
					if p := try(tc.spray, i, "nobody"+strconv.Itoa(i)+"@example.com", "a guessed password"); p.resp.StatusCode != http.StatusUnauthorized {
						t.Fatalf("failure %d: got %s, want 401", i+1, where(p))
					}
				}
				p := try(tc.blocked, limit, s.Email, s.Password)
				if p.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many failed sign-in attempts") || p.callback != nil {
					t.Errorf("the right password from the address that failed %d times: got %s, want 429 “Too many failed sign-in attempts”", limit, where(p))
				}
				if p := try(tc.open, limit+1, s.Email, s.Password); !gotCode(p) {
					t.Errorf("the right password from another address: got %s, want a code", where(p))
				}
			})
		})
	}
}

// TestSignInReplacesTheSession: a cookie taken from the browser before a sign-in
// (planted by an attacker, or read off a shared computer) is dead afterwards, so
// it never rides the sign-in: the first sign-in, a re-authentication
// (prompt=login) and a step-up each make a new session with a new id (the ID
// token's sid) and end the one before (README: "every re-authentication creates a
// new session with a new id and a new cookie"; SECURITY-TESTS 1 and 22).
func TestSignInReplacesTheSession(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour) // TOTP steps ahead, see testClock
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		appSecrets := map[string]string{} // by user id
		for i, tc := range []struct {
			name string
			// before brings b to the moment the cookie is taken and returns the
			// sid of its session ("" for none); signIn then signs in and returns
			// the new tokens' claims.
			before func(t *testing.T, b *browser, u account) string
			signIn func(t *testing.T, b *browser, u account) map[string]any
		}{
			{name: "the first sign-in",
				before: func(t *testing.T, b *browser, u account) string {
					if p := b.get(s, r.start().url); !p.isLogin() {
						t.Fatalf("a new browser: got %s, want the login form", where(p))
					}
					return ""
				},
				signIn: func(t *testing.T, b *browser, u account) map[string]any {
					return signInIn(t, s, r, b, u).claims
				}},
			{name: "prompt=login",
				before: func(t *testing.T, b *browser, u account) string {
					return signInIn(t, s, r, b, u).claims["sid"].(string)
				},
				signIn: func(t *testing.T, b *browser, u account) map[string]any {
					a := r.start(param("prompt", "login"))
					p := b.password(s, b.get(s, a.url), u.Email, u.Password)
					if !gotCode(p) {
						t.Fatalf("prompt=login: got %s, want a code", where(p))
					}
					return r.redeem(a, p.callback).claims
				}},
			{name: "a step-up to the second factor",
				before: func(t *testing.T, b *browser, u account) string {
					sid := signInIn(t, s, r, b, u).claims["sid"].(string)
					// The app is set up elsewhere: b's session proved the password only.
					e := enrolApp(t, s, r, newBrowser(t), u)
					s.Clock.Advance(30 * time.Second)
					appSecrets[u.ID] = e.secret
					return sid
				},
				signIn: func(t *testing.T, b *browser, u account) map[string]any {
					a := r.start(param("acr_values", flows.ACRMultiFactor))
					p := b.get(s, a.url)
					if !p.isChallenge() {
						t.Fatalf("a password-only session of a user with an app: got %s, want the challenge", where(p))
					}
					if p = b.code(s, p, "totp", totpCode(t, appSecrets[u.ID], s.Clock.Now())); !gotCode(p) {
						t.Fatalf("the app's code: got %s, want a code", where(p))
					}
					c := r.redeem(a, p.callback).claims
					if c["acr"] != flows.ACRMultiFactor {
						t.Fatalf("acr after the step-up = %v", c["acr"])
					}
					return c
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := addAccount(t, s, "taken"+strconv.Itoa(i))
				b := newBrowser(t)
				oldSID := tc.before(t, b, u)
				taken := sessionCookie(t, b, s)
				c := tc.signIn(t, b, u)
				if c["sub"] != u.ID {
					t.Fatalf("signed in %v, want %s", c["sub"], u.ID)
				}
				if c["sid"] == oldSID {
					t.Errorf("the session id (sid) did not change: %v", c["sid"])
				}
				if sessionCookie(t, b, s) == taken {
					t.Error("the browser's cookie did not change")
				}

				// The cookie taken before: no session at all, neither the new one
				// nor the one it had.
				thief := newBrowser(t)
				base, _ := url.Parse(s.URL)
				thief.client.Jar.SetCookies(base, []*http.Cookie{{Name: s.Config.Session.CookieName, Value: taken, Path: "/"}})
				if p := thief.get(s, r.start(param("prompt", "none")).url); authError(p) != "login_required" {
					t.Errorf("the cookie taken before the sign-in: prompt=none gave %s, want error=login_required", where(p))
				}
				// The browser itself is signed in.
				if p := b.get(s, r.start(param("prompt", "none")).url); !gotCode(p) {
					t.Errorf("the browser after the sign-in: prompt=none gave %s, want a code", where(p))
				}
			})
		}
	})
}

// reFormPostField is a field of fosite's form_post page.
var reFormPostField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// TestOnlyCodeResponses: only response_type=code with response_mode=query (README,
// Protocol behaviour). An implicit or hybrid request, or another response mode,
// gets an error and no code or token in any part of the answer (query, fragment
// or a form_post page), even from a browser whose session would meet the request
// without a page: a token in the front channel is what the attacker wants.
func TestOnlyCodeResponses(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b, _ := signInAs(t, s, r, account{ID: s.UserID, Email: s.Email, Password: s.Password})
		for _, tc := range []struct {
			param, value, wantErr string
		}{
			{"response_type", "token", "unsupported_response_type"},
			{"response_type", "id_token", "unsupported_response_type"},
			{"response_type", "id_token token", "unsupported_response_type"},
			{"response_type", "code id_token", "unsupported_response_type"},
			{"response_type", "code token", "unsupported_response_type"},
			{"response_type", "code id_token token", "unsupported_response_type"},
			{"response_mode", "fragment", "unsupported_response_mode"},
			{"response_mode", "form_post", "unsupported_response_mode"},
		} {
			t.Run(tc.param+"="+tc.value, func(t *testing.T) {
				p := b.get(s, r.start(param(tc.param, tc.value)).url)
				answer := url.Values{}
				switch {
				case p.callback != nil:
					answer = p.callback.Query()
					frag, err := url.ParseQuery(p.callback.Fragment)
					if err != nil {
						t.Fatalf("fragment %q: %v", p.callback.Fragment, err)
					}
					for k, v := range frag {
						answer[k] = append(answer[k], v...)
					}
				case p.resp.StatusCode == http.StatusOK:
					for _, m := range reFormPostField.FindAllStringSubmatch(p.body, -1) {
						answer.Add(m[1], m[2])
					}
				}
				for _, k := range []string{"code", "access_token", "id_token"} {
					if answer.Has(k) {
						t.Errorf("the answer (%d) carries a %s", p.resp.StatusCode, k)
					}
				}
				if got := answer.Get("error"); got != tc.wantErr {
					t.Errorf("error = %q (%s), want %q", got, answer.Get("error_description"), tc.wantErr)
				}
			})
		}
	})
}
