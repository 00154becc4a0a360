package flows

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Error is an error with a message meant for the person at the browser. What it
// wraps is logged, never shown. Heading and Message are keys of the message
// catalogues (package i18n), which the error page translates; text that is no
// key is shown as it is.
type Error struct {
	Status  int
	Heading string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Heading, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Heading)
}

func (e *Error) Unwrap() error { return e.Err }

// UserError builds an Error.
func UserError(status int, heading, message string, err error) *Error {
	return &Error{Status: status, Heading: heading, Message: message, Err: err}
}

// HandlerFunc is an HTTP handler that returns its error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorPages is the one place that turns handler errors into pages.
type ErrorPages struct {
	Pages     *templates.Renderer
	Log       *slog.Logger
	RequestID func(r *http.Request) string
}

// Handle adapts h to http.Handler.
func (p *ErrorPages) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.Write(w, r, err)
		}
	})
}

// StatusClientClosedRequest is what a request the client gave up on is counted
// as (nginx's 499): no one reads its answer, and it is no server error.
const StatusClientClosedRequest = 499

// ClientGone reports whether err is r's own context ending: the client gave up
// on the request, and no one reads its answer.
func ClientGone(r *http.Request, err error) bool {
	ctxErr := r.Context().Err()
	return ctxErr != nil && errors.Is(err, ctxErr)
}

// Write renders err as an error page and logs what it wraps.
func (p *ErrorPages) Write(w http.ResponseWriter, r *http.Request, err error) {
	if ClientGone(r, err) {
		p.Log.InfoContext(r.Context(), "request abandoned by the client", "request_id", p.RequestID(r),
			"path", r.URL.Path, "error", err.Error())
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	var ue *Error
	switch {
	case errors.Is(err, storage.ErrUnavailable):
		ue = UserError(http.StatusServiceUnavailable, "error.unavailable", "error.unavailable_message", err)
		w.Header().Set("Retry-After", "5")
	case !errors.As(err, &ue):
		ue = UserError(http.StatusInternalServerError, "error.something_wrong", "error.could_not_finish", err)
	}
	level := slog.LevelInfo
	if ue.Status >= 500 {
		level = slog.LevelError
	}
	reqID := p.RequestID(r)
	p.Log.Log(r.Context(), level, "request failed", "request_id", reqID, "status", ue.Status,
		"path", r.URL.Path, "error", err.Error())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(ue.Status)
	_ = p.Pages.Error(w, templates.ErrorPage{
		Page:      p.Pages.Page(r.Context(), ue.Heading),
		Status:    ue.Status,
		Heading:   ue.Heading,
		Message:   ue.Message,
		RequestID: reqID,
	})
}
