package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/adminapi"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
)

// apiCaller calls the admin API as one principal: with a Bearer token, or with
// a browser's session when token is "".
type apiCaller struct {
	t      *testing.T
	s      *server
	token  string
	client *http.Client
}

// apiAnswer is a decoded answer.
type apiAnswer struct {
	status int
	body   map[string]any
	raw    string
}

func (a apiAnswer) items() []map[string]any {
	var out []map[string]any
	list, _ := a.body["items"].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

// call sends body as JSON (a string as it is) to the API path.
func (c apiCaller) call(method, path string, body any) apiAnswer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := mustRequest(c.t, method, c.s.URL+adminapi.Path+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	client := c.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := apiAnswer{status: resp.StatusCode, raw: string(raw), body: map[string]any{}}
	if len(raw) > 0 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			c.t.Errorf("%s %s answered %s, not JSON", method, path, ct)
		}
		if err := json.Unmarshal(raw, &a.body); err != nil {
			c.t.Fatalf("%s %s: %v in %q", method, path, err, raw)
		}
	}
	return a
}

// want calls and checks the status.
func (c apiCaller) want(status int, method, path string, body any) apiAnswer {
	c.t.Helper()
	a := c.call(method, path, body)
	if a.status != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, a.status, a.raw, status)
	}
	return a
}

// adminClient registers a client-credentials client granted the admin scope.
func adminClient(t *testing.T, s *server, scopes ...string) (id, secret string) {
	t.Helper()
	c, secret, err := admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
		Name: "Automation", GrantTypes: []string{"client_credentials"}, Scopes: scopes,
	}, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, secret
}

// clientToken gets a client-credentials access token with the scopes.
func clientToken(t *testing.T, s *server, id, secret, scope string) string {
	t.Helper()
	st, tok := postForm(t, s.URL+idp.PathToken, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}, id, secret)
	if st != http.StatusOK {
		t.Fatalf("client credentials for %s: %d %v", id, st, tok)
	}
	return tok["access_token"].(string)
}

// adminWorld is a server with two organisations and a caller per role.
type adminWorld struct {
	s                       *server
	platform, root          apiCaller // a client's token; a platform administrator's session
	orgAdmin, plain, weak   apiCaller // acme's administrator; a user with no role; an administrator's password-only session
	acme, globex            storage.Organisation
	acmeUser, globexUser    account
	boss, rootUser, nobody  account
	rp                      *rp
	adminClientID, adminSec string
}

func newAdminWorld(t *testing.T, store storage.Storage, tweak ...func(*configs.Config)) *adminWorld {
	t.Helper()
	ctx := context.Background()
	s := startServer(t, store, tweak...)
	w := &adminWorld{s: s, rp: newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)}
	var err error
	for _, o := range []*storage.Organisation{&w.acme, &w.globex} {
		name := map[*storage.Organisation]string{&w.acme: "acme", &w.globex: "globex"}[o]
		if *o, err = orgs.Create(ctx, s.Store, orgs.CreateSpec{ID: name, Name: strings.ToUpper(name[:1]) + name[1:]}, "test", s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	member := func(name, org, group string) account {
		u := addAccount(t, s, name)
		if err := orgs.SetUserOrg(ctx, s.Store, u.ID, org, []string{group}, "test", s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.acmeUser, w.globexUser = member("wile", "acme", "company-users"), member("hank", "globex", "company-users")
	w.boss = member("boss", "acme", admin.AdministratorsGroup)
	w.rootUser, w.nobody = addAccount(t, s, "root"), addAccount(t, s, "nobody")
	lazy := addAccount(t, s, "lazy") // a platform administrator without a second factor
	for _, u := range []account{w.rootUser, lazy} {
		if _, err := admin.SetPlatformAdmin(ctx, s.Store, u.Email, true, "test", s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	w.adminClientID, w.adminSec = adminClient(t, s, adminapi.Scope)
	w.platform = apiCaller{t: t, s: s, token: clientToken(t, s, w.adminClientID, w.adminSec, adminapi.Scope)}
	session := func(u account, mfa bool) apiCaller {
		b := newBrowser(t)
		if mfa {
			enrolApp(t, s, w.rp, b, u)
		} else {
			signInIn(t, s, w.rp, b, u)
		}
		return apiCaller{t: t, s: s, client: b.client}
	}
	w.root, w.orgAdmin, w.plain, w.weak = session(w.rootUser, true), session(w.boss, true), session(w.nobody, true), session(lazy, false)
	return w
}

// TestAdminAPIAuthorisation: no token, a wrong scope, a revoked or expired token,
// a plain user and a password-only session get a JSON error and no data.
func TestAdminAPIAuthorisation(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t), func(c *configs.Config) { c.Tokens.AccessTokenLifespan = 2 * time.Second })
		s := w.s
		noScopeID, noScopeSecret := adminClient(t, s, "profile")
		revoked := clientToken(t, s, w.adminClientID, w.adminSec, adminapi.Scope)
		if st, body := postForm(t, s.URL+idp.PathRevoke, url.Values{"token": {revoked}}, w.adminClientID, w.adminSec); st != http.StatusOK {
			t.Fatalf("revoke: %d %v", st, body)
		}
		// A platform administrator's own token from a client allowed the scope:
		// refused, since it says nothing of the sign-in's strength.
		c, secret, err := admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "Admin app", RedirectURIs: []string{s.RedirectURI}, FirstParty: true, Scopes: []string{"openid", adminapi.Scope}}, s.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := newRP(t, s, c.ID, secret, s.RedirectURI)
		r.cfg.Scopes = []string{"openid", adminapi.Scope}
		a := r.start()
		p := (&browser{t: t, client: w.root.client}).get(s, a.url)
		if p.callback == nil {
			t.Fatalf("the administrator's sign-in at the admin app stopped at %s", p.url)
		}
		userToken := r.redeem(a, p.callback).tok.AccessToken
		tests := []struct {
			name   string
			caller apiCaller
			status int
			code   string
		}{
			{"an administrator's token for an app", apiCaller{t: t, s: s, token: userToken}, http.StatusForbidden, "forbidden"},
			{"no token", apiCaller{t: t, s: s}, http.StatusUnauthorized, "invalid_token"},
			{"not a token", apiCaller{t: t, s: s, token: "not-a-token"}, http.StatusUnauthorized, "invalid_token"},
			{"revoked token", apiCaller{t: t, s: s, token: revoked}, http.StatusUnauthorized, "invalid_token"},
			{"wrong scope", apiCaller{t: t, s: s, token: clientToken(t, s, noScopeID, noScopeSecret, "profile")}, http.StatusForbidden, "insufficient_scope"},
			{"user without a role", w.plain, http.StatusForbidden, "forbidden"},
			{"password-only session", w.weak, http.StatusForbidden, "insufficient_user_authentication"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.caller.t = t
				for _, path := range []string{"/users", "/users/" + w.acmeUser.ID, "/clients", "/audit", "/organisations"} {
					a := tt.caller.call(http.MethodGet, path, nil)
					if a.status != tt.status || a.body["error"] != tt.code || a.body["items"] != nil || a.body["email"] != nil {
						t.Errorf("GET %s: %d %s, want %d %s and no data", path, a.status, a.raw, tt.status, tt.code)
					}
				}
				a := tt.caller.call(http.MethodPost, "/users/"+w.acmeUser.ID+"/disable", nil)
				if a.status != tt.status {
					t.Errorf("disable: %d %s", a.status, a.raw)
				}
			})
		}
		if u, _ := s.Store.GetUser(context.Background(), w.acmeUser.ID); u.Disabled {
			t.Fatal("a refused caller disabled a user")
		}
		// An expired token: fosite checks expiry against the real clock, so this
		// server's tokens live two seconds and the test waits for it.
		expired := apiCaller{t: t, s: s, token: clientToken(t, s, w.adminClientID, w.adminSec, adminapi.Scope)}
		if a := expired.call(http.MethodGet, "/users", nil); a.status != http.StatusOK {
			t.Fatalf("fresh short-lived token: %d %s", a.status, a.raw)
		}
		time.Sleep(s.Config.Tokens.AccessTokenLifespan + 100*time.Millisecond)
		if a := expired.call(http.MethodGet, "/users", nil); a.status != http.StatusUnauthorized || a.body["error"] != "invalid_token" {
			t.Errorf("expired token: %d %s", a.status, a.raw)
		}
	})
}

// svgLogo is the smallest logo the API takes (the body is sent as it is).
const svgLogo = `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>`

// TestAdminAPIRoles runs every route as an organisation administrator against
// another organisation's user and organisation (404; clients 403), against their
// own (allowed), and as a platform administrator.
func TestAdminAPIRoles(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		mine, theirs := w.acmeUser.ID, w.globexUser.ID
		newUser := func(org string) map[string]any {
			return map[string]any{"email": fmt.Sprintf("new-%s-%d@example.com", org, time.Now().UnixNano()), "password": "a long enough password", "org_id": org, "groups": []string{"company-users"}}
		}
		policy := map[string]any{"level": "low", "covered_groups": []string{"company-users"}, "grace_days": 5}
		type req struct {
			method, path string
			body         any
		}
		tests := []struct {
			route          string
			other, own     req
			otherStatus    int
			ownStatus      int
			platformStatus int // the platform's token on the other organisation's request
		}{
			{"GET /clients", req{"GET", "/clients", nil}, req{}, 403, 0, 200},
			{"POST /clients", req{"POST", "/clients", map[string]any{"name": "X", "grant_types": []string{"client_credentials"}}}, req{}, 403, 0, 201},
			{"GET /clients/{id}", req{"GET", "/clients/" + w.s.ClientID, nil}, req{}, 403, 0, 200},
			{"PATCH /clients/{id}", req{"PATCH", "/clients/" + w.s.ClientID, map[string]any{"name": "Renamed"}}, req{}, 403, 0, 200},
			{"POST /clients/{id}/secret", req{"POST", "/clients/" + w.s.FirstPartyID + "/secret", nil}, req{}, 403, 0, 200},
			{"DELETE /clients/{id}", req{"DELETE", "/clients/" + w.s.PublicID, nil}, req{}, 403, 0, 204},
			{"PUT /clients/{id}/logo", req{"PUT", "/clients/" + w.s.ClientID + "/logo", svgLogo}, req{}, 403, 0, 200},
			{"DELETE /clients/{id}/logo", req{"DELETE", "/clients/" + w.s.ClientID + "/logo", nil}, req{}, 403, 0, 204},
			{"GET /users", req{"GET", "/users?org_id=globex", nil}, req{"GET", "/users?org_id=acme", nil}, 404, 200, 200},
			{"POST /users", req{"POST", "/users", newUser("globex")}, req{"POST", "/users", newUser("acme")}, 400, 201, 201},
			{"GET /users/{id}", req{"GET", "/users/" + theirs, nil}, req{"GET", "/users/" + mine, nil}, 404, 200, 200},
			{"POST /users/{id}/disable", req{"POST", "/users/" + theirs + "/disable", nil}, req{"POST", "/users/" + mine + "/disable", nil}, 404, 200, 200},
			{"POST /users/{id}/enable", req{"POST", "/users/" + theirs + "/enable", nil}, req{"POST", "/users/" + mine + "/enable", nil}, 404, 200, 200},
			{"POST /users/{id}/unlock", req{"POST", "/users/" + theirs + "/unlock", nil}, req{"POST", "/users/" + mine + "/unlock", nil}, 404, 204, 204},
			{"POST /users/{id}/reset-2fa", req{"POST", "/users/" + theirs + "/reset-2fa", nil}, req{"POST", "/users/" + mine + "/reset-2fa", nil}, 404, 204, 204},
			{"PUT /users/{id}/organisation", req{"PUT", "/users/" + theirs + "/organisation", map[string]any{"org_id": "globex", "groups": []string{"owners"}}},
				req{"PUT", "/users/" + mine + "/organisation", map[string]any{"org_id": "acme", "groups": []string{"owners"}}}, 404, 200, 200},
			{"GET /users/{id}/factors", req{"GET", "/users/" + theirs + "/factors", nil}, req{"GET", "/users/" + mine + "/factors", nil}, 404, 200, 200},
			{"GET /users/{id}/sessions", req{"GET", "/users/" + theirs + "/sessions", nil}, req{"GET", "/users/" + mine + "/sessions", nil}, 404, 200, 200},
			{"DELETE /users/{id}/sessions/{session}", req{"DELETE", "/users/" + theirs + "/sessions/nope", nil}, req{"DELETE", "/users/" + mine + "/sessions/nope", nil}, 404, 404, 404},
			{"DELETE /users/{id}/sessions", req{"DELETE", "/users/" + theirs + "/sessions", nil}, req{"DELETE", "/users/" + mine + "/sessions", nil}, 404, 204, 204},
			{"GET /organisations", req{}, req{"GET", "/organisations", nil}, 0, 200, 0},
			{"POST /organisations", req{"POST", "/organisations", map[string]any{"name": "Initech"}}, req{}, 403, 0, 201},
			{"GET /organisations/{id}", req{"GET", "/organisations/globex", nil}, req{"GET", "/organisations/acme", nil}, 404, 200, 200},
			{"PATCH /organisations/{id}", req{"PATCH", "/organisations/globex", map[string]any{"name": "Globex Corp"}}, req{"PATCH", "/organisations/acme", map[string]any{"name": "Acme Corp"}}, 404, 200, 200},
			{"POST /organisations/{id}/groups", req{"POST", "/organisations/globex/groups", map[string]any{"name": "staff"}}, req{"POST", "/organisations/acme/groups", map[string]any{"name": "staff"}}, 404, 201, 201},
			{"PATCH /organisations/{id}/groups/{group}", req{"PATCH", "/organisations/globex/groups/staff", map[string]any{"name": "crew"}}, req{"PATCH", "/organisations/acme/groups/staff", map[string]any{"name": "crew"}}, 404, 200, 200},
			{"PUT /organisations/{id}/logo", req{"PUT", "/organisations/globex/logo", svgLogo}, req{"PUT", "/organisations/acme/logo", svgLogo}, 404, 200, 200},
			{"DELETE /organisations/{id}/logo", req{"DELETE", "/organisations/globex/logo", nil}, req{"DELETE", "/organisations/acme/logo", nil}, 404, 204, 204},
			{"PUT /organisations/{id}/policy", req{"PUT", "/organisations/globex/policy", policy}, req{"PUT", "/organisations/acme/policy", policy}, 404, 200, 200},
			{"GET /audit", req{"GET", "/audit?org_id=globex", nil}, req{"GET", "/audit", nil}, 404, 200, 200},
		}
		var covered []string
		for _, tt := range tests {
			covered = append(covered, tt.route)
			t.Run(tt.route, func(t *testing.T) {
				org, platform := w.orgAdmin, w.platform
				org.t, platform.t = t, t
				if tt.other.method != "" {
					a := org.call(tt.other.method, tt.other.path, tt.other.body)
					if a.status != tt.otherStatus || (a.status >= 400 && a.body["error"] == nil) {
						t.Errorf("organisation administrator, other organisation: %d %s, want %d", a.status, a.raw, tt.otherStatus)
					}
					if strings.Contains(a.raw, w.globexUser.Email) {
						t.Errorf("the other organisation's user leaked: %s", a.raw)
					}
				}
				if tt.own.method != "" {
					org.want(tt.ownStatus, tt.own.method, tt.own.path, tt.own.body)
				}
				if tt.other.method != "" {
					platform.want(tt.platformStatus, tt.other.method, tt.other.path, tt.other.body)
				}
			})
		}
		// Every route of the OpenAPI document is in the table.
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		a := apiCaller{t: t, s: w.s}.want(http.StatusOK, http.MethodGet, "/openapi.json", nil)
		if err := json.Unmarshal([]byte(a.raw), &doc); err != nil {
			t.Fatal(err)
		}
		for path, ops := range doc.Paths {
			for m := range ops {
				if r := strings.ToUpper(m) + " " + path; !slices.Contains(covered, r) {
					t.Errorf("route %s is not in the role table", r)
				}
			}
		}
		// The organisation administrator's listings hold their organisation only.
		for _, u := range w.orgAdmin.want(http.StatusOK, http.MethodGet, "/users", nil).items() {
			if u["org_id"] != "acme" {
				t.Errorf("organisation administrator listed %v", u)
			}
		}
		if os := w.orgAdmin.want(http.StatusOK, http.MethodGet, "/organisations", nil).items(); len(os) != 1 || os[0]["id"] != "acme" {
			t.Errorf("organisation administrator's organisations: %v", os)
		}
		for _, e := range w.orgAdmin.want(http.StatusOK, http.MethodGet, "/audit?limit=200", nil).items() {
			if e["user_id"] == w.globexUser.ID {
				t.Errorf("organisation administrator saw globex's event %v", e)
			}
		}
		// A platform administrator's session reaches everything, too.
		w.root.want(http.StatusOK, http.MethodGet, "/users/"+theirs, nil)
		w.root.want(http.StatusOK, http.MethodGet, "/clients", nil)
	})
}

// TestAdminAPIClients: create with the secret shown once (and working), list,
// get, update (a refused update changes nothing), rotate, delete; every change
// audited with the acting client.
func TestAdminAPIClients(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		s, api := w.s, w.platform
		s.Clock.Advance(-time.Hour) // room to move the clock on while staying in the real clock's past
		c := api.want(http.StatusCreated, http.MethodPost, "/clients", map[string]any{
			"client_id": "billing", "name": "Billing", "grant_types": []string{"client_credentials"}, "scopes": []string{"reports"}}).body
		secret, _ := c["client_secret"].(string)
		if len(secret) < 32 || c["client_id"] != "billing" {
			t.Fatalf("created %v", c)
		}
		clientToken(t, s, "billing", secret, "reports")
		if got := api.want(http.StatusOK, http.MethodGet, "/clients/billing", nil).body; got["client_secret"] != nil || got["name"] != "Billing" {
			t.Errorf("get shows %v", got)
		}
		stored, err := s.Store.GetClient(context.Background(), "billing")
		if err != nil || strings.Contains(string(stored.SecretHash), secret) {
			t.Fatalf("stored client %v, %v", stored, err)
		}
		var ids []string
		for _, it := range api.want(http.StatusOK, http.MethodGet, "/clients", nil).items() {
			ids = append(ids, it["client_id"].(string))
			if it["client_secret"] != nil {
				t.Errorf("list shows a secret: %v", it)
			}
		}
		if !slices.Contains(ids, "billing") {
			t.Errorf("list %v", ids)
		}
		api.want(http.StatusConflict, http.MethodPost, "/clients", map[string]any{"client_id": "billing", "name": "Again", "grant_types": []string{"client_credentials"}})

		// Bad input: a 400 per field, and nothing half applied.
		bad := api.want(http.StatusBadRequest, http.MethodPatch, "/clients/billing", map[string]any{
			"name": "Renamed", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{"http://evil.example/cb"}, "min_acr": "gold"})
		fields, _ := bad.body["fields"].(map[string]any)
		for _, f := range []string{"redirect_uris", "min_acr"} {
			if fields[f] == nil {
				t.Errorf("no message for %s: %s", f, bad.raw)
			}
		}
		if got := api.want(http.StatusOK, http.MethodGet, "/clients/billing", nil).body; got["name"] != "Billing" {
			t.Errorf("a refused update changed the client: %v", got)
		}
		for _, tt := range []struct{ name, body, field string }{
			{"not JSON", `{"name":`, ""},
			{"unknown field", `{"nmae":"X"}`, "nmae"},
			{"wrong type", `{"name":42}`, "name"},
			{"client_id cannot change", `{"client_id":"other"}`, "client_id"},
			{"two values", `{"name":"A"} {"name":"B"}`, ""},
		} {
			a := api.call(http.MethodPatch, "/clients/billing", tt.body)
			f, _ := a.body["fields"].(map[string]any)
			if a.status != http.StatusBadRequest || a.body["error"] != "invalid_request" || (tt.field != "" && f[tt.field] == nil) {
				t.Errorf("%s: %d %s", tt.name, a.status, a.raw)
			}
		}
		if got := api.want(http.StatusOK, http.MethodPatch, "/clients/billing", map[string]any{"name": "Billing v2", "max_auth_age_seconds": 600}).body; got["name"] != "Billing v2" || got["max_auth_age_seconds"] != float64(600) {
			t.Errorf("updated %v", got)
		}
		rotated := api.want(http.StatusOK, http.MethodPost, "/clients/billing/secret", nil).body["client_secret"].(string)
		s.Clock.Advance(idp.ClientCacheTTL) // every node reads the client again
		if st, _ := postForm(t, s.URL+idp.PathToken, url.Values{"grant_type": {"client_credentials"}}, "billing", secret); st != http.StatusUnauthorized {
			t.Errorf("the old secret after rotation: %d", st)
		}
		clientToken(t, s, "billing", rotated, "reports")
		api.want(http.StatusBadRequest, http.MethodPost, "/clients/"+s.PublicID+"/secret", nil)
		api.want(http.StatusNoContent, http.MethodDelete, "/clients/billing", nil)
		for _, m := range []string{http.MethodGet, http.MethodDelete, http.MethodPatch} {
			api.want(http.StatusNotFound, m, "/clients/billing", map[string]any{"name": "X"})
		}
		var types []string
		for _, e := range api.want(http.StatusOK, http.MethodGet, "/audit?client_id=billing", nil).items() {
			detail, _ := e["detail"].(map[string]any)
			if detail["actor"] != "client:"+w.adminClientID {
				t.Errorf("event %v not by the acting client", e)
			}
			types = append(types, e["type"].(string))
		}
		want := []string{admin.EventClientDeleted, admin.EventClientRotated, admin.EventClientUpdated, admin.EventClientCreated}
		if !slices.Equal(types, want) {
			t.Errorf("audit %v, want %v", types, want)
		}
	})
}

// TestAdminAPIUsers: create, search with cursor pagination over 250 users,
// get, disable (the user's tokens die), enable, unlock, factors without
// secrets, sessions, reset, organisation, and the audit of each change.
func TestAdminAPIUsers(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		s, api, ctx := w.s, w.root, context.Background()
		created := api.want(http.StatusCreated, http.MethodPost, "/users", map[string]any{
			"email": "New.Person@Example.com", "password": "a long enough password", "given_name": "New", "org_id": "acme", "groups": []string{"owners"}}).body
		if created["email"] != "new.person@example.com" || created["org_id"] != "acme" || created["password"] != nil {
			t.Errorf("created %v", created)
		}
		bad := api.want(http.StatusBadRequest, http.MethodPost, "/users", map[string]any{"email": "not an email", "password": "short", "org_id": "acme", "groups": []string{"nope"}})
		fields, _ := bad.body["fields"].(map[string]any)
		for _, f := range []string{"email", "password", "groups"} {
			if fields[f] == nil {
				t.Errorf("no message for %s: %s", f, bad.raw)
			}
		}
		api.want(http.StatusConflict, http.MethodPost, "/users", map[string]any{"email": w.boss.Email, "password": "a long enough password"})
		api.want(http.StatusNotFound, http.MethodGet, "/users/nobody-has-this-id", nil)

		// 250 more users in globex, then every user page by page.
		for i := range 250 {
			u := storage.User{ID: fmt.Sprintf("bulk-%03d", i), Email: fmt.Sprintf("bulk%03d@globex.example", i), PasswordHash: "x",
				OrgID: "globex", Groups: []string{"suppliers"}, CreatedAt: s.Clock.Now(), UpdatedAt: s.Clock.Now()}
			if err := s.Store.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.Store.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		cursor, pages := "", 0
		for {
			a := api.want(http.StatusOK, http.MethodGet, "/users?limit=100&cursor="+url.QueryEscape(cursor), nil)
			for _, u := range a.items() {
				seen = append(seen, u["id"].(string))
			}
			pages++
			next, _ := a.body["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if pages != 3 || len(seen) != len(all) || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
			t.Errorf("%d pages, %d users (of %d), sorted %v", pages, len(seen), len(all), slices.IsSorted(seen))
		}
		for _, tt := range []struct {
			query string
			want  int
		}{
			{"email=bulk1", 100}, {"email=BULK24", 10}, {"org_id=globex&group=suppliers", 250}, {"org_id=acme", 3}, {"group=administrators", 1},
		} {
			a := api.want(http.StatusOK, http.MethodGet, "/users?limit=200&"+tt.query, nil)
			n := len(a.items())
			if next, _ := a.body["next_cursor"].(string); next != "" {
				n += len(api.want(http.StatusOK, http.MethodGet, "/users?limit=200&cursor="+next+"&"+tt.query, nil).items())
			}
			if n != tt.want {
				t.Errorf("search %s: %d users, want %d", tt.query, n, tt.want)
			}
		}
		for _, q := range []string{"limit=0", "limit=201", "limit=x"} {
			if a := api.call(http.MethodGet, "/users?"+q, nil); a.status != http.StatusBadRequest || a.body["fields"] == nil {
				t.Errorf("%s: %d %s", q, a.status, a.raw)
			}
		}

		// The server's user signs in with an app; the admin sees the factors, the
		// sessions, and can end them.
		alice := account{ID: s.UserID, Email: s.Email, Password: s.Password}
		tok := signInIn(t, s, w.rp, newBrowser(t), alice)
		enrolApp(t, s, w.rp, newBrowser(t), alice)
		factors := api.want(http.StatusOK, http.MethodGet, "/users/"+alice.ID+"/factors", nil)
		var kinds []string
		for _, f := range factors.items() {
			kinds = append(kinds, f["kind"].(string))
		}
		if !slices.Equal(kinds, []string{"totp", "recovery_codes"}) || strings.Contains(strings.ToLower(factors.raw), "secret") {
			t.Errorf("factors %s", factors.raw)
		}
		sessions := api.want(http.StatusOK, http.MethodGet, "/users/"+alice.ID+"/sessions", nil).items()
		if len(sessions) != 2 || sessions[0]["acr"] != "urn:lockstep:acr:mfa" || sessions[1]["acr"] != "urn:lockstep:acr:pwd" {
			t.Fatalf("sessions %v", sessions)
		}
		newest := sessions[0]["id"].(string)
		api.want(http.StatusNotFound, http.MethodDelete, "/users/"+w.boss.ID+"/sessions/"+newest, nil) // not boss's session
		api.want(http.StatusNoContent, http.MethodDelete, "/users/"+alice.ID+"/sessions/"+newest, nil)
		if left := api.want(http.StatusOK, http.MethodGet, "/users/"+alice.ID+"/sessions", nil).items(); len(left) != 1 || left[0]["id"] == newest {
			t.Errorf("sessions after revoking one: %v", left)
		}

		// Disable ends the sessions and tokens; enable lets the user sign in again.
		if !introspect(t, s, tok.tok.AccessToken) {
			t.Fatal("the fresh token is not active")
		}
		if u := api.want(http.StatusOK, http.MethodPost, "/users/"+alice.ID+"/disable", nil).body; u["disabled"] != true {
			t.Errorf("disabled %v", u)
		}
		if introspect(t, s, tok.tok.AccessToken) {
			t.Error("a disabled user's token is still active")
		}
		if left := api.want(http.StatusOK, http.MethodGet, "/users/"+alice.ID+"/sessions", nil).items(); len(left) != 0 {
			t.Errorf("a disabled user's sessions: %v", left)
		}
		api.want(http.StatusOK, http.MethodPost, "/users/"+alice.ID+"/enable", nil)
		nb := newBrowser(t)
		if p := nb.password(s, nb.get(s, w.rp.start().url), alice.Email, alice.Password); !p.isChallenge() {
			t.Errorf("after enabling, the password led to %s", p.url)
		}

		// Unlock clears the password's and the second factor's counters.
		keys := admin.UserThrottleKeys(storage.User{ID: alice.ID, Email: alice.Email})
		for _, k := range keys {
			if _, err := s.Store.HitThrottle(ctx, k, time.Hour, s.Clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		api.want(http.StatusNoContent, http.MethodPost, "/users/"+alice.ID+"/unlock", nil)
		for _, k := range keys {
			if n, _ := s.Store.ThrottleCount(ctx, k, s.Clock.Now()); n != 0 {
				t.Errorf("%s still counts %d", k, n)
			}
		}

		// Reset: no factor left, no session, and the user is told.
		api.want(http.StatusNoContent, http.MethodPost, "/users/"+alice.ID+"/reset-2fa", nil)
		if f := api.want(http.StatusOK, http.MethodGet, "/users/"+alice.ID+"/factors", nil).items(); len(f) != 0 {
			t.Errorf("factors after the reset: %v", f)
		}
		waitForMail(t, s, "Two-step verification was reset")

		// Organisation and groups.
		u := api.want(http.StatusOK, http.MethodPut, "/users/"+alice.ID+"/organisation", map[string]any{"org_id": "acme", "groups": []string{"owners", "company-users"}}).body
		if u["org_id"] != "acme" || fmt.Sprint(u["groups"]) != "[company-users owners]" {
			t.Errorf("moved %v", u)
		}
		api.want(http.StatusBadRequest, http.MethodPut, "/users/"+alice.ID+"/organisation", map[string]any{"org_id": "acme"})
		api.want(http.StatusNotFound, http.MethodPut, "/users/"+alice.ID+"/organisation", map[string]any{"org_id": "nope", "groups": []string{"owners"}})

		var types []string
		for _, e := range api.want(http.StatusOK, http.MethodGet, "/audit?user_id="+alice.ID+"&limit=200", nil).items() {
			if d, _ := e["detail"].(map[string]any); d["actor"] == "user:"+w.rootUser.ID {
				types = append(types, e["type"].(string))
			}
		}
		want := []string{orgs.EventUserOrgChanged, admin.EventMFAReset, admin.EventUserUnlocked, admin.EventUserEnabled,
			admin.EventUserDisabled, admin.EventSessionRevoked}
		if !slices.Equal(types, want) {
			t.Errorf("the administrator's events %v, want %v", types, want)
		}
	})
}

// TestAdminAPIOrganisationsAndAudit: organisations and their policy, and the
// audit log's filters and pages.
func TestAdminAPIOrganisationsAndAudit(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		api := w.platform
		o := api.want(http.StatusCreated, http.MethodPost, "/organisations", map[string]any{"id": "initech", "name": "Initech"}).body
		if fmt.Sprint(o["groups"]) != "[administrators company-users owners suppliers]" {
			t.Errorf("created %v", o)
		}
		api.want(http.StatusConflict, http.MethodPost, "/organisations", map[string]any{"id": "initech", "name": "Again"})
		if a := api.want(http.StatusBadRequest, http.MethodPost, "/organisations", map[string]any{"id": "Bad Id", "name": ""}); a.body["fields"] == nil {
			t.Errorf("no fields: %s", a.raw)
		}
		api.want(http.StatusOK, http.MethodPatch, "/organisations/initech", map[string]any{"name": "Initech Ltd"})
		api.want(http.StatusCreated, http.MethodPost, "/organisations/initech/groups", map[string]any{"name": "contractors"})
		api.want(http.StatusConflict, http.MethodPost, "/organisations/initech/groups", map[string]any{"name": "contractors"})
		api.want(http.StatusOK, http.MethodPatch, "/organisations/initech/groups/contractors", map[string]any{"name": "temps"})
		for _, tt := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"grace too long", map[string]any{"level": "high", "covered_groups": []string{"temps"}, "grace_days": 91}, "grace_days"},
			{"unknown level", map[string]any{"level": "medium", "covered_groups": []string{"temps"}, "grace_days": 5}, "level"},
			{"unknown group", map[string]any{"level": "high", "covered_groups": []string{"nope"}, "grace_days": 5}, "groups"},
			{"missing grace", map[string]any{"level": "high", "covered_groups": []string{"temps"}}, "grace_days"},
		} {
			a := api.call(http.MethodPut, "/organisations/initech/policy", tt.body)
			f, _ := a.body["fields"].(map[string]any)
			if a.status != http.StatusBadRequest || f[tt.field] == nil {
				t.Errorf("%s: %d %s", tt.name, a.status, a.raw)
			}
		}
		got := api.want(http.StatusOK, http.MethodPut, "/organisations/initech/policy", map[string]any{"level": "high", "covered_groups": []string{"temps"}, "grace_days": 3}).body
		if p, _ := got["policy"].(map[string]any); p["level"] != "high" || p["grace_days"] != float64(3) || got["name"] != "Initech Ltd" {
			t.Errorf("policy %v", got)
		}
		// The audit log: by type, by organisation, by time, and page by page.
		events := api.want(http.StatusOK, http.MethodGet, "/audit?org_id=initech&limit=200", nil).items()
		var types []string
		for _, e := range events {
			types = append(types, e["type"].(string))
		}
		want := []string{orgs.EventPolicyChanged, orgs.EventGroupRenamed, orgs.EventGroupAdded, orgs.EventRenamed, orgs.EventCreated}
		if !slices.Equal(types, want) {
			t.Errorf("initech's events %v, want %v", types, want)
		}
		if e := api.want(http.StatusOK, http.MethodGet, "/audit?type="+orgs.EventPolicyChanged+"&org_id=initech", nil).items(); len(e) != 1 || e[0]["detail"].(map[string]any)["new"] != "level=high covered=temps grace_days=3" {
			t.Errorf("policy events %v", e)
		}
		newest, _ := time.Parse(time.RFC3339, events[0]["at"].(string))
		if e := api.want(http.StatusOK, http.MethodGet, "/audit?org_id=initech&until="+url.QueryEscape(newest.Add(-time.Hour).Format(time.RFC3339)), nil).items(); len(e) != 0 {
			t.Errorf("events before the organisation: %v", e)
		}
		if e := api.want(http.StatusOK, http.MethodGet, "/audit?org_id=initech&since="+url.QueryEscape(newest.Add(-time.Hour).Format(time.RFC3339)), nil).items(); len(e) != 5 {
			t.Errorf("events since: %d", len(e))
		}
		var paged []string
		cursor := ""
		for range 10 {
			a := api.want(http.StatusOK, http.MethodGet, "/audit?org_id=initech&limit=2&cursor="+cursor, nil)
			for _, e := range a.items() {
				paged = append(paged, e["type"].(string))
			}
			if cursor, _ = a.body["next_cursor"].(string); cursor == "" {
				break
			}
		}
		if !slices.Equal(paged, want) {
			t.Errorf("paged %v, want %v", paged, want)
		}
		api.want(http.StatusBadRequest, http.MethodGet, "/audit?since=yesterday", nil)
		api.want(http.StatusNotFound, http.MethodGet, "/organisations/nope", nil)
		api.want(http.StatusNotFound, http.MethodPut, "/organisations/nope/policy", map[string]any{"level": "low", "covered_groups": []string{}, "grace_days": 1})
		api.want(http.StatusNotFound, http.MethodGet, "/nothing-here", nil)
	})
}
