package e2e

// The walkthrough's broken promises (issue 14): each test here failed before its
// fix. See README's second-factor and account sections for the behaviour.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/storage"
)

// TestWalkthroughOnePasswordRule: the admin's user creation and the account page
// accept the same shortest password, and refuse one character less with the same
// words.
func TestWalkthroughOnePasswordRule(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		const nine, ten = "nine-char", "ten-chars!"
		hasher := app.PasswordHasher(s.Config.Password)
		_, err := admin.CreateUser(t.Context(), s.Store, hasher, admin.UserSpec{Email: "short@example.com", Password: nine}, time.Now())
		if err == nil || !strings.Contains(err.Error(), "at least 10 characters") {
			t.Errorf("a 9-character password for a new user: %v, want it refused with the length", err)
		}
		if _, err := admin.CreateUser(t.Context(), s.Store, hasher, admin.UserSpec{Email: "ten@example.com", Password: ten}, time.Now()); err != nil {
			t.Errorf("a 10-character password for a new user: %v", err)
		}

		b := accountBrowser(t, s, s.Email, s.Password)
		p := b.get(s, s.URL+"/account/password")
		if !strings.Contains(p.body, `minlength="10"`) || !strings.Contains(p.body, "At least 10 characters") {
			t.Errorf("the password page does not say the length: %s", brief(p.body))
		}
		p = b.post(s, s.URL+"/account/password", url.Values{"current_password": {s.Password}, "new_password": {nine}, "confirm_password": {nine}})
		if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "at least 10 characters") {
			t.Errorf("a 9-character new password: %d %s", p.resp.StatusCode, brief(p.body))
		}
		p = b.post(s, s.URL+"/account/password", url.Values{"current_password": {s.Password}, "new_password": {ten}, "confirm_password": {ten}})
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Password changed") {
			t.Fatalf("a 10-character new password: %d %s", p.resp.StatusCode, brief(p.body))
		}
		accountBrowser(t, s, s.Email, ten)
	})
}
