package account

import (
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

func (s *Handlers) passwordPage(r *http.Request, user storage.User) templates.PasswordPage {
	return templates.PasswordPage{Page: s.Page(r.Context(), "password.title"), Action: s.Path(PathAccountPassword),
		Email: user.Email, MinLength: password.MinLen, CancelURL: flows.PathAccount}
}

// AccountPasswordPage shows the password change form.
func (s *Handlers) AccountPasswordPage(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	p := s.passwordPage(r, user)
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Password(w, p) })
}

// AccountPasswordSubmit changes the password (ACC-5) after checking the current
// one. Whoever might hold the old password loses everything it gave: every session
// ends (this browser's too), every refresh and access token of the user is revoked,
// and remembered devices and trusted addresses are forgotten (MFA-7).
func (s *Handlers) AccountPasswordSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	p := s.passwordPage(r, user)
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("new_password")
	refuse := func(msg string) error {
		p.Error = msg
		return s.Render(w, http.StatusBadRequest, func() error { return s.Pages.Password(w, p) })
	}
	// The current password is checked against the same per-account limit as sign-ins.
	key := "login:acct:" + flows.Digest(user.Email)
	if n, err := s.Store.ThrottleCount(ctx, key, s.Now()); err != nil {
		return fmt.Errorf("read login throttle: %w", err)
	} else if n >= s.Limits.AccountFailures {
		return refuse(flows.MsgThrottled)
	}
	if ok, _, err := s.Hasher.Verify(ctx, current, user.PasswordHash); err != nil || !ok {
		if _, err := s.Store.HitThrottle(ctx, key, s.Limits.Window, s.Now()); err != nil {
			return fmt.Errorf("count password failure: %w", err)
		}
		s.Audit(ctx, r, "password.change_refused", user.ID, "", map[string]string{"reason": "wrong current password"})
		return refuse("password.wrong_current")
	}
	// The one rule for new passwords, shared with the admin's user creation.
	switch err := password.CheckNew(next); {
	case err != nil:
		key, args := password.Explain(err)
		return refuse(s.T(ctx, key, args...))
	case next != r.PostForm.Get("confirm_password"):
		return refuse("password.mismatch")
	case next == current:
		return refuse("password.same")
	}
	hash, err := s.Hasher.Hash(ctx, next)
	if err != nil {
		return refuse("password.unusable")
	}
	user.PasswordHash, user.UpdatedAt = hash, s.Now().UTC()
	if err := s.Store.UpdateUser(ctx, user); err != nil {
		return fmt.Errorf("save password: %w", err)
	}
	if err := s.EndPasswordAccess(ctx, w, r, user.ID); err != nil {
		return err
	}
	s.Audit(ctx, r, "password.changed", user.ID, "", nil)
	s.Notify(r, user.ID, "password.changed")
	done := templates.MessagePage{
		Page: s.Page(ctx, "password.changed"), Heading: "password.changed", Kind: templates.MessageSuccess,
		Message: "password.changed_message",
		LinkURL: flows.PathAccount, LinkLabel: "password.sign_in_again",
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, done) })
}
