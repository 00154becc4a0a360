package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// english are texts of the account's pages that only their English version
// has: none may show in another language.
var english = []string{">Remove<", "Added ", "Last used", "Never used", "recovery codes left", "Sign out everywhere else",
	"Generate new recovery codes", "Forget all devices", "Change your password", "Save name", "This removes:",
	"Scan the QR code", `value="Authenticator app"`, "Germany (&#43;49)", "Security</a>", "Password and authenticator app", " on Linux", "password and code"}

// noEnglish fails when the page still shows one of the English texts.
func noEnglish(t *testing.T, p page) {
	t.Helper()
	for _, s := range english {
		if strings.Contains(p.body, s) {
			t.Errorf("%s: English text %q left in %.3000s", p.url.Path, s, p.body)
		}
	}
}

var reOptions = regexp.MustCompile(`<option value="([A-Z]{2})"[^>]*>([^<]+)</option>`)

// TestI18nAccount: the account's overview and every area, the profile, the
// password change, turning two-step verification off, adding an app and the
// phone form speak the switcher's language (Spanish) and the browser's (Dutch,
// Norwegian), with dates, country names and their order in that language; the
// email-change email too, and an invitation speaks the server's default.
func TestI18nAccount(t *testing.T) {
	mb := newMailbox(t)
	s, _ := smsServer(t, memory.New(), mb.configure)
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	_, b := mfaUser(t, s, r)
	cat, err := i18n.Load("")
	if err != nil {
		t.Fatal(err)
	}
	today := func(lang string) string { return cat.Localizer(lang).Date(s.Clock.Now()) }

	t.Run("es by the switcher", func(t *testing.T) {
		p := b.get(s, s.URL+"/language?lang=es&return=/account")
		wantLang(t, p, "es", "<h1>Seguridad</h1>", "Contraseña y aplicación de autenticación")
		noEnglish(t, p)
		pages := []struct {
			path  string
			texts []string
		}{
			{"/account/apps", []string{"<h1>Aplicaciones de autenticación</h1>", "Añadido el " + today("es"), "Último uso: " + today("es"),
				">Quitar<", "Sustituir todos los dispositivos"}},
			{"/account/sms", []string{"Mensajes de texto (SMS)", "Añadir un número de teléfono"}},
			{"/account/recovery-codes", []string{"Quedan <strong>10</strong> de 10 códigos de recuperación", "Generar nuevos códigos de recuperación"}},
			{"/account/devices", []string{"<h1>Dispositivos recordados", "Ningún dispositivo se salta la verificación en dos pasos."}},
			{"/account/sessions", []string{"<h1>Dónde has iniciado sesión</h1>", "Sesión iniciada el " + today("es") + ", ", " UTC", "contraseña y código",
				`<span class="badge">Este dispositivo</span>`}},
			{"/account/profile", []string{"<h1>Perfil</h1>", `<label for="given">Nombre</label>`, "Guardar el nombre", "Enviar el enlace de confirmación"}},
			{"/account/password", []string{"<h1>Cambia tu contraseña</h1>", "Contraseña actual", "Al menos 10 caracteres."}},
			{"/account/two-step/off", []string{"<h1>Desactivar la verificación en dos pasos</h1>", "Esto quita:", "10 códigos de recuperación sin usar",
				"Entiendo que mi cuenta quedará protegida solo por mi contraseña"}},
			{"/account/totp/add", []string{"Escanea el código QR", "Nombre del dispositivo", `value="Aplicación de autenticación"`, "Verificar y activar"}},
			{"/account/phone?change=1", []string{"Alemania (&#43;49)", "España (&#43;34)"}},
		}
		for _, pg := range pages {
			p := b.get(s, s.URL+pg.path)
			if p.resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %d %s", pg.path, p.resp.StatusCode, brief(p.body))
				continue
			}
			wantLang(t, p, "es", pg.texts...)
			noEnglish(t, p)
		}

		// What the handlers say: refusals, notices, message pages.
		p = b.post(s, s.URL+"/account/profile/names", url.Values{"given_name": {"1Ada"}, "family_name": {""}})
		wantLang(t, p, "es", "Usa solo letras, espacios, guiones (-) y apóstrofos (') en tu nombre.", "Escribe tus apellidos.")
		p = b.post(s, s.URL+"/account/password", url.Values{"current_password": {"not it at all"}, "new_password": {"a new long password"},
			"confirm_password": {"a new long password"}})
		wantLang(t, p, "es", "Tu contraseña actual no es correcta.")
		p = b.post(s, s.URL+"/account/phone", url.Values{"stage": {"number"}, "country": {"DE"}, "national": {"030 12345678"}})
		wantLang(t, p, "es", "Es un número fijo, que no puede recibir SMS; escribe un número móvil.")
		p = b.post(s, s.URL+"/account/two-step/off", url.Values{})
		wantLang(t, p, "es", "Marca la casilla para confirmar que tu cuenta quedará protegida solo por tu contraseña.")
		p = b.get(s, s.URL+"/account/recovery-codes/new")
		wantLang(t, p, "es", "¿Generar nuevos códigos de recuperación?")

		// The email-change link, in the language of the request that asked for it.
		p = b.post(s, s.URL+"/account/profile/email", url.Values{"email": {"ada.new@example.com"}})
		wantLang(t, p, "es", "Te hemos enviado un enlace a tu nueva dirección.")
		m := mb.wait(t, "ada.new@example.com", "Confirma tu nueva dirección de correo")
		for _, want := range []string{"ha pedido usar esta dirección", "El enlace sirve una sola vez, durante 30 minutos."} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the email-change email lacks %q:\n%s", want, m.Text)
			}
		}
		if got := mb.wait(t, s.Email, "Tu dirección de correo está a punto de cambiar"); !strings.Contains(got.Text, "a***@example.com. Solo cambia si") {
			t.Errorf("the notice to the old address: %s", got.Text)
		}
	})

	t.Run("nl and nb by Accept-Language", func(t *testing.T) {
		// The switcher's cookie would win: this browser forgets it.
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		b.client.Jar.SetCookies(u, []*http.Cookie{{Name: i18n.CookieName, Value: "", MaxAge: -1, Path: "/"}})
		b.client.Transport = langTransport{"nl-NL,nl;q=0.9"}
		p := b.get(s, s.URL+"/account/apps")
		wantLang(t, p, "nl", "<h1>Authenticator-apps</h1>", "Toegevoegd op "+today("nl"), "Alle apparaten vervangen")
		noEnglish(t, p)
		p = b.get(s, s.URL+"/account/sessions")
		wantLang(t, p, "nl", "Ingelogd op "+today("nl")+" om ", "wachtwoord en code")
		noEnglish(t, p)
		p = b.get(s, s.URL+"/account/phone?change=1")
		wantLang(t, p, "nl", "Duitsland (&#43;49)")

		// Countries sort as the reader's alphabet does: Åland with the A's in
		// English, after Z in Norwegian.
		order := func(p page) []string {
			var names []string
			for _, m := range reOptions.FindAllStringSubmatch(p.body, -1) {
				names = append(names, m[2])
			}
			return names
		}
		b.client.Transport = langTransport{"nb"}
		nb := order(b.get(s, s.URL+"/account/phone?change=1"))
		b.client.Transport = langTransport{"en"}
		en := order(b.get(s, s.URL+"/account/phone?change=1"))
		if len(nb) < 200 || len(nb) != len(en) {
			t.Fatalf("%d Norwegian and %d English countries", len(nb), len(en))
		}
		if last := nb[len(nb)-1]; !strings.HasPrefix(last, "Å") {
			t.Errorf("the Norwegian list ends with %q, want Åland last (Å is the alphabet's last letter)", last)
		}
		if i := indexPrefix(en, "Åland"); i < 0 || i > 10 {
			t.Errorf("Åland Islands is at %d of the English list, want it with the A's", i)
		}
	})

	t.Run("an invitation speaks the default language", func(t *testing.T) {
		nlServer := startServer(t, memory.New(), mb.configure, func(c *configs.Config) { c.I18n.DefaultLanguage = "nl" })
		inv := inviter(t, nlServer, nlServer.Clock.Now())
		if _, err := inv.Invite(t.Context(), admin.InviteSpec{Email: "nieuw@example.com", GivenName: "Noor"}); err != nil {
			t.Fatal(err)
		}
		m := mb.wait(t, "nieuw@example.com", "Je Lockstep-account")
		for _, want := range []string{"Hallo Noor,", "Je bent uitgenodigd voor Lockstep, met het account nieuw@example.com.", "7 dagen lang"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the invitation lacks %q:\n%s", want, m.Text)
			}
		}
		if html := htmlPart(t, m.Raw); !strings.Contains(html, `lang="nl"`) {
			t.Errorf("the invitation's HTML part is not Dutch: %.500s", html)
		}
	})
}

func indexPrefix(list []string, prefix string) int {
	for i, s := range list {
		if strings.HasPrefix(s, prefix) {
			return i
		}
	}
	return -1
}
