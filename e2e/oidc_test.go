package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
)

func TestDiscoveryAndHeaders(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		resp, err := http.Get(s.URL + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d["issuer"] != s.URL {
			t.Errorf("issuer = %v", d["issuer"])
		}
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
			"introspection_endpoint", "revocation_endpoint", "end_session_endpoint"} {
			if v, _ := d[k].(string); !strings.HasPrefix(v, s.URL+"/") {
				t.Errorf("%s = %v", k, d[k])
			}
		}
		if d["claims_parameter_supported"] != true || d["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("claims/iss support not announced: %v %v", d["claims_parameter_supported"], d["authorization_response_iss_parameter_supported"])
		}
		if got := toStrings(d["acr_values_supported"]); !slices.Equal(got, flows.ACRLadder) {
			t.Errorf("acr_values_supported = %v", got)
		}
		if got := toStrings(d["code_challenge_methods_supported"]); !slices.Equal(got, []string{"S256"}) {
			t.Errorf("code_challenge_methods_supported = %v", got)
		}
		if got := toStrings(d["grant_types_supported"]); slices.Contains(got, "implicit") || slices.Contains(got, "password") {
			t.Errorf("grant_types_supported = %v", got)
		}

		// JWKS publishes an RS256 and an ES256 key.
		resp2, err := http.Get(s.URL + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp2.Body.Close()
		var set struct {
			Keys []struct{ Alg, Kid, Use string } `json:"keys"`
		}
		_ = json.NewDecoder(resp2.Body).Decode(&set)
		var algs []string
		for _, k := range set.Keys {
			algs = append(algs, k.Alg)
		}
		slices.Sort(algs)
		if !slices.Equal(algs, []string{"ES256", "RS256"}) {
			t.Errorf("jwks algs = %v", algs)
		}

		// Pages carry the security headers.
		b := newBrowser(t)
		p := b.get(s, newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI).start().url)
		h := p.resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("security headers missing: %v", h)
		}
		// The dev outbox (it shows notification texts) exists only in dev mode.
		if r, err := http.Get(s.URL + "/dev/outbox"); err != nil || r.StatusCode != http.StatusNotFound {
			t.Errorf("/dev/outbox outside dev mode: %v %v", r.StatusCode, err)
		} else {
			r.Body.Close()
		}
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			r, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				t.Errorf("%s = %d", path, r.StatusCode)
			}
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestCodeFlow(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		before := time.Now().Truncate(time.Second)
		a := r.start()
		cb := b.signIn(s, a.url, s.Email, s.Password)
		tk := r.redeem(a, cb)

		c := tk.claims
		for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash"} {
			if _, ok := c[k]; !ok {
				t.Errorf("id token lacks %s: %v", k, c)
			}
		}
		if c["sub"] != s.UserID || c["acr"] != flows.ACRPassword || !slices.Equal(toStrings(c["amr"]), []string{"pwd"}) {
			t.Errorf("sub/acr/amr = %v %v %v", c["sub"], c["acr"], c["amr"])
		}
		authTime := int64(c["auth_time"].(float64))
		if authTime < before.Unix() || authTime > time.Now().Unix() {
			t.Errorf("auth_time %d not within the login", authTime)
		}
		if c["email"] != s.Email || c["given_name"] != "Alice" {
			t.Errorf("profile claims = %v", c)
		}
		if tk.tok.RefreshToken == "" {
			t.Error("no refresh token for offline_access")
		}

		// userinfo through go-oidc.
		ui, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tk.tok))
		if err != nil {
			t.Fatal(err)
		}
		if ui.Subject != s.UserID || ui.Email != s.Email {
			t.Errorf("userinfo = %+v", ui)
		}

		// The consent is remembered: the second sign-in shows no page at all.
		a2 := r.start()
		p := b.get(s, a2.url)
		if p.callback == nil {
			t.Fatalf("second sign-in stopped at %s", p.url)
		}
		tk2 := r.redeem(a2, p.callback)
		if tk2.claims["auth_time"] != c["auth_time"] || tk2.claims["sid"] != c["sid"] {
			t.Errorf("SSO sign-in changed auth_time/sid: %v vs %v", tk2.claims, c)
		}

		// Refresh keeps auth_time, acr and amr.
		time.Sleep(1100 * time.Millisecond)
		refreshed, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tk.tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		rt := r.verify(refreshed, "")
		for _, k := range []string{"auth_time", "acr", "sub", "sid"} {
			if rt.claims[k] != c[k] {
				t.Errorf("refresh changed %s: %v → %v", k, c[k], rt.claims[k])
			}
		}
		if !slices.Equal(toStrings(rt.claims["amr"]), []string{"pwd"}) {
			t.Errorf("refresh amr = %v", rt.claims["amr"])
		}
		if refreshed.RefreshToken == tk.tok.RefreshToken {
			t.Error("refresh token was not rotated")
		}

		// Introspection and revocation.
		st, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {refreshed.AccessToken}}, s.ClientID, s.ClientSecret)
		if st != 200 || in["active"] != true || in["sub"] != s.UserID {
			t.Errorf("introspect = %d %v", st, in)
		}
		st, _ = postForm(t, s.URL+"/oauth/revoke", url.Values{"token": {refreshed.RefreshToken}}, s.ClientID, s.ClientSecret)
		if st != 200 {
			t.Errorf("revoke = %d", st)
		}
		_, in = postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {refreshed.AccessToken}}, s.ClientID, s.ClientSecret)
		if in["active"] != false {
			t.Errorf("access token still active after revoking its refresh token: %v", in)
		}
	})
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		first := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password)).tok

		refresh := func(rt string) (int, map[string]any) {
			return postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, s.ClientID, s.ClientSecret)
		}
		st, second := refresh(first.RefreshToken)
		if st != 200 {
			t.Fatalf("first rotation = %d %v", st, second)
		}
		// Reusing the rotated token is refused and kills the newer tokens too.
		if st, body := refresh(first.RefreshToken); st != 400 || body["error"] != "invalid_grant" {
			t.Errorf("reuse = %d %v", st, body)
		}
		if st, body := refresh(second["refresh_token"].(string)); st < 400 {
			t.Errorf("the family's newest refresh token still works after reuse: %d %v", st, body)
		}
		_, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {second["access_token"].(string)}}, s.ClientID, s.ClientSecret)
		if in["active"] != false {
			t.Errorf("the family's access token is still active: %v", in)
		}

		// One refresh token sent 20 times at once: exactly one new token.
		a2 := r.start()
		tok := r.redeem(a2, b.signIn(s, a2.url, s.Email, s.Password)).tok
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st, _ := refresh(tok.RefreshToken); st == 200 {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Errorf("concurrent rotation gave %d new tokens, want 1", ok)
		}
	})
}

func TestCodeReuse(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		redeem := func(a attempt, code string) (int, map[string]any) {
			return postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {s.RedirectURI}, "code_verifier": {a.verifier}}, s.ClientID, s.ClientSecret)
		}

		a := r.start()
		code := b.signIn(s, a.url, s.Email, s.Password).Query().Get("code")
		st, first := redeem(a, code)
		if st != 200 {
			t.Fatalf("first redemption = %d %v", st, first)
		}
		if st, body := redeem(a, code); st != 400 || body["error"] != "invalid_grant" {
			t.Errorf("second redemption = %d %v", st, body)
		}
		_, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {first["access_token"].(string)}}, s.ClientID, s.ClientSecret)
		if in["active"] != false {
			t.Errorf("tokens from the first redemption survive code reuse: %v", in)
		}

		// Twenty redemptions at once: exactly one succeeds, the rest are invalid_grant.
		a2 := r.start()
		code2 := b.signIn(s, a2.url, s.Email, s.Password).Query().Get("code")
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[string]int{}
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, body := redeem(a2, code2)
				key := "ok"
				if st != 200 {
					key, _ = body["error"].(string)
				}
				mu.Lock()
				results[key]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if results["ok"] != 1 || results["invalid_grant"] != 19 {
			t.Errorf("concurrent redemptions = %v, want 1 ok and 19 invalid_grant", results)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		st, body := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}}, s.ClientID, s.ClientSecret)
		if st != 200 || body["access_token"] == nil || body["id_token"] != nil || body["refresh_token"] != nil {
			t.Fatalf("client credentials = %d %v", st, body)
		}
		// client_secret_post works as well.
		st, _ = postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}, "", "")
		if st != 200 {
			t.Errorf("client_secret_post = %d", st)
		}
		if st, body := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}}, s.ClientID, s.ClientSecret+"x"); st != 401 || body["error"] != "invalid_client" {
			t.Errorf("wrong secret = %d %v", st, body)
		}
		if st, body := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {s.Email}, "password": {s.Password}}, s.ClientID, s.ClientSecret); st < 400 {
			t.Errorf("ROPC accepted: %d %v", st, body)
		}
		// A token response must not be cached.
		req := mustRequest(t, http.MethodPost, s.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(s.ClientID, s.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("token response Cache-Control = %q", resp.Header.Get("Cache-Control"))
		}
	})
}

func TestRedirectURIMismatch(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		for name, uri := range map[string]string{
			"case changed":   strings.Replace(s.RedirectURI, "callback", "Callback", 1),
			"trailing slash": s.RedirectURI + "/",
			"extra query":    s.RedirectURI + "?x=1",
			"fragment":       s.RedirectURI + "#frag",
			"other host":     "http://evil.example/callback",
			"dot segments":   "http://127.0.0.1:1/x/../callback",
			"encoded slash":  "http://127.0.0.1:1/callback%2F",
			"userinfo":       "http://evil@127.0.0.1:1/callback",
		} {
			t.Run(name, func(t *testing.T) {
				rr := *r
				rr.cfg.RedirectURL = uri
				p := newBrowser(t).get(s, rr.start().url)
				if p.callback != nil || p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("got %d to %v, want an error page and no redirect", p.resp.StatusCode, p.callback)
				}
				if !strings.Contains(p.body, "not valid") {
					t.Errorf("error page says: %.300s", p.body)
				}
			})
		}
	})
}

func TestPKCE(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		pub := newRP(t, s, s.PublicID, "", s.PublicRedirect)
		b := newBrowser(t)

		// A public client without a challenge, or with plain, is refused at the redirect URI.
		for name, u := range map[string]string{
			"missing": pub.cfg.AuthCodeURL("state-long-enough", oidc.Nonce("n0nce-value-long-enough")),
			"plain": pub.cfg.AuthCodeURL("state-long-enough", oidc.Nonce("n0nce-value-long-enough"),
				oauth2.SetAuthURLParam("code_challenge", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"), oauth2.SetAuthURLParam("code_challenge_method", "plain")),
		} {
			p := b.get(s, u)
			if p.callback == nil || p.callback.Query().Get("error") != "invalid_request" || p.callback.Query().Get("iss") != s.URL {
				t.Errorf("%s: got %v (%d)", name, p.callback, p.resp.StatusCode)
			}
		}

		// A wrong verifier fails the exchange; the right one succeeds.
		a := pub.start()
		cb := b.signIn(s, a.url, s.Email, s.Password)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
			"redirect_uri": {s.PublicRedirect}, "client_id": {s.PublicID}, "code_verifier": {oauth2.GenerateVerifier()}}
		if st, body := postForm(t, s.URL+"/oauth/token", form, "", ""); st != 400 || body["error"] != "invalid_grant" {
			t.Errorf("wrong verifier = %d %v", st, body)
		}
		a2 := pub.start()
		cb2 := b.signIn(s, a2.url, s.Email, s.Password)
		form.Set("code", cb2.Query().Get("code"))
		form.Set("code_verifier", a2.verifier)
		if st, body := postForm(t, s.URL+"/oauth/token", form, "", ""); st != 200 {
			t.Errorf("right verifier = %d %v", st, body)
		}
		// No verifier at all for a code issued with a challenge.
		a3 := pub.start()
		cb3 := b.signIn(s, a3.url, s.Email, s.Password)
		form.Set("code", cb3.Query().Get("code"))
		form.Del("code_verifier")
		if st, body := postForm(t, s.URL+"/oauth/token", form, "", ""); st < 400 {
			t.Errorf("missing verifier = %d %v", st, body)
		}
	})
}

func TestPromptAndMaxAge(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		param := oauth2.SetAuthURLParam

		// prompt=none without a session → login_required at the redirect URI.
		p := b.get(s, r.start(param("prompt", "none")).url)
		if p.callback == nil || p.callback.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none without session: %v", p.callback)
		}
		// prompt=none with another value → invalid_request.
		p = b.get(s, r.start(param("prompt", "none login")).url)
		if p.callback == nil || p.callback.Query().Get("error") != "invalid_request" {
			t.Errorf("prompt=none login: %v", p.callback)
		}
		// max_age=abc → invalid_request.
		p = b.get(s, r.start(param("max_age", "abc")).url)
		if p.callback == nil || p.callback.Query().Get("error") != "invalid_request" {
			t.Errorf("max_age=abc: %v", p.callback)
		}

		a := r.start()
		first := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password)).claims
		cookieBefore := sessionCookie(t, b, s)

		// prompt=none with a session, and max_age=10000 on a fresh session: no page, same auth_time.
		for _, opt := range []oauth2.AuthCodeOption{param("prompt", "none"), param("max_age", "10000")} {
			a := r.start(opt)
			p := b.get(s, a.url)
			if p.callback == nil {
				t.Fatalf("a page was shown at %s", p.url)
			}
			c := r.redeem(a, p.callback).claims
			if c["auth_time"] != first["auth_time"] || c["sub"] != first["sub"] {
				t.Errorf("auth_time/sub changed: %v → %v", first["auth_time"], c["auth_time"])
			}
		}

		// prompt=login, max_age=0 and an exceeded max_age each ask for the password again
		// and yield a later auth_time and a new session cookie.
		prev := first["auth_time"].(float64)
		for _, tc := range []struct {
			name string
			opt  oauth2.AuthCodeOption
		}{{"prompt=login", param("prompt", "login")}, {"max_age=0", param("max_age", "0")}, {"max_age=1", param("max_age", "1")}} {
			time.Sleep(2100 * time.Millisecond)
			a := r.start(tc.opt)
			p := b.get(s, a.url)
			if !p.isLogin() {
				t.Fatalf("%s: no login page, got %s %v", tc.name, p.url, p.callback)
			}
			if !strings.Contains(p.body, "sign in again") {
				t.Errorf("%s: login page does not say why", tc.name)
			}
			p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
			c := r.redeem(a, p.callback).claims
			if at := c["auth_time"].(float64); at <= prev {
				t.Errorf("%s: auth_time %v not after %v", tc.name, at, prev)
			} else {
				prev = at
			}
			if now := sessionCookie(t, b, s); now == cookieBefore {
				t.Errorf("%s: session cookie not rotated", tc.name)
			} else {
				cookieBefore = now
			}
		}

		// An essential acr that a password cannot meet is never downgraded: the user
		// is asked to set up a second factor (TestEnrolmentOffRefuses covers the refusal).
		claims := `{"id_token":{"acr":{"essential":true,"values":["` + flows.ACRMultiFactor + `"]}}}`
		p = b.get(s, r.start(param("claims", claims)).url)
		if p.callback != nil || p.url.Path != "/account/setup" {
			t.Errorf("essential mfa acr without a second factor: %v %s", p.callback, p.url)
		}
		// Unknown acr_values still succeed and acr says what happened.
		a = r.start(param("acr_values", "urn:example:unknown"))
		p = b.get(s, a.url)
		if p.callback == nil {
			t.Fatalf("acr_values unknown: stopped at %s", p.url)
		}
		if c := r.redeem(a, p.callback).claims; c["acr"] != flows.ACRPassword {
			t.Errorf("acr = %v", c["acr"])
		}
		// An id_token_hint for this user passes silently with prompt=none.
		a = r.start(param("prompt", "none"), param("id_token_hint", r.redeem(a, b.get(s, a.url).callback).raw))
		if p := b.get(s, a.url); p.callback == nil || p.callback.Query().Get("code") == "" {
			t.Errorf("id_token_hint for the session's user: %v", p.callback)
		}
	})
}

// sessionCookie returns the Lockstep cookie the browser holds.
func sessionCookie(t *testing.T, b *browser, s *server) string {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == s.Config.Session.CookieName {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestLoginFailures(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		// login_hint prefills the email.
		if p := newBrowser(t).get(s, r.start(oauth2.SetAuthURLParam("login_hint", "hint@example.com")).url); !strings.Contains(p.body, `value="hint@example.com"`) {
			t.Errorf("login_hint not prefilled")
		}
		p := b.get(s, r.start().url)
		flow := p.flowID()
		try := func(email, pw string) page {
			return b.post(s, s.URL+"/login", url.Values{"flow": {flow}, "email": {email}, "password": {pw}})
		}

		// Unknown user and wrong password look the same.
		unknown, wrong := try("nobody@example.com", "whatever-password"), try(s.Email, "wrong-password")
		if unknown.resp.StatusCode != wrong.resp.StatusCode || !strings.Contains(unknown.body, "Incorrect email or password.") ||
			!strings.Contains(wrong.body, "Incorrect email or password.") {
			t.Fatalf("unknown user %d vs wrong password %d", unknown.resp.StatusCode, wrong.resp.StatusCode)
		}

		// A cross-origin post is refused and changes nothing.
		req := mustRequest(t, http.MethodPost, s.URL+"/login", strings.NewReader(url.Values{"flow": {flow}, "email": {s.Email}, "password": {s.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin post = %d, want 403", resp.StatusCode)
		}
		if f, _ := s.Store.GetFlow(context.Background(), flow); f.State != "login" {
			t.Errorf("cross-origin post advanced the flow to %s", f.State)
		}

		// 20 wrong passwords: the account is throttled, even for the right password.
		var last page
		for range 20 {
			last = try(s.Email, "wrong-password")
		}
		if last.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(last.body, "Too many failed sign-in attempts") {
			t.Fatalf("after 20 failures: %d", last.resp.StatusCode)
		}
		if p := try(s.Email, s.Password); p.callback != nil || p.resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("throttled account signed in: %d", p.resp.StatusCode)
		}

		// A flow cannot be finished from another browser.
		other := newBrowser(t)
		p = other.post(s, s.URL+"/login", url.Values{"flow": {flow}, "email": {s.Email}, "password": {s.Password}})
		if p.resp.StatusCode != http.StatusForbidden || p.callback != nil {
			t.Errorf("foreign browser: %d %v", p.resp.StatusCode, p.callback)
		}
	})
}

func TestConsentAndFirstParty(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)

		// Deny → access_denied at the client.
		p := b.get(s, r.start().url)
		p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
		if !p.isConsent() {
			t.Fatalf("no consent page: %s", p.url)
		}
		for _, words := range []string{"See your email address", "Test App", s.Email} {
			if !strings.Contains(p.body, words) {
				t.Errorf("consent page lacks %q", words)
			}
		}
		flow := p.flowID()
		p = b.post(s, s.URL+"/consent", url.Values{"flow": {flow}, "decision": {"deny"}})
		if p.callback == nil || p.callback.Query().Get("error") != "access_denied" {
			t.Fatalf("deny: %v", p.callback)
		}
		// Replaying the finished flow gets nothing.
		p = b.get(s, s.URL+"/authorize/resume?flow="+flow)
		if p.callback != nil || p.resp.StatusCode != http.StatusBadRequest {
			t.Errorf("replayed flow: %d %v", p.resp.StatusCode, p.callback)
		}

		// prompt=consent asks again even when consent is remembered.
		a := r.start()
		r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		if p := b.get(s, r.start(oauth2.SetAuthURLParam("prompt", "consent")).url); !p.isConsent() {
			t.Errorf("prompt=consent showed no consent page: %s", p.url)
		}
		// A first-party client skips consent.
		fp := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
		fresh := newBrowser(t)
		a = fp.start()
		pg := fresh.get(s, a.url)
		pg = fresh.post(s, s.URL+"/login", url.Values{"flow": {pg.flowID()}, "email": {s.Email}, "password": {s.Password}})
		if pg.callback == nil {
			t.Fatalf("first-party client showed a consent page: %s", pg.url)
		}
		fp.redeem(a, pg.callback)
		// prompt=none for a client the user has not allowed yet → consent_required.
		other, secret, err := admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret),
			admin.ClientSpec{Name: "Other App", RedirectURIs: []string{s.RedirectURI}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		o := newRP(t, s, other.ID, secret, s.RedirectURI)
		if p := fresh.get(s, o.start(oauth2.SetAuthURLParam("prompt", "none")).url); p.callback == nil || p.callback.Query().Get("error") != "consent_required" {
			t.Errorf("prompt=none without consent: %v", p.callback)
		}
	})
}

func TestLogout(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		tk := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		oldCookie := sessionCookie(t, b, s)

		// An unregistered post_logout_redirect_uri is refused with a page.
		p := b.get(s, s.URL+"/logout?"+url.Values{"id_token_hint": {tk.raw}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
		if p.resp.StatusCode != http.StatusBadRequest || p.callback != nil {
			t.Errorf("evil post-logout redirect: %d %v", p.resp.StatusCode, p.callback)
		}
		q := url.Values{"id_token_hint": {tk.raw}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}, "state": {"xyz"}}
		p = b.get(s, s.URL+"/logout?"+q.Encode())
		if p.resp.StatusCode != 200 || !strings.Contains(p.body, "Sign out") {
			t.Fatalf("logout page: %d", p.resp.StatusCode)
		}
		p = b.post(s, s.URL+"/logout", q)
		if p.callback == nil || p.callback.Query().Get("state") != "xyz" || p.callback.Path != "/bye" {
			t.Fatalf("logout redirect: %v", p.callback)
		}

		// The old cookie is dead on the server: replayed, it gets no code.
		thief := newBrowser(t)
		u, _ := url.Parse(s.URL)
		thief.client.Jar.SetCookies(u, []*http.Cookie{{Name: s.Config.Session.CookieName, Value: oldCookie, Path: "/"}})
		if p := thief.get(s, r.start(oauth2.SetAuthURLParam("prompt", "none")).url); p.callback == nil || p.callback.Query().Get("error") != "login_required" {
			t.Errorf("old cookie after logout: %v", p.callback)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		old := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		if err := s.Srv.Keys.Rotate(context.Background()); err != nil {
			t.Fatal(err)
		}
		// A new verifier (no cached keys) still accepts the token signed before rotation.
		fresh := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		if _, err := fresh.verifier.Verify(context.Background(), old.raw); err != nil {
			t.Errorf("token signed by the retired key no longer verifies: %v", err)
		}
		a = r.start()
		p := b.get(s, a.url)
		if p.callback == nil {
			t.Fatalf("stopped at %s", p.url)
		}
		nt := fresh.redeem(a, p.callback)
		if kidOf(t, nt.raw) == kidOf(t, old.raw) {
			t.Error("new tokens are still signed with the retired key")
		}
	})
}

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	var h struct{ Kid string }
	part := strings.Split(raw, ".")[0]
	data, err := base64URLDecode(part)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(data, &h)
	return h.Kid
}

// TestNoCodesOrTokensInClear looks for the values clients hold among the keys of
// every stored token record: after the authorization response (code pending) and
// after the token response.
func TestNoCodesOrTokensInClear(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		ctx := context.Background()
		check := func(secrets ...string) {
			t.Helper()
			for _, kind := range []storage.TokenKind{storage.TokenAuthorizeCode, storage.TokenAccess, storage.TokenRefresh, storage.TokenPKCE, storage.TokenOIDC} {
				for _, secret := range secrets {
					// fosite tokens are "prefix_random.signature": neither the whole nor the random part may be a key.
					before, _, _ := strings.Cut(secret, ".")
					for _, key := range []string{secret, before} {
						if _, err := s.Store.GetToken(ctx, kind, key); err == nil {
							t.Errorf("a %s record is keyed by a value a client holds", kind)
						}
					}
				}
			}
		}
		a := r.start()
		cb := b.signIn(s, a.url, s.Email, s.Password)
		check(cb.Query().Get("code"))
		tk := r.redeem(a, cb)
		check(tk.tok.AccessToken, tk.tok.RefreshToken)
	})
}

// TestCORSForBrowserApps: a single-page app on the origin of a registered redirect
// URI can call the token endpoint from its page; another origin gets no CORS grant.
func TestCORSForBrowserApps(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		appOrigin := "http://127.0.0.1:2" // the public client's redirect URI origin
		preflight := func(origin string) *http.Response {
			req := mustRequest(t, http.MethodOptions, s.URL+"/oauth/token", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		if resp := preflight(appOrigin); resp.StatusCode != http.StatusNoContent ||
			resp.Header.Get("Access-Control-Allow-Origin") != appOrigin || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
			t.Errorf("preflight from the app: %d %v", resp.StatusCode, resp.Header)
		}
		if resp := preflight("https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin was allowed: %v", resp.Header)
		}
		// The public client redeems a code from its page.
		r := newRP(t, s, s.PublicID, "", s.PublicRedirect)
		b := newBrowser(t)
		a := r.start()
		cb := b.signIn(s, a.url, s.Email, s.Password)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
			"redirect_uri": {s.PublicRedirect}, "client_id": {s.PublicID}, "code_verifier": {a.verifier}}
		req := mustRequest(t, http.MethodPost, s.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", appOrigin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
			resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("token from the app's page: %d %v", resp.StatusCode, resp.Header)
		}
	})
}
