package e2e

// The forgotten password in headless Chromium on a phone-sized window (390×844):
// from the sign-in page's link to the new password and back to the sign-in, with
// a screenshot of every page.

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage/memory"
)

const (
	selForgotLink  = chromedp.CSS(`.forgot-link a`)
	selNewPassword = chromedp.CSS(`#new`)
	selConfirmPW   = chromedp.CSS(`#confirm`)
	selPWError     = chromedp.CSS(`#password-error`)
	selContinue    = chromedp.CSS(`a.message-link`)
	selSentFacts   = chromedp.CSS(`.facts`)
)

func TestBrowserRecoverOnPhone(t *testing.T) {
	exe := chromiumExecutable(t)
	mb := newMailbox(t)
	s := startServer(t, memory.New(), mb.configure)
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	shot := screenshotter(t)
	ctx := newChrome(t, exe)

	do(t, ctx, "open the sign-in on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(r.start().url),
		chromedp.WaitVisible(selForgotLink),
		shot("01-sign-in"),
	)
	do(t, ctx, "follow the link", chromedp.Click(selForgotLink), chromedp.WaitVisible(selEmail), shot("02-forgot"))
	wantPage(t, ctx, s.URL+"/forgot", "Forgot your password?")
	if focused := get(t, ctx, "which field has the focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "email" {
		t.Errorf("the focus is on %q, want the email field", focused)
	}
	do(t, ctx, "ask for a link",
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selSentFacts),
		shot("03-sent"),
	)
	wantPage(t, ctx, s.URL+"/forgot", "Check your email")
	link := mb.wait(t, s.Email, subjectForgot).link(t, s.URL+"/forgot/reset?")

	do(t, ctx, "open the emailed link", chromedp.Navigate(link), chromedp.WaitVisible(selNewPassword), shot("04-new-password"))
	wantPage(t, ctx, s.URL+"/forgot/reset", "Choose a new password")
	noProblems(t, ctx, "the pages up to the new password") // the refusal that follows answers 400
	do(t, ctx, "a common password",
		chromedp.SendKeys(selNewPassword, "qwertyuiop"),
		chromedp.SendKeys(selConfirmPW, "qwertyuiop"),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selPWError),
		shot("05-common-refused"),
	)
	if msg := get(t, ctx, "read the error", chromedp.Text(selPWError)); !strings.Contains(msg, "10,000 most common") {
		t.Errorf("the error says %q", msg)
	}
	if live := get(t, ctx, "is the error announced", chromedp.Evaluate[bool](`!!document.querySelector('[aria-live] #password-error[role=alert]')`)); !live {
		t.Error("the error is not in a live region")
	}
	newPW := "a quiet harbour at dawn"
	do(t, ctx, "a good password",
		chromedp.SendKeys(selNewPassword, newPW),
		chromedp.SendKeys(selConfirmPW, newPW),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selContinue),
		shot("06-changed"),
	)
	wantPage(t, ctx, s.URL+"/forgot/reset", "Your password was changed")
	do(t, ctx, "back to the sign-in", chromedp.Click(selContinue), chromedp.WaitVisible(selPassword))
	wantPage(t, ctx, s.URL+"/login", "Sign in")

	// An invitation's page is the same form, with its own words.
	if _, err := inviter(t, s, s.Clock.Now()).Invite(context.Background(), admin.InviteSpec{Email: "bob@example.com", GivenName: "Bob"}); err != nil {
		t.Fatal(err)
	}
	invite := mb.wait(t, "bob@example.com", subjectInvite).link(t, s.URL+"/invite?")
	do(t, ctx, "open the invitation", chromedp.Navigate(invite), chromedp.WaitVisible(selNewPassword), shot("07-invitation"))
	wantPage(t, ctx, s.URL+"/invite", "Set your password")
}
