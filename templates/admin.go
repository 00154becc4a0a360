package templates

import (
	"fmt"
	"html/template"
	"io"

	"github.com/lockstep-id/lockstep/i18n"
)

// The admin console's pages (html/admin_*.html) share the hosted pages' layout
// and stylesheet; html/admin_partials.html adds the console's navigation and
// widens the card. They have a renderer of their own (AdminRenderer), one typed
// method per page, and know nothing of storage: the console fills them with
// strings.

// AdminNav is the console's navigation and who is signed in.
type AdminNav struct {
	// Base is the console's absolute path ("/admin" under the issuer's path).
	Base string
	// Current names the section shown: overview, users, orgs, clients or audit.
	Current string
	// Platform shows the clients (platform administrators only).
	Platform bool
	Email    string
	// Role is "Platform administrator" or "Administrator of <organisation>".
	Role string
	// SignOutURL ends the session.
	SignOutURL string
}

// AdminPage is the part every console page shares.
type AdminPage struct {
	Page
	Nav AdminNav
	// Notice says what the last action did; Errors why a form was refused.
	Notice string
	Errors []string
}

// AdminUserRow is a user in a list.
type AdminUserRow struct {
	URL, Email, Name, Org, Groups string
	Disabled                      bool
	// Deadline is the organisation's set-up deadline ("" for none); Overdue when
	// it passed without a second factor.
	Deadline string
	Overdue  bool
}

// AdminOverviewPage is the console's first page.
type AdminOverviewPage struct {
	AdminPage
	Users, WithoutSecondFactor, PastDeadline, Organisations int
	// Clients is shown to platform administrators only.
	Clients int
	// Without and Overdue list the first users of each count; MoreURL lists all.
	Without, Overdue               []AdminUserRow
	WithoutMoreURL, OverdueMoreURL string
}

// AdminOption is a choice of a select, checkbox or radio group.
type AdminOption struct {
	Value, Label string
	Selected     bool
}

// AdminUsersPage is the user search.
type AdminUsersPage struct {
	AdminPage
	Email, Group string
	Orgs         []AdminOption // the organisation filter ("" for any)
	Users        []AdminUserRow
	// Filter names a preset list ("without", "overdue") shown instead of the search.
	Filter  string
	NextURL string
	// CreateURL takes the new user's form: the values typed (never the
	// password) and the organisations they may go in.
	CreateURL                                string
	NewEmail, NewGiven, NewFamily, NewGroups string
	NewOrgs                                  []AdminOption
}

// AdminFactorRow is one second factor.
type AdminFactorRow struct {
	Kind, Name, Added, LastUsed string
}

// AdminSessionRow is one live session.
type AdminSessionRow struct {
	ID, Started, Expires, ACR, Methods string
}

// AdminEventRow is one line of the audit log.
type AdminEventRow struct {
	At, Type, UserEmail, UserURL, Client, Actor, IP, Detail string
}

// AdminUserPage is a user's detail with the actions on them.
type AdminUserPage struct {
	AdminPage
	ID, Email, Name, Org, OrgURL, Groups, Created, Deadline string
	Disabled, Overdue                                       bool
	Factors                                                 []AdminFactorRow
	Sessions                                                []AdminSessionRow
	Events                                                  []AdminEventRow
	EventsURL                                               string
	// Fresh: resetting two-step verification will not ask for a second factor first.
	Fresh bool
	// ActionURL is the base of the action forms (…/disable, …/reset-2fa, …).
	ActionURL string
	// MembershipURL takes the membership form: the organisations (Selected: the
	// user's) and the groups, comma-separated (Groups); AvailableGroups are the
	// groups of the user's organisation.
	MembershipURL   string
	OrgOptions      []AdminOption
	AvailableGroups string
}

// AdminOrgRow is an organisation in the list.
type AdminOrgRow struct {
	URL, ID, Name, Level string
	GraceDays, Members   int
}

// AdminOrgsPage lists the organisations, with the creation form for platform
// administrators.
type AdminOrgsPage struct {
	AdminPage
	Orgs      []AdminOrgRow
	CreateURL string // "" hides the form
	ID, Name  string
}

// AdminOrgPage is an organisation: its groups and its security policy.
type AdminOrgPage struct {
	AdminPage
	ID, Name, Level string
	GraceDays       int
	Groups          []AdminOption // Selected: covered by the policy
	MembersURL      string
	PolicyURL       string
	GroupsURL       string // adding a group
	RenameGroupURL  string // renaming one (old, name)
	RenameURL       string // renaming the organisation
	EventsURL       string
	MaxGraceDays    int
	// BrandName and LogoURL are what the members see instead of the server's
	// brand; BrandURL saves the name, LogoAction uploads a logo (multipart,
	// field "logo") and LogoRemoveURL removes it.
	BrandName, LogoURL                  string
	BrandURL, LogoAction, LogoRemoveURL string
	// Fresh says the administrator proved a second factor recently: changing the
	// policy will not ask for one first.
	Fresh bool
}

// AdminClientRow is a client in the list.
type AdminClientRow struct {
	URL, ID, Name, Kind, Grants string
}

// AdminClientsPage lists the clients.
type AdminClientsPage struct {
	AdminPage
	Clients []AdminClientRow
	NewURL  string
}

// AdminClientPage creates (New) or edits a client.
type AdminClientPage struct {
	AdminPage
	New                       bool
	Action                    string
	ID, Name                  string
	RedirectURIs, PostLogout  string // one per line
	Scopes                    string // space-separated
	Grants, MinACR, Formats   []AdminOption
	Public, FirstParty        bool
	RotateURL, DeleteURL      string
	EventsURL, ClientsListURL string
	// LogoURL is the client's logo ("" for none); LogoAction uploads one
	// (multipart, field "logo") and LogoRemoveURL removes it.
	LogoURL, LogoAction, LogoRemoveURL string
}

// AdminSecretPage shows a client's secret, once.
type AdminSecretPage struct {
	AdminPage
	ClientID, Secret, ClientURL string
}

// AdminAuditPage is the audit log with its filters.
type AdminAuditPage struct {
	AdminPage
	UserID, ClientID, Type, Since, Until string
	Events                               []AdminEventRow
	NextURL, FirstURL                    string
}

const (
	adminOverview = "overview"
	adminUsers    = "users"
	adminUser     = "user"
	adminOrgs     = "orgs"
	adminOrg      = "org"
	adminClients  = "clients"
	adminClient   = "client"
	adminSecret   = "secret"
	adminAudit    = "audit"
)

var adminPageNames = []string{adminOverview, adminUsers, adminUser, adminOrgs, adminOrg, adminClients, adminClient, adminSecret, adminAudit}

// AdminRenderer renders the admin console. It is safe for concurrent use.
type AdminRenderer struct {
	r Renderer
}

// NewAdmin parses the console's pages. The console is in English (the
// catalogues cover the hosted pages, emails and texts, not the console).
func NewAdmin() (*AdminRenderer, error) {
	cat, err := i18n.Load("")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	set, err := parsePages(funcs(cat.Localizer(i18n.English.String())), adminPageNames, func(name string) []string {
		return []string{"html/layout.html", "html/partials.html", "html/admin_partials.html", "html/admin_" + name + ".html"}
	})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return &AdminRenderer{r: Renderer{pages: map[string]map[string]*template.Template{i18n.English.String(): set}, cat: cat}}, nil
}

func titled(p *Page, title string) {
	if p.Title == "" {
		p.Title = title
	}
}

// Overview renders the console's overview.
func (a *AdminRenderer) Overview(w io.Writer, p AdminOverviewPage) error {
	titled(&p.Page, "Admin overview")
	return a.r.render(w, adminOverview, p)
}

// Users renders the user search.
func (a *AdminRenderer) Users(w io.Writer, p AdminUsersPage) error {
	titled(&p.Page, "Users")
	return a.r.render(w, adminUsers, p)
}

// User renders a user's detail.
func (a *AdminRenderer) User(w io.Writer, p AdminUserPage) error {
	titled(&p.Page, p.Email)
	return a.r.render(w, adminUser, p)
}

// Orgs renders the organisations.
func (a *AdminRenderer) Orgs(w io.Writer, p AdminOrgsPage) error {
	titled(&p.Page, "Organisations")
	return a.r.render(w, adminOrgs, p)
}

// Org renders an organisation.
func (a *AdminRenderer) Org(w io.Writer, p AdminOrgPage) error {
	titled(&p.Page, p.Name)
	return a.r.render(w, adminOrg, p)
}

// Clients renders the clients.
func (a *AdminRenderer) Clients(w io.Writer, p AdminClientsPage) error {
	titled(&p.Page, "Clients")
	return a.r.render(w, adminClients, p)
}

// Client renders a client's form.
func (a *AdminRenderer) Client(w io.Writer, p AdminClientPage) error {
	if p.New {
		titled(&p.Page, "New client")
	}
	titled(&p.Page, p.Name)
	return a.r.render(w, adminClient, p)
}

// Secret renders a client secret shown once.
func (a *AdminRenderer) Secret(w io.Writer, p AdminSecretPage) error {
	titled(&p.Page, "Client secret")
	return a.r.render(w, adminSecret, p)
}

// Audit renders the audit log.
func (a *AdminRenderer) Audit(w io.Writer, p AdminAuditPage) error {
	titled(&p.Page, "Audit log")
	return a.r.render(w, adminAudit, p)
}
