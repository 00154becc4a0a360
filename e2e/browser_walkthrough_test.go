package e2e

// The walkthrough's pages in Chromium (issue 14), on a laptop (900 px) and a
// phone (390 px): the password re-verification that says why and comes back to
// the page asked for, a refused app set-up that keeps the name typed, the
// replace warning, the recovery codes' confirmation a re-verification comes back
// to, the key section a stale "Add a security key" comes back to, the logout
// confirmation with Cancel, and the reset that offers the set-up again.

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/storage/memory"
)

const (
	selNewCodes    = chromedp.CSS(`form[action="/account/recovery-codes/new"] button[type=submit]`)
	selLogoutOut   = chromedp.CSS(`form[action="/logout"] button[type=submit]`)
	selLogoutBack  = chromedp.CSS(`a.btn.btn-secondary`)
	selResetLink   = chromedp.CSS(`a[href^="/challenge/reset?flow="]`)
	selResetEmail  = chromedp.CSS(`form[action="/challenge/reset/email"] button`)
	selContinueBtn = chromedp.CSS(`a.btn.btn-primary[href^="/challenge?flow="]`)
	selConfirmBox  = chromedp.CSS(`input[name=confirm]`)
	selDestructive = chromedp.CSS(`button.btn-destructive`)
)

// bothSizes screenshots the page as it is on the laptop, then on a phone, and
// goes back to the laptop; the layout reflows without a reload.
func bothSizes(shot func(string) chromedp.Action[chromedp.Void], name string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		shot(name + "-laptop"),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Sleep(150 * time.Millisecond),
		shot(name + "-phone"),
		chromedp.EmulateViewport(900, 760),
		chromedp.Sleep(150 * time.Millisecond),
	}
}

// wantText fails the test unless the page's text holds every one of want.
func wantText(t *testing.T, ctx context.Context, what string, want ...string) {
	t.Helper()
	text := get(t, ctx, "read "+what, chromedp.Text(selBody))
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestBrowserWalkthroughPages(t *testing.T) {
	exe := chromiumExecutable(t)
	mb := newMailbox(t)
	s := startServer(t, memory.New(), onLocalhost, mb.configure)
	s.Clock.Advance(-time.Hour)
	app := startBrowserRP(t, s)
	shot := screenshotter(t)
	ctx := newChrome(t, exe)
	step := func() { s.Clock.Advance(30 * time.Second) }

	// A password-only user, signed in for the account page, comes back later.
	do(t, ctx, "sign in for the account page",
		chromedp.Navigate(s.URL+"/account"),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(`#tsv-heading`),
	)
	s.Clock.Advance(6 * time.Minute)
	do(t, ctx, "the password page, stale", chromedp.Navigate(s.URL+"/account/password"), chromedp.WaitVisible(selPassword))
	wantPage(t, ctx, s.URL+"/login", "Confirm it's you")
	wantText(t, ctx, "the re-verification", "Enter your password to change your security settings")
	if v := get(t, ctx, "the email field", chromedp.Value(selEmail)); v != s.Email {
		t.Errorf("the re-verification's email field holds %q, want %q", v, s.Email)
	}
	do(t, ctx, "confirm with the password", append(bothSizes(shot, "01-reverify-password"),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(`input[name=new_password]`))...)
	wantPage(t, ctx, s.URL+"/account/password", "Change your password")

	// Add an app: a wrong code keeps the name typed.
	do(t, ctx, "add an app with a wrong code",
		chromedp.Navigate(s.URL+"/account/totp/add"),
		chromedp.WaitVisible(selSecret),
		chromedp.SendKeys(`#code`, "000000"),
		chromedp.Clear(selDeviceName),
		chromedp.SendKeys(selDeviceName, "Work phone"),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selAlert),
	)
	if v := get(t, ctx, "the device name", chromedp.Value(selDeviceName)); v != "Work phone" {
		t.Errorf("after a wrong code the device name is %q, want the name typed", v)
	}
	do(t, ctx, "screenshot the refused set-up", bothSizes(shot, "02-add-app-wrong-code")...)
	secret := strings.ReplaceAll(get(t, ctx, "read the key", chromedp.Text(selSecret)), " ", "")
	step()
	do(t, ctx, "the right code",
		chromedp.SendKeys(`#code`, totpCode(t, secret, s.Clock.Now())),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selStored),
		chromedp.Click(selStored),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(`a[href="/account/totp/add?replace=1"]`),
	)
	wantPage(t, ctx, s.URL+"/account/apps", "Authenticator apps")
	wantText(t, ctx, "the apps' page", "Authenticator app added.", "Work phone", "Replace all devices")
	do(t, ctx, "screenshot the apps' page", bothSizes(shot, "03-account-apps")...)
	do(t, ctx, "the overview", chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(`#tsv-heading`))
	wantText(t, ctx, "the overview", "Password and authenticator app", "Work phone", "10 of 10 left", "Turn off two-step verification")
	do(t, ctx, "screenshot the overview", bothSizes(shot, "03-account-overview")...)
	do(t, ctx, "the sessions", chromedp.Navigate(s.URL+"/account/sessions"), chromedp.WaitVisible(`#sessions-heading`))
	wantText(t, ctx, "the sessions' page", "This device", "Signed in", "Last used")
	do(t, ctx, "screenshot the sessions", bothSizes(shot, "03-account-sessions")...)
	do(t, ctx, "turning off, asked first", chromedp.Navigate(s.URL+"/account/two-step/off"), chromedp.WaitVisible(`#removed-list`))
	wantText(t, ctx, "the turn-off page", "Work phone", "I understand that my account will be protected by my password only")
	do(t, ctx, "screenshot the turn-off page", bothSizes(shot, "03-account-turn-off")...)
	do(t, ctx, "back to the apps", chromedp.Navigate(s.URL+"/account/apps"), chromedp.WaitVisible(`a[href="/account/totp/add?replace=1"]`))

	// Replace all devices: the warning comes first.
	do(t, ctx, "open Replace all devices", chromedp.Click(`a[href="/account/totp/add?replace=1"]`), chromedp.WaitVisible(`#replace-warning`))
	wantPage(t, ctx, s.URL+"/account/totp/add", "Replace your authenticator apps")
	wantText(t, ctx, "the replace page", "Work phone is removed", "code from the new app", "Verify and replace")
	do(t, ctx, "screenshot the replace warning", bothSizes(shot, "04-replace-warning")...)

	// New recovery codes from a page that went stale: back at the confirmation.
	do(t, ctx, "the recovery codes' page", chromedp.Navigate(s.URL+"/account/recovery-codes"), chromedp.WaitVisible(selNewCodes))
	s.Clock.Advance(6 * time.Minute)
	do(t, ctx, "generate new codes, stale", chromedp.Click(selNewCodes), chromedp.WaitVisible(selOTPNumeric))
	step()
	do(t, ctx, "confirm with the app",
		chromedp.SendKeys(selOTPNumeric, totpCode(t, secret, s.Clock.Now())),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selNewCodes),
	)
	wantPage(t, ctx, s.URL+"/account/recovery-codes/new", "Generate new recovery codes?")
	do(t, ctx, "screenshot the codes' confirmation", bothSizes(shot, "05-new-codes-confirm")...)
	do(t, ctx, "generate them", chromedp.Click(selNewCodes), chromedp.WaitVisible(selRecoveryCode))

	// "Add a security key" on a page that went stale: the script follows the
	// re-verification and the browser comes back to the keys.
	do(t, ctx, "the keys' page", chromedp.Navigate(s.URL+"/account/keys"), chromedp.WaitVisible(selKeyCreate))
	s.Clock.Advance(6 * time.Minute)
	do(t, ctx, "add a key, stale", chromedp.Click(selKeyCreate), chromedp.WaitVisible(selOTPNumeric))
	step()
	do(t, ctx, "confirm with the app",
		chromedp.SendKeys(selOTPNumeric, totpCode(t, secret, s.Clock.Now())),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selKeyCreate),
	)
	if loc := get(t, ctx, "location", chromedp.Location()); loc != s.URL+"/account/keys" {
		t.Errorf("after confirming for a key the browser is at %s", loc)
	}
	problemsBut(t, ctx, "the account pages", "/account/totp/add", "status of 401") // the wrong code, on purpose

	// The logout confirmation has a Cancel.
	q := url.Values{"client_id": {s.ClientID}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}}
	do(t, ctx, "the logout page", chromedp.Navigate(s.URL+"/logout?"+q.Encode()), chromedp.WaitVisible(selLogoutOut))
	wantPage(t, ctx, s.URL+"/logout", "Sign out?")
	do(t, ctx, "screenshot the logout page", bothSizes(shot, "06-logout")...)
	do(t, ctx, "cancel", chromedp.Click(selLogoutBack), chromedp.WaitVisible(selHeading))
	wantPage(t, ctx, s.URL+"/", "Sign-in service")

	// Another browser signs in and resets two-step verification by email; the
	// link confirmed there goes on to the offer.
	other := newChrome(t, exe)
	do(t, other, "sign in at the app",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selResetLink),
		chromedp.Click(selResetLink),
		chromedp.WaitVisible(selResetEmail),
	)
	wantText(t, other, "the reset page", "you can set up two-step verification again with a new app or phone")
	do(t, other, "screenshot the reset page", bothSizes(shot, "07-reset")...)
	do(t, other, "email me a link", chromedp.Click(selResetEmail), chromedp.WaitVisible(selContinueBtn))
	do(t, other, "screenshot the waiting page", bothSizes(shot, "08-reset-sent")...)
	link := mb.wait(t, s.Email, "Reset two-step verification").link(t, s.URL+"/reset-2fa?")
	do(t, other, "confirm the link here",
		chromedp.Navigate(link),
		chromedp.WaitVisible(selConfirmBox),
		chromedp.Click(selConfirmBox),
		chromedp.Click(selDestructive),
		chromedp.WaitVisible(selSetUp),
	)
	wantPage(t, other, s.URL+"/enrol/protect", "Set up two-step verification again")
	wantText(t, other, "the offer", "You reset two-step verification", "Later")
	do(t, other, "screenshot the offer", bothSizes(shot, "09-offer-after-reset")...)
	do(t, other, "set it up now", chromedp.Click(selSetUp), chromedp.WaitVisible(selWizardNext))
	if text := get(t, other, "the set-up", chromedp.Text(selBody)); strings.Contains(text, "requires") {
		t.Errorf("the set-up chosen on the offer says it is required:\n%s", text)
	}
	do(t, other, "screenshot the offered set-up", bothSizes(shot, "10-enrol-offered")...)
	noProblems(t, other, "the reset")
}
