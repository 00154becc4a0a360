package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/adminapi"
	"github.com/lockstep-id/lockstep/idp"
)

// shopLogo is a client's wordmark: wider than high, as most are.
const shopLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 216 48">` +
	`<rect width="48" height="48" rx="12" fill="#be123c"/>` +
	`<path d="M14 19h20l-2 17H16z" fill="none" stroke="#fff" stroke-width="3" stroke-linejoin="round"/>` +
	`<path d="M19 19v-3a5 5 0 0 1 10 0v3" fill="none" stroke="#fff" stroke-width="3"/>` +
	`<text x="58" y="32" font-family="system-ui, sans-serif" font-size="22" font-weight="700" fill="#1f2937" textLength="150" lengthAdjust="spacingAndGlyphs">Review Shop</text></svg>`

// TestBrowserClientLogo: in Chromium, a client's logo (an SVG uploaded with the
// admin API) loads under the page's CSP on the client's sign-in and consent
// pages, at its 48-pixel height; screenshots on a laptop and a phone.
func TestBrowserClientLogo(t *testing.T) {
	exe := chromiumExecutable(t)
	s, _ := brandedServer(t)
	id, secret := adminClient(t, s, adminapi.Scope)
	if status, raw := putLogo(t, s, clientToken(t, s, id, secret, adminapi.Scope), "/clients/"+s.ClientID+"/logo", []byte(shopLogo), "image/svg+xml"); status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, raw)
	}
	s.Clock.Advance(idp.ClientCacheTTL)
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	shot := screenshotter(t)
	ctx := newChrome(t, exe)
	loaded := func(what string) {
		t.Helper()
		// naturalWidth is 0 for an image the CSP or the server refused.
		w := get(t, ctx, "the logo's size on "+what, chromedp.Evaluate[[]float64](
			`(i => [i.naturalWidth, i.getBoundingClientRect().height, i.getBoundingClientRect().width])(document.querySelector('img.client-logo'))`))
		if len(w) != 3 || w[0] == 0 || w[1] != 48 || w[2] > 192 {
			t.Errorf("%s: the client's logo (natural width, shown height, shown width) = %v", what, w)
		}
		if alt := get(t, ctx, "the logo's alt", chromedp.Evaluate[string](`document.querySelector('img.client-logo').alt`)); alt != "Test App" {
			t.Errorf("%s: alt %q, want the client's name", what, alt)
		}
	}
	do(t, ctx, "open the sign-in", chromedp.Navigate(r.start().url), chromedp.WaitVisible(selEmail))
	wantText(t, ctx, "the sign-in page", "Sign in", "to continue to Test App")
	loaded("the sign-in page")
	do(t, ctx, "screenshots", bothSizes(shot, "signin-client-logo")...)
	do(t, ctx, "sign in", chromedp.SendKeys(selEmail, s.Email), chromedp.SendKeys(selPassword, s.Password),
		chromedp.Click(selSubmit), chromedp.WaitVisible(chromedp.CSS(`form button[value=allow]`)))
	loaded("the consent page")
	do(t, ctx, "screenshots", bothSizes(shot, "consent-client-logo")...)
	if problems := chromeProblems(ctx); len(problems) > 0 {
		t.Errorf("the browser complained: %v", problems)
	}
}
