package e2e

// Security rules that hold only if requests under way when something changes
// cannot slip through: a refresh token used twice at the same instant, and a
// user disabled while a code or a sign-in is still on its way.

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// TestLosingRefreshRaceRevokesFamily: two refreshes of one refresh token at the
// same instant: one wins, the other is invalid_grant, and as the README promises
// ("presenting a spent one (reuse, or losing a concurrent race) is refused and
// revokes the whole family") neither the winner's new refresh token nor its
// access token works afterwards, however the two requests interleave. Before the
// spending of the token moved into the commit that stores its successors, the
// winner's tokens outlived about half of these races.
func TestLosingRefreshRaceRevokesFamily(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		for race := range 10 {
			_, tk := signInAs(t, s, r, account{ID: s.UserID, Email: s.Email, Password: s.Password})
			var wg sync.WaitGroup
			start := make(chan struct{})
			st := make([]int, 2)
			body := make([]map[string]any, 2)
			for i := range 2 {
				wg.Go(func() {
					<-start
					st[i], body[i] = refreshToken(t, s, tk.tok.RefreshToken)
				})
			}
			close(start)
			wg.Wait()
			for i := range 2 {
				if st[i] != http.StatusOK {
					wantInvalidGrant(t, "a racing refresh that did not win", st[i], body[i])
					continue
				}
				for what, tok := range map[string]string{
					"the winner's new access token":  body[i]["access_token"].(string),
					"the winner's new refresh token": body[i]["refresh_token"].(string),
				} {
					if introspect(t, s, tok) {
						t.Errorf("race %d: %s is still active after the family was revoked", race, what)
					}
				}
			}
			if st[0] == http.StatusOK && st[1] == http.StatusOK {
				t.Errorf("race %d: both refreshes of one token succeeded", race)
			}
			if introspect(t, s, tk.tok.AccessToken) {
				t.Errorf("race %d: the first access token is still active", race)
			}
		}
	})
}

// TestDisabledUserKeepsNoTokens: the ways into a disabled user's account that
// were under way when the user was disabled close too: a code issued and not yet
// redeemed, a refresh token issued before, and a sign-in waiting at the
// second-factor challenge.
func TestDisabledUserKeepsNoTokens(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour) // TOTP steps ahead, see testClock
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)

		t.Run("a code not yet redeemed", func(t *testing.T) {
			u := addAccount(t, s, "coded")
			signInAs(t, s, r, u) // consent given
			b := newBrowser(t)
			a := r.start()
			cb := b.signIn(s, a.url, u.Email, u.Password)
			disableAccount(t, s, u)
			st, body := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
				"redirect_uri": {s.RedirectURI}, "code_verifier": {a.verifier}}, s.ClientID, s.ClientSecret)
			if st == http.StatusOK {
				t.Errorf("a code issued before the user was disabled was redeemed afterwards: active access token %v, refresh token works: %v",
					introspect(t, s, body["access_token"].(string)), refreshWorks(t, s, body))
			}
		})

		t.Run("a sign-in at the second-factor challenge", func(t *testing.T) {
			u := addAccount(t, s, "challenged")
			e := enrolApp(t, s, r, newBrowser(t), u)
			b := newBrowser(t)
			a := r.start()
			p := b.password(s, b.get(s, a.url), u.Email, u.Password)
			if !p.isChallenge() {
				t.Fatalf("the password of a user with an app: got %s, want the challenge", where(p))
			}
			disableAccount(t, s, u)
			s.Clock.Advance(30 * time.Second)
			p = b.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
			if gotCode(p) {
				st, body := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {p.callback.Query().Get("code")},
					"redirect_uri": {s.RedirectURI}, "code_verifier": {a.verifier}}, s.ClientID, s.ClientSecret)
				t.Errorf("a user disabled at the challenge finished the sign-in with a code; redeemed: %d, refresh works: %v", st, st == 200 && refreshWorks(t, s, body))
			}
		})
	})
}

func refreshWorks(t *testing.T, s *server, tokens map[string]any) bool {
	rt, _ := tokens["refresh_token"].(string)
	if rt == "" {
		return false
	}
	st, _ := refreshToken(t, s, rt)
	return st == http.StatusOK
}
