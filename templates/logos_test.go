package templates

import (
	"context"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/i18n"
)

// TestClientLogoOnPages: the sign-in, challenge and consent pages show a
// client's logo above the heading with the client's name as alt, and nothing
// without one; the account's re-verification shows none.
func TestClientLogoOnPages(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	logo := LogoURL("client", "shop id", "AbC_12-x")
	if logo != "/static/logos/client/shop%20id?v=AbC_12-x" || LogoURL("client", "shop", "") != "" {
		t.Errorf("LogoURL = %q, and %q without a logo", logo, LogoURL("client", "shop", ""))
	}
	img := `<img class="client-logo" src="/static/logos/client/shop%20id?v=AbC_12-x" alt="Review &lt;Shop&gt;" height="48">`
	render := map[string]func(logo string) (string, error){
		"login": func(logo string) (string, error) {
			var b strings.Builder
			err := r.Login(&b, LoginPage{ClientName: "Review <Shop>", ClientLogo: logo})
			return b.String(), err
		},
		"challenge": func(logo string) (string, error) {
			var b strings.Builder
			err := r.Challenge(&b, ChallengePage{ClientName: "Review <Shop>", ClientLogo: logo})
			return b.String(), err
		},
		"consent": func(logo string) (string, error) {
			var b strings.Builder
			err := r.Consent(&b, ConsentPage{ClientName: "Review <Shop>", ClientLogo: logo})
			return b.String(), err
		},
	}
	for name, f := range render {
		with, err := f(logo)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(with, img) || strings.Index(with, img) > strings.Index(with, "<h1>") {
			t.Errorf("%s: no %s above the heading:\n%s", name, img, with)
		}
		without, err := f("")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(without, "client-logo") {
			t.Errorf("%s without a logo shows one:\n%s", name, without)
		}
	}
	var b strings.Builder
	if err := r.Login(&b, LoginPage{ClientName: "Shop", ClientLogo: logo, Account: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "client-logo") {
		t.Errorf("the account's sign-in shows a client's logo:\n%s", b.String())
	}
}

// TestOrgBrandInContext: Page and EmailHTML take an organisation's brand from
// the context over the server's, and each part only when it is set.
func TestOrgBrandInContext(t *testing.T) {
	cat, err := i18n.Load("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewWith(cat, Options{Brand: Brand{ProductName: "Review Shop ID", Logo: []byte("<svg/>"), LogoType: "image/svg+xml"},
		BaseURL: "https://id.example"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if p := r.Page(ctx, ""); p.Product() != "Review Shop ID" || p.Logo != BrandLogoPath {
		t.Errorf("no organisation: %q %q", p.Product(), p.Logo)
	}
	acme := WithOrgBrand(ctx, OrgBrand{Name: "Acme Portal", Logo: "/static/logos/org/acme?v=s"})
	if p := r.Page(acme, ""); p.Product() != "Acme Portal" || p.Logo != "/static/logos/org/acme?v=s" {
		t.Errorf("the organisation's brand: %q %q", p.Product(), p.Logo)
	}
	if p := r.Page(WithOrgBrand(ctx, OrgBrand{Name: "Acme Portal"}), ""); p.Logo != BrandLogoPath {
		t.Errorf("a name alone keeps the server's logo: %q", p.Logo)
	}
	html, err := r.EmailHTML(acme, "Subject", "Hello.")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, `<img src="https://id.example/static/logos/org/acme?v=s"`) || !strings.Contains(html, ">Acme Portal</span>") ||
		strings.Contains(html, "Review Shop ID") {
		t.Errorf("the email in the organisation's brand:\n%s", html)
	}
}
