package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// TestPasswordChange: the current password is required, bad new passwords are
// refused with a message and change nothing, and a change ends every session and
// revokes every token and remembered device of the user (ACC-5, MFA-7).
func TestPasswordChange(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		ctx := context.Background()
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b, other := newBrowser(t), newBrowser(t)
		a := r.start()
		tk := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		a2 := r.start()
		other.signIn(s, a2.url, s.Email, s.Password)
		// A remembered device of this user, as the challenge would record it.
		now := s.Clock.Now()
		if err := s.Store.PutTrust(ctx, storage.Trust{ID: "remembered-1", UserID: s.UserID, Kind: storage.TrustRememberedDevice,
			CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}

		p := b.get(s, s.URL+"/account")
		if !strings.Contains(p.body, `href="/account/password"`) {
			t.Fatalf("account page has no password link: %.300s", p.body)
		}
		p = b.get(s, s.URL+"/account/password")
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `autocomplete="new-password"`) {
			t.Fatalf("password page: %d %.300s", p.resp.StatusCode, p.body)
		}
		newPW := "a much longer passphrase"
		for _, tt := range []struct {
			name             string
			current, pw, pw2 string
			want             string
		}{
			{"wrong current password", "not it", newPW, newPW, "Your current password is not right."},
			{"too short", s.Password, "short", "short", "at least 10 characters"},
			{"not the same twice", s.Password, newPW, newPW + "!", "The two new passwords are not the same."},
			{"unchanged", s.Password, s.Password, s.Password, "must differ from the current one"},
		} {
			p = b.post(s, s.URL+"/account/password", url.Values{"current_password": {tt.current}, "new_password": {tt.pw}, "confirm_password": {tt.pw2}})
			if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, tt.want) {
				t.Errorf("%s: %d %.400s", tt.name, p.resp.StatusCode, p.body)
			}
		}
		if sessions, err := s.Store.ListSessionsByUser(ctx, s.UserID); err != nil || len(sessions) != 2 {
			t.Fatalf("refused changes touched the sessions: %d %v", len(sessions), err)
		}

		p = b.post(s, s.URL+"/account/password", url.Values{"current_password": {s.Password}, "new_password": {newPW}, "confirm_password": {newPW}})
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Password changed") {
			t.Fatalf("change: %d %.400s", p.resp.StatusCode, p.body)
		}
		waitForMail(t, s, "Your password was changed")
		if sessions, err := s.Store.ListSessionsByUser(ctx, s.UserID); err != nil || len(sessions) != 0 {
			t.Errorf("%d sessions left after the change (%v)", len(sessions), err)
		}
		if trusts, err := s.Store.ListTrusts(ctx, s.UserID); err != nil || len(trusts) != 0 {
			t.Errorf("remembered devices left after the change: %v %v", trusts, err)
		}
		_, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {tk.tok.AccessToken}}, s.ClientID, s.ClientSecret)
		if in["active"] != false {
			t.Errorf("access token still active: %v", in)
		}
		st, _ := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.tok.RefreshToken}}, s.ClientID, s.ClientSecret)
		if st != http.StatusBadRequest && st != http.StatusUnauthorized {
			t.Errorf("refresh after the change: %d", st)
		}
		// Both browsers must sign in again, and only the new password works.
		for _, br := range []*browser{b, other} {
			if q := br.get(s, r.start().url); !q.isLogin() {
				t.Fatalf("a browser is still signed in: %s", q.url)
			}
		}
		a3 := r.start()
		if q := b.password(s, b.get(s, a3.url), s.Email, s.Password); !q.isLogin() || !strings.Contains(q.body, "Incorrect email or password") {
			t.Errorf("the old password still works: %s", q.url)
		}
		a4 := r.start()
		r.redeem(a4, b.signIn(s, a4.url, s.Email, newPW))
	})
}
