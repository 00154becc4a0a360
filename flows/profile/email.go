package profile

import (
	"context"
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
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// LinkLifetime is how long the link that confirms a new address works.
const LinkLifetime = 30 * time.Minute

// Requests for a confirmation link, per user: at most emailLimit in emailWindow,
// so the form cannot be used to send mail to anyone at will.
const (
	emailLimit  = 5
	emailWindow = time.Hour
)

// maxEmailLen is the longest address a mailbox can have (RFC 5321's path limit).
const maxEmailLen = 254

// What the email form and the confirmation say when they refuse.
const (
	msgEmailInvalid = "profile.email_invalid"
	msgEmailSame    = "profile.email_same"
	msgEmailTaken   = "profile.email_taken"
	msgEmailLimit   = "profile.email_limit"
	msgEmailNotSent = "profile.email_not_sent"
)

var errLinkGone = flows.UserError(http.StatusBadRequest, "msg.link_gone_heading",
	"profile.link_gone", nil)

// newEmail returns the address typed for the email form as it is stored
// (trimmed, lower-cased), or the message that says what is wrong with it.
// Whether another account has it is asked only within the user's limit of
// requests, so the form is no way to find out at will who has an account.
func (s *Handlers) newEmail(ctx context.Context, user storage.User, typed string) (string, string, error) {
	addr := strings.ToLower(strings.TrimSpace(typed))
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr || len(addr) > maxEmailLen || email.Redact(addr) == "***" {
		return "", msgEmailInvalid, nil
	}
	if addr == user.Email {
		return "", msgEmailSame, nil
	}
	if n, err := s.Store.HitThrottle(ctx, "email-change:user:"+user.ID, emailWindow, s.Now()); err != nil {
		return "", "", fmt.Errorf("count email change requests: %w", err)
	} else if n > emailLimit {
		return "", msgEmailLimit, nil
	}
	if taken, err := s.taken(ctx, addr, user.ID); err != nil || taken {
		return "", msgEmailTaken, err
	}
	return addr, "", nil
}

// taken reports whether another user than userID has the address.
func (s *Handlers) taken(ctx context.Context, addr, userID string) (bool, error) {
	other, err := s.Store.GetUserByEmail(ctx, addr)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("who has the address: %w", err)
	}
	return other.ID != userID, nil
}

// EmailSubmit asks for a new address: a link that confirms it goes to that
// address, the current address is told, and nothing changes until the link is
// followed (EmailConfirm). A newer request makes the earlier link stop working.
func (s *Handlers) EmailSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.RequireReverified(w, r, PathProfile)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	if s.Mail == nil {
		return flows.UserError(http.StatusNotFound, "msg.not_available_heading", "profile.no_email", nil)
	}
	typed := r.PostForm.Get("email")
	refuse := func(msg string) error {
		p := s.page(r.Context(), user)
		p.NewEmail, p.EmailError = typed, msg
		return s.render(w, p)
	}
	addr, msg, err := s.newEmail(ctx, user, typed)
	if err != nil {
		return err
	}
	if msg != "" {
		s.Audit(ctx, r, "profile.email_change_refused", user.ID, "", map[string]string{"email_new": email.Redact(typed), "reason": msg})
		return refuse(msg)
	}
	now := s.Now().UTC()
	token, hash := emaillink.New()
	if _, err := s.Store.DeleteEmailLinks(ctx, user.ID, storage.LinkEmailChange); err != nil {
		return fmt.Errorf("drop earlier links: %w", err)
	}
	err = s.Store.PutEmailLink(ctx, storage.EmailLink{Purpose: storage.LinkEmailChange, Hash: hash, UserID: user.ID, Email: addr,
		CreatedAt: now, ExpiresAt: now.Add(LinkLifetime)})
	if err != nil {
		return fmt.Errorf("store the link: %w", err)
	}
	link := s.BaseURL + s.Path(PathEmailConfirm) + "?" + url.Values{"token": {token}}.Encode()
	text := s.T(ctx, "mail.email_change.text", "Product", s.Product(ctx), "Link", link, "Minutes", int(LinkLifetime.Minutes()))
	if err := s.Mail.Send(ctx, email.Message{To: addr, Subject: s.T(ctx, "mail.email_change.subject"), Text: text}); err != nil {
		s.Log.ErrorContext(ctx, "email change link not sent", "user_id", user.ID, "to", email.Redact(addr), "error", err)
		if _, err := s.Store.DeleteEmailLinks(ctx, user.ID, storage.LinkEmailChange); err != nil {
			return fmt.Errorf("drop the unsent link: %w", err)
		}
		return refuse(msgEmailNotSent)
	}
	s.tell(r, user.Email, s.T(ctx, "mail.email_changing.subject"), s.T(ctx, "mail.email_changing.text",
		"Email", email.Redact(addr), "Minutes", int(LinkLifetime.Minutes())))
	s.Audit(ctx, r, "profile.email_change_requested", user.ID, "", map[string]string{
		"email_old": email.Redact(user.Email), "email_new": email.Redact(addr)})
	http.Redirect(w, r, s.Path(PathProfile)+"?done=email-sent", http.StatusSeeOther)
	return nil
}

// linkOwner reads the pending link of token and checks that the browser is
// signed in as the user it was sent for. ok is false when a page that says why
// not was written (or err says it).
func (s *Handlers) linkOwner(w http.ResponseWriter, r *http.Request, token string) (storage.EmailLink, storage.User, bool, error) {
	ctx := r.Context()
	if !emaillink.Valid(token) {
		return storage.EmailLink{}, storage.User{}, false, errLinkGone
	}
	// Unknown, used, expired or replaced by a newer link: the store says
	// ErrNotFound for all of them.
	link, err := s.Store.GetEmailLink(ctx, storage.LinkEmailChange, emaillink.Hash(token), s.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return link, storage.User{}, false, errLinkGone
	}
	if err != nil {
		return link, storage.User{}, false, fmt.Errorf("read the link: %w", err)
	}
	_, user, signedIn, err := s.CurrentSession(ctx, r)
	if err != nil {
		return link, user, false, err
	}
	if !signedIn {
		p := templates.MessagePage{Page: s.Page(ctx, "profile.sign_in_title"), Heading: "profile.sign_in_heading", Kind: templates.MessageInfo,
			Message: "profile.sign_in_message",
			LinkURL: s.Path(PathProfile), LinkLabel: "login.submit"}
		return link, user, false, s.Render(w, http.StatusUnauthorized, func() error { return s.Pages.Message(w, p) })
	}
	if user.ID != link.UserID {
		s.Audit(ctx, r, "profile.email_change_refused", user.ID, "", map[string]string{"email_new": email.Redact(link.Email), "reason": "the link is another user's"})
		return link, user, false, flows.UserError(http.StatusForbidden, "profile.other_account_heading",
			"profile.other_account", nil)
	}
	return link, user, true, nil
}

// EmailConfirmPage is where the emailed link leads: it asks the user it was
// sent for to confirm (a GET changes nothing, so mail scanners that fetch links
// do not use it).
func (s *Handlers) EmailConfirmPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	link, user, ok, err := s.linkOwner(w, r, token)
	if !ok {
		return err
	}
	p := templates.MessagePage{Page: s.Page(r.Context(), "profile.confirm_heading"), Heading: "profile.confirm_heading", Kind: templates.MessageInfo,
		Message:    s.T(r.Context(), "profile.confirm_message", "Old", user.Email, "New", link.Email),
		PostAction: s.Path(PathEmailConfirm), Hidden: map[string]string{"token": token}, LinkLabel: "profile.use_new",
		CancelURL: s.Path(PathProfile)}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, p) })
}

// EmailConfirm changes the address to the link's, once, for the user it was
// sent for, unless another account took the address meanwhile. The address is
// then verified (email_verified), and the old address is told.
func (s *Handlers) EmailConfirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	_, user, ok, err := s.linkOwner(w, r, r.PostForm.Get("token"))
	if !ok {
		return err
	}
	now := s.Now().UTC()
	link, err := s.Store.UseEmailLink(ctx, storage.LinkEmailChange, emaillink.Hash(r.PostForm.Get("token")), now)
	if errors.Is(err, storage.ErrNotFound) { // used by a concurrent confirmation
		return errLinkGone
	}
	if err != nil {
		return fmt.Errorf("use the link: %w", err)
	}
	err = s.Store.SetUserEmail(ctx, user.ID, link.Email, true, now)
	if errors.Is(err, storage.ErrAlreadyExists) {
		s.Audit(ctx, r, "profile.email_change_refused", user.ID, "", map[string]string{"email_new": email.Redact(link.Email), "reason": "taken"})
		return flows.UserError(http.StatusConflict, "profile.taken_heading", s.T(ctx, "profile.taken_message", "Email", user.Email), err)
	}
	if err != nil {
		return fmt.Errorf("change the address: %w", err)
	}
	s.Audit(ctx, r, "profile.email_changed", user.ID, "", map[string]string{
		"email_old": email.Redact(user.Email), "email_new": email.Redact(link.Email)})
	s.tell(r, user.Email, s.T(ctx, "mail.email_changed.subject"), s.T(ctx, "mail.email_changed.text", "Email", email.Redact(link.Email)))
	p := templates.MessagePage{Page: s.Page(ctx, "profile.changed_heading"), Heading: "profile.changed_heading", Kind: templates.MessageSuccess,
		Message: s.T(ctx, "profile.changed_message", "Email", link.Email),
		LinkURL: s.Path(PathProfile), LinkLabel: "profile.back"}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, p) })
}

// tell emails a notice to an address the user has no longer (or not yet
// changed): the security notifications (flows.Core.Notify) go to the current
// one. Like them it does not hold up the request and never fails it.
func (s *Handlers) tell(r *http.Request, to, subject, text string) {
	ctx := context.WithoutCancel(r.Context())
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		msg := email.Message{To: to, Subject: subject, Text: text + "\n\n— " + s.Product(ctx)}
		if err := s.Mail.Send(ctx, msg); err != nil {
			s.Log.WarnContext(ctx, "notice not sent", "subject", subject, "to", email.Redact(to), "error", err)
		}
	}()
}
