package e2e

// The real-browser test of the company policy's pages: headless Chromium meets
// "Protect your account" during the grace period (and takes "Later"), the
// account page's banner with the deadline, and the interrupt without "Later"
// once the deadline has passed, on a laptop and on a phone.

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage/memory"
)

const (
	selLater  = chromedp.CSS(`button[name=decision][value=later]`)
	selSetUp  = chromedp.CSS(`button[name=decision][value=setup]`)
	selBanner = chromedp.CSS(`.protect-banner`)
)

func TestBrowserProtectYourAccount(t *testing.T) {
	exe := chromiumExecutable(t)
	s := startServer(t, memory.New())
	s.Clock.Advance(-6*day - time.Hour)
	app := startBrowserRP(t, s)
	shot := screenshotter(t)

	// Before any organisation: an app that asks for two-step verification.
	asks := newChrome(t, exe)
	do(t, asks, "an app asks for mfa",
		chromedp.Navigate(app.URL+"/login?"+url.Values{"acr_values": {flows.ACRMultiFactor}}.Encode()),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selLater),
		shot("00-app-asks-laptop"),
	)
	if text := get(t, asks, "read the offer", chromedp.Text(selBody)); !strings.Contains(text, app.Name+" asks for two-step verification") || !strings.Contains(text, "Not now") {
		t.Errorf("the app's offer says: %s", text)
	}
	do(t, asks, "not now", chromedp.Click(selLater), chromedp.WaitVisible(selAllowOrApp))

	companyUser(t, s)
	deadline := s.Clock.Now().Add(5 * day).UTC().Format("2 January 2006")

	// Laptop, during the grace period: the interrupt, then "Later".
	ctx := newChrome(t, exe)
	do(t, ctx, "sign in at the app",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selSetUp),
		shot("01-interrupt-grace-laptop"),
	)
	text := get(t, ctx, "read the interrupt", chromedp.Text(selBody))
	for _, want := range []string{"Protect your account", "5 days left", "until " + deadline, "Set it up now", "Later"} {
		if !strings.Contains(text, want) {
			t.Errorf("the interrupt lacks %q: %s", want, text)
		}
	}
	do(t, ctx, "later", chromedp.Click(selLater), chromedp.WaitVisible(selAllowOrApp))
	if get(t, ctx, "consent?", chromedp.Evaluate[bool](`!!document.querySelector("button[name=decision][value=allow]")`)) {
		do(t, ctx, "allow", chromedp.Click(selAllow), chromedp.WaitVisible(selSignedIn))
	}

	// The account page's banner names the deadline.
	do(t, ctx, "open the account page",
		chromedp.Navigate(s.URL+"/account"),
		chromedp.WaitVisible(selBanner),
		shot("02-account-banner-laptop"),
	)
	if b := get(t, ctx, "read the banner", chromedp.Text(selBanner)); !strings.Contains(b, "set it up by "+deadline) {
		t.Errorf("banner: %s", b)
	}
	do(t, ctx, "the account page on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(selBanner),
		shot("03-account-banner-phone"),
	)

	// Past the deadline, on a phone: the interrupt has no "Later".
	s.Clock.Advance(6 * day)
	phone := newChrome(t, exe)
	do(t, phone, "sign in on a phone past the deadline",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selSetUp),
		shot("04-interrupt-required-phone"),
	)
	text = get(t, phone, "read the interrupt", chromedp.Text(selBody))
	if !strings.Contains(text, "ended on "+deadline) || strings.Contains(text, "Later") {
		t.Errorf("past the deadline the interrupt says: %s", text)
	}
	do(t, phone, "the same on a laptop", chromedp.EmulateViewport(900, 760), chromedp.Reload(),
		chromedp.WaitVisible(selSetUp), shot("05-interrupt-required-laptop"))
	do(t, phone, "set it up now", chromedp.Click(selSetUp), chromedp.WaitVisible(selWizardNext))
	wantPage(t, phone, s.URL+"/account/setup", "Set up two-step verification")
}
