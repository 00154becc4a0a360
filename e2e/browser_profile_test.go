package e2e

// The profile page in Chromium (ACC-6), on a laptop (900 px) and a phone (390 px):
// the page as it opens, a refused name that keeps what was typed with the
// field's message, the saved name, a refused address, the link sent, the
// emailed link's confirmation and the changed address.

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
	selNewEmail   = chromedp.CSS(`#new-email`)
	selSendLink   = chromedp.CSS(`form[action="/account/profile/email"] button[type=submit]`)
	selEmailError = chromedp.CSS(`#email-error`)
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
		shot("00-account-laptop"),
		chromedp.Click(`a[href="/account/profile"]`),
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

	// Another account's address is refused under the field.
	bob := addAccount(t, s, "bob")
	do(t, ctx, "ask for bob's address",
		chromedp.SendKeys(selNewEmail, bob.Email),
		chromedp.Click(selSendLink),
		chromedp.WaitVisible(selEmailError),
	)
	wantText(t, ctx, "the refused address", "That email address is used by another account.")
	do(t, ctx, "screenshot the refused address", bothSizes(shot, "04-profile-email-taken")...)

	// A new address: the link goes there, the page says so.
	const next = "zoe@example.org"
	do(t, ctx, "ask for a new address",
		chromedp.Clear(selNewEmail),
		chromedp.SendKeys(selNewEmail, next),
		chromedp.Click(selSendLink),
		chromedp.WaitVisible(selNotice),
	)
	wantText(t, ctx, "the page after asking", "We sent a link to your new address", s.Email)
	do(t, ctx, "screenshot the link sent", bothSizes(shot, "05-profile-link-sent")...)
	link := mb.wait(t, next, subjectConfirmEmail).link(t, s.URL+"/account/profile/email/confirm?token=")

	// The link asks to confirm; confirming changes the address.
	do(t, ctx, "open the link", chromedp.Navigate(link), chromedp.WaitVisible(selSubmit))
	wantPage(t, ctx, s.URL+"/account/profile/email/confirm", "Confirm your new email address")
	wantText(t, ctx, "the confirmation", s.Email, next)
	do(t, ctx, "screenshot the confirmation", bothSizes(shot, "06-email-confirm")...)
	do(t, ctx, "confirm", chromedp.Click(selSubmit), chromedp.WaitVisible(`.status-success`))
	wantPage(t, ctx, s.URL+"/account/profile/email/confirm", "Email address changed")
	do(t, ctx, "screenshot the changed address", bothSizes(shot, "07-email-changed")...)
	do(t, ctx, "back to the profile", chromedp.Click(`a.message-link`), chromedp.WaitVisible(selGiven))
	wantText(t, ctx, "the profile after the change", next, "Confirmed")
	do(t, ctx, "screenshot the confirmed profile", shot("08-profile-confirmed-laptop"))
	// The two refused forms answered 400, on purpose.
	problemsBut(t, ctx, "the profile", "/account/profile/", "400")
}
