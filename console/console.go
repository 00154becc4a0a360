package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Paths of the console, relative to the issuer.
const (
	PathConsole = flows.PathAdmin
	pathUsers   = PathConsole + "/users"
	pathUser    = pathUsers + "/{id}"
	pathOrgs    = PathConsole + "/orgs"
	pathOrg     = pathOrgs + "/{id}"
	pathClients = PathConsole + "/clients"
	pathNew     = pathClients + "/new"
	pathClient  = pathClients + "/{id}"
	pathAudit   = PathConsole + "/audit"
)

// Handlers are the console's pages.
type Handlers struct {
	*flows.Core
	Service *admin.Service
	Roles   admin.RoleStore
	Console *templates.AdminRenderer
	// MinACR is the lowest acr an administrator's session must reach.
	MinACR string
}

// Routes are the console's pages.
func (h *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return []flows.Route{
		{Method: get, Path: PathConsole, Page: h.Overview},
		{Method: get, Path: pathUsers, Page: h.Users},
		{Method: post, Path: pathUsers, Page: h.CreateUser},
		{Method: get, Path: pathUser, Page: h.User},
		{Method: post, Path: pathUser + "/{action:disable|enable|unlock|reset-2fa}", Page: h.UserAction},
		{Method: post, Path: pathUser + "/sessions/{action:revoke|revoke-all}", Page: h.RevokeSessions},
		{Method: post, Path: pathUser + "/organisation", Page: h.SetMembership},
		{Method: get, Path: pathOrgs, Page: h.Orgs},
		{Method: post, Path: pathOrgs, Page: h.CreateOrg},
		{Method: get, Path: pathOrg, Page: h.Org},
		{Method: post, Path: pathOrg + "/policy", Page: h.SetPolicy},
		{Method: post, Path: pathOrg + "/groups", Page: h.AddGroup},
		{Method: post, Path: pathOrg + "/groups/rename", Page: h.RenameGroup},
		{Method: post, Path: pathOrg + "/name", Page: h.RenameOrg},
		{Method: post, Path: pathOrg + "/brand", Page: h.SetOrgBrandName},
		{Method: post, Path: pathOrg + "/logo", Page: h.UploadOrgLogo},
		{Method: post, Path: pathOrg + "/logo/remove", Page: h.RemoveOrgLogo},
		{Method: get, Path: pathClients, Page: h.ClientList},
		{Method: post, Path: pathClients, Page: h.CreateClient},
		{Method: get, Path: pathNew, Page: h.NewClient},
		{Method: get, Path: pathClient, Page: h.Client},
		{Method: post, Path: pathClient, Page: h.UpdateClient},
		{Method: post, Path: pathClient + "/secret", Page: h.RotateSecret},
		{Method: post, Path: pathClient + "/delete", Page: h.DeleteClient},
		{Method: post, Path: pathClient + "/logo", Page: h.UploadClientLogo},
		{Method: post, Path: pathClient + "/logo/remove", Page: h.RemoveClientLogo},
		{Method: get, Path: pathAudit, Page: h.AuditLog},
	}
}

// notices are the only messages a page shows after an action; the query names
// one, so no text comes from the address.
var notices = map[string]string{
	"disable":        "The user is disabled: their sessions ended and their tokens stopped working.",
	"enable":         "The user can sign in again.",
	"unlock":         "Failed attempts cleared: the user can try again at once.",
	"reset-2fa":      "Two-step verification was reset. The user was told by email and will set it up again at their next sign-in.",
	"revoke":         "The session was ended.",
	"revoke-all":     "Every session of the user ended and their tokens were revoked.",
	"user-created":   "User created.",
	"membership":     "Organisation and groups saved.",
	"policy":         "Security level saved. Members it now covers have their deadline from today.",
	"group-added":    "Group added.",
	"group-renamed":  "Group renamed; its members and the security level follow.",
	"renamed":        "Organisation renamed.",
	"created":        "Organisation created.",
	"client-saved":   "Client saved.",
	"client-deleted": "Client deleted.",
	"logo-saved":     "Logo saved.",
	"logo-removed":   "Logo removed.",
	"brand-saved":    "Brand name saved.",
}

// page is the part every console page shares.
func (h *Handlers) page(r *http.Request, p admin.Principal, email, current string) templates.AdminPage {
	role := "Platform administrator"
	if !p.Platform() {
		role = "Administrator of " + p.OrgID
	}
	return templates.AdminPage{Page: h.Page(r.Context(), ""), Notice: notices[r.URL.Query().Get("done")],
		Nav: templates.AdminNav{Base: h.Path(PathConsole), Current: current, Platform: p.Platform(), Email: email, Role: role,
			SignOutURL: h.LogoutPath}}
}

// done sends the browser to a console page (relative to the console) with a notice.
func (h *Handlers) done(w http.ResponseWriter, r *http.Request, page, notice string) error {
	u := h.Path(PathConsole + page)
	if notice != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "done=" + url.QueryEscape(notice)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

// failure turns what the service refused into the page's error.
func failure(err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return flows.UserError(http.StatusNotFound, "Not found", "There is nothing at this address, or it is outside what you administer.", err)
	case errors.Is(err, admin.ErrForbidden):
		return flows.UserError(http.StatusForbidden, "Not allowed", "Your role does not allow this.", err)
	case errors.Is(err, storage.ErrInvalid):
		return flows.UserError(http.StatusBadRequest, "Not possible", err.Error(), err)
	}
	return err
}

// refused lists the messages of a refused change for its form: one per field,
// or the whole message; ok is false for any other error.
func refused(err error) ([]string, bool) {
	if !errors.Is(err, storage.ErrInvalid) && !errors.Is(err, storage.ErrAlreadyExists) {
		return nil, false
	}
	var out []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		out = append(out, err.Error())
	}
	walk(err)
	return out, true
}

// day and minute are how the pages show times.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 MST")
}
