package e2e

// The admin console in a real browser: an administrator signs in through
// Lockstep with a password and an app code, creates a client, disables a user,
// raises an organisation to level high (asked for a fresh second factor first)
// and finds the change in the audit log; a plain user gets "Not an
// administrator". Every console page is screenshot on a laptop and a phone.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
)

func TestAdminConsoleBrowser(t *testing.T) {
	exe := chromiumExecutable(t)
	backends(t, func(t *testing.T, newStore func(t *testing.T) storage.Storage) {
		ctx := context.Background()
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour) // room for new TOTP steps in the real clock's past
		step := func() { s.Clock.Advance(30 * time.Second) }
		for _, id := range []string{"acme", "globex"} {
			if _, err := orgs.Create(ctx, s.Store, orgs.CreateSpec{ID: id, Name: strings.ToUpper(id[:1]) + id[1:]}, "test", s.Clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		wile := addAccount(t, s, "wile")
		if err := orgs.SetUserOrg(ctx, s.Store, wile.ID, "acme", []string{"company-users"}, "test", s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		root := addAccount(t, s, "root")
		if _, err := admin.SetPlatformAdmin(ctx, s.Store, root.Email, true, "test", s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		app := enrolApp(t, s, newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI), newBrowser(t), root)
		boss := addAccount(t, s, "boss")
		if err := orgs.SetUserOrg(ctx, s.Store, boss.ID, "acme", []string{admin.AdministratorsGroup}, "test", s.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		bossApp := enrolApp(t, s, newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI), newBrowser(t), boss)
		shot := screenshotter(t)
		bctx := newChrome(t, exe)

		// Signing in: the console sends the browser through Lockstep's sign-in.
		step()
		do(t, bctx, "open the console",
			chromedp.Navigate(s.URL+"/admin"),
			chromedp.WaitVisible(selEmail),
			chromedp.SendKeys(selEmail, root.Email),
			chromedp.SendKeys(selPassword, root.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selOTPNumeric),
			chromedp.SendKeys(selOTPNumeric, totpCode(t, app.secret, s.Clock.Now())),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(`.stats`),
		)
		wantPage(t, bctx, s.URL+"/admin", "Overview")
		wantText(t, bctx, "the overview", "root@example.com", "Platform administrator", "Without two-step verification", "wile@example.com")
		do(t, bctx, "screenshot the overview", bothSizes(shot, "01-overview")...)

		// A client, with its secret shown once, that works at once.
		do(t, bctx, "new client",
			chromedp.Click(`a[href="/admin/clients"]`),
			chromedp.WaitVisible(`a[href="/admin/clients/new"]`),
		)
		do(t, bctx, "screenshot the clients", bothSizes(shot, "02-clients")...)
		do(t, bctx, "fill the client's form",
			chromedp.Click(`a[href="/admin/clients/new"]`),
			chromedp.WaitVisible(`#name`),
			chromedp.SendKeys(`#name`, "Reports"),
			chromedp.SendKeys(`#client-id`, "reports"),
			chromedp.Click(`input[name=grant_types][value=authorization_code]`),
			chromedp.Click(`input[name=grant_types][value=refresh_token]`),
			chromedp.Click(`input[name=grant_types][value=client_credentials]`),
			chromedp.SendKeys(`#scopes`, "reports"),
		)
		do(t, bctx, "screenshot the new client's form", bothSizes(shot, "03-client-new")...)
		do(t, bctx, "create the client", chromedp.Click(`main form button[type=submit]`), chromedp.WaitVisible(`code.client-secret`))
		wantPage(t, bctx, s.URL+"/admin/clients", "Client secret")
		secret := get(t, bctx, "read the secret", chromedp.Text(`code.client-secret`))
		do(t, bctx, "screenshot the secret", bothSizes(shot, "04-client-secret")...)
		clientToken(t, s, "reports", secret, "reports")
		do(t, bctx, "the client's page", chromedp.Click(`.admin-after a`), chromedp.WaitVisible(`#redirect-uris`))
		wantPage(t, bctx, s.URL+"/admin/clients/reports", "Reports")
		if text := get(t, bctx, "read the client's page", chromedp.Text(selBody)); strings.Contains(text, secret) {
			t.Error("the client's page shows the secret again")
		}
		do(t, bctx, "screenshot the client", bothSizes(shot, "05-client")...)

		// Disable a user found by the search.
		do(t, bctx, "search users",
			chromedp.Click(`a[href="/admin/users"]`),
			chromedp.WaitVisible(`#email`),
			chromedp.SendKeys(`#email`, "wile"),
			chromedp.Click(`form[role=search] button[type=submit]`),
			chromedp.WaitVisible(`input#email[value=wile]`), // the attribute: the results' page
			chromedp.WaitVisible(`a[href="/admin/users/`+wile.ID+`"]`),
		)
		do(t, bctx, "screenshot the search", bothSizes(shot, "06-users")...)
		do(t, bctx, "open the user and disable",
			chromedp.Click(`a[href="/admin/users/`+wile.ID+`"]`),
			chromedp.WaitVisible(`form[action$="/disable"] button`),
			chromedp.Click(`form[action$="/disable"] button`),
			chromedp.WaitVisible(`form[action$="/enable"] button`),
		)
		wantText(t, bctx, "the disabled user", "Disabled", "The user is disabled")
		do(t, bctx, "screenshot the user", bothSizes(shot, "07-user")...)
		if u, err := s.Store.GetUser(ctx, wile.ID); err != nil || !u.Disabled {
			t.Fatalf("after Disable: %+v %v", u, err)
		}

		// Level high for acme, after a fresh second factor.
		s.Clock.Advance(6 * time.Minute)
		step()
		do(t, bctx, "open acme",
			chromedp.Click(`a[href="/admin/orgs"]`),
			chromedp.WaitVisible(`a[href="/admin/orgs/acme"]`),
		)
		do(t, bctx, "screenshot the organisations", bothSizes(shot, "08-orgs")...)
		do(t, bctx, "raise the level",
			chromedp.Click(`a[href="/admin/orgs/acme"]`),
			chromedp.WaitVisible(`input[name=level][value=high]`),
			chromedp.Click(`input[name=level][value=high]`),
			chromedp.Click(`input[name=covered][value=administrators]`),
			chromedp.Click(`input[name=covered][value=owners]`),
			chromedp.Click(`input[name=covered][value=suppliers]`),
			chromedp.SetValue(`#grace`, "3"),
		)
		do(t, bctx, "screenshot the security level editor", bothSizes(shot, "09-org")...)
		do(t, bctx, "save: a second factor first",
			chromedp.Click(`form[action$="/policy"] button[type=submit]`),
			chromedp.WaitVisible(selOTPNumeric),
		)
		wantPage(t, bctx, s.URL+"/challenge", "Confirm it's you")
		if o, _ := s.Store.GetOrganisation(ctx, "acme"); o.Policy.Level != storage.LevelLow {
			t.Fatal("the policy changed without a fresh second factor")
		}
		do(t, bctx, "the code, back at acme, save again",
			chromedp.SendKeys(selOTPNumeric, totpCode(t, app.secret, s.Clock.Now())),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(`input[name=level][value=high]`),
			chromedp.Click(`input[name=level][value=high]`),
			chromedp.Click(`input[name=covered][value=administrators]`),
			chromedp.Click(`input[name=covered][value=owners]`),
			chromedp.Click(`input[name=covered][value=suppliers]`),
			chromedp.SetValue(`#grace`, "3"),
			chromedp.Click(`form[action$="/policy"] button[type=submit]`),
			chromedp.WaitVisible(`.alert-success`),
		)
		wantPage(t, bctx, s.URL+"/admin/orgs/acme", "Acme")
		o, err := s.Store.GetOrganisation(ctx, "acme")
		if err != nil || o.Policy.Level != storage.LevelHigh || o.Policy.GraceDays != 3 || strings.Join(o.Policy.CoveredGroups, ",") != "company-users" {
			t.Fatalf("acme's policy %+v %v", o.Policy, err)
		}

		// The change in the audit log.
		do(t, bctx, "filter the audit log",
			chromedp.Click(`a[href="/admin/audit"]`),
			chromedp.WaitVisible(`#type`),
			chromedp.SendKeys(`#type`, orgs.EventPolicyChanged),
			chromedp.Click(`form[role=search] button[type=submit]`),
			chromedp.WaitVisible(`input#type[value="`+orgs.EventPolicyChanged+`"]`),
		)
		wantText(t, bctx, "the audit log", orgs.EventPolicyChanged, root.Email, "level=high covered=company-users grace_days=3")
		do(t, bctx, "screenshot the audit log", bothSizes(shot, "10-audit")...)
		noProblems(t, bctx, "the administrator's console")

		// A plain user: "Not an administrator".
		pctx := newChrome(t, exe)
		do(t, pctx, "a plain user opens the console",
			chromedp.Navigate(s.URL+"/admin"),
			chromedp.WaitVisible(selEmail),
			chromedp.SendKeys(selEmail, s.Email),
			chromedp.SendKeys(selPassword, s.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space(.)='Not an administrator']`)),
		)
		wantPage(t, pctx, s.URL+"/admin", "Not an administrator")
		wantText(t, pctx, "the refusal", s.Email+", who is not an administrator")
		do(t, pctx, "screenshot the refusal", bothSizes(shot, "11-not-an-administrator")...)

		// Acme's administrator sees acme only, and no clients.
		step()
		octx := newChrome(t, exe)
		do(t, octx, "acme's administrator signs in",
			chromedp.Navigate(s.URL+"/admin"),
			chromedp.WaitVisible(selEmail),
			chromedp.SendKeys(selEmail, boss.Email),
			chromedp.SendKeys(selPassword, boss.Password),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(selOTPNumeric),
			chromedp.SendKeys(selOTPNumeric, totpCode(t, bossApp.secret, s.Clock.Now())),
			chromedp.Click(selSubmit),
			chromedp.WaitVisible(`.stats`),
		)
		wantText(t, octx, "acme's overview", "Administrator of acme", "wile@example.com")
		if text := get(t, octx, "read acme's overview", chromedp.Text(selBody)); strings.Contains(text, "Clients") || strings.Contains(text, s.Email) {
			t.Errorf("acme's administrator sees clients or a user of no organisation:\n%s", text)
		}
		do(t, octx, "screenshot acme's overview", bothSizes(shot, "12-organisation-administrator")...)
		noProblems(t, octx, "the organisation administrator's console")
	})
}

// TestAdminConsoleRoles: an organisation administrator's console shows their
// organisation only; another organisation's user, organisation or the clients
// are not found or not allowed, and nothing changes.
func TestAdminConsoleRoles(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		s := w.s
		// The organisation administrator's session, from the API world, is a browser's.
		b := &browser{t: t, client: w.orgAdmin.client}
		theirs, mine := w.globexUser.ID, w.acmeUser.ID
		tests := []struct {
			method, path string
			status       int
		}{
			{"GET", "/admin", http.StatusOK},
			{"GET", "/admin/users", http.StatusOK},
			{"GET", "/admin/users/" + mine, http.StatusOK},
			{"GET", "/admin/users/" + theirs, http.StatusNotFound},
			{"POST", "/admin/users/" + theirs + "/disable", http.StatusNotFound},
			{"POST", "/admin/users/" + theirs + "/unlock", http.StatusNotFound},
			{"POST", "/admin/users/" + theirs + "/reset-2fa", http.StatusNotFound},
			{"POST", "/admin/users/" + theirs + "/sessions/revoke-all", http.StatusNotFound},
			{"POST", "/admin/users/" + theirs + "/organisation", http.StatusNotFound},
			{"GET", "/admin/users?org=globex", http.StatusNotFound},
			{"POST", "/admin/users", http.StatusBadRequest}, // with org=globex below: not theirs to place users in
			{"GET", "/admin/orgs", http.StatusOK},
			{"GET", "/admin/orgs/acme", http.StatusOK},
			{"GET", "/admin/orgs/globex", http.StatusNotFound},
			{"POST", "/admin/orgs/globex/policy", http.StatusNotFound},
			{"POST", "/admin/orgs/globex/groups", http.StatusNotFound},
			{"POST", "/admin/orgs", http.StatusForbidden},
			{"GET", "/admin/clients", http.StatusForbidden},
			{"GET", "/admin/clients/new", http.StatusForbidden},
			{"GET", "/admin/clients/" + s.ClientID, http.StatusForbidden},
			{"POST", "/admin/clients/" + s.ClientID + "/secret", http.StatusForbidden},
			{"POST", "/admin/clients/" + s.ClientID + "/delete", http.StatusForbidden},
			{"GET", "/admin/audit", http.StatusOK},
			{"GET", "/admin/audit?org=globex", http.StatusNotFound},
		}
		form := url.Values{"confirm": {"yes"}, "level": {"high"}, "grace_days": {"1"}, "name": {"x"}, "org": {"globex"}, "groups": {"staff"},
			"email": {"new@globex.example"}, "password": {"a long enough password"}}
		for _, tt := range tests {
			var p page
			if tt.method == http.MethodGet {
				p = b.get(s, s.URL+tt.path)
			} else {
				p = b.post(s, s.URL+tt.path, form)
			}
			if p.resp.StatusCode != tt.status {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.path, p.resp.StatusCode, tt.status)
			}
			if strings.Contains(p.body, w.globexUser.Email) {
				t.Errorf("%s %s shows globex's user", tt.method, tt.path)
			}
		}
		if u, _ := s.Store.GetUser(context.Background(), theirs); u.Disabled || u.OrgID != "globex" {
			t.Errorf("globex's user changed: %+v", u)
		}
		if c, err := s.Store.GetClient(context.Background(), s.ClientID); err != nil {
			t.Errorf("the client: %v", err)
		} else if st, _ := postForm(t, s.URL+idp.PathToken, url.Values{"grant_type": {"client_credentials"}}, c.ID, s.ClientSecret); st != http.StatusOK {
			t.Errorf("the client's secret changed: %d", st)
		}
		// A cross-site form post is refused before any handler runs.
		req := mustRequest(t, http.MethodPost, s.URL+"/admin/users/"+mine+"/disable", strings.NewReader(""))
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if p := b.do(s, req); p.resp.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site post: %d", p.resp.StatusCode)
		}
		if u, _ := s.Store.GetUser(context.Background(), mine); u.Disabled {
			t.Error("a cross-site post disabled a user")
		}
	})
}

// TestAdminConsoleFreshReset: resetting a user's two-step verification needs a
// second factor proven in the last five minutes; later, the console asks for
// one first and resets nothing.
func TestAdminConsoleFreshReset(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		s := w.s
		b := &browser{t: t, client: w.orgAdmin.client}
		reset := s.URL + "/admin/users/" + w.acmeUser.ID + "/reset-2fa"
		if p := b.post(s, reset, url.Values{"confirm": {"yes"}}); p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Two-step verification was reset") {
			t.Fatalf("a fresh reset: %s %d", p.url, p.resp.StatusCode)
		}
		s.Clock.Advance(6 * time.Minute)
		p := b.post(s, reset, url.Values{"confirm": {"yes"}})
		if !p.isChallenge() {
			t.Fatalf("a stale reset went to %s (%d)", p.url, p.resp.StatusCode)
		}
		var resets int
		events, err := s.Store.QueryAudit(context.Background(), storage.AuditQuery{UserID: w.acmeUser.ID, Type: admin.EventMFAReset})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Detail["actor"] == "user:"+w.boss.ID && e.Detail["via"] == "admin" {
				resets++
			}
		}
		if resets != 1 {
			t.Errorf("%d resets audited, want 1: %v", resets, events)
		}
	})
}

// TestAdminConsoleForms: a platform administrator's forms over HTTP — a client
// edited (a bad redirect URI is refused with its message and nothing changes),
// its secret rotated and shown once, deleted; an organisation created, its groups
// added and renamed; a membership refused and saved; the audit log filtered.
func TestAdminConsoleForms(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		w := newAdminWorld(t, newStore(t))
		s, ctx := w.s, context.Background()
		b := &browser{t: t, client: w.root.client}
		want := func(p page, status int, text ...string) {
			t.Helper()
			if p.resp.StatusCode != status {
				t.Fatalf("%s: %d, want %d: %.400s", p.url, p.resp.StatusCode, status, p.body)
			}
			for _, x := range text {
				if !strings.Contains(p.body, x) {
					t.Errorf("%s lacks %q", p.url, x)
				}
			}
		}
		client := s.URL + "/admin/clients/" + s.ClientID
		form := url.Values{"name": {"Renamed app"}, "redirect_uris": {"http://evil.example/cb"},
			"grant_types": {"authorization_code", "refresh_token", "client_credentials"}, "access_token_format": {"opaque"}}
		want(b.post(s, client, form), http.StatusBadRequest, "This was not saved", "http is only allowed for localhost", "http://evil.example/cb")
		if c, _ := s.Store.GetClient(ctx, s.ClientID); c.Name != "Test App" {
			t.Errorf("a refused form changed the client: %q", c.Name)
		}
		form.Set("redirect_uris", s.RedirectURI+"\n"+"https://app.example/cb")
		want(b.post(s, client, form), http.StatusOK, "Client saved", "Renamed app")
		if c, _ := s.Store.GetClient(ctx, s.ClientID); c.Name != "Renamed app" || len(c.RedirectURIs) != 2 {
			t.Errorf("saved client %+v", c)
		}
		rotated := b.post(s, client+"/secret", nil)
		want(rotated, http.StatusOK, "Copy it now")
		if rotated.resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("the secret's page may be cached: %q", rotated.resp.Header.Get("Cache-Control"))
		}
		secret := regexpFind(t, `<code class="client-secret">([^<]+)</code>`, rotated.body)
		s.Clock.Advance(idp.ClientCacheTTL)
		clientToken(t, s, s.ClientID, secret, "openid")
		want(b.post(s, client+"/delete", nil), http.StatusBadRequest, "Tick the box")
		want(b.post(s, client+"/delete", url.Values{"confirm": {"yes"}}), http.StatusOK, "Client deleted")
		want(b.get(s, client), http.StatusNotFound)

		want(b.post(s, s.URL+"/admin/orgs", url.Values{"name": {""}, "id": {"Bad Id"}}), http.StatusBadRequest, "an organisation needs a name", "use 1 to 64 lower-case")
		want(b.post(s, s.URL+"/admin/orgs", url.Values{"name": {"Initech"}, "id": {"initech"}}), http.StatusOK, "Organisation created", "Initech")
		want(b.post(s, s.URL+"/admin/orgs/initech/groups", url.Values{"name": {"temps"}}), http.StatusOK, "Group added", "temps")
		want(b.post(s, s.URL+"/admin/orgs/initech/groups", url.Values{"name": {"temps"}}), http.StatusBadRequest, "has a group")
		want(b.post(s, s.URL+"/admin/orgs/initech/groups/rename", url.Values{"old": {"temps"}, "name": {"contractors"}}), http.StatusOK, "Group renamed", "contractors")
		want(b.post(s, s.URL+"/admin/orgs/initech/name", url.Values{"name": {"Initech Ltd"}}), http.StatusOK, "Organisation renamed", "Initech Ltd")
		want(b.post(s, s.URL+"/admin/orgs/initech/policy", url.Values{"level": {"high"}, "covered": {"contractors"}, "grace_days": {"120"}}),
			http.StatusBadRequest, "the grace period is 0 to 90 days")

		user := s.URL + "/admin/users/" + w.acmeUser.ID
		want(b.post(s, user+"/organisation", url.Values{"org": {"initech"}, "groups": {"nope"}}), http.StatusBadRequest, "has no group")
		want(b.post(s, user+"/organisation", url.Values{"org": {"initech"}, "groups": {"contractors, owners"}}), http.StatusOK, "Organisation and groups saved")
		if u, _ := s.Store.GetUser(ctx, w.acmeUser.ID); u.OrgID != "initech" || strings.Join(u.Groups, ",") != "owners,contractors" {
			t.Errorf("membership %q %v", u.OrgID, u.Groups)
		}
		want(b.get(s, s.URL+"/admin/audit?"+url.Values{"user": {w.acmeUser.Email}}.Encode()), http.StatusOK, orgs.EventUserOrgChanged, "org=initech")
		want(b.get(s, s.URL+"/admin/audit?since=yesterday"), http.StatusBadRequest, "is not a date")
		want(b.get(s, s.URL+"/admin/audit?user=nobody@example.org"), http.StatusBadRequest, "no user nobody@example.org")
		want(b.get(s, s.URL+"/admin/users?filter=without"), http.StatusOK, "Users without two-step verification", w.acmeUser.Email)

		newUser := url.Values{"email": {"not an email"}, "password": {"a long enough password"}, "given_name": {"Nia"}, "org": {"initech"}, "groups": {"owners"}}
		want(b.post(s, s.URL+"/admin/users", newUser), http.StatusBadRequest, "is not a valid email address", `value="Nia"`)
		newUser.Set("email", "nia@initech.example")
		want(b.post(s, s.URL+"/admin/users", newUser), http.StatusOK, "User created.", "nia@initech.example", "owners")
		if u, err := s.Store.GetUserByEmail(ctx, "nia@initech.example"); err != nil || u.OrgID != "initech" {
			t.Errorf("created %+v %v", u, err)
		}
	})
}

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in %.500s", pattern, s)
	}
	return m[1]
}
