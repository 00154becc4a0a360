package adminapi

import (
	"errors"
	"net/http"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
)

// apiError is every error's body.
type apiError struct {
	// Error is a stable code: invalid_token, insufficient_scope, forbidden,
	// not_found, invalid_request, conflict, server_error.
	Error   string `json:"error"`
	Message string `json:"message"`
	// Fields holds a message per refused field of a write.
	Fields map[string]string `json:"fields,omitempty"`
}

// badRequest is a request the API cannot read (not JSON, an unknown field, a
// query parameter out of range).
type badRequest struct {
	field, msg string
}

func (e *badRequest) Error() string { return e.msg }

// writeError is the one place an error becomes the API's answer; only the
// messages written for administrators reach the body.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		bad    *badRequest
		status int
		body   apiError
	)
	switch {
	case errors.Is(err, errNoToken), errors.Is(err, idp.ErrInactiveToken):
		status, body = http.StatusUnauthorized, apiError{Error: "invalid_token", Message: "Send an active access token with the scope " + Scope + "."}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", scope="`+Scope+`"`)
	case errors.Is(err, errScope):
		status, body = http.StatusForbidden, apiError{Error: "insufficient_scope", Message: "The access token does not have the scope " + Scope + "."}
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+Scope+`"`)
	case errors.Is(err, errUserToken):
		status, body = http.StatusForbidden, apiError{Error: "forbidden", Message: "Use a client-credentials token of the client itself; administrators use the console."}
	case errors.Is(err, errWeakSession):
		status, body = http.StatusForbidden, apiError{Error: "insufficient_user_authentication", Message: "Sign in to the admin console with two-step verification first."}
	case errors.Is(err, admin.ErrNotAdmin):
		status, body = http.StatusForbidden, apiError{Error: "forbidden", Message: "You are not an administrator."}
	case errors.Is(err, admin.ErrForbidden):
		status, body = http.StatusForbidden, apiError{Error: "forbidden", Message: "Your role does not allow this."}
	case errors.Is(err, errNoRoute), errors.Is(err, storage.ErrNotFound):
		status, body = http.StatusNotFound, apiError{Error: "not_found", Message: "There is nothing at this address."}
	case errors.As(err, &bad):
		status, body = http.StatusBadRequest, apiError{Error: "invalid_request", Message: bad.msg}
		if bad.field != "" {
			body.Fields = map[string]string{bad.field: bad.msg}
		}
	case errors.Is(err, storage.ErrInvalid):
		status, body = http.StatusBadRequest, apiError{Error: "invalid_request", Message: err.Error(), Fields: fieldErrors(err)}
	case errors.Is(err, storage.ErrAlreadyExists):
		status, body = http.StatusConflict, apiError{Error: "conflict", Message: err.Error()}
	default:
		status, body = http.StatusInternalServerError, apiError{Error: "server_error", Message: "The request could not be finished."}
	}
	level := a.Log.Info
	if status >= 500 {
		level = a.Log.Error
	}
	level("admin api request failed", "request_id", idp.RequestID(r), "method", r.Method, "path", r.URL.Path, "status", status, "error", err.Error())
	idp.WriteJSON(w, status, body)
}

// fieldErrors collects the storage.FieldErrors in err's tree, one message per
// field (several joined by "; ").
func fieldErrors(err error) map[string]string {
	out := map[string]string{}
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*storage.FieldError); ok {
			if m, ok := out[fe.Field]; ok {
				out[fe.Field] = m + "; " + fe.Message
			} else {
				out[fe.Field] = fe.Message
			}
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	if len(out) == 0 {
		return nil
	}
	return out
}
