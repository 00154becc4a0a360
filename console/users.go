package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// usersPerPage is the length of a page of the user search.
const usersPerPage = 50

// usersPage builds the user search, or one of the overview's lists (filter),
// with the new user's form.
func (h *Handlers) usersPage(ctx context.Context, r *http.Request, p admin.Principal, email string) (templates.AdminUsersPage, error) {
	q := r.URL.Query()
	page := templates.AdminUsersPage{AdminPage: h.page(r, p, email, "users"), Email: q.Get("email"), Group: q.Get("group"),
		CreateURL: h.Path(pathUsers)}
	uq := storage.UserQuery{Email: page.Email, OrgID: q.Get("org"), Group: page.Group, After: q.Get("cursor")}
	switch q.Get("filter") {
	case "without":
		uq, page.Filter = storage.UserQuery{WithoutSecondFactor: true, After: uq.After}, "without"
	case "overdue":
		uq, page.Filter = storage.UserQuery{WithoutSecondFactor: true, DeadlineBefore: h.Now(), After: uq.After}, "overdue"
	}
	rows, next, err := h.userRows(ctx, p, uq, usersPerPage)
	if err != nil {
		return page, err
	}
	page.Users = rows
	if next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", next)
		page.NextURL = h.Path(pathUsers) + "?" + nq.Encode()
	}
	os, err := h.Service.Orgs(ctx, p)
	if err != nil {
		return page, err
	}
	if p.Platform() {
		page.Orgs = append(page.Orgs, templates.AdminOption{Value: "", Label: "Any organisation"})
		page.NewOrgs = append(page.NewOrgs, templates.AdminOption{Value: "", Label: "No organisation"})
	}
	for _, o := range os {
		page.Orgs = append(page.Orgs, templates.AdminOption{Value: o.ID, Label: o.Name, Selected: o.ID == uq.OrgID})
		page.NewOrgs = append(page.NewOrgs, templates.AdminOption{Value: o.ID, Label: o.Name})
	}
	return page, nil
}

// Users is the user search, or one of the overview's lists.
func (h *Handlers) Users(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	page, err := h.usersPage(r.Context(), r, p, user.Email)
	if err != nil {
		return err
	}
	return h.Render(w, http.StatusOK, func() error { return h.Console.Users(w, page) })
}

// CreateUser creates a user (an organisation administrator: in their
// organisation) and opens their page.
func (h *Handlers) CreateUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	spec := admin.UserSpec{Email: f.Get("email"), Password: f.Get("password"), GivenName: f.Get("given_name"), FamilyName: f.Get("family_name")}
	u, err := h.Service.CreateUser(ctx, p, spec, f.Get("org"), commaList(f.Get("groups")))
	if msgs, bad := refused(err); bad {
		page, perr := h.usersPage(ctx, r, p, user.Email)
		if perr != nil {
			return perr
		}
		page.Errors = msgs
		page.NewEmail, page.NewGiven, page.NewFamily, page.NewGroups = spec.Email, spec.GivenName, spec.FamilyName, f.Get("groups")
		for i := range page.NewOrgs {
			page.NewOrgs[i].Selected = page.NewOrgs[i].Value == f.Get("org")
		}
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.Users(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, "/users/"+u.ID, "user-created")
}

// commaList splits a comma-separated field into its non-empty items.
func commaList(s string) []string {
	var out []string
	for g := range strings.SplitSeq(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// recentEvents is how many audit events a user's page shows.
const recentEvents = 10

// userPage builds a user's page.
func (h *Handlers) userPage(ctx context.Context, r *http.Request, p admin.Principal, sess storage.Session, email, id string) (templates.AdminUserPage, error) {
	u, err := h.Service.User(ctx, p, id)
	if err != nil {
		return templates.AdminUserPage{}, failure(err)
	}
	base := h.Path(pathUsers + "/" + u.ID)
	page := templates.AdminUserPage{AdminPage: h.page(r, p, email, "users"), ID: u.ID, Email: u.Email,
		Name: strings.TrimSpace(u.GivenName + " " + u.FamilyName), Org: u.OrgID, Groups: strings.Join(u.Groups, ", "),
		Created: day(u.CreatedAt), Deadline: day(u.MFADeadline), Disabled: u.Disabled, ActionURL: base,
		MembershipURL: base + "/organisation", EventsURL: h.Path(pathAudit) + "?" + url.Values{"user": {u.ID}}.Encode(),
		Fresh: fresh(h, sess)}
	if u.OrgID != "" {
		page.OrgURL = h.Path(pathOrgs + "/" + u.OrgID)
	}
	factors, err := h.Service.Factors(ctx, p, u.ID)
	if err != nil {
		return page, err
	}
	kinds := map[string]string{"totp": "Authenticator app", "webauthn": "Security key", "phone": "Text message", "recovery_codes": "Recovery codes"}
	hasSecond := false
	for _, f := range factors {
		row := templates.AdminFactorRow{Kind: kinds[f.Kind], Name: f.Name, Added: day(f.CreatedAt), LastUsed: minute(f.LastUsedAt)}
		switch {
		case f.Kind == "recovery_codes":
			row.Name, row.LastUsed = plural(f.Unused, "code")+" left", "—"
		case f.Passkey:
			row.Kind = "Passkey"
		}
		hasSecond = hasSecond || f.Kind != "recovery_codes"
		page.Factors = append(page.Factors, row)
	}
	page.Overdue = !hasSecond && !u.MFADeadline.IsZero() && u.MFADeadline.Before(h.Now())
	sessions, err := h.Service.Sessions(ctx, p, u.ID)
	if err != nil {
		return page, err
	}
	for _, s := range sessions {
		page.Sessions = append(page.Sessions, templates.AdminSessionRow{ID: s.ID, Started: minute(s.CreatedAt), Expires: minute(s.ExpiresAt),
			ACR: flows.ACR(s.Factors), Methods: strings.Join(flows.AMR(s.Factors), " ")})
	}
	events, _, err := h.Service.Audit(ctx, p, storage.AuditQuery{UserID: u.ID, Limit: recentEvents})
	if err != nil {
		return page, err
	}
	page.Events = h.eventRows(ctx, p, events)
	os, err := h.Service.Orgs(ctx, p)
	if err != nil {
		return page, err
	}
	if p.Platform() {
		page.OrgOptions = append(page.OrgOptions, templates.AdminOption{Value: "", Label: "No organisation", Selected: u.OrgID == ""})
	}
	for _, o := range os {
		page.OrgOptions = append(page.OrgOptions, templates.AdminOption{Value: o.ID, Label: o.Name, Selected: o.ID == u.OrgID})
		if o.ID == u.OrgID {
			page.AvailableGroups = strings.Join(o.Groups, ", ")
		}
	}
	return page, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// User shows a user with their factors, sessions, events and the actions.
func (h *Handlers) User(w http.ResponseWriter, r *http.Request) error {
	p, sess, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	page, err := h.userPage(r.Context(), r, p, sess, user.Email, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return h.Render(w, http.StatusOK, func() error { return h.Console.User(w, page) })
}

// UserAction disables, enables, unlocks a user or resets their two-step
// verification (the reset with a fresh second factor).
func (h *Handlers) UserAction(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, sess, _, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	id, action := mux.Vars(r)["id"], mux.Vars(r)["action"]
	page := "/users/" + id
	switch action {
	case "disable":
		_, err = h.Service.DisableUser(ctx, p, id)
	case "enable":
		_, err = h.Service.EnableUser(ctx, p, id)
	case "unlock":
		err = h.Service.Unlock(ctx, p, id)
	case "reset-2fa":
		if _, err := h.Service.User(ctx, p, id); err != nil {
			return failure(err)
		}
		if ok, err := h.requireFresh(w, r, sess, PathConsole+page); !ok {
			return err
		}
		if r.PostForm.Get("confirm") != "yes" {
			return flows.UserError(http.StatusBadRequest, "Not confirmed", "Tick the box to confirm the reset.", nil)
		}
		if err = h.Service.ResetSecondFactors(ctx, p, id); err == nil {
			h.Notify(r, id, "2fa.reset")
		}
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, page, action)
}

// RevokeSessions ends one session of a user, or all of them.
func (h *Handlers) RevokeSessions(w http.ResponseWriter, r *http.Request) error {
	p, _, _, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	id, action := mux.Vars(r)["id"], mux.Vars(r)["action"]
	session := r.PostForm.Get("session")
	if action == "revoke-all" {
		session = ""
	} else if session == "" {
		return flows.UserError(http.StatusBadRequest, "No session", "Choose a session to end.", nil)
	}
	if err := h.Service.RevokeSessions(r.Context(), p, id, session); err != nil {
		return failure(err)
	}
	return h.done(w, r, "/users/"+id, action)
}

// SetMembership puts a user in an organisation with groups.
func (h *Handlers) SetMembership(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, sess, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	id := mux.Vars(r)["id"]
	_, err = h.Service.SetUserOrg(ctx, p, id, r.PostForm.Get("org"), commaList(r.PostForm.Get("groups")))
	if msgs, bad := refused(err); bad {
		page, perr := h.userPage(ctx, r, p, sess, user.Email, id)
		if perr != nil {
			return perr
		}
		page.Errors = msgs
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.User(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, "/users/"+id, "membership")
}
