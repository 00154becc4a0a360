package e2e

// The profile page in Chromium (ACC-6), on a laptop (900 px) and a phone (390 px):
// the page as it opens, a refused name that keeps what was typed with the
// field's message, and the saved name.

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/storage/memory"
)

const (
	selGiven      = chromedp.CSS(`#given`)
	selFamily     = chromedp.CSS(`#family`)
	selSaveNames  = chromedp.CSS(`form[action="/account/profile/names"] button[type=submit]`)
	selGivenError = chromedp.CSS(`#given-error`)
	selNotice     = chromedp.CSS(`main [role=status]`)
)

func TestBrowserProfile(t *testing.T) {
	exe := chromiumExecutable(t)
	mb := newMailbox(t)
	s := startServer(t, memory.New(), mb.configure)
	shot := screenshotter(t)
	ctx := newChrome(t, exe)

	// The account page links to the profile, which asks for the password first.
	do(t, ctx, "sign in for the account page",
		chromedp.Navigate(s.URL+"/account"),
		chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(`#tsv-heading`),
		chromedp.Click(`a[href="account/profile"]`),
		chromedp.WaitVisible(selGiven),
	)
	wantPage(t, ctx, s.URL+"/account/profile", "Profile")
	wantText(t, ctx, "the profile page", "Given name", "Family name", s.Email, "Not confirmed", "Send confirmation link")
	do(t, ctx, "screenshot the profile", bothSizes(shot, "01-profile")...)

	// An initial is not a given name: the field says so and keeps it.
	do(t, ctx, "save an initial",
		chromedp.Clear(selGiven),
		chromedp.SendKeys(selGiven, "J"),
		chromedp.Clear(selFamily),
		chromedp.SendKeys(selFamily, "O’Neil"),
		chromedp.Click(selSaveNames),
		chromedp.WaitVisible(selGivenError),
	)
	wantText(t, ctx, "the refused form", "Your given name needs at least 2 letters.")
	if v := get(t, ctx, "the given name", chromedp.Value(selGiven)); v != "J" {
		t.Errorf("after a refused name the field holds %q, want %q", v, "J")
	}
	if v := get(t, ctx, "the family name", chromedp.Value(selFamily)); v != "O’Neil" {
		t.Errorf("after a refused name the family field holds %q, want %q", v, "O’Neil")
	}
	if focused := get(t, ctx, "the focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "given" {
		t.Errorf("after a refused name the focus is on %q, want the given name", focused)
	}
	do(t, ctx, "screenshot the refused name", bothSizes(shot, "02-profile-error")...)
	problemsBut(t, ctx, "the refused name", "/account/profile/names", "400")

	// Decomposed, as some keyboards type it (set as a value: key events would
	// compose it): saved as Zoë.
	do(t, ctx, "save Zoë",
		chromedp.SetValue(selGiven, "Zoe\u0308"),
		chromedp.Click(selSaveNames),
		chromedp.WaitVisible(selNotice),
	)
	wantText(t, ctx, "the saved profile", "Your name was saved.")
	if v := get(t, ctx, "the given name", chromedp.Value(selGiven)); v != "Zo\u00eb" {
		t.Errorf("the saved given name is %q, want %q", v, "Zo\u00eb")
	}
	do(t, ctx, "screenshot the saved profile", bothSizes(shot, "03-profile-saved")...)
}
