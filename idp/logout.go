package idp

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

var errBadLogout = flows.UserError(http.StatusBadRequest, "This sign-out request is not valid",
	"The application asked to return to an address it has not registered. You are still signed in.", nil)

// logoutRequest is a validated RP-initiated logout request.
type logoutRequest struct {
	clientID string
	redirect string // post_logout_redirect_uri, verified; "" when none
	state    string
	hidden   map[string]string
}

// parseLogout validates an end_session request (OIDC RP-Initiated Logout 1.0): a
// post_logout_redirect_uri is followed only when it exactly matches one the client
// registered, the client being named by a verified id_token_hint or client_id.
func (p *Provider) parseLogout(r *http.Request, form url.Values) (logoutRequest, error) {
	lr := logoutRequest{clientID: form.Get("client_id"), state: form.Get("state"), hidden: map[string]string{}}
	for _, k := range []string{"id_token_hint", "post_logout_redirect_uri", "state", "client_id"} {
		if v := form.Get(k); v != "" {
			lr.hidden[k] = v
		}
	}
	if hint := form.Get("id_token_hint"); hint != "" {
		claims, err := p.verifyIDToken(r.Context(), hint)
		if err != nil {
			return lr, flows.UserError(http.StatusBadRequest, "This sign-out request is not valid",
				"The application sent a sign-out request Lockstep cannot verify.", err)
		}
		aud := audience(claims)
		if lr.clientID != "" && !slices.Contains(aud, lr.clientID) {
			return lr, errBadLogout
		}
		if lr.clientID == "" && len(aud) > 0 {
			lr.clientID = aud[0]
		}
	}
	target := form.Get("post_logout_redirect_uri")
	if target == "" {
		return lr, nil
	}
	if lr.clientID == "" {
		return lr, errBadLogout
	}
	cl, err := p.opt.Store.GetClient(r.Context(), lr.clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return lr, errBadLogout
	}
	if err != nil {
		return lr, err
	}
	if !slices.Contains(cl.PostLogoutRedirectURIs, target) {
		return lr, errBadLogout
	}
	lr.redirect = target
	return lr, nil
}

func audience(claims map[string]any) []string {
	switch a := claims["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, v := range a {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// logoutPage asks the user to confirm; the sign-out itself is a same-origin POST so
// a third-party page cannot sign people out.
func (p *Provider) logoutPage(w http.ResponseWriter, r *http.Request) error {
	lr, err := p.parseLogout(r, r.URL.Query())
	if err != nil {
		return err
	}
	name, cancel := "", p.Path("/")
	if lr.clientID != "" {
		if cl, err := p.opt.Store.GetClient(r.Context(), lr.clientID); err == nil {
			name = cl.Name
			if back := cameFrom(r, cl); back != "" {
				cancel = back
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return p.opt.Pages.Logout(w, templates.LogoutPage{
		Page:       p.page(r, "logout.title"),
		Action:     p.Path(PathEndSession),
		ClientName: name,
		Hidden:     lr.hidden,
		CancelURL:  cancel,
	})
}

// cameFrom is the page of the client's the browser says it came from (its
// Referer), when that page is on the origin of one of the client's registered
// redirect or post-logout URIs; "" otherwise. "Cancel" on the logout page means
// "stay signed in": it goes back there, never to the post_logout_redirect_uri
// (where the app expects a user who signed out) and never to a site the client
// did not register.
func cameFrom(r *http.Request, cl storage.Client) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || (ref.Scheme != "https" && ref.Scheme != "http") || ref.Host == "" || ref.User != nil {
		return ""
	}
	for _, registered := range append(slices.Clone(cl.RedirectURIs), cl.PostLogoutRedirectURIs...) {
		u, err := url.Parse(registered)
		if err == nil && u.Scheme == ref.Scheme && strings.EqualFold(u.Host, ref.Host) {
			ref.Fragment = ""
			return ref.String()
		}
	}
	return ""
}

// logoutSubmit ends the SSO session on the server and returns to the client.
func (p *Provider) logoutSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return flows.UserError(http.StatusBadRequest, "Bad request", "The form could not be read.", err)
	}
	lr, err := p.parseLogout(r, r.PostForm)
	if err != nil {
		return err
	}
	if _, _, err := p.opt.Flows.EndSession(r.Context(), w, r); err != nil {
		return err
	}
	if lr.redirect != "" {
		u, _ := url.Parse(lr.redirect)
		if lr.state != "" {
			q := u.Query()
			q.Set("state", lr.state)
			u.RawQuery = q.Encode()
		}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return p.opt.Pages.LoggedOut(w, templates.LoggedOutPage{Page: p.page(r, "logout.done_title")})
}

func (p *Provider) page(r *http.Request, title string) templates.Page {
	return p.opt.Pages.Page(r.Context(), title)
}
