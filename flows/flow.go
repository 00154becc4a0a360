package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/storage"
)

var (
	errFlowGone = UserError(http.StatusBadRequest, "This sign-in link is no longer valid",
		"It has expired or was already used. Go back to the app and start signing in again.", nil)
	errFlowForeign = UserError(http.StatusForbidden, "This sign-in link belongs to another browser",
		"For your security a sign-in can only be finished in the browser that started it. Go back to the app and start again here.", nil)
)

// NewFlow is what the provider knows when it hands a request to the login journey.
type NewFlow struct {
	ClientID       string
	AuthorizeQuery string
	// UserID is the SSO session's user when the session counts for this request
	// ("" when the password must name the user).
	UserID string
	// State is where the flow starts: FlowLogin, FlowSecondFactor, FlowEnrol, or
	// FlowAuthenticated when only consent may be missing.
	State storage.FlowState
}

// StartFlow stores a flow bound to this browser and returns it; ShowStep or
// StepURL takes the browser on.
func (s *Service) StartFlow(ctx context.Context, w http.ResponseWriter, r *http.Request, nf NewFlow) (storage.Flow, error) {
	bid := s.Cookies.BrowserID(r)
	if bid == "" {
		bid = newToken()
		if err := s.Cookies.set(w, r, keyBrowserID, bid); err != nil {
			return storage.Flow{}, fmt.Errorf("write browser cookie: %w", err)
		}
	}
	now := s.Now().UTC()
	f := storage.Flow{
		ID:             newID(),
		BrowserHash:    hashToken(bid),
		ClientID:       nf.ClientID,
		AuthorizeQuery: nf.AuthorizeQuery,
		RequestedAt:    now,
		State:          nf.State,
		UserID:         nf.UserID,
		ExpiresAt:      now.Add(s.FlowLifetime),
	}
	// The decision that started the flow is written with it: one commit.
	err := WriteWithAudit(ctx, s.Store, func(audit []storage.AuditEvent) error {
		return s.Store.CreateFlowAudited(ctx, f, audit)
	})
	if err != nil {
		return storage.Flow{}, fmt.Errorf("create flow: %w", err)
	}
	return f, nil
}

// ShowStep answers the request that started f with its first step: the password
// form itself, as Keycloak does, so the browser need not follow a redirect to it
// (one round trip and one read of the flow less per sign-in); any other step with
// a redirect to its page.
func (s *Service) ShowStep(w http.ResponseWriter, r *http.Request, f storage.Flow) error {
	if f.State == storage.FlowLogin {
		return s.showLogin(w, r, f)
	}
	s.redirectToNext(w, r, f)
	return nil
}

// LoadFlow returns the live flow with that id if it belongs to this browser.
func (s *Service) LoadFlow(ctx context.Context, r *http.Request, id string) (storage.Flow, error) {
	if id == "" {
		return storage.Flow{}, errFlowGone
	}
	f, err := s.Store.GetFlow(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Flow{}, errFlowGone
	}
	if err != nil {
		return storage.Flow{}, fmt.Errorf("load flow: %w", err)
	}
	bid := s.Cookies.BrowserID(r)
	if bid == "" || hashToken(bid) != f.BrowserHash {
		return storage.Flow{}, errFlowForeign
	}
	if !s.Now().Before(f.ExpiresAt) {
		return storage.Flow{}, errFlowGone
	}
	return f, nil
}

// Advance stores f at its next version, with the audit events of the request so
// far in the same commit; a concurrent or replayed step loses with a clear page.
func (s *Service) Advance(ctx context.Context, f *storage.Flow) error {
	err := WriteWithAudit(ctx, s.Store, func(audit []storage.AuditEvent) error {
		return s.Store.CommitSignIn(ctx, storage.SignIn{Flow: *f, Audit: audit})
	})
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return StepDone(err)
	}
	if err != nil {
		return fmt.Errorf("update flow: %w", err)
	}
	f.Version++
	return nil
}

// StepDone is the page for a flow update that lost to another request (a double
// submit, a second tab, a replay).
func StepDone(cause error) error {
	return UserError(http.StatusConflict, "This step was already completed",
		"This sign-in moved on in another tab or request. Go back to the app and start again.", cause)
}

// parseForm reads a posted form; one that cannot be read is the user's error.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return UserError(http.StatusBadRequest, "Bad request", "The form could not be read.", err)
	}
	return nil
}

// postedFlow reads a step's form and its flow. ok is false when the flow is not in
// state any more (a replayed or out-of-order post): the browser was then sent on to
// where the flow stands.
func (s *Service) postedFlow(w http.ResponseWriter, r *http.Request, state storage.FlowState) (f storage.Flow, ok bool, err error) {
	if err := parseForm(r); err != nil {
		return f, false, err
	}
	f, err = s.LoadFlow(r.Context(), r, r.PostForm.Get("flow"))
	if err != nil {
		return f, false, err
	}
	if f.State != state {
		s.redirectToNext(w, r, f)
		return f, false, nil
	}
	return f, true, nil
}

// pathFor is the page where a flow in that state goes on.
func (s *Service) pathFor(state storage.FlowState) string {
	switch state {
	case storage.FlowLogin:
		return s.Paths.Login
	case storage.FlowSecondFactor:
		return s.Paths.Challenge
	case storage.FlowEnrol:
		return s.Paths.Enrol
	case storage.FlowRecoveryCodes:
		return s.Paths.RecoveryCodes
	case storage.FlowConsent:
		return s.Paths.Consent
	case storage.FlowConfirmDevice, storage.FlowDeviceConfirmed:
		return s.Paths.ConfirmDevice
	}
	return s.Paths.Resume
}

// StepURL is where a flow goes on, for its state.
func (s *Service) StepURL(f storage.Flow) string {
	return s.pathFor(f.State) + "?flow=" + url.QueryEscape(f.ID)
}

// redirectToNext sends the browser to the page for the flow's state.
func (s *Service) redirectToNext(w http.ResponseWriter, r *http.Request, f storage.Flow) {
	http.Redirect(w, r, s.StepURL(f), http.StatusSeeOther)
}

func (s *Service) clientName(ctx context.Context, id string) string {
	c, err := s.Clients.GetClient(ctx, id)
	if err != nil || c.Name == "" {
		return id
	}
	return c.Name
}
