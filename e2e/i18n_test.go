package e2e

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// langTransport sends every request with an Accept-Language header, as a
// browser set to that language does.
type langTransport struct{ accept string }

func (t langTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", t.accept)
	return http.DefaultTransport.RoundTrip(r)
}

// speaking is a fresh browser whose Accept-Language is accept.
func speaking(t *testing.T, accept string) *browser {
	b := newBrowser(t)
	b.client.Transport = langTransport{accept}
	return b
}

// wantLang fails unless the page is in lang and holds every text.
func wantLang(t *testing.T, p page, lang string, texts ...string) {
	t.Helper()
	if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: not <html lang=%q>: %.200s", p.url.Path, lang, p.body)
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Errorf("%s (%s): missing %q in %.3000s", p.url.Path, lang, s, p.body)
		}
	}
}

var reReturn = regexp.MustCompile(`<input type="hidden" name="return" value="([^"]*)">`)

// TestI18nSignIn: ui_locales picks the language of every page of that sign-in,
// before the switcher's cookie and Accept-Language; Accept-Language picks it
// otherwise; the switcher's cookie wins over the header; English stays the default.
func TestI18nSignIn(t *testing.T) {
	s := startServer(t, memory.New())
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	s.Clock.Advance(-time.Hour) // later codes come from fresh time steps, still in the past
	e, _ := mfaUser(t, s, r)
	code := func() string {
		s.Clock.Advance(30 * time.Second) // a fresh time step: each code works once
		return totpCode(t, e.secret, s.Clock.Now())
	}

	t.Run("ui_locales=es", func(t *testing.T) {
		b := speaking(t, "nl") // the header loses to the client's ui_locales
		p := b.get(s, r.start(param("ui_locales", "fi es")).url)
		wantLang(t, p, "es", "<title>Iniciar sesión · Lockstep</title>", "<h1>Iniciar sesión</h1>",
			"para continuar en <strong>Test App</strong>", `<label for="email">Correo electrónico</label>`,
			"Protegido por Lockstep", `<button type="submit" name="lang" value="es" lang="es" class="lang-option" aria-current="true">Español</button>`)
		bad := b.password(s, p, s.Email, "wrong password")
		wantLang(t, bad, "es", "El correo electrónico o la contraseña no son correctos.")
		p = b.password(s, bad, s.Email, s.Password)
		wantLang(t, p, "es", "<h1>Verificación en dos pasos</h1>", "Código de 6 dígitos de tu aplicación de autenticación",
			"Usar un código de recuperación", "No volver a preguntar en este dispositivo durante 30 días")
		p = b.code(s, p, "totp", "000000")
		wantLang(t, p, "es", "Ese código no es correcto.")
		p = b.get(s, s.URL+"/challenge?flow="+url.QueryEscape(p.flowID())+"&method=recovery")
		wantLang(t, p, "es", "<label for=\"code\">Código de recuperación</label>")
		reset := b.get(s, s.URL+"/challenge/reset?flow="+url.QueryEscape(p.flowID()))
		wantLang(t, reset, "es", "<h1>Restablecer la verificación en dos pasos</h1>", "Restablecer con un código de recuperación")
		p = b.code(s, b.get(s, s.URL+"/challenge?flow="+url.QueryEscape(p.flowID())), "totp", code())
		if p.isConsent() {
			wantLang(t, p, "es", "¿Permitir que <span class=\"client\">Test App</span> acceda a tu cuenta?", "Ver tu nombre")
		} else if p.callback == nil {
			t.Fatalf("after the code: %s %.300s", p.url, p.body)
		}
	})

	t.Run("Accept-Language nl", func(t *testing.T) {
		b := speaking(t, "nl-BE,nl;q=0.9,en;q=0.5")
		p := b.get(s, r.start().url)
		wantLang(t, p, "nl", "<h1>Inloggen</h1>", "om verder te gaan naar <strong>Test App</strong>", "Beveiligd door Lockstep")
		p = b.password(s, p, s.Email, s.Password)
		wantLang(t, p, "nl", "<h1>Verificatie in twee stappen</h1>", "Code van 6 cijfers uit je authenticator-app",
			"Niet meer vragen op dit apparaat gedurende 30 dagen")
	})

	t.Run("the switcher's cookie wins over Accept-Language", func(t *testing.T) {
		b := speaking(t, "nl")
		p := b.get(s, r.start().url)
		wantLang(t, p, "nl", "<h1>Inloggen</h1>")
		m := reReturn.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no switcher: %.2000s", p.body)
		}
		back := html.UnescapeString(m[1])
		if back != p.url.RequestURI() {
			t.Fatalf("the switcher returns to %s, not to the page %s", back, p.url.RequestURI())
		}
		p = b.get(s, s.URL+"/language?lang=nb&return="+url.QueryEscape(back))
		if p.url.RequestURI() != back {
			t.Fatalf("the switcher went to %s, want %s", p.url.RequestURI(), back)
		}
		wantLang(t, p, "nb", "<h1>Logg inn</h1>", "for å fortsette til <strong>Test App</strong>")
		p = b.password(s, p, s.Email, s.Password)
		wantLang(t, p, "nb", "<h1>Totrinnsbekreftelse</h1>", "Ikke spør igjen på denne enheten på 30 dager")
		// ui_locales still comes first.
		wantLang(t, b.get(s, r.start(param("ui_locales", "es")).url), "es", "<h1>Iniciar sesión</h1>")
	})

	t.Run("English by default", func(t *testing.T) {
		b := speaking(t, "fi")
		wantLang(t, b.get(s, r.start().url), "en", "<h1>Sign in</h1>", "to continue to <strong>Test App</strong>")
	})

	t.Run("the switcher stays on this site", func(t *testing.T) {
		for _, back := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", ""} {
			resp, err := newBrowser(t).client.Get(s.URL + "/language?lang=es&return=" + url.QueryEscape(back))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
				t.Errorf("return=%q: %d to %q, want 303 to /", back, resp.StatusCode, loc)
			}
			if c := resp.Cookies(); len(c) != 1 || c[0].Name != i18n.CookieName || c[0].Value != "es" || !c[0].HttpOnly {
				t.Errorf("return=%q: cookies %v", back, c)
			}
		}
	})
}

// TestI18nDiscoveryAndDefault: discovery lists the shipped languages, and
// i18n.default_language speaks to browsers that ask for none of them.
func TestI18nDiscoveryAndDefault(t *testing.T) {
	s := startServer(t, memory.New(), func(c *configs.Config) { c.I18n.DefaultLanguage = "nl" })
	resp, err := http.Get(s.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Locales []string `json:"ui_locales_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if want := []string{"en", "es", "nb", "nl"}; !slices.Equal(d.Locales, want) {
		t.Errorf("ui_locales_supported = %v, want %v", d.Locales, want)
	}
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	wantLang(t, speaking(t, "fi").get(s, r.start().url), "nl", "<h1>Inloggen</h1>")
	wantLang(t, speaking(t, "en").get(s, r.start().url), "en", "<h1>Sign in</h1>")
	// The set-up wizard of a sign-in that asks for two factors, in Spanish.
	b := speaking(t, "en")
	p := b.password(s, b.get(s, r.start(param("claims", essentialMFA), param("ui_locales", "es")).url), s.Email, s.Password)
	wantLang(t, p, "es", "<h1>Configura la verificación en dos pasos</h1>", "Qué necesitas", "Tengo la aplicación preparada",
		`<span class="step-label">Preparación</span>`, "Paso 2 de")
	scan := b.get(s, s.URL+"/account/setup/app?"+url.Values{"flow": {p.flowID()}}.Encode())
	wantLang(t, scan, "es", "<h1>Escanea el código QR</h1>", "¿No puedes escanearlo? Introduce esta clave en la aplicación:")
	// An error page speaks too.
	p = speaking(t, "es").get(s, s.URL+"/no-such-page")
	wantLang(t, p, "es", "Página no encontrada", "Error 404")
}
