package account

import (
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/enrol"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/templates"
)

// Paths of the account pages, relative to the issuer (the overview is
// flows.PathAccount, where re-verifications return).
const (
	PathAccountRemove        = "/account/totp/remove"
	PathAccountAdd           = "/account/totp/add"
	PathAccountQR            = "/account/totp/qr"
	PathAccountCodes         = "/account/recovery-codes/new"
	PathAccountCodesDone     = "/account/recovery-codes"
	PathAccountKeyOptions    = "/account/webauthn/options"
	PathAccountKeyAdd        = "/account/webauthn/add"
	PathAccountKeyRemove     = "/account/webauthn/remove"
	PathAccountPhone         = "/account/phone"
	PathAccountPhoneResend   = "/account/phone/resend"
	PathAccountPhoneRemove   = "/account/phone/remove"
	PathAccountTrustRemove   = "/account/devices/remove"
	PathAccountForgetDevices = "/account/devices/forget"
	PathAccountSignOutOthers = "/account/sessions/end-others"
	PathAccountEndSession    = "/account/sessions/end"
	PathAccountPassword      = "/account/password"
)

// Handlers are the account's security pages (ACC-1…ACC-7). Every one asks for a
// fresh re-verification first (requireAccount), which runs through the sign-in
// steps as a KindAccount flow.
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store    Store
	Hasher   *password.Hasher
	TOTP     *factor.TOTP
	Recovery *factor.Recovery
	WebAuthn *factor.WebAuthn
	// Enrol holds the set-up pieces shared with the sign-in's enrolment.
	Enrol *enrol.Handlers
}

// Routes are the account pages.
func (s *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return s.UserBrandedRoutes([]flows.Route{
		{Method: get, Path: flows.PathAccount, Page: s.areaPage("")},
		{Method: get, Path: PathAccountApps, Page: s.areaPage(templates.AreaApps)},
		{Method: get, Path: PathAccountKeys, Page: s.areaPage(templates.AreaKeys)},
		{Method: get, Path: PathAccountSMS, Page: s.areaPage(templates.AreaSMS)},
		{Method: get, Path: PathAccountRecovery, Page: s.areaPage(templates.AreaRecovery)},
		{Method: get, Path: PathAccountDevices, Page: s.areaPage(templates.AreaDevices)},
		{Method: get, Path: PathAccountSessions, Page: s.areaPage(templates.AreaSessions)},
		{Method: post, Path: PathAccountEndSession, Page: s.AccountEndSession},
		{Method: post, Path: PathAccountRemove, Page: s.AccountRemoveDevice},
		{Method: get, Path: PathAccountAdd, Page: s.AccountAddDevicePage},
		{Method: post, Path: PathAccountAdd, Page: s.AccountAddDevice},
		{Method: get, Path: PathAccountQR, Page: s.AccountQR},
		{Method: get, Path: PathAccountCodes, Page: s.AccountNewCodesPage},
		{Method: post, Path: PathAccountCodes, Page: s.AccountNewCodes},
		{Method: post, Path: PathAccountCodesDone, Page: s.AccountCodesDone},
		{Method: post, Path: PathAccountKeyOptions, Page: s.AccountKeyOptions},
		{Method: post, Path: PathAccountKeyAdd, Page: s.AccountAddKey},
		{Method: post, Path: PathAccountKeyRemove, Page: s.AccountRemoveKey},
		{Method: get, Path: PathAccountPhone, Page: s.AccountPhonePage},
		{Method: post, Path: PathAccountPhone, Page: s.AccountPhoneSubmit},
		{Method: post, Path: PathAccountPhoneResend, Page: s.AccountPhoneResend},
		{Method: post, Path: PathAccountPhoneRemove, Page: s.AccountPhoneRemove},
		{Method: post, Path: PathAccountTrustRemove, Page: s.AccountTrustRemove},
		{Method: post, Path: PathAccountForgetDevices, Page: s.AccountForgetDevices},
		{Method: post, Path: PathAccountSignOutOthers, Page: s.AccountSignOutOthers},
		{Method: get, Path: PathAccountTurnOff, Page: s.AccountTurnOffPage},
		{Method: post, Path: PathAccountTurnOff, Page: s.AccountTurnOff},
		{Method: get, Path: PathAccountPassword, Page: s.AccountPasswordPage},
		{Method: post, Path: PathAccountPassword, Page: s.AccountPasswordSubmit},
	})
}
