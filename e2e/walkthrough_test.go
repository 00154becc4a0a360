package e2e

// The walkthrough's broken promises (issue 14): each test here failed before its
// fix. See README's second-factor and account sections for the behaviour.

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/flows"
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

var reCancel = regexp.MustCompile(`<a class="btn btn-secondary" href="([^"]*)">Cancel</a>`)

// logoutCancel opens the logout confirmation with q and the browser's Referer and
// returns where its Cancel leads.
func logoutCancel(t *testing.T, b *browser, s *server, q url.Values, referer string) string {
	t.Helper()
	req := mustRequest(t, http.MethodGet, s.URL+"/logout?"+q.Encode(), nil)
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	p := b.do(s, req)
	m := reCancel.FindStringSubmatch(p.body)
	if p.resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(p.body, ">Sign out</button>") {
		t.Fatalf("logout page (referer %q): %d, no Cancel beside Sign out: %s", referer, p.resp.StatusCode, brief(p.body))
	}
	return html.UnescapeString(m[1])
}

// TestWalkthroughLogoutCancel: the logout confirmation has a Cancel that keeps
// the user signed in and goes back where they came from: the app's page when the
// browser says it came from one of the app's registered origins, else Lockstep's
// home page; never the post_logout_redirect_uri, never another site.
func TestWalkthroughLogoutCancel(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		tk := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		q := url.Values{"id_token_hint": {tk.raw}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}, "state": {"xyz"}}

		for _, tc := range []struct {
			name    string
			q       url.Values
			referer string
			want    string
		}{
			{"from the app's page", q, "http://127.0.0.1:1/orders?page=2", "http://127.0.0.1:1/orders?page=2"},
			{"from the app's origin only", q, "http://127.0.0.1:1/", "http://127.0.0.1:1/"},
			{"from another site", q, "https://evil.example/phish", "/"},
			{"from a look-alike port", q, "http://127.0.0.1:2/orders", "/"},
			{"a javascript referer", q, "javascript:alert(1)", "/"},
			{"no referer", q, "", "/"},
			{"no client named", url.Values{}, "http://127.0.0.1:1/orders", "/"},
		} {
			if got := logoutCancel(t, b, s, tc.q, tc.referer); got != tc.want {
				t.Errorf("%s: Cancel leads to %q, want %q", tc.name, got, tc.want)
			}
		}

		// Cancel changed nothing: the session still signs in without a page.
		if p := b.get(s, s.URL+"/"); p.resp.StatusCode != http.StatusOK {
			t.Errorf("the home page: %d", p.resp.StatusCode)
		}
		if p := b.get(s, r.start(oauth2.SetAuthURLParam("prompt", "none")).url); p.callback == nil || p.callback.Query().Get("code") == "" {
			t.Errorf("after Cancel the browser is not signed in: %v", p.callback)
		}
	})
}

// TestWalkthroughEnrolKeepsDeviceName: a wrong code, or a name too long, when
// linking an authenticator app shows the form again with what was typed, at the
// sign-in's enrolment and on the account page.
func TestWalkthroughEnrolKeepsDeviceName(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		const typed = "Work phone"
		long := strings.Repeat("n", 65)
		// refused posts the enrolment form at path with a wrong code (or a name
		// too long) and checks that the page comes back with the name as typed.
		refused := func(what string, b *browser, path string, form url.Values, name, code string, status int, msg string) page {
			t.Helper()
			form.Set("device_name", name)
			form.Set("code", code)
			p := b.post(s, s.URL+path, form)
			if p.resp.StatusCode != status || !strings.Contains(p.body, msg) {
				t.Fatalf("%s: %d %s", what, p.resp.StatusCode, brief(p.body))
			}
			if !strings.Contains(p.body, `name="device_name" value="`+html.EscapeString(name)+`"`) {
				t.Errorf("%s: the device name typed (%q) is gone: %s", what, name, reDeviceName.FindString(p.body))
			}
			return p
		}

		// During a sign-in that needs a second factor.
		b := newBrowser(t)
		a := r.start(param("claims", essentialMFA))
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		if p.url.Path != "/account/setup" {
			t.Fatalf("expected the set-up wizard: %s", p.url)
		}
		flow := p.flowID()
		p = b.get(s, s.URL+"/account/setup/app?flow="+url.QueryEscape(flow))
		secret := reTags.ReplaceAllString(reSecret.FindStringSubmatch(p.body)[1], "")
		form := url.Values{"flow": {flow}, "device": {p.url.Query().Get("device")}}
		refused("sign-in, wrong code", b, "/account/setup/app/verify", form, typed, "000000", http.StatusUnauthorized, "not right")
		refused("sign-in, name too long", b, "/account/setup/app/verify", form, long, totpCode(t, secret, s.Clock.Now()), http.StatusBadRequest, "at most 64 characters")
		form.Set("device_name", typed)
		form.Set("code", totpCode(t, secret, s.Clock.Now()))
		if p = b.post(s, s.URL+"/account/setup/app/verify", form); !strings.Contains(p.body, "I have safely copied and stored these codes") {
			t.Fatalf("the right code: %s", brief(p.body))
		}
		p = b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{"flow": {flow}, "stored": {"yes"}})
		p = b.post(s, s.URL+"/account/setup/done", url.Values{"flow": {flow}})
		r.redeem(a, through(t, b, s, p))

		// On the account page (freshly verified by that sign-in).
		s.Clock.Advance(30 * time.Second)
		p = b.get(s, s.URL+"/account/totp/add")
		secret = reTags.ReplaceAllString(reSecret.FindStringSubmatch(p.body)[1], "")
		form = url.Values{"device": {reDevice.FindStringSubmatch(p.body)[1]}}
		refused("account, wrong code", b, "/account/totp/add", form, "Tablet", "000000", http.StatusUnauthorized, "not right")
		refused("account, name too long", b, "/account/totp/add", form, long, totpCode(t, secret, s.Clock.Now()), http.StatusBadRequest, "at most 64 characters")
		form.Set("device_name", "Tablet")
		form.Set("code", totpCode(t, secret, s.Clock.Now()))
		if p = b.post(s, s.URL+"/account/totp/add", form); p.url.Path != "/account/apps" || !strings.Contains(p.body, ">Tablet<") || !strings.Contains(p.body, ">"+typed+"<") {
			t.Fatalf("after the right code: %s %s", p.url, brief(p.body))
		}
	})
}

var reDeviceName = regexp.MustCompile(`<input[^>]*name="device_name"[^>]*>`)

// TestWalkthroughReverifyComesBack: after "Confirm it's you" the browser lands on
// the action it clicked (add an app, replace them, a security key, new recovery
// codes, the password), never on another site; a password-only user is told why
// the password is asked and finds the account's email filled in.
func TestWalkthroughReverifyComesBack(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), onLocalhost)
		s.Clock.Advance(-time.Hour)

		// A password-only user: the re-verification is the password form, and says why.
		b := accountBrowser(t, s, s.Email, s.Password)
		s.Clock.Advance(6 * time.Minute)
		p := b.get(s, s.URL+"/account/password")
		if !p.isLogin() {
			t.Fatalf("a stale session reached the password page: %s", p.url)
		}
		for _, want := range []string{"Confirm it", "Enter your password to change your security settings", `value="` + s.Email + `"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the re-verification lacks %q: %s", want, brief(p.body))
			}
		}
		if p = b.password(s, p, s.Email, s.Password); p.url.Path != "/account/password" || !strings.Contains(p.body, `name="new_password"`) {
			t.Errorf("after the password: %s %s", p.url, brief(p.body))
		}

		// A user with an app: the challenge, then the page of the action.
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, b := mfaUser(t, s, r)
		reverify := func(what string, p page) page {
			t.Helper()
			if !p.isChallenge() {
				t.Fatalf("%s: a stale session was not asked to confirm: %s %s", what, p.url, brief(p.body))
			}
			s.Clock.Advance(30 * time.Second)
			return b.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		}
		stale := func() { s.Clock.Advance(6 * time.Minute) }

		stale()
		p = reverify("replace all devices", b.get(s, s.URL+"/account/totp/add?replace=1"))
		if p.url.Path != "/account/totp/add" || p.url.Query().Get("replace") != "1" || !strings.Contains(p.body, `action="/account/totp/add?replace=1"`) {
			t.Errorf("replace all devices came back to %s: %s", p.url, brief(p.body))
		}

		stale()
		p = reverify("new recovery codes", b.post(s, s.URL+"/account/recovery-codes/new", url.Values{}))
		if p.url.Path != "/account/recovery-codes/new" || !strings.Contains(p.body, `action="/account/recovery-codes/new"`) {
			t.Fatalf("new recovery codes came back to %s: %s", p.url, brief(p.body))
		}
		p = b.post(s, s.URL+"/account/recovery-codes/new", url.Values{})
		if n := len(reRecovery.FindAllString(p.body, -1)); n != 10 {
			t.Errorf("after confirming: %d codes shown: %s", n, brief(p.body))
		}

		stale()
		// The page's script posts for the key's options and follows the redirect.
		p = reverify("add a security key", b.post(s, s.URL+"/account/webauthn/options", url.Values{}))
		if p.url.Path != "/account/keys" || !strings.Contains(p.body, `id="keys-heading"`) {
			t.Errorf("add a security key came back to %s", p.url)
		}

		// Whatever the address carries, the way back stays on the account pages.
		for _, evil := range []string{"/account?done=//evil.example", "/account?return_to=https://evil.example", "/account/totp/add?replace=//evil.example"} {
			stale()
			p = reverify(evil, b.get(s, s.URL+evil))
			if p.callback != nil || !strings.HasPrefix(p.url.String(), s.URL+"/account") || strings.Contains(p.url.String(), "evil") {
				t.Errorf("%s came back to %s %v", evil, p.url, p.callback)
			}
		}
	})
}

// signInMFA signs a new browser in at the multi-factor level with the app's code
// and returns it.
func signInMFA(t *testing.T, s *server, r *rp, secret string) *browser {
	t.Helper()
	b := newBrowser(t)
	s.Clock.Advance(30 * time.Second)
	a := r.start(param("acr_values", flows.ACRMultiFactor))
	p := b.code(s, b.password(s, b.get(s, a.url), s.Email, s.Password), "totp", totpCode(t, secret, s.Clock.Now()))
	if c := r.redeem(a, through(t, b, s, p)).claims; c["acr"] != flows.ACRMultiFactor {
		t.Fatalf("the second browser's sign-in: acr %v", c["acr"])
	}
	return b
}

// noStaleProof checks that browser b's session no longer counts a removed
// factor: an essential multi-factor request does not go to the client.
func noStaleProof(t *testing.T, what string, s *server, r *rp, b *browser) {
	t.Helper()
	a := r.start(param("claims", essentialMFA))
	if p := b.get(s, a.url); p.callback != nil {
		if p.callback.Query().Get("code") != "" {
			c := r.redeem(a, p.callback).claims
			t.Errorf("%s: the other browser still got acr %v amr %v from the removed factor", what, c["acr"], c["amr"])
		}
	}
}

// TestWalkthroughReplaceAllDevices: the replace page says what will happen before
// the user confirms; afterwards no session counts a code of the removed apps (the
// second browser must enter the new app's code), and the email says the apps
// were replaced.
func TestWalkthroughReplaceAllDevices(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, first := mfaUser(t, s, r)
		mb.wait(t, s.Email, "Two-step verification is on")
		second := signInMFA(t, s, r, e.secret)
		if p := second.get(s, r.start().url); p.callback == nil {
			t.Fatalf("before the replace the second browser is not signed in: %s", p.url)
		}

		// The page warns before anything changes.
		s.Clock.Advance(30 * time.Second)
		p := first.get(s, s.URL+"/account/totp/add?replace=1")
		for _, want := range []string{"Replace your authenticator apps", "Test phone", "stop working", "code from the new app", "Verify and replace"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the replace page does not say %q: %s", want, brief(p.body))
			}
		}
		fresh := first.addDevice(s, "/account/totp/add?replace=1")

		// The second browser keeps its password but must prove the new app.
		s.Clock.Advance(30 * time.Second)
		if p := second.get(s, r.start(param("prompt", "none")).url); p.callback == nil || p.callback.Query().Get("error") != "interaction_required" {
			t.Errorf("prompt=none in the second browser after the replace: %v", p.callback)
		}
		a := r.start()
		if p = second.get(s, a.url); !p.isChallenge() {
			t.Errorf("after the replace the second browser went on without a code: %s %v", p.url, p.callback)
		} else {
			refusedAt(t, "the removed app's code", second.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now())), http.StatusUnauthorized, "not right")
			s.Clock.Advance(30 * time.Second)
			c := r.redeem(a, through(t, second, s, second.code(s, p, "totp", totpCode(t, fresh, s.Clock.Now())))).claims
			if c["acr"] != flows.ACRMultiFactor {
				t.Errorf("after stepping up with the new app: acr %v", c["acr"])
			}
		}
		msg := mb.wait(t, s.Email, "Your authenticator apps were replaced")
		if !strings.Contains(strings.ToLower(msg.Text), "your authenticator apps were replaced") || strings.Contains(msg.Text, "turned on") {
			t.Errorf("the replace email says: %s", msg.Text)
		}
		// The browser that replaced them proved the new app: it stays where it was.
		if q := first.get(s, s.URL+"/account"); q.url.Path != "/account" || q.resp.StatusCode != http.StatusOK {
			t.Errorf("the replacing browser's account page: %s %d", q.url, q.resp.StatusCode)
		}
	})
}

var reKeyRow = regexp.MustCompile(`name="key" value="([0-9a-f]+)"`)

// TestWalkthroughRemovedFactorsStopCounting: removing an app, a security key or
// the phone drops every proof made with it from every session of the user.
func TestWalkthroughRemovedFactorsStopCounting(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		t.Run("app", func(t *testing.T) {
			s := startServer(t, newStore(t))
			s.Clock.Advance(-time.Hour)
			r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			e, first := mfaUser(t, s, r)
			second := signInMFA(t, s, r, e.secret)
			id := reDeviceRow.FindStringSubmatch(first.get(s, s.URL+"/account/apps").body)[1]
			p := first.post(s, s.URL+"/account/totp/remove", url.Values{"device": {id}})
			if p.isLogin() { // this browser's own app proof went too: the password again
				p = first.password(s, p, s.Email, s.Password)
			}
			if p.url.Path != "/account/apps" || !strings.Contains(p.body, "Authenticator app removed") {
				t.Fatalf("after removing the app: %s %s", p.url, brief(p.body))
			}
			noStaleProof(t, "app removed", s, r, second)
		})
		t.Run("security key", func(t *testing.T) {
			s := startServer(t, newStore(t), onLocalhost)
			r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			first := accountBrowser(t, s, s.Email, s.Password)
			key := newSecurityKey(s)
			opts, err := virtualwebauthn.ParseAttestationOptions(first.options(s, "/account/webauthn/options", url.Values{}))
			if err != nil {
				t.Fatal(err)
			}
			att := virtualwebauthn.CreateAttestationResponse(key.rp, key.auth, key.cred, *opts)
			first.post(s, s.URL+"/account/webauthn/add", url.Values{"name": {"YubiKey"}, "response": {att}})
			key.auth.AddCredential(key.cred)
			if p := key.sign(t, first, s, first.post(s, s.URL+"/account/recovery-codes?done=key-added", url.Values{"stored": {"yes"}})); p.url.Path != "/account/keys" {
				t.Fatalf("after adding the key: %s", p.url)
			}
			second := newBrowser(t)
			a := r.start(param("acr_values", flows.ACRMultiFactor))
			p := key.sign(t, second, s, second.password(s, second.get(s, a.url), s.Email, s.Password))
			r.redeem(a, through(t, second, s, p))

			id := reKeyRow.FindStringSubmatch(first.get(s, s.URL+"/account/keys").body)[1]
			p = first.post(s, s.URL+"/account/webauthn/remove", url.Values{"key": {id}})
			if p.isLogin() {
				p = first.password(s, p, s.Email, s.Password)
			}
			if p.url.Path != "/account/keys" || !strings.Contains(p.body, "Security key removed") {
				t.Fatalf("after removing the key: %s %s", p.url, brief(p.body))
			}
			noStaleProof(t, "key removed", s, r, second)
		})
		t.Run("phone", func(t *testing.T) {
			s, rc := smsServer(t, newStore(t), lotsOfTexts)
			r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			first := phoneUser(t, s, rc)
			a, second, p := toSMSChallenge(t, s, r)
			p = second.sendSMS(s, p.flowID())
			r.redeem(a, second.finish(s, second.code(s, p, "sms", rc.lastCode(t, phoneAE164))))

			p = first.post(s, s.URL+"/account/phone/remove", url.Values{})
			if p.isLogin() {
				p = first.password(s, p, s.Email, s.Password)
			}
			if p.url.Path != "/account/sms" || !strings.Contains(p.body, "Phone number removed") {
				t.Fatalf("after removing the phone: %s %s", p.url, brief(p.body))
			}
			noStaleProof(t, "phone removed", s, r, second)
		})
	})
}

// wantResetOffer checks that p is the offer to set up two-step verification again
// after a reset, with a way to skip it.
func wantResetOffer(t *testing.T, what string, p page) {
	t.Helper()
	if !p.isProtect() || !strings.Contains(p.body, "Set up two-step verification again") || !strings.Contains(p.body, `name="decision" value="later"`) {
		t.Fatalf("%s: expected the offer to set it up again, got %s %v (%d): %s", what, p.url, p.callback, p.resp.StatusCode, brief(p.body))
	}
}

// wantAccountOpens checks that b's session opens the account page without a
// password (a fresh sign-in), and signs in to the app without a page.
func wantAccountOpens(t *testing.T, what string, s *server, r *rp, b *browser) {
	t.Helper()
	if q := b.get(s, s.URL+"/account"); q.url.Path != "/account" || q.resp.StatusCode != http.StatusOK || q.isLogin() {
		t.Errorf("%s: the account page asked again: %s %d %s", what, q.url, q.resp.StatusCode, brief(q.body))
	}
	if q := b.get(s, r.start(param("prompt", "none")).url); q.callback == nil || q.callback.Query().Get("code") == "" {
		t.Errorf("%s: the session does not sign in to the app: %v", what, q.callback)
	}
}

// TestWalkthroughResetOffersSetUp: a reset leads straight to the offer to set up
// two-step verification again (skippable here: neither the app nor an
// organisation requires it), and the session the sign-in makes lives on, also
// when the emailed link is confirmed in the browser that signs in.
func TestWalkthroughResetOffersSetUp(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		t.Run("recovery code, later", func(t *testing.T) {
			mb := newMailbox(t)
			s, r, e := resetServer(t, newStore(t), mb)
			b := newBrowser(t)
			a := r.start()
			p := toReset(t, s, b, a)
			if !strings.Contains(p.body, "you can set up two-step verification again with a new app or phone") {
				t.Errorf("the reset page does not say what follows: %s", brief(p.body))
			}
			p = b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {p.flowID()}, "code": {e.recoveryCodes[0]}})
			wantResetOffer(t, "after a reset with a recovery code", p)
			c := r.redeem(a, through(t, b, s, notNow(t, b, s, p))).claims
			if c["acr"] != flows.ACRPassword {
				t.Errorf("acr after Later = %v", c["acr"])
			}
			wantAccountOpens(t, "after a reset with a recovery code", s, r, b)
			mb.wait(t, s.Email, subjectReset)
		})

		t.Run("recovery code, set it up now", func(t *testing.T) {
			mb := newMailbox(t)
			s, r, e := resetServer(t, newStore(t), mb)
			b := newBrowser(t)
			a := r.start()
			p := toReset(t, s, b, a)
			p = b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {p.flowID()}, "code": {e.recoveryCodes[0]}})
			wantResetOffer(t, "before setting it up again", p)
			p = b.post(s, s.URL+"/enrol/protect", url.Values{"flow": {p.flowID()}, "decision": {"setup"}})
			if strings.Contains(p.body, "requires two-step verification") {
				t.Errorf("the offered set-up says it is required: %s", brief(p.body))
			}
			s.Clock.Advance(30 * time.Second)
			_, p = b.enrolTOTP(s, p)
			if c := r.redeem(a, through(t, b, s, p)).claims; c["acr"] != flows.ACRMultiFactor {
				t.Errorf("acr after setting it up again = %v", c["acr"])
			}
			wantAccountOpens(t, "after setting it up again", s, r, b)
		})

		// resetLink asks for the emailed link from a new browser's sign-in and
		// returns the browser, the attempt, the waiting page and the link's token.
		resetLink := func(t *testing.T, s *server, r *rp, mb *mailbox) (*browser, attempt, page, string) {
			t.Helper()
			b := newBrowser(t)
			a := r.start()
			p := toReset(t, s, b, a)
			p = b.post(s, s.URL+"/challenge/reset/email", url.Values{"flow": {p.flowID()}})
			link, _ := url.Parse(mb.wait(t, s.Email, "Reset two-step verification").link(t, s.URL+"/reset-2fa?"))
			return b, a, p, link.Query().Get("token")
		}
		t.Run("emailed link confirmed here", func(t *testing.T) {
			mb := newMailbox(t)
			s, r, _ := resetServer(t, newStore(t), mb)
			b, a, p, token := resetLink(t, s, r, mb)
			flow := p.flowID()
			b.get(s, s.URL+"/reset-2fa?"+url.Values{"flow": {flow}, "token": {token}}.Encode())
			p = b.post(s, s.URL+"/reset-2fa?flow="+url.QueryEscape(flow), url.Values{"token": {token}, "confirm": {"yes"}})
			wantResetOffer(t, "after confirming the emailed link in the signing-in browser", p)
			r.redeem(a, through(t, b, s, notNow(t, b, s, p)))
			wantAccountOpens(t, "after the emailed link", s, r, b)
		})

		t.Run("emailed link confirmed on a phone", func(t *testing.T) {
			mb := newMailbox(t)
			s, r, _ := resetServer(t, newStore(t), mb)
			b, a, p, token := resetLink(t, s, r, mb)
			flow := p.flowID()
			if !strings.Contains(p.body, `href="/challenge?flow=`+flow+`">Continue</a>`) {
				t.Errorf("the waiting page has no way on: %s", brief(p.body))
			}
			done := newBrowser(t).post(s, s.URL+"/reset-2fa?flow="+url.QueryEscape(flow), url.Values{"token": {token}, "confirm": {"yes"}})
			if done.resp.StatusCode != http.StatusOK || !strings.Contains(done.body, "Two-step verification was reset") {
				t.Fatalf("confirming on the phone: %d %s", done.resp.StatusCode, brief(done.body))
			}
			// Reloading the waiting page, or its Continue, goes on to the offer.
			wantResetOffer(t, "the waiting page reloaded", b.get(s, p.url.String()))
			p = b.get(s, s.URL+"/challenge?flow="+url.QueryEscape(flow))
			wantResetOffer(t, "Continue on the waiting page", p)
			r.redeem(a, through(t, b, s, notNow(t, b, s, p)))
			wantAccountOpens(t, "after the link confirmed on a phone", s, r, b)
		})
	})
}
