package adminapi

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// clientJSON is a client as the API shows it (the names the CLI's JSON uses);
// ClientSecret only in the answer that made it.
type clientJSON struct {
	ID                     string   `json:"client_id"`
	ClientSecret           string   `json:"client_secret,omitempty"`
	Name                   string   `json:"name"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	GrantTypes             []string `json:"grant_types"`
	Scopes                 []string `json:"scopes"`
	Public                 bool     `json:"public"`
	FirstParty             bool     `json:"first_party"`
	MinACR                 string   `json:"min_acr"`
	DefaultACRValues       []string `json:"default_acr_values"`
	MaxAuthAgeSeconds      int64    `json:"max_auth_age_seconds"`
	AccessTokenFormat      string   `json:"access_token_format"`
	IDTokenAlg             string   `json:"id_token_signed_response_alg"`
	// LogoURL is where the client's logo is served (PUT …/logo sets it).
	LogoURL   string     `json:"logo_url,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func toClientJSON(c storage.Client, secret string) clientJSON {
	return clientJSON{ID: c.ID, ClientSecret: secret, Name: c.Name, RedirectURIs: orEmpty(c.RedirectURIs),
		PostLogoutRedirectURIs: orEmpty(c.PostLogoutRedirectURIs), GrantTypes: orEmpty(c.GrantTypes), Scopes: orEmpty(c.Scopes),
		Public: c.Public, FirstParty: c.FirstParty, MinACR: c.MinACR, DefaultACRValues: orEmpty(c.DefaultACRValues),
		MaxAuthAgeSeconds: int64(c.MaxAuthAge / time.Second), AccessTokenFormat: c.AccessTokenFormat, IDTokenAlg: c.IDTokenAlg,
		LogoURL:   templates.LogoURL(string(storage.LogoClient), c.ID, c.LogoSum),
		CreatedAt: timeOrNil(c.CreatedAt), UpdatedAt: timeOrNil(c.UpdatedAt)}
}

// clientInput is the body of a create (every field) or an update (the fields
// sent change; client_id, client_secret and public only at creation).
type clientInput struct {
	ID                     *string   `json:"client_id"`
	ClientSecret           *string   `json:"client_secret"`
	Name                   *string   `json:"name"`
	RedirectURIs           *[]string `json:"redirect_uris"`
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris"`
	GrantTypes             *[]string `json:"grant_types"`
	Scopes                 *[]string `json:"scopes"`
	Public                 *bool     `json:"public"`
	FirstParty             *bool     `json:"first_party"`
	MinACR                 *string   `json:"min_acr"`
	DefaultACRValues       *[]string `json:"default_acr_values"`
	MaxAuthAgeSeconds      *int64    `json:"max_auth_age_seconds"`
	AccessTokenFormat      *string   `json:"access_token_format"`
	IDTokenAlg             *string   `json:"id_token_signed_response_alg"`
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// apply writes the fields sent into spec.
func (in clientInput) apply(spec *admin.ClientSpec) {
	set(&spec.Name, in.Name)
	set(&spec.RedirectURIs, in.RedirectURIs)
	set(&spec.PostLogoutRedirectURIs, in.PostLogoutRedirectURIs)
	set(&spec.GrantTypes, in.GrantTypes)
	set(&spec.Scopes, in.Scopes)
	set(&spec.FirstParty, in.FirstParty)
	set(&spec.MinACR, in.MinACR)
	set(&spec.DefaultACRValues, in.DefaultACRValues)
	if in.MaxAuthAgeSeconds != nil {
		spec.MaxAuthAge = time.Duration(*in.MaxAuthAgeSeconds) * time.Second
	}
	set(&spec.AccessTokenFormat, in.AccessTokenFormat)
	set(&spec.IDTokenAlg, in.IDTokenAlg)
}

func (a *API) listClients(r *http.Request, p admin.Principal) (int, any, error) {
	cs, err := a.Service.Clients(r.Context(), p)
	if err != nil {
		return 0, nil, err
	}
	out := list[clientJSON]{Items: []clientJSON{}}
	for _, c := range cs {
		out.Items = append(out.Items, toClientJSON(c, ""))
	}
	return http.StatusOK, out, nil
}

func (a *API) getClient(r *http.Request, p admin.Principal) (int, any, error) {
	c, err := a.Service.Client(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toClientJSON(c, ""), nil
}

func (a *API) createClient(r *http.Request, p admin.Principal) (int, any, error) {
	var in clientInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	var spec admin.ClientSpec
	in.apply(&spec)
	set(&spec.ID, in.ID)
	set(&spec.Secret, in.ClientSecret)
	set(&spec.Public, in.Public)
	c, secret, err := a.Service.CreateClient(r.Context(), p, spec)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toClientJSON(c, secret), nil
}

func (a *API) updateClient(r *http.Request, p admin.Principal) (int, any, error) {
	var in clientInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	for field, sent := range map[string]bool{"client_id": in.ID != nil, "client_secret": in.ClientSecret != nil, "public": in.Public != nil} {
		if sent {
			return 0, nil, &badRequest{field: field, msg: field + " cannot be changed; rotate the secret or create a new client"}
		}
	}
	c, err := a.Service.UpdateClient(r.Context(), p, mux.Vars(r)["id"], in.apply)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toClientJSON(c, ""), nil
}

func (a *API) deleteClient(r *http.Request, p admin.Principal) (int, any, error) {
	return http.StatusNoContent, nil, a.Service.DeleteClient(r.Context(), p, mux.Vars(r)["id"])
}

func (a *API) rotateSecret(r *http.Request, p admin.Principal) (int, any, error) {
	id := mux.Vars(r)["id"]
	secret, err := a.Service.RotateClientSecret(r.Context(), p, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"client_id": id, "client_secret": secret}, nil
}
