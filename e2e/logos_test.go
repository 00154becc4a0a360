package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/adminapi"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
	"github.com/lockstep-id/lockstep/templates"
)

// logoPNG is a small PNG: a filled rounded-ish mark of colour c on transparent.
func logoPNG(t testing.TB, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			dx, dy := x-48, y-48
			if dx*dx+dy*dy < 44*44 {
				img.Set(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// putLogo uploads content as a logo with the admin API (raw body) and returns
// the status and the answer.
func putLogo(t *testing.T, s *server, token, path string, content []byte, contentType string) (int, string) {
	t.Helper()
	req := mustRequest(t, http.MethodPut, s.URL+adminapi.Path+path, bytes.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// fetch GETs a same-origin path with the headers given.
func fetch(t *testing.T, s *server, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req := mustRequest(t, http.MethodGet, s.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// clientLogoImg is the client logo's markup on its pages.
func clientLogoImg(s *server, id string) string {
	c, _ := s.Store.GetClient(context.Background(), id)
	return `<img class="client-logo" src="` + templates.LogoURL("client", id, c.LogoSum) + `" alt="Test App" height="48">`
}

// TestClientLogo: a logo uploaded with the admin API shows on the client's
// sign-in, challenge and consent pages; it is served same-origin with its
// type, its sum as ETag (304 on If-None-Match), nosniff, and an SVG with the
// sandboxing CSP; a bad upload is 400 and changes nothing; removing it takes
// it off the pages.
func TestClientLogo(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		id, secret := adminClient(t, s, adminapi.Scope)
		token := clientToken(t, s, id, secret, adminapi.Scope)
		pngLogo := logoPNG(t, color.RGBA{R: 190, G: 18, B: 60, A: 255})

		// A client without a logo: no logo on its pages.
		if p := newBrowser(t).get(s, r.start().url); !p.isLogin() || strings.Contains(p.body, "client-logo") {
			t.Fatalf("sign-in page before any upload: %s %.1500s", p.url, p.body)
		}

		status, raw := putLogo(t, s, token, "/clients/"+s.ClientID+"/logo", pngLogo, "application/octet-stream")
		if status != http.StatusOK || !strings.Contains(raw, `"logo_url":"/static/logos/client/`+s.ClientID+`?v=`) {
			t.Fatalf("upload: %d %s", status, raw)
		}
		s.Clock.Advance(idp.ClientCacheTTL) // the pages' client cache reads it again
		img := clientLogoImg(s, s.ClientID)

		// The consent page of a new user.
		bob := addAccount(t, s, "bob")
		b := newBrowser(t)
		login := b.get(s, r.start().url)
		if !login.isLogin() || !strings.Contains(login.body, img) {
			t.Errorf("sign-in page without %s: %.2000s", img, login.body)
		}
		if csp := login.resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
			t.Errorf("the page CSP does not allow same-origin images: %q", csp)
		}
		consent := b.password(s, login, bob.Email, bob.Password)
		if !consent.isConsent() || !strings.Contains(consent.body, img) {
			t.Errorf("consent page without %s: %s %.2000s", img, consent.url, consent.body)
		}

		// The challenge of a user with an authenticator app.
		mfaUser(t, s, r)
		b2 := newBrowser(t)
		challenge := b2.password(s, b2.get(s, r.start(param("claims", essentialMFA)).url), s.Email, s.Password)
		if !challenge.isChallenge() || !strings.Contains(challenge.body, img) {
			t.Errorf("challenge page without %s: %s %.2000s", img, challenge.url, challenge.body)
		}

		// Served same-origin with the image's headers.
		c, _ := s.Store.GetClient(context.Background(), s.ClientID)
		logoPath := templates.LogoURL("client", s.ClientID, c.LogoSum)
		resp, body := fetch(t, s, logoPath)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pngLogo) || resp.Header.Get("Content-Type") != "image/png" ||
			etag != `"`+c.LogoSum+`"` || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("logo: %d %q etag %q nosniff %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), etag,
				resp.Header.Get("X-Content-Type-Options"), len(body))
		}
		if resp, body := fetch(t, s, logoPath, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("If-None-Match: %d with %d bytes", resp.StatusCode, len(body))
		}

		// An SVG: its own sandboxing CSP.
		if status, raw := putLogo(t, s, token, "/clients/"+s.ClientID+"/logo", []byte(testLogo), "image/png"); status != http.StatusOK {
			t.Fatalf("SVG upload: %d %s", status, raw)
		}
		resp, body = fetch(t, s, "/static/logos/client/"+s.ClientID)
		if resp.Header.Get("Content-Type") != "image/svg+xml" || string(body) != testLogo ||
			resp.Header.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'; sandbox" {
			t.Errorf("SVG logo: %q CSP %q %q", resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"), body)
		}
		if resp.Header.Get("ETag") == etag {
			t.Error("a new logo kept the old ETag")
		}

		// Bad uploads: 400 naming the logo, and the SVG stays.
		for name, bad := range map[string][]byte{
			"HTML disguised as PNG": []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
			"oversized":             bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 70000),
			"empty":                 nil,
		} {
			if status, raw := putLogo(t, s, token, "/clients/"+s.ClientID+"/logo", bad, "image/png"); status != http.StatusBadRequest ||
				!strings.Contains(raw, `"logo"`) {
				t.Errorf("%s: %d %s", name, status, raw)
			}
		}
		if resp, body := fetch(t, s, "/static/logos/client/"+s.ClientID); string(body) != testLogo || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("a refused upload changed the logo: %q", body)
		}
		if status, _ := putLogo(t, s, token, "/clients/nope/logo", pngLogo, "image/png"); status != http.StatusNotFound {
			t.Errorf("logo of an unknown client: %d", status)
		}

		// Unknown owners.
		for _, path := range []string{"/static/logos/client/nope", "/static/logos/org/nope", "/static/logos/user/" + s.UserID, "/static/logos/client/"} {
			if resp, _ := fetch(t, s, path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", path, resp.StatusCode)
			}
		}

		// Removed: off the pages, not served.
		api := apiCaller{t: t, s: s, token: token}
		api.want(http.StatusNoContent, http.MethodDelete, "/clients/"+s.ClientID+"/logo", nil)
		api.want(http.StatusNotFound, http.MethodDelete, "/clients/"+s.ClientID+"/logo", nil)
		s.Clock.Advance(idp.ClientCacheTTL)
		if p := newBrowser(t).get(s, r.start().url); strings.Contains(p.body, "client-logo") {
			t.Errorf("the sign-in page still shows the removed logo: %.1500s", p.body)
		}
		if resp, _ := fetch(t, s, "/static/logos/client/"+s.ClientID); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the removed logo: %d", resp.StatusCode)
		}
		var types []string
		for _, e := range api.want(http.StatusOK, http.MethodGet, "/audit?client_id="+s.ClientID, nil).items() {
			if typ := e["type"].(string); strings.HasPrefix(typ, "client.") {
				types = append(types, typ)
			}
		}
		if got := strings.Join(types, ","); got != "client.logo_removed,client.logo_set,client.logo_set" {
			t.Errorf("audit %s", got)
		}
	})
}

// TestOrgBrand: an organisation's brand name and logo replace the server's on
// its member's account page and in the email sent to them; a user outside it
// keeps the server's brand.
func TestOrgBrand(t *testing.T) {
	s, mb := brandedServer(t)
	ctx := context.Background()
	id, secret := adminClient(t, s, adminapi.Scope)
	token := clientToken(t, s, id, secret, adminapi.Scope)
	api := apiCaller{t: t, s: s, token: token}
	api.want(http.StatusCreated, http.MethodPost, "/organisations", map[string]any{"id": "acme", "name": "Acme Ltd"})
	if got := api.want(http.StatusOK, http.MethodPatch, "/organisations/acme", map[string]any{"brand_name": "Acme Portal"}).body; got["brand_name"] != "Acme Portal" || got["name"] != "Acme Ltd" {
		t.Errorf("PATCH brand_name: %v", got)
	}
	bad := api.want(http.StatusBadRequest, http.MethodPatch, "/organisations/acme", map[string]any{"name": "Renamed", "brand_name": "two\nlines"})
	if f, _ := bad.body["fields"].(map[string]any); f["brand_name"] == nil {
		t.Errorf("a two-line brand name: %s", bad.raw)
	}
	if o, _ := s.Store.GetOrganisation(ctx, "acme"); o.Name != "Acme Ltd" {
		t.Errorf("a refused brand name renamed the organisation: %q", o.Name)
	}
	logo := logoPNG(t, color.RGBA{R: 234, G: 88, B: 12, A: 255})
	if status, raw := putLogo(t, s, token, "/organisations/acme/logo", logo, "image/png"); status != http.StatusOK {
		t.Fatalf("org logo: %d %s", status, raw)
	}
	if status, raw := putLogo(t, s, token, "/organisations/acme/logo", []byte(`<html xmlns="http://www.w3.org/1999/xhtml"/>`), "image/svg+xml"); status != http.StatusBadRequest {
		t.Errorf("an SVG with the wrong root: %d %s", status, raw)
	}
	if err := orgs.SetUserOrg(ctx, s.Store, s.UserID, "acme", []string{"company-users"}, "test", s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	o, _ := s.Store.GetOrganisation(ctx, "acme")
	orgLogo := templates.LogoURL("org", "acme", o.LogoSum)

	// The member's account page.
	b := newBrowser(t)
	p := b.password(s, b.get(s, s.URL+"/account"), s.Email, s.Password)
	if p.url.Path != "/account" {
		t.Fatalf("signed in to %s: %.500s", p.url, p.body)
	}
	for _, want := range []string{
		`<img class="brand-logo" src="` + orgLogo + `" alt="" width="32" height="32">`,
		`<span class="brand-name">Acme Portal</span>`, "Acme Portal</title>", "Secured by Acme Portal",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the member's account page lacks %q: %.2500s", want, p.body)
		}
	}
	if strings.Contains(p.body, "Review Shop ID") || strings.Contains(p.body, templates.BrandLogoPath) {
		t.Errorf("the member's account page shows the server's brand: %.2500s", p.body)
	}
	if resp, body := fetch(t, s, orgLogo); resp.StatusCode != http.StatusOK || !bytes.Equal(body, logo) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("the org's logo: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The profile page too.
	if prof := b.get(s, s.URL+"/account/profile"); !strings.Contains(prof.body, `<span class="brand-name">Acme Portal</span>`) {
		t.Errorf("the member's profile page: %s %.1500s", prof.url, prof.body)
	}

	// The email sent to the member.
	newBrowser(t).post(s, s.URL+"/forgot", url.Values{"email": {s.Email}})
	msg := mb.wait(t, s.Email, "Reset your password")
	if !strings.Contains(msg.Text, "Acme Portal") || strings.Contains(msg.Text, "Review Shop ID") {
		t.Errorf("the member's email text:\n%s", msg.Text)
	}
	html := htmlPart(t, msg.Raw)
	for _, want := range []string{`<img src="` + s.URL + strings.ReplaceAll(orgLogo, "&", "&amp;") + `"`, ">Acme Portal</span>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the member's email lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "Review Shop ID") {
		t.Errorf("the member's email names the server's brand:\n%s", html)
	}

	// An invitation to a member, as the CLI sends it.
	inv := inviter(t, s, s.Clock.Now())
	inv.Orgs = s.Store
	invited, err := inv.Invite(ctx, admin.InviteSpec{Email: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := orgs.SetUserOrg(ctx, s.Store, invited.ID, "acme", []string{"company-users"}, "test", s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	mb.wait(t, "carol@example.com", "Your Review Shop ID account") // before she joined the organisation
	if _, err := inv.Resend(ctx, "carol@example.com"); err != nil {
		t.Fatal(err)
	}
	invite := mb.wait(t, "carol@example.com", "Your Acme Portal account")
	if !strings.Contains(invite.Text, "You are invited to Acme Portal") || !strings.Contains(htmlPart(t, invite.Raw), `<img src="`+s.URL+strings.ReplaceAll(orgLogo, "&", "&amp;")+`"`) {
		t.Errorf("the member's invitation:\n%s", invite.Text)
	}

	// A user outside the organisation keeps the server's brand.
	bob := addAccount(t, s, "bob")
	ob := newBrowser(t)
	q := ob.password(s, ob.get(s, s.URL+"/account"), bob.Email, bob.Password)
	if !strings.Contains(q.body, `<span class="brand-name">Review Shop ID</span>`) || !strings.Contains(q.body, `src="/static/brand/logo"`) ||
		strings.Contains(q.body, "Acme") {
		t.Errorf("bob's account page: %.2500s", q.body)
	}
	newBrowser(t).post(s, s.URL+"/forgot", url.Values{"email": {bob.Email}})
	bobMsg := mb.wait(t, bob.Email, "Reset your password")
	if h := htmlPart(t, bobMsg.Raw); !strings.Contains(h, ">Review Shop ID</span>") || strings.Contains(h, "Acme") {
		t.Errorf("bob's email:\n%s", h)
	}
}

// postLogoForm posts a console's logo form (multipart, field "logo") from
// site (the browser's Sec-Fetch-Site).
func postLogoForm(t *testing.T, s *server, b *browser, path, site string, content []byte) page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("logo", "logo.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req := mustRequest(t, http.MethodPost, s.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", site)
	return b.do(s, req)
}

// TestAdminConsoleLogos: the console's logo forms upload (multipart, with the
// console's cross-origin protection), preview, refuse a bad image without
// changing anything, and remove; an organisation's brand name is saved too.
func TestAdminConsoleLogos(t *testing.T) {
	w := newAdminWorld(t, memory.New())
	s, ctx := w.s, context.Background()
	b := &browser{t: t, client: w.root.client}
	logo := logoPNG(t, color.RGBA{R: 37, G: 99, B: 235, A: 255})
	client := "/admin/clients/" + s.ClientID

	if p := postLogoForm(t, s, b, client+"/logo", "cross-site", logo); p.resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site upload: %d", p.resp.StatusCode)
	}
	if c, _ := s.Store.GetClient(ctx, s.ClientID); c.LogoSum != "" {
		t.Fatal("a cross-site upload set the logo")
	}
	p := postLogoForm(t, s, b, client+"/logo", "same-origin", logo)
	c, _ := s.Store.GetClient(ctx, s.ClientID)
	preview := `<img class="admin-logo-preview" src="` + templates.LogoURL("client", s.ClientID, c.LogoSum) + `" alt="Current logo of Test App" height="48">`
	if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Logo saved.") || !strings.Contains(p.body, preview) {
		t.Errorf("upload: %d %.3000s", p.resp.StatusCode, p.body)
	}
	p = postLogoForm(t, s, b, client+"/logo", "same-origin", []byte("<html><body>not an image</body></html>"))
	if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "not a PNG, JPEG, WebP or SVG image") || !strings.Contains(p.body, preview) {
		t.Errorf("a bad upload: %d %.3000s", p.resp.StatusCode, p.body)
	}
	if after, _ := s.Store.GetClient(ctx, s.ClientID); after.LogoSum != c.LogoSum {
		t.Error("a refused upload changed the logo")
	}
	p = b.post(s, s.URL+client+"/logo/remove", nil)
	if !strings.Contains(p.body, "Logo removed.") || strings.Contains(p.body, "admin-logo-preview") {
		t.Errorf("remove: %d %.2000s", p.resp.StatusCode, p.body)
	}

	p = b.post(s, s.URL+"/admin/orgs/acme/brand", url.Values{"brand_name": {"Acme Portal"}})
	if !strings.Contains(p.body, "Brand name saved.") || !strings.Contains(p.body, `value="Acme Portal"`) {
		t.Errorf("brand name: %d %.2000s", p.resp.StatusCode, p.body)
	}
	p = postLogoForm(t, s, b, "/admin/orgs/acme/logo", "same-origin", logo)
	o, _ := s.Store.GetOrganisation(ctx, "acme")
	if o.BrandName != "Acme Portal" || o.LogoSum == "" || !strings.Contains(p.body, templates.LogoURL("org", "acme", o.LogoSum)) {
		t.Errorf("org logo: %+v %.2000s", o, p.body)
	}
}
