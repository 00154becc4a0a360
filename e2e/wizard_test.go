package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// wantStep checks a wizard page: where the browser is, the progress it shows and
// a text on it.
func wantStep(t *testing.T, what string, p page, path, step, text string) {
	t.Helper()
	if p.callback != nil || p.url.Path != path || !strings.Contains(p.body, step) || !strings.Contains(p.body, text) {
		t.Fatalf("%s: at %s (%d), want %s with %q and %q: %s", what, p.url, p.resp.StatusCode, path, step, text, brief(p.body))
	}
}

// pendingDevices counts the user's authenticator apps: made, and turned on.
func pendingDevices(t *testing.T, s *server, userID string) (all, active int) {
	t.Helper()
	devices, err := s.Store.ListTOTPDevices(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devices {
		if d.Active {
			active++
		}
	}
	return len(devices), active
}

// TestWizardFromAccount walks the set-up wizard (ACC-3) from the account page of
// a password-only user: the password first, then every step with Back, reloads
// and a wrong code on the way; leaving half way turns nothing on, and reloading
// a step makes nothing twice.
func TestWizardFromAccount(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a0 := r.start()
		r.redeem(a0, b.signIn(s, a0.url, s.Email, s.Password))

		// Step 1: a stale session confirms the password first.
		s.Clock.Advance(6 * time.Minute)
		p := b.get(s, s.URL+"/account/setup")
		if !p.isLogin() || !strings.Contains(p.body, "Step 1 of 7") || !strings.Contains(p.body, `value="`+s.Email+`"`) {
			t.Fatalf("the wizard's first step: %s %s", p.url, brief(p.body))
		}
		p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
		wantStep(t, "after the password", p, "/account/setup", "Step 2 of 7", "What you need")

		// Step 3: the app's page names its pending device; a reload, and Back then
		// forward again, show the same key.
		p = b.get(s, s.URL+"/account/setup/app")
		wantStep(t, "the app", p, "/account/setup/app", "Step 3 of 7", "Scan the QR code")
		device := p.url.Query().Get("device")
		key := reSecret.FindStringSubmatch(p.body)
		if device == "" || key == nil {
			t.Fatalf("the app's page names no device or key: %s", p.url)
		}
		for what, again := range map[string]page{
			"reload":        b.get(s, p.url.String()),
			"back, then on": b.get(s, s.URL+"/account/setup/app"),
		} {
			if again.url.Query().Get("device") != device || reSecret.FindStringSubmatch(again.body)[1] != key[1] {
				t.Errorf("%s: another device or key (%s)", what, again.url)
			}
		}
		if all, active := pendingDevices(t, s, s.UserID); all != 1 || active != 0 {
			t.Fatalf("after the app's page: %d devices, %d active; want 1 pending", all, active)
		}
		secret := reTags.ReplaceAllString(key[1], "")

		// Leaving here turns nothing on: the account is still password only.
		if q := b.get(s, s.URL+"/account"); !strings.Contains(q.body, "Password only") {
			t.Errorf("the account page half way: %s", brief(q.body))
		}

		// Step 4: a wrong code keeps the name typed; the right one turns the app on.
		p = b.get(s, s.URL+"/account/setup/app/verify?device="+url.QueryEscape(device))
		wantStep(t, "the code's page", p, "/account/setup/app/verify", "Step 4 of 7", "Enter the code")
		p = b.post(s, s.URL+"/account/setup/app/verify", url.Values{"device": {device}, "device_name": {"Pixel"}, "code": {"000000"}})
		if p.resp.StatusCode != http.StatusUnauthorized || !strings.Contains(p.body, `value="Pixel"`) || !strings.Contains(p.body, `aria-live="assertive"`) {
			t.Fatalf("a wrong code: %d %s", p.resp.StatusCode, brief(p.body))
		}
		if _, active := pendingDevices(t, s, s.UserID); active != 0 {
			t.Fatal("a wrong code turned the app on")
		}
		p = b.post(s, s.URL+"/account/setup/app/verify", url.Values{"device": {device}, "device_name": {"Pixel"}, "code": {totpCode(t, secret, s.Clock.Now())}})
		wantStep(t, "after the code", p, "/account/setup/phone", "Step 5 of 7", "Skip this step")
		waitForMail(t, s, "Two-step verification is on")

		// Steps 5 and 6: a backup phone, proven by its code.
		p = b.post(s, s.URL+"/account/setup/phone", url.Values{"stage": {"number"}, "country": {"DE"}, "national": {phoneA}, "mode": {"backup"}})
		wantStep(t, "after the number", p, "/account/setup/phone", "Step 6 of 7", "We sent a 6-digit code")
		p = b.post(s, s.URL+"/account/setup/phone", url.Values{"stage": {"code"}, "code": {rc.lastCode(t, phoneAE164)}, "mode": {"backup"}})
		wantStep(t, "after the texted code", p, "/account/setup/recovery-codes", "Step 7 of 7", "I have safely copied and stored these codes")
		if ph, ok := storedPhone(t, s, s.UserID); !ok || ph.Primary {
			t.Errorf("the backup phone: %+v %v", ph, ok)
		}

		// Step 7: the codes survive a reload and a refused Continue; stored, they
		// are gone from the page for good.
		codes := recoveryCodesOn(p)
		for what, again := range map[string]page{
			"reload":         b.get(s, s.URL+"/account/setup/recovery-codes"),
			"box not ticked": b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{}),
		} {
			if got := recoveryCodesOn(again); !slices.Equal(got, codes) {
				t.Errorf("%s: the codes changed", what)
			}
		}
		p = b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{"stored": {"yes"}})
		for _, want := range []string{"Two-step verification is on", "Pixel", "Text messages to", "10 unused recovery codes", flows.ACRMultiFactor} {
			if p.url.Path != "/account/setup/done" || !strings.Contains(p.body, want) {
				t.Errorf("the last page lacks %q: %s %s", want, p.url, brief(p.body))
			}
		}
		if q := b.get(s, s.URL+"/account/setup/recovery-codes"); q.url.Path != "/account/setup/done" {
			t.Errorf("the codes' page after they were stored: %s", q.url)
		}
		if total, _, err := s.Store.CountRecoveryCodes(context.Background(), s.UserID); err != nil || total != 10 {
			t.Errorf("recovery codes stored: %d %v", total, err)
		}
		// A code from the page works.
		s.Clock.Advance(30 * time.Second)
		b2 := newBrowser(t)
		a := r.start()
		q := b2.password(s, b2.get(s, a.url), s.Email, s.Password)
		r.redeem(a, through(t, b2, s, b2.code(s, q, "recovery", codes[0])))

		// Turned on, the wizard has nothing left to do.
		if q := b.get(s, s.URL+"/account/setup"); q.url.Path != "/account" {
			t.Errorf("the wizard once two-step verification is on: %s", q.url)
		}
		if all, active := pendingDevices(t, s, s.UserID); all != 1 || active != 1 {
			t.Errorf("in the end: %d devices, %d active; want 1", all, active)
		}
	})
}

// TestWizardSkipsPhone: the backup phone is optional, and without text messages
// the wizard has five steps.
func TestWizardSkipsPhone(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a0 := r.start()
		r.redeem(a0, b.signIn(s, a0.url, s.Email, s.Password))
		p := b.get(s, s.URL+"/account/setup/app")
		wantStep(t, "the app", p, "/account/setup/app", "Step 3 of 5", "Scan the QR code")
		if strings.Contains(p.body, "text message") {
			t.Error("text messages offered without an SMS provider")
		}
		secret := reTags.ReplaceAllString(reSecret.FindStringSubmatch(p.body)[1], "")
		p = b.post(s, s.URL+"/account/setup/app/verify", url.Values{"device": {p.url.Query().Get("device")}, "code": {totpCode(t, secret, s.Clock.Now())}})
		wantStep(t, "after the code", p, "/account/setup/recovery-codes", "Step 5 of 5", "Save your recovery codes")
		// The last page comes only once the codes are stored.
		if q := b.get(s, s.URL+"/account/setup/done"); q.url.Path != "/account/setup/recovery-codes" {
			t.Errorf("the last page before the codes were stored: %s", q.url)
		}
	})
}

func recoveryCodesOn(p page) []string {
	var codes []string
	for _, m := range reRecovery.FindAllStringSubmatch(p.body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// TestTurnOffTwoStep turns two-step verification off (ACC-4): only with the box
// ticked; it removes everything, ends the other sessions, keeps this one at the
// password, tells the user and is audited; an organisation that requires two-step
// verification refuses it.
func TestTurnOffTwoStep(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, b := mfaUser(t, s, r)
		// Another browser signed in with the app.
		s.Clock.Advance(30 * time.Second)
		other := newBrowser(t)
		a := r.start()
		r.redeem(a, through(t, other, s, other.code(s, other.password(s, other.get(s, a.url), s.Email, s.Password), "totp", totpCode(t, e.secret, s.Clock.Now()))))
		ctx := context.Background()

		p := b.get(s, s.URL+"/account/two-step/off")
		for _, want := range []string{"Authenticator app <strong>Test phone</strong>", "10 unused recovery codes", "Your 1 other signed-in browser is signed out"} {
			if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, want) {
				t.Errorf("the turn-off page lacks %q: %d %s", want, p.resp.StatusCode, brief(p.body))
			}
		}
		// Without the tick: a clear error, nothing changed.
		p = b.post(s, s.URL+"/account/two-step/off", url.Values{})
		if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "Tick the box") {
			t.Fatalf("without the tick: %d %s", p.resp.StatusCode, brief(p.body))
		}
		if _, active := pendingDevices(t, s, s.UserID); active != 1 {
			t.Fatal("the app was removed without the tick")
		}

		p = b.post(s, s.URL+"/account/two-step/off", url.Values{"confirm": {"yes"}})
		if p.url.Path != "/account" || !strings.Contains(p.body, "Two-step verification is off") {
			t.Fatalf("after turning off: %s %s", p.url, brief(p.body))
		}
		if all, _ := pendingDevices(t, s, s.UserID); all != 0 {
			t.Errorf("%d apps left", all)
		}
		if total, _, _ := s.Store.CountRecoveryCodes(ctx, s.UserID); total != 0 {
			t.Errorf("%d recovery codes left", total)
		}
		waitForMail(t, s, "Two-step verification is off")
		if !hasAuditEvent(t, s, "mfa.turned_off") {
			t.Error("turning off was not audited")
		}
		// The other browser is signed out; this one is at the password only.
		if q := other.get(s, r.start(param("prompt", "none")).url); authError(q) != "login_required" {
			t.Errorf("the other browser after turning off: %s", where(q))
		}
		a = r.start(param("prompt", "none"))
		q := b.get(s, a.url)
		if q.callback == nil || q.callback.Query().Get("code") == "" {
			t.Fatalf("this browser after turning off: %s", where(q))
		}
		if c := r.redeem(a, q.callback).claims; c["acr"] != flows.ACRPassword || slices.Contains(toStrings(c["amr"]), "otp") {
			t.Errorf("this browser's sign-in still counts the app: acr %v amr %v", c["acr"], c["amr"])
		}
	})
}

// TestTurnOffRefusedByOrganisation: a user whom the organisation's policy covers
// cannot turn two-step verification off, by the page or by a forged post.
func TestTurnOffRefusedByOrganisation(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		_, b := mfaUser(t, s, r)
		companyUser(t, s)
		deadline := s.Clock.Now().Add(5 * day).UTC().Format("2 January 2006")
		for what, p := range map[string]page{
			"page": b.get(s, s.URL+"/account/two-step/off"),
			"post": b.post(s, s.URL+"/account/two-step/off", url.Values{"confirm": {"yes"}}),
		} {
			if p.resp.StatusCode != http.StatusForbidden || !strings.Contains(p.body, "Your organisation requires two-step verification") || !strings.Contains(p.body, deadline) {
				t.Errorf("%s: %d %s", what, p.resp.StatusCode, brief(p.body))
			}
		}
		if _, active := pendingDevices(t, s, s.UserID); active != 1 {
			t.Fatal("the app was removed against the organisation's policy")
		}
	})
}

// hasAuditEvent reports whether the user's audit log holds an event of type typ.
func hasAuditEvent(t *testing.T, s *server, typ string) bool {
	t.Helper()
	events, err := s.Store.ListAudit(context.Background(), storage.AuditFilter{UserID: s.UserID})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(events, func(e storage.AuditEvent) bool { return e.Type == typ })
}
