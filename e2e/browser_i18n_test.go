package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/storage/memory"
)

var (
	selCodeInput = chromedp.CSS(`input#code`)
	selLangNL    = chromedp.CSS(`form.lang-switch button[value=nl]`)
	selLangNB    = chromedp.CSS(`form.lang-switch button[value=nb]`)
)

// TestBrowserI18n: in Chromium, ui_locales gives a Spanish sign-in and
// challenge; the switcher turns the account's sign-in, challenge and account
// page Dutch and keeps them so; screenshots on a laptop and a phone.
func TestBrowserI18n(t *testing.T) {
	exe := chromiumExecutable(t)
	s := startServer(t, memory.New(), onLocalhost)
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	s.Clock.Advance(-time.Hour) // later codes come from fresh time steps, still in the past
	e, _ := mfaUser(t, s, r)
	code := func() string {
		s.Clock.Advance(30 * time.Second)
		return totpCode(t, e.secret, s.Clock.Now())
	}
	shot := screenshotter(t)

	t.Run("ui_locales=es", func(t *testing.T) {
		ctx := newChrome(t, exe)
		do(t, ctx, "open the Spanish sign-in", chromedp.Navigate(r.start(param("ui_locales", "es")).url), chromedp.WaitVisible(selEmail))
		wantText(t, ctx, "the sign-in page", "Iniciar sesión", "para continuar en Test App", "Correo electrónico", "Contraseña")
		do(t, ctx, "screenshots", bothSizes(shot, "signin-es")...)
		do(t, ctx, "sign in", chromedp.SendKeys(selEmail, s.Email), chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit), chromedp.WaitVisible(selCodeInput))
		wantText(t, ctx, "the challenge", "Verificación en dos pasos", "Código de 6 dígitos de tu aplicación de autenticación", "Usar otro método")
		do(t, ctx, "screenshots", bothSizes(shot, "challenge-es")...)
	})

	t.Run("the switcher", func(t *testing.T) {
		ctx := newChrome(t, exe)
		do(t, ctx, "open the account", chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(selEmail))
		wantText(t, ctx, "the sign-in page", "Sign in", "English", "Nederlands")
		do(t, ctx, "pick Dutch", chromedp.Click(selLangNL), chromedp.WaitVisible(chromedp.CSS(`html[lang=nl] input#email`)))
		wantText(t, ctx, "the Dutch sign-in page", "Inloggen", "om je beveiligingsinstellingen te beheren", "Wachtwoord")
		do(t, ctx, "screenshots", bothSizes(shot, "signin-nl")...)
		do(t, ctx, "sign in", chromedp.SendKeys(selEmail, s.Email), chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit), chromedp.WaitVisible(selCodeInput))
		wantText(t, ctx, "the challenge", "Verificatie in twee stappen", "Code van 6 cijfers uit je authenticator-app")
		do(t, ctx, "screenshots", bothSizes(shot, "challenge-nl")...)
		// The switcher is on the challenge too: wait for what only the account page has.
		do(t, ctx, "the code", chromedp.SendKeys(selCodeInput, code()), chromedp.Click(selSubmit),
			chromedp.WaitVisible(chromedp.CSS(`p.account-email`)))
		wantText(t, ctx, "the account page", "Beveiligd door Lockstep", "Wachtwoord en authenticator-app")
		do(t, ctx, "screenshots", bothSizes(shot, "account-nl")...)
		for _, area := range []struct{ path, heading, text string }{
			{"/account/apps", "Authenticator-apps", "Alle apparaten vervangen"},
			{"/account/sessions", "Waar je bent ingelogd", "Dit apparaat"},
			{"/account/profile", "Profiel", "Bevestigingslink sturen"},
			{"/account/two-step/off", "Verificatie in twee stappen uitzetten", "Dit verwijdert:"},
			{"/account/password", "Wijzig je wachtwoord", "Huidig wachtwoord"},
			{"/account/totp/add", "Scan de QR-code", "Apparaatnaam"},
			{"/account/recovery-codes", "Herstelcodes", "Nieuwe herstelcodes maken"},
		} {
			do(t, ctx, "open "+area.path, chromedp.Navigate(s.URL+area.path), chromedp.WaitVisible(chromedp.CSS(`html[lang=nl] h1`)))
			wantText(t, ctx, area.path, area.heading, area.text)
			do(t, ctx, "screenshots", bothSizes(shot, "account-nl"+strings.ReplaceAll(area.path[len("/account"):], "/", "-"))...)
		}
		if problems := chromeProblems(ctx); len(problems) > 0 {
			t.Errorf("the browser complained: %v", problems)
		}
	})
}

// TestBrowserI18nBrand: a custom brand (name, logo, colour) in Norwegian on
// the sign-in and account pages; screenshots on a laptop and a phone, and of
// the HTML email.
func TestBrowserI18nBrand(t *testing.T) {
	exe := chromiumExecutable(t)
	s, mb := brandedServer(t)
	shot := screenshotter(t)
	ctx := newChrome(t, exe)
	do(t, ctx, "open the account", chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(selEmail),
		chromedp.Click(selLangNB), chromedp.WaitVisible(chromedp.CSS(`html[lang=nb] input#email`)))
	wantText(t, ctx, "the branded sign-in", "Review Shop ID", "Logg inn", "Sikret av Review Shop ID")
	do(t, ctx, "screenshots", bothSizes(shot, "signin-brand-nb")...)
	// The switcher is on the sign-in page too: wait for what only the account page has.
	do(t, ctx, "sign in", chromedp.SendKeys(selEmail, s.Email), chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit), chromedp.WaitVisible(chromedp.CSS(`p.account-email`)))
	wantText(t, ctx, "the branded account page", "Review Shop ID")
	do(t, ctx, "screenshots", bothSizes(shot, "account-brand-nb")...)
	// The reset email's HTML, as a mail program shows it.
	do(t, ctx, "ask for a reset", chromedp.Navigate(s.URL+"/forgot"), chromedp.WaitVisible(selEmail),
		chromedp.SendKeys(selEmail, s.Email), chromedp.Click(selSubmit))
	html := htmlPart(t, mb.wait(t, s.Email, "Tilbakestill passordet ditt").Raw)
	mailView := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	}))
	t.Cleanup(mailView.Close)
	do(t, ctx, "show the email", chromedp.Navigate(mailView.URL),
		chromedp.WaitVisible(chromedp.CSS(`a[href*="/forgot/reset?token="]`)))
	wantText(t, ctx, "the email", "Tilbakestill passordet ditt", "Noen har bedt om å tilbakestille passordet til Review Shop ID-kontoen din", "Åpne lenken")
	do(t, ctx, "screenshots", bothSizes(shot, "email-reset-nb")...)
	if problems := chromeProblems(ctx); len(problems) > 0 {
		t.Errorf("the browser complained: %v", problems)
	}
}
