package flows

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Paths are the absolute URL paths of the pages, under the issuer's path.
type Paths struct {
	Login         string
	Challenge     string // the second-factor step
	Enrol         string // authenticator-app enrolment during sign-in
	EnrolQR       string // its QR code image
	RecoveryCodes string // new recovery codes, shown once
	Consent       string
	Resume        string // the provider's endpoint that resumes a finished flow
	Logout        string
	// The account security pages.
	Account          string
	AccountRemove    string
	AccountAdd       string
	AccountQR        string
	AccountCodes     string // POST: a new set of recovery codes
	AccountCodesDone string // POST: the new set is stored
	// WebAuthn: options for a sign-in challenge, and registration on the account page.
	ChallengeWebAuthn string
	AccountKeyOptions string
	AccountKeyAdd     string
	AccountKeyRemove  string
	PasskeyOptions    string // login page: options for a passkey sign-in
	Passkey           string // login page: the passkey assertion
	// SMS: send a code at the challenge; the account's phone number pages.
	ChallengeSMS       string
	EnrolPhone         string // a phone as the second factor, during a sign-in
	EnrolPhoneResend   string
	AccountPhone       string
	AccountPhoneResend string
	AccountPhoneRemove string
	// Remembered devices, trusted addresses and sessions on the account page.
	AccountTrustRemove   string
	AccountForgetDevices string
	AccountSignOutOthers string
	AccountPassword      string
	// New-device confirmation (MFA-9): the page with the code, the resend, the emailed link.
	ConfirmDevice       string
	ConfirmDeviceResend string
	ConfirmDeviceLink   string
	// Two-step verification reset (MFA-10): the page, its recovery-code and email
	// forms, and the emailed link's confirmation page.
	Reset         string
	ResetRecovery string
	ResetEmail    string
	ResetConfirm  string
}

// Limits bound failed sign-in attempts within Window: passwords per account and per
// address, second-factor codes per user and per address.
type Limits struct {
	AccountFailures      int
	IPFailures           int
	SecondFactorFailures int
	SecondFactorIP       int
	Window               time.Duration
}

// Service holds what the login journey needs. Build it with plain struct fields in cmd.
type Service struct {
	Store storage.Storage
	// Clients reads clients, cached; the provider shares it.
	Clients interface {
		GetClient(ctx context.Context, id string) (storage.Client, error)
	}
	Pages           *templates.Renderer
	Errors          *ErrorPages
	Hasher          *password.Hasher
	Cookies         *Cookies
	Now             func() time.Time
	Log             *slog.Logger
	Limits          Limits
	SessionLifetime time.Duration
	FlowLifetime    time.Duration
	Paths           Paths
	// TOTP and Recovery are the second factors on offer.
	TOTP     *factor.TOTP
	Recovery *factor.Recovery
	WebAuthn *factor.WebAuthn
	// Mail sends security notifications (nil: none).
	Mail email.Sender
	// SMS sends text-message codes (nil: no SMS factor); SMSCodes issues and checks them.
	SMS      sms.Sender
	SMSCodes *factor.Codes
	// EmailCodes issues the codes and links of new-device confirmation and of the
	// two-step verification reset; nil turns both off.
	EmailCodes *factor.Codes
	// DeviceCookies holds the long-lived device token of remembered and known browsers.
	DeviceCookies *Cookies
	// RememberDays offers "don't ask again on this device" for that many days (0: never).
	RememberDays int
	// TrustedIPs lets a user skip the second factor from an address where they
	// entered one (MFA-8).
	TrustedIPs bool
	// ConfirmNewDevices asks a user without a second factor to confirm a new
	// browser and address by email (MFA-9).
	ConfirmNewDevices bool
	// BaseURL is the issuer's scheme and host, for links in emails.
	BaseURL string
	// EnrolOnSpot lets a user who lacks a required second factor enrol one during
	// the sign-in; otherwise the client gets unmet_authentication_requirements.
	EnrolOnSpot bool
	ProductName string
	Dev         bool
	// ClientIP is the caller's address as the trusted-proxy rules allow.
	ClientIP func(*http.Request) string
}

func (s *Service) page(title string) templates.Page {
	return templates.Page{Title: title, ProductName: s.ProductName, Dev: s.Dev}
}

func (s *Service) audit(ctx context.Context, r *http.Request, typ, userID, clientID string, detail map[string]string) {
	err := AppendAudit(ctx, s.Store, storage.AuditEvent{
		ID: newID(), At: s.Now().UTC(), Type: typ, UserID: userID, ClientID: clientID,
		IP: s.ClientIP(r), Detail: detail,
	})
	if err != nil {
		s.Log.ErrorContext(ctx, "audit append failed", "type", typ, "error", err)
	}
}
