package e2e

// The real-browser test of security keys: headless Chromium, with the DevTools
// virtual authenticator as its security key, adds a key on the account page (the
// page's script runs navigator.credentials.create, then the new key confirms the
// change with navigator.credentials.get) and later signs in at the
// phishing-resistant level with the password and the key.

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

const (
	selKeyName     = chromedp.CSS(`#webauthn-add input[name=name]`)
	selKeyCreate   = chromedp.CSS(`button[data-webauthn="create"]`)
	selKeyGet      = chromedp.CSS(`#webauthn-form button[data-webauthn="get"]`)
	selKeyAddError = chromedp.CSS(`#webauthn-add-error`)
	selKeyGetError = chromedp.CSS(`#webauthn-error`)
	selSignedOut   = chromedp.Search(`//main//h1[normalize-space(.)='You are signed out']`)
	// The challenge page, or the account page's error when the key did not answer.
	selKeyGetOrAddError = chromedp.CSS(`input[name=stored], #webauthn-add-error:not([hidden])`)
	// The account page's form, or the challenge page's error.
	selAccountOrKeyError = chromedp.CSS(`#webauthn-add, #webauthn-error:not([hidden])`)
	// The app (or its consent page), or the challenge page's error.
	selAppOrKeyError = chromedp.CSS(`button[name=decision][value=allow], #signed-in, #webauthn-error:not([hidden])`)
)

// passwordSignIn signs in to the app with the password alone, through the login
// and consent pages, and checks that the tokens say so (acr pwd, amr [pwd]).
func passwordSignIn(t *testing.T, ctx context.Context, s *server, app *browserRP, shot func(string) chromedp.Action[chromedp.Void], loginShot, consentShot, appShot string) {
	t.Helper()
	do(t, ctx, "sign in to the app with the password",
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(selEmail),
		shot(loginShot),
		chromedp.SendKeys(selEmail, s.Email),
		chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit),
		chromedp.WaitVisible(selAllowOrApp),
	)
	finishAtApp(t, ctx, s, app, shot, consentShot, appShot)
	if c := app.result().claims; c.ACR != flows.ACRPassword || !slices.Equal(c.AMR, []string{"pwd"}) {
		t.Errorf("the password sign-in: acr = %q, amr = %q, want %q and [pwd]", c.ACR, c.AMR, flows.ACRPassword)
	}
	noProblems(t, ctx, "the password sign-in")
}

func TestBrowserSecurityKey(t *testing.T) {
	exe := chromiumExecutable(t)
	backends(t, func(t *testing.T, newStore func(t *testing.T) storage.Storage) {
		t.Parallel()
		start := time.Now()
		s := startServer(t, newStore(t), onLocalhost)
		app := startBrowserRP(t, s)
		shot := screenshotter(t)
		ctx := newChrome(t, exe)

		// The browser's security key: a virtual USB key that verifies its user.
		credentials := addVirtualAuthenticator(t, ctx, webauthn.AuthenticatorTransportUsb, false)

		// 1. A plain sign-in with the password.
		passwordSignIn(t, ctx, s, app, shot, "01-login", "02-consent", "03-app-signed-in-with-password")

		// 2. The account page, freshly signed in: add a key. The page's script asks
		// the browser for a new credential, posts it, and the new key then confirms
		// the change.
		do(t, ctx, "open the account page",
			chromedp.Navigate(s.URL+"/account/keys"),
			chromedp.WaitVisible(selKeyCreate),
		)
		wantPage(t, ctx, s.URL+"/account/keys", "Security keys and passkeys")
		do(t, ctx, "name the key",
			chromedp.SendKeys(selKeyName, "Test key"),
			shot("04-account-add-key"),
		)
		do(t, ctx, "add the security key",
			chromedp.Click(selKeyCreate),
			chromedp.WaitVisible(selKeyGetOrAddError),
		)
		if msg := visibleText(t, ctx, selKeyAddError); msg != "" {
			do(t, ctx, "screenshot the error", shot("05-account-add-key-failed"))
			t.Fatalf("adding the key failed on the account page: %q\nbrowser console:\n%s", msg, strings.Join(chromeProblems(ctx), "\n"))
		}
		if n := len(credentials()); n != 1 {
			t.Errorf("after adding the key the virtual authenticator holds %d credentials, want 1", n)
		}
		// The first second factor comes with recovery codes.
		do(t, ctx, "store the recovery codes",
			shot("05-recovery-codes"),
			chromedp.Click(selStored),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selKeyGet),
		)
		wantPage(t, ctx, s.URL+"/challenge", "Confirm it's you")
		do(t, ctx, "screenshot the confirmation", shot("05-confirm-with-new-key"))
		if text := get(t, ctx, "read the confirmation page", chromedp.Text(selBody)); strings.Contains(text, "authenticator app") {
			t.Errorf("the confirmation offers an authenticator app the user does not have:\n%s", text)
		}
		do(t, ctx, "confirm with the new key",
			chromedp.Click(selKeyGet),
			chromedp.WaitVisible(selAccountOrKeyError),
		)
		if msg := visibleText(t, ctx, selKeyGetError); msg != "" {
			do(t, ctx, "screenshot the error", shot("06-confirm-failed"))
			t.Fatalf("confirming with the new key failed: %q\nbrowser console:\n%s", msg, strings.Join(chromeProblems(ctx), "\n"))
		}
		wantPage(t, ctx, s.URL+"/account/keys", "Security keys and passkeys")
		do(t, ctx, "screenshot the account page", shot("06-account-with-key"))
		names := get(t, ctx, "read the keys", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('.device-name')].map(n => n.textContent.trim())`))
		if !slices.Contains(names, "Test key") {
			t.Errorf("the account page lists %q, want \"Test key\" among them", names)
		}
		waitForMail(t, s, "A security key was added")
		noProblems(t, ctx, "adding the key")

		// 3. Sign out, then an app asks for the phishing-resistant level: the
		// password, then the key, the only method that meets the level.
		do(t, ctx, "sign out",
			chromedp.Navigate(s.URL+"/logout"),
			chromedp.WaitVisible(selSubmit),
			shot("07-sign-out"),
			chromedp.Click(selSubmit),
			// Not selHeading: the confirmation page has one too.
			chromedp.WaitVisible(selSignedOut),
		)
		wantPage(t, ctx, "", "You are signed out")
		phr := `{"id_token":{"acr":{"essential":true,"values":["` + flows.ACRPhishingResistant + `"]}}}`
		do(t, ctx, "sign in at the phishing-resistant level with the password",
			chromedp.Navigate(app.URL+"/login?"+url.Values{"claims": {phr}}.Encode()),
			chromedp.WaitVisible(selEmail),
			chromedp.SendKeys(selEmail, s.Email),
			chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selKeyGet),
		)
		wantPage(t, ctx, s.URL+"/challenge", "Two-step verification")
		do(t, ctx, "screenshot the challenge", shot("08-challenge-security-key"))
		if text := get(t, ctx, "read the challenge page", chromedp.Text(selBody)); strings.Contains(text, "authenticator app") ||
			strings.Contains(text, "recovery code") || strings.Contains(text, "Use another method") {
			t.Errorf("the phishing-resistant challenge offers more than the security key:\n%s", text)
		}
		do(t, ctx, "use the security key",
			chromedp.Click(selKeyGet),
			chromedp.WaitVisible(selAppOrKeyError),
		)
		if msg := visibleText(t, ctx, selKeyGetError); msg != "" {
			do(t, ctx, "screenshot the error", shot("09-challenge-failed"))
			t.Fatalf("signing in with the key failed: %q\nbrowser console:\n%s", msg, strings.Join(chromeProblems(ctx), "\n"))
		}
		finishAtApp(t, ctx, s, app, shot, "09-consent-again", "10-app-signed-in-with-key")
		c := app.result().claims
		t.Logf("after the key: acr %s, amr %q", c.ACR, c.AMR)
		if c.Subject != s.UserID {
			t.Errorf("sub = %q, want %q", c.Subject, s.UserID)
		}
		if c.ACR != flows.ACRPhishingResistant || !slices.Contains(c.AMR, "pwd") || !slices.Contains(c.AMR, "mfa") ||
			!(slices.Contains(c.AMR, "hwk") || slices.Contains(c.AMR, "swk")) {
			t.Errorf("after the key: acr = %q, amr = %q, want %q and pwd, mfa and hwk or swk", c.ACR, c.AMR, flows.ACRPhishingResistant)
		}
		if n := len(credentials()); n != 1 {
			t.Errorf("after signing in the virtual authenticator holds %d credentials, want 1", n)
		}
		noProblems(t, ctx, "the security-key sign-in")
		t.Logf("browser key enrolment and sign-in took %v", time.Since(start).Round(time.Millisecond))
	})
}

// visibleText is the text of the element sel when it is shown, or "".
func visibleText(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	return get(t, ctx, "read "+string(sel), chromedp.Evaluate[string](
		`(() => { const e = document.querySelector(`+"`"+string(sel)+"`"+`); return e && !e.hidden ? e.textContent.trim() : ''; })()`))
}

// addVirtualAuthenticator gives the browser a virtual CTAP2 authenticator that
// verifies its user and confirms presence by itself; residentKey makes it keep
// discoverable credentials (passkeys). It returns a reader of its credentials.
func addVirtualAuthenticator(t *testing.T, ctx context.Context, transport webauthn.AuthenticatorTransport, residentKey bool) func() []*webauthn.Credential {
	t.Helper()
	authID := get(t, ctx, "add a virtual authenticator", func(ctx context.Context, tgt *chromedp.Target) (webauthn.AuthenticatorID, error) {
		if _, err := cdp.Call(ctx, tgt, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return "", err
		}
		res, err := cdp.Call(ctx, tgt, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Transport:                   transport,
				HasResidentKey:              residentKey,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		return res.AuthenticatorID, err
	})
	return func() []*webauthn.Credential {
		t.Helper()
		return get(t, ctx, "read the virtual authenticator's credentials", func(ctx context.Context, tgt *chromedp.Target) ([]*webauthn.Credential, error) {
			res, err := cdp.Call(ctx, tgt, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authID})
			return res.Credentials, err
		})
	}
}
