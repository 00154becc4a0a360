// Package templates renders Lockstep's hosted pages (sign-in, the
// second-factor challenge, two-step enrolment, the account security page,
// consent, logout, errors and the landing page) and serves their static
// assets.
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
// script is /static/webauthn.js, included by the pages that offer security
// keys. It fetches options from the same origin, so connect-src must allow
// 'self' on those pages.
package templates

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed html/*.html
var htmlFS embed.FS

//go:embed static
var staticFS embed.FS

// DefaultProductName is used when Page.ProductName is empty.
const DefaultProductName = "Lockstep"

// Page holds the fields shared by every page.
type Page struct {
	Title       string // <title> prefix; each page has a sensible default
	ProductName string // wordmark; DefaultProductName when empty
	Dev         bool   // show a small "development mode" ribbon
}

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
	Email      string // prefill (login_hint or after an error)
	Error      string // e.g. "Incorrect email or password."
	Notice     string // e.g. "Please sign in again to continue."

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
	Issuer      string
	DevUser     string
	DevPassword string
	DevClientID string
	DevHints    []string
}

// AccountDevice is one authenticator app on the account security page.
type AccountDevice struct {
	ID       string // sent back in the hidden "device" input of its Remove form
	Name     string
	Added    string // already formatted, e.g. "23 Nov 2026"
	LastUsed string // already formatted; "" shows "Never used"
}

// AccountKey is one security key (WebAuthn credential) on the account
// security page.
type AccountKey struct {
	ID       string // hex credential ID, sent back in the hidden "key" input of its Remove form
	Name     string
	Passkey  bool   // a discoverable credential that verifies the user: it signs in alone
	Added    string // already formatted, e.g. "23 Nov 2026"
	LastUsed string // already formatted; "" shows "Never used"
}

// Modes an AccountPage can show; Account picks one from Devices when Mode
// is empty.
const (
	ModePasswordOnly = "Password only"
	ModeTOTP         = "Password and authenticator app"
)

// AccountPage is the self-service account security page (ACC-1, MFA-1,
// MFA-6): the two-step verification mode, the authenticator apps with a
// Remove button each, links to add one or replace them all, and the
// recovery-code status with a button to generate new codes. Every change is
// a POST form or a GET link to a page that asks again (ACC-2 is the
// server's business). A URL or action left empty hides its link or form.
type AccountPage struct {
	Page
	Email  string // the signed-in user
	Notice string // success message, e.g. "Authenticator app added."
	Error  string
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
}

// Page template names, one per file in html/ besides the layout.
const (
	pageLogin     = "login"
	pageConsent   = "consent"
	pageError     = "error"
	pageLogout    = "logout"
	pageLoggedOut = "loggedout"
	pageHome      = "home"
	pageChallenge = "challenge"
	pageTOTPEnrol = "totpenrol"
	pageRecovery  = "recoverycodes"
	pageEnrol     = "enrolchoice"
	pageAccount   = "account"
	pageOutbox    = "outbox"
)

var pageNames = []string{pageLogin, pageConsent, pageError, pageLogout, pageLoggedOut, pageHome,
	pageChallenge, pageTOTPEnrol, pageRecovery, pageEnrol, pageAccount, pageOutbox}

// funcs are the helpers available to every template.
var funcs = template.FuncMap{
	// inc turns a 0-based range index into a 1-based number.
	"inc": func(i int) int { return i + 1 },
}

// Renderer renders the hosted pages. It is safe for concurrent use.
type Renderer struct {
	pages map[string]*template.Template
}

// New parses all templates. It fails only if an embedded template is broken.
func New() (*Renderer, error) {
	r := &Renderer{pages: make(map[string]*template.Template, len(pageNames))}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(htmlFS, "html/layout.html", "html/partials.html", "html/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("templates: parse %s: %w", name, err)
		}
		if t.Lookup("layout") == nil || t.Lookup("content") == nil {
			return nil, fmt.Errorf("templates: %s: missing layout or content template", name)
		}
		r.pages[name] = t
	}
	return r, nil
}

// render executes page into a buffer and writes it to w only on success.
// If w is an http.ResponseWriter without a Content-Type, it is set to HTML.
func (r *Renderer) render(w io.Writer, name string, data any) error {
	t, ok := r.pages[name]
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
		p.Title = "Sign in"
	}
	return r.render(w, pageLogin, p)
}

// Challenge renders the second-factor challenge.
func (r *Renderer) Challenge(w io.Writer, p ChallengePage) error {
	switch p.Method {
	case "":
		p.Method = MethodTOTP
	case MethodTOTP, MethodRecovery, MethodWebAuthn:
	default:
		return fmt.Errorf("templates: unknown challenge method %q", p.Method)
	}
	if p.Title == "" {
		p.Title = "Two-step verification"
		if p.StepUp {
			p.Title = "Confirm it's you"
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
		p.Title = "Save your recovery codes"
	}
	return r.render(w, pageRecovery, p)
}

// EnrolChoice renders the "Protect your account" enrolment interrupt.
func (r *Renderer) EnrolChoice(w io.Writer, p EnrolChoicePage) error {
	if p.Title == "" {
		p.Title = "Protect your account"
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

// Consent renders the consent screen.
func (r *Renderer) Consent(w io.Writer, p ConsentPage) error {
	if p.Title == "" {
		p.Title = "Allow access"
	}
	return r.render(w, pageConsent, p)
}

// Error renders an error page.
func (r *Renderer) Error(w io.Writer, p ErrorPage) error {
	if p.Heading == "" {
		p.Heading = http.StatusText(p.Status)
		if p.Heading == "" {
			p.Heading = "Something went wrong"
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
		p.Title = "Sign out"
	}
	return r.render(w, pageLogout, p)
}

// LoggedOut renders the "You are signed out" page.
func (r *Renderer) LoggedOut(w io.Writer, p LoggedOutPage) error {
	if p.Title == "" {
		p.Title = "Signed out"
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
