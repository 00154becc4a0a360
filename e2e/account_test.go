package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

var reDeviceRow = regexp.MustCompile(`name="device" value="([^"]+)"`)

// addDevice links another authenticator app from the account page.
func (b *browser) addDevice(s *server, path string) (secret string) {
	b.t.Helper()
	p := b.get(s, s.URL+path)
	m, d := reSecret.FindStringSubmatch(p.body), reDevice.FindStringSubmatch(p.body)
	if m == nil || d == nil {
		b.t.Fatalf("no enrolment page at %s: %d %.300s", path, p.resp.StatusCode, p.body)
	}
	secret = reTags.ReplaceAllString(m[1], "")
	q := b.post(s, s.URL+path, url.Values{"device": {d[1]}, "device_name": {"Tablet"}, "code": {totpCode(b.t, secret, s.Clock.Now())}})
	if q.url.Path != "/account/apps" || q.resp.StatusCode != http.StatusOK {
		b.t.Fatalf("adding a device ended at %s (%d): %.300s", q.url, q.resp.StatusCode, q.body)
	}
	return secret
}

func TestAccountSecurity(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, b := mfaUser(t, s, r)

		waitForMail(t, s, "Two-step verification is on")

		// Freshly verified: the page lists the device and the codes.
		p := b.get(s, s.URL+"/account")
		for _, want := range []string{s.Email, "Test phone", "Password and authenticator app", "10 of 10 left"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("account page lacks %q", want)
			}
		}

		// Five minutes later changes need the second factor again.
		s.Clock.Advance(6 * time.Minute)
		p = b.get(s, s.URL+"/account?return_to=//evil.example")
		if !p.isChallenge() {
			t.Fatalf("a stale session reached the account page: %s", p.url)
		}
		p = b.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		if p.callback != nil || p.url.Path != "/account" {
			t.Fatalf("re-verification ended at %v %s", p.callback, p.url)
		}

		// A form posted from another site changes nothing.
		req := mustRequest(t, http.MethodPost, s.URL+"/account/recovery-codes/new", strings.NewReader(""))
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, err := b.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site post: %v %v", resp, err)
		}

		// Add a second device, then replace all devices with a third.
		s.Clock.Advance(30 * time.Second)
		b.addDevice(s, "/account/totp/add")
		if n := len(reDeviceRow.FindAllString(b.get(s, s.URL+"/account/apps").body, -1)); n != 2 {
			t.Fatalf("%d devices after adding one", n)
		}
		waitForMail(t, s, "A new authenticator app was linked")
		s.Clock.Advance(30 * time.Second)
		third := b.addDevice(s, "/account/totp/add?replace=1")
		p = b.get(s, s.URL+"/account/apps")
		rows := reDeviceRow.FindAllStringSubmatch(p.body, -1)
		if len(rows) != 1 {
			t.Fatalf("%d devices after replacing all", len(rows))
		}

		// The first device's codes no longer work; the new one's do.
		s.Clock.Advance(30 * time.Second)
		other := newBrowser(t)
		a := r.start(param("acr_values", flows.ACRMultiFactor))
		q := other.password(s, other.get(s, a.url), s.Email, s.Password)
		if q2 := other.code(s, q, "totp", totpCode(t, e.secret, s.Clock.Now())); q2.callback != nil {
			t.Fatal("a revoked device's code still signs in")
		} else {
			q = q2
		}
		if q = other.code(s, q, "totp", totpCode(t, third, s.Clock.Now())); q.callback == nil {
			t.Fatalf("the new device's code was refused: %.300s", q.body)
		}

		// New recovery codes: the old set dies.
		p = b.post(s, s.URL+"/account/recovery-codes/new", url.Values{})
		fresh := reRecovery.FindAllStringSubmatch(p.body, -1)
		if len(fresh) != 10 {
			t.Fatalf("%d new codes", len(fresh))
		}
		p = b.post(s, s.URL+"/account/recovery-codes", url.Values{"stored": {"yes"}})
		if p.url.Path != "/account/recovery-codes" || !strings.Contains(p.body, "New recovery codes saved") {
			t.Fatalf("after storing the codes: %s", p.url)
		}
		if err := s.Srv.Recovery.Use(t.Context(), s.UserID, e.recoveryCodes[0]); err == nil {
			t.Error("an old recovery code still works")
		}

		// Remove the last device: two-step verification is off.
		p = b.post(s, s.URL+"/account/totp/remove", url.Values{"device": {rows[0][1]}})
		// The app's proof left this session too: the password confirms it's still the
		// user, and the browser comes back to the apps' area.
		p = b.password(s, p, s.Email, s.Password)
		if p.url.Path != "/account/apps" || !strings.Contains(p.body, "Authenticator app removed") || !strings.Contains(p.body, "Two-step verification is off") {
			t.Fatalf("after removing: %s %.300s", p.url, p.body)
		}
		if n, _ := s.Srv.Core.SecondFactors(t.Context(), s.UserID); len(n) != 0 {
			t.Errorf("second factors left: %v", n)
		}
		waitForMail(t, s, "Two-step verification is off")
		waitForMail(t, s, "New recovery codes")
	})
}

func TestAccountNeedsSignIn(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		b := newBrowser(t)
		p := b.password(s, b.get(s, s.URL+"/account"), s.Email, s.Password)
		if p.url.Path != "/account" || !strings.Contains(p.body, "Two-step verification is off") {
			t.Fatalf("after signing in for the account page: %s %.300s", p.url, p.body)
		}
		// A wrong password does not get there.
		other := newBrowser(t)
		if q := other.password(s, other.get(s, s.URL+"/account"), s.Email, "wrong-password"); q.url.Path == "/account" {
			t.Fatal("a wrong password reached the account page")
		}
	})
}
