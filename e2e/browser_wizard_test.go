package e2e

// The set-up wizard in headless Chromium on a phone-sized window (390×844): from
// the account page, every step by clicking and typing as a person would, with a
// screenshot of each.

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/storage/memory"
)

const (
	selCodeError  = chromedp.CSS(`#code-error`)
	selToAccount  = chromedp.CSS(`.actions a[href$="/account"]`)
	selStepsCount = chromedp.CSS(`.steps-count`)
)

func TestBrowserWizardOnPhone(t *testing.T) {
	exe := chromiumExecutable(t)
	s, rc := smsServer(t, memory.New())
	shot := screenshotter(t)
	ctx := newChrome(t, exe)
	step := func(want string) {
		t.Helper()
		if got := get(t, ctx, "read the progress", chromedp.Text(selStepsCount)); !strings.HasPrefix(got, want+" · ") {
			t.Errorf("the progress says %q, want %q and the step's name", got, want)
		}
	}

	do(t, ctx, "open the wizard on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(s.URL+"/account/setup"),
		chromedp.WaitVisible(selEmail),
		shot("01-password"),
	)
	step("Step 1 of 7")
	do(t, ctx, "sign in",
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selWizardNext),
		shot("02-get-ready"),
	)
	wantPage(t, ctx, s.URL+"/account/setup", "Set up two-step verification")
	step("Step 2 of 7")

	do(t, ctx, "go on to the app", chromedp.Click(selWizardNext), chromedp.WaitVisible(selSecret), shot("03-scan"))
	wantPage(t, ctx, s.URL+"/account/setup/app", "Scan the QR code")
	step("Step 3 of 7")
	secret := strings.Join(strings.Fields(get(t, ctx, "read the key", chromedp.Text(selSecret))), "")

	do(t, ctx, "go on to the code", chromedp.Click(selWizardNext), chromedp.WaitVisible(selOTP), shot("04-code"))
	wantPage(t, ctx, s.URL+"/account/setup/app/verify", "Enter the code")
	step("Step 4 of 7")
	noProblems(t, ctx, "the wizard up to the code") // the wrong code that follows answers 401
	if focused := get(t, ctx, "which field has the focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "code" {
		t.Errorf("the focus is on %q, want the code field", focused)
	}
	do(t, ctx, "a wrong code",
		chromedp.SendKeys(selOTP, "000000"),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selCodeError),
		shot("04b-wrong-code"),
	)
	if live := get(t, ctx, "is the error announced", chromedp.Evaluate[bool](`!!document.querySelector('[aria-live] #code-error[role=alert]')`)); !live {
		t.Error("the error is not in a live region")
	}
	do(t, ctx, "the right code",
		chromedp.SendKeys(selOTP, totpCode(t, secret, s.Clock.Now())),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selNational),
	)
	wantPage(t, ctx, s.URL+"/account/setup/phone", "Add a backup phone")
	step("Step 5 of 7")
	do(t, ctx, "the backup phone",
		chromedp.SetValue(selCountry, "DE"),
		chromedp.SendKeys(selNational, phoneA),
		shot("05-backup-phone"),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selPhoneCode),
		shot("06-text-code"),
	)
	step("Step 6 of 7")
	if skip := get(t, ctx, "is there a Skip", chromedp.Evaluate[bool](`!!document.querySelector('.links a[href*="recovery-codes"]')`)); !skip {
		t.Error("the phone step cannot be skipped")
	}
	do(t, ctx, "the texted code",
		chromedp.SendKeys(selPhoneCode, rc.lastCode(t, phoneAE164)),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selStored),
		shot("07-recovery-codes"),
	)
	step("Step 7 of 7")
	do(t, ctx, "store the codes",
		chromedp.Click(selStored),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selToAccount),
		shot("08-done"),
	)
	wantPage(t, ctx, s.URL+"/account/setup/done", "Two-step verification is on")
	wantText(t, ctx, "the last page", "Authenticator app", "Text messages to", "10 unused recovery codes")
	do(t, ctx, "back to the account", chromedp.Click(selToAccount), chromedp.WaitVisible(selHeading))
}
