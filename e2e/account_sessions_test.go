package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/storage"
)

// TestAccountSessions: the account page lists where the user is signed in, marks
// this browser, and "Sign out everywhere else" ends every other session only.
func TestAccountSessions(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		phone, laptop := newBrowser(t), newBrowser(t)
		a := r.start()
		phone.signIn(s, a.url, s.Email, s.Password)
		p := laptop.password(s, laptop.get(s, s.URL+"/account/sessions"), s.Email, s.Password)
		if p.url.Path != "/account/sessions" {
			t.Fatalf("signing in for the account page ended at %s", p.url)
		}
		if n := strings.Count(p.body, "Signed in "); n != 2 || !strings.Contains(p.body, "This device") ||
			!strings.Contains(p.body, "Sign out everywhere else") {
			t.Fatalf("the account page lists %d sessions: %.2000s", n, p.body)
		}

		// A form from another site changes nothing.
		req := mustRequest(t, http.MethodPost, s.URL+"/account/sessions/end-others", strings.NewReader(""))
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, err := laptop.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site post: %v %v", resp, err)
		}
		if sessions, _ := s.Store.ListSessionsByUser(t.Context(), s.UserID); len(sessions) != 2 {
			t.Fatalf("%d sessions after a refused post", len(sessions))
		}

		p = laptop.post(s, s.URL+"/account/sessions/end-others", url.Values{})
		if p.url.Path != "/account/sessions" || !strings.Contains(p.body, "Signed out everywhere else.") {
			t.Fatalf("after signing out the others: %s %.300s", p.url, p.body)
		}
		if sessions, _ := s.Store.ListSessionsByUser(t.Context(), s.UserID); len(sessions) != 1 {
			t.Fatalf("%d sessions left, want this browser's", len(sessions))
		}
		if q := phone.get(s, r.start().url); !q.isLogin() {
			t.Fatalf("the other browser is still signed in: %s", q.url)
		}
		if q := laptop.get(s, s.URL+"/account"); q.url.Path != "/account" || q.resp.StatusCode != http.StatusOK {
			t.Fatalf("this browser was signed out: %s", q.url)
		}
	})
}
