package adminapi

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

type userJSON struct {
	ID         string   `json:"id"`
	Email      string   `json:"email"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Disabled   bool     `json:"disabled"`
	OrgID      string   `json:"org_id"`
	Groups     []string `json:"groups"`
	// MFADeadline is when the organisation's policy needs a second factor by.
	MFADeadline *time.Time `json:"mfa_deadline,omitempty"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

func toUserJSON(u storage.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName, Disabled: u.Disabled,
		OrgID: u.OrgID, Groups: orEmpty(u.Groups), MFADeadline: timeOrNil(u.MFADeadline),
		CreatedAt: timeOrNil(u.CreatedAt), UpdatedAt: timeOrNil(u.UpdatedAt)}
}

func (a *API) listUsers(r *http.Request, p admin.Principal) (int, any, error) {
	cursor, limit, err := page(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	us, next, err := a.Service.Users(r.Context(), p, storage.UserQuery{
		Email: q.Get("email"), OrgID: q.Get("org_id"), Group: q.Get("group"), After: cursor, Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	out := list[userJSON]{Items: []userJSON{}, NextCursor: next}
	for _, u := range us {
		out.Items = append(out.Items, toUserJSON(u))
	}
	return http.StatusOK, out, nil
}

func (a *API) getUser(r *http.Request, p admin.Principal) (int, any, error) {
	u, err := a.Service.User(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u), nil
}

type userInput struct {
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	OrgID      string   `json:"org_id"`
	Groups     []string `json:"groups"`
}

func (a *API) createUser(r *http.Request, p admin.Principal) (int, any, error) {
	var in userInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	u, err := a.Service.CreateUser(r.Context(), p,
		admin.UserSpec{Email: in.Email, Password: in.Password, GivenName: in.GivenName, FamilyName: in.FamilyName}, in.OrgID, in.Groups)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toUserJSON(u), nil
}

func (a *API) disableUser(r *http.Request, p admin.Principal) (int, any, error) {
	u, err := a.Service.DisableUser(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u), nil
}

func (a *API) enableUser(r *http.Request, p admin.Principal) (int, any, error) {
	u, err := a.Service.EnableUser(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u), nil
}

func (a *API) unlockUser(r *http.Request, p admin.Principal) (int, any, error) {
	return http.StatusNoContent, nil, a.Service.Unlock(r.Context(), p, mux.Vars(r)["id"])
}

func (a *API) resetUser(r *http.Request, p admin.Principal) (int, any, error) {
	id := mux.Vars(r)["id"]
	if err := a.Service.ResetSecondFactors(r.Context(), p, id); err != nil {
		return 0, nil, err
	}
	a.Notify(r, id, "2fa.reset")
	return http.StatusNoContent, nil, nil
}

type membershipInput struct {
	OrgID  string   `json:"org_id"`
	Groups []string `json:"groups"`
}

func (a *API) setUserOrg(r *http.Request, p admin.Principal) (int, any, error) {
	var in membershipInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	u, err := a.Service.SetUserOrg(r.Context(), p, mux.Vars(r)["id"], in.OrgID, in.Groups)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u), nil
}

type factorJSON struct {
	Kind       string     `json:"kind"`
	ID         string     `json:"id,omitempty"`
	Name       string     `json:"name"`
	Passkey    bool       `json:"passkey,omitempty"`
	Primary    bool       `json:"primary,omitempty"`
	Unused     *int       `json:"unused,omitempty"`
	CreatedAt  *time.Time `json:"created_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func (a *API) userFactors(r *http.Request, p admin.Principal) (int, any, error) {
	fs, err := a.Service.Factors(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	out := list[factorJSON]{Items: []factorJSON{}}
	for _, f := range fs {
		j := factorJSON{Kind: f.Kind, ID: f.ID, Name: f.Name, Passkey: f.Passkey, Primary: f.Primary,
			CreatedAt: timeOrNil(f.CreatedAt), LastUsedAt: timeOrNil(f.LastUsedAt)}
		if f.Kind == "recovery_codes" {
			j.Unused = &f.Unused
		}
		out.Items = append(out.Items, j)
	}
	return http.StatusOK, out, nil
}

type sessionJSON struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	AuthTime  time.Time `json:"auth_time"`
	ACR       string    `json:"acr"`
	AMR       []string  `json:"amr"`
}

func (a *API) userSessions(r *http.Request, p admin.Principal) (int, any, error) {
	ss, err := a.Service.Sessions(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	out := list[sessionJSON]{Items: []sessionJSON{}}
	for _, s := range ss {
		out.Items = append(out.Items, sessionJSON{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			AuthTime: s.AuthTime.UTC(), ACR: flows.ACR(s.Factors), AMR: orEmpty(flows.AMR(s.Factors))})
	}
	return http.StatusOK, out, nil
}

func (a *API) revokeSessions(r *http.Request, p admin.Principal) (int, any, error) {
	return http.StatusNoContent, nil, a.Service.RevokeSessions(r.Context(), p, mux.Vars(r)["id"], "")
}

func (a *API) revokeSession(r *http.Request, p admin.Principal) (int, any, error) {
	v := mux.Vars(r)
	return http.StatusNoContent, nil, a.Service.RevokeSessions(r.Context(), p, v["id"], v["session"])
}
