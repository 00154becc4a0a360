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
		if p := b.get(s, s.URL+"/account"); !strings.Contains(p.body, `href="/account/profile"`) {
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
			{"digits", "Al1ce", "Liddell", "", "Use only letters, spaces, hyphens (-) and apostrophes (') in your given name."},
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

const (
	subjectConfirmEmail = "Confirm your new email address"
	subjectEmailSoon    = "Your email address is about to change"
	subjectEmailChanged = "Your email address was changed"
)

// askEmailChange posts the email form.
func (b *browser) askEmailChange(s *server, addr string) page {
	b.t.Helper()
	return b.post(s, s.URL+"/account/profile/email", url.Values{"email": {addr}})
}

// confirmEmail presses the confirmation page's button for link: it posts the
// link's token.
func (b *browser) confirmEmail(s *server, link string) page {
	b.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.post(s, s.URL+"/account/profile/email/confirm", url.Values{"token": {u.Query().Get("token")}})
}

// wantEmail checks the user's stored address and whether it is verified.
func wantEmail(t *testing.T, s *server, id, addr string, verified bool) {
	t.Helper()
	if u := storedUser(t, s, id); u.Email != addr || u.EmailVerified != verified {
		t.Errorf("the user's address is %s (verified %v), want %s (verified %v)", u.Email, u.EmailVerified, addr, verified)
	}
}

func TestProfileEmail(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		bob := addAccount(t, s, "bob")
		const next = "alice.new@example.com"

		// Refused at once, with the field's message and what was typed; nothing
		// is sent or changed.
		for _, tt := range []struct{ typed, msg string }{
			{"not-an-address", "Enter an email address like name@example.com."},
			{"Alice <alice2@example.com>", "Enter an email address like name@example.com."},
			{"", "Enter an email address like name@example.com."},
			{strings.Repeat("a", 250) + "@example.com", "Enter an email address like name@example.com."},
			{" ALICE@example.com ", "That is already your email address."},
			{"Bob@Example.com", "That email address is used by another account. Choose another one."},
		} {
			p := b.askEmailChange(s, tt.typed)
			if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, html.EscapeString(tt.msg)) ||
				!strings.Contains(p.body, `value="`+html.EscapeString(tt.typed)+`"`) {
				t.Errorf("%q: %d, want 400 with %q and the typed value: %.600s", tt.typed, p.resp.StatusCode, tt.msg, p.body)
			}
		}
		mb.none(t, subjectConfirmEmail, 200*time.Millisecond)
		wantEmail(t, s, s.UserID, s.Email, false)

		// A link goes to the new address, the old one is told; until the link is
		// followed the old address stays.
		p := b.askEmailChange(s, " Alice.New@Example.com ")
		if p.url.Query().Get("done") != "email-sent" || !strings.Contains(p.body, "We sent a link to your new address") {
			t.Fatalf("after asking: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		link := mb.wait(t, next, subjectConfirmEmail).link(t, s.URL+"/account/profile/email/confirm?token=")
		if tok := strings.TrimPrefix(link, s.URL+"/account/profile/email/confirm?token="); len(tok) < 43 {
			t.Errorf("the link's token %q is shorter than 256 bits", tok)
		}
		if soon := mb.wait(t, s.Email, subjectEmailSoon); !strings.Contains(soon.Text, "a***@example.com") {
			t.Errorf("the old address was not told where to: %s", soon.Text)
		}
		wantEmail(t, s, s.UserID, s.Email, false)

		// Opening the link changes nothing (mail scanners open links); without a
		// session it asks to sign in; another signed-in user cannot use it.
		if p := newBrowser(t).get(s, link); p.resp.StatusCode != http.StatusUnauthorized || !strings.Contains(p.body, "Sign in to confirm") {
			t.Errorf("the link without a session: %d %.300s", p.resp.StatusCode, p.body)
		}
		bb, _ := signInAs(t, s, r, bob)
		if p := bb.get(s, link); p.resp.StatusCode != http.StatusForbidden || !strings.Contains(p.body, "another account") {
			t.Errorf("the link in another user's browser: %d %.300s", p.resp.StatusCode, p.body)
		}
		if p := bb.confirmEmail(s, link); p.resp.StatusCode != http.StatusForbidden {
			t.Errorf("another user confirmed the link: %d %.300s", p.resp.StatusCode, p.body)
		}
		wantEmail(t, s, s.UserID, s.Email, false)
		wantEmail(t, s, bob.ID, bob.Email, false)
		p = b.get(s, link)
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, next) || !strings.Contains(p.body, `name="token"`) {
			t.Fatalf("the confirmation page: %d %.300s", p.resp.StatusCode, p.body)
		}
		wantEmail(t, s, s.UserID, s.Email, false)

		// Confirmed: the new address, verified; the old address is told.
		if p := b.confirmEmail(s, link); p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Email address changed") {
			t.Fatalf("confirming: %d %.300s", p.resp.StatusCode, p.body)
		}
		wantEmail(t, s, s.UserID, next, true)
		mb.wait(t, s.Email, subjectEmailChanged)
		if ev := profileEvents(t, s, s.UserID, "profile.email_changed"); len(ev) != 1 ||
			ev[0].Detail["email_old"] != "a***@example.com" || ev[0].Detail["email_new"] != "a***@example.com" {
			t.Errorf("audit: %+v", ev)
		}

		// Once only.
		if p := b.confirmEmail(s, link); p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "no longer valid") {
			t.Errorf("a replayed link: %d %.300s", p.resp.StatusCode, p.body)
		}

		// A fresh ID token and userinfo say the new address, verified; the new
		// address signs in, the old one no longer does.
		a = r.start()
		fresh := r.redeem(a, b.signIn(s, a.url, next, s.Password))
		want := map[string]any{"email": next, "email_verified": true}
		wantClaims(t, "ID token after the change", fresh.claims, want)
		wantClaims(t, "userinfo after the change", userinfo(t, r, fresh), want)
		signInAs(t, s, r, account{ID: s.UserID, Email: next, Password: s.Password})
		old := newBrowser(t)
		if p := old.password(s, old.get(s, r.start().url), s.Email, s.Password); p.callback != nil {
			t.Error("the old address still signs in")
		}

		// Taken meanwhile: the confirmation refuses it and nothing changes.
		if p := b.askEmailChange(s, "carol@example.com"); p.url.Query().Get("done") != "email-sent" {
			t.Fatalf("asking for carol@: %d %.300s", p.resp.StatusCode, p.body)
		}
		link = mb.wait(t, "carol@example.com", subjectConfirmEmail).link(t, s.URL+"/account/profile/email/confirm?token=")
		addAccount(t, s, "carol")
		if p := b.confirmEmail(s, link); p.resp.StatusCode != http.StatusConflict || !strings.Contains(p.body, "used by another account") {
			t.Errorf("confirming a taken address: %d %.300s", p.resp.StatusCode, p.body)
		}
		wantEmail(t, s, s.UserID, next, true)

		// A newer request makes the earlier link stop working.
		b.askEmailChange(s, "first@example.com")
		first := mb.wait(t, "first@example.com", subjectConfirmEmail).link(t, s.URL+"/account/profile/email/confirm?token=")
		b.askEmailChange(s, "second@example.com")
		mb.wait(t, "second@example.com", subjectConfirmEmail)
		if p := b.confirmEmail(s, first); p.resp.StatusCode != http.StatusBadRequest {
			t.Errorf("an earlier link after a newer one: %d %.300s", p.resp.StatusCode, p.body)
		}

		// Six requests an hour are too many.
		if p := b.askEmailChange(s, "sixth@example.com"); p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "too many") {
			t.Errorf("the sixth request: %d %.300s", p.resp.StatusCode, p.body)
		}

		// An hour later: a link followed after 30 minutes has expired.
		// A stale session must verify again before it can ask.
		s.Clock.Advance(61 * time.Minute)
		if p := b.askEmailChange(s, "stale@example.com"); !p.isLogin() {
			t.Fatalf("a stale session asked for a new address: %s %d", p.url, p.resp.StatusCode)
		}
		mb.none(t, subjectConfirmEmail, 200*time.Millisecond)
		p = b.get(s, s.URL+"/account/profile")
		b.password(s, p, next, s.Password)
		if p := b.askEmailChange(s, "late@example.com"); p.url.Query().Get("done") != "email-sent" {
			t.Fatalf("asking for late@: %d %.300s", p.resp.StatusCode, p.body)
		}
		late := mb.wait(t, "late@example.com", subjectConfirmEmail).link(t, s.URL+"/account/profile/email/confirm?token=")
		s.Clock.Advance(31 * time.Minute)
		if p := b.get(s, late); p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "no longer valid") {
			t.Errorf("an expired link: %d %.300s", p.resp.StatusCode, p.body)
		}
		if p := b.confirmEmail(s, late); p.resp.StatusCode != http.StatusBadRequest {
			t.Errorf("an expired link confirmed: %d %.300s", p.resp.StatusCode, p.body)
		}
		wantEmail(t, s, s.UserID, next, true)
		mb.none(t, subjectEmailChanged, 0)
	})
}
