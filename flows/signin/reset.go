package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Reset two-step verification (MFA-10), from the challenge page of a sign-in whose
// password is proven: with a recovery code, or by a link emailed to the account's
// address that must be opened and confirmed. Either way every second factor of
// the user is removed (apps, keys, phone, recovery codes, remembered devices and
// trusted addresses), every session of the user ends, the user is told by email,
// and the sign-in (marked Reset) asks the policy again: it offers the set-up of a
// new factor at once ("Later" goes on at the password level), or, where the
// client or the organisation requires a second factor, goes through enrolment.
// The sign-in's own session is made after the reset, so it lives on. The reset
// itself proves nothing, so it never raises the acr.

func resetKey(f flows.Flow) string { return "reset:flow:" + f.ID }

func (s *Handlers) resetPage(ctx context.Context, f flows.Flow) (templates.ResetPage, error) {
	p := templates.ResetPage{
		Page: s.Page(ctx, "challenge.reset"), FlowID: f.ID,
		RecoveryAction: s.Path(PathResetRecovery),
		BackURL:        s.Path(PathChallenge) + "?flow=" + url.QueryEscape(f.ID),
	}
	_, unused, err := s.Recovery.Remaining(ctx, f.UserID)
	if err != nil {
		return p, fmt.Errorf("count recovery codes: %w", err)
	}
	p.HasRecoveryCodes = unused > 0
	if s.EmailCodes != nil {
		p.EmailAction = s.Path(PathResetEmail)
	}
	return p, nil
}

func (s *Handlers) renderReset(w http.ResponseWriter, status int, p templates.ResetPage) error {
	return s.Render(w, status, func() error { return s.Pages.Reset2FA(w, p) })
}

// resetFlow loads the flow of a reset form: a sign-in waiting for its second factor.
func (s *Handlers) resetFlow(r *http.Request) (flows.Flow, flows.Result, bool, error) {
	f, res, ok, err := s.FlowAt(r, flows.StateSecondFactor)
	if ok && f.KindOf() == flows.KindAccount {
		return f, res, false, flows.UserError(http.StatusBadRequest, "reset.not_here_heading", "reset.not_here", nil)
	}
	return f, res, ok, err
}

// ResetPage offers the ways to reset two-step verification.
func (s *Handlers) ResetPage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, err := s.LoadFlow(ctx, r, r.URL.Query().Get("flow"))
	if err != nil {
		return flows.Result{}, err
	}
	// Done already (the emailed link was confirmed elsewhere): go on.
	if !f.Is(flows.StateSecondFactor) || f.KindOf() == flows.KindAccount || f.Reset {
		return flows.RedirectTo(s.StepURL(f)), nil
	}
	p, err := s.resetPage(ctx, f)
	if err != nil {
		return flows.Result{}, err
	}
	if r.URL.Query().Get("sent") == "1" {
		st, err := s.EmailCodes.Status(ctx, resetKey(f))
		if err != nil {
			return flows.Result{}, err
		}
		p.EmailSent, p.EmailMasked = st.Live, maskEmail(st.Sent.Destination)
		p.ContinueURL = p.BackURL // the challenge goes on once the link was confirmed
	}
	return flows.Result{}, s.renderReset(w, http.StatusOK, p)
}

// ResetRecovery resets two-step verification with a recovery code. Attempts count
// against the same per-user and per-address limits as the challenge.
func (s *Handlers) ResetRecovery(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.resetFlow(r)
	if !ok {
		return res, err
	}
	p, err := s.resetPage(ctx, f)
	if err != nil {
		return flows.Result{}, err
	}
	throttled, ipKey, err := s.countCodeAttempt(ctx, r, f, nil, "reset")
	if err != nil {
		return flows.Result{}, err
	}
	if throttled {
		p.Error = flows.MsgCodeThrottled
		return flows.Result{}, s.renderReset(w, http.StatusTooManyRequests, p)
	}
	if err := s.Recovery.Use(ctx, f.UserID, r.PostForm.Get("code")); err != nil {
		if flows.CodeMessage(flows.MethodRecovery, err) == "" {
			return flows.Result{}, fmt.Errorf("use recovery code: %w", err)
		}
		if _, err := s.Store.HitThrottle(ctx, ipKey, s.Limits.Window, s.Now()); err != nil {
			return flows.Result{}, fmt.Errorf("count second-factor failure: %w", err)
		}
		s.Audit(ctx, r, "factor.failure", f.UserID, f.ClientID, map[string]string{"factor": "recovery", "purpose": "reset", "reason": err.Error()})
		p.Error = flows.MsgWrongRecovery
		return flows.Result{}, s.renderReset(w, http.StatusUnauthorized, p)
	}
	if err := s.Store.ResetThrottle(ctx, "2fa:user:"+f.UserID); err != nil {
		return flows.Result{}, fmt.Errorf("reset second-factor throttle: %w", err)
	}
	if err := s.resetSecondFactors(ctx, r, f.UserID, f.ClientID, "recovery code"); err != nil {
		return flows.Result{}, err
	}
	f.Reset = true // the policy offers the set-up next
	return s.Proceed(ctx, w, r, f, nil)
}

// ResetEmail emails a reset link for the flow's user.
func (s *Handlers) ResetEmail(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.resetFlow(r)
	if !ok {
		return res, err
	}
	if s.EmailCodes == nil {
		return flows.Result{}, flows.UserError(http.StatusNotFound, "msg.not_available_heading", "reset.no_email", nil)
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return flows.Result{}, fmt.Errorf("load user: %w", err)
	}
	p, err := s.resetPage(ctx, f)
	if err != nil {
		return flows.Result{}, err
	}
	token, err := s.EmailCodes.IssueLink(ctx, resetKey(f), f.UserID, user.Email)
	switch {
	case errors.Is(err, factor.ErrResendTooSoon):
		p.Error = msgDeviceWait
	case errors.Is(err, factor.ErrDailyCap):
		p.Error = msgDeviceCap
	case err != nil:
		return flows.Result{}, err
	}
	if p.Error != "" {
		return flows.Result{}, s.renderReset(w, http.StatusTooManyRequests, p)
	}
	link := s.BaseURL + s.Path(PathResetConfirm) + "?" + url.Values{"flow": {f.ID}, "token": {token}}.Encode()
	mailCtx := s.BrandFor(ctx, user) // the email is the user's, in their organisation's brand
	text := s.T(mailCtx, "mail.reset_2fa.text", "Product", s.Product(mailCtx), "Link", link, "Minutes", int(s.EmailCodes.TTL.Minutes()))
	if err := s.Mail.Send(mailCtx, email.Message{To: user.Email, Subject: s.T(ctx, "mail.reset_2fa.subject"), Text: text}); err != nil {
		s.Log.ErrorContext(ctx, "reset email not sent", "user_id", f.UserID, "error", err)
		p.Error = msgDeviceNotSent
		return flows.Result{}, s.renderReset(w, http.StatusServiceUnavailable, p)
	}
	s.Audit(ctx, r, "mfa.reset_requested", f.UserID, f.ClientID, nil)
	return flows.RedirectTo(s.Path(PathReset) + "?flow=" + url.QueryEscape(f.ID) + "&sent=1"), nil
}

var errResetLinkGone = flows.UserError(http.StatusBadRequest, "msg.link_gone_heading",
	"reset.link_gone", nil)

// resetLinkFlow is the live sign-in an emailed reset link belongs to. The link may
// be opened in any browser: the token, not the cookie, is what counts.
func (s *Handlers) resetLinkFlow(ctx context.Context, id string) (flows.Flow, error) {
	rec, err := s.Store.GetFlow(ctx, id)
	f := flows.Flow{Flow: rec}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!f.Is(flows.StateSecondFactor) || !s.Now().Before(f.ExpiresAt))) {
		return f, errResetLinkGone
	}
	if err != nil {
		return f, fmt.Errorf("load flow: %w", err)
	}
	return f, nil
}

// resetConfirmPage is the emailed link's confirmation for the live flow flowID.
func (s *Handlers) resetConfirmPage(ctx context.Context, flowID, token string) (flows.Flow, templates.ResetConfirmPage, error) {
	f, err := s.resetLinkFlow(ctx, flowID)
	if err != nil {
		return f, templates.ResetConfirmPage{}, err
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return f, templates.ResetConfirmPage{}, fmt.Errorf("load user: %w", err)
	}
	return f, templates.ResetConfirmPage{
		Page: s.Page(ctx, "reset.confirm_heading"), Action: s.Path(PathResetConfirm) + "?flow=" + url.QueryEscape(f.ID),
		Token: token, Email: user.Email,
	}, nil
}

// ResetConfirmPage shows the emailed link's confirmation; opening it changes nothing.
func (s *Handlers) ResetConfirmPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, p, err := s.resetConfirmPage(ctx, r.URL.Query().Get("flow"), r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Reset2FAConfirm(w, p) })
}

// ResetConfirm uses the emailed link and resets two-step verification.
func (s *Handlers) ResetConfirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	f, p, err := s.resetConfirmPage(ctx, r.URL.Query().Get("flow"), r.PostForm.Get("token"))
	if err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "yes" {
		p.Error = "reset.tick"
		return s.Render(w, http.StatusBadRequest, func() error { return s.Pages.Reset2FAConfirm(w, p) })
	}
	if _, err := s.EmailCodes.Check(ctx, resetKey(f), f.UserID, p.Token); err != nil {
		if deviceCodeMessage(err) == "" {
			return err
		}
		s.Audit(ctx, r, "mfa.reset_refused", f.UserID, f.ClientID, map[string]string{"reason": err.Error()})
		return errResetLinkGone
	}
	// The sign-in learns of the reset (the policy offers the set-up next) before
	// anything is removed: a flow that moved on meanwhile loses here, unchanged.
	f.Reset = true
	if err := s.Advance(ctx, &f); err != nil {
		return err
	}
	if err := s.resetSecondFactors(ctx, r, f.UserID, f.ClientID, "email link"); err != nil {
		return err
	}
	// Confirmed in the browser that signs in: the sign-in goes on here, and makes
	// its session now, after the reset ended the old ones. Elsewhere (a phone's
	// mail app) the page says to go back; the waiting page goes on by itself.
	if s.InBrowser(r, f) {
		http.Redirect(w, r, s.StepURL(f), http.StatusSeeOther)
		return nil
	}
	p.Done = true
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Reset2FAConfirm(w, p) })
}

// resetSecondFactors removes every second factor of the user and what stood in
// for one, then tells the user.
func (s *Handlers) resetSecondFactors(ctx context.Context, r *http.Request, userID, clientID, via string) error {
	if err := s.RemoveSecondFactors(ctx, userID); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	// Sessions hold proofs of the removed factors, which would still meet a
	// multi-factor request: end them. This sign-in makes a new one from its own proofs.
	if err := s.EndSessions(ctx, userID, ""); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	s.Audit(ctx, r, "mfa.reset", userID, clientID, map[string]string{"via": via})
	s.Notify(r, userID, "2fa.reset")
	return nil
}
