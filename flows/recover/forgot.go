package recover

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/emaillink"
	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

const (
	msgBadAddress = "forgot.bad_address"
	msgTooMany    = "forgot.too_many"
)

// errNotAvailable: no mailbox receives links (no SMTP server outside dev mode).
var errNotAvailable = flows.UserError(http.StatusNotFound, "msg.not_available_heading",
	"forgot.not_available", nil)

// signInFlow is the sign-in a page was opened from (its "flow"), when it is a
// live one of this browser at the password step.
func (s *Handlers) signInFlow(r *http.Request, id string) (flows.Flow, bool) {
	if id == "" {
		return flows.Flow{}, false
	}
	f, err := s.LoadFlow(r.Context(), r, id)
	if err != nil || !f.Is(flows.StateLogin) || f.KindOf() != flows.KindAuthorize {
		return flows.Flow{}, false
	}
	return f, true
}

// forgotPage is the forgot page opened from the sign-in named id (if it is one).
func (s *Handlers) forgotPage(r *http.Request, id, addr string) templates.ForgotPage {
	p := templates.ForgotPage{Page: s.Page(r.Context(), "login.forgot"), Action: s.Path(PathForgot), Email: addr,
		BackURL: s.Path(flows.PathAccount), Minutes: int(ResetLinkLifetime.Minutes())}
	if f, ok := s.signInFlow(r, id); ok {
		p.FlowID, p.BackURL = f.ID, s.StepURL(f)
	}
	return p
}

// ForgotPage asks for the email address of the forgotten password.
func (s *Handlers) ForgotPage(w http.ResponseWriter, r *http.Request) error {
	if s.EmailCodes == nil {
		return errNotAvailable
	}
	p := s.forgotPage(r, r.URL.Query().Get("flow"), "")
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Forgot(w, p) })
}

// ForgotSubmit answers every well-formed address with the same page, at once; the
// link is sent in the background when the address is an account's.
func (s *Handlers) ForgotSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.EmailCodes == nil {
		return errNotAvailable
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	ctx := r.Context()
	addr := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	p := s.forgotPage(r, r.PostForm.Get("flow"), addr)
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr || len(addr) > 254 {
		p.Error = msgBadAddress
		return s.Render(w, http.StatusBadRequest, func() error { return s.Pages.Forgot(w, p) })
	}
	ip := s.ClientIP(r)
	n, err := s.Store.HitThrottle(ctx, "forgot:ip:"+ip, limitWindow, s.Now())
	if err != nil {
		return fmt.Errorf("count reset request: %w", err)
	}
	if n > limitPerIP {
		s.Audit(ctx, r, "password.reset_throttled", "", "", map[string]string{"by": "ip"})
		p.Error = msgTooMany
		return s.Render(w, http.StatusTooManyRequests, func() error { return s.Pages.Forgot(w, p) })
	}
	go s.sendReset(i18n.Carry(context.Background(), ctx), addr, p.FlowID, ip)
	p.Sent = true
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Forgot(w, p) })
}

// sendReset looks the address up and, when it is an account's within the limits,
// stores a reset link and emails it. It runs after the answer was written, so it
// logs and audits its outcome instead of returning it.
func (s *Handlers) sendReset(ctx context.Context, addr, flowID, ip string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	outcome, userID, err := s.issueReset(ctx, addr, flowID)
	if err != nil {
		s.Log.ErrorContext(ctx, "password reset link not sent", "user_id", userID, "error", err)
		outcome = "failed"
	}
	ev := storage.AuditEvent{ID: rand.Text(), At: s.Now().UTC(), Type: "password.reset_" + outcome, UserID: userID, IP: ip,
		Detail: map[string]string{"email_hash": flows.Digest(addr)}}
	if err := s.Store.AppendAudit(ctx, ev); err != nil {
		s.Log.ErrorContext(ctx, "audit append failed", "type", ev.Type, "error", err)
	}
}

// issueReset does sendReset's work and names its outcome for the audit log:
// "requested" (sent), "unknown" (no account), "disabled" or "throttled".
func (s *Handlers) issueReset(ctx context.Context, addr, flowID string) (outcome, userID string, err error) {
	now := s.Now()
	n, err := s.Store.HitThrottle(ctx, "forgot:addr:"+flows.Digest(addr), limitWindow, now)
	if err != nil {
		return "", "", fmt.Errorf("count reset request: %w", err)
	}
	user, err := s.Store.GetUserByEmail(ctx, addr)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "unknown", "", nil
	case err != nil:
		return "", "", fmt.Errorf("look up user: %w", err)
	case user.Disabled:
		return "disabled", user.ID, nil
	case n > limitPerAddress:
		return "throttled", user.ID, nil
	}
	if n, err := s.Store.HitThrottle(ctx, "forgot:acct:"+user.ID, limitWindow, now); err != nil {
		return "", user.ID, fmt.Errorf("count reset request: %w", err)
	} else if n > limitPerAccount {
		return "throttled", user.ID, nil
	}
	token, hash := emaillink.New()
	if err := s.Store.PutEmailLink(ctx, storage.EmailLink{Hash: hash, Purpose: storage.LinkPasswordReset, UserID: user.ID,
		Email: user.Email, CreatedAt: now.UTC(), ExpiresAt: now.Add(ResetLinkLifetime).UTC()}); err != nil {
		return "", user.ID, fmt.Errorf("store reset link: %w", err)
	}
	q := url.Values{"token": {token}}
	if flowID != "" {
		q.Set("flow", flowID)
	}
	link := s.BaseURL + s.Path(PathReset) + "?" + q.Encode()
	ctx = s.BrandFor(ctx, user) // the email is the user's, in their organisation's brand
	text := s.T(ctx, "mail.reset_password.text", "Product", s.Product(ctx), "Email", user.Email, "Link", link,
		"Minutes", int(ResetLinkLifetime.Minutes()))
	if err := s.Mail.Send(ctx, email.Message{To: user.Email, Subject: s.T(ctx, "mail.reset_password.subject"), Text: text}); err != nil {
		return "", user.ID, fmt.Errorf("send reset email: %w", err)
	}
	return "requested", user.ID, nil
}
