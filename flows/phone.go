package flows

import (
	"context"
	"errors"
	"fmt"
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

var errNoSMS = UserError(http.StatusNotFound, "Text messages are not available",
	"This service does not send text messages. Use an authenticator app or a security key.", nil)

// phoneSetup is where a phone number is being set up: the account page, or a
// sign-in that needs a second factor (flowID set). A number is stored only once a
// code sent to it was entered, so nobody can point codes at a number they do not
// hold; until then it lives only in the pending code's record.
type phoneSetup struct {
	userID, clientID, flowID string
	// key binds the pending code to the account page (per user) or to the sign-in.
	key string
	// form and resend are the paths of the form and of its resend button; cancel
	// is where "Cancel" leads.
	form, resend, cancel string
}

func (s *Service) accountPhone(userID string) phoneSetup {
	return phoneSetup{userID: userID, key: "sms:phone:" + userID,
		form: s.Paths.AccountPhone, resend: s.Paths.AccountPhoneResend, cancel: s.Paths.Account}
}

func (s *Service) enrolPhone(f Flow) phoneSetup {
	return phoneSetup{userID: f.UserID, clientID: f.ClientID, flowID: f.ID, key: "sms:enrol:" + f.ID,
		form: s.Paths.EnrolPhone, resend: s.Paths.EnrolPhoneResend,
		cancel: s.Paths.Enrol + "?flow=" + url.QueryEscape(f.ID)}
}

// formURL is the form's address with q (and the flow) in its query.
func (ps phoneSetup) formURL(q url.Values) string {
	if ps.flowID != "" {
		q.Set("flow", ps.flowID)
	}
	return ps.form + "?" + q.Encode()
}

// phonePage is the phone-number form at a stage: the code stage falls back to the
// number when no live code is pending.
func (s *Service) phonePage(ctx context.Context, ps phoneSetup, stage string, primary bool) (templates.PhoneEnrolPage, error) {
	p := templates.PhoneEnrolPage{
		Page:         s.page("Set up text message codes"),
		Action:       ps.form,
		FlowID:       ps.flowID,
		Stage:        stage,
		Countries:    countryChoices(),
		Country:      "US",
		Primary:      primary,
		ResendAction: ps.resend,
		ChangeURL:    ps.formURL(url.Values{"change": {"1"}}),
		CancelURL:    ps.cancel,
	}
	if ps.flowID != "" {
		p.ClientName = s.clientName(ctx, ps.clientID)
		p.Steps = phoneSteps(stage)
	}
	others, err := s.SecondFactors(ctx, ps.userID)
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
		st, err := s.SMSCodes.Status(ctx, ps.key)
		if err != nil {
			return p, err
		}
		if !st.Live {
			p.Stage, p.Steps = stageNumber, phoneSteps(stageNumber)
			if ps.flowID == "" {
				p.Steps = nil
			}
			return p, nil
		}
		p.PhoneMasked, p.ResendWait = sms.Mask(st.Sent.Destination), waitSeconds(st.Wait)
	}
	return p, nil
}

// phoneSteps is the sign-in enrolment's progress: number, code, recovery codes.
func phoneSteps(stage string) []templates.Step {
	current := 0
	if stage == stageCode {
		current = 1
	}
	labels := []string{"Phone number", "Verify", "Recovery codes", "Done"}
	steps := make([]templates.Step, len(labels))
	for i, l := range labels {
		steps[i] = templates.Step{Label: l, Done: i < current, Current: i == current}
	}
	return steps
}

func (s *Service) renderPhone(w http.ResponseWriter, status int, p templates.PhoneEnrolPage) error {
	return s.render(w, status, func() error { return s.Pages.PhoneEnrol(w, p) })
}

// showPhone renders the form as a GET shows it: the number, or the code once one
// was sent (until the user asks to change the number).
func (s *Service) showPhone(w http.ResponseWriter, r *http.Request, ps phoneSetup) error {
	q := r.URL.Query()
	stage := stageCode
	if q.Get("change") == "1" {
		stage = stageNumber
	}
	p, err := s.phonePage(r.Context(), ps, stage, q.Get("mode") != "backup")
	if err != nil {
		return err
	}
	p.Notice = smsNotices[q.Get("notice")]
	return s.renderPhone(w, http.StatusOK, p)
}

// postedMode is the main/backup choice the forms carry along.
func postedMode(r *http.Request) (primary bool, mode string) {
	if r.FormValue("mode") == "backup" {
		return false, "backup"
	}
	return true, "primary"
}

// submitPhone handles a posted form. At the number stage it texts a code and
// sends the browser to the code stage; at the code stage it checks the code. Only
// when that proves the number does it return the number (ok); otherwise it has
// answered the browser itself.
func (s *Service) submitPhone(w http.ResponseWriter, r *http.Request, ps phoneSetup) (phone storage.PhoneNumber, ok bool, err error) {
	ctx := r.Context()
	primary, mode := postedMode(r)
	if r.PostForm.Get("stage") != stageCode {
		p, err := s.phonePage(ctx, ps, stageNumber, primary)
		if err != nil {
			return phone, false, err
		}
		p.Country, p.National = r.PostForm.Get("country"), r.PostForm.Get("national")
		number, err := sms.Normalize(p.Country, p.National)
		if errors.Is(err, sms.ErrInvalidNumber) {
			p.Error = msgPhoneNumber
			return phone, false, s.renderPhone(w, http.StatusBadRequest, p)
		}
		if err != nil {
			return phone, false, err
		}
		refusal, err := s.sendCode(ctx, r, ps.key, ps.userID, ps.clientID, number)
		if err != nil {
			return phone, false, err
		}
		if refusal != "" {
			p.Error = refusal
			return phone, false, s.renderPhone(w, sendRefusalStatus(refusal), p)
		}
		http.Redirect(w, r, ps.formURL(url.Values{"notice": {"sent"}, "mode": {mode}}), http.StatusSeeOther)
		return phone, false, nil
	}

	p, err := s.phonePage(ctx, ps, stageCode, primary)
	if err != nil {
		return phone, false, err
	}
	rec, err := s.SMSCodes.Check(ctx, ps.key, ps.userID, r.PostForm.Get("code"))
	if msg := smsMessage(err); msg != "" {
		s.audit(ctx, r, "factor.failure", ps.userID, ps.clientID, map[string]string{"factor": "sms", "reason": err.Error()})
		p.Error = msg
		return phone, false, s.renderPhone(w, http.StatusUnauthorized, p)
	}
	if err != nil {
		return phone, false, err
	}
	had, err := s.SecondFactors(ctx, ps.userID)
	if err != nil {
		return phone, false, err
	}
	phone = storage.PhoneNumber{UserID: ps.userID, E164: rec.Destination, Primary: primary || !p.ShowMode, VerifiedAt: s.Now().UTC()}
	if err := s.Store.SetPhoneNumber(ctx, phone); err != nil {
		return phone, false, fmt.Errorf("save phone number: %w", err)
	}
	s.audit(ctx, r, "phone.verified", ps.userID, ps.clientID, map[string]string{"to": sms.Mask(rec.Destination), "mode": mode})
	if len(had) == 0 {
		s.notify(r, ps.userID, "2fa.on.sms")
	} else {
		s.notify(r, ps.userID, "phone.added")
	}
	if err := s.afterSecondFactor(ctx, w, r, ps.userID, ps.clientID, false); err != nil {
		return phone, false, err
	}
	return phone, true, nil
}

// resendPhone texts a new code to the number being set up.
func (s *Service) resendPhone(w http.ResponseWriter, r *http.Request, ps phoneSetup) error {
	ctx := r.Context()
	rec, err := s.Store.GetOneTimeCode(ctx, ps.key)
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, ps.formURL(url.Values{"change": {"1"}}), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load pending number: %w", err)
	}
	refusal, err := s.sendCode(ctx, r, ps.key, ps.userID, ps.clientID, rec.Destination)
	if err != nil {
		return err
	}
	primary, mode := postedMode(r)
	if refusal == "" {
		http.Redirect(w, r, ps.formURL(url.Values{"notice": {"sent"}, "mode": {mode}}), http.StatusSeeOther)
		return nil
	}
	p, err := s.phonePage(ctx, ps, stageCode, primary)
	if err != nil {
		return err
	}
	p.Error = refusal
	return s.renderPhone(w, sendRefusalStatus(refusal), p)
}

// AccountPhonePage shows the account page's phone-number form.
func (s *Service) AccountPhonePage(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return errNoSMS
	}
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	return s.showPhone(w, r, s.accountPhone(user.ID))
}

// AccountPhoneSubmit takes the account page's number or code.
func (s *Service) AccountPhoneSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return errNoSMS
	}
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	phone, ok, err := s.submitPhone(w, r, s.accountPhone(user.ID))
	if !ok {
		return err
	}
	// The code just entered proves the phone now, so the account page that follows
	// does not ask for a second factor again.
	if _, err := s.upgradeSession(ctx, w, r, user.ID, &sess, []storage.FactorProof{{Method: factor.AMRSMS, At: phone.VerifiedAt}}); err != nil {
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

// AccountPhoneResend texts a new code to the number being set up on the account page.
func (s *Service) AccountPhoneResend(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return errNoSMS
	}
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	return s.resendPhone(w, r, s.accountPhone(user.ID))
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

// enrolPhoneFlow loads the flow of a sign-in enrolment by text message.
func (s *Service) enrolPhoneFlow(r *http.Request) (Flow, Result, bool, error) {
	if s.SMS == nil {
		return Flow{}, Result{}, false, errNoSMS
	}
	return s.flowAt(r, StateEnrol)
}

// EnrolPhonePage shows the phone-number form of a sign-in that needs a second factor.
func (s *Service) EnrolPhonePage(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.enrolPhoneFlow(r)
	if !ok {
		return res, err
	}
	return Result{}, s.showPhone(w, r, s.enrolPhone(f))
}

// EnrolPhoneSubmit takes the number or the code during a sign-in. The proven phone
// counts as this sign-in's second factor (amr sms); the user's first factor comes
// with recovery codes, as with an app.
func (s *Service) EnrolPhoneSubmit(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.enrolPhoneFlow(r)
	if !ok {
		return res, err
	}
	phone, ok, err := s.submitPhone(w, r, s.enrolPhone(f))
	if !ok {
		return Result{}, err
	}
	f.Proven = append(f.Proven, storage.FactorProof{Method: factor.AMRSMS, At: phone.VerifiedAt})
	return s.afterEnrolment(w, r, f)
}

// EnrolPhoneResend texts a new code during a sign-in's enrolment.
func (s *Service) EnrolPhoneResend(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.enrolPhoneFlow(r)
	if !ok {
		return res, err
	}
	return Result{}, s.resendPhone(w, r, s.enrolPhone(f))
}
