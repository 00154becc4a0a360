package enrol

import (
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
)

// Paths of the enrolment pages, relative to the issuer.
const (
	PathEnrol            = "/enrol/totp"
	PathEnrolQR          = "/enrol/totp/qr"
	PathRecoveryCodes    = "/enrol/recovery-codes"
	PathEnrolPhone       = "/enrol/phone"
	PathEnrolPhoneResend = "/enrol/phone/resend"
	PathProtect          = "/enrol/protect"
)

// Handlers set up a second factor during a sign-in that needs one (an
// authenticator app or a phone, then recovery codes), and hold the set-up pieces
// the account pages share (ConfirmTOTP, the phone form).
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store    Store
	TOTP     *factor.TOTP
	Recovery *factor.Recovery
}

// Routes are the enrolment pages.
func (s *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return []flows.Route{
		{Method: get, Path: PathProtect, States: []flows.State{flows.StateProtect}, Show: s.showProtect},
		{Method: post, Path: PathProtect, Step: s.ProtectSubmit},
		{Method: get, Path: PathEnrol, States: []flows.State{flows.StateEnrol}, Step: s.EnrolPage},
		{Method: post, Path: PathEnrol, Step: s.EnrolSubmit},
		{Method: get, Path: PathEnrolQR, Page: s.EnrolQR},
		{Method: get, Path: PathRecoveryCodes, States: []flows.State{flows.StateRecoveryCodes}, Step: s.RecoveryCodesPage},
		{Method: post, Path: PathRecoveryCodes, Step: s.RecoveryCodesSubmit},
		{Method: get, Path: PathEnrolPhone, Step: s.EnrolPhonePage},
		{Method: post, Path: PathEnrolPhone, Step: s.EnrolPhoneSubmit},
		{Method: post, Path: PathEnrolPhoneResend, Step: s.EnrolPhoneResend},
	}
}
