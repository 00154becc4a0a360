package templates

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

const evil = `<script>alert("x")</script>`

func newRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func page(title string) Page { return Page{Title: title, ProductName: "Lockstep"} }

type pageCase struct {
	name    string
	render  func(*Renderer, io.Writer) error
	want    []string // substrings that must appear
	notWant []string // substrings that must not appear
}

func pageCases() []pageCase {
	return []pageCase{
		{
			name: "login",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: page("Sign in"), Action: "/login?flow=f123", FlowID: "f123", ClientName: "Acme", Email: "alice@example.com"})
			},
			want: []string{
				"<title>Sign in · Lockstep</title>",
				`<form method="post" action="/login?flow=f123"`,
				`<input type="hidden" name="flow" value="f123">`,
				`type="email" id="email" name="email" value="alice@example.com" autocomplete="username"`,
				// With the email known, the cursor starts in the password field.
				`type="password" id="password" name="password" autocomplete="current-password" required autofocus`,
				`<label for="email">`,
				`<label for="password">`,
				`<button type="submit" class="btn btn-primary">Sign in</button>`,
				"<h1>Sign in</h1>",
				"Acme",
			},
			notWant: []string{`role="alert"`, "alert-notice", "dev-ribbon", "aria-invalid"},
		},
		{
			name: "login with error and notice",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: Page{Dev: true}, Action: "/login", FlowID: "f", Error: "Incorrect email or password.", Notice: "Please sign in again to continue."})
			},
			want: []string{
				"<title>Sign in · Lockstep</title>", // defaults for Title and ProductName
				`role="alert" id="login-error">Incorrect email or password.</div>`,
				`class="alert alert-notice" role="status">Please sign in again to continue.</div>`,
				`aria-invalid="true" aria-describedby="login-error"`,
				"dev-ribbon",
				`autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus`,
			},
		},
		{
			name: "consent",
			render: func(r *Renderer, w io.Writer) error {
				return r.Consent(w, ConsentPage{Page: page(""), Action: "/consent?flow=c1", FlowID: "c1", ClientName: "Acme", UserEmail: "alice@example.com",
					Scopes: []Scope{{Name: "openid", Description: "Confirm who you are"}, {Name: "email", Description: "See your email address"}, {Name: "custom"}}})
			},
			want: []string{
				`Allow <span class="client">Acme</span> to access your account?`,
				"Signed in as <strong>alice@example.com</strong>",
				"Confirm who you are", "See your email address", `<span class="scope-id">email</span>`,
				`<span class="scope-desc">custom</span>`,
				`<form method="post" action="/consent?flow=c1"`,
				`<input type="hidden" name="flow" value="c1">`,
				`name="decision" value="allow"`,
				`name="decision" value="deny"`,
			},
		},
		{
			name: "error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Error(w, ErrorPage{Page: page(""), Status: 400, Heading: "Invalid request", Message: "The redirect_uri is not registered.", RequestID: "req-42"})
			},
			want: []string{"<title>Invalid request · Lockstep</title>", "Error 400", "<h1>Invalid request</h1>", "The redirect_uri is not registered.", "Request ID: ", "req-42"},
		},
		{
			name: "error defaults",
			render: func(r *Renderer, w io.Writer) error {
				return r.Error(w, ErrorPage{Status: http.StatusNotFound})
			},
			want:    []string{"<h1>Not Found</h1>", "Error 404"},
			notWant: []string{"Request ID"},
		},
		{
			name: "logout",
			render: func(r *Renderer, w io.Writer) error {
				return r.Logout(w, LogoutPage{Page: page(""), Action: "/logout", ClientName: "Acme", CancelURL: "/",
					Hidden: map[string]string{"state": "s1", "id_token_hint": "tok", "post_logout_redirect_uri": "https://acme.example/bye", "client_id": "acme"}})
			},
			want: []string{
				"<h1>Sign out?</h1>",
				`<form method="post" action="/logout"`,
				`<input type="hidden" name="client_id" value="acme">`,
				`<input type="hidden" name="id_token_hint" value="tok">`,
				`<input type="hidden" name="post_logout_redirect_uri" value="https://acme.example/bye">`,
				`<input type="hidden" name="state" value="s1">`,
				`href="/">Cancel</a>`,
				">Sign out</button>",
			},
		},
		{
			name: "logout without client",
			render: func(r *Renderer, w io.Writer) error {
				return r.Logout(w, LogoutPage{Action: "/logout"})
			},
			want:    []string{"Do you want to sign out of Lockstep?", "actions-single"},
			notWant: []string{"Cancel", `type="hidden"`},
		},
		{
			name: "logged out",
			render: func(r *Renderer, w io.Writer) error {
				return r.LoggedOut(w, LoggedOutPage{Page: page("")})
			},
			want: []string{"You are signed out", "<title>Signed out · Lockstep</title>"},
		},
		{
			name: "home",
			render: func(r *Renderer, w io.Writer) error {
				return r.Home(w, HomePage{Page: Page{ProductName: "Lockstep", Dev: true}, Issuer: "http://127.0.0.1:8080", DevUser: "dev@example.com", DevPassword: "devpass", DevClientID: "dev-client", DevHints: []string{"Data is kept in memory."}})
			},
			want: []string{
				"<title>Lockstep</title>",
				`href="http://127.0.0.1:8080/.well-known/openid-configuration"`,
				"dev@example.com", "devpass", "dev-client", "Data is kept in memory.",
				"Development credentials", "dev-ribbon",
			},
		},
		{
			name: "home production",
			render: func(r *Renderer, w io.Writer) error {
				return r.Home(w, HomePage{Page: page(""), Issuer: "https://id.example.com"})
			},
			want:    []string{"https://id.example.com"},
			notWant: []string{"Development credentials", "dev-ribbon"},
		},
	}
}

var (
	scriptTag  = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	inlineOnFn = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

// checkCommon verifies the layout and the strict-CSP rules for any page.
func checkCommon(t *testing.T, html string) {
	t.Helper()
	for _, s := range []string{
		"<!doctype html>",
		`<html lang="en">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<link rel="stylesheet" href="/static/style.css">`,
		`<span class="brand-name">`,
		"</main>",
		"</html>",
	} {
		if !strings.Contains(html, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(strings.ToLower(html), "style=") {
		t.Error("page contains a style attribute")
	}
	if strings.Contains(strings.ToLower(html), "<style") {
		t.Error("page contains a <style> element")
	}
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !strings.Contains(strings.ToLower(tag), " src=") {
			t.Errorf("inline script: %s", tag)
		}
	}
	if m := inlineOnFn.FindString(html); m != "" {
		t.Errorf("inline event handler %q", m)
	}
	for _, link := range regexp.MustCompile(`<link[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(link, `href="/static/`) {
			t.Errorf("<link> to a non-local resource: %s", link)
		}
	}
	for _, form := range regexp.MustCompile(`<form[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(form, `method="post"`) {
			t.Errorf("form without method=post: %s", form)
		}
	}
}

func TestPagesRender(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range pageCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(r, &buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			html := buf.String()
			checkCommon(t, html)
			for _, s := range tc.want {
				if !strings.Contains(html, s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(html, s) {
					t.Errorf("unexpected %q", s)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", html)
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	r := newRenderer(t)
	p := Page{Title: evil, ProductName: evil}
	cases := []struct {
		name   string
		render func(io.Writer) error
	}{
		{"login", func(w io.Writer) error {
			return r.Login(w, LoginPage{Page: p, Action: "/login", FlowID: `"><script>x</script>`, ClientName: evil, Email: `"><script>x</script>`, Error: evil, Notice: evil})
		}},
		{"consent", func(w io.Writer) error {
			return r.Consent(w, ConsentPage{Page: p, Action: "/consent", FlowID: evil, ClientName: evil, UserEmail: evil, Scopes: []Scope{{Name: evil, Description: evil}}})
		}},
		{"error", func(w io.Writer) error {
			return r.Error(w, ErrorPage{Page: p, Status: 500, Heading: evil, Message: evil, RequestID: evil})
		}},
		{"logout", func(w io.Writer) error {
			return r.Logout(w, LogoutPage{Page: p, Action: "/logout", ClientName: evil, Hidden: map[string]string{`"><script>x</script>`: evil}})
		}},
		{"logged out", func(w io.Writer) error { return r.LoggedOut(w, LoggedOutPage{Page: p}) }},
		{"home", func(w io.Writer) error {
			return r.Home(w, HomePage{Page: p, Issuer: evil, DevUser: evil, DevPassword: evil, DevClientID: evil, DevHints: []string{evil}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(&buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			html := buf.String()
			if strings.Contains(strings.ToLower(html), "<script") {
				t.Errorf("unescaped <script> in output:\n%s", html)
			}
			if !strings.Contains(html, "&lt;script&gt;") {
				t.Errorf("escaped value not found in output:\n%s", html)
			}
		})
	}
}

func TestUnsafeURLsAreFiltered(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Login(&buf, LoginPage{Action: "javascript:alert(1)", FlowID: "f"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "javascript:") {
		t.Errorf("javascript: URL not filtered:\n%s", buf.String())
	}
}

func TestRenderWritesNothingOnTemplateError(t *testing.T) {
	r := newRenderer(t)
	// A page whose template fails half-way through.
	r.pages["broken"] = template.Must(template.New("layout").Parse(`<!doctype html><p>half a page {{.NoSuchField}}</p>`))
	var buf bytes.Buffer
	err := r.render(&buf, "broken", LoggedOutPage{})
	if err == nil {
		t.Fatal("expected an error")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q despite the error", buf.String())
	}
	if err := r.render(&buf, "nope", nil); err == nil {
		t.Error("unknown page: expected an error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestWriteErrorIsReturned(t *testing.T) {
	r := newRenderer(t)
	if err := r.LoggedOut(failingWriter{}, LoggedOutPage{}); err == nil {
		t.Error("expected the writer's error")
	}
}

func TestResponseWriterContentType(t *testing.T) {
	r := newRenderer(t)
	rec := httptest.NewRecorder()
	if err := r.Home(rec, HomePage{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}

	rec = httptest.NewRecorder()
	rec.Header().Set("Content-Type", "text/html")
	if err := r.Home(rec, HomePage{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html" {
		t.Errorf("preset Content-Type overwritten: %q", got)
	}
}

func TestStaticHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/static/", StaticHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		path        string
		status      int
		contentType string
		body        string
	}{
		{"/static/style.css", http.StatusOK, "text/css", ":root"},
		{"/static/favicon.svg", http.StatusOK, "image/svg+xml", "<svg"},
		{"/static/", http.StatusNotFound, "", ""},
		{"/static/missing.css", http.StatusNotFound, "", ""},
		{"/static/../templates.go", http.StatusNotFound, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = tc.path // keep ".." as sent
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tc.contentType)
			}
			if !strings.Contains(string(body), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
			if resp.Header.Get("Cache-Control") == "" || resp.Header.Get("ETag") == "" {
				t.Errorf("missing cache headers: %v", resp.Header)
			}

			// Revalidation with the ETag yields 304.
			req2, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			req2.Header.Set("If-None-Match", resp.Header.Get("ETag"))
			resp2, err := srv.Client().Do(req2)
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation status = %d, want 304", resp2.StatusCode)
			}
		})
	}
}

// The stylesheet must not pull in anything the CSP forbids.
func TestStylesheetIsSelfContained(t *testing.T) {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"@import", "url(", "http:", "https:"} {
		if strings.Contains(string(css), bad) {
			t.Errorf("style.css contains %q", bad)
		}
	}
}
