package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

var (
	grantLabels = []templates.AdminOption{
		{Value: "authorization_code", Label: "Authorization code (users sign in)"},
		{Value: "refresh_token", Label: "Refresh token"},
		{Value: "client_credentials", Label: "Client credentials (the client acts for itself)"},
	}
	acrLabels = []templates.AdminOption{
		{Value: "", Label: "None (the request decides)"},
		{Value: flows.ACRPassword, Label: "Password"},
		{Value: flows.ACRMultiFactor, Label: "Two factors"},
		{Value: flows.ACRPhishingResistant, Label: "Phishing-resistant (security key or passkey)"},
	}
	formatLabels = []templates.AdminOption{{Value: "opaque", Label: "Opaque"}, {Value: "jwt", Label: "JWT (RFC 9068)"}}
)

// choose marks the options whose value is in values.
func choose(options []templates.AdminOption, values ...string) []templates.AdminOption {
	out := slices.Clone(options)
	for i := range out {
		out[i].Selected = slices.Contains(values, out[i].Value)
	}
	return out
}

// ClientList lists the clients (platform administrators).
func (h *Handlers) ClientList(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	cs, err := h.Service.Clients(r.Context(), p)
	if err != nil {
		return failure(err)
	}
	page := templates.AdminClientsPage{AdminPage: h.page(r, p, user.Email, "clients"), NewURL: h.Path(pathNew)}
	for _, c := range cs {
		kind := "Confidential"
		if c.Public {
			kind = "Public"
		}
		page.Clients = append(page.Clients, templates.AdminClientRow{URL: h.Path(pathClients + "/" + c.ID), ID: c.ID, Name: c.Name,
			Kind: kind, Grants: strings.Join(c.GrantTypes, ", ")})
	}
	return h.Render(w, http.StatusOK, func() error { return h.Console.Clients(w, page) })
}

// clientPage is the form of a client: spec's values, and the logo of version
// logoSum ("": none); New for a creation.
func (h *Handlers) clientPage(r *http.Request, p admin.Principal, email string, spec admin.ClientSpec, logoSum string, isNew bool) templates.AdminClientPage {
	page := templates.AdminClientPage{AdminPage: h.page(r, p, email, "clients"), New: isNew, ID: spec.ID, Name: spec.Name,
		RedirectURIs: strings.Join(spec.RedirectURIs, "\n"), PostLogout: strings.Join(spec.PostLogoutRedirectURIs, "\n"),
		Scopes: strings.Join(spec.Scopes, " "), Grants: choose(grantLabels, spec.GrantTypes...), MinACR: choose(acrLabels, spec.MinACR),
		Formats: choose(formatLabels, spec.AccessTokenFormat), Public: spec.Public, FirstParty: spec.FirstParty,
		ClientsListURL: h.Path(pathClients), Action: h.Path(pathClients)}
	if !isNew {
		base := h.Path(pathClients + "/" + spec.ID)
		page.Action, page.RotateURL, page.DeleteURL = base, base+"/secret", base+"/delete"
		page.EventsURL = h.Path(pathAudit) + "?client=" + spec.ID
		page.LogoAction, page.LogoRemoveURL = base+"/logo", base+"/logo/remove"
		page.LogoURL = templates.LogoURL(string(storage.LogoClient), spec.ID, logoSum)
	}
	return page
}

// specOf is the stored client as a spec for its form.
func specOf(c storage.Client) admin.ClientSpec {
	return admin.ClientSpec{ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		GrantTypes: c.GrantTypes, Scopes: c.Scopes, Public: c.Public, FirstParty: c.FirstParty, MinACR: c.MinACR,
		AccessTokenFormat: c.AccessTokenFormat}
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// readForm writes the posted form into spec (the fields the form has).
func readForm(r *http.Request, spec *admin.ClientSpec) {
	f := r.PostForm
	spec.Name = f.Get("name")
	spec.RedirectURIs, spec.PostLogoutRedirectURIs = lines(f.Get("redirect_uris")), lines(f.Get("post_logout_redirect_uris"))
	spec.GrantTypes, spec.Scopes = f["grant_types"], strings.Fields(f.Get("scopes"))
	spec.MinACR, spec.AccessTokenFormat, spec.FirstParty = f.Get("min_acr"), f.Get("access_token_format"), f.Get("first_party") == "yes"
}

// NewClient is the form of a new client.
func (h *Handlers) NewClient(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if _, err := h.Service.Clients(r.Context(), p); err != nil {
		return failure(err)
	}
	page := h.clientPage(r, p, user.Email, admin.ClientSpec{GrantTypes: []string{"authorization_code", "refresh_token"}, AccessTokenFormat: "opaque"}, "", true)
	return h.Render(w, http.StatusOK, func() error { return h.Console.Client(w, page) })
}

// CreateClient registers a client and shows its secret once.
func (h *Handlers) CreateClient(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	spec := admin.ClientSpec{ID: r.PostForm.Get("client_id"), Public: r.PostForm.Get("public") == "yes"}
	readForm(r, &spec)
	c, secret, err := h.Service.CreateClient(r.Context(), p, spec)
	if msgs, bad := refused(err); bad {
		page := h.clientPage(r, p, user.Email, spec, "", true)
		page.Errors = msgs
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.Client(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	if secret == "" {
		return h.done(w, r, "/clients/"+c.ID, "client-saved")
	}
	return h.showSecret(w, r, p, user.Email, c.ID, secret)
}

// showSecret shows a client's secret, once.
func (h *Handlers) showSecret(w http.ResponseWriter, r *http.Request, p admin.Principal, email, id, secret string) error {
	page := templates.AdminSecretPage{AdminPage: h.page(r, p, email, "clients"), ClientID: id, Secret: secret,
		ClientURL: h.Path(pathClients + "/" + id)}
	return h.Render(w, http.StatusOK, func() error { return h.Console.Secret(w, page) })
}

// Client is the form of a client.
func (h *Handlers) Client(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	c, err := h.Service.Client(r.Context(), p, mux.Vars(r)["id"])
	if err != nil {
		return failure(err)
	}
	page := h.clientPage(r, p, user.Email, specOf(c), c.LogoSum, false)
	return h.Render(w, http.StatusOK, func() error { return h.Console.Client(w, page) })
}

// UpdateClient saves a client's form.
func (h *Handlers) UpdateClient(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	id := mux.Vars(r)["id"]
	var posted admin.ClientSpec
	c, err := h.Service.UpdateClient(r.Context(), p, id, func(s *admin.ClientSpec) {
		readForm(r, s)
		posted = *s
	})
	if msgs, bad := refused(err); bad {
		stored, err := h.Service.Client(r.Context(), p, id) // for its logo
		if err != nil {
			return failure(err)
		}
		page := h.clientPage(r, p, user.Email, posted, stored.LogoSum, false)
		page.Errors = msgs
		return h.Render(w, http.StatusBadRequest, func() error { return h.Console.Client(w, page) })
	}
	if err != nil {
		return failure(err)
	}
	return h.done(w, r, "/clients/"+c.ID, "client-saved")
}

// RotateSecret gives a client a new secret and shows it once.
func (h *Handlers) RotateSecret(w http.ResponseWriter, r *http.Request) error {
	p, _, user, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	id := mux.Vars(r)["id"]
	secret, err := h.Service.RotateClientSecret(r.Context(), p, id)
	if err != nil {
		return failure(err)
	}
	return h.showSecret(w, r, p, user.Email, id, secret)
}

// DeleteClient deletes a client.
func (h *Handlers) DeleteClient(w http.ResponseWriter, r *http.Request) error {
	p, _, _, ok, err := h.admin(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "yes" {
		return flows.UserError(http.StatusBadRequest, "Not confirmed", "Tick the box to confirm the deletion.", nil)
	}
	if err := h.Service.DeleteClient(r.Context(), p, mux.Vars(r)["id"]); err != nil {
		return failure(err)
	}
	return h.done(w, r, "/clients", "client-deleted")
}
