package e2e

// The real-browser test: headless Chromium (Debian's, at /usr/bin/chromium) signs in
// through Lockstep's hosted pages to a small relying party built from go-oidc and
// x/oauth2, exactly as a person signs in to an app. It never skips: without
// Chromium it fails and says how to install it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
)

// chromiumPath is Debian's Chromium; LOCKSTEP_CHROMIUM may point elsewhere.
const chromiumPath = "/usr/bin/chromium"

const (
	selEmail    = chromedp.CSS(`input[autocomplete=username]`)
	selPassword = chromedp.CSS(`input[autocomplete=current-password]`)
	selSubmit   = chromedp.CSS(`form button[type=submit]`)
	selAllow    = chromedp.CSS(`button[name=decision][value=allow]`)
	selAlert    = chromedp.CSS(`[role=alert]`)
	selSignedIn = chromedp.CSS(`#signed-in`)
	selBody     = chromedp.CSS(`body`)
)

func TestBrowserSignIn(t *testing.T) {
	exe := chromiumExecutable(t)
	backends(t, func(t *testing.T, newStore func(t *testing.T) storage.Storage) {
		t.Parallel()
		start := time.Now()
		s := startServer(t, newStore(t))
		app := startBrowserRP(t, s)
		ctx := newChrome(t, exe)
		shot := screenshotter(t)

		// The app sends the browser to Lockstep, which shows its login page.
		do(t, ctx, "open the app's sign-in link",
			chromedp.Navigate(app.URL+"/login"),
			chromedp.WaitVisible(selEmail),
			shot("01-login"),
		)
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/") {
			t.Fatalf("after the app's /login the browser is at %s, want a Lockstep page under %s", loc, s.URL)
		}

		// A wrong password: the page says so.
		do(t, ctx, "submit a wrong password",
			chromedp.SendKeys(selEmail, s.Email),
			chromedp.SendKeys(selPassword, "not the password"),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAlert),
			shot("02-login-wrong-password"),
		)
		alert := get(t, ctx, "read the alert", chromedp.Text(selAlert))
		if got := strings.TrimSpace(alert); got != "Incorrect email or password." {
			t.Errorf("after a wrong password the page says %q, want %q", got, "Incorrect email or password.")
		}

		// The email is kept, the password is not; the right password leads to the
		// consent page.
		if email := get(t, ctx, "read the email field", chromedp.Value(selEmail)); email != s.Email {
			t.Errorf("after a wrong password the email field holds %q, want %q", email, s.Email)
		}
		if pw := get(t, ctx, "read the password field", chromedp.Value(selPassword)); pw != "" {
			t.Errorf("after a wrong password the password field holds %q, want it empty", pw)
		}
		do(t, ctx, "submit the right password",
			chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selAllow),
			shot("03-consent"),
		)
		if text := get(t, ctx, "read the consent page", chromedp.Text(selBody)); !strings.Contains(text, app.Name) {
			t.Errorf("the consent page does not name the app %q:\n%s", app.Name, text)
		}

		// Lockstep's cookie, as the browser stored it.
		cookies := get(t, ctx, "read cookies", func(ctx context.Context, tgt *chromedp.Target) ([]*network.Cookie, error) {
			res, err := cdp.Call(ctx, tgt, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/"}})
			return res.Cookies, err
		})
		checkSessionCookie(t, cookies, s.Config.Session.CookieName)

		// Allow: back at the app, signed in.
		do(t, ctx, "allow",
			chromedp.Click(selAllow),
			chromedp.WaitVisible(selSignedIn),
			shot("04-app-signed-in"),
		)
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, app.URL+"/callback?") {
			t.Errorf("after Allow the browser is at %s, want the app's callback", loc)
		}
		appText := get(t, ctx, "read the app's page", chromedp.Text(selBody))
		if want := "signed in as " + s.UserID; !strings.Contains(appText, want) {
			t.Errorf("the app's page says %q, want it to contain %q", appText, want)
		}

		got := app.result()
		if got.err != nil {
			t.Fatalf("the app could not complete the sign-in: %v", got.err)
		}
		c := got.claims
		if c.Subject != s.UserID {
			t.Errorf("sub = %q, want %q", c.Subject, s.UserID)
		}
		if !slices.Equal(c.AMR, []string{"pwd"}) {
			t.Errorf("amr = %q, want [pwd]", c.AMR)
		}
		if c.ACR != "urn:lockstep:acr:pwd" {
			t.Errorf("acr = %q, want urn:lockstep:acr:pwd", c.ACR)
		}
		if at := time.Unix(c.AuthTime, 0); c.AuthTime == 0 || at.Before(start.Add(-2*time.Second)) || at.After(time.Now().Add(2*time.Second)) {
			t.Errorf("auth_time = %d (%v), want the time of this sign-in (after %v)", c.AuthTime, at, start)
		}
		if c.SID == "" {
			t.Error("the ID token has no sid")
		}
		if c.Email != s.Email {
			t.Errorf("email = %q, want %q", c.Email, s.Email)
		}
		if errs := chromeProblems(ctx); len(errs) > 0 {
			t.Errorf("the browser reported problems:\n%s", strings.Join(errs, "\n"))
		}
		t.Logf("browser sign-in took %v", time.Since(start).Round(time.Millisecond))
	})
}

// checkSessionCookie wants Lockstep's cookie HttpOnly and SameSite=Lax. The issuer
// is http on loopback here, so Secure is not expected.
func checkSessionCookie(t *testing.T, cookies []*network.Cookie, name string) {
	t.Helper()
	var found *network.Cookie
	var names []string
	for _, c := range cookies {
		names = append(names, c.Name)
		if c.Name == name {
			found = c
		}
	}
	if found == nil {
		t.Errorf("the browser holds no %q cookie for Lockstep (it has %q)", name, names)
		return
	}
	if !found.HTTPOnly {
		t.Errorf("cookie %s is not HttpOnly", name)
	}
	if found.SameSite != network.CookieSameSiteLax {
		t.Errorf("cookie %s has SameSite=%q, want Lax", name, found.SameSite)
	}
}

// stepTimeout bounds one step in the browser; a page that never comes fails the
// test with what the browser shows instead of hanging until go test's timeout.
const stepTimeout = 15 * time.Second

// do runs the steps in the browser and fails the test, naming the step and where
// the browser is, when one fails.
func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, step, chromedp.Steps(steps...))
}

// get runs an action that returns a value, failing the test as do does.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		dctx, dcancel := context.WithTimeout(ctx, 3*time.Second)
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		text, _ := chromedp.Run(dctx, chromedp.Text(selBody))
		dcancel()
		if len(text) > 2000 {
			text = text[:2000] + "…"
		}
		t.Fatalf("%s: %v\nbrowser at: %s\npage text:\n%s\nbrowser console:\n%s",
			step, err, loc, text, strings.Join(chromeProblems(ctx), "\n"))
	}
	return v
}

func chromiumExecutable(t *testing.T) string {
	t.Helper()
	exe := chromiumPath
	if p := os.Getenv("LOCKSTEP_CHROMIUM"); p != "" {
		exe = p
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (%v); install it with `apt-get install -y chromium` "+
			"or run scripts/test.sh, which does. These tests never skip.", exe, err)
	}
	return exe
}

// screenshotDir is $LOCKSTEP_SCREENSHOTS/<test name>, or a temporary folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LOCKSTEP_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, filepath.FromSlash(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromeLog collects what the browser complained about: CSP violations, script
// errors, failed loads.
type chromeLog struct {
	mu       sync.Mutex
	problems []string
}

type chromeLogKey struct{}

func chromeProblems(ctx context.Context) []string {
	l, _ := ctx.Value(chromeLogKey{}).(*chromeLog)
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.problems)
}

// expectedConsoleError tells the browser's complaints that are part of the test:
// the 401 of a refused password, and a missing favicon.
func expectedConsoleError(m chromedp.ConsoleMessage) bool {
	u, err := url.Parse(m.URL)
	if err != nil || m.Source != "network" {
		return false
	}
	return u.Path == "/favicon.ico" || u.Path == "/login" && strings.Contains(m.Text, "status of 401")
}

// newChrome starts a fresh headless Chromium with its own profile and returns the
// context of one tab in it; the browser ends with the test.
func newChrome(t *testing.T, exe string) context.Context {
	t.Helper()
	profile := t.TempDir() // removed after Chromium has exited: cleanups run last-in first-out
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(900, 760),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)

	// chromedp logs from its own goroutines; they must stop before the test ends.
	var logMu sync.Mutex
	logOn := true
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if logOn {
			t.Logf("chromedp: "+format, args...)
		}
	}
	cl := &chromeLog{}
	ctx, cancel := chromedp.NewContext(context.WithValue(actx, chromeLogKey{}, cl), chromedp.WithErrorf(logf))
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		acancel()
		wg.Wait()
		logMu.Lock()
		logOn = false
		logMu.Unlock()
	})

	// Start the browser now, so a broken Chromium fails here with a clear message.
	// Not under a timeout: the first Run's context is the browser's lifetime.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium (%s): %v", exe, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Chromium (%s) did not start within 30s", exe)
	}

	console := chromedp.Console(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range console {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !expectedConsoleError(m) {
				cl.mu.Lock()
				cl.problems = append(cl.problems, fmt.Sprintf("%s %s (%s)", m.Source, m, m.URL))
				cl.mu.Unlock()
			}
		}
	}()
	return ctx
}

// browserRP is a small web app that signs its users in with Lockstep: the
// authorization code flow with PKCE (S256), state bound to a cookie, and a nonce.
type browserRP struct {
	URL  string
	Name string

	mu   sync.Mutex
	last browserRPResult
	done bool
}

type browserRPResult struct {
	claims idClaims
	err    error
}

type idClaims struct {
	Subject  string   `json:"sub"`
	AMR      []string `json:"amr"`
	ACR      string   `json:"acr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
	Email    string   `json:"email"`
}

type rpPending struct{ nonce, verifier string }

// startBrowserRP registers the app as a confidential client of s and serves it on
// its own loopback port (http://localhost:port, another site than Lockstep's
// http://127.0.0.1:port, as a real app is).
func startBrowserRP(t *testing.T, s *server) *browserRP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	app := &browserRP{URL: base, Name: "Browser Test App"}

	ctx := context.Background()
	client, secret, err := admin.CreateClient(ctx, s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
		Name: app.Name, RedirectURIs: []string{base + "/callback"},
		GrantTypes: []string{"authorization_code", "refresh_token"},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, s.URL)
	if err != nil {
		t.Fatalf("the app's OIDC discovery of %s: %v", s.URL, err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: client.ID})
	cfg := oauth2.Config{
		ClientID: client.ID, ClientSecret: secret, RedirectURL: base + "/callback",
		Endpoint: provider.Endpoint(),
		Scopes:   []string{oidc.ScopeOpenID, "profile", "email"},
	}

	var mu sync.Mutex
	pending := map[string]rpPending{} // by state

	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		state, nonce, pkce := randomString(), randomString(), oauth2.GenerateVerifier()
		mu.Lock()
		pending[state] = rpPending{nonce: nonce, verifier: pkce}
		mu.Unlock()
		opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce)}
		// Extra authorization parameters come from the app's own query string, so a
		// test can sign in with /login?acr_values=… or /login?claims=….
		for k, v := range r.URL.Query() {
			opts = append(opts, oauth2.SetAuthURLParam(k, v[0]))
		}
		http.SetCookie(w, &http.Cookie{Name: "rp_state", Value: state, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, cfg.AuthCodeURL(state, opts...), http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		claims, err := app.callback(r, &cfg, verifier, s.URL, func(state string) (rpPending, bool) {
			mu.Lock()
			defer mu.Unlock()
			p, ok := pending[state]
			delete(pending, state)
			return p, ok
		})
		app.mu.Lock()
		app.last, app.done = browserRPResult{claims: claims, err: err}, true
		app.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>Sign-in failed</title><h1>Sign-in failed</h1><p id=error>%s</p>", html.EscapeString(err.Error()))
			return
		}
		fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p id=signed-in>signed in as %s</p>",
			html.EscapeString(app.Name), html.EscapeString(app.Name), html.EscapeString(claims.Subject))
	})
	hs := httptest.NewUnstartedServer(mux)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	return app
}

// callback does what an app does when the browser comes back: check state and iss,
// redeem the code with the PKCE verifier, verify the ID token and its nonce.
func (app *browserRP) callback(r *http.Request, cfg *oauth2.Config, verifier *oidc.IDTokenVerifier, issuer string,
	take func(state string) (rpPending, bool)) (idClaims, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return idClaims{}, fmt.Errorf("authorization error %s: %s", e, q.Get("error_description"))
	}
	state := q.Get("state")
	c, err := r.Cookie("rp_state")
	if err != nil || c.Value != state || state == "" {
		return idClaims{}, fmt.Errorf("state %q does not match this browser's state cookie (%v)", state, err)
	}
	p, ok := take(state)
	if !ok {
		return idClaims{}, errors.New("unknown or already used state")
	}
	if got := q.Get("iss"); got != issuer {
		return idClaims{}, fmt.Errorf("iss = %q, want %q (RFC 9207)", got, issuer)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		return idClaims{}, fmt.Errorf("exchange the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return idClaims{}, errors.New("no id_token in the token response")
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return idClaims{}, fmt.Errorf("verify the ID token: %w", err)
	}
	if idt.Nonce != p.nonce {
		return idClaims{}, fmt.Errorf("nonce = %q, want %q", idt.Nonce, p.nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		return idClaims{}, fmt.Errorf("at_hash: %w", err)
	}
	var claims idClaims
	if err := idt.Claims(&claims); err != nil {
		return idClaims{}, err
	}
	if claims.Subject == "" {
		return idClaims{}, errors.New("the ID token has no sub")
	}
	return claims, nil
}

func (app *browserRP) result() browserRPResult {
	app.mu.Lock()
	defer app.mu.Unlock()
	if !app.done {
		return browserRPResult{err: errors.New("the browser never reached the app's callback")}
	}
	return app.last
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
