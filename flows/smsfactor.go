package flows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/templates"
)

// smsNotices are the only notices the challenge page shows after a send; the
// query names one, so no text comes from the address.
var smsNotices = map[string]string{
	"sent": "We sent a code. It works for 5 minutes.",
}

const (
	msgSMSWait     = "A code was sent moments ago. Wait a little before asking for another."
	msgSMSCap      = "Too many codes were sent today. Use another method, or try again tomorrow."
	msgSMSNotSent  = "We could not send the text message. Try again in a moment, or use another method."
	msgPhoneNumber = "Enter a valid mobile number for the country you chose."
)

// smsKey binds a sign-in code to its flow: a code sent for one sign-in attempt
// matches nothing in another.
func smsKey(f Flow) string { return "sms:flow:" + f.ID }

// smsChallenge fills the SMS part of the challenge page.
func (s *Service) smsChallenge(ctx context.Context, f Flow, p *templates.ChallengePage) error {
	phone, err := s.Store.GetPhoneNumber(ctx, f.UserID)
	if err != nil {
		return fmt.Errorf("load phone number: %w", err)
	}
	p.PhoneMasked = sms.Mask(phone.E164)
	p.SendAction = s.Paths.ChallengeSMS
	st, err := s.SMSCodes.Status(ctx, smsKey(f))
	if err != nil {
		return err
	}
	p.CodeSent, p.ResendWait = st.Live, waitSeconds(st.Wait)
	return nil
}

// waitSeconds is a resend wait in whole seconds, rounded up, for the pages.
func waitSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// sendCode issues a code under key and texts it to the number. It returns what to
// tell the user when the send was refused ("" and nil on success).
func (s *Service) sendCode(ctx context.Context, r *http.Request, key, userID, clientID, number string) (string, error) {
	code, err := s.SMSCodes.Issue(ctx, key, userID, number)
	switch {
	case errors.Is(err, factor.ErrResendTooSoon):
		return msgSMSWait, nil
	case errors.Is(err, factor.ErrDailyCap):
		s.audit(ctx, r, "sms.capped", userID, clientID, map[string]string{"to": sms.Mask(number)})
		return msgSMSCap, nil
	case err != nil:
		return "", err
	}
	text := fmt.Sprintf("%s is your %s verification code. It expires in %d minutes. Never share it.",
		code, s.ProductName, int(s.SMSCodes.TTL.Minutes()))
	if err := s.SMS.Send(ctx, sms.Message{To: number, Text: text}); err != nil {
		s.Log.ErrorContext(ctx, "sms not sent", "to", sms.Mask(number), "error", err)
		// Nothing reached the phone: drop the code, so that no page claims it was
		// sent and no cooldown keeps the user from trying again.
		if err := s.Store.DeleteOneTimeCode(ctx, key); err != nil {
			return "", fmt.Errorf("drop unsent code: %w", err)
		}
		return msgSMSNotSent, nil
	}
	s.audit(ctx, r, "sms.sent", userID, clientID, map[string]string{"to": sms.Mask(number)})
	return "", nil
}

// ChallengeSMSSend texts a sign-in code to the user's number (a first send or a resend).
func (s *Service) ChallengeSMSSend(w http.ResponseWriter, r *http.Request) (Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.flowAt(r, StateSecondFactor)
	if !ok {
		return res, err
	}
	reads, err := s.ReadFlowUser(ctx, f)
	if err != nil {
		return Result{}, err
	}
	methods, err := s.challengeMethods(ctx, r, f, reads)
	if err != nil {
		return Result{}, err
	}
	if chosenMethod(methodSMS, methods) != methodSMS {
		return Result{}, UserError(http.StatusBadRequest, "Text messages are not available",
			"Your account has no phone number for this sign-in. Go back and use another method.", nil)
	}
	phone, err := s.Store.GetPhoneNumber(ctx, f.UserID)
	if err != nil {
		return Result{}, fmt.Errorf("load phone number: %w", err)
	}
	refusal, err := s.sendCode(ctx, r, smsKey(f), f.UserID, f.ClientID, phone.E164)
	if err != nil {
		return Result{}, err
	}
	if refusal == "" {
		return RedirectTo(s.Paths.Challenge + "?flow=" + url.QueryEscape(f.ID) + "&method=sms&notice=sent"), nil
	}
	page, err := s.challengePage(ctx, f, methodSMS, methods)
	if err != nil {
		return Result{}, err
	}
	page.Error = refusal
	return Result{}, s.renderChallenge(w, sendRefusalStatus(refusal), page)
}

// sendRefusalStatus is the HTTP status of a refused send: the gateway failing is
// not the user's doing.
func sendRefusalStatus(msg string) int {
	if msg == msgSMSNotSent {
		return http.StatusServiceUnavailable
	}
	return http.StatusTooManyRequests
}

// verifySMS checks a code texted for this flow and notes the number's use.
func (s *Service) verifySMS(ctx context.Context, f Flow, code string) error {
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

// sentCodeMessages are what a user reads for a refused code that was sent to them.
type sentCodeMessages struct{ wrong, expired, used, tries, malformed string }

// of is the message for err ("" for a fault, which is not the user's doing).
func (m sentCodeMessages) of(err error) string {
	switch {
	case errors.Is(err, factor.ErrCodeExpired):
		return m.expired
	case errors.Is(err, factor.ErrCodeUsed):
		return m.used
	case errors.Is(err, factor.ErrTooManyAttempts):
		return m.tries
	case errors.Is(err, factor.ErrMalformedCode):
		return m.malformed
	case errors.Is(err, factor.ErrWrongCode):
		return m.wrong
	}
	return ""
}

var smsCodeMessages = sentCodeMessages{wrong: msgWrongSMS, expired: msgExpiredSMS, used: msgUsedSMS,
	tries: msgSMSAttempts, malformed: msgMalformedSMS}

// smsMessage is what the user reads for a refused text-message code ("" for a fault).
func smsMessage(err error) string { return smsCodeMessages.of(err) }

// countryChoices lists the countries for the number form.
func countryChoices() []templates.Country {
	var out []templates.Country
	for _, c := range sms.Countries() {
		out = append(out, templates.Country{ISO: c.ISO, Name: c.Name, Dial: c.Prefix})
	}
	return out
}
