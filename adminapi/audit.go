package adminapi

import (
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
)

type eventJSON struct {
	ID       string            `json:"id"`
	At       time.Time         `json:"at"`
	Type     string            `json:"type"`
	UserID   string            `json:"user_id,omitempty"`
	ClientID string            `json:"client_id,omitempty"`
	IP       string            `json:"ip,omitempty"`
	Detail   map[string]string `json:"detail,omitempty"`
}

func (a *API) audit(r *http.Request, p admin.Principal) (int, any, error) {
	cursor, limit, err := page(r)
	if err != nil {
		return 0, nil, err
	}
	since, err := timeParam(r, "since")
	if err != nil {
		return 0, nil, err
	}
	until, err := timeParam(r, "until")
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	es, next, err := a.Service.Audit(r.Context(), p, storage.AuditQuery{UserID: q.Get("user_id"), ClientID: q.Get("client_id"),
		Type: q.Get("type"), OrgID: q.Get("org_id"), Since: since, Until: until, Before: cursor, Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	out := list[eventJSON]{Items: []eventJSON{}, NextCursor: next}
	for _, e := range es {
		out.Items = append(out.Items, eventJSON{ID: e.ID, At: e.At.UTC(), Type: e.Type, UserID: e.UserID, ClientID: e.ClientID, IP: e.IP, Detail: e.Detail})
	}
	return http.StatusOK, out, nil
}
