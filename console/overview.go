package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// listed is how many users the overview lists under each count.
const listed = 10

// Overview shows the counts and the users who need attention.
func (h *Handlers) Overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	page := templates.AdminOverviewPage{AdminPage: h.page(r, p, user.Email, "overview"),
		WithoutMoreURL: h.Path(pathUsers) + "?filter=without", OverdueMoreURL: h.Path(pathUsers) + "?filter=overdue"}
	without := storage.UserQuery{WithoutSecondFactor: true}
	overdue := storage.UserQuery{WithoutSecondFactor: true, DeadlineBefore: h.Now()}
	for _, c := range []struct {
		q storage.UserQuery
		n *int
	}{{storage.UserQuery{}, &page.Users}, {without, &page.WithoutSecondFactor}, {overdue, &page.PastDeadline}} {
		if *c.n, err = h.Service.CountUsers(ctx, p, c.q); err != nil {
			return err
		}
	}
	if page.Without, _, err = h.userRows(ctx, p, without, listed); err != nil {
		return err
	}
	if page.Overdue, _, err = h.userRows(ctx, p, overdue, listed); err != nil {
		return err
	}
	os, err := h.Service.Orgs(ctx, p)
	if err != nil {
		return err
	}
	page.Organisations = len(os)
	if p.Platform() {
		cs, err := h.Service.Clients(ctx, p)
		if err != nil {
			return err
		}
		page.Clients = len(cs)
	}
	return h.Render(w, http.StatusOK, func() error { return h.Console.Overview(w, page) })
}

// userRows is a page of the users q matches, as rows, and the next cursor.
func (h *Handlers) userRows(ctx context.Context, p admin.Principal, q storage.UserQuery, limit int) ([]templates.AdminUserRow, string, error) {
	q.Limit = limit
	us, next, err := h.Service.Users(ctx, p, q)
	if err != nil {
		return nil, "", failure(err)
	}
	now := h.Now()
	rows := make([]templates.AdminUserRow, 0, len(us))
	for _, u := range us {
		rows = append(rows, templates.AdminUserRow{URL: h.Path(pathUsers + "/" + u.ID), Email: u.Email,
			Name: strings.TrimSpace(u.GivenName + " " + u.FamilyName), Org: u.OrgID, Groups: strings.Join(u.Groups, ", "),
			Disabled: u.Disabled, Deadline: day(u.MFADeadline), Overdue: !u.MFADeadline.IsZero() && u.MFADeadline.Before(now) && q.WithoutSecondFactor})
	}
	return rows, next, nil
}
