package console

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// orgsPage builds the organisations' list.
func (h *Handlers) orgsPage(ctx context.Context, r *http.Request, p admin.Principal, email string) (templates.AdminOrgsPage, error) {
	page := templates.AdminOrgsPage{AdminPage: h.page(r, p, email, "orgs")}
	if p.Platform() {
		page.CreateURL = h.Path(pathOrgs)
	}
	os, err := h.Service.Orgs(ctx, p)
	if err != nil {
		return page, err
	}
	for _, o := range os {
		page.Orgs = append(page.Orgs, templates.AdminOrgRow{URL: h.Path(pathOrgs + "/" + o.ID), ID: o.ID, Name: o.Name,
			Level: string(o.Policy.Level), GraceDays: o.Policy.GraceDays})
	}
	return page, nil
}

// Orgs lists the organisations the administrator sees.
func (h *Handlers) Orgs(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	page, err := h.orgsPage(r.Context(), r, p, user.Email)
	if err != nil {
		return err
	}
	return h.Render(w, http.StatusOK, func() error { return h.Console.Orgs(w, page) })
}

// CreateOrg creates an organisation (platform administrators).
func (h *Handlers) CreateOrg(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	spec := orgs.CreateSpec{ID: r.PostForm.Get("id"), Name: r.PostForm.Get("name")}
	o, err := h.Service.CreateOrg(ctx, p, spec)
	if msgs, bad := refused(err); bad {
		page, perr := h.orgsPage(ctx, r, p, user.Email)
		if perr != nil {
			return perr
		}
		page.Errors, page.ID, page.Name = msgs, spec.ID, spec.Name
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.Orgs(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, "/orgs/"+o.ID, "created")
}

// orgPage builds an organisation's page.
func (h *Handlers) orgPage(ctx context.Context, r *http.Request, p admin.Principal, sess storage.Session, email, id string) (templates.AdminOrgPage, error) {
	o, err := h.Service.Org(ctx, p, id)
	if err != nil {
		return templates.AdminOrgPage{}, failure(err)
	}
	base := h.Path(pathOrgs + "/" + o.ID)
	page := templates.AdminOrgPage{AdminPage: h.page(r, p, email, "orgs"), ID: o.ID, Name: o.Name, Level: string(o.Policy.Level),
		GraceDays: o.Policy.GraceDays, PolicyURL: base + "/policy", GroupsURL: base + "/groups", RenameGroupURL: base + "/groups/rename",
		RenameURL: base + "/name", MembersURL: h.Path(pathUsers) + "?org=" + o.ID, EventsURL: h.Path(pathAudit) + "?org=" + o.ID,
		MaxGraceDays: orgs.MaxGraceDays, Fresh: fresh(h, sess),
		BrandName: o.BrandName, BrandURL: base + "/brand", LogoAction: base + "/logo", LogoRemoveURL: base + "/logo/remove",
		LogoURL: templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum)}
	for _, g := range o.Groups {
		covered := false
		for _, c := range o.Policy.CoveredGroups {
			covered = covered || c == g
		}
		page.Groups = append(page.Groups, templates.AdminOption{Value: g, Label: g, Selected: covered})
	}
	return page, nil
}

// Org shows an organisation's groups and security level.
func (h *Handlers) Org(w http.ResponseWriter, r *http.Request) error {
	p, sess, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	page, err := h.orgPage(r.Context(), r, p, sess, user.Email, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return h.Render(w, http.StatusOK, func() error { return h.Console.Org(w, page) })
}

// orgChange runs change on the organisation named by the path from a posted
// form, shows the page again with what was refused, or goes back with notice.
func (h *Handlers) orgChange(w http.ResponseWriter, r *http.Request, needsFresh bool, notice string,
	change func(p admin.Principal, id string, form func(string) string) error) error {
	ctx := r.Context()
	p, sess, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	id := mux.Vars(r)["id"]
	if _, err := h.Service.Org(ctx, p, id); err != nil {
		return failure(err)
	}
	if needsFresh {
		if ok, err := h.requireFresh(w, r, sess, PathConsole+"/orgs/"+id); !ok {
			return err
		}
	}
	err = change(p, id, r.PostForm.Get)
	if msgs, bad := refused(err); bad {
		page, perr := h.orgPage(ctx, r, p, sess, user.Email, id)
		if perr != nil {
			return perr
		}
		page.Errors = msgs
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.Org(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, "/orgs/"+id, notice)
}

// SetPolicy saves the security level, its groups and grace period (with a
// fresh second factor).
func (h *Handlers) SetPolicy(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, true, "policy", func(p admin.Principal, id string, form func(string) string) error {
		grace, err := strconv.Atoi(form("grace_days"))
		if err != nil {
			return storage.Invalid("grace_days", "the grace period is a number of days")
		}
		policy := storage.OrgPolicy{Level: storage.SecurityLevel(form("level")), CoveredGroups: r.PostForm["covered"], GraceDays: grace}
		_, err = h.Service.SetPolicy(r.Context(), p, id, policy)
		return err
	})
}

// AddGroup adds a group to an organisation.
func (h *Handlers) AddGroup(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, false, "group-added", func(p admin.Principal, id string, form func(string) string) error {
		return h.Service.AddGroup(r.Context(), p, id, form("name"))
	})
}

// RenameGroup renames a group of an organisation.
func (h *Handlers) RenameGroup(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, false, "group-renamed", func(p admin.Principal, id string, form func(string) string) error {
		return h.Service.RenameGroup(r.Context(), p, id, form("old"), form("name"))
	})
}

// RenameOrg renames an organisation.
func (h *Handlers) RenameOrg(w http.ResponseWriter, r *http.Request) error {
	return h.orgChange(w, r, false, "renamed", func(p admin.Principal, id string, form func(string) string) error {
		_, err := h.Service.RenameOrg(r.Context(), p, id, form("name"))
		return err
	})
}
