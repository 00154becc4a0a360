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
		w := newAdminWorld(t, newStore(t), func(c *configs.Config) { c.Tokens.AccessTokenLifespan = time.Second })
		s := w.s
		noScopeID, noScopeSecret := adminClient(t, s, "profile")
		revoked := clientToken(t, s, w.adminClientID, w.adminSec, adminapi.Scope)
		if st, body := postForm(t, s.URL+idp.PathRevoke, url.Values{"token": {revoked}}, w.adminClientID, w.adminSec); st != http.StatusOK {
			t.Fatalf("revoke: %d %v", st, body)
		}
		tests := []struct {
			name   string
			caller apiCaller
			status int
			code   string
		}{
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
		// server's tokens live a second and the test waits for it.
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
