package idp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Every response carries the README's headers (Security choices): a strict CSP,
// no framing, no sniffing, no referrer, and HSTS for an https issuer only.
func TestSecurityHeaders(t *testing.T) {
	for _, issuer := range []string{"https://id.example", "http://localhost:8080"} {
		u, err := url.Parse(issuer)
		if err != nil {
			t.Fatal(err)
		}
		p := &Provider{issuer: u}
		w := httptest.NewRecorder()
		p.securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusTeapot {
			t.Fatalf("%s: the handler did not run (%d)", issuer, w.Code)
		}
		want := map[string]string{
			"Content-Security-Policy":   pageCSP,
			"X-Frame-Options":           "DENY",
			"X-Content-Type-Options":    "nosniff",
			"Referrer-Policy":           "no-referrer",
			"Strict-Transport-Security": map[bool]string{true: "max-age=63072000; includeSubDomains", false: ""}[u.Scheme == "https"],
		}
		for _, directive := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(pageCSP, directive) || strings.Contains(pageCSP, "unsafe-inline") {
				t.Errorf("CSP %q lacks %s or allows inline code", pageCSP, directive)
			}
		}
		for name, v := range want {
			if got := w.Header().Get(name); got != v {
				t.Errorf("%s: %s = %q, want %q", issuer, name, got, v)
			}
		}
	}
}
