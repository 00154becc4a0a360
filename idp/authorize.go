package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// authorize is the /authorize dispatcher: fosite validates the request, the policy
// (flows.Service.Next) decides whether the SSO session satisfies it, and either
// the sign-in ends at once (complete) or the browser is sent into a flow that
// proves what is missing.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := p.checkRedirectURI(r); err != nil {
		return err
	}
	ar, err := p.oauth.NewAuthorizeRequest(ctx, r)
	if err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	areq, err := flows.ParseAuthRequest(ar.GetRequestForm())
	if err != nil {
		return p.authorizeError(w, r, ar, requestError(err))
	}
	if err := checkPKCE(ar); err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	if hint := ar.GetRequestForm().Get("id_token_hint"); hint != "" {
		if areq.HintSubject, err = p.idTokenHintSubject(ctx, hint); err != nil {
			return p.authorizeError(w, r, ar, fosite.ErrInvalidRequest.WithHint("The id_token_hint is not a valid ID token from this provider."))
		}
	}
	client, err := p.opt.Clients.GetClient(ctx, ar.GetClient().GetID())
	if err != nil {
		return err
	}
	fl := p.opt.Flows
	sess, user, ok, err := fl.CurrentSession(ctx, r)
	if err != nil {
		return err
	}
	// The session counts unless there is none or the id_token_hint names someone else.
	a := flows.Attempt{Kind: flows.KindAuthorize, Request: areq, Client: client, RequestedAt: p.opt.Now()}
	if ok && (areq.HintSubject == "" || areq.HintSubject == sess.UserID) {
		a.Session, a.UserID, a.User = &sess, user.ID, &user
	}
	ev, err := fl.Next(ctx, r, a)
	if err != nil {
		return err
	}
	d := ev.Decision
	fl.AuditDecision(ctx, r, a.UserID, client.ID, d)
	switch d.Outcome {
	case flows.Refuse:
		return p.authorizeError(w, r, ar, refusal(d))
	case flows.Prove, flows.Enrol, flows.Offer:
		f, err := fl.StartFlow(ctx, w, r, flows.NewFlow{Kind: flows.KindAuthorize,
			ClientID: client.ID, AuthorizeQuery: authorizeQuery(r), UserID: a.UserID, State: ev.Next})
		if err != nil {
			return err
		}
		res, err := fl.ShowStep(w, r, f)
		if err != nil {
			return err
		}
		return p.answer(w, r, res)
	}
	return p.complete(w, r, ar, flows.Finished{User: user, SessionID: sess.ID, Proofs: d.Proofs, RequestedAt: a.RequestedAt})
}

// resume is where a flow comes back to the provider after consent: the policy is
// asked once more (a flow cannot skip a step by jumping here) before it ends.
func (p *Provider) resume(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fl := p.opt.Flows
	f, err := fl.LoadFlow(ctx, r, r.URL.Query().Get("flow"))
	if err != nil {
		return err
	}
	switch f.Current() {
	case flows.StateDone:
		return errFlowUsed
	case flows.StateDenied:
		return p.endFlow(w, r, f, nil, fosite.ErrAccessDenied.WithHint("The user did not allow access."))
	case flows.StateAuthenticated, flows.StateReady:
	default:
		// A step is still open: go there.
		http.Redirect(w, r, fl.StepURL(f), http.StatusSeeOther)
		return nil
	}
	res, err := fl.Resume(ctx, w, r, f)
	var re *flows.RequestError
	if errors.As(err, &re) {
		return p.endFlow(w, r, f, nil, requestError(err))
	}
	if err != nil {
		return err
	}
	return p.answer(w, r, res)
}

// step serves a sign-in step's page or form: the step answers with a Result,
// which answer turns into the response.
func (p *Provider) step(h flows.StepFunc) flows.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		res, err := h(w, r)
		if err != nil {
			return err
		}
		return p.answer(w, r, res)
	}
}

// answer writes a step's Result: a redirect, or the end of the sign-in (complete
// for a finished one, an error for the client for a refused one). A page the
// step rendered itself needs nothing more.
func (p *Provider) answer(w http.ResponseWriter, r *http.Request, res flows.Result) error {
	switch {
	case res.Finished != nil:
		return p.finish(w, r, *res.Finished)
	case res.Refused != nil:
		return p.endFlow(w, r, res.Refused.Flow, nil, refusal(res.Refused.Decision))
	case res.Redirect != "":
		http.Redirect(w, r, res.Redirect, http.StatusSeeOther)
	}
	return nil
}

// replay checks a flow's stored authorization request with fosite again.
func (p *Provider) replay(ctx context.Context, f flows.Flow) (fosite.AuthorizeRequester, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Path(PathAuthorize)+"?"+f.AuthorizeQuery, nil)
	if err != nil {
		return nil, err
	}
	return p.oauth.NewAuthorizeRequest(ctx, req)
}

// finish ends a flow whose factors are all proven: its stored authorization
// request is checked by fosite again, then complete.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, done flows.Finished) error {
	ctx := r.Context()
	ar, err := p.replay(ctx, *done.Flow)
	if err != nil {
		if done.Pending != nil { // the user did sign in; only this request fails
			if err := p.opt.Flows.StoreSession(ctx, *done.Pending); err != nil {
				return err
			}
		}
		return p.endFlow(w, r, *done.Flow, ar, err)
	}
	return p.complete(w, r, ar, done)
}

// endFlow spends a flow whose request cannot be met and answers the client with
// cause (ar nil: the stored request is replayed for its redirect URI).
func (p *Provider) endFlow(w http.ResponseWriter, r *http.Request, f flows.Flow, ar fosite.AuthorizeRequester, cause error) error {
	ctx := r.Context()
	if ar == nil {
		var err error
		if ar, err = p.replay(ctx, f); err != nil {
			cause = err
		}
	}
	if err := f.MoveTo(flows.StateDone); err != nil {
		return err
	}
	if err := p.opt.Flows.Advance(ctx, &f); err != nil {
		return err
	}
	return p.authorizeError(w, r, ar, cause)
}

// complete is the one place a sign-in ends: it asks for consent when the user has
// not given it, else spends the flow (once: its version is checked in the same
// transaction) and issues the code. done.Flow is nil when the session met the
// request at /authorize.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, done flows.Finished) error {
	ctx := r.Context()
	f := done.Flow
	if f == nil || f.Is(flows.StateAuthenticated) {
		need, err := p.needsConsent(ctx, done.User.ID, ar, done.Reads)
		if err != nil {
			return err
		}
		if need {
			return p.askConsent(w, r, ar, done)
		}
	}
	if f == nil {
		return p.issueCode(w, r, ar, done.User, done.SessionID, done.Proofs, done.RequestedAt, nil)
	}
	if err := f.MoveTo(flows.StateDone); err != nil {
		return err
	}
	return p.issueCode(w, r, ar, done.User, done.SessionID, done.Proofs, f.RequestedAt, &flowSpend{flow: f.Flow, pending: done.Pending})
}

// askConsent sends a finished sign-in to the consent page: its flow (a new one
// when the session met the request at /authorize) waits there.
func (p *Provider) askConsent(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, done flows.Finished) error {
	ctx := r.Context()
	fl := p.opt.Flows
	if done.Flow == nil {
		if hasPrompt(ar, "none") {
			return p.authorizeError(w, r, ar, fosite.ErrConsentRequired.WithHint("The user has not allowed this application yet."))
		}
		f, err := fl.StartFlow(ctx, w, r, flows.NewFlow{Kind: flows.KindAuthorize, ClientID: ar.GetClient().GetID(),
			AuthorizeQuery: authorizeQuery(r), UserID: done.User.ID, State: flows.StateConsent})
		if err != nil {
			return err
		}
		http.Redirect(w, r, fl.StepURL(f), http.StatusSeeOther)
		return nil
	}
	if done.Pending != nil {
		if err := fl.StoreSession(ctx, *done.Pending); err != nil {
			return err
		}
	}
	f := *done.Flow
	if err := f.MoveTo(flows.StateConsent); err != nil {
		return err
	}
	if err := fl.Advance(ctx, &f); err != nil {
		return err
	}
	http.Redirect(w, r, fl.StepURL(f), http.StatusSeeOther)
	return nil
}

// refusal is the OAuth error for a policy refusal.
func refusal(d flows.Decision) error {
	switch d.Error {
	case flows.ErrLoginRequired:
		return fosite.ErrLoginRequired.WithHint("The user must sign in.")
	case flows.ErrInteractionRequired:
		return fosite.ErrInteractionRequired.WithHint("The user must prove a second factor.")
	}
	return errUnmetAuthentication
}

func requestError(err error) error {
	var re *flows.RequestError
	if errors.As(err, &re) {
		return fosite.ErrInvalidRequest.WithHint(re.Hint)
	}
	return err
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

// needsConsent asks the login journey whether the user must allow the client
// first; reads, when set, hold the consent read with the user in this request.
func (p *Provider) needsConsent(ctx context.Context, userID string, ar fosite.AuthorizeRequester, reads *flows.Reads) (bool, error) {
	cl, err := p.opt.Clients.GetClient(ctx, ar.GetClient().GetID())
	if err != nil {
		return false, err
	}
	return p.opt.Consent.NeedsConsent(ctx, userID, cl, ar.GetRequestedScopes(), hasPrompt(ar, "consent"), reads)
}

var errFlowUsed = flows.UserError(http.StatusBadRequest, "This sign-in was already completed",
	"Each sign-in link works once. Go back to the app and start again.", nil)

// errUnmetAuthentication is OIDC's unmet_authentication_requirements.
var errUnmetAuthentication = &fosite.RFC6749Error{
	ErrorField:       "unmet_authentication_requirements",
	DescriptionField: "The requested authentication requirements cannot be met for this user.",
	CodeField:        http.StatusBadRequest,
}

// issueCode writes the authorization response: the ID token says exactly which
// proofs counted for this request (amr, acr) and when the password was proven.
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, user storage.User, sid string, proofs []storage.FactorProof, requestedAt time.Time, spend *flowSpend) error {
	ctx := r.Context()
	for _, sc := range ar.GetRequestedScopes() {
		ar.GrantScope(sc)
	}
	ar.GrantAudience(ar.GetClient().GetID())
	fs := newSession()
	fs.Subject = user.ID
	fs.Username = user.Email
	c := fs.Claims
	c.Subject = user.ID
	c.Issuer = p.opt.Issuer
	c.AuthTime = flows.AuthTime(proofs).UTC().Truncate(time.Second)
	// fosite checks prompt and max_age against RequestedAt at second precision.
	c.RequestedAt = requestedAt.UTC().Truncate(time.Second)
	c.AuthenticationContextClassReference = flows.ACR(proofs)
	c.AuthenticationMethodsReferences = flows.AMR(proofs)
	c.Extra["sid"] = sid
	for k, v := range profileClaims(user, ar.GetGrantedScopes()) {
		c.Extra[k] = v
	}
	bctx, batch := p.store.begin(ctx)
	resp, err := p.oauth.NewAuthorizeResponse(bctx, ar, fs)
	if err != nil {
		return p.authorizeError(w, r, ar, err)
	}
	p.audit(ctx, r, "authorize.code", user.ID, ar.GetClient().GetID(),
		map[string]string{"acr": c.AuthenticationContextClassReference, "amr": strings.Join(c.AuthenticationMethodsReferences, " ")})
	if spend == nil {
		err = p.store.commit(ctx, batch)
	} else {
		var records []storage.Token
		if records, err = p.store.take(batch); err == nil {
			err = p.commitSignIn(ctx, spend, records)
		}
	}
	if err != nil {
		return err
	}
	p.oauth.WriteAuthorizeResponse(ctx, &issWriter{ResponseWriter: w, iss: p.opt.Issuer}, ar, resp)
	return nil
}

// flowSpend is the flow a code ends, spent in the same transaction as the code is
// stored, with the browser's new session when the sign-in made one.
type flowSpend struct {
	flow    storage.Flow
	pending *flows.PendingSession
}

// commitSignIn writes the spent flow, the new session, the code's records and the
// request's audit events and throttle resets so far in one transaction: a code
// exists only if its flow was spent, once.
func (p *Provider) commitSignIn(ctx context.Context, spend *flowSpend, tokens []storage.Token) error {
	in := storage.SignIn{Flow: spend.flow, Tokens: tokens}
	if spend.pending != nil {
		in.Session, in.EndSession = &spend.pending.Session, spend.pending.Replaces
	}
	err := flows.CommitSignIn(ctx, p.opt.Store, in)
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return flows.StepDone(err) // another request spent the flow first
	}
	return fmt.Errorf("commit sign-in: %w", err)
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

// audit appends to the audit log; a failure is logged, not shown to the user.
func (p *Provider) audit(ctx context.Context, r *http.Request, typ, userID, clientID string, detail map[string]string) {
	err := flows.AppendAudit(ctx, p.opt.Store, storage.AuditEvent{
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
		// True only once the user followed a link sent to this very address.
		out["email_verified"] = u.EmailVerified
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
