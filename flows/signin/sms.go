package signin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/templates"
)

// smsChallenge fills the SMS part of the challenge page.
func (s *Handlers) smsChallenge(ctx context.Context, f flows.Flow, p *templates.ChallengePage) error {
	phone, err := s.Store.GetPhoneNumber(ctx, f.UserID)
	if err != nil {
		return fmt.Errorf("load phone number: %w", err)
	}
	p.PhoneMasked = sms.Mask(phone.E164)
	p.SendAction = s.Path(PathChallengeSMS)
	st, err := s.SMSCodes.Status(ctx, smsKey(f))
	if err != nil {
		return err
	}
	p.CodeSent, p.ResendWait = st.Live, flows.WaitSeconds(st.Wait)
	return nil
}

// ChallengeSMSSend texts a sign-in code to the user's number (a first send or a resend).
func (s *Handlers) ChallengeSMSSend(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ch, res, ok, err := s.challenge(r)
	if !ok {
		return res, err
	}
	ctx, f, methods := r.Context(), ch.flow, ch.methods
	if chosenMethod(flows.MethodSMS, methods) != flows.MethodSMS {
		return flows.Result{}, flows.UserError(http.StatusBadRequest, "challenge.no_sms_heading", "challenge.no_sms_message", nil)
	}
	phone, err := s.Store.GetPhoneNumber(ctx, f.UserID)
	if err != nil {
		return flows.Result{}, fmt.Errorf("load phone number: %w", err)
	}
	refusal, err := s.SendSMSCode(ctx, r, smsKey(f), f.UserID, f.ClientID, phone.E164)
	if err != nil {
		return flows.Result{}, err
	}
	if refusal == "" {
		return flows.RedirectTo(s.Path(PathChallenge) + "?flow=" + url.QueryEscape(f.ID) + "&method=sms&notice=sent"), nil
	}
	page, err := s.challengePage(ctx, f, flows.MethodSMS, methods)
	if err != nil {
		return flows.Result{}, err
	}
	page.Error = refusal
	return flows.Result{}, s.renderChallenge(w, flows.SendRefusalStatus(refusal), page)
}

// verifySMS checks a code texted for this flow and notes the number's use.
func (s *Handlers) verifySMS(ctx context.Context, f flows.Flow, code string) error {
	if _, err := s.SMSCodes.Check(ctx, smsKey(f), f.UserID, code); err != nil {
		return err
	}
	phone, err := s.Store.GetPhoneNumber(ctx, f.UserID)
	if err != nil {
		return fmt.Errorf("load phone number: %w", err)
	}
	phone.LastUsedAt = s.Now().UTC()
	if err := s.Store.SetPhoneNumber(ctx, phone); err != nil {
		return fmt.Errorf("note phone use: %w", err)
	}
	return nil
}

// smsKey binds a sign-in code to its flow: a code sent for one sign-in attempt
// matches nothing in another.
func smsKey(f flows.Flow) string { return "sms:flow:" + f.ID }
