package flows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Stages of the phone-number form.
const (
	stageNumber = "number"
	stageCode   = "code"
)

// phonePage is the phone-number form for the user at a stage.
func (s *Service) phonePage(ctx context.Context, user storage.User, stage string, primary bool) (templates.PhoneEnrolPage, error) {
	p := templates.PhoneEnrolPage{
		Page:         s.page("Set up text message codes"),
		Action:       s.Paths.AccountPhone,
		Stage:        stage,
		Countries:    countryChoices(),
		Country:      "US",
		Primary:      primary,
		ResendAction: s.Paths.AccountPhoneResend,
		ChangeURL:    s.Paths.AccountPhone + "?change=1",
		CancelURL:    s.Paths.Account,
	}
	others, err := s.SecondFactors(ctx, user.ID)
	if err != nil {
		return p, err
	}
	// Main or backup is a choice only beside another method.
	for _, m := range others {
		if m != factor.AMRSMS {
			p.ShowMode = true
		}
	}
	if stage == stageCode {
		rec, sent, err := s.SMSCodes.Sent(ctx, phoneKey(user.ID))
		if err != nil {
			return p, err
		}
		if !sent {
			p.Stage = stageNumber
			return p, nil
		}
		p.PhoneMasked = sms.Mask(rec.Destination)
		wait, err := s.SMSCodes.Wait(ctx, phoneKey(user.ID))
		if err != nil {
			return p, err
		}
		p.ResendWait = int(math.Ceil(wait.Seconds()))
	}
	return p, nil
}

func (s *Service) renderPhone(w http.ResponseWriter, status int, p templates.PhoneEnrolPage) error {
	return s.render(w, status, func() error { return s.Pages.PhoneEnrol(w, p) })
}

// AccountPhonePage shows the phone-number form: the number, or the code once one
// was sent (until the user asks to change the number).
func (s *Service) AccountPhonePage(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return errNoSMS
	}
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	q := r.URL.Query()
	stage := stageNumber
	if q.Get("change") != "1" {
		stage = stageCode
	}
	p, err := s.phonePage(r.Context(), user, stage, q.Get("mode") != "backup")
	if err != nil {
		return err
	}
	p.Notice = smsNotices[q.Get("notice")]
	return s.renderPhone(w, http.StatusOK, p)
}

var errNoSMS = UserError(http.StatusNotFound, "Text messages are not available",
	"This service does not send text messages. Use an authenticator app or a security key.", nil)

// AccountPhoneSubmit takes the number (and texts it a code) or the code (and
// saves the number it proved). A number is stored only once a code sent to it was
// entered, so nobody can point codes at a number they do not hold.
func (s *Service) AccountPhoneSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return errNoSMS
	}
	ctx := r.Context()
	sess, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return UserError(http.StatusBadRequest, "Bad request", "The form could not be read.", err)
	}
	primary := r.PostForm.Get("mode") != "backup"
	mode := "primary"
	if !primary {
		mode = "backup"
	}
	if r.PostForm.Get("stage") != stageCode {
		p, err := s.phonePage(ctx, user, stageNumber, primary)
		if err != nil {
			return err
		}
		p.Country, p.National = r.PostForm.Get("country"), r.PostForm.Get("national")
		number, err := sms.Normalize(p.Country, p.National)
		if errors.Is(err, sms.ErrInvalidNumber) {
			p.Error = msgPhoneNumber
			return s.renderPhone(w, http.StatusBadRequest, p)
		}
		if err != nil {
			return err
		}
		refusal, err := s.sendCode(ctx, r, phoneKey(user.ID), user.ID, "", number)
		if err != nil {
			return err
		}
		if refusal != "" {
			p.Error = refusal
			return s.renderPhone(w, sendRefusalStatus(refusal), p)
		}
		http.Redirect(w, r, s.Paths.AccountPhone+"?notice=sent&mode="+mode, http.StatusSeeOther)
		return nil
	}

	p, err := s.phonePage(ctx, user, stageCode, primary)
	if err != nil {
		return err
	}
	rec, err := s.SMSCodes.Check(ctx, phoneKey(user.ID), user.ID, r.PostForm.Get("code"))
	if msg := smsMessage(err); msg != "" {
		s.audit(ctx, r, "factor.failure", user.ID, "", map[string]string{"factor": "sms", "reason": err.Error()})
		p.Error = msg
		return s.renderPhone(w, http.StatusUnauthorized, p)
	}
	if err != nil {
		return err
	}
	had, err := s.SecondFactors(ctx, user.ID)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	if err := s.Store.SetPhoneNumber(ctx, storage.PhoneNumber{
		UserID: user.ID, E164: rec.Destination, Primary: primary || !p.ShowMode, VerifiedAt: now,
	}); err != nil {
		return fmt.Errorf("save phone number: %w", err)
	}
	s.audit(ctx, r, "phone.verified", user.ID, "", map[string]string{"to": sms.Mask(rec.Destination), "mode": mode})
	if len(had) == 0 {
		s.notify(r, user.ID, "2fa.on.sms")
	} else {
		s.notify(r, user.ID, "phone.added")
	}
	if err := s.afterSecondFactor(ctx, w, r, user.ID, "", false); err != nil {
		return err
	}
	// The code just entered proves the phone now, so the account page that follows
	// does not ask for a second factor again.
	if _, err := s.upgradeSession(ctx, w, r, user.ID, &sess, []storage.FactorProof{{Method: factor.AMRSMS, At: now}}); err != nil {
		return err
	}
	total, _, err := s.Recovery.Remaining(ctx, user.ID)
	if err != nil {
		return err
	}
	if total == 0 {
		return s.showAccountCodes(w, r, user, "", "phone-added")
	}
	http.Redirect(w, r, s.Paths.Account+"?done=phone-added", http.StatusSeeOther)
	return nil
}

// AccountPhoneResend texts a new code to the number being set up.
func (s *Service) AccountPhoneResend(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return errNoSMS
	}
	ctx := r.Context()
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	rec, err := s.Store.GetOneTimeCode(ctx, phoneKey(user.ID))
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, s.Paths.AccountPhone+"?change=1", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load pending number: %w", err)
	}
	refusal, err := s.sendCode(ctx, r, phoneKey(user.ID), user.ID, "", rec.Destination)
	if err != nil {
		return err
	}
	// The mode chosen with the number comes along in the resend form.
	mode := r.FormValue("mode")
	if refusal == "" {
		http.Redirect(w, r, s.Paths.AccountPhone+"?notice=sent&mode="+url.QueryEscape(mode), http.StatusSeeOther)
		return nil
	}
	p, err := s.phonePage(ctx, user, stageCode, mode != "backup")
	if err != nil {
		return err
	}
	p.Error = refusal
	return s.renderPhone(w, sendRefusalStatus(refusal), p)
}

// AccountPhoneRemove removes the user's phone number.
func (s *Service) AccountPhoneRemove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	err = s.Store.DeletePhoneNumber(ctx, user.ID)
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, s.Paths.Account, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove phone number: %w", err)
	}
	s.audit(ctx, r, "phone.removed", user.ID, "", nil)
	if left, err := s.SecondFactors(ctx, user.ID); err == nil && len(left) == 0 {
		s.notify(r, user.ID, "2fa.off")
	} else {
		s.notify(r, user.ID, "phone.removed")
	}
	http.Redirect(w, r, s.Paths.Account+"?done=phone-removed", http.StatusSeeOther)
	return nil
}
