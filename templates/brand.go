package templates

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Brand paths under /static/, served by Renderer.StaticHandler; the logos of
// clients and organisations are served under LogosPath by the provider.
const (
	BrandCSSPath  = "/static/brand.css"
	BrandLogoPath = "/static/brand/logo"
	LogosPath     = "/static/logos/"
)

// ImageCSP is the Content-Security-Policy of an SVG image opened on its own:
// it runs no script and loads nothing.
const ImageCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// LogoURL is the address of the logo of a client (owner "client") or an
// organisation ("org") in version sum: a new upload has a new address, so
// browsers may cache each one for long. Without a sum (no logo) it is "".
func LogoURL(owner, id, sum string) string {
	if sum == "" {
		return ""
	}
	return LogosPath + owner + "/" + url.PathEscape(id) + "?v=" + url.QueryEscape(sum)
}

// ServeImage writes an image with the headers every logo gets: its type, no
// sniffing, its ETag (a quoted version of the content) with 304 for a browser
// that has it, and ImageCSP for SVG.
func ServeImage(w http.ResponseWriter, r *http.Request, content []byte, mediaType, etag string) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if mediaType == "image/svg+xml" {
		h.Set("Content-Security-Policy", ImageCSP)
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(content)
}

// OrgBrand is an organisation's own name and logo, which its members see
// instead of the server's brand on their account pages and in their emails.
type OrgBrand struct {
	// Name replaces the product name ("": the product name stays).
	Name string
	// Logo is the logo's same-origin URL (LogoURL; "": the server's logo stays).
	Logo string
}

type orgBrandKey struct{}

// WithOrgBrand returns ctx with b, which Renderer.Page and EmailHTML apply.
func WithOrgBrand(ctx context.Context, b OrgBrand) context.Context {
	return context.WithValue(ctx, orgBrandKey{}, b)
}

// OrgBrandFrom returns the brand WithOrgBrand put in ctx (the zero one when none).
func OrgBrandFrom(ctx context.Context) OrgBrand {
	b, _ := ctx.Value(orgBrandKey{}).(OrgBrand)
	return b
}

// Brand is the configuration's branding: it replaces the product name, the
// mark and the accent colour, and adds a support contact.
type Brand struct {
	ProductName string
	// Logo is the logo file's content and LogoType its media type (empty: the built-in mark).
	Logo     []byte
	LogoType string
	// AccentColor is #rrggbb (empty: the built-in colours).
	AccentColor string
	// SupportContact is an email address or a URL.
	SupportContact string
}

// brandCSS is the stylesheet of an accent colour: the colour and a darker
// hover in light mode, a lighter one in dark mode, and text on it in black or
// white, whichever reads better.
func brandCSS(accent string) ([]byte, error) {
	rgb, err := strconv.ParseUint(accent[1:], 16, 32)
	if len(accent) != 7 || accent[0] != '#' || err != nil {
		return nil, fmt.Errorf("templates: accent colour %q is not #rrggbb", accent)
	}
	r, g, b := float64(rgb>>16&0xff), float64(rgb>>8&0xff), float64(rgb&0xff)
	mix := func(to, t float64) string {
		m := func(c float64) int { return int(c + (to-c)*t + 0.5) }
		return fmt.Sprintf("#%02x%02x%02x", m(r), m(g), m(b))
	}
	on := "#fff"
	if light(accent) {
		on = "#111827"
	}
	css := fmt.Sprintf(`/* Generated from branding.accent_color. */
:root {
  --accent: %s;
  --accent-hover: %s;
  --on-accent: %s;
  --ring: %s;
}
@media (prefers-color-scheme: dark) {
  :root {
    --accent: %s;
    --accent-hover: %s;
    --on-accent: #111827;
    --ring: %s;
  }
}
`, accent, mix(0, 0.18), on, mix(255, 0.7), mix(255, 0.45), mix(255, 0.65), mix(0, 0.35))
	return []byte(css), nil
}

// light reports whether black text reads better than white on the colour
// #rrggbb (by its luma).
func light(colour string) bool {
	rgb, err := strconv.ParseUint(strings.TrimPrefix(colour, "#"), 16, 32)
	if err != nil {
		return false
	}
	return 0.2126*float64(rgb>>16&0xff)+0.7152*float64(rgb>>8&0xff)+0.0722*float64(rgb&0xff) > 150
}

// StaticHandler serves the embedded static files and the brand's stylesheet
// and logo (see the package function StaticHandler).
func (r *Renderer) StaticHandler() http.Handler {
	static := StaticHandler()
	files := map[string][]byte{}
	types := map[string]string{}
	if r.brandCSS != nil {
		files[BrandCSSPath], types[BrandCSSPath] = r.brandCSS, "text/css; charset=utf-8"
	}
	if len(r.opt.Brand.Logo) > 0 {
		files[BrandLogoPath], types[BrandLogoPath] = r.opt.Brand.Logo, r.opt.Brand.LogoType
	}
	etags := map[string]string{}
	for path, b := range files {
		sum := sha256.Sum256(b)
		etags[path] = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, ok := files[req.URL.Path]
		if !ok {
			static.ServeHTTP(w, req)
			return
		}
		ServeImage(w, req, b, types[req.URL.Path], etags[req.URL.Path])
	})
}
