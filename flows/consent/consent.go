package consent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// describedScopes are the scopes the catalogues describe in plain words
// (consent.scope_<name>); any other is "Access to “name”".
var describedScopes = []string{"openid", "profile", "email", "phone", "offline_access"}

// NeedsConsent reports whether the user must be asked before client gets scopes.
// prompt=consent always asks; first-party clients otherwise never do. reads, when
// they are the user's and hold the consent for this client, spare a round trip.
func (s *Handlers) NeedsConsent(ctx context.Context, userID string, client storage.Client, scopes []string, promptConsent bool, reads *flows.Reads) (bool, error) {
	if promptConsent {
		return true, nil
	}
	if client.FirstParty {
		return false, nil
	}
	var (
		c   storage.Consent
		err error
	)
	if rd := reads.About(userID); rd != nil && rd.ClientID == client.ID {
		if rd.Login.Consent == nil {
			return true, nil
		}
		c = *rd.Login.Consent
	} else if c, err = s.Store.GetConsent(ctx, userID, client.ID); errors.Is(err, storage.ErrNotFound) {
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("load consent: %w", err)
	}
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			return true, nil
		}
	}
	return false, nil
}

func requestedScopes(f flows.Flow) []string {
	q, _ := url.ParseQuery(f.AuthorizeQuery)
	return strings.Fields(q.Get("scope"))
}

// ConsentPage asks the user to allow the client its scopes.
func (s *Handlers) ConsentPage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateConsent)
	if !ok {
		return res, err
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return flows.Result{}, fmt.Errorf("load consenting user: %w", err)
	}
	var scopes []templates.Scope
	for _, sc := range requestedScopes(f) {
		words := "consent.scope_other"
		if slices.Contains(describedScopes, sc) {
			words = "consent.scope_" + sc
		}
		scopes = append(scopes, templates.Scope{Name: sc, Description: words})
	}
	clientName, clientLogo := s.ClientShown(ctx, f.ClientID)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return flows.Result{}, s.Pages.Consent(w, templates.ConsentPage{
		Page:       s.Page(ctx, "consent.title"),
		Action:     s.Path(PathConsent),
		FlowID:     f.ID,
		ClientName: clientName,
		ClientLogo: clientLogo,
		UserEmail:  user.Email,
		Scopes:     scopes,
	})
}

// ConsentSubmit records the user's decision and hands the flow back to the provider.
func (s *Handlers) ConsentSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateConsent)
	if !ok {
		return res, err
	}
	switch r.PostForm.Get("decision") {
	case "allow":
		scopes := requestedScopes(f)
		if old, err := s.Store.GetConsent(ctx, f.UserID, f.ClientID); err == nil {
			for _, sc := range old.Scopes {
				if !slices.Contains(scopes, sc) {
					scopes = append(scopes, sc)
				}
			}
		}
		if err := f.MoveTo(flows.StateReady); err != nil {
			return flows.Result{}, err
		}
		if err := s.Advance(ctx, &f); err != nil {
			return flows.Result{}, err
		}
		if err := s.Store.SaveConsent(ctx, storage.Consent{UserID: f.UserID, ClientID: f.ClientID, Scopes: scopes, GrantedAt: s.Now().UTC()}); err != nil {
			return flows.Result{}, fmt.Errorf("save consent: %w", err)
		}
		s.Audit(ctx, r, "consent.granted", f.UserID, f.ClientID, map[string]string{"scopes": strings.Join(scopes, " ")})
	case "deny":
		if err := f.MoveTo(flows.StateDenied); err != nil {
			return flows.Result{}, err
		}
		if err := s.Advance(ctx, &f); err != nil {
			return flows.Result{}, err
		}
		s.Audit(ctx, r, "consent.denied", f.UserID, f.ClientID, nil)
	default:
		return flows.Result{}, flows.UserError(http.StatusBadRequest, "error.bad_request", "consent.choose", nil)
	}
	return flows.RedirectTo(s.StepURL(f)), nil
}
