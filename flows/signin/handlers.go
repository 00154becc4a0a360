package signin

import (
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/password"
)

// Paths of the sign-in pages, relative to the issuer.
const (
	PathLogin               = "/login"
	PathPasskeyOptions      = "/login/passkey/options"
	PathPasskey             = "/login/passkey"
	PathChallenge           = "/challenge"
	PathChallengeWebAuthn   = "/challenge/webauthn"
	PathChallengeSMS        = "/challenge/sms"
	PathConfirmDevice       = "/login/confirm-device"
	PathConfirmDeviceResend = "/login/confirm-device/resend"
	PathConfirmDeviceLink   = "/login/confirm-device/link"
	PathReset               = "/challenge/reset"
	PathResetRecovery       = "/challenge/reset/recovery"
	PathResetEmail          = "/challenge/reset/email"
	PathResetConfirm        = "/reset-2fa"
)

// Handlers are the sign-in steps: the password (or a passkey), the second factor,
// the new-device confirmation and the two-step verification reset.
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store    Store
	Hasher   *password.Hasher
	TOTP     *factor.TOTP
	Recovery *factor.Recovery
	// WebAuthn is nil when the issuer cannot be a relying party (an IP address).
	WebAuthn *factor.WebAuthn
}

// Routes are the sign-in pages.
func (s *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return []flows.Route{
		{Method: get, Path: PathLogin, States: []flows.State{flows.StateLogin}, Show: s.showLogin},
		{Method: post, Path: PathLogin, Step: s.LoginSubmit},
		{Method: post, Path: PathPasskeyOptions, Page: s.PasskeyOptions},
		{Method: post, Path: PathPasskey, Step: s.PasskeySubmit},
		{Method: get, Path: PathChallenge, States: []flows.State{flows.StateSecondFactor}, Step: s.ChallengePage},
		{Method: post, Path: PathChallenge, Step: s.ChallengeSubmit},
		{Method: post, Path: PathChallengeWebAuthn, Page: s.ChallengeWebAuthnOptions},
		{Method: post, Path: PathChallengeSMS, Step: s.ChallengeSMSSend},
		{Method: get, Path: PathConfirmDevice, States: []flows.State{flows.StateConfirmDevice, flows.StateDeviceConfirmed}, Step: s.ConfirmDevicePage, Enter: s.startDeviceConfirmation},
		{Method: post, Path: PathConfirmDevice, Step: s.ConfirmDeviceSubmit},
		{Method: post, Path: PathConfirmDeviceResend, Step: s.ConfirmDeviceResend},
		{Method: get, Path: PathConfirmDeviceLink, Page: s.ConfirmDeviceLinkPage},
		{Method: post, Path: PathConfirmDeviceLink, Step: s.ConfirmDeviceLinkSubmit},
		{Method: get, Path: PathReset, Step: s.ResetPage},
		{Method: post, Path: PathResetRecovery, Step: s.ResetRecovery},
		{Method: post, Path: PathResetEmail, Step: s.ResetEmail},
		{Method: get, Path: PathResetConfirm, Page: s.ResetConfirmPage},
		{Method: post, Path: PathResetConfirm, Page: s.ResetConfirm},
	}
}
