package e2e

// The real-browser test of two-step verification: headless Chromium sets up an
// authenticator app on the pages an app's essential multi-factor request leads
// to, keeps the recovery codes, and later signs in with a code from the app and
// with a recovery code, each time in a new browser without a session.

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

const (
	selOTP          = chromedp.CSS(`input[autocomplete=one-time-code]`)
	selOTPNumeric   = chromedp.CSS(`input[autocomplete=one-time-code][inputmode=numeric]`)
	selDeviceName   = chromedp.CSS(`input[name=device_name]`)
	selSecret       = chromedp.CSS(`.secret`)
	selWizardNext   = chromedp.CSS(`.actions a.btn-primary`)
	selWizardDone   = chromedp.CSS(`form[action$="/account/setup/done"] button`)
	selRecoveryCode = chromedp.CSS(`code.code`)
	selStored       = chromedp.CSS(`input[name=stored]`)
	selRecoveryIn   = chromedp.CSS(`input[name=code].input-recovery`)
	selHeading      = chromedp.CSS(`main h1`)
	// selAllowOrApp is the consent page's Allow or, when consent was given
	// before, the app's page.
	selAllowOrApp = chromedp.CSS(`button[name=decision][value=allow], #signed-in`)
	// selUseRecovery is the challenge page's link to the recovery code form.
	selUseRecovery = chromedp.Search(`//a[normalize-space(.)='Use a recovery code']`)
)

// reBase32Key is a TOTP key as shown for typing: base32 without padding.
var reBase32Key = regexp.MustCompile(`^[A-Z2-7]{16,}$`)

func TestBrowserEnrolsAuthenticatorAppAndSignsIn(t *testing.T) {
	exe := chromiumExecutable(t)
	backends(t, func(t *testing.T, newStore func(t *testing.T) storage.Storage) {
		t.Parallel()
		start := time.Now()
		s := startServer(t, newStore(t))
		// Lockstep's clock an hour back, so the test can move it on to new TOTP steps.
		s.Clock.Advance(-time.Hour)
		app := startBrowserRP(t, s)
		shot := screenshotter(t)

		// 1. The app asks for an essential multi-factor acr; the user has no second
		// factor yet, so after the password Lockstep asks to set one up.
		ctx := newChrome(t, exe)
		do(t, ctx, "open the app's sign-in link asking for multi-factor",
			chromedp.Navigate(app.URL+"/login?"+url.Values{"claims": {essentialMFA}}.Encode()),
			chromedp.WaitVisible(selEmail),
			shot("01-login"),
		)
		do(t, ctx, "submit the password",
			chromedp.SendKeys(selEmail, s.Email),
			chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selWizardNext),
		)
		wantPage(t, ctx, s.URL+"/account/setup", "Set up two-step verification")
		do(t, ctx, "screenshot the wizard's first page, then go on to the app's",
			shot("02-wizard-about"),
			chromedp.Click(selWizardNext),
			chromedp.WaitVisible(selSecret),
		)
		wantPage(t, ctx, s.URL+"/account/setup/app", "Scan the QR code")

		// The QR code is an image that loaded, not a broken one.
		qr := get(t, ctx, "wait for the QR code to load", chromedp.Poll[qrImage](`(() => {
			const i = document.querySelector('.qr img');
			return i && i.complete ? {src: i.getAttribute('src'), width: i.naturalWidth, height: i.naturalHeight} : null;
		})()`, chromedp.WithPollingTimeout(5*time.Second)))
		if qr.Width <= 0 || qr.Height <= 0 {
			t.Errorf("the QR code image %s did not load (natural size %dx%d)", qr.Src, qr.Width, qr.Height)
		}
		t.Logf("QR code %s: %dx%d", qr.Src, qr.Width, qr.Height)
		do(t, ctx, "screenshot the app's page", shot("03-wizard-scan"))

		// The key for typing by hand, as a person would copy it into an app.
		shown := get(t, ctx, "read the key", chromedp.Text(selSecret))
		secret := strings.Join(strings.Fields(shown), "")
		if !reBase32Key.MatchString(secret) {
			t.Fatalf("the key shown for manual entry is %q (%q), want base32", shown, secret)
		}
		do(t, ctx, "go on to the code", chromedp.Click(selWizardNext), chromedp.WaitVisible(selOTP))
		if name := get(t, ctx, "read the device name", chromedp.Value(selDeviceName)); strings.TrimSpace(name) == "" {
			t.Error("the device name field has no suggested name")
		}
		do(t, ctx, "enter the app's code",
			// Not SetValue(sel, ""): chromedp passes the empty string as no argument.
			chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=device_name]').value = ''`),
			chromedp.SendKeys(selDeviceName, "Chromium phone"),
			chromedp.SendKeys(selOTP, totpCode(t, secret, s.Clock.Now())),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selRecoveryCode),
		)
		wantPage(t, ctx, "", "Save your recovery codes")
		do(t, ctx, "screenshot the recovery codes", shot("04-recovery-codes"))

		readCodes := func() []string {
			t.Helper()
			return get(t, ctx, "read the recovery codes", chromedp.Evaluate[[]string](
				`[...document.querySelectorAll('code.code')].map(c => c.textContent.trim())`))
		}
		codes := readCodes()
		if len(codes) != 10 || slices.Contains(codes, "") || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
			t.Fatalf("the recovery codes page shows %q, want 10 different codes", codes)
		}

		// Continue without ticking the box: the browser's own validation keeps the
		// form (the box is required), so the page and its codes stay.
		if req := get(t, ctx, "is the box required", chromedp.Evaluate[bool](`document.querySelector('input[name=stored]').required`)); !req {
			t.Error("the box \"I have safely copied and stored these codes\" is not required")
		}
		if label := get(t, ctx, "read the button", chromedp.Text(selSubmit)); strings.TrimSpace(label) != "Continue" {
			t.Errorf("the recovery codes page's button says %q, want Continue", label)
		}
		do(t, ctx, "continue without ticking the box",
			chromedp.Evaluate[chromedp.Void](`window.lockstepSamePage = true`),
			chromedp.Click(selSubmit),
			chromedp.Sleep(300*time.Millisecond),
		)
		if same, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.lockstepSamePage === true`)); !same {
			t.Error("Continue without ticking the box left the page")
		}
		if missing := get(t, ctx, "is the box invalid", chromedp.Evaluate[bool](`document.querySelector('input[name=stored]').validity.valueMissing`)); !missing {
			t.Error("the unticked box is not reported as missing")
		}
		if again := readCodes(); !slices.Equal(again, codes) {
			t.Errorf("after Continue without the box the codes changed from %q to %q", codes, again)
		}

		do(t, ctx, "tick the box and continue",
			chromedp.Click(selStored),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selWizardDone),
		)
		wantPage(t, ctx, s.URL+"/account/setup/done", "Two-step verification is on")
		do(t, ctx, "continue to the app",
			shot("05-wizard-done"),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAllowOrApp),
		)
		finishAtApp(t, ctx, s, app, shot, "06-consent", "07-app-signed-in-after-enrolment")
		c := app.result().claims
		if c.Subject != s.UserID {
			t.Errorf("sub = %q, want %q", c.Subject, s.UserID)
		}
		wantMFA(t, c, "after enrolment")
		noProblems(t, ctx, "enrolment")

		// 2. A new browser, no session: the password, then a code from the app.
		ctx2 := newChrome(t, exe)
		signInPassword(t, ctx2, s, app, "08-challenge-totp", shot)
		if inputmode := get(t, ctx2, "read the code field's inputmode", chromedp.Evaluate[string](
			`document.querySelector('input[autocomplete=one-time-code]').inputMode`)); inputmode != "numeric" {
			t.Errorf("the code field has inputmode %q, want numeric", inputmode)
		}
		s.Clock.Advance(30 * time.Second) // a new step: the enrolment's code is used
		do(t, ctx2, "enter the app's code",
			chromedp.SendKeys(selOTPNumeric, totpCode(t, secret, s.Clock.Now())),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAllowOrApp),
		)
		finishAtApp(t, ctx2, s, app, shot, "09-consent-again", "10-app-signed-in-with-code")
		wantMFA(t, app.result().claims, "with a code from the app")
		noProblems(t, ctx2, "sign-in with a code")

		// 3. Another new browser: the password, then a recovery code, typed in
		// capitals although the page shows it in small letters.
		ctx3 := newChrome(t, exe)
		signInPassword(t, ctx3, s, app, "", shot)
		do(t, ctx3, "choose a recovery code",
			chromedp.Click(selUseRecovery),
			chromedp.WaitVisible(selRecoveryIn),
			shot("11-challenge-recovery"),
		)
		if loc := get(t, ctx3, "location", chromedp.Location()); !strings.Contains(loc, "method=recovery") {
			t.Errorf("the recovery code form is at %s, want method=recovery", loc)
		}
		do(t, ctx3, "enter a recovery code",
			chromedp.SendKeys(selRecoveryIn, strings.ToUpper(codes[2])),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAllowOrApp),
		)
		finishAtApp(t, ctx3, s, app, shot, "12-consent-again", "13-app-signed-in-with-recovery-code")
		wantMFA(t, app.result().claims, "with a recovery code")
		noProblems(t, ctx3, "sign-in with a recovery code")

		t.Logf("browser enrolment and two sign-ins took %v", time.Since(start).Round(time.Millisecond))
	})
}

// qrImage is what the browser reports of the QR code image.
type qrImage struct {
	Src    string `json:"src"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// screenshotter returns an action that saves a full-page screenshot into the
// test's screenshot folder.
func screenshotter(t *testing.T) func(name string) chromedp.Action[chromedp.Void] {
	t.Helper()
	dir := screenshotDir(t)
	return func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tgt)
			if err != nil {
				return err
			}
			file := filepath.Join(dir, name+".png")
			t.Logf("screenshot %s", file)
			return os.WriteFile(file, png, 0o644)
		})
	}
}

// wantPage checks the browser's location (when want is not empty) and the page's
// heading.
func wantPage(t *testing.T, ctx context.Context, want, heading string) {
	t.Helper()
	if want != "" {
		loc := get(t, ctx, "location", chromedp.Location())
		if u, err := url.Parse(loc); err != nil || u.Scheme+"://"+u.Host+u.Path != want {
			t.Errorf("the browser is at %s, want %s", loc, want)
		}
	}
	if h := get(t, ctx, "read the heading", chromedp.Text(selHeading)); strings.TrimSpace(h) != heading {
		t.Errorf("the page's heading is %q, want %q", h, heading)
	}
}

// signInPassword starts a multi-factor sign-in at the app and gives the password;
// it ends on the challenge page, which it screenshots as name when name is set.
func signInPassword(t *testing.T, ctx context.Context, s *server, app *browserRP, name string, shot func(string) chromedp.Action[chromedp.Void]) {
	t.Helper()
	do(t, ctx, "sign in with the password at multi-factor",
		chromedp.Navigate(app.URL+"/login?"+url.Values{"acr_values": {flows.ACRMultiFactor}}.Encode()),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selOTPNumeric),
	)
	wantPage(t, ctx, s.URL+"/challenge", "Two-step verification")
	if name != "" {
		do(t, ctx, "screenshot the challenge page", shot(name))
	}
}

// finishAtApp allows on the consent page, if the browser is on it, and waits for
// the app's page, which says who signed in.
func finishAtApp(t *testing.T, ctx context.Context, s *server, app *browserRP, shot func(string) chromedp.Action[chromedp.Void], consentShot, appShot string) {
	t.Helper()
	consent := get(t, ctx, "is it the consent page", chromedp.Evaluate[bool](`!!document.querySelector('button[name=decision][value=allow]')`))
	if consent {
		do(t, ctx, "allow",
			shot(consentShot),
			chromedp.Click(selAllow),
			chromedp.WaitVisible(selSignedIn),
		)
	}
	do(t, ctx, "screenshot the app", shot(appShot))
	if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, app.URL+"/callback?") {
		t.Errorf("the browser is at %s, want the app's callback", loc)
	}
	if text, want := get(t, ctx, "read the app's page", chromedp.Text(selBody)), "signed in as "+s.UserID; !strings.Contains(text, want) {
		t.Errorf("the app's page says %q, want it to contain %q", text, want)
	}
	if err := app.result().err; err != nil {
		t.Fatalf("the app could not complete the sign-in: %v", err)
	}
}

// wantMFA checks the ID token of a multi-factor sign-in with an authenticator app
// (or one of its recovery codes).
func wantMFA(t *testing.T, c idClaims, when string) {
	t.Helper()
	if c.ACR != flows.ACRMultiFactor {
		t.Errorf("%s: acr = %q, want %q", when, c.ACR, flows.ACRMultiFactor)
	}
	if want := []string{"pwd", "otp", "mfa"}; !slices.Equal(c.AMR, want) {
		t.Errorf("%s: amr = %q, want %q", when, c.AMR, want)
	}
}

// noProblems fails the test with what the browser complained about.
func noProblems(t *testing.T, ctx context.Context, part string) {
	t.Helper()
	if errs := chromeProblems(ctx); len(errs) > 0 {
		t.Errorf("%s: the browser reported problems:\n%s", part, strings.Join(errs, "\n"))
	}
}
