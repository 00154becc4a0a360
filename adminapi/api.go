package adminapi

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
)

// Path is the API's root, relative to the issuer.
const Path = "/admin/api/v1"

// Scope is the scope a client needs in its access token.
const Scope = "lockstep:admin"

//go:embed openapi.json
var openAPI []byte

// Tokens checks Bearer access tokens (idp.Provider).
type Tokens interface {
	CheckAccessToken(ctx context.Context, token string) (idp.AccessToken, error)
}

// Sessions reads the browser's Lockstep session (flows.Core).
type Sessions interface {
	CurrentSession(ctx context.Context, r *http.Request) (storage.Session, storage.User, bool, error)
}

// API is the admin JSON API.
type API struct {
	Service  *admin.Service
	Tokens   Tokens
	Sessions Sessions
	Roles    admin.RoleStore
	// MinACR is the lowest acr a console session must have reached to use the API.
	MinACR string
	// Notify tells a user about a change to their account (flows.Core.Notify).
	Notify func(r *http.Request, userID, notice string)
	Log    *slog.Logger
	// Base is the API's absolute path: the issuer's path and Path.
	Base string
}

// handler answers one route for an authorised principal: a body to send as
// JSON with status, or an error for writeError.
type handler func(r *http.Request, p admin.Principal) (status int, body any, err error)

type route struct {
	method, path string
	handle       handler
}

// routes is every operation of the API; openapi.json documents exactly these.
func (a *API) routes() []route {
	get, post, put, patch, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	return []route{
		{get, "/clients", a.listClients},
		{post, "/clients", a.createClient},
		{get, "/clients/{id}", a.getClient},
		{patch, "/clients/{id}", a.updateClient},
		{del, "/clients/{id}", a.deleteClient},
		{post, "/clients/{id}/secret", a.rotateSecret},
		{put, "/clients/{id}/logo", a.setClientLogo},
		{del, "/clients/{id}/logo", a.removeClientLogo},
		{get, "/users", a.listUsers},
		{post, "/users", a.createUser},
		{get, "/users/{id}", a.getUser},
		{post, "/users/{id}/disable", a.disableUser},
		{post, "/users/{id}/enable", a.enableUser},
		{post, "/users/{id}/unlock", a.unlockUser},
		{post, "/users/{id}/reset-2fa", a.resetUser},
		{put, "/users/{id}/organisation", a.setUserOrg},
		{get, "/users/{id}/factors", a.userFactors},
		{get, "/users/{id}/sessions", a.userSessions},
		{del, "/users/{id}/sessions", a.revokeSessions},
		{del, "/users/{id}/sessions/{session}", a.revokeSession},
		{get, "/organisations", a.listOrgs},
		{post, "/organisations", a.createOrg},
		{get, "/organisations/{id}", a.getOrg},
		{patch, "/organisations/{id}", a.updateOrg},
		{post, "/organisations/{id}/groups", a.addGroup},
		{patch, "/organisations/{id}/groups/{group}", a.renameGroup},
		{put, "/organisations/{id}/policy", a.setPolicy},
		{put, "/organisations/{id}/logo", a.setOrgLogo},
		{del, "/organisations/{id}/logo", a.removeOrgLogo},
		{get, "/audit", a.audit},
	}
}

// Handler serves the API under Base.
func (a *API) Handler() http.Handler {
	r := mux.NewRouter()
	r.Handle(a.Base+"/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})).Methods(http.MethodGet)
	for _, rt := range a.routes() {
		r.Handle(a.Base+rt.path, a.serve(rt.handle)).Methods(rt.method)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, errNoRoute)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idp.WriteJSON(w, http.StatusMethodNotAllowed, apiError{Error: "method_not_allowed", Message: "This address does not accept that method."})
	})
	return r
}

// serve authorises the request, then runs h and writes its answer.
func (a *API) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		status, body, err := h(r, p)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if body == nil {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			return
		}
		idp.WriteJSON(w, status, body)
	})
}

var (
	// errNoToken: neither a Bearer token nor a session.
	errNoToken = errors.New("adminapi: no credentials")
	// errScope: a token without the admin scope.
	errScope = errors.New("adminapi: the token lacks the admin scope")
	// errUserToken: a token a user's sign-in gave a client, not client credentials.
	errUserToken = errors.New("adminapi: a user's token, not the client's own")
	// errWeakSession: a session below the console's minimum acr.
	errWeakSession = errors.New("adminapi: the session's sign-in is below the required level")
	errNoRoute     = errors.New("adminapi: no such route")
)

// authenticate is the one place a request becomes a principal: a client's own
// Bearer token (client credentials) with the admin scope, a platform
// administrator; or, without an Authorization header, the console session of a
// user with an administrator role at the console's minimum acr.
func (a *API) authenticate(r *http.Request) (admin.Principal, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return admin.Principal{}, errNoToken
		}
		t, err := a.Tokens.CheckAccessToken(ctx, token)
		if err != nil {
			return admin.Principal{}, err
		}
		if !slices.Contains(t.Scopes, Scope) {
			return admin.Principal{}, errScope
		}
		if !t.ForClient {
			// A user's token says nothing of how strongly they signed in: users
			// administer through the console's session, at its minimum acr.
			return admin.Principal{}, errUserToken
		}
		return admin.ClientPrincipal(t.ClientID), nil
	}
	sess, user, ok, err := a.Sessions.CurrentSession(ctx, r)
	if err != nil {
		return admin.Principal{}, err
	}
	if !ok {
		return admin.Principal{}, errNoToken
	}
	if flows.ACRRank(flows.ACR(sess.Factors)) < flows.ACRRank(a.MinACR) {
		return admin.Principal{}, errWeakSession
	}
	return admin.UserPrincipal(ctx, a.Roles, user)
}
