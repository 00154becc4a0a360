package e2e

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/storage/memory"
)

const testLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#0f766e"/></svg>`

// brandedServer runs Lockstep with a brand from a configuration file and
// email through the in-process SMTP receiver.
func brandedServer(t *testing.T) (*server, *mailbox) {
	t.Helper()
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(logo, []byte(testLogo), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "lockstep.yaml")
	yaml := "branding:\n  product_name: Review Shop ID\n  logo: " + logo +
		"\n  accent_color: \"#0f766e\"\n  support_contact: help@review.example\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := configs.Load(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	mb := newMailbox(t)
	s := startServer(t, memory.New(), func(c *configs.Config) {
		c.Branding, c.I18n = fromFile.Branding, fromFile.I18n
		mb.configure(c)
	})
	return s, mb
}

// TestBrandingPages: the name, logo, colour and support contact of the
// configuration file on the pages, the stylesheet and the authenticator-app
// label, with the Content-Security-Policy as strict as ever.
func TestBrandingPages(t *testing.T) {
	s, _ := brandedServer(t)
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	b := newBrowser(t)
	p := b.get(s, r.start().url)
	for _, want := range []string{
		"<title>Sign in · Review Shop ID</title>",
		`<link rel="stylesheet" href="/static/brand.css">`,
		`<img class="brand-logo" src="/static/brand/logo" alt="" width="32" height="32">`,
		`<span class="brand-name">Review Shop ID</span>`,
		"Secured by Review Shop ID",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sign-in page: missing %q in %.2000s", want, p.body)
		}
	}
	if strings.Contains(p.body, "Lockstep") || strings.Contains(p.body, `class="brand-mark"`) {
		t.Errorf("the sign-in page still shows Lockstep's name or mark: %.2000s", p.body)
	}
	if csp := p.resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self';") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q", csp)
	}
	for path, want := range map[string]struct{ typ, body string }{
		"/static/brand.css":  {"text/css; charset=utf-8", "--accent: #0f766e;"},
		"/static/brand/logo": {"image/svg+xml", testLogo},
	} {
		resp, err := b.client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want.typ || !strings.Contains(string(body), want.body) {
			t.Errorf("%s: %d %s %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	// The support contact on an error page.
	e := b.get(s, s.URL+"/no-such-page")
	if !strings.Contains(e.body, "Need help? Contact help@review.example.") {
		t.Errorf("error page without the support contact: %.2000s", e.body)
	}
	// The authenticator app's label.
	p = b.password(s, b.get(s, r.start(param("claims", essentialMFA)).url), s.Email, s.Password)
	scan := b.get(s, s.URL+"/account/setup/app?"+url.Values{"flow": {p.flowID()}}.Encode())
	if !strings.Contains(scan.body, "otpauth://totp/Review%20Shop%20ID:alice@example.com?") || !strings.Contains(scan.body, "issuer=Review") {
		t.Errorf("the authenticator app's label is not the brand: %.3000s", scan.body)
	}
}

// htmlPart returns the HTML alternative of a multipart/alternative email.
func htmlPart(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	var html string
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		types = append(types, pt)
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if pt == "text/html" {
			html = string(b)
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	return html
}

// TestBrandingEmail: a password-reset email through the SMTP receiver is
// multipart/alternative, plain text first; the HTML names the brand, shows its
// logo and colour, makes the link a button, and speaks the reader's language.
func TestBrandingEmail(t *testing.T) {
	s, mb := brandedServer(t)
	for _, tc := range []struct{ accept, subject, text, button, footer string }{
		{"en", "Reset your password", "your Review Shop ID account", "Open the link", "This is a security message from Review Shop ID."},
		{"es", "Restablece tu contraseña", "tu cuenta de Review Shop ID", "Abrir el enlace", "Este es un mensaje de seguridad de Review Shop ID."},
	} {
		b := speaking(t, tc.accept)
		p := b.post(s, s.URL+"/forgot", url.Values{"email": {s.Email}})
		if p.resp.StatusCode != http.StatusOK {
			t.Fatalf("forgot: %d %.500s", p.resp.StatusCode, p.body)
		}
		msg := mb.wait(t, s.Email, tc.subject)
		if !strings.Contains(msg.Text, tc.text) {
			t.Errorf("plain text without the brand:\n%s", msg.Text)
		}
		link := msg.link(t, s.URL+"/forgot/reset")
		html := htmlPart(t, msg.Raw)
		for _, want := range []string{
			`<html lang="` + tc.accept + `">`,
			`<img src="` + s.URL + `/static/brand/logo"`,
			">Review Shop ID</span>",
			"background:#0f766e",
			`<a href="` + strings.ReplaceAll(link, "&", "&amp;") + `"`,
			tc.button, tc.footer, "help@review.example",
		} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: the HTML lacks %q:\n%s", tc.accept, want, html)
			}
		}
		if dir := os.Getenv("LOCKSTEP_SCREENSHOTS"); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "email-reset-"+tc.accept+".html"), []byte(html), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}
