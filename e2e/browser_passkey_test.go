package e2e

// The real-browser test of passkeys: headless Chromium, with the DevTools virtual
// authenticator as a platform authenticator that keeps discoverable credentials
// and verifies its user, adds a passkey on the account page and later signs in
// with it alone, without the email address or the password.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

const (
	selPasskeyCheck  = chromedp.CSS(`#webauthn-add input[name=passkey]`)
	selPasskeySignIn = chromedp.CSS(`#passkey-form button[data-webauthn="get"]`)
	selPasskeyError  = chromedp.CSS(`#passkey-error`)
	// The app (or its consent page), or the login page's passkey error.
	selAppOrPasskeyError = chromedp.CSS(`button[name=decision][value=allow], #signed-in, #passkey-error:not([hidden])`)
)

func TestBrowserPasskey(t *testing.T) {
	exe := chromiumExecutable(t)
	backends(t, func(t *testing.T, newStore func(t *testing.T) storage.Storage) {
		t.Parallel()
		start := time.Now()
		s := startServer(t, newStore(t), onLocalhost)
		app := startBrowserRP(t, s)
		shot := screenshotter(t)
		ctx := newChrome(t, exe)

		// The browser's platform authenticator: it keeps discoverable credentials
		// and verifies its user, as a laptop's fingerprint reader does.
		credentials := addVirtualAuthenticator(t, ctx, webauthn.AuthenticatorTransportInternal, true)

		// 1. A plain sign-in with the password.
		passwordSignIn(t, ctx, s, app, shot, "00-login", "01-consent", "02-app-signed-in-with-password")

		// 2. The account page: add a passkey. The first second factor shows the
		// recovery codes, then the new passkey confirms the change.
		do(t, ctx, "open the account page",
			chromedp.Navigate(s.URL+"/account/keys"),
			chromedp.WaitVisible(selKeyCreate),
		)
		wantPage(t, ctx, s.URL+"/account/keys", "Security keys and passkeys")
		do(t, ctx, "name the passkey and make it one",
			chromedp.SendKeys(selKeyName, "Laptop passkey"),
			chromedp.Click(selPasskeyCheck),
			shot("03-account-add-passkey"),
		)
		if !get(t, ctx, "read the passkey checkbox", chromedp.Evaluate[bool](`document.querySelector('#webauthn-add input[name=passkey]').checked`)) {
			t.Fatal("the passkey checkbox is not ticked")
		}
		do(t, ctx, "add the passkey",
			chromedp.Click(selKeyCreate),
			chromedp.WaitVisible(selKeyGetOrAddError),
		)
		if msg := visibleText(t, ctx, selKeyAddError); msg != "" {
			do(t, ctx, "screenshot the error", shot("04-account-add-passkey-failed"))
			t.Fatalf("adding the passkey failed on the account page: %q\nbrowser console:\n%s", msg, strings.Join(chromeProblems(ctx), "\n"))
		}
		creds := credentials()
		if len(creds) != 1 {
			t.Fatalf("after adding the passkey the virtual authenticator holds %d credentials, want 1", len(creds))
		}
		if !creds[0].IsResidentCredential {
			t.Error("the passkey is not a discoverable (resident) credential")
		}
		do(t, ctx, "store the recovery codes",
			shot("04-recovery-codes"),
			chromedp.Click(selStored),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selKeyGet),
		)
		wantPage(t, ctx, s.URL+"/challenge", "Confirm it's you")
		do(t, ctx, "screenshot the confirmation", shot("05-confirm-with-new-passkey"))
		do(t, ctx, "confirm with the new passkey",
			chromedp.Click(selKeyGet),
			chromedp.WaitVisible(selAccountOrKeyError),
		)
		if msg := visibleText(t, ctx, selKeyGetError); msg != "" {
			do(t, ctx, "screenshot the error", shot("06-confirm-failed"))
			t.Fatalf("confirming with the new passkey failed: %q\nbrowser console:\n%s", msg, strings.Join(chromeProblems(ctx), "\n"))
		}
		wantPage(t, ctx, s.URL+"/account/keys", "Security keys and passkeys")
		do(t, ctx, "screenshot the account page", shot("06-account-with-passkey"))
		names := get(t, ctx, "read the keys", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('.device-name')].map(n => n.textContent.trim())`))
		if !slices.Contains(names, "Laptop passkey") {
			t.Errorf("the account page lists %q, want \"Laptop passkey\" among them", names)
		}
		noProblems(t, ctx, "adding the passkey")

		// 3. Sign out, then sign in with the passkey alone: no email address, no
		// password.
		do(t, ctx, "sign out",
			chromedp.Navigate(s.URL+"/logout"),
			chromedp.WaitVisible(selSubmit),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selSignedOut),
		)
		wantPage(t, ctx, "", "You are signed out")
		do(t, ctx, "start a new sign-in",
			chromedp.Navigate(app.URL+"/login"),
			chromedp.WaitVisible(selPasskeySignIn),
			shot("07-login-with-passkey-button"),
		)
		// /authorize answers a new sign-in with the login form itself.
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/authorize?") {
			t.Errorf("the browser is at %s, want the login form at /authorize", loc)
		}
		do(t, ctx, "sign in with the passkey",
			chromedp.Click(selPasskeySignIn),
			chromedp.WaitVisible(selAppOrPasskeyError),
		)
		if msg := visibleText(t, ctx, selPasskeyError); msg != "" {
			do(t, ctx, "screenshot the error", shot("08-passkey-failed"))
			t.Fatalf("signing in with the passkey failed: %q\nbrowser console:\n%s", msg, strings.Join(chromeProblems(ctx), "\n"))
		}
		finishAtApp(t, ctx, s, app, shot, "08-consent-again", "09-app-signed-in-with-passkey")
		c := app.result().claims
		t.Logf("after the passkey: acr %s, amr %q", c.ACR, c.AMR)
		if c.Subject != s.UserID {
			t.Errorf("sub = %q, want %q", c.Subject, s.UserID)
		}
		if c.ACR != flows.ACRPhishingResistant || !slices.Contains(c.AMR, "user") || !slices.Contains(c.AMR, "mfa") || slices.Contains(c.AMR, "pwd") {
			t.Errorf("after the passkey: acr = %q, amr = %q, want %q and user and mfa without pwd", c.ACR, c.AMR, flows.ACRPhishingResistant)
		}
		if n := len(credentials()); n != 1 {
			t.Errorf("after signing in the virtual authenticator holds %d credentials, want 1", n)
		}
		noProblems(t, ctx, "the passkey sign-in")
		t.Logf("browser passkey enrolment and sign-in took %v", time.Since(start).Round(time.Millisecond))
	})
}
