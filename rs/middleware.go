package rs

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultRealm is the realm of the challenge to a request without an access token
// when Middleware.Realm is empty.
const DefaultRealm = "api"

// Requirement is what a route asks of an access token.
type Requirement struct {
	// ACR lists acceptable authentication context classes: the token's acr must
	// be one of them or higher on the ladder. Empty: any acr, or none.
	ACR []string
	// MaxAge is the longest time since the user last actively authenticated
	// (auth_time). Zero: no limit.
	MaxAge time.Duration
	// Scopes must all have been granted.
	Scopes []string
}

// Middleware guards handlers with access tokens. Its zero value is not usable:
// Validator must be set. Set the fields before the first request.
type Middleware struct {
	// Validator checks the bearer token.
	Validator Validator
	// Ladder lists the acr values lowest first. When nil, the Validator's
	// Ladder() method is used if it has one (the validators of this package
	// return the issuer's acr_values_supported).
	Ladder []string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Realm is the realm of the challenge to requests without an access token;
	// empty means DefaultRealm.
	Realm string
	// Logger, when set, receives tokens that could not be checked (Error) and
	// rejected tokens (Debug).
	Logger *slog.Logger
}

// Require returns a handler that serves next only to requests whose bearer token
// is valid and meets req; the validated token is in the request's context
// (TokenFrom). Otherwise it answers, with a JSON body
// {"error": ..., "error_description": ...} and Cache-Control: no-store:
//
//   - no Bearer token: 401, WWW-Authenticate: Bearer realm="..." (no error code,
//     RFC 6750 section 3.1);
//   - more than one Authorization header: 400 invalid_request;
//   - a token the Validator rejects: 401 invalid_token;
//   - a missing scope: 403 insufficient_scope with scope="<req.Scopes>";
//   - an acr too low, or missing while req.ACR is set, or an auth_time older than
//     req.MaxAge, or missing while req.MaxAge is set: 401
//     insufficient_user_authentication with acr_values and max_age (RFC 9470);
//   - a token the Validator could not check (issuer unreachable): 503
//     temporarily_unavailable, without a challenge.
func (m *Middleware) Require(req Requirement, next http.Handler) http.Handler {
	if m.Validator == nil {
		panic("rs: Middleware.Validator is nil")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header.Values("Authorization")) > 1 {
			var p params
			p.quoted("error", "invalid_request")
			p.quoted("error_description", "The request has more than one Authorization header.")
			respond(w, http.StatusBadRequest, p, "invalid_request", "The request has more than one Authorization header.")
			return
		}
		raw, ok := bearerToken(r)
		if !ok {
			var p params
			p.quoted("realm", m.realm())
			respond(w, http.StatusUnauthorized, p, "", "An access token is required.")
			return
		}
		tok, err := m.Validator.Validate(r.Context(), raw)
		if err != nil {
			m.rejectToken(w, r, err)
			return
		}
		if missing := missingScopes(tok, req.Scopes); len(missing) > 0 {
			var p params
			p.quoted("error", "insufficient_scope")
			p.quoted("scope", strings.Join(req.Scopes, " "))
			respond(w, http.StatusForbidden, p, "insufficient_scope",
				"The access token lacks the scope "+strings.Join(missing, " ")+".")
			return
		}
		if reason := m.stepUpReason(tok, req); reason != "" {
			challenge(w, req, reason)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithToken(r.Context(), tok)))
	})
}

// StepUpNeeded reports whether tok fails the ACR or MaxAge part of req (its
// Scopes are not looked at). A handler that decides by itself when to ask for
// more answers with Challenge then.
func (m *Middleware) StepUpNeeded(tok *Token, req Requirement) bool {
	return m.stepUpReason(tok, req) != ""
}

// Challenge answers 401 with an RFC 9470 insufficient_user_authentication
// challenge for req's ACR and MaxAge, for handlers that decide themselves that the
// user must authenticate again or more strongly. req.Scopes is not used.
func Challenge(w http.ResponseWriter, req Requirement) {
	var desc string
	switch {
	case len(req.ACR) > 0 && req.MaxAge > 0:
		desc = "A higher authentication level or a more recent authentication is required."
	case req.MaxAge > 0:
		desc = "A more recent authentication is required."
	default:
		desc = "A higher authentication level is required."
	}
	challenge(w, req, desc)
}

func challenge(w http.ResponseWriter, req Requirement, desc string) {
	var p params
	p.quoted("error", "insufficient_user_authentication")
	p.quoted("error_description", desc)
	if len(req.ACR) > 0 {
		p.quoted("acr_values", strings.Join(req.ACR, " "))
	}
	if req.MaxAge > 0 {
		p.token("max_age", strconv.FormatInt(int64(req.MaxAge/time.Second), 10))
	}
	respond(w, http.StatusUnauthorized, p, "insufficient_user_authentication", desc)
}

func (m *Middleware) rejectToken(w http.ResponseWriter, r *http.Request, err error) {
	var desc string
	var ite *InvalidTokenError
	switch {
	case errors.As(err, &ite):
		desc = ite.Description
	case errors.Is(err, ErrInvalidToken):
		desc = "The access token is not valid."
	default:
		if m.Logger != nil {
			m.Logger.ErrorContext(r.Context(), "rs: access token could not be checked", "error", err)
		}
		respond(w, http.StatusServiceUnavailable, nil, "temporarily_unavailable",
			"The access token could not be checked; try again later.")
		return
	}
	if m.Logger != nil {
		m.Logger.DebugContext(r.Context(), "rs: access token rejected", "error", err)
	}
	var p params
	p.quoted("error", "invalid_token")
	p.quoted("error_description", desc)
	respond(w, http.StatusUnauthorized, p, "invalid_token", desc)
}

// stepUpReason says why tok does not meet req's ACR or MaxAge, or "" when it does.
func (m *Middleware) stepUpReason(tok *Token, req Requirement) string {
	acrOK := len(req.ACR) == 0 || m.acrMeets(tok.ACR, req.ACR)
	ageOK := true
	if req.MaxAge > 0 {
		ageOK = !tok.AuthTime.IsZero() && m.now().Sub(tok.AuthTime) <= req.MaxAge
	}
	switch {
	case !acrOK && !ageOK:
		return "A higher authentication level and a more recent authentication are required."
	case !acrOK && tok.ACR == "":
		return "The access token does not say how the user authenticated; a higher authentication level is required."
	case !acrOK:
		return "A higher authentication level is required."
	case !ageOK && tok.AuthTime.IsZero():
		return "The access token does not say when the user authenticated; a more recent authentication is required."
	case !ageOK:
		return "A more recent authentication is required."
	}
	return ""
}

// acrMeets reports whether acr is one of required or higher on the ladder than
// one of them. Values not on the ladder only meet themselves.
func (m *Middleware) acrMeets(acr string, required []string) bool {
	if acr == "" {
		return false
	}
	ladder := m.ladder()
	have := slices.Index(ladder, acr)
	for _, want := range required {
		if acr == want {
			return true
		}
		if w := slices.Index(ladder, want); w >= 0 && have > w {
			return true
		}
	}
	return false
}

func (m *Middleware) ladder() []string {
	if m.Ladder != nil {
		return m.Ladder
	}
	if l, ok := m.Validator.(interface{ Ladder() []string }); ok {
		return l.Ladder()
	}
	return nil
}

func (m *Middleware) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Middleware) realm() string {
	if m.Realm != "" {
		return m.Realm
	}
	return DefaultRealm
}

func missingScopes(tok *Token, want []string) []string {
	var missing []string
	for _, s := range want {
		if !slices.Contains(tok.Scopes, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// bearerToken returns the token of an "Authorization: Bearer" header (the scheme
// is case-insensitive, RFC 9110 section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// params are the auth-params of a Bearer challenge, in order.
type params []string

// quoted adds name="value" with value as an RFC 9110 quoted-string: " and \ are
// escaped; control and non-ASCII characters, which have no place in these
// values, become '?'.
func (p *params) quoted(name, value string) {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(`="`)
	for _, r := range value {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t' || (r >= 0x20 && r < 0x7f):
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte('"')
	*p = append(*p, b.String())
}

// token adds name=value for a value that is an RFC 9110 token (digits here).
func (p *params) token(name, value string) { *p = append(*p, name+"="+value) }

func respond(w http.ResponseWriter, status int, p params, code, desc string) {
	h := w.Header()
	if p != nil {
		h.Set("WWW-Authenticate", "Bearer "+strings.Join(p, ", "))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	body, _ := json.Marshal(struct {
		Error            string `json:"error,omitempty"`
		ErrorDescription string `json:"error_description,omitempty"`
	}{code, desc})
	_, _ = w.Write(append(body, '\n'))
}
