package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/storage"
)

// Headings and messages are keys of the message catalogues (package i18n).
var (
	errFlowGone    = UserError(http.StatusBadRequest, "flow.gone_heading", "flow.gone_message", nil)
	errFlowForeign = UserError(http.StatusForbidden, "flow.foreign_heading", "flow.foreign_message", nil)
)

// NewFlow is what the provider (or the account page) knows when it starts a flow.
type NewFlow struct {
	Kind           Kind
	ClientID       string
	AuthorizeQuery string
	// UserID is the SSO session's user when the session counts for this request
	// ("" when the password must name the user).
	UserID string
	// State is where the flow starts (the table in state.go lists where each kind may).
	State State
	// ReturnTo is, for a re-verification (KindAccount), the account page to come
	// back to when it is done (see AccountReturn).
	ReturnTo string
}

// StartFlow stores a flow bound to this browser and returns it; ShowStep or
// StepURL takes the browser on.
func (s *Core) StartFlow(ctx context.Context, w http.ResponseWriter, r *http.Request, nf NewFlow) (Flow, error) {
	if err := startState(nf.Kind, nf.State); err != nil {
		return Flow{}, err
	}
	bid := s.Cookies.BrowserID(r)
	if bid == "" {
		bid = newToken()
		if err := s.Cookies.set(w, r, keyBrowserID, bid); err != nil {
			return Flow{}, fmt.Errorf("write browser cookie: %w", err)
		}
	}
	now := s.Now().UTC()
	f := Flow{storage.Flow{
		ID:             newID(),
		BrowserHash:    HashToken(bid),
		Kind:           string(nf.Kind),
		ClientID:       nf.ClientID,
		AuthorizeQuery: nf.AuthorizeQuery,
		RequestedAt:    now,
		State:          string(nf.State),
		UserID:         nf.UserID,
		ReturnTo:       nf.ReturnTo,
		ExpiresAt:      now.Add(s.FlowLifetime),
	}}
	// The decision that started the flow is written with it: one commit.
	err := WriteWithAudit(ctx, func(audit []storage.AuditEvent) error {
		return s.Store.CreateFlowAudited(ctx, f.Flow, audit)
	})
	if err != nil {
		return Flow{}, fmt.Errorf("create flow: %w", err)
	}
	f.speak(ctx)
	return f, nil
}

// speak makes the rest of the request speak the language the client asked for
// in the flow's ui_locales (OIDC Core 3.1.2.1), as every page of the flow does.
func (f Flow) speak(ctx context.Context) {
	if q, err := url.ParseQuery(f.AuthorizeQuery); err == nil {
		i18n.SetUILocales(ctx, q.Get("ui_locales"))
	}
}

// ShowStep answers the request that started f with its first step's page itself
// (for a sign-in that starts with the password: the form, as Keycloak does), so
// the browser need not follow a redirect to it: one round trip and one read of
// the flow less per sign-in.
func (s *Core) ShowStep(w http.ResponseWriter, r *http.Request, f Flow) (Result, error) {
	if rt, ok := s.pages[f.Current()]; ok && rt.Show != nil {
		return rt.Show(w, r, f)
	}
	return RedirectTo(s.StepURL(f)), nil
}

// LoadFlow returns the live flow with that id if it belongs to this browser.
func (s *Core) LoadFlow(ctx context.Context, r *http.Request, id string) (Flow, error) {
	if id == "" {
		return Flow{}, errFlowGone
	}
	rec, err := s.Store.GetFlow(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Flow{}, errFlowGone
	}
	if err != nil {
		return Flow{}, fmt.Errorf("load flow: %w", err)
	}
	return s.liveFlow(ctx, r, rec)
}

// liveFlow returns rec if it belongs to this browser and has not expired.
func (s *Core) liveFlow(ctx context.Context, r *http.Request, rec storage.Flow) (Flow, error) {
	bid := s.Cookies.BrowserID(r)
	if bid == "" || HashToken(bid) != rec.BrowserHash {
		return Flow{}, errFlowForeign
	}
	if !s.Now().Before(rec.ExpiresAt) {
		return Flow{}, errFlowGone
	}
	f := Flow{rec}
	f.speak(ctx)
	return f, nil
}

// InBrowser reports whether r comes from the browser that started f (a page
// that is not a step of f, such as an emailed link, may be opened anywhere).
func (s *Core) InBrowser(r *http.Request, f Flow) bool {
	bid := s.Cookies.BrowserID(r)
	return bid != "" && HashToken(bid) == f.BrowserHash
}

// Advance stores f at its next version, with the audit events and throttle
// resets of the request so far in the same commit; a concurrent or replayed step
// loses with a clear page.
func (s *Core) Advance(ctx context.Context, f *Flow) error {
	err := CommitSignIn(ctx, s.Store, storage.SignIn{Flow: f.Flow})
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
	return UserError(http.StatusConflict, "flow.done_heading", "flow.done_message", cause)
}

// ParseForm reads a posted form; one that cannot be read is the user's error.
func ParseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return UserError(http.StatusBadRequest, "error.bad_request", "flow.bad_form", err)
	}
	return nil
}

// FlowAt loads the flow a step's page or form names (the query's or the posted
// "flow"). ok is false when the flow is not in state any more (a replayed or
// out-of-order request): res then sends the browser on to where the flow stands.
func (s *Core) FlowAt(r *http.Request, state State) (f Flow, res Result, ok bool, err error) {
	id, err := stepFlowID(r)
	if err != nil {
		return f, res, false, err
	}
	f, err = s.LoadFlow(r.Context(), r, id)
	return s.flowIn(f, state, err)
}

// StepAt is FlowAt that reads in the same round trip what the step needs about
// the flow's user (q, LookupLogin's question: FlowID and Now are set here, and
// the user is the flow's unless q names one), as reads.
func (s *Core) StepAt(r *http.Request, state State, q storage.LoginLookup) (f Flow, reads *Reads, res Result, ok bool, err error) {
	f, l, err := s.lookUpStep(r, q)
	if f, res, ok, err = s.flowIn(f, state, err); !ok {
		return f, nil, res, false, err
	}
	return f, &Reads{Login: l, ClientID: f.ClientID}, res, true, nil
}

// lookUpStep loads the live flow a step names, as LoadFlow does, with q's answer.
func (s *Core) lookUpStep(r *http.Request, q storage.LoginLookup) (Flow, storage.Login, error) {
	id, err := stepFlowID(r)
	if err != nil {
		return Flow{}, storage.Login{}, err
	}
	if id == "" {
		return Flow{}, storage.Login{}, errFlowGone
	}
	q.FlowID, q.Now = id, s.Now()
	l, err := s.Store.LookupLogin(r.Context(), q)
	if err != nil {
		return Flow{}, storage.Login{}, fmt.Errorf("load flow and look up its user: %w", err)
	}
	if l.Flow == nil {
		return Flow{}, storage.Login{}, errFlowGone
	}
	rec := *l.Flow
	l.Flow = nil // it travels as the Flow
	f, err := s.liveFlow(r.Context(), r, rec)
	return f, l, err
}

// stepFlowID is the id of the flow a step's page or form names.
func stepFlowID(r *http.Request) (string, error) {
	if r.Method == http.MethodPost {
		if err := ParseForm(r); err != nil {
			return "", err
		}
		return r.PostForm.Get("flow"), nil
	}
	return r.URL.Query().Get("flow"), nil
}

// flowIn is FlowAt's answer for the flow a step loaded (or failed to: err).
func (s *Core) flowIn(f Flow, state State, err error) (Flow, Result, bool, error) {
	if err != nil {
		return f, Result{}, false, err
	}
	if !f.Is(state) {
		return f, RedirectTo(s.StepURL(f)), false, nil
	}
	return f, Result{}, true, nil
}

// StepURL is where a flow goes on, for its state.
func (s *Core) StepURL(f Flow) string {
	return s.pathFor(f.Current()) + "?flow=" + url.QueryEscape(f.ID)
}

// ClientName is the client's name as the pages show it (ClientShown).
func (s *Core) ClientName(ctx context.Context, id string) string {
	name, _ := s.ClientShown(ctx, id)
	return name
}
