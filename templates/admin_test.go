package templates

import (
	"bytes"
	"html/template"
	"io"
	"regexp"
	"strings"
	"testing"
)

func adminBase(current string, platform bool) AdminPage {
	return AdminPage{Page: page(""), Nav: AdminNav{Base: "/admin", Current: current, Platform: platform,
		Email: "root@example.com", Role: "Platform administrator", SignOutURL: "/logout"}}
}

var adminRows = []AdminUserRow{
	{URL: "/admin/users/u1", Email: "wile@acme.example", Name: "Wile E.", Org: "Acme", Groups: "company-users", Deadline: "3 March 2026", Overdue: true},
	{URL: "/admin/users/u2", Email: "<b>@x", Disabled: true},
}

var adminEvents = []AdminEventRow{{At: "2 Mar 2026 10:00", Type: "org.policy_changed", UserEmail: "wile@acme.example", UserURL: "/admin/users/u1",
	Actor: "user:root", IP: "192.0.2.1", Detail: "level=high"}}

func adminCases() []pageCase {
	return []pageCase{
		{name: "admin overview", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Overview(w, AdminOverviewPage{AdminPage: adminBase("overview", true), Users: 12, WithoutSecondFactor: 5,
				PastDeadline: 3, Organisations: 2, Clients: 4, Overdue: adminRows[:1], Without: adminRows,
				WithoutMoreURL: "/admin/users?filter=without", OverdueMoreURL: "/admin/users?filter=overdue"})
		}, want: []string{"<title>Admin overview · Lockstep</title>", `class="card card-admin"`, `<a href="/admin" aria-current="page">Overview</a>`,
			`<span class="stat-value">3</span><span class="stat-label">Past their deadline</span>`, `href="/admin/clients"`,
			"Past deadline 3 March 2026", "&lt;b&gt;@x", "All 3", "Platform administrator"}},
		{name: "admin overview of an organisation administrator", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Overview(w, AdminOverviewPage{AdminPage: adminBase("overview", false)})
		}, want: []string{"No users."}, notWant: []string{"/admin/clients"}},
		{name: "admin users", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Users(w, AdminUsersPage{AdminPage: adminBase("users", true), Email: "wile", Users: adminRows,
				Orgs: []AdminOption{{Value: "", Label: "Any"}, {Value: "acme", Label: "Acme", Selected: true}}, NextURL: "/admin/users?cursor=u2",
				CreateURL: "/admin/users", NewEmail: "new@acme.example", NewGroups: "staff", NewOrgs: []AdminOption{{Value: "acme", Label: "Acme"}}})
		}, want: []string{`<form method="get" action="/admin/users"`, `value="wile"`, `<option value="acme" selected>Acme</option>`,
			`href="/admin/users?cursor=u2"`, `data-label="Email"`, `<form method="post" action="/admin/users"`, `value="new@acme.example"`,
			`autocomplete="new-password" required>`}},
		{name: "admin user", render: func(r *Renderer, w io.Writer) error {
			p := AdminUserPage{AdminPage: adminBase("users", true), ID: "u1", Email: "wile@acme.example", Org: "Acme", OrgURL: "/admin/orgs/acme",
				Groups: "company-users", Deadline: "3 March 2026", Overdue: true, ActionURL: "/admin/users/u1", MembershipURL: "/admin/users/u1/organisation",
				Factors:  []AdminFactorRow{{Kind: "Authenticator app", Name: "Phone", Added: "1 Mar 2026"}},
				Sessions: []AdminSessionRow{{ID: "s1", Started: "1 Mar", Expires: "2 Mar", ACR: "urn:lockstep:acr:mfa", Methods: "pwd otp"}},
				Events:   adminEvents, EventsURL: "/admin/audit?user=u1", OrgOptions: []AdminOption{{Value: "acme", Label: "Acme", Selected: true}},
				AvailableGroups: "administrators, company-users"}
			p.Errors = []string{"organisation has no group x"}
			return adminRenderer.User(w, p)
		}, want: []string{"<title>wile@acme.example · Lockstep</title>", `action="/admin/users/u1/reset-2fa"`, `action="/admin/users/u1/disable"`,
			`name="session" value="s1"`, "You will be asked for your own second factor first.", "organisation has no group x", "never",
			`action="/admin/users/u1/sessions/revoke-all"`}},
		{name: "admin orgs", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Orgs(w, AdminOrgsPage{AdminPage: adminBase("orgs", true), CreateURL: "/admin/orgs",
				Orgs: []AdminOrgRow{{URL: "/admin/orgs/acme", ID: "acme", Name: "Acme", Level: "high", GraceDays: 5}}})
		}, want: []string{`href="/admin/orgs/acme"`, "two-step required", "5 days", `action="/admin/orgs"`}},
		{name: "admin org", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Org(w, AdminOrgPage{AdminPage: adminBase("orgs", false), ID: "acme", Name: "Acme", Level: "high", GraceDays: 5,
				Groups:    []AdminOption{{Value: "administrators", Label: "administrators"}, {Value: "company-users", Label: "company-users", Selected: true}},
				PolicyURL: "/admin/orgs/acme/policy", GroupsURL: "/admin/orgs/acme/groups", RenameGroupURL: "/admin/orgs/acme/groups/rename",
				RenameURL: "/admin/orgs/acme/name", MembersURL: "/admin/users?org=acme", EventsURL: "/admin/audit?org=acme", MaxGraceDays: 90, Fresh: true})
		}, want: []string{`<input type="radio" name="level" value="high" checked>`, `name="covered" value="company-users" checked>`,
			`max="90"`, `action="/admin/orgs/acme/policy"`}, notWant: []string{"You will be asked", "/admin/clients"}},
		{name: "admin clients", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Clients(w, AdminClientsPage{AdminPage: adminBase("clients", true), NewURL: "/admin/clients/new",
				Clients: []AdminClientRow{{URL: "/admin/clients/app", ID: "app", Name: "App", Kind: "Confidential", Grants: "authorization_code"}}})
		}, want: []string{`href="/admin/clients/new"`, `href="/admin/clients/app"`}},
		{name: "admin new client", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Client(w, AdminClientPage{AdminPage: adminBase("clients", true), New: true, Action: "/admin/clients",
				Grants: []AdminOption{{Value: "client_credentials", Label: "Client credentials", Selected: true}}, ClientsListURL: "/admin/clients"})
		}, want: []string{"<title>New client · Lockstep</title>", `name="public"`, `name="client_id"`, "Create client"}, notWant: []string{"Rotate secret"}},
		{name: "admin client", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Client(w, AdminClientPage{AdminPage: adminBase("clients", true), Action: "/admin/clients/app", ID: "app", Name: "App",
				RedirectURIs: "https://app.example/cb\nhttps://app.example/cb2", RotateURL: "/admin/clients/app/secret", DeleteURL: "/admin/clients/app/delete"})
		}, want: []string{"<title>App · Lockstep</title>", "https://app.example/cb\nhttps://app.example/cb2</textarea>", `action="/admin/clients/app/secret"`,
			"Delete client"}, notWant: []string{`name="public"`}},
		{name: "admin secret", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Secret(w, AdminSecretPage{AdminPage: adminBase("clients", true), ClientID: "app", Secret: "s3cr3t", ClientURL: "/admin/clients/app"})
		}, want: []string{`<code class="client-secret">s3cr3t</code>`, "only time"}},
		{name: "admin audit", render: func(r *Renderer, w io.Writer) error {
			return adminRenderer.Audit(w, AdminAuditPage{AdminPage: adminBase("audit", true), Type: "login.failure", Events: adminEvents,
				NextURL: "/admin/audit?cursor=e1", FirstURL: "/admin/audit"})
		}, want: []string{`value="login.failure"`, "<code>org.policy_changed</code>", "from 192.0.2.1", `href="/admin/audit?cursor=e1"`}},
	}
}

var adminRenderer = func() *AdminRenderer {
	a, err := NewAdmin()
	if err != nil {
		panic(err)
	}
	return a
}()

var searchForm = regexp.MustCompile(`<form method="get"[^>]* role="search">`)

func TestAdminPages(t *testing.T) {
	for _, tc := range adminCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(nil, &buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			html := buf.String()
			// Search forms are GETs: they change nothing. Every other form posts.
			checkCommon(t, searchForm.ReplaceAllString(html, `<form method="post">`))
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

func TestEveryAdminPageIsTested(t *testing.T) {
	saved := adminRenderer
	defer func() { adminRenderer = saved }()
	fresh, err := NewAdmin() // a template that has run cannot be cloned
	if err != nil {
		t.Fatal(err)
	}
	marked := &AdminRenderer{r: Renderer{pages: map[string]map[string]*template.Template{"en": {}}, cat: fresh.r.cat}}
	for name, tmpl := range fresh.r.pages["en"] {
		c := template.Must(tmpl.Clone())
		template.Must(c.AddParseTree("page-layout", c.Lookup("layout").Tree))
		template.Must(c.New("layout").Parse(`PAGE=` + name + ";" + `{{template "page-layout" .}}`))
		marked.r.pages["en"][name] = c
	}
	adminRenderer = marked
	marker := regexp.MustCompile(`^PAGE=([a-z0-9]+);`)
	rendered := map[string]bool{}
	for _, tc := range adminCases() {
		var buf bytes.Buffer
		if err := tc.render(nil, &buf); err != nil {
			t.Fatal(err)
		}
		if m := marker.FindStringSubmatch(buf.String()); m != nil {
			rendered[m[1]] = true
		}
	}
	for _, name := range adminPageNames {
		if !rendered[name] {
			t.Errorf("admin page %q has no case", name)
		}
	}
}
