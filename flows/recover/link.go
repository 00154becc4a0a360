package recover

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/emaillink"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// linkKind is what an emailed link's page is for.
type linkKind struct {
	purpose storage.LinkPurpose
	path    string
	// title, lead and button are catalogue keys.
	title, lead, button string
}

var (
	reset = linkKind{purpose: storage.LinkPasswordReset, path: PathReset,
		title: "recover.reset_title", lead: "recover.reset_lead", button: "recover.reset_button"}
	invitation = linkKind{purpose: storage.LinkInvitation, path: PathInvite,
		title: "recover.invite_title", lead: "recover.invite_lead", button: "recover.invite_button"}
)

var errLinkGone = flows.UserError(http.StatusBadRequest, "msg.link_gone_heading",
	"recover.link_gone", nil)

// liveLink returns the live link of kind k with that token and its user: the
// user it was sent to, still at the address it was sent to.
func (s *Handlers) liveLink(ctx context.Context, k linkKind, token string) (storage.EmailLink, storage.User, error) {
	if !emaillink.Valid(token) {
		return storage.EmailLink{}, storage.User{}, errLinkGone
	}
	l, err := s.Store.GetEmailLink(ctx, k.purpose, emaillink.Hash(token), s.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return l, storage.User{}, errLinkGone
	}
	if err != nil {
		return l, storage.User{}, fmt.Errorf("read link: %w", err)
	}
	user, err := s.Store.GetUser(ctx, l.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (user.Email != l.Email || user.Disabled)) {
		return l, user, errLinkGone
	}
	if err != nil {
		return l, user, fmt.Errorf("load user: %w", err)
	}
	return l, user, nil
}

func (s *Handlers) newPasswordPage(ctx context.Context, k linkKind, user storage.User, token, flowID string) templates.NewPasswordPage {
	return templates.NewPasswordPage{Page: s.Page(ctx, k.title), Heading: k.title, Lead: k.lead,
		Button: k.button, Action: s.Path(k.path), Token: token, FlowID: flowID, Email: user.Email, MinLength: password.MinLen}
}

// linkPage shows the form an emailed link leads to; opening it spends nothing.
func (s *Handlers) linkPage(k linkKind) flows.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		_, user, err := s.liveLink(r.Context(), k, q.Get("token"))
		if err != nil {
			return err
		}
		p := s.newPasswordPage(r.Context(), k, user, q.Get("token"), q.Get("flow"))
		return s.Render(w, http.StatusOK, func() error { return s.Pages.NewPassword(w, p) })
	}
}

// linkSubmit sets the password with the link: the form is checked first (a
// refusal keeps the link), then the link is spent, atomically, and the password
// stored.
func (s *Handlers) linkSubmit(k linkKind) flows.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		if err := flows.ParseForm(r); err != nil {
			return err
		}
		token, flowID := r.PostForm.Get("token"), r.PostForm.Get("flow")
		_, user, err := s.liveLink(ctx, k, token)
		if err != nil {
			return err
		}
		p := s.newPasswordPage(r.Context(), k, user, token, flowID)
		next := r.PostForm.Get("new_password")
		var refusal string
		var args []any
		if err := password.CheckNew(next); err != nil {
			refusal, args = password.Explain(err)
		} else if next != r.PostForm.Get("confirm_password") {
			refusal = "password.mismatch_two"
		}
		if refusal != "" {
			p.Error = s.T(ctx, refusal, args...)
			s.Audit(ctx, r, "password.set_refused", user.ID, "", map[string]string{"link": string(k.purpose), "reason": refusal})
			return s.Render(w, http.StatusBadRequest, func() error { return s.Pages.NewPassword(w, p) })
		}
		hash, err := s.Hasher.Hash(ctx, next)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		// Of two submits of one link (a double click, a replay) one gets here.
		if _, err := s.Store.UseEmailLink(ctx, k.purpose, emaillink.Hash(token), s.Now()); errors.Is(err, storage.ErrNotFound) {
			return errLinkGone
		} else if err != nil {
			return fmt.Errorf("use link: %w", err)
		}
		user.PasswordHash, user.UpdatedAt = hash, s.Now().UTC()
		if err := s.Store.UpdateUser(ctx, user); err != nil {
			return fmt.Errorf("save password: %w", err)
		}
		if _, err := s.Store.DeleteEmailLinks(ctx, user.ID, k.purpose); err != nil {
			return fmt.Errorf("delete links: %w", err)
		}
		if k.purpose == storage.LinkInvitation {
			s.Audit(ctx, r, "invitation.accepted", user.ID, "", nil)
			return s.done(w, r, "recover.set_done", "recover.set_done_message", "")
		}
		if err := s.endEverything(ctx, w, r, user); err != nil {
			return err
		}
		s.Audit(ctx, r, "password.reset", user.ID, "", map[string]string{"via": "email link"})
		s.Notify(r, user.ID, "password.changed")
		return s.done(w, r, "recover.changed", "recover.changed_message", flowID)
	}
}

// endEverything ends what the old password opened: every session, refresh and
// access token, remembered device and trusted address of the user, and this
// browser's session cookie. A new password proves only the mailbox, so nothing
// that skipped a second factor survives it. The failed sign-ins counted against
// the account are forgotten: the owner proved the mailbox.
func (s *Handlers) endEverything(ctx context.Context, w http.ResponseWriter, r *http.Request, user storage.User) error {
	if err := s.EndPasswordAccess(ctx, w, r, user.ID); err != nil {
		return err
	}
	if err := s.Store.ResetThrottle(ctx, "login:acct:"+flows.Digest(user.Email)); err != nil {
		return fmt.Errorf("reset login throttle: %w", err)
	}
	return nil
}

// done says the password is set and leads to signing in: back to the sign-in the
// reset started from when this browser has it, else to the account page's.
func (s *Handlers) done(w http.ResponseWriter, r *http.Request, heading, message, flowID string) error {
	p := templates.MessagePage{Page: s.Page(r.Context(), heading), Heading: heading, Kind: templates.MessageSuccess, Message: message,
		LinkURL: s.Path(flows.PathAccount), LinkLabel: "login.submit"}
	if f, ok := s.signInFlow(r, flowID); ok {
		p.LinkURL, p.LinkLabel = s.StepURL(f), "recover.sign_in_continue"
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, p) })
}
