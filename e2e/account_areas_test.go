package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

var reSessionHandle = regexp.MustCompile(`name="session" value="([^"]+)"`)

// TestAccountOverviewAndAreas: the account page is an overview with one row per
// area, each area its own page, and an action comes back to its area.
func TestAccountOverviewAndAreas(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		_, b := mfaUser(t, s, r)

		p := b.get(s, s.URL+"/account")
		for _, want := range []string{"Password and authenticator app", `href="/account/apps"`, "Test phone", `href="/account/recovery-codes"`, "10 of 10 left",
			`href="/account/sessions"`, `href="/account/two-step/off"`, `href="/account/password"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the overview lacks %q", want)
			}
		}
		// The overview lists, it does not manage: no remove buttons, no key form.
		for _, unwanted := range []string{"device-remove", "webauthn-add", "Set up two-step verification"} {
			if strings.Contains(p.body, unwanted) {
				t.Errorf("the overview has %q", unwanted)
			}
		}
		apps := b.get(s, s.URL+"/account/apps")
		if apps.resp.StatusCode != http.StatusOK || !strings.Contains(apps.body, "<h1>Authenticator apps</h1>") || !strings.Contains(apps.body, `action="/account/totp/remove"`) {
			t.Fatalf("the apps' page: %d %s", apps.resp.StatusCode, brief(apps.body))
		}
		codes := b.post(s, s.URL+"/account/recovery-codes/new", url.Values{})
		done := b.post(s, s.URL+"/account/recovery-codes", url.Values{"stored": {"yes"}})
		if !strings.Contains(codes.body, "Download") || done.url.Path != "/account/recovery-codes" || !strings.Contains(done.body, "New recovery codes saved") {
			t.Errorf("new recovery codes end at %s: %s", done.url, brief(done.body))
		}
	})
}

// TestAccountEndOneSession: the sessions' page names each browser and its
// address, and ends one other session on its own; a handle that is not one of
// the user's other sessions ends nothing.
func TestAccountEndOneSession(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		signIn := func(ua, ip string) *browser {
			b := addrBrowser(t, "", ip)
			b.client.Transport = headerTransport{base: b.client.Transport.(headerTransport).base, xff: ip, ua: ua}
			a := r.start()
			r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
			return b
		}
		const firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
		const safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
		me := signIn(firefox, "198.51.100.10")
		phone := signIn(safari, "198.51.100.11")
		other := signIn(firefox, "198.51.100.12")

		p := me.get(s, s.URL+"/account/sessions")
		for _, want := range []string{"Firefox on Windows <span class=\"badge\">This device</span>", "Safari on iPhone", "127.0.0.1", "Last used"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the sessions' page lacks %q: %s", want, brief(p.body))
			}
		}
		handles := reSessionHandle.FindAllStringSubmatch(p.body, -1)
		if len(handles) != 2 {
			t.Fatalf("%d sessions to sign out of, want the 2 others", len(handles))
		}
		// The phone's session: the row with Safari.
		var phoneHandle string
		for _, h := range handles {
			if i := strings.Index(p.body, h[0]); strings.LastIndex(p.body[:i], "Safari on iPhone") > strings.LastIndex(p.body[:i], "Firefox on Windows") {
				phoneHandle = h[1]
			}
		}
		if phoneHandle == "" {
			t.Fatal("no Sign out for the phone's session")
		}
		for what, handle := range map[string]string{"empty": "", "unknown": "0123456789abcdef", "too short to be one": phoneHandle[:4]} {
			if q := me.post(s, s.URL+"/account/sessions/end", url.Values{"session": {handle}}); q.resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s handle: %d", what, q.resp.StatusCode)
			}
		}
		q := me.post(s, s.URL+"/account/sessions/end", url.Values{"session": {phoneHandle}})
		if q.url.Path != "/account/sessions" || !strings.Contains(q.body, "Signed out there.") || strings.Contains(q.body, "Safari on iPhone") {
			t.Fatalf("after ending the phone's session: %s %s", q.url, brief(q.body))
		}
		if !hasAuditEvent(t, s, "session.ended") {
			t.Error("ending a session was not audited")
		}
		for name, c := range map[string]struct {
			b    *browser
			want string
		}{"the phone": {phone, "login_required"}, "the other browser": {other, ""}, "this browser": {me, ""}} {
			if got := authError(c.b.get(s, r.start(param("prompt", "none")).url)); got != c.want {
				t.Errorf("%s after ending the phone's session: error %q, want %q", name, got, c.want)
			}
		}
	})
}

// TestHomeLinksAccount: the home page offers a signed-in visitor their account.
func TestHomeLinksAccount(t *testing.T) {
	s := startServer(t, memory.New())
	b := newBrowser(t)
	if p := b.get(s, s.URL+"/"); strings.Contains(p.body, "Manage your account") {
		t.Error("the home page offers an account to a visitor who is not signed in")
	}
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	a := r.start()
	r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
	if p := b.get(s, s.URL+"/"); !strings.Contains(p.body, `href="/account">Manage your account</a>`) || !strings.Contains(p.body, s.Email) {
		t.Errorf("the home page of a signed-in visitor: %s", brief(p.body))
	}
}
