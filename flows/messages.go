package flows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
)

// Second-factor methods on the challenge page.
const (
	MethodTOTP     = "totp"
	MethodRecovery = "recovery"
	MethodSMS      = "sms"
)

// Messages for codes, as keys of the message catalogues (package i18n), which
// the pages translate. A wrong code and a used one say different things: the
// user can act on the difference, and the code's owner learns nothing new from it.
const (
	msgWrongCode     = "code.wrong"
	msgUsedCode      = "code.used"
	msgExpiredCode   = "code.expired"
	msgMalformedCode = "code.malformed"
	MsgWrongRecovery = "code.wrong_recovery"
	MsgCodeThrottled = "code.throttled"
	msgWrongSMS      = "code.wrong_sms"
	msgExpiredSMS    = "code.expired_sms"
	msgUsedSMS       = "code.used_sms"
	msgSMSAttempts   = "code.sms_attempts"
	msgMalformedSMS  = "code.malformed_sms"
)

// CodeMessage is what the user reads for a refused code ("" for a server fault).
func CodeMessage(method string, err error) string {
	switch {
	case method == MethodWebAuthn:
		return WebAuthnMessage(err)
	case method == MethodSMS:
		return SMSMessage(err)
	case method == MethodRecovery && (errors.Is(err, factor.ErrWrongCode) || errors.Is(err, factor.ErrCodeUsed) || errors.Is(err, factor.ErrMalformedCode)):
		return MsgWrongRecovery
	case errors.Is(err, factor.ErrCodeExpired):
		return msgExpiredCode
	case errors.Is(err, factor.ErrCodeUsed):
		return msgUsedCode
	case errors.Is(err, factor.ErrMalformedCode):
		return msgMalformedCode
	case errors.Is(err, factor.ErrWrongCode), errors.Is(err, factor.ErrNoDevice):
		return msgWrongCode
	}
	return ""
}

// SMSNotices are the only notices the challenge page shows after a send; the
// query names one, so no text comes from the address.
var SMSNotices = map[string]string{
	"sent": "code.sms_sent",
}

const (
	msgSMSWait    = "code.sms_wait"
	msgSMSCap     = "code.sms_cap"
	msgSMSNotSent = "code.sms_not_sent"
)

// WaitSeconds is a resend wait in whole seconds, rounded up, for the pages.
func WaitSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// SendSMSCode issues a code under key and texts it to the number. It returns what to
// tell the user when the send was refused ("" and nil on success).
func (s *Core) SendSMSCode(ctx context.Context, r *http.Request, key, userID, clientID, number string) (string, error) {
	code, err := s.SMSCodes.Issue(ctx, key, userID, number)
	switch {
	case errors.Is(err, factor.ErrResendTooSoon):
		return msgSMSWait, nil
	case errors.Is(err, factor.ErrDailyCap):
		s.Audit(ctx, r, "sms.capped", userID, clientID, map[string]string{"to": sms.Mask(number)})
		return msgSMSCap, nil
	case err != nil:
		return "", err
	}
	text := s.T(ctx, "sms.code", "Code", code, "Product", s.ProductName, "Minutes", int(s.SMSCodes.TTL.Minutes()))
	if err := s.SMS.Send(ctx, sms.Message{To: number, Text: text}); err != nil {
		s.Log.ErrorContext(ctx, "sms not sent", "to", sms.Mask(number), "error", err)
		// Nothing reached the phone: drop the code, so that no page claims it was
		// sent and no cooldown keeps the user from trying again.
		if err := s.Store.DeleteOneTimeCode(ctx, key); err != nil {
			return "", fmt.Errorf("drop unsent code: %w", err)
		}
		return msgSMSNotSent, nil
	}
	s.Audit(ctx, r, "sms.sent", userID, clientID, map[string]string{"to": sms.Mask(number)})
	return "", nil
}

// SendRefusalStatus is the HTTP status of a refused send: the gateway failing is
// not the user's doing.
func SendRefusalStatus(msg string) int {
	if msg == msgSMSNotSent {
		return http.StatusServiceUnavailable
	}
	return http.StatusTooManyRequests
}

// SentCodeMessages are what a user reads for a refused code that was sent to them.
type SentCodeMessages struct{ Wrong, Expired, Used, Tries, Malformed string }

// Of is the message for err ("" for a fault, which is not the user's doing).
func (m SentCodeMessages) Of(err error) string {
	switch {
	case errors.Is(err, factor.ErrCodeExpired):
		return m.Expired
	case errors.Is(err, factor.ErrCodeUsed):
		return m.Used
	case errors.Is(err, factor.ErrTooManyAttempts):
		return m.Tries
	case errors.Is(err, factor.ErrMalformedCode):
		return m.Malformed
	case errors.Is(err, factor.ErrWrongCode):
		return m.Wrong
	}
	return ""
}

var smsCodeMessages = SentCodeMessages{Wrong: msgWrongSMS, Expired: msgExpiredSMS, Used: msgUsedSMS,
	Tries: msgSMSAttempts, Malformed: msgMalformedSMS}

// SMSMessage is what the user reads for a refused text-message code ("" for a fault).
func SMSMessage(err error) string { return smsCodeMessages.Of(err) }

const MethodWebAuthn = "webauthn"

// ErrNoWebAuthn answers the security-key endpoints when this server has none (its
// issuer is an IP address, which WebAuthn does not allow as a relying party).
var ErrNoWebAuthn = UserError(http.StatusNotFound, "flow.no_keys_heading", "flow.no_keys_message", nil)

// WebAuthnUser is how a user appears to authenticators.
func WebAuthnUser(u storage.User) factor.UserInfo {
	name := u.Email
	if full := u.GivenName + " " + u.FamilyName; u.GivenName != "" {
		name = full
	}
	return factor.UserInfo{ID: u.ID, Email: u.Email, DisplayName: name}
}

// WebAuthnMessage is what the user reads when a key was refused ("" for a server fault).
func WebAuthnMessage(err error) string {
	for _, e := range []error{factor.ErrChallengeUsed, factor.ErrInvalidResponse, factor.ErrUserPresenceRequired,
		factor.ErrUserVerificationRequired, factor.ErrWrongCredential, factor.ErrCounterRegressed, factor.ErrNoCredential} {
		if errors.Is(err, e) {
			return "code.key_refused"
		}
	}
	return ""
}

var ErrNoSMS = UserError(http.StatusNotFound, "challenge.no_sms_heading", "flow.no_sms_message", nil)

// MsgThrottled is what a user reads when the password was tried too often.
const MsgThrottled = "code.signin_throttled"
