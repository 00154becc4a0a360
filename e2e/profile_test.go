package e2e

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/storage"
)

// profileEvents are the user's audited events of type typ, newest first.
func profileEvents(t *testing.T, s *server, userID, typ string) []storage.AuditEvent {
	t.Helper()
	events, err := s.Store.ListAudit(context.Background(), storage.AuditFilter{UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.AuditEvent
	for _, ev := range events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// storedUser reads the user as the store has it now.
func storedUser(t *testing.T, s *server, id string) storage.User {
	t.Helper()
	u, err := s.Store.GetUser(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userinfo is what the userinfo endpoint says for tk's access token.
func userinfo(t *testing.T, r *rp, tk tokens) map[string]any {
	t.Helper()
	ui, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tk.tok))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := ui.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// wantClaims checks the profile claims of an ID token or userinfo answer.
func wantClaims(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], v)
		}
	}
}

func TestProfileNames(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		before := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		// Nobody confirmed the address an admin typed in.
		wantClaims(t, "first ID token", before.claims, map[string]any{"given_name": "Alice", "family_name": "Liddell",
			"name": "Alice Liddell", "email": s.Email, "email_verified": false})
		wantClaims(t, "first userinfo", userinfo(t, r, before), map[string]any{"email_verified": false})

		// The account page links to the profile, which shows what is stored.
		if p := b.get(s, s.URL+"/account"); !strings.Contains(p.body, `href="account/profile"`) {
			t.Fatalf("the account page has no link to the profile: %.300s", p.body)
		}
		p := b.get(s, s.URL+"/account/profile")
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `value="Alice"`) || !strings.Contains(p.body, `value="Liddell"`) ||
			!strings.Contains(p.body, "Not confirmed") {
			t.Fatalf("profile page: %d %.500s", p.resp.StatusCode, p.body)
		}

		// The rules as a table: a refused form says why, keeps what was typed and
		// changes nothing; an accepted one stores the name as CheckName makes it.
		for _, tt := range []struct {
			name, given, family string
			wantGiven           string // stored; "" when refused
			wantErr             string // the field's message
		}{
			{"two letters", "Jo", "Liddell", "Jo", ""},
			{"an initial", "J", "Liddell", "", "Your given name needs at least 2 letters."},
			{"a one-letter family name", "Jo", "L", "Jo", ""},
			{"hyphen", "Ann-Marie", "Liddell", "Ann-Marie", ""},
			{"apostrophe", "Jo", "O'Neil", "Jo", ""},
			{"composed Zoë", "Zo\u00eb", "Liddell", "Zo\u00eb", ""},
			{"decomposed Zoë", "Zoe\u0308", "Liddell", "Zo\u00eb", ""},
			{"Han", "李", "李", "李", ""},
			{"digits", "Al1ce", "Liddell", "", "Use only letters, spaces, hyphens (-) and apostrophes (&#39;) in your given name."},
			{"empty", "", "Liddell", "", "Enter your given name."},
			{"empty family name", "Jo", "  ", "", "Enter your family name."},
			{"300 characters", strings.Repeat("a", 300), "Liddell", "", "Your given name can have at most 100 characters."},
			{"spaces around", "  Mary   Ann ", " Liddell ", "Mary Ann", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				was := storedUser(t, s, s.UserID)
				p := b.post(s, s.URL+"/account/profile/names", url.Values{"given_name": {tt.given}, "family_name": {tt.family}})
				got := storedUser(t, s, s.UserID)
				if tt.wantErr != "" {
					if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, tt.wantErr) {
						t.Fatalf("refused form: %d, want the message %q: %.800s", p.resp.StatusCode, tt.wantErr, p.body)
					}
					if !strings.Contains(p.body, `value="`+html.EscapeString(tt.given)+`"`) {
						t.Errorf("the form lost what was typed (%q)", tt.given)
					}
					if !reflect.DeepEqual(got, was) {
						t.Errorf("a refused form changed the user: %+v → %+v", was, got)
					}
					return
				}
				if p.url.Path != "/account/profile" || p.url.Query().Get("done") != "names" || !strings.Contains(p.body, "Your name was saved.") {
					t.Fatalf("after saving: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
				}
				if got.GivenName != tt.wantGiven || got.FamilyName != strings.TrimSpace(tt.family) {
					t.Errorf("stored %q %q, want %q %q", got.GivenName, got.FamilyName, tt.wantGiven, strings.TrimSpace(tt.family))
				}
			})
		}

		// The last change is audited with the old and new values.
		p = b.post(s, s.URL+"/account/profile/names", url.Values{"given_name": {"Zoe\u0308"}, "family_name": {"O’Neil"}})
		if p.url.Query().Get("done") != "names" {
			t.Fatalf("saving Zoë O’Neil: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		ev := profileEvents(t, s, s.UserID, "profile.names_changed")
		if len(ev) == 0 {
			t.Fatal("no profile.names_changed event")
		}
		wantDetail := map[string]string{"given_name_old": "Mary Ann", "given_name_new": "Zo\u00eb", "family_name_old": "Liddell", "family_name_new": "O’Neil"}
		for k, v := range wantDetail {
			if ev[0].Detail[k] != v {
				t.Errorf("audit %s = %q, want %q", k, ev[0].Detail[k], v)
			}
		}

		// A fresh ID token and userinfo carry the stored names.
		a = r.start()
		after := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		want := map[string]any{"given_name": "Zo\u00eb", "family_name": "O’Neil", "name": "Zo\u00eb O’Neil", "email_verified": false}
		wantClaims(t, "ID token after the change", after.claims, want)
		wantClaims(t, "userinfo after the change", userinfo(t, r, after), want)

		// Five minutes later the profile asks who it is again, and a stale form
		// changes nothing.
		s.Clock.Advance(6 * time.Minute)
		p = b.post(s, s.URL+"/account/profile/names", url.Values{"given_name": {"Mallory"}, "family_name": {"Evil"}})
		if !p.isLogin() {
			t.Fatalf("a stale session posted the names form: %s %d", p.url, p.resp.StatusCode)
		}
		if u := storedUser(t, s, s.UserID); u.GivenName != "Zo\u00eb" {
			t.Errorf("a stale session changed the name to %q", u.GivenName)
		}
		p = b.password(s, p, s.Email, s.Password)
		if p.url.Path != "/account/profile" || !strings.Contains(p.body, `value="Zoë"`) {
			t.Fatalf("re-verification came back to %s: %.300s", p.url, p.body)
		}

		// Without a session, nothing at all.
		other := newBrowser(t)
		if p := other.post(s, s.URL+"/account/profile/names", url.Values{"given_name": {"Mallory"}, "family_name": {"Evil"}}); !p.isLogin() {
			t.Fatalf("a browser without a session posted the names form: %s %d", p.url, p.resp.StatusCode)
		}
		if u := storedUser(t, s, s.UserID); u.GivenName != "Zo\u00eb" {
			t.Errorf("a browser without a session changed the name to %q", u.GivenName)
		}
	})
}
