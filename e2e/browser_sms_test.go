package e2e

// The real-browser test of text-message codes: headless Chromium sets up a phone
// number on the account page through its form (country list, national number, the
// code texted to it), then signs in at an app: password, "Text me a code", the
// code, and back at the app with a multi-factor ID token.

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

const (
	selAddPhone  = chromedp.CSS(`a[href="/account/phone?change=1"]`)
	selCountry   = chromedp.CSS(`select#country`)
	selNational  = chromedp.CSS(`input#national`)
	selPhoneCode = chromedp.CSS(`form input[name=stage][value=code] ~ .field input#code`)
	selTextMe    = chromedp.CSS(`form[action="/challenge/sms"] button[type=submit]`)
	selAccount   = chromedp.CSS(`#phone-heading`)
)

func TestBrowserSMSEnrolPhoneAndSignIn(t *testing.T) {
	exe := chromiumExecutable(t)
	backends(t, func(t *testing.T, newStore func(t *testing.T) storage.Storage) {
		t.Parallel()
		s, rc := smsServer(t, newStore(t))
		app := startBrowserRP(t, s)
		shot := screenshotter(t)

		// 1. The account page: the password, then "Add a phone number".
		ctx := newChrome(t, exe)
		do(t, ctx, "sign in for the account page",
			chromedp.Navigate(s.URL+"/account/sms"),
			chromedp.WaitVisible(selEmail),
			chromedp.SendKeys(selEmail, s.Email),
			chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAddPhone),
		)
		wantPage(t, ctx, s.URL+"/account/sms", "Text messages")
		do(t, ctx, "open the phone form",
			chromedp.Click(selAddPhone),
			chromedp.WaitVisible(selNational),
		)
		wantPage(t, ctx, s.URL+"/account/phone", "Set up text message codes")
		if c := get(t, ctx, "read the preselected country", chromedp.Value(selCountry)); c != "US" {
			t.Errorf("the preselected country is %q, want US", c)
		}

		// A number that is not one: the page says so and keeps what was typed.
		do(t, ctx, "choose Germany and type a short number",
			chromedp.SetValue(selCountry, "DE"),
			chromedp.SendKeys(selNational, "123"),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAlert),
		)
		if msg := get(t, ctx, "read the error", chromedp.Text(selAlert)); !strings.Contains(msg, txtPhoneDigits) {
			t.Errorf("the error for a short number is %q", msg)
		}
		if c := get(t, ctx, "read the country after the error", chromedp.Value(selCountry)); c != "DE" {
			t.Errorf("after the error the country is %q, want DE kept", c)
		}
		if rc.total() != 0 {
			t.Fatal("a text went to an invalid number")
		}
		shown := get(t, ctx, "read the selected country's label", chromedp.Evaluate[string](
			`document.querySelector('select#country').selectedOptions[0].textContent`))
		if shown != "Germany (+49)" {
			t.Errorf("the selected country reads %q, want \"Germany (+49)\"", shown)
		}
		do(t, ctx, "type the mobile number",
			chromedp.Evaluate[chromedp.Void](`document.querySelector('input#national').value = ''`),
			chromedp.SendKeys(selNational, phoneA),
			shot("01-phone-form"),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selPhoneCode),
			shot("02-phone-code-stage"),
		)
		wantPage(t, ctx, s.URL+"/account/phone", "Set up text message codes")
		if lead := get(t, ctx, "read the lead", chromedp.Text(chromedp.CSS(`main p.lead`))); !strings.Contains(lead, "+49 ••• ••• 89") {
			t.Errorf("the code stage says %q, want the masked number", lead)
		}
		if _, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatal("the number was stored before its code")
		}
		do(t, ctx, "enter the texted code",
			chromedp.SendKeys(selPhoneCode, rc.lastCode(t, phoneAE164)),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selStored),
		)
		wantPage(t, ctx, "", "Save your recovery codes")
		do(t, ctx, "keep the recovery codes",
			chromedp.Click(selStored),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAccount),
			shot("03-account-with-phone"),
		)
		panel := get(t, ctx, "read the phone panel", chromedp.Text(chromedp.CSS(`section[aria-labelledby=phone-heading]`)))
		if !strings.Contains(panel, "+49 ••• ••• 89") || !strings.Contains(panel, "Main method") {
			t.Errorf("the account page's phone panel reads %q", panel)
		}
		if ph, ok := storedPhone(t, s, s.UserID); !ok || ph.E164 != phoneAE164 {
			t.Fatalf("stored phone %+v (%v), want %s", ph, ok, phoneAE164)
		}
		// The 400 of the refused short number is part of the test.
		problemsBut(t, ctx, "phone set-up", "/account/phone", "status of 400")

		// 2. A new browser signs in at the app: password, then a texted code.
		ctx2 := newChrome(t, exe)
		do(t, ctx2, "sign in with the password at multi-factor",
			chromedp.Navigate(app.URL+"/login?acr_values="+flows.ACRMultiFactor),
			chromedp.WaitVisible(selEmail),
			chromedp.SendKeys(selEmail, s.Email),
			chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selTextMe),
			shot("04-challenge-sms-text-me"),
		)
		wantPage(t, ctx2, s.URL+"/challenge", "Two-step verification")
		if label := get(t, ctx2, "read the button", chromedp.Text(selTextMe)); strings.TrimSpace(label) != txtTextMe {
			t.Errorf("the button says %q", label)
		}
		sent := len(rc.to(phoneAE164))
		do(t, ctx2, "text me a code",
			chromedp.Click(selTextMe),
			chromedp.WaitVisible(selOTPNumeric),
			shot("05-challenge-sms-code"),
		)
		if len(rc.to(phoneAE164)) != sent+1 {
			t.Fatal("no text after pressing the button")
		}
		if note := get(t, ctx2, "read the notice", chromedp.Text(chromedp.CSS(`[role=status]`))); !strings.Contains(note, txtSMSSent) {
			t.Errorf("the notice reads %q", note)
		}
		if hint := get(t, ctx2, "read the resend hint", chromedp.Text(chromedp.CSS(`#resend-hint`))); !strings.Contains(hint, "You can ask for a new code in") {
			t.Errorf("the resend hint reads %q", hint)
		}

		// A wrong code first: the page says so and stays.
		code := rc.lastCode(t, phoneAE164)
		wrong := string(rune('0'+(code[0]-'0'+1)%10)) + code[1:]
		do(t, ctx2, "enter a wrong code",
			chromedp.SendKeys(selOTPNumeric, wrong),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAlert),
			shot("06-challenge-sms-wrong-code"),
		)
		if msg := get(t, ctx2, "read the error", chromedp.Text(selAlert)); !strings.Contains(msg, txtWrongSMS) {
			t.Errorf("a wrong code says %q", msg)
		}
		if app.result().err == nil {
			t.Fatal("a wrong code reached the app")
		}
		do(t, ctx2, "enter the texted code",
			chromedp.Evaluate[chromedp.Void](`document.querySelector('input[autocomplete=one-time-code]').value = ''`),
			chromedp.SendKeys(selOTPNumeric, code),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAllowOrApp),
		)
		finishAtApp(t, ctx2, s, app, shot, "07-consent", "08-app-signed-in-with-sms")
		c := app.result().claims
		if c.ACR != flows.ACRMultiFactor || !slices.Equal(c.AMR, []string{"pwd", "sms", "mfa"}) {
			t.Errorf("after the SMS sign-in acr = %q, amr = %q", c.ACR, c.AMR)
		}
		// The 401 of the wrong code is part of the test.
		problemsBut(t, ctx2, "sign-in", "/challenge", "status of 401")
	})
}

// problemsBut fails the test with what the browser complained about, except the
// refusal the test caused on purpose (both strings in the complaint).
func problemsBut(t *testing.T, ctx context.Context, part, path, status string) {
	t.Helper()
	var other []string
	for _, p := range chromeProblems(ctx) {
		if !strings.Contains(p, path) || !strings.Contains(p, status) {
			other = append(other, p)
		}
	}
	if len(other) > 0 {
		t.Errorf("%s: the browser reported problems:\n%s", part, strings.Join(other, "\n"))
	}
}
