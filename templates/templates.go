// Package templates renders Lockstep's hosted pages (sign-in, the
// second-factor challenge, two-step enrolment with an authenticator app or
// a phone number, the new-device email check, the two-step reset, the
// account security page, consent, logout, messages, errors and the landing
// page) and serves their static assets.
//
// Templates and static files are embedded in the binary. Every page shares
// one layout (html/layout.html) and the small components in
// html/partials.html (the wizard's step indicator), and defines a "content"
// block; templates are parsed once in New and each page is rendered into a
// buffer before anything is written, so a template error never produces half
// a page.
//
// The markup is compatible with a strict Content-Security-Policy
// (default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'
// data:; ...): there are no inline styles, style attributes, scripts or
// event handlers, the only stylesheet is /static/style.css, and the only
// scripts are /static/webauthn.js, included by the pages that offer security
// keys (it fetches options from the same origin, so connect-src must allow
// 'self' on those pages), and /static/countdown.js, which re-enables a
// "send a new code" button once its wait is over.
package templates

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/i18n"
)

//go:embed html/*.html
var htmlFS embed.FS

//go:embed static
var staticFS embed.FS

// DefaultProductName is used when Page.ProductName is empty.
const DefaultProductName = "Lockstep"

// Page holds the fields shared by every page. Renderer.Page fills it for a
// request; the zero value renders in English without a language switcher.
type Page struct {
	Title       string // <title> prefix: a catalogue key or plain text; each page has a sensible default
	ProductName string // wordmark; DefaultProductName when empty
	Dev         bool   // show a small "development mode" ribbon

	// Lang is the page's language (BCP 47, one of the catalogue's; "" is English).
	Lang string
	// Languages are the switcher's choices; the switcher GETs LanguageAction with
	// lang and return (LanguageReturn, the page to go back to).
	Languages      []i18n.Option
	LanguageAction string
	LanguageReturn string

	// Logo is the brand's logo (same origin) instead of the built-in mark;
	// BrandCSS links the brand's stylesheet; Support is whom to ask for help
	// (an email address or a URL), shown on the error and reset pages.
	Logo     string
	BrandCSS bool
	Support  string
}

// lang is the language the page renders in.
func (p Page) lang() string { return p.Lang }

// Product returns the product name to display.
func (p Page) Product() string {
	if p.ProductName == "" {
		return DefaultProductName
	}
	return p.ProductName
}

// LoginPage is the email/password sign-in form.
type LoginPage struct {
	Page
	Action     string // form POST URL, including the flow id
	FlowID     string // sent back in the hidden "flow" input
	ClientName string // the relying party, if known
	ClientLogo string // the relying party's logo (LogoURL), if it has one
	Email      string // prefill (login_hint, the signed-in account, or after an error)
	Error      string // e.g. "Incorrect email or password."
	Notice     string // e.g. "Please sign in again to continue."
	// Account: the sign-in is for the account's security pages. Reverify: the
	// browser is signed in and the password confirms it is still the user
	// ("Confirm it's you"), for a user without a second factor.
	Account  bool
	Reverify bool
	// Steps: the re-verification is the set-up wizard's first step.
	Steps []Step
	// ForgotURL, when set, offers "Forgot your password?" under the password.
	ForgotURL string

	// Passkey sign-in: shown (with webauthn.js) only when both are set.
	// The button POSTs the passkey form (flow) to PasskeyOptionsURL for
	// the assertion options, then submits flow and response to PasskeyAction.
	PasskeyOptionsURL string
	PasskeyAction     string
}

// Scope is one permission shown on the consent page.
type Scope struct {
	Name        string // technical name, e.g. "email"
	Description string // plain words, e.g. "See your email address"
}

// ConsentPage asks the signed-in user to allow or deny a client. The form
// posts decision=allow or decision=deny together with the flow id.
type ConsentPage struct {
	Page
	Action     string
	FlowID     string
	ClientName string
	ClientLogo string
	UserEmail  string
	Scopes     []Scope
}

// ErrorPage is a generic error page.
type ErrorPage struct {
	Page
	Status    int    // HTTP status, shown as "Error 404" when non-zero
	Heading   string // defaults to the status text
	Message   string
	RequestID string
}

// MethodChoice is a link to another way of passing the second-factor
// challenge, e.g. {Label: "Use a recovery code", Href: "/login/2fa?flow=…&method=recovery"}.
type MethodChoice struct {
	Label string
	Href  string
}

// Second-factor methods a ChallengePage can show.
const (
	MethodTOTP     = "totp"
	MethodRecovery = "recovery"
	MethodWebAuthn = "webauthn" // security key; needs /static/webauthn.js
	MethodSMS      = "sms"      // a code sent by text message; see ChallengePage.CodeSent
)

// ChallengePage asks for the second factor during sign-in or step-up
// (FLOW-4, MFA-11). The form posts flow, method and code; with
// MethodWebAuthn it posts flow, method=webauthn and response instead (see
// WebAuthnOptionsURL).
type ChallengePage struct {
	Page
	Action     string
	FlowID     string
	ClientName string
	ClientLogo string // the client's logo (LogoURL), if it has one
	// Method is the method shown now: MethodTOTP (the default when empty),
	// MethodRecovery or MethodWebAuthn. Anything else is a render error.
	Method string
	// WebAuthnOptionsURL is where /static/webauthn.js POSTs the form (flow,
	// method, an empty response) to get the assertion options as JSON
	// ({"publicKey": {...}}, as go-webauthn's protocol.CredentialAssertion
	// marshals them). The script then submits the form with response set to
	// the credential's JSON. Used only with MethodWebAuthn.
	WebAuthnOptionsURL string
	// Methods are the other methods the user can switch to, listed under
	// "Use another method".
	Methods []MethodChoice
	// Error, e.g. "That code is not right. Check your authenticator app and
	// try again." or "That code has expired. Enter the new code from your app."
	Error string
	// Throttled shows Error as a "wait before trying again" notice. The form
	// stays usable; the server keeps refusing until the wait is over.
	Throttled bool
	// StepUp is set when the user is already signed in and the application
	// asks for more assurance ("Confirm it's you").
	StepUp bool
	// Notice is a success or info message shown above the form, e.g.
	// "We sent a new code."
	Notice string
	// RememberDays, when positive, adds a "Don't ask again on this device
	// for N days" checkbox (name remember, value yes) to the code and
	// security-key forms.
	RememberDays int
	// ResetURL, when set, adds a "Reset two-step verification" link for
	// users who lost their second factor.
	ResetURL string

	// MethodSMS only. PhoneMasked is the number the code goes to, e.g.
	// "+49 ••• ••• •89". Until CodeSent, the page shows only a "Text me a
	// code" button that POSTs flow and method=sms to SendAction; then it
	// shows the code form and a "Send a new code" form (the same POST to
	// SendAction), disabled while ResendWait (seconds) is positive.
	PhoneMasked string
	CodeSent    bool
	SendAction  string
	ResendWait  int
}

// Step is one stage of a wizard's progress indicator.
type Step struct {
	Label   string
	Done    bool
	Current bool
}

// TOTPEnrolPage links an authenticator app (MFA-1): QR code, the secret for
// manual entry, an otpauth:// link for this device, and the first code. The
// form posts flow (when set), device, device_name and code.
type TOTPEnrolPage struct {
	Page
	Action     string
	FlowID     string // empty outside a login flow (account settings)
	ClientName string
	Required   bool   // the application or organisation requires two-step verification
	DeviceID   string // sent back in the hidden "device" input
	DeviceName string // prefill of "device_name"; "Authenticator app" when empty
	QRCodeURL  string // same-origin URL of the QR code PNG, shown at 192×192 CSS px
	Secret     string // base32 secret, shown in groups of four
	// OTPAuthURI is the otpauth://totp/ key URI. It is rendered as a link
	// only when it starts with "otpauth://totp/"; see OTPAuthHref.
	OTPAuthURI string
	Error      string
	Steps      []Step
	// SMSURL, when set, offers text messages instead of an app (sign-in enrolment).
	SMSURL string
	// Replace: the new app will replace every app in Replaced (the account
	// page's "Replace all devices"); the page says so before the code confirms it.
	Replace  bool
	Replaced []string
	// CancelURL, when set, adds a "Cancel" link (the account page).
	CancelURL string
}

// DefaultDeviceName is the prefilled name of a new authenticator device.
const DefaultDeviceName = "Authenticator app"

// otpauthPrefix is the only kind of URI TOTPEnrolPage links to.
const otpauthPrefix = "otpauth://totp/"

// OTPAuthHref returns OTPAuthURI as a link target, or "" unless it starts
// with "otpauth://totp/".
//
// html/template replaces any URL whose scheme is not http, https or mailto
// with "#ZgotmplZ", so the key URI must be marked as a template.URL to be
// rendered at all. That is safe here because the scheme is fixed to
// otpauth, which browsers never execute: they hand it to the registered
// authenticator app. The value still goes through html/template's URL
// normaliser and attribute escaper, so quotes, spaces and angle brackets in
// it are percent-encoded and cannot leave the href attribute.
func (p TOTPEnrolPage) OTPAuthHref() template.URL {
	if !strings.HasPrefix(p.OTPAuthURI, otpauthPrefix) {
		return ""
	}
	return template.URL(p.OTPAuthURI)
}

// SecretGroups returns Secret in groups of four characters for display.
func (p TOTPEnrolPage) SecretGroups() []string {
	s := []rune(strings.ReplaceAll(p.Secret, " ", ""))
	var groups []string
	for len(s) > 4 {
		groups = append(groups, string(s[:4]))
		s = s[4:]
	}
	if len(s) > 0 {
		groups = append(groups, string(s))
	}
	return groups
}

// RecoveryCodesPage shows freshly generated recovery codes once (MFA-6).
// The form posts flow (when set) and stored=yes; the checkbox is required
// in the browser and the server checks it again.
type RecoveryCodesPage struct {
	Page
	Action string
	FlowID string
	Codes  []string
	Error  string // e.g. "Tick the box to confirm you stored your codes."
	Steps  []Step
}

// DownloadHref is the codes as a text file to save ("Download"): a data: URL of
// plain text, which html/template only renders when typed as a URL. It is safe
// because the scheme and type are fixed here and the codes are percent-encoded.
func (p RecoveryCodesPage) DownloadHref() template.URL {
	var b strings.Builder
	b.WriteString(p.Product() + " recovery codes\n\nEach code works once. Keep them somewhere safe.\n\n")
	for _, c := range p.Codes {
		b.WriteString(c + "\n")
	}
	return template.URL("data:text/plain;charset=utf-8," + url.PathEscape(b.String()))
}

// EnrolChoicePage interrupts sign-in to ask for two-step enrolment (FLOW-5).
// The form posts flow and decision=totp or decision=later.
type EnrolChoicePage struct {
	Page
	Action     string
	FlowID     string
	ClientName string
	// Required: the user must enrol before continuing; no "Later" button.
	Required bool
	// DaysLeft, when not Required and positive, is the grace period left
	// ("5 days left to set up two-step verification"). Not Required and zero
	// is a plain offer, e.g. at a user's first sign-in.
	DaysLeft int
	// Deadline is the organisation's date ("8 December 2026"), before it as the
	// end of the grace period, once Required as the day it ended.
	Deadline string
	// AppAsks: ClientName asked for two-step verification and the user has none;
	// "Not now" goes on at the password level.
	AppAsks bool
	// AfterReset: the user reset two-step verification in this sign-in and is
	// offered to set it up again ("Later" goes on at the password level).
	AfterReset bool
	// SMS: text messages are on offer too.
	SMS bool
}

// LogoutPage is the "Sign out?" confirmation for RP-initiated logout.
type LogoutPage struct {
	Page
	Action     string
	ClientName string
	// Hidden inputs to carry (id_token_hint, post_logout_redirect_uri,
	// state, client_id). Rendered in key order.
	Hidden map[string]string
	// CancelURL, if set, adds a "Cancel" link next to the
	// "Sign out" button.
	CancelURL string
}

// LoggedOutPage confirms that the user is signed out.
type LoggedOutPage struct {
	Page
}

// HomePage is the landing page at "/".
type HomePage struct {
	Page
	// SignedInAs and AccountURL: the visitor's session, and their account page.
	SignedInAs, AccountURL string
	Issuer                 string
	DevUser                string
	DevPassword            string
	DevClientID            string
	DevHints               []string
}

// AccountDevice is one authenticator app on the account security page.
type AccountDevice struct {
	ID       string // sent back in the hidden "device" input of its Remove form
	Name     string
	Added    string // formatted in the page's language, e.g. "23 November 2026"
	LastUsed string // already formatted; "" shows "Never used"
}

// AccountKey is one security key (WebAuthn credential) on the account
// security page.
type AccountKey struct {
	ID       string // hex credential ID, sent back in the hidden "key" input of its Remove form
	Name     string
	Passkey  bool   // a discoverable credential that verifies the user: it signs in alone
	Added    string // formatted in the page's language, e.g. "23 November 2026"
	LastUsed string // already formatted; "" shows "Never used"
}

// Modes an AccountPage can show, as catalogue keys; Account picks
// ModePasswordOnly or ModeTOTP from Devices when Mode is empty, and the others
// are set by the handler.
const (
	ModePasswordOnly = "account.mode_password"
	ModeTOTP         = "account.mode_totp"
	ModeSMS          = "account.mode_sms"
	ModeKeys         = "account.mode_keys"
	ModeMulti        = "account.mode_multi"
)

// AccountTrust is one remembered device or trusted IP address on the
// account security page. All fields are already formatted for display.
type AccountTrust struct {
	ID       string // sent back in the hidden "id" input of its Remove form
	Label    string // e.g. "Firefox on macOS"; for an address, an optional note
	IP       string // e.g. "203.0.113.7" or "203.0.113.0/24"
	Added    string
	LastUsed string // "" shows "Never used"
	Expires  string // "" shows nothing
	Current  bool   // this device, or the address this request came from
}

// AccountSession is one signed-in session on the account security page.
type AccountSession struct {
	Handle   string // sent back in the hidden "session" input of its "Sign out" form
	Browser  string // e.g. "Firefox on Windows"; "" when unknown
	IP       string
	Started  string // formatted in the page's language, e.g. "23 November 2026, 14:02 UTC"
	LastUsed string // already formatted; "" when unknown
	Methods  string // how it signed in, e.g. "Password and authenticator app"
	Current  bool   // the session showing this page
}

// Areas of the account: the overview (AccountPage.Area "") links each.
const (
	AreaApps     = "apps"
	AreaKeys     = "keys"
	AreaSMS      = "sms"
	AreaRecovery = "recovery"
	AreaDevices  = "devices"
	AreaSessions = "sessions"
)

// AccountArea is one row of the account overview.
type AccountArea struct {
	Key, Title, URL string
	Status          string // what the area holds now, e.g. "Pixel, Tablet"
	Warn            bool   // the status needs the user's attention
}

// AccountPage is the self-service account security page (ACC-1, MFA-1,
// MFA-6): the two-step verification mode, the authenticator apps with a
// Remove button each, links to add one or replace them all, and the
// recovery-code status with a button to generate new codes. Every change is
// a POST form or a GET link to a page that asks again (ACC-2 is the
// server's business). A URL or action left empty hides its link or form.
type AccountPage struct {
	Page
	// Area is the part of the account shown: "" for the overview (Areas, the
	// mode, set up or turn off), else one of the Area constants.
	Area        string
	Areas       []AccountArea
	OverviewURL string
	// SetupURL starts the set-up wizard (no second factor yet); TurnOffURL
	// turns two-step verification off (there is one).
	SetupURL, TurnOffURL string
	Email                string // the signed-in user
	Notice               string // success message, e.g. "Authenticator app added."
	Error                string
	// Protect shows the "Protect your account" banner to a user without a second
	// factor; ProtectDeadline ("8 December 2026") when the organisation requires
	// one by then, ProtectRequired once that date has passed.
	Protect         bool
	ProtectDeadline string
	ProtectRequired bool
	// ProtectURL is where the banner's "Set it up now" leads (adding an app).
	ProtectURL string
	// Mode is shown as a status pill, e.g. ModePasswordOnly or ModeTOTP.
	Mode    string
	Devices []AccountDevice // authenticator apps; none shows "Two-step verification is off"
	// RemoveAction is the POST target for removing one device; each
	// device row has its own form posting device=ID.
	RemoveAction string
	AddURL       string // GET link "Add an authenticator app"
	// ReplaceURL is the GET link "Replace all devices": link a new device
	// and sign out every earlier one (MFA-1). Shown only with Devices.
	ReplaceURL string
	// RecoveryTotal and RecoveryUnused give "7 of 10 recovery codes left".
	// With Devices and no unused codes, the page warns.
	RecoveryTotal, RecoveryUnused int
	// RegenerateAction is the POST target of "Generate new recovery codes";
	// the old codes stop working (MFA-6).
	RegenerateAction string
	// Keys are the security keys, in the "Security keys" section. The
	// section is shown only when AddKeyAction is set.
	Keys []AccountKey
	// RemoveKeyAction is the POST target for removing one key; each key
	// row has its own form posting key=ID.
	RemoveKeyAction string
	// AddKeyAction is the POST target of the "Add a security key" form
	// (fields name and response). /static/webauthn.js first POSTs the same
	// form to AddKeyOptionsURL for the creation options as JSON
	// ({"publicKey": {...}}, as go-webauthn's protocol.CredentialCreation
	// marshals them), then submits it with response set to the new
	// credential's JSON.
	AddKeyAction     string
	AddKeyOptionsURL string
	SignOutURL       string // small "Sign out" link in the footer
	// PasswordURL is the GET link "Change password" in the "Password" section.
	PasswordURL string
	// ProfileURL leads to the names and email address (the overview's Profile row).
	ProfileURL string

	// The "Text messages (SMS)" section, shown when Phone or AddPhoneURL
	// is set. Phone is the masked number ("" = none); PhonePrimary shows
	// it as the main method rather than a backup.
	Phone             string
	PhonePrimary      bool
	AddPhoneURL       string // GET link "Add a phone number", shown without Phone
	ChangePhoneURL    string // GET link "Change number"
	RemovePhoneAction string // POST target of the phone's Remove form

	// RememberedDevices skip two-step verification. The "Remembered
	// devices" section is shown when there are some or ForgetDevicesAction
	// is set. Each row's Remove form POSTs id=ID to RemoveTrustAction;
	// ForgetDevicesAction is the POST target of "Forget all devices".
	RememberedDevices   []AccountTrust
	RemoveTrustAction   string
	ForgetDevicesAction string
	// TrustedAddresses skip the second step too; their section ("Trusted
	// IP addresses") is shown only with ShowTrustedAddresses. Rows have
	// Remove forms posting id=ID to RemoveTrustAction.
	TrustedAddresses     []AccountTrust
	ShowTrustedAddresses bool

	// Sessions are listed under "Where you're signed in" when there are
	// any. With more than one, SignOutOthersAction is the POST target of
	// "Sign out everywhere else".
	Sessions            []AccountSession
	SignOutOthersAction string
	// EndSessionAction is the POST target of each other session's "Sign out"
	// (session=Handle).
	EndSessionAction string
}

// SecondFactorOn reports whether the account has any second factor, which
// decides between the "on" and "off" looks of the page.
func (p AccountPage) SecondFactorOn() bool {
	return len(p.Devices) > 0 || len(p.Keys) > 0 || p.Phone != ""
}

// Country is one entry of PhoneEnrolPage's country list.
type Country struct {
	ISO  string // ISO 3166-1 alpha-2 code, the option's value, e.g. "DE"
	Name string // e.g. "Germany"
	Dial string // e.g. "+49"
}

// Stages of PhoneEnrolPage.
const (
	PhoneStageNumber = "number"
	PhoneStageCode   = "code"
)

// PhoneEnrolPage adds a phone number for text-message codes. In stage
// "number" (the default) the form POSTs flow (when set), stage=number,
// country, national and, with ShowMode, mode=primary or mode=backup. In
// stage "code" it POSTs flow, stage=code and code; a second form POSTs flow
// to ResendAction.
type PhoneEnrolPage struct {
	Page
	Action     string
	FlowID     string // empty outside a login flow (account settings)
	ClientName string
	Stage      string // PhoneStageNumber ("" too) or PhoneStageCode; anything else is a render error

	Countries []Country
	Country   string // selected ISO code
	National  string // prefill of the national number
	ShowMode  bool   // offer "main method" or "backup"
	Primary   bool   // which of the two is checked

	PhoneMasked  string // stage code: where the code went, e.g. "+49 ••• ••• •89"
	ResendAction string
	ResendWait   int    // seconds until "Send a new code" works; positive disables it
	ChangeURL    string // stage code: "Change number" link

	Error     string
	Notice    string // e.g. "We sent a new code."
	Steps     []Step
	CancelURL string
	// BackURL and SkipURL: the wizard's "Back" and "Skip this step".
	BackURL, SkipURL string
}

// ConfirmDevicePage asks a user without two-step verification, signing in
// from a device we don't know, for the code from an email (or to open its
// link and come back). The form POSTs flow and code; the code may be empty
// when the link was opened. A second form POSTs flow to ResendAction.
type ConfirmDevicePage struct {
	Page
	Action       string
	FlowID       string
	EmailMasked  string // e.g. "a•••@example.com"
	ClientName   string
	Error        string
	Notice       string // e.g. "We sent another email."
	ResendAction string
	ResendWait   int // seconds until "Send another email" works
}

// ResetPage starts a reset of two-step verification for a user who lost
// their second factor. With HasRecoveryCodes, a form POSTs flow and code to
// RecoveryAction; a form POSTs flow to EmailAction to get a reset link,
// replaced by a notice once EmailSent.
type ResetPage struct {
	Page
	FlowID           string
	HasRecoveryCodes bool
	RecoveryAction   string
	EmailAction      string
	EmailSent        bool
	EmailMasked      string
	Error            string
	BackURL          string // "Back" link, e.g. to the challenge
	// ContinueURL, with EmailSent, goes on with the sign-in once the emailed link
	// was confirmed (on another device).
	ContinueURL string
}

// ResetConfirmPage is where the emailed reset link lands. Until Done, a
// form POSTs token and confirm=yes to Action; without Token only Error is
// shown (an expired or used link).
type ResetConfirmPage struct {
	Page
	Action string
	Token  string
	Email  string
	Error  string
	Done   bool
}

// Kinds of MessagePage.
const (
	MessagePlain   = ""
	MessageSuccess = "success"
	MessageInfo    = "info"
)

// MessagePage is a generic "finished" page: a heading, a message and an
// optional button link. Kind picks the icon: MessageSuccess, MessageInfo or
// MessagePlain (none); anything else is a render error.
type MessagePage struct {
	Page
	Heading   string
	Message   string
	LinkURL   string
	LinkLabel string // "Continue" when empty
	Kind      string
	// PostAction, when set, makes the button a form that POSTs Hidden (in key
	// order) there instead of a link: for an action a GET must not take.
	PostAction string
	Hidden     map[string]string
	// CancelURL, when set, adds a "Cancel" link under the button.
	CancelURL string
}

// PasswordPage changes the signed-in user's password (ACC-5). The form posts
// current_password, new_password and confirm_password.
type PasswordPage struct {
	Page
	Action    string
	Email     string
	MinLength int
	Error     string
	CancelURL string
}

// Page template names, one per file in html/ besides the layout.
const (
	pageLogin         = "login"
	pageConsent       = "consent"
	pageError         = "error"
	pageLogout        = "logout"
	pageLoggedOut     = "loggedout"
	pageHome          = "home"
	pageChallenge     = "challenge"
	pageTOTPEnrol     = "totpenrol"
	pageWizard        = "wizard"
	pageTurnOff       = "turnoff"
	pageRecovery      = "recoverycodes"
	pageEnrol         = "enrolchoice"
	pageAccount       = "account"
	pagePassword      = "password"
	pageOutbox        = "outbox"
	pagePhoneEnrol    = "phoneenrol"
	pageConfirmDevice = "confirmdevice"
	pageReset         = "reset2fa"
	pageResetConfirm  = "reset2faconfirm"
	pageMessage       = "message"
	pageForgot        = "forgot"
	pageNewPassword   = "newpassword"
)

var pageNames = []string{pageLogin, pageConsent, pageError, pageLogout, pageLoggedOut, pageHome,
	pageChallenge, pageTOTPEnrol, pageRecovery, pageEnrol, pageAccount, pageOutbox,
	pagePhoneEnrol, pageConfirmDevice, pageReset, pageResetConfirm, pageMessage, pagePassword, pageWizard, pageTurnOff,
	pageProfile, pageForgot, pageNewPassword}

// funcs are the helpers available to every template, in the language of loc:
// t translates a catalogue key (plain text, such as a message a handler has
// not put in the catalogue, passes through) with name/value pairs for its
// placeholders; tstrong does the same and shows each value in bold (a phone
// number does not break, a long address may; an acr is code), tclient shows
// each value as the client's name.
func funcs(loc *i18n.Localizer) template.FuncMap {
	return template.FuncMap{
		"t": func(id string, args ...any) template.HTML { return text(loc.T(id, args...)) },
		"tstrong": func(id string, args ...any) template.HTML {
			return wrap(args, strong, func(marks ...any) string { return loc.T(id, marks...) })
		},
		// tn translates a message with plural forms for n ({{.Count}}).
		"tn": func(id string, n int) string { return loc.N(id, n) },
		// tnstrong is tn with the values of args in bold, like tstrong.
		"tnstrong": func(id string, n int, args ...any) template.HTML {
			return wrap(args, strong, func(marks ...any) string { return loc.N(id, n, marks...) })
		},
		"tclient": func(id string, args ...any) template.HTML {
			return wrap(args, func(string) (string, string) { return `<span class="client">`, "</span>" },
				func(marks ...any) string { return loc.T(id, marks...) })
		},
		// names lists names in bold for a sentence: "<strong>Work phone</strong>, <strong>Old phone</strong>".
		"names": boldNames,
		// inc turns a 0-based range index into a 1-based number.
		"inc": func(i int) int { return i + 1 },
		// stepof says where a progress indicator stands: "Step 3 of 7".
		"stepof": func(steps []Step) string { return stepOf(loc, steps) },
		// days formats a count of days: "1 day", "30 days".
		"days": func(n int) string { return loc.N("days", n) },
		// seconds formats a count of seconds: "1 second", "30 seconds".
		"seconds": func(n int) string { return loc.N("seconds", n) },
	}
}

// textEscaper escapes text for element content: quotes and apostrophes stay
// as they are ("Confirm it's you"); in an attribute, html/template escapes
// the HTML again for the attribute.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func text(s string) template.HTML { return template.HTML(textEscaper.Replace(s)) } //nolint:gosec // escaped

// valueTmpl escapes a value the way html/template escapes {{.}} in text.
var valueTmpl = template.Must(template.New("value").Parse("{{.}}"))

// strong are tstrong's tags for a value: a phone number does not break, a
// long address may; an acr is code; a total is context, not news; names come
// in bold already (boldNames).
func strong(name string) (string, string) {
	switch name {
	case "Total", "Names":
		return "", ""
	case "Phone", "Masked":
		return `<strong class="nowrap">`, "</strong>"
	case "Email":
		return `<strong class="break">`, "</strong>"
	case "ACR":
		return "<code>", "</code>"
	}
	return "<strong>", "</strong>"
}

// boldNames lists names, each escaped and in bold, separated by commas.
func boldNames(list []string) template.HTML {
	parts := make([]string, len(list))
	for i, n := range list {
		parts[i] = "<strong>" + template.HTMLEscapeString(n) + "</strong>"
	}
	return template.HTML(strings.Join(parts, ", ")) //nolint:gosec // every name is escaped
}

// wrap translates with tr, passing each value of args as a mark that is then
// replaced by the value between the tags tags(name) returns; the text and the
// values are escaped.
func wrap(args []any, tags func(name string) (string, string), tr func(marks ...any) string) template.HTML {
	marks := make([]any, len(args))
	var repl []string
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		mark := fmt.Sprintf("\x00%d\x00", i)
		marks[i], marks[i+1] = args[i], mark
		var v strings.Builder
		if err := valueTmpl.Execute(&v, args[i+1]); err != nil {
			v.Reset()
		}
		open, end := tags(name)
		repl = append(repl, mark, open+v.String()+end)
	}
	return template.HTML(strings.NewReplacer(repl...).Replace(textEscaper.Replace(tr(marks...)))) //nolint:gosec // every part is escaped
}

// Renderer renders the hosted pages. It is safe for concurrent use.
type Renderer struct {
	// pages are the templates by language, then by page name.
	pages map[string]map[string]*template.Template
	cat   *i18n.Catalogue
	opt   Options
	// brandCSS is the generated stylesheet of the brand's accent colour.
	brandCSS []byte
	// emails is the HTML email template by language.
	emails map[string]*template.Template
}

// Options are what a Renderer adds to every page.
type Options struct {
	Brand Brand
	Dev   bool
	// LanguagePath is where the language switcher sends its choice (empty: no switcher).
	LanguagePath string
	// BaseURL (scheme and host) makes the logo's address absolute in emails.
	BaseURL string
}

// New parses all templates with the shipped catalogues, English by default.
// It fails only if an embedded template is broken.
func New() (*Renderer, error) {
	cat, err := i18n.Load("")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return NewWith(cat, Options{})
}

// NewWith parses all templates once per language of cat.
func NewWith(cat *i18n.Catalogue, opt Options) (*Renderer, error) {
	r := &Renderer{pages: make(map[string]map[string]*template.Template), cat: cat, opt: opt}
	if opt.Brand.AccentColor != "" {
		css, err := brandCSS(opt.Brand.AccentColor)
		if err != nil {
			return nil, err
		}
		r.brandCSS = css
	}
	for _, lang := range cat.Languages() {
		set, err := parsePages(funcs(cat.Localizer(lang)), pageNames, func(name string) []string {
			return []string{"html/layout.html", "html/partials.html", "html/" + name + ".html"}
		})
		if err != nil {
			return nil, err
		}
		r.pages[lang] = set
	}
	emails, err := parseEmails(cat)
	if err != nil {
		return nil, err
	}
	r.emails = emails
	return r, nil
}

// parsePages parses each page with the files files(name) names.
func parsePages(fm template.FuncMap, names []string, files func(name string) []string) (map[string]*template.Template, error) {
	set := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t, err := template.New(name).Funcs(fm).ParseFS(htmlFS, files(name)...)
		if err != nil {
			return nil, fmt.Errorf("templates: parse %s: %w", name, err)
		}
		if t.Lookup("layout") == nil || t.Lookup("content") == nil {
			return nil, fmt.Errorf("templates: %s: missing layout or content template", name)
		}
		set[name] = t
	}
	return set, nil
}

// Page is the common part of a page for the request in ctx: its language
// (see package i18n), the switcher, the product name and logo (an
// organisation's, WithOrgBrand, over the server's).
func (r *Renderer) Page(ctx context.Context, title string) Page {
	ch := i18n.ChoiceFrom(ctx)
	lang := r.cat.Negotiate(ch)
	p := Page{Title: title, ProductName: r.opt.Brand.ProductName, Dev: r.opt.Dev, Lang: lang.String(),
		BrandCSS: r.brandCSS != nil, Support: r.opt.Brand.SupportContact}
	if len(r.opt.Brand.Logo) > 0 {
		p.Logo = BrandLogoPath
	}
	if b := OrgBrandFrom(ctx); b.Name != "" || b.Logo != "" {
		p.ProductName, p.Logo = cmp.Or(b.Name, p.ProductName), cmp.Or(b.Logo, p.Logo)
	}
	if r.opt.LanguagePath != "" {
		p.Languages, p.LanguageAction, p.LanguageReturn = r.cat.Options(lang), r.opt.LanguagePath, ch.Return
	}
	return p
}

// Localizer is the localizer of the language of the request in ctx.
func (r *Renderer) Localizer(ctx context.Context) *i18n.Localizer {
	return r.cat.Localizer(r.cat.Negotiate(i18n.ChoiceFrom(ctx)).String())
}

// T translates a catalogue key into the language of the request in ctx.
func (r *Renderer) T(ctx context.Context, id string, args ...any) string {
	return r.Localizer(ctx).T(id, args...)
}

// N translates a catalogue key with plural forms for n into the language of
// the request in ctx.
func (r *Renderer) N(ctx context.Context, id string, n int, args ...any) string {
	return r.Localizer(ctx).N(id, n, args...)
}

// Date formats a day in the language of the request in ctx.
func (r *Renderer) Date(ctx context.Context, t time.Time) string {
	return r.Localizer(ctx).Date(t)
}

// Languages lists the shipped languages (BCP 47).
func (r *Renderer) Languages() []string { return r.cat.Languages() }

// render executes page into a buffer and writes it to w only on success.
// If w is an http.ResponseWriter without a Content-Type, it is set to HTML.
func (r *Renderer) render(w io.Writer, name string, data interface{ lang() string }) error {
	set, ok := r.pages[data.lang()]
	if !ok {
		set = r.pages[r.cat.Default().String()]
	}
	t, ok := set[name]
	if !ok {
		return fmt.Errorf("templates: unknown page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("templates: render %s: %w", name, err)
	}
	if rw, ok := w.(http.ResponseWriter); ok && rw.Header().Get("Content-Type") == "" {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	_, err := buf.WriteTo(w)
	return err
}

// Login renders the sign-in form.
func (r *Renderer) Login(w io.Writer, p LoginPage) error {
	if p.Title == "" {
		p.Title = "login.title"
	}
	return r.render(w, pageLogin, p)
}

// Challenge renders the second-factor challenge.
func (r *Renderer) Challenge(w io.Writer, p ChallengePage) error {
	switch p.Method {
	case "":
		p.Method = MethodTOTP
	case MethodTOTP, MethodRecovery, MethodWebAuthn, MethodSMS:
	default:
		return fmt.Errorf("templates: unknown challenge method %q", p.Method)
	}
	if p.Title == "" {
		p.Title = "challenge.title"
		if p.StepUp {
			p.Title = "challenge.stepup_title"
		}
	}
	return r.render(w, pageChallenge, p)
}

// TOTPEnrol renders the authenticator-app enrolment step.
func (r *Renderer) TOTPEnrol(w io.Writer, p TOTPEnrolPage) error {
	if p.Title == "" {
		p.Title = "Set up an authenticator app"
	}
	if p.DeviceName == "" {
		p.DeviceName = DefaultDeviceName
	}
	return r.render(w, pageTOTPEnrol, p)
}

// RecoveryCodes renders the one-time display of new recovery codes.
func (r *Renderer) RecoveryCodes(w io.Writer, p RecoveryCodesPage) error {
	if p.Title == "" {
		p.Title = "codes.heading"
	}
	return r.render(w, pageRecovery, p)
}

// EnrolChoice renders the "Protect your account" enrolment interrupt.
func (r *Renderer) EnrolChoice(w io.Writer, p EnrolChoicePage) error {
	if p.Title == "" {
		p.Title = "protect.heading"
	}
	return r.render(w, pageEnrol, p)
}

// Account renders the account security page.
func (r *Renderer) Account(w io.Writer, p AccountPage) error {
	if p.Title == "" {
		p.Title = "Security"
	}
	if p.Mode == "" {
		p.Mode = ModePasswordOnly
		if len(p.Devices) > 0 {
			p.Mode = ModeTOTP
		}
	}
	return r.render(w, pageAccount, p)
}

// PhoneEnrol renders the "add a phone number" step or its code check.
func (r *Renderer) PhoneEnrol(w io.Writer, p PhoneEnrolPage) error {
	switch p.Stage {
	case "":
		p.Stage = PhoneStageNumber
	case PhoneStageNumber, PhoneStageCode:
	default:
		return fmt.Errorf("templates: unknown phone enrolment stage %q", p.Stage)
	}
	if p.Title == "" {
		p.Title = "phone.heading"
	}
	return r.render(w, pagePhoneEnrol, p)
}

// ConfirmDevice renders the new-device email check.
func (r *Renderer) ConfirmDevice(w io.Writer, p ConfirmDevicePage) error {
	if p.Title == "" {
		p.Title = "login.reverify_heading"
	}
	return r.render(w, pageConfirmDevice, p)
}

// Reset2FA renders the start of a two-step verification reset.
func (r *Renderer) Reset2FA(w io.Writer, p ResetPage) error {
	if p.Title == "" {
		p.Title = "challenge.reset"
	}
	return r.render(w, pageReset, p)
}

// Reset2FAConfirm renders the page the emailed reset link opens.
func (r *Renderer) Reset2FAConfirm(w io.Writer, p ResetConfirmPage) error {
	if p.Title == "" {
		p.Title = "reset.confirm_heading"
		if p.Done {
			p.Title = "reset.done_heading"
		}
	}
	return r.render(w, pageResetConfirm, p)
}

// Message renders a generic message page.
func (r *Renderer) Message(w io.Writer, p MessagePage) error {
	switch p.Kind {
	case MessagePlain, MessageSuccess, MessageInfo:
	default:
		return fmt.Errorf("templates: unknown message kind %q", p.Kind)
	}
	if p.Title == "" {
		p.Title = p.Heading
	}
	if p.LinkURL != "" && p.LinkLabel == "" {
		p.LinkLabel = "continue"
	}
	return r.render(w, pageMessage, p)
}

// Password renders the password change form.
func (r *Renderer) Password(w io.Writer, p PasswordPage) error {
	if p.Title == "" {
		p.Title = "Change your password"
	}
	return r.render(w, pagePassword, p)
}

// Consent renders the consent screen.
func (r *Renderer) Consent(w io.Writer, p ConsentPage) error {
	if p.Title == "" {
		p.Title = "consent.title"
	}
	return r.render(w, pageConsent, p)
}

// Error renders an error page.
func (r *Renderer) Error(w io.Writer, p ErrorPage) error {
	if p.Heading == "" {
		p.Heading = http.StatusText(p.Status)
		if p.Heading == "" {
			p.Heading = "error.something_wrong"
		}
	}
	if p.Title == "" {
		p.Title = p.Heading
	}
	return r.render(w, pageError, p)
}

// Logout renders the "Sign out?" confirmation.
func (r *Renderer) Logout(w io.Writer, p LogoutPage) error {
	if p.Title == "" {
		p.Title = "logout.title"
	}
	return r.render(w, pageLogout, p)
}

// LoggedOut renders the "You are signed out" page.
func (r *Renderer) LoggedOut(w io.Writer, p LoggedOutPage) error {
	if p.Title == "" {
		p.Title = "logout.done_title"
	}
	return r.render(w, pageLoggedOut, p)
}

// OutboxMessage is one message the dev-mode outbox kept.
type OutboxMessage struct {
	Kind    string // "Email" or "SMS"
	To      string
	Subject string
	Text    string
}

// OutboxPage lists what development mode would have sent.
type OutboxPage struct {
	Page
	Messages []OutboxMessage
}

// Outbox renders the dev-mode outbox.
func (r *Renderer) Outbox(w io.Writer, p OutboxPage) error {
	if p.Title == "" {
		p.Title = "Outbox"
	}
	return r.render(w, pageOutbox, p)
}

// Home renders the landing page.
func (r *Renderer) Home(w io.Writer, p HomePage) error {
	return r.render(w, pageHome, p)
}

// StaticHandler serves the embedded static files. Mount it at "/static/":
// a request for /static/style.css serves static/style.css. Directory
// listings are not served. Responses carry an ETag and a one-day cache
// lifetime, so clients revalidate cheaply after a deploy.
func StaticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // "static" is embedded; cannot happen
	}
	etags := make(map[string]string)
	_ = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[path] = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		return nil
	})
	files := http.FileServer(http.FS(sub))
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := strings.TrimPrefix(req.URL.Path, "/")
		etag, ok := etags[name]
		if !ok {
			http.NotFound(w, req)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=86400")
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasSuffix(name, ".js") {
			// Fixed, so the system's MIME table cannot change it.
			h.Set("Content-Type", "text/javascript; charset=utf-8")
		}
		files.ServeHTTP(w, req)
	}))
}

// pageProfile is the profile page's template.
const pageProfile = "profile"

// ProfilePage is the profile page (ACC-6): the names form posts given_name and
// family_name to NamesAction, the email form posts email to EmailAction. A
// refused form comes back with what was typed and one message per field.
type ProfilePage struct {
	Page
	Notice string

	NamesAction             string
	GivenName, FamilyName   string
	GivenError, FamilyError string
	MaxNameLen              int

	Email         string // the stored address
	EmailVerified bool
	// CanChange: the server sends email, so the address can be changed.
	CanChange   bool
	EmailAction string
	NewEmail    string // as typed, on a refused form
	EmailError  string
	LinkMinutes int // how long the emailed link works

	BackURL string
}

// Profile renders the profile page.
func (r *Renderer) Profile(w io.Writer, p ProfilePage) error {
	if p.Title == "" {
		p.Title = "Profile"
	}
	return r.render(w, pageProfile, p)
}
