package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// token is the token endpoint: authorization_code, refresh_token, client_credentials.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	ctx, batch := p.store.begin(r.Context())
	sess := newSession()
	ar, err := p.oauth.NewAccessRequest(ctx, r, sess)
	if err != nil {
		p.accessError(w, r, ar, err)
		return
	}
	if c, err := p.opt.Clients.GetClient(ctx, ar.GetClient().GetID()); err == nil && c.IDTokenAlg != "" {
		ctx = context.WithValue(ctx, signingAlgKey{}, c.IDTokenAlg)
	}
	if ar.GetGrantTypes().ExactOne("client_credentials") {
		for _, sc := range ar.GetRequestedScopes() {
			ar.GrantScope(sc)
		}
		sess.Subject = ar.GetClient().GetID()
		ar.GrantAudience(ar.GetClient().GetID())
	}
	resp, err := p.oauth.NewAccessResponse(ctx, ar)
	if err == nil {
		err = p.store.commit(ctx, batch)
	}
	if err != nil {
		p.accessError(w, r, ar, err)
		return
	}
	p.oauth.WriteAccessResponse(ctx, w, ar, resp)
}

func (p *Provider) accessError(w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, err error) {
	if errors.Is(err, storage.ErrConflict) {
		// Lost the race to consume a code or refresh token that a concurrent
		// request spent: for the client that is simply an invalid grant.
		err = fosite.ErrInvalidGrant.WithHint("The authorization grant was already used.").WithWrap(err)
	}
	if errors.Is(err, storage.ErrDisabled) {
		// A code or refresh token of a user who was disabled after it was issued
		// (disabling revokes tokens, but a code on its way or a sign-in finishing at
		// that moment still holds one): the store refuses to spend it.
		err = fosite.ErrInvalidGrant.WithHint("The user's account is disabled.").WithWrap(err)
	}
	if flows.ClientGone(r, err) {
		p.opt.Log.InfoContext(r.Context(), "token request abandoned by the client", "request_id", RequestID(r))
		w.WriteHeader(flows.StatusClientClosedRequest)
		return
	}
	err = unavailableToRFC(err)
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.CodeField >= 500 {
		p.opt.Log.ErrorContext(r.Context(), "token endpoint error", "error", rfc.ErrorField,
			"debug", rfc.DebugField, "cause", fmt.Sprint(rfc.Cause()), "request_id", RequestID(r))
	}
	p.oauth.WriteAccessError(r.Context(), w, ar, err)
}

func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	ctx, batch := p.store.begin(r.Context())
	ir, err := p.oauth.NewIntrospectionRequest(ctx, r, newSession())
	if err == nil {
		err = p.store.commit(ctx, batch)
	}
	if err != nil {
		if p.writeUnavailable(w, r, err) {
			return
		}
		p.oauth.WriteIntrospectionError(ctx, w, err)
		return
	}
	if s, ok := ir.GetAccessRequester().GetSession().(*Session); ok {
		s.introspectedAs = ir.GetTokenUse()
	}
	p.oauth.WriteIntrospectionResponse(ctx, w, ir)
}

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	ctx, batch := p.store.begin(r.Context())
	err := p.oauth.NewRevocationRequest(ctx, r)
	if err == nil {
		err = p.store.commit(ctx, batch)
	}
	if p.writeUnavailable(w, r, err) {
		return
	}
	p.oauth.WriteRevocationResponse(ctx, w, err)
}

// userinfo returns the claims the access token's scopes allow.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tok := fosite.AccessTokenFromRequest(r)
	deny := func(code, desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, `{"error":"`+code+`"}`, http.StatusUnauthorized)
	}
	if tok == "" {
		deny("invalid_token", "No access token was sent.")
		return
	}
	bctx, batch := p.store.begin(ctx)
	_, ar, err := p.oauth.IntrospectToken(bctx, tok, fosite.AccessToken, newSession())
	if err == nil {
		err = p.store.commit(ctx, batch)
	}
	if err != nil {
		deny("invalid_token", "The access token is not active.")
		return
	}
	if !ar.GetGrantedScopes().Has("openid") {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="openid"`)
		http.Error(w, `{"error":"insufficient_scope"}`, http.StatusForbidden)
		return
	}
	user, err := p.opt.Store.GetUser(ctx, ar.GetSession().GetSubject())
	if err != nil || user.Disabled {
		deny("invalid_token", "The user of this token is no longer active.")
		return
	}
	claims := profileClaims(user, ar.GetGrantedScopes())
	claims["sub"] = user.ID
	WriteJSON(w, http.StatusOK, claims)
}

// WriteJSON answers with v as JSON, never cached (the OAuth endpoints and the
// admin API).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// unavailableToRFC turns a store outage into the OAuth temporarily_unavailable
// error (503) so clients see a retryable JSON error, never a 500 with internals.
func unavailableToRFC(err error) error {
	if errors.Is(err, storage.ErrUnavailable) {
		return fosite.ErrTemporarilyUnavailable.WithHint("The server is briefly unavailable; try again shortly.").WithWrap(err)
	}
	return err
}

// writeUnavailable answers 503 temporarily_unavailable JSON if err is a store
// outage and reports whether it did. Introspection and revocation need it: fosite
// would answer {"active":false} or 200 to any error it does not know.
func (p *Provider) writeUnavailable(w http.ResponseWriter, r *http.Request, err error) bool {
	if !errors.Is(err, storage.ErrUnavailable) {
		return false
	}
	p.opt.Log.WarnContext(r.Context(), "store unavailable", "path", r.URL.Path, "error", err.Error())
	p.oauth.WriteAccessError(r.Context(), w, nil, unavailableToRFC(err))
	return true
}
