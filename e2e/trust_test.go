package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// addrBrowser is a browser whose connections come from the loopback address local
// ("" for the default) and whose requests carry X-Forwarded-For: xff ("" for none).
func addrBrowser(t testing.TB, local, xff string) *browser {
	t.Helper()
	b := newBrowser(t)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if local != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
		tr.DialContext = d.DialContext
	}
	t.Cleanup(tr.CloseIdleConnections)
	b.client.Transport = headerTransport{base: tr, xff: xff}
	return b
}

type headerTransport struct {
	base http.RoundTripper
	xff  string
	ua   string
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.xff != "" || h.ua != "" {
		r = r.Clone(r.Context())
	}
	if h.xff != "" {
		r.Header.Set("X-Forwarded-For", h.xff)
	}
	if h.ua != "" {
		r.Header.Set("User-Agent", h.ua)
	}
	return h.base.RoundTrip(r)
}

// through allows the consent page when it shows and returns the client's callback.
func through(t testing.TB, b *browser, s *server, p page) *url.URL {
	t.Helper()
	if p.isConsent() {
		p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
	}
	if p.callback == nil {
		t.Fatalf("expected the client's callback, stopped at %s (%d): %.400s", p.url, p.resp.StatusCode, p.body)
	}
	return p.callback
}

// codeRemember posts a code on the challenge page with "Don't ask again on this
// device" ticked.
func (b *browser) codeRemember(s *server, p page, code string) page {
	b.t.Helper()
	if !p.isChallenge() {
		b.t.Fatalf("expected the challenge page, got %s %v: %.300s", p.url, p.callback, p.body)
	}
	return b.post(s, s.URL+"/challenge", url.Values{"flow": {p.flowID()}, "method": {"totp"}, "code": {code}, "remember": {"yes"}})
}

// logout ends the browser's SSO session through the end-session endpoint.
func (b *browser) logout(s *server, tk tokens) {
	b.t.Helper()
	q := url.Values{"id_token_hint": {tk.raw}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}}
	if p := b.post(s, s.URL+"/logout", q); p.callback == nil || p.callback.Path != "/bye" {
		b.t.Fatalf("logout: %d %v", p.resp.StatusCode, p.callback)
	}
}

// deviceCookie is the browser's device cookie, or "".
func deviceCookie(b *browser, s *server) string {
	u, _ := url.Parse(s.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == s.Config.Session.CookieName+"_device" {
			return c.Value
		}
	}
	return ""
}

// trustsOf lists the user's trusts of a kind from storage.
func trustsOf(t testing.TB, s *server, kind storage.TrustKind) []storage.Trust {
	t.Helper()
	all, err := s.Store.ListTrusts(context.Background(), s.UserID)
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.Trust
	for _, tr := range all {
		if tr.Kind == kind {
			out = append(out, tr)
		}
	}
	return out
}

// wantPasswordOnly checks tokens that say honestly that only the password was
// proven, at a time between before and after.
func wantPasswordOnly(t *testing.T, what string, c map[string]any, before, after time.Time) {
	t.Helper()
	if c["acr"] != flows.ACRPassword {
		t.Errorf("%s: acr = %v, want %s", what, c["acr"], flows.ACRPassword)
	}
	if got := toStrings(c["amr"]); !slices.Equal(got, []string{"pwd"}) {
		t.Errorf("%s: amr = %v, want [pwd]", what, got)
	}
	at, _ := c["auth_time"].(float64)
	if int64(at) < before.Unix() || int64(at) > after.Unix() {
		t.Errorf("%s: auth_time = %v, want the new password's time in [%d, %d]", what, at, before.Unix(), after.Unix())
	}
}

var reTrustID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// devicesPage opens the account's remembered devices and trusted addresses,
// re-verifying with the code when asked.
func (b *browser) devicesPage(s *server, code func() string) page {
	b.t.Helper()
	p := b.get(s, s.URL+"/account/devices")
	if p.isChallenge() {
		p = b.code(s, p, "totp", code())
	}
	if p.url.Path != "/account/devices" || p.resp.StatusCode != http.StatusOK {
		b.t.Fatalf("account page: %s (%d) %.300s", p.url, p.resp.StatusCode, p.body)
	}
	return p
}

// TestRememberThisDevice: "Don't ask again on this device" (MFA-7) skips the
// user's own code in that browser only, says so in the tokens, never stands in for
// a level the client asks for, and ends with removal, "forget all", a 2FA reset
// and time.
func TestRememberThisDevice(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure, func(c *configs.Config) {
			days := 1
			c.MFA.RememberDeviceDays = &days
		})
		s.Clock.Advance(-72 * time.Hour) // room for a day and more of clock moves
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		code := func() string {
			s.Clock.Advance(30 * time.Second)
			return totpCode(t, e.secret, s.Clock.Now())
		}
		// asked: a fresh sign-in (prompt=login) in b stops at the code.
		asked := func(what string, b *browser) page {
			t.Helper()
			p := b.password(s, b.get(s, r.start(param("prompt", "login")).url), s.Email, s.Password)
			if !p.isChallenge() {
				t.Errorf("%s: the code was not asked (%s %v)", what, p.url, p.callback)
			}
			return p
		}
		// skips: a fresh sign-in in b needs only the password.
		skips := func(what string, b *browser, extra ...string) tokens {
			t.Helper()
			s.Clock.Advance(time.Minute)
			a := r.start(param("prompt", "login"))
			p := b.get(s, a.url)
			before := s.Clock.Now()
			p = b.password(s, p, s.Email, s.Password)
			after := s.Clock.Now()
			if p.callback == nil {
				t.Fatalf("%s: a remembered device was asked %s (%d)", what, p.url, p.resp.StatusCode)
			}
			tk := r.redeem(a, p.callback)
			wantPasswordOnly(t, what, tk.claims, before, after)
			return tk
		}
		// remember signs in at b with the box ticked.
		remember := func(b *browser) tokens {
			t.Helper()
			a := r.start(param("prompt", "login"))
			p := b.password(s, b.get(s, a.url), s.Email, s.Password)
			tk := r.redeem(a, through(t, b, s, b.codeRemember(s, p, code())))
			if tk.claims["acr"] != flows.ACRMultiFactor {
				t.Errorf("acr with the code = %v", tk.claims["acr"])
			}
			return tk
		}

		// Without ticking the box: asked again next time, nothing remembered.
		plain := newBrowser(t)
		a := r.start()
		p := plain.password(s, plain.get(s, a.url), s.Email, s.Password)
		if !strings.Contains(p.body, `name="remember" value="yes"`) || !strings.Contains(p.body, "Don't ask again on this device") {
			t.Fatalf("the challenge page offers no remember box: %.500s", p.body)
		}
		r.redeem(a, through(t, plain, s, plain.code(s, p, "totp", code())))
		if n := len(trustsOf(t, s, storage.TrustRememberedDevice)); n != 0 {
			t.Errorf("%d remembered devices without ticking the box", n)
		}
		asked("without ticking", plain)

		// Ticked: multi-factor now, remembered for a day.
		b := newBrowser(t)
		a = r.start()
		p = b.password(s, b.get(s, a.url), s.Email, s.Password)
		tk := r.redeem(a, through(t, b, s, b.codeRemember(s, p, code())))
		if tk.claims["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v", tk.claims["acr"])
		}
		wantAMR(t, tk.claims, "pwd", "otp", "mfa")
		if deviceCookie(b, s) == "" {
			t.Fatal("no device cookie after ticking the box")
		}
		devices := trustsOf(t, s, storage.TrustRememberedDevice)
		if len(devices) != 1 {
			t.Fatalf("%d remembered devices", len(devices))
		}
		if d := devices[0].ExpiresAt.Sub(s.Clock.Now()); d < 23*time.Hour || d > 25*time.Hour {
			t.Errorf("remembered for %s, want a day", d)
		}

		// A new SSO session on this device (after logout): the password alone, said so.
		b.logout(s, tk)
		s.Clock.Advance(time.Minute)
		a = r.start()
		p = b.get(s, a.url)
		before := s.Clock.Now()
		p = b.password(s, p, s.Email, s.Password)
		after := s.Clock.Now()
		if p.callback == nil {
			t.Fatalf("after logout, the remembered device was asked: %s", p.url)
		}
		tk = r.redeem(a, p.callback)
		wantPasswordOnly(t, "after logout", tk.claims, before, after)
		// prompt=login: the same, with a later auth_time.
		tk2 := skips("prompt=login", b)
		if tk2.claims["auth_time"].(float64) <= tk.claims["auth_time"].(float64) {
			t.Errorf("auth_time did not move: %v then %v", tk.claims["auth_time"], tk2.claims["auth_time"])
		}

		// A request for multi-factor from this device: a fresh code, then mfa.
		b.logout(s, tk2)
		a = r.start(param("acr_values", flows.ACRMultiFactor))
		p = b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !p.isChallenge() {
			t.Fatalf("acr_values mfa on a remembered device: no code asked (%s %v)", p.url, p.callback)
		}
		c := r.redeem(a, through(t, b, s, b.code(s, p, "totp", code()))).claims
		if c["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v", c["acr"])
		}
		wantAMR(t, c, "pwd", "otp", "mfa")
		// An essential acr with prompt=login as well.
		a = r.start(param("prompt", "login"), param("claims", essentialMFA))
		if p = b.password(s, b.get(s, a.url), s.Email, s.Password); !p.isChallenge() {
			t.Errorf("essential mfa on a remembered device: no code asked (%s %v)", p.url, p.callback)
		}

		// Another browser, no device cookie: asked.
		asked("another browser", newBrowser(t))
		// A made-up device cookie is worth nothing.
		forged := newBrowser(t)
		u, _ := url.Parse(s.URL)
		forged.client.Jar.SetCookies(u, []*http.Cookie{{Name: s.Config.Session.CookieName + "_device", Value: deviceCookie(b, s) + "x", Path: "/"}})
		asked("a forged device cookie", forged)

		// Removing the device on the account page: asked again, even in the session
		// that skipped the code.
		skips("before removal", b)
		ap := b.devicesPage(s, code)
		if !strings.Contains(ap.body, "Remembered devices") || !strings.Contains(ap.body, "This device") {
			t.Errorf("the account page does not list this remembered device: %.2000s", ap.body)
		}
		ids := reTrustID.FindAllStringSubmatch(ap.body, -1)
		if len(ids) != 1 || ids[0][1] != devices[0].ID {
			t.Fatalf("remove buttons %v, want the device %s", ids, devices[0].ID)
		}
		if q := b.post(s, s.URL+"/account/devices/remove", url.Values{"id": {"not-a-trust"}}); q.resp.StatusCode != http.StatusNotFound {
			t.Errorf("removing an unknown id: %d", q.resp.StatusCode)
		}
		if q := b.post(s, s.URL+"/account/devices/remove", url.Values{"id": {ids[0][1]}}); q.url.Path != "/account/devices" || q.resp.StatusCode != http.StatusOK {
			t.Fatalf("remove: %s %d", q.url, q.resp.StatusCode)
		}
		if n := len(trustsOf(t, s, storage.TrustRememberedDevice)); n != 0 {
			t.Errorf("%d remembered devices after removal", n)
		}
		asked("after removal", b)

		// A session that skipped the code on a device removed since: asked at once.
		b2 := newBrowser(t)
		b2.logout(s, remember(b2))
		a = r.start()
		if p = b2.password(s, b2.get(s, a.url), s.Email, s.Password); p.callback == nil {
			t.Fatalf("second remembered device asked: %s", p.url)
		}
		for _, tr := range trustsOf(t, s, storage.TrustRememberedDevice) {
			if q := b.post(s, s.URL+"/account/devices/remove", url.Values{"id": {tr.ID}}); q.url.Path != "/account/devices" {
				t.Fatalf("remove: %s %d", q.url, q.resp.StatusCode)
			}
		}
		if p = b2.get(s, r.start().url); !p.isChallenge() {
			t.Errorf("a password-only session on a removed device was not asked: %s %v", p.url, p.callback)
		}

		// Forget all devices: asked again.
		remember(b)
		skips("remembered again", b)
		other := newBrowser(t)
		remember(other)
		b.devicesPage(s, code)
		if q := b.post(s, s.URL+"/account/devices/forget", url.Values{}); q.url.Path != "/account/devices" || q.resp.StatusCode != http.StatusOK {
			t.Fatalf("forget all: %s %d", q.url, q.resp.StatusCode)
		}
		if n := len(trustsOf(t, s, storage.TrustRememberedDevice)); n != 0 {
			t.Errorf("%d remembered devices after forgetting all", n)
		}
		mb.wait(t, s.Email, "Remembered devices were forgotten")
		asked("after forget all", b)
		asked("the other device after forget all", other)

		// A 2FA reset forgets remembered devices: after setting up a new app, this
		// device is asked for it.
		remember(b)
		rb := newBrowser(t)
		p = rb.password(s, rb.get(s, r.start(param("prompt", "login")).url), s.Email, s.Password)
		p = rb.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {p.flowID()}, "code": {e.recoveryCodes[0]}})
		through(t, rb, s, notNow(t, rb, s, p)) // the set-up offered after the reset: later
		mb.wait(t, s.Email, "Two-step verification was reset")
		if n := len(trustsOf(t, s, storage.TrustRememberedDevice)); n != 0 {
			t.Errorf("%d remembered devices after a 2FA reset", n)
		}
		e, _ = mfaUser(t, s, r) // a new app
		asked("after a 2FA reset and a new app", b)

		// Expiry: a day later the device is asked again.
		remember(b)
		s.Clock.Advance(23 * time.Hour)
		skips("23 hours later", b)
		s.Clock.Advance(61 * time.Minute)
		asked("after remember_device_days", b)
	})
}

// TestTrustedIPsBehindProxy: with trusted_ips on, a code entered from an address
// lets later sign-ins from that address skip the user's code (MFA-8); the address
// is the client's as the trusted proxy says, other addresses are asked.
func TestTrustedIPsBehindProxy(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) {
			c.MFA.TrustedIPs = true
			c.TrustedProxies = []string{"127.0.0.1/32"}
		})
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		code := func() string {
			s.Clock.Advance(30 * time.Second)
			return totpCode(t, e.secret, s.Clock.Now())
		}
		const addrA, addrB = "198.51.100.7", "203.0.113.9"
		asked := func(what string, b *browser, extra ...string) page {
			t.Helper()
			opts := []string{"prompt", "login"}
			opts = append(opts, extra...)
			a := r.start(param(opts[0], opts[1]))
			if len(opts) == 4 {
				a = r.start(param(opts[0], opts[1]), param(opts[2], opts[3]))
			}
			p := b.password(s, b.get(s, a.url), s.Email, s.Password)
			if !p.isChallenge() {
				t.Errorf("%s: the code was not asked (%s %v)", what, p.url, p.callback)
			}
			return p
		}

		// Before any code from A, A is asked.
		bA := addrBrowser(t, "", addrA)
		a := r.start()
		p := bA.password(s, bA.get(s, a.url), s.Email, s.Password)
		if !p.isChallenge() {
			t.Fatalf("first sign-in from A: %s", p.url)
		}
		c := r.redeem(a, through(t, bA, s, bA.code(s, p, "totp", code()))).claims
		if c["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v", c["acr"])
		}
		addrs := trustsOf(t, s, storage.TrustAddress)
		if !slices.ContainsFunc(addrs, func(tr storage.Trust) bool { return tr.IP == addrA }) {
			t.Fatalf("address A not trusted after a code from it: %+v", addrs)
		}
		// The other trusted address is the one the app was set up from (mfaUser's
		// browser, straight from the proxy's own address): setting up 2FA trusts it too.
		if !slices.ContainsFunc(addrs, func(tr storage.Trust) bool { return tr.IP == "127.0.0.1" }) {
			t.Errorf("the address the app was set up from is not trusted: %+v", addrs)
		}
		for _, tr := range addrs {
			if tr.IP != addrA && tr.IP != "127.0.0.1" {
				t.Errorf("an address other than A was trusted: %s", tr.IP)
			}
		}

		// Another browser at A: the password alone, said so.
		bA2 := addrBrowser(t, "", addrA)
		s.Clock.Advance(time.Minute)
		a = r.start()
		p = bA2.get(s, a.url)
		before := s.Clock.Now()
		p = bA2.password(s, p, s.Email, s.Password)
		after := s.Clock.Now()
		if p.callback == nil && !p.isConsent() {
			t.Fatalf("a sign-in from the trusted address was asked: %s", p.url)
		}
		wantPasswordOnly(t, "from A", r.redeem(a, through(t, bA2, s, p)).claims, before, after)

		// B is asked; so is a chain whose last untrusted hop is B.
		asked("from B", addrBrowser(t, "", addrB))
		asked("A behind B", addrBrowser(t, "", addrA+", "+addrB))
		// A client asking for multi-factor from A: a fresh code.
		asked("acr_values mfa from A", addrBrowser(t, "", addrA), "acr_values", flows.ACRMultiFactor)

		// The account page lists the address, marks it as where one is now, and
		// removing it ends the trust.
		ap := bA.devicesPage(s, code)
		if !strings.Contains(ap.body, "Trusted IP addresses") || !strings.Contains(ap.body, addrA) {
			t.Errorf("the account page does not list the trusted address: %.2000s", ap.body)
		}
		if !strings.Contains(ap.body, "Your address now") {
			t.Errorf("the account page does not mark the address the user is at")
		}
		addrs = trustsOf(t, s, storage.TrustAddress)
		var idA string
		for _, tr := range addrs {
			if tr.IP == addrA {
				idA = tr.ID
			}
		}
		if q := bA.post(s, s.URL+"/account/devices/remove", url.Values{"id": {idA}}); q.url.Path != "/account/devices" {
			t.Fatalf("remove address: %s %d", q.url, q.resp.StatusCode)
		}
		asked("from A after removal", addrBrowser(t, "", addrA))
	})
}

// TestTrustedIPsIgnoreSpoofedHeader: without trusted proxies, X-Forwarded-For is
// not believed: the trusted address is the connection's, and naming it in the
// header from elsewhere earns nothing.
func TestTrustedIPsIgnoreSpoofedHeader(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) { c.MFA.TrustedIPs = true })
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		const spoofed = "198.51.100.7"
		// Anything enrolment trusted is not what this test is about.
		if _, err := s.Store.DeleteTrustsByUser(context.Background(), s.UserID, storage.TrustAddress); err != nil {
			t.Fatal(err)
		}

		// A code from the connection 127.0.0.2 claiming to be 198.51.100.7.
		bX := addrBrowser(t, "127.0.0.2", spoofed)
		s.Clock.Advance(30 * time.Second)
		a := r.start()
		p := bX.password(s, bX.get(s, a.url), s.Email, s.Password)
		r.redeem(a, through(t, bX, s, bX.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))))
		addrs := trustsOf(t, s, storage.TrustAddress)
		if len(addrs) != 1 || addrs[0].IP != "127.0.0.2" {
			t.Fatalf("trusted %+v, want only the connection's address 127.0.0.2", addrs)
		}

		for name, b := range map[string]*browser{
			"127.0.0.1 naming the trusted address": addrBrowser(t, "127.0.0.1", "127.0.0.2"),
			"127.0.0.3 naming the spoofed address": addrBrowser(t, "127.0.0.3", spoofed),
		} {
			if p := b.password(s, b.get(s, r.start().url), s.Email, s.Password); !p.isChallenge() {
				t.Errorf("%s: the code was not asked (%s %v)", name, p.url, p.callback)
			}
		}
		// The real address skips the code.
		bZ := addrBrowser(t, "127.0.0.2", "")
		a = r.start()
		if p := bZ.password(s, bZ.get(s, a.url), s.Email, s.Password); p.callback == nil {
			t.Errorf("the trusted connection address was asked: %s", p.url)
		} else if c := r.redeem(a, p.callback).claims; c["acr"] != flows.ACRPassword {
			t.Errorf("acr = %v", c["acr"])
		}
	})
}
