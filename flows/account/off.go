package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// PathAccountTurnOff turns two-step verification off (ACC-4).
const PathAccountTurnOff = "/account/two-step/off"

// turnOffPage lists everything turning two-step verification off removes, or
// says why the organisation does not allow it.
func (s *Handlers) turnOffPage(ctx context.Context, sess storage.Session, user storage.User) (templates.TurnOffPage, error) {
	p := templates.TurnOffPage{Page: s.Page(ctx, "turnoff.title"), Action: s.Path(PathAccountTurnOff),
		CancelURL: s.Path(flows.PathAccount)}
	if s.CompanyRules != nil {
		rule, err := s.CompanyRules.RuleFor(ctx, user)
		if err != nil {
			return p, fmt.Errorf("organisation's rule: %w", err)
		}
		if rule.Covered {
			p.Refused = true
			if !rule.Deadline.IsZero() {
				p.Deadline = s.Date(ctx, rule.Deadline.UTC())
			}
			return p, nil
		}
	}
	devices, err := s.TOTP.Devices(ctx, user.ID)
	if err != nil {
		return p, err
	}
	for _, d := range devices {
		p.Apps = append(p.Apps, d.Name)
	}
	if s.WebAuthn != nil {
		keys, err := s.WebAuthn.Credentials(ctx, user.ID)
		if err != nil {
			return p, err
		}
		for _, k := range keys {
			p.Keys = append(p.Keys, k.Name)
		}
	}
	phone, err := s.Store.GetPhoneNumber(ctx, user.ID)
	switch {
	case err == nil:
		p.Phone = sms.Mask(phone.E164)
	case !errors.Is(err, storage.ErrNotFound):
		return p, fmt.Errorf("load phone: %w", err)
	}
	if _, p.RecoveryUnused, err = s.Recovery.Remaining(ctx, user.ID); err != nil {
		return p, err
	}
	trusts, err := s.Store.ListTrusts(ctx, user.ID)
	if err != nil {
		return p, fmt.Errorf("list trusts: %w", err)
	}
	for _, t := range trusts {
		switch t.Kind {
		case storage.TrustRememberedDevice:
			p.RememberedDevices++
		case storage.TrustAddress:
			p.TrustedAddresses++
		}
	}
	sessions, err := s.Store.ListSessionsByUser(ctx, user.ID)
	if err != nil {
		return p, fmt.Errorf("list sessions: %w", err)
	}
	for _, o := range sessions {
		if o.ID != sess.ID {
			p.OtherSessions++
		}
	}
	return p, nil
}

func (s *Handlers) renderTurnOff(w http.ResponseWriter, status int, p templates.TurnOffPage) error {
	return s.Render(w, status, func() error { return s.Pages.TurnOff(w, p) })
}

// AccountTurnOffPage asks before turning two-step verification off.
func (s *Handlers) AccountTurnOffPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	if on, err := s.SecondFactors(ctx, user.ID); err != nil || len(on) == 0 {
		if err == nil {
			http.Redirect(w, r, s.Path(flows.PathAccount), http.StatusSeeOther)
		}
		return err
	}
	p, err := s.turnOffPage(ctx, sess, user)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p.Refused {
		status = http.StatusForbidden
	}
	return s.renderTurnOff(w, status, p)
}

// AccountTurnOff removes every second factor of the user and what stood in for
// one, ends the user's other sessions and takes the removed factors' proofs out of
// this one; only with the box ticked, and never when the organisation requires
// two-step verification.
func (s *Handlers) AccountTurnOff(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	p, err := s.turnOffPage(ctx, sess, user)
	if err != nil {
		return err
	}
	if p.Refused {
		s.Audit(ctx, r, "mfa.turn_off_refused", user.ID, "", map[string]string{"reason": "organisation"})
		return s.renderTurnOff(w, http.StatusForbidden, p)
	}
	if r.PostForm.Get("confirm") != "yes" {
		p.Error = "turnoff.tick"
		return s.renderTurnOff(w, http.StatusBadRequest, p)
	}
	if err := s.RemoveSecondFactors(ctx, user.ID); err != nil {
		return err
	}
	if err := s.EndSessions(ctx, user.ID, sess.ID); err != nil {
		return err
	}
	if err := s.forgetProofs(ctx, user.ID, secondFactorProofs); err != nil {
		return err
	}
	s.Audit(ctx, r, "mfa.turned_off", user.ID, "", map[string]string{
		"apps": fmt.Sprint(len(p.Apps)), "keys": fmt.Sprint(len(p.Keys)), "phone": fmt.Sprint(p.Phone != ""),
		"sessions_ended": fmt.Sprint(p.OtherSessions)})
	s.Notify(r, user.ID, "2fa.turned_off")
	s.redirectDone(w, r, "turned-off")
	return nil
}
