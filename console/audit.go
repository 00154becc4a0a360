package console

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// eventsPerPage is the length of a page of the audit log.
const eventsPerPage = 50

// AuditLog is the audit log with its filters, newest first, page by page.
func (h *Handlers) AuditLog(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	q := r.URL.Query()
	page := templates.AdminAuditPage{AdminPage: h.page(r, p, user.Email, "audit"), UserID: q.Get("user"), ClientID: q.Get("client"),
		Type: q.Get("type"), Since: q.Get("since"), Until: q.Get("until")}
	aq := storage.AuditQuery{ClientID: page.ClientID, Type: page.Type, OrgID: q.Get("org"), Before: q.Get("cursor"), Limit: eventsPerPage}
	if aq.UserID, err = h.userFilter(ctx, p, page.UserID); err != nil {
		page.Errors = append(page.Errors, err.Error())
	}
	for _, f := range []struct {
		v   string
		t   *time.Time
		add time.Duration
	}{{page.Since, &aq.Since, 0}, {page.Until, &aq.Until, 24 * time.Hour}} {
		if f.v == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, f.v)
		if err != nil {
			page.Errors = append(page.Errors, fmt.Sprintf("%q is not a date such as 2026-03-14", f.v))
			continue
		}
		*f.t = d.Add(f.add) // "until" a day includes it
	}
	var events []storage.AuditEvent
	var next string
	if page.Errors == nil {
		events, next, err = h.Service.Audit(ctx, p, aq)
		if errors.Is(err, storage.ErrNotFound) && aq.Before != "" {
			page.Errors = append(page.Errors, "That page of the log is gone; start again from the newest.")
		} else if err != nil {
			return failure(err)
		}
	}
	page.Events = h.eventRows(ctx, p, events)
	keep := url.Values{}
	for _, k := range []string{"user", "client", "type", "since", "until", "org"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	if aq.Before != "" {
		page.FirstURL = h.Path(pathAudit) + "?" + keep.Encode()
	}
	if next != "" {
		keep.Set("cursor", next)
		page.NextURL = h.Path(pathAudit) + "?" + keep.Encode()
	}
	status := http.StatusOK
	if page.Errors != nil {
		status = http.StatusBadRequest
	}
	return h.Render(w, status, func() error { return h.Console.Audit(w, page) })
}

// userFilter reads the audit log's user filter: an email or a user id, of a
// user the principal sees.
func (h *Handlers) userFilter(ctx context.Context, p admin.Principal, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if !strings.Contains(v, "@") {
		return v, nil
	}
	u, err := h.Service.Store.GetUserByEmail(ctx, strings.ToLower(strings.TrimSpace(v)))
	if err == nil {
		_, err = h.Service.User(ctx, p, u.ID)
	}
	if err != nil {
		return "", fmt.Errorf("no user %s", v)
	}
	return u.ID, nil
}

// eventRows shows events with their users' emails (the ids of users the
// principal does not see, or that are gone).
func (h *Handlers) eventRows(ctx context.Context, p admin.Principal, events []storage.AuditEvent) []templates.AdminEventRow {
	emails := map[string]string{}
	emailOf := func(id string) string {
		email, seen := emails[id]
		if !seen {
			if u, err := h.Service.User(ctx, p, id); err == nil {
				email = u.Email
			}
			emails[id] = email
		}
		return email
	}
	rows := make([]templates.AdminEventRow, 0, len(events))
	for _, e := range events {
		row := templates.AdminEventRow{At: minute(e.At), Type: e.Type, Client: e.ClientID, IP: e.IP, Actor: e.Detail["actor"],
			UserEmail: e.UserID}
		if e.UserID != "" {
			if email := emailOf(e.UserID); email != "" {
				row.UserEmail, row.UserURL = email, h.Path(pathUsers+"/"+e.UserID)
			}
		}
		if id, ok := strings.CutPrefix(row.Actor, "user:"); ok {
			if email := emailOf(id); email != "" {
				row.Actor = email
			}
		}
		var detail []string
		for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
			if k != "actor" && e.Detail[k] != "" {
				detail = append(detail, k+"="+e.Detail[k])
			}
		}
		row.Detail = strings.Join(detail, " ")
		rows = append(rows, row)
	}
	return rows
}
