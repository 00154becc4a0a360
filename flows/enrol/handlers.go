package enrol

import (
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
)

// PathProtect is the "Protect your account" interrupt of a sign-in.
const PathProtect = "/enrol/protect"

// Handlers run the set-up wizard (ACC-3) — from the account page, and in a
// sign-in that needs a second factor — and the sign-in's "Protect your account"
// interrupt, and hold the set-up pieces the account pages share (ConfirmTOTP,
// the phone form).
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store    Store
	TOTP     *factor.TOTP
	Recovery *factor.Recovery
	// Sealer encrypts the recovery codes a wizard run keeps for its page.
	Sealer factor.Sealer
}

// Routes are the wizard's pages and the interrupt.
func (s *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return []flows.Route{
		{Method: get, Path: PathProtect, States: []flows.State{flows.StateProtect}, Show: s.showProtect},
		{Method: post, Path: PathProtect, Step: s.ProtectSubmit},
		{Method: get, Path: PathSetup, States: []flows.State{flows.StateEnrol}, Step: s.SetupStart},
		{Method: get, Path: PathSetupApp, Step: s.SetupApp},
		{Method: get, Path: PathSetupQR, Step: s.SetupQR},
		{Method: get, Path: PathSetupVerify, Step: s.SetupVerifyPage},
		{Method: post, Path: PathSetupVerify, Step: s.SetupVerify},
		{Method: get, Path: PathSetupPhone, Step: s.SetupPhonePage},
		{Method: post, Path: PathSetupPhone, Step: s.SetupPhone},
		{Method: post, Path: PathSetupPhoneResend, Step: s.SetupPhoneResend},
		{Method: get, Path: PathSetupCodes, States: []flows.State{flows.StateRecoveryCodes}, Step: s.SetupCodesPage},
		{Method: post, Path: PathSetupCodes, Step: s.SetupCodes},
		{Method: get, Path: PathSetupDone, Step: s.SetupDonePage},
		{Method: post, Path: PathSetupDone, Step: s.SetupDone},
	}
}
