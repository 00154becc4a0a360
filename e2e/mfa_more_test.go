package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/rs"
	"github.com/lockstep-id/lockstep/storage"
)

func TestEnrolmentOffRefuses(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) { c.MFA.SetEnrolOnSpot(false) })
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		p := b.password(s, b.get(s, r.start(param("claims", essentialMFA)).url), s.Email, s.Password)
		if p.callback == nil || p.callback.Query().Get("error") != "unmet_authentication_requirements" {
			t.Fatalf("essential mfa without a factor: %v %s", p.callback, p.url)
		}
		// A client whose minimum is multi-factor gets the same answer, never a lower acr.
		c, secret, err := admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "Bank", RedirectURIs: []string{s.RedirectURI}, FirstParty: true, MinACR: flows.ACRMultiFactor,
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		bank := newRP(t, s, c.ID, secret, s.RedirectURI)
		p = b.get(s, bank.start().url)
		if p.isLogin() {
			p = b.password(s, p, s.Email, s.Password)
		}
		if p.callback == nil || p.callback.Query().Get("error") != "unmet_authentication_requirements" {
			t.Fatalf("client minimum mfa without a factor: %v %s", p.callback, p.url)
		}
	})
}

func TestRecoveryCode(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)

		b := newBrowser(t)
		a := r.start(param("acr_values", flows.ACRMultiFactor))
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !strings.Contains(p.body, "Use a recovery code") {
			t.Fatal("the challenge page offers no recovery code")
		}
		p = b.get(s, s.URL+"/challenge?flow="+p.flowID()+"&method=recovery")
		p = b.code(s, p, "recovery", strings.ToUpper(e.recoveryCodes[3]))
		if p.callback == nil {
			t.Fatalf("recovery code refused: %.300s", p.body)
		}
		c := r.redeem(a, p.callback).claims
		wantAMR(t, c, "pwd", "otp", "mfa")
		if c["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v", c["acr"])
		}
		waitForMail(t, s, "A recovery code was used")
		// The same code a second time is refused.
		b2 := newBrowser(t)
		p = b2.password(s, b2.get(s, r.start(param("acr_values", flows.ACRMultiFactor)).url), s.Email, s.Password)
		p = b2.get(s, s.URL+"/challenge?flow="+p.flowID()+"&method=recovery")
		if q := b2.code(s, p, "recovery", e.recoveryCodes[3]); q.callback != nil || q.resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a used recovery code worked again: %d", q.resp.StatusCode)
		}
		// Codes are stored hashed: no stored value equals a code.
		total, unused, err := s.Store.CountRecoveryCodes(context.Background(), s.UserID)
		if err != nil || total != 10 || unused != 9 {
			t.Errorf("recovery codes: %d total, %d unused, %v", total, unused, err)
		}
	})
}

func TestClientAssuranceSettings(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		// A browser signs in with the password before the user sets up an app.
		b := newBrowser(t)
		a := r.start()
		r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		e, _ := mfaUser(t, s, r)
		ctx := context.Background()
		c, secret, err := admin.CreateClient(ctx, s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "Bank", RedirectURIs: []string{s.RedirectURI}, FirstParty: true,
			MinACR: flows.ACRMultiFactor, MaxAuthAge: 2 * time.Minute,
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		bank := newRP(t, s, c.ID, secret, s.RedirectURI)

		// That password session meets the bank's minimum only after the code.
		s.Clock.Advance(30 * time.Second)
		a = bank.start()
		p := b.code(s, b.get(s, a.url), "totp", totpCode(t, e.secret, s.Clock.Now()))
		if got := bank.redeem(a, p.callback).claims["acr"]; got != flows.ACRMultiFactor {
			t.Errorf("acr = %v", got)
		}
		// Past the bank's maximum age: the password and the code again.
		s.Clock.Advance(150 * time.Second)
		a = bank.start()
		p = b.password(s, b.get(s, a.url), s.Email, s.Password)
		p = b.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		if p.callback == nil {
			t.Fatalf("stopped at %s", p.url)
		}
		bank.redeem(a, p.callback)
	})
}

func TestJWTAccessTokensAndResourceServer(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		ctx := context.Background()
		c, secret, err := admin.CreateClient(ctx, s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "SPA", RedirectURIs: []string{s.RedirectURI}, FirstParty: true, AccessTokenFormat: "jwt",
			GrantTypes: []string{"authorization_code", "refresh_token"},
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		app := newRP(t, s, c.ID, secret, s.RedirectURI)
		// Password only (the user has no second factor yet): the access token is an
		// RFC 9068 JWT saying so.
		b := newBrowser(t)
		a := app.start()
		tk := app.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		e, _ := mfaUser(t, s, newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI))

		// A resource server that wants multi-factor within 10 minutes for /transfer.
		v, err := rs.NewJWTValidator(ctx, s.URL, c.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		mw := &rs.Middleware{Validator: v, Now: s.Clock.Now}
		api := http.NewServeMux()
		api.Handle("/profile", mw.Require(rs.Requirement{}, okHandler()))
		api.Handle("/transfer", mw.Require(rs.Requirement{ACR: []string{flows.ACRMultiFactor}, MaxAge: 10 * time.Minute}, okHandler()))
		srv := httptest.NewServer(api)
		defer srv.Close()
		call := func(path, token string) *http.Response {
			req := mustRequest(t, http.MethodGet, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}

		s.Clock.Advance(30 * time.Second)
		claims := jwtPayload(t, tk.tok.AccessToken)
		if claims["acr"] != flows.ACRPassword || claims["auth_time"] == nil || claims["client_id"] != c.ID || jwtHeader(t, tk.tok.AccessToken)["typ"] != "at+jwt" {
			t.Fatalf("access token claims %v", claims)
		}
		if resp := call("/profile", tk.tok.AccessToken); resp.StatusCode != http.StatusOK {
			t.Errorf("/profile = %d", resp.StatusCode)
		}
		resp := call("/transfer", tk.tok.AccessToken)
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(challenge, `error="insufficient_user_authentication"`) ||
			!strings.Contains(challenge, `acr_values="`+flows.ACRMultiFactor+`"`) || !strings.Contains(challenge, "max_age=600") {
			t.Fatalf("/transfer = %d %s", resp.StatusCode, challenge)
		}

		// The app steps up with what the challenge asked for, and gets in.
		a = app.start(param("acr_values", flows.ACRMultiFactor), param("max_age", "600"))
		p := b.code(s, b.get(s, a.url), "totp", totpCode(t, e.secret, s.Clock.Now()))
		stepped := app.redeem(a, p.callback)
		if resp := call("/transfer", stepped.tok.AccessToken); resp.StatusCode != http.StatusOK {
			t.Fatalf("/transfer after step-up = %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}

		// Introspection reports acr and auth_time too, for JWT and opaque tokens.
		_, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {stepped.tok.AccessToken}}, c.ID, secret)
		if in["active"] != true || in["acr"] != flows.ACRMultiFactor || in["auth_time"] == nil {
			t.Errorf("introspection = %v", in)
		}
		// A refreshed access token keeps acr and auth_time.
		refreshed, err := app.cfg.TokenSource(app.ctx, &oauth2.Token{RefreshToken: stepped.tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		if rc := jwtPayload(t, refreshed.AccessToken); rc["acr"] != flows.ACRMultiFactor || rc["auth_time"] != jwtPayload(t, stepped.tok.AccessToken)["auth_time"] {
			t.Errorf("refreshed access token: %v", rc)
		}
	})
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
}

func jwtPart(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40s…", raw)
	}
	data, err := base64URLDecode(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func jwtPayload(t *testing.T, raw string) map[string]any { return jwtPart(t, raw, 1) }
func jwtHeader(t *testing.T, raw string) map[string]any  { return jwtPart(t, raw, 0) }
