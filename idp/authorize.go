package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// authorize is the /authorize dispatcher: fosite validates the request, the policy
// decides whether the SSO session satisfies it, and either a code is issued at once
// or the browser is sent into a login flow.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := p.checkRedirectURI(r); err != nil {
		return err
	}
	ar, err := p.oauth.NewAuthorizeRequest(ctx, r)
	if err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	areq, err := parseAuthRequest(ar.GetRequestForm())
	if err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	if err := checkPKCE(ar); err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	if hint := ar.GetRequestForm().Get("id_token_hint"); hint != "" {
		if areq.HintSubject, err = p.idTokenHintSubject(ctx, hint); err != nil {
			return p.authorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHint("The id_token_hint is not a valid ID token from this provider."))
		}
	}
	sess, user, ok, err := p.opt.Flows.CurrentSession(ctx, r)
	if err != nil {
		return err
	}
	var current *storage.Session
	if ok {
		current = &sess
	}
	now := p.opt.Now()
	decision, reason := flows.Decide(areq, current, now)
	p.auditDecision(ctx, r, ar.GetClient().GetID(), sess.UserID, decision, reason)
	switch decision {
	case flows.Unmet:
		return p.authorizeError(w, r, ar, errUnmetAuthentication)
	case flows.NeedLogin:
		if areq.PromptNone {
			return p.authorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("The user must sign in: "+reason+"."))
		}
		next, err := p.opt.Flows.StartFlow(ctx, w, r, flows.NewFlow{ClientID: ar.GetClient().GetID(), AuthorizeQuery: authorizeQuery(r)})
		if err != nil {
			return err
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	need, err := p.needsConsent(ctx, user.ID, ar)
	if err != nil {
		return err
	}
	if need {
		if areq.PromptNone {
			return p.authorizeError(w, r, ar, fosite.ErrConsentRequired.WithHint("The user has not allowed this application yet."))
		}
		next, err := p.opt.Flows.StartFlow(ctx, w, r, flows.NewFlow{
			ClientID: ar.GetClient().GetID(), AuthorizeQuery: authorizeQuery(r), UserID: user.ID, Proven: sess.Factors,
		})
		if err != nil {
			return err
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return p.issueCode(w, r, ar, sess, user, now)
}

// resume finishes a flow: the stored request is replayed through fosite once.
func (p *Provider) resume(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := p.opt.Flows.LoadFlow(ctx, r, r.URL.Query().Get("flow"))
	if err != nil {
		return err
	}
	switch f.State {
	case storage.FlowLogin:
		http.Redirect(w, r, p.Path(PathLogin)+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
		return nil
	case storage.FlowConsent:
		http.Redirect(w, r, p.Path(PathConsent)+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
		return nil
	case storage.FlowDone:
		return errFlowUsed
	}
	sess, user, ok, err := p.opt.Flows.CurrentSession(ctx, r)
	if err != nil {
		return err
	}
	if !ok || sess.UserID != f.UserID {
		return flows.UserError(http.StatusBadRequest, "Your sign-in was interrupted",
			"You were signed out while signing in. Go back to the app and start again.", nil)
	}
	replay, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Path(PathAuthorize)+"?"+f.AuthorizeQuery, nil)
	if err != nil {
		return err
	}
	ar, err := p.oauth.NewAuthorizeRequest(ctx, replay)
	if err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	if f.State == storage.FlowAuthenticated {
		need, err := p.needsConsent(ctx, user.ID, ar)
		if err != nil {
			return err
		}
		if need {
			f.State = storage.FlowConsent
			if err := p.opt.Flows.Advance(ctx, &f); err != nil {
				return err
			}
			http.Redirect(w, r, p.Path(PathConsent)+"?flow="+url.QueryEscape(f.ID), http.StatusSeeOther)
			return nil
		}
	}
	denied := f.State == storage.FlowDenied
	f.State = storage.FlowDone
	if err := p.opt.Flows.Advance(ctx, &f); err != nil {
		return err
	}
	if denied {
		return p.authorizeError(w, r, ar, fosite.ErrAccessDenied.WithHint("The user did not allow access."))
	}
	return p.issueCode(w, r, ar, sess, user, f.RequestedAt)
}

// checkRedirectURI insists on an exact, character-for-character match with a
// registered redirect URI. fosite alone would let a loopback URI differ in port and
// user information (RFC 8252 leniency), which we do not want.
func (p *Provider) checkRedirectURI(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return flows.UserError(http.StatusBadRequest, "This sign-in request is not valid", "The request could not be read.", err)
	}
	id, uri := r.Form.Get("client_id"), r.Form.Get("redirect_uri")
	if id == "" || uri == "" {
		return nil // fosite reports a missing client, or uses the registered URI
	}
	c, err := p.opt.Clients.GetClient(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // fosite reports the unknown client
	}
	if err != nil {
		return err
	}
	if !slices.Contains(c.RedirectURIs, uri) {
		return flows.UserError(http.StatusBadRequest, "This sign-in request is not valid",
			"The application asked Lockstep to send you to an address it has not registered (redirect_uri mismatch). Please let the application's owner know.",
			fmt.Errorf("redirect_uri %q not registered for client %s", uri, id))
	}
	return nil
}

// needsConsent asks the login journey whether the user must allow the client first.
func (p *Provider) needsConsent(ctx context.Context, userID string, ar fosite.AuthorizeRequester) (bool, error) {
	cl, err := p.opt.Clients.GetClient(ctx, ar.GetClient().GetID())
	if err != nil {
		return false, err
	}
	return p.opt.Flows.NeedsConsent(ctx, userID, cl, ar.GetRequestedScopes(), hasPrompt(ar, "consent"))
}

var errFlowUsed = flows.UserError(http.StatusBadRequest, "This sign-in was already completed",
	"Each sign-in link works once. Go back to the app and start again.", nil)

// errUnmetAuthentication is OIDC's unmet_authentication_requirements.
var errUnmetAuthentication = &fosite.RFC6749Error{
	ErrorField:       "unmet_authentication_requirements",
	DescriptionField: "The requested authentication requirements cannot be met for this user.",
	CodeField:        http.StatusBadRequest,
}

// issueCode writes the authorization response for an authenticated session.
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, sess storage.Session, user storage.User, requestedAt time.Time) error {
	ctx := r.Context()
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	fs := newSession()
	fs.Subject = user.ID
	fs.Username = user.Email
	c := fs.Claims
	c.Subject = user.ID
	c.Issuer = p.opt.Issuer
	c.AuthTime = sess.AuthTime.UTC().Truncate(time.Second)
	// fosite checks prompt and max_age against RequestedAt at second precision.
	c.RequestedAt = requestedAt.UTC().Truncate(time.Second)
	c.AuthenticationContextClassReference = flows.ACR(sess.Factors)
	c.AuthenticationMethodsReferences = flows.AMR(sess.Factors)
	c.Extra["sid"] = sess.ID
	for k, v := range profileClaims(user, ar.GetGrantedScopes()) {
		c.Extra[k] = v
	}
	resp, err := p.oauth.NewAuthorizeResponse(ctx, ar, fs)
	if err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	p.audit(ctx, r, "authorize.code", user.ID, ar.GetClient().GetID(),
		map[string]string{"acr": c.AuthenticationContextClassReference, "amr": strings.Join(c.AuthenticationMethodsReferences, " ")})
	p.oauth.WriteAuthorizeResponse(ctx, &issWriter{ResponseWriter: w, iss: p.opt.Issuer}, ar, resp)
	return nil
}

// authorizeError sends an error to the client's redirect URI when that URI is
// verified, and shows an error page otherwise: an unverified redirect_uri is never
// followed.
func (p *Provider) authorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) error {
	if ar == nil || !ar.IsRedirectURIValid() {
		rfc := fosite.ErrorToRFC6749Error(err)
		return flows.UserError(http.StatusBadRequest, "This sign-in request is not valid",
			"The application sent a sign-in request that Lockstep cannot accept ("+rfc.ErrorField+"). Please let the application's owner know.", err)
	}
	p.opt.Log.InfoContext(r.Context(), "authorize error", "client_id", ar.GetClient().GetID(), "error", err)
	p.oauth.WriteAuthorizeError(r.Context(), &issWriter{ResponseWriter: w, iss: p.opt.Issuer}, ar, err)
	return nil
}

// parseAuthRequest reads and validates the parameters fosite leaves to us.
func parseAuthRequest(form url.Values) (flows.AuthRequest, error) {
	var areq flows.AuthRequest
	prompts := strings.Fields(form.Get("prompt"))
	for _, pr := range prompts {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, pr) {
			return areq, fosite.ErrInvalidRequest.WithHintf("Unknown prompt value %q.", pr)
		}
	}
	areq.PromptNone = slices.Contains(prompts, "none")
	areq.PromptLogin = slices.Contains(prompts, "login")
	if areq.PromptNone && len(prompts) > 1 {
		return areq, fosite.ErrInvalidRequest.WithHint("prompt=none cannot be combined with other values.")
	}
	if form.Has("max_age") {
		n, err := strconv.ParseUint(form.Get("max_age"), 10, 31)
		if err != nil {
			return areq, fosite.ErrInvalidRequest.WithHint("max_age must be a non-negative whole number of seconds.")
		}
		d := time.Duration(n) * time.Second
		areq.MaxAge = &d
	}
	if rm := form.Get("response_mode"); rm != "" && rm != "query" {
		return areq, fosite.ErrInvalidRequest.WithHint("Only response_mode=query is supported.")
	}
	if c := form.Get("claims"); c != "" {
		essential, err := essentialACR(c)
		if err != nil {
			return areq, err
		}
		areq.EssentialACR = essential
	}
	return areq, nil
}

// essentialACR extracts the acr values of an essential acr claim request
// (OIDC Core 5.5.1.1) from the claims parameter.
func essentialACR(claims string) ([]string, error) {
	type claimReq struct {
		Essential bool     `json:"essential"`
		Value     string   `json:"value"`
		Values    []string `json:"values"`
	}
	var parsed map[string]map[string]*claimReq
	if err := json.Unmarshal([]byte(claims), &parsed); err != nil {
		return nil, fosite.ErrInvalidRequest.WithHint("The claims parameter is not valid JSON.")
	}
	var out []string
	for _, member := range []string{"id_token", "userinfo"} {
		acr := parsed[member]["acr"]
		if acr == nil || !acr.Essential {
			continue
		}
		if acr.Value != "" {
			out = append(out, acr.Value)
		}
		out = append(out, acr.Values...)
	}
	return out, nil
}

// checkPKCE refuses a request that fosite would only refuse after the user signed
// in: a public client without a challenge, or any method but S256.
func checkPKCE(ar fosite.AuthorizeRequester) error {
	form := ar.GetRequestForm()
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && ar.GetClient().IsPublic():
		return fosite.ErrInvalidRequest.WithHint("Public clients must use PKCE with code_challenge_method=S256.")
	case challenge != "" && method != "S256":
		return fosite.ErrInvalidRequest.WithHint("Only code_challenge_method=S256 is supported.")
	case challenge == "" && method != "":
		return fosite.ErrInvalidRequest.WithHint("code_challenge_method was sent without a code_challenge.")
	}
	return nil
}

func hasPrompt(ar fosite.AuthorizeRequester, v string) bool {
	return slices.Contains(strings.Fields(ar.GetRequestForm().Get("prompt")), v)
}

// authorizeQuery is the request's parameters as a query string, for GET and POST.
func authorizeQuery(r *http.Request) string {
	if r.Method == http.MethodPost {
		return r.PostForm.Encode()
	}
	return r.URL.RawQuery
}

// idTokenHintSubject verifies an ID token we issued (expired is fine) and returns its sub.
func (p *Provider) idTokenHintSubject(ctx context.Context, hint string) (string, error) {
	claims, err := p.verifyIDToken(ctx, hint)
	if err != nil {
		return "", err
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return "", errors.New("id_token_hint has no sub")
	}
	return sub, nil
}

func (p *Provider) auditDecision(ctx context.Context, r *http.Request, clientID, userID string, d flows.Decision, reason string) {
	names := map[flows.Decision]string{flows.Satisfied: "satisfied", flows.NeedLogin: "login", flows.Unmet: "unmet"}
	p.audit(ctx, r, "policy.decision", userID, clientID, map[string]string{"decision": names[d], "reason": reason})
}

// audit appends to the audit log; a failure is logged, not shown to the user.
func (p *Provider) audit(ctx context.Context, r *http.Request, typ, userID, clientID string, detail map[string]string) {
	err := p.opt.Store.AppendAudit(ctx, storage.AuditEvent{
		ID: randomToken(16), At: p.opt.Now().UTC(), Type: typ, UserID: userID, ClientID: clientID,
		IP: p.opt.Flows.ClientIP(r), Detail: detail,
	})
	if err != nil {
		p.opt.Log.ErrorContext(ctx, "audit append failed", "type", typ, "error", err)
	}
}

// issWriter adds the RFC 9207 iss parameter to every authorization response
// redirect fosite writes, success or error.
type issWriter struct {
	http.ResponseWriter
	iss string
}

func (w *issWriter) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); loc != "" && code >= 300 && code < 400 {
		if u, err := url.Parse(loc); err == nil {
			q := u.Query()
			q.Set("iss", w.iss)
			u.RawQuery = q.Encode()
			w.Header().Set("Location", u.String())
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func profileClaims(u storage.User, scopes fosite.Arguments) map[string]any {
	out := map[string]any{}
	if scopes.Has("email") {
		out["email"] = u.Email
	}
	if scopes.Has("profile") {
		if name := strings.TrimSpace(u.GivenName + " " + u.FamilyName); name != "" {
			out["name"] = name
		}
		if u.GivenName != "" {
			out["given_name"] = u.GivenName
		}
		if u.FamilyName != "" {
			out["family_name"] = u.FamilyName
		}
	}
	return out
}
