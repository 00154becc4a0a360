package templates

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

const evil = `<script>alert("x")</script>`

// webauthnScript is the only script tag a page may carry.
const (
	webauthnScript  = `<script src="/static/webauthn.js" defer></script>`
	codesScript     = `<script src="/static/codes.js" defer></script>`
	countdownScript = `<script src="/static/countdown.js" defer></script>`
)

func newRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func page(title string) Page { return Page{Title: title, ProductName: "Lockstep"} }

type pageCase struct {
	name    string
	render  func(*Renderer, io.Writer) error
	want    []string // substrings that must appear
	notWant []string // substrings that must not appear
}

func pageCases() []pageCase {
	return append(recoverPageCases(), []pageCase{
		{
			name: "login",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: page("Sign in"), Action: "/login?flow=f123", FlowID: "f123", ClientName: "Acme", Email: "alice@example.com"})
			},
			want: []string{
				"<title>Sign in · Lockstep</title>",
				`<form method="post" action="/login?flow=f123"`,
				`<input type="hidden" name="flow" value="f123">`,
				`type="email" id="email" name="email" value="alice@example.com" autocomplete="username"`,
				// With the email known, the cursor starts in the password field.
				`type="password" id="password" name="password" autocomplete="current-password" required autofocus`,
				`<label for="email">`,
				`<label for="password">`,
				`<button type="submit" class="btn btn-primary">Sign in</button>`,
				"<h1>Sign in</h1>",
				"Acme",
			},
			notWant: []string{`role="alert"`, "alert-notice", "dev-ribbon", "aria-invalid", "<script", "data-webauthn", "passkey"},
		},
		{
			name: "login with passkey",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: page("Sign in"), Action: "/login?flow=f123", FlowID: "f123", Email: "alice@example.com",
					PasskeyOptionsURL: "/login/passkey/options", PasskeyAction: "/login/passkey"})
			},
			want: []string{
				webauthnScript,
				// The password form is unchanged.
				`<form method="post" action="/login?flow=f123" class="form">` + "\n" + `<input type="hidden" name="flow" value="f123">`,
				`<input type="email" id="email" name="email" value="alice@example.com" autocomplete="username" autocapitalize="none" spellcheck="false" required>`,
				`<input type="password" id="password" name="password" autocomplete="current-password" required autofocus>`,
				`<button type="submit" class="btn btn-primary">Sign in</button>` + "\n</form>\n" + `<p class="divider"><span>or</span></p>`,
				`<form id="passkey-form" method="post" action="/login/passkey" class="form form-passkey">` + "\n" +
					`<input type="hidden" name="flow" value="f123">` + "\n" + `<input type="hidden" name="response">`,
				`<p class="alert alert-error" id="passkey-error" role="alert" data-message="`,
				`<button type="button" data-webauthn="get" data-options-url="/login/passkey/options" data-form="passkey-form" data-error="passkey-error" class="btn btn-secondary btn-icon">`,
				"Sign in with a passkey</button>",
				"Passkeys need JavaScript.",
			},
			notWant: []string{"username webauthn", `role="alert" id="login-error"`},
		},
		{
			name: "login with only one passkey field",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Action: "/login", FlowID: "f", PasskeyAction: "/login/passkey"})
			},
			notWant: []string{"<script", "data-webauthn", "passkey-form", "divider"},
		},
		{
			name: "login to re-verify for the account page",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: page("Confirm it's you"), Action: "/login", FlowID: "f", Email: "alice@example.com", Account: true, Reverify: true,
					PasskeyOptionsURL: "/login/passkey/options", PasskeyAction: "/login/passkey"})
			},
			want: []string{
				`<button type="submit" class="btn btn-primary">Confirm</button>`,
				"<h1>Confirm it's you</h1>",
				`<p class="lead">Enter your password to change your security settings.</p>`,
				`name="email" value="alice@example.com"`,
				`autocomplete="current-password" required autofocus`,
			},
			// A user without a second factor has no passkey: no passkey button, no script.
			notWant: []string{"<h1>Sign in</h1>", "to continue to", "passkey", "<script"},
		},
		{
			name: "login for the account page, signed out",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: page("Sign in"), Action: "/login", FlowID: "f", Account: true})
			},
			want:    []string{"<h1>Sign in</h1>", `<p class="lead">to manage your security settings</p>`},
			notWant: []string{"Confirm it", "to continue to"},
		},
		{
			name: "login with error and notice",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: Page{Dev: true}, Action: "/login", FlowID: "f", Error: "Incorrect email or password.", Notice: "Please sign in again to continue."})
			},
			want: []string{
				"<title>Sign in · Lockstep</title>", // defaults for Title and ProductName
				`role="alert" id="login-error">Incorrect email or password.</div>`,
				`class="alert alert-notice" role="status">Please sign in again to continue.</div>`,
				`aria-invalid="true" aria-describedby="login-error"`,
				"dev-ribbon",
				`autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus`,
			},
		},
		{
			name: "consent",
			render: func(r *Renderer, w io.Writer) error {
				return r.Consent(w, ConsentPage{Page: page(""), Action: "/consent?flow=c1", FlowID: "c1", ClientName: "Acme", UserEmail: "alice@example.com",
					Scopes: []Scope{{Name: "openid", Description: "Confirm who you are"}, {Name: "email", Description: "See your email address"}, {Name: "custom"}}})
			},
			want: []string{
				`Allow <span class="client">Acme</span> to access your account?`,
				"Signed in as <strong>alice@example.com</strong>",
				"Confirm who you are", "See your email address", `<span class="scope-id">email</span>`,
				`<span class="scope-desc">custom</span>`,
				`<form method="post" action="/consent?flow=c1"`,
				`<input type="hidden" name="flow" value="c1">`,
				`name="decision" value="allow"`,
				`name="decision" value="deny"`,
			},
		},
		{
			name: "error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Error(w, ErrorPage{Page: page(""), Status: 400, Heading: "Invalid request", Message: "The redirect_uri is not registered.", RequestID: "req-42"})
			},
			want: []string{"<title>Invalid request · Lockstep</title>", "Error 400", "<h1>Invalid request</h1>", "The redirect_uri is not registered.", "Request ID: ", "req-42"},
		},
		{
			name: "error defaults",
			render: func(r *Renderer, w io.Writer) error {
				return r.Error(w, ErrorPage{Status: http.StatusNotFound})
			},
			want:    []string{"<h1>Not Found</h1>", "Error 404"},
			notWant: []string{"Request ID"},
		},
		{
			name: "logout",
			render: func(r *Renderer, w io.Writer) error {
				return r.Logout(w, LogoutPage{Page: page(""), Action: "/logout", ClientName: "Acme", CancelURL: "/",
					Hidden: map[string]string{"state": "s1", "id_token_hint": "tok", "post_logout_redirect_uri": "https://acme.example/bye", "client_id": "acme"}})
			},
			want: []string{
				"<h1>Sign out?</h1>",
				`<form method="post" action="/logout"`,
				`<input type="hidden" name="client_id" value="acme">`,
				`<input type="hidden" name="id_token_hint" value="tok">`,
				`<input type="hidden" name="post_logout_redirect_uri" value="https://acme.example/bye">`,
				`<input type="hidden" name="state" value="s1">`,
				`href="/">Cancel</a>`,
				">Sign out</button>",
			},
		},
		{
			name: "logout without client",
			render: func(r *Renderer, w io.Writer) error {
				return r.Logout(w, LogoutPage{Action: "/logout"})
			},
			want:    []string{"Do you want to sign out of Lockstep?", "actions-single"},
			notWant: []string{"Cancel", `type="hidden"`},
		},
		{
			name: "outbox",
			render: func(r *Renderer, w io.Writer) error {
				return r.Outbox(w, OutboxPage{Page: Page{Dev: true}, Messages: []OutboxMessage{
					{Kind: "Email", To: "ada@example.com", Subject: "Two-step verification is on", Text: "Two-step verification was turned on."}}})
			},
			want: []string{"<title>Outbox · Lockstep</title>", "ada@example.com", "Two-step verification is on", `<pre class="mono">Two-step verification was turned on.</pre>`},
		},
		{
			name: "outbox empty",
			render: func(r *Renderer, w io.Writer) error {
				return r.Outbox(w, OutboxPage{Page: Page{Dev: true}})
			},
			want:    []string{"Nothing was sent yet."},
			notWant: []string{"outbox-item"},
		},
		{
			name: "logged out",
			render: func(r *Renderer, w io.Writer) error {
				return r.LoggedOut(w, LoggedOutPage{Page: page("")})
			},
			want: []string{"You are signed out", "<title>Signed out · Lockstep</title>"},
		},
		{
			name: "home",
			render: func(r *Renderer, w io.Writer) error {
				return r.Home(w, HomePage{Page: Page{ProductName: "Lockstep", Dev: true}, Issuer: "http://127.0.0.1:8080", DevUser: "dev@example.com", DevPassword: "devpass", DevClientID: "dev-client", DevHints: []string{"Data is kept in memory."}})
			},
			want: []string{
				"<title>Lockstep</title>",
				`href="http://127.0.0.1:8080/.well-known/openid-configuration"`,
				"dev@example.com", "devpass", "dev-client", "Data is kept in memory.",
				"Development credentials", "dev-ribbon",
			},
		},
		{
			name: "home production",
			render: func(r *Renderer, w io.Writer) error {
				return r.Home(w, HomePage{Page: page(""), Issuer: "https://id.example.com"})
			},
			want:    []string{"https://id.example.com"},
			notWant: []string{"Development credentials", "dev-ribbon"},
		},
		{
			name: "challenge totp",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Page: page(""), Action: "/login/2fa?flow=f1", FlowID: "f1", ClientName: "Demo App",
					Methods: []MethodChoice{{Label: "Use a recovery code", Href: "/login/2fa?flow=f1&method=recovery"}}})
			},
			want: []string{
				"<title>Two-step verification · Lockstep</title>",
				"<h1>Two-step verification</h1>",
				"to continue to <strong>Demo App</strong>",
				`<form method="post" action="/login/2fa?flow=f1"`,
				`<input type="hidden" name="flow" value="f1">`,
				`<input type="hidden" name="method" value="totp">`, // the default method
				`<label for="code">6-digit code from your authenticator app</label>`,
				`name="code" class="input-code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6" required autofocus>`,
				">Verify</button>",
				"Use another method",
				`<a href="/login/2fa?flow=f1&amp;method=recovery"><span>Use a recovery code</span>`,
			},
			notWant: []string{`role="alert"`, "aria-invalid", "Confirm it", "Recovery code</label>", "<script", "data-webauthn"},
		},
		{
			name: "challenge totp error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", Method: MethodTOTP,
					Error: "That code is not right. Check your authenticator app and try again."})
			},
			want: []string{
				`class="alert alert-error" role="alert" id="code-error">That code is not right. Check your authenticator app and try again.</div>`,
				`aria-describedby="code-error" aria-invalid="true"`,
				"Open the authenticator app on your phone and enter the code it shows.",
			},
			notWant: []string{"alert-warn", "Use another method", "to continue to"},
		},
		{
			name: "challenge throttled",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", Throttled: true, Error: "Too many wrong codes. Wait 5 minutes, then try again."})
			},
			want: []string{
				`class="alert alert-warn" role="alert" id="code-error"`,
				"Please wait before trying again</strong>Too many wrong codes. Wait 5 minutes, then try again.",
				// The form stays usable; the code was not wrong, so no aria-invalid.
				`maxlength="6" required autofocus aria-describedby="code-error">`,
				">Verify</button>",
			},
			notWant: []string{"aria-invalid", "disabled", "alert-error"},
		},
		{
			name: "challenge throttled without message",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", Throttled: true})
			},
			want: []string{"Too many attempts. Wait a few minutes, then try again."},
		},
		{
			name: "challenge recovery",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", Method: MethodRecovery, ClientName: "Demo App",
					Error:   "That code was already used.",
					Methods: []MethodChoice{{Label: "Use your authenticator app", Href: "/login/2fa?method=totp"}}})
			},
			want: []string{
				`<input type="hidden" name="method" value="recovery">`,
				`<label for="code">Recovery code</label>`,
				`name="code" class="input-code input-recovery" autocomplete="off" autocapitalize="none" spellcheck="false" required autofocus aria-describedby="code-hint code-error" aria-invalid="true">`,
				`<p class="hint" id="code-hint">Each recovery code works once.</p>`,
				"Enter one of the recovery codes you saved",
				"Use your authenticator app",
			},
			notWant: []string{"one-time-code", "inputmode", "6-digit code"},
		},
		{
			name: "challenge step-up",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", ClientName: "Demo App", StepUp: true})
			},
			want: []string{
				"<title>Confirm it&#39;s you · Lockstep</title>",
				"<h1>Confirm it's you</h1>",
				"<strong>Demo App</strong> asks for a second step to protect this action.",
				`autocomplete="one-time-code" inputmode="numeric"`,
			},
			notWant: []string{"Two-step verification"},
		},
		{
			name: "challenge webauthn",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Page: page(""), Action: "/login/2fa?flow=f1", FlowID: "f1", ClientName: "Demo App", Method: MethodWebAuthn,
					WebAuthnOptionsURL: "/login/2fa/webauthn?flow=f1",
					Methods:            []MethodChoice{{Label: "Use your authenticator app", Href: "/login/2fa?flow=f1&method=totp"}}})
			},
			want: []string{
				webauthnScript,
				"<h1>Two-step verification</h1>",
				"Use your security key to continue to <strong>Demo App</strong>.",
				`<form id="webauthn-form" method="post" action="/login/2fa?flow=f1" class="form">`,
				`<input type="hidden" name="flow" value="f1">`,
				`<input type="hidden" name="method" value="webauthn">`,
				`<input type="hidden" name="response">`,
				`<p class="alert alert-error" id="webauthn-error" role="alert" hidden></p>`,
				`<button type="button" id="webauthn-go" data-webauthn="get" data-options-url="/login/2fa/webauthn?flow=f1" data-form="webauthn-form" data-error="webauthn-error" class="btn btn-primary btn-icon">`,
				"Use security key</button>",
				"<noscript><p class=\"hint noscript\">Security keys need JavaScript.</p></noscript>",
				`<a href="/login/2fa?flow=f1&amp;method=totp"><span>Use your authenticator app</span>`,
			},
			notWant: []string{`type="submit"`, `name="code"`, "Verify", "6-digit code"},
		},
		{
			name: "challenge webauthn step-up with error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", Method: MethodWebAuthn, StepUp: true, ClientName: "Demo App",
					WebAuthnOptionsURL: "/login/2fa/webauthn", Error: "That security key is not linked to your account."})
			},
			want: []string{
				"<h1>Confirm it's you</h1>",
				`class="alert alert-error" role="alert" id="code-error">That security key is not linked to your account.</div>`,
				`data-webauthn="get" data-options-url="/login/2fa/webauthn"`,
				webauthnScript,
			},
			notWant: []string{"Use your security key."},
		},
		{
			name: "totp enrolment",
			render: func(r *Renderer, w io.Writer) error {
				return r.TOTPEnrol(w, TOTPEnrolPage{Page: page(""), Action: "/enrol/totp?flow=f2", FlowID: "f2", ClientName: "Demo App", Required: true,
					DeviceID: "d1", QRCodeURL: "/enrol/totp/qr?flow=f2", Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
					OTPAuthURI: "otpauth://totp/Lockstep:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Lockstep",
					Steps:      []Step{{Label: "Scan", Current: true}, {Label: "Verify"}, {Label: "Recovery codes"}, {Label: "Done"}}})
			},
			want: []string{
				"<title>Set up an authenticator app · Lockstep</title>",
				"<strong>Demo App</strong> requires two-step verification. Set it up now to continue.",
				`<ol class="steps" aria-label="Progress: Step 1 of 4">`,
				`<li class="step step-current" aria-current="step"><span class="step-dot" aria-hidden="true">1</span><span class="step-label">Scan</span></li>`,
				`<li class="step"><span class="step-dot" aria-hidden="true">4</span><span class="step-label">Done</span></li>`,
				`<div class="qr"><img src="/enrol/totp/qr?flow=f2" width="192" height="192" alt="QR code that adds your Lockstep account to an authenticator app">`,
				"Can't scan? Enter this key:",
				`<span>JBSW</span><span>Y3DP</span><span>EHPK</span><span>3PXP</span><span>JBSW</span>`,
				`href="otpauth://totp/Lockstep:alice@example.com?secret=JBSWY3DPEHPK3PXP&amp;issuer=Lockstep"`,
				"Open in an authenticator app on this device",
				`<form method="post" action="/enrol/totp?flow=f2"`,
				`<input type="hidden" name="flow" value="f2">`,
				`<input type="hidden" name="device" value="d1">`,
				`name="code" class="input-code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6" required>`,
				`name="device_name" value="Authenticator app" maxlength="64" autocomplete="off"`,
				">Verify and turn on</button>",
			},
			notWant: []string{`role="alert"`, "aria-invalid", "step-done"},
		},
		{
			name: "totp enrolment optional, outside a flow, with error",
			render: func(r *Renderer, w io.Writer) error {
				return r.TOTPEnrol(w, TOTPEnrolPage{Action: "/account/totp", DeviceID: "d1", DeviceName: "Work phone", Secret: "ABCDEFGHIJ",
					Error: "That code has expired. Enter the new code your app shows now.",
					Steps: []Step{{Label: "Scan", Done: true}, {Label: "Verify", Current: true}}})
			},
			want: []string{
				"Add a second step to your sign-in",
				`role="alert" id="code-error">That code has expired. Enter the new code your app shows now.</div>`,
				`maxlength="6" required autofocus aria-invalid="true" aria-describedby="code-error">`,
				`value="Work phone"`,
				`<span>ABCD</span><span>EFGH</span><span>IJ</span>`,
				`<li class="step step-done"><span class="step-dot" aria-hidden="true"><svg`,
				`<span class="visually-hidden"> (done)</span>`,
				`<li class="step step-current" aria-current="step"><span class="step-dot" aria-hidden="true">2</span>`,
			},
			// No flow, no QR image, no otpauth link.
			notWant: []string{`name="flow"`, "<img", "otpauth", "requires two-step"},
		},
		{
			name: "totp enrolment replacing every app",
			render: func(r *Renderer, w io.Writer) error {
				return r.TOTPEnrol(w, TOTPEnrolPage{Page: page("Replace your authenticator apps"), Action: "/account/totp/add?replace=1", DeviceID: "d1", DeviceName: "Authenticator app", Secret: "ABCDEFGHIJ",
					Replace: true, Replaced: []string{"Old phone", "<Tablet>"}, CancelURL: "/account"})
			},
			want: []string{
				"<h1>Replace your authenticator apps</h1>",
				`<div class="callout" role="note" id="replace-warning">`,
				"<li><strong>Old phone</strong>, <strong>&lt;Tablet&gt;</strong> are removed, and their codes stop working at once.</li>",
				"must enter a code from the new app the next time they need the second step",
				`aria-describedby="replace-warning">Verify and replace</button>`,
				`<p class="links"><a href="/account">Cancel</a></p>`,
			},
			notWant: []string{"Set up an authenticator app", "Verify and turn on", "<Tablet>"},
		},
		{
			name: "totp enrolment replacing one app",
			render: func(r *Renderer, w io.Writer) error {
				return r.TOTPEnrol(w, TOTPEnrolPage{Action: "/account/totp/add?replace=1", DeviceID: "d1", Secret: "ABCDEFGHIJ",
					Replace: true, Replaced: []string{"Old phone"}})
			},
			want: []string{"<li><strong>Old phone</strong> is removed, and its codes stop working at once.</li>"},
		},
		{
			name: "recovery codes",
			render: func(r *Renderer, w io.Writer) error {
				return r.RecoveryCodes(w, RecoveryCodesPage{Page: page(""), Action: "/enrol/recovery?flow=f3", FlowID: "f3",
					Codes: []string{"aaaaa-bbbbb", "ccccc-ddddd", "eeeee-fffff", "ggggg-hhhhh", "jjjjj-kkkkk", "mmmmm-nnnnn", "ppppp-qqqqq", "rrrrr-sssss", "ttttt-uuuuu", "vvvvv-wwwww"},
					Steps: []Step{{Label: "Scan", Done: true}, {Label: "Verify", Done: true}, {Label: "Recovery codes", Current: true}, {Label: "Done"}}})
			},
			want: []string{
				"<title>Save your recovery codes · Lockstep</title>",
				`<ol class="codes" id="recovery-codes" aria-label="Recovery codes">`,
				`<li><span class="code-n">1</span><code class="code">aaaaa-bbbbb</code></li>`,
				`<li><span class="code-n">10</span><code class="code">vvvvv-wwwww</code></li>`,
				"Each code works once.",
				"print this page",
				`<form method="post" action="/enrol/recovery?flow=f3" class="form form-confirm">`,
				`<input type="hidden" name="flow" value="f3">`,
				`<label class="check"><input type="checkbox" name="stored" value="yes" required><span>I have safely copied and stored these codes</span></label>`,
				">Continue</button>",
				`aria-current="step"><span class="step-dot" aria-hidden="true">3</span>`,
				// Saved as a text file, or copied (the button shows with the script).
				`<a class="btn btn-small btn-secondary" href="data:text/plain;charset=utf-8,Lockstep%20recovery%20codes%0A%0AEach%20code%20works%20once.`,
				`aaaaa-bbbbb%0Accccc-ddddd%0A`,
				`download="recovery-codes.txt">Download</a>`,
				`data-copy="recovery-codes" data-status="copy-status" data-copied="Copied." data-copy-failed="Copying did not work: select the codes instead." hidden>Copy</button>`,
				codesScript,
			},
			notWant: []string{`role="alert"`, `href="#"`, "ZgotmplZ"},
		},
		{
			name: "recovery codes error",
			render: func(r *Renderer, w io.Writer) error {
				return r.RecoveryCodes(w, RecoveryCodesPage{Action: "/account/recovery", Codes: []string{"aaaaa-bbbbb"}, Error: "Tick the box to confirm you stored your codes."})
			},
			want: []string{
				`role="alert" id="stored-error">Tick the box to confirm you stored your codes.</div>`,
				`name="stored" value="yes" required aria-invalid="true" aria-describedby="stored-error">`,
			},
			notWant: []string{`name="flow"`, `class="steps"`},
		},
		{
			name: "enrol choice grace period",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Page: page(""), Action: "/enrol?flow=f4", FlowID: "f4", ClientName: "Demo App", DaysLeft: 5})
			},
			want: []string{
				"<title>Protect your account · Lockstep</title>",
				"Protect your account</h1>",
				"5 days left</strong> to set up two-step verification",
				`<input type="hidden" name="flow" value="f4">`,
				`<button type="submit" name="decision" value="setup" class="btn btn-primary">Set it up now</button>`,
				`<button type="submit" name="decision" value="later" class="btn btn-secondary">Later</button>`,
			},
		},
		{
			name: "enrol choice after a reset",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Page: page("Set up two-step verification again"), Action: "/enrol/protect", FlowID: "f4", ClientName: "Demo App", AfterReset: true, SMS: true})
			},
			want: []string{
				"<h1 class=\"center\">Set up two-step verification again</h1>",
				"You reset two-step verification, so only your password protects your account now. Link a new app or phone to turn it back on.",
				`value="setup" class="btn btn-primary">Set it up now</button>`,
				`value="later" class="btn btn-secondary">Later</button>`,
			},
			notWant: []string{"Protect your account</h1>", "asks for two-step verification", "organisation requires"},
		},
		{
			name: "enrol choice one day left",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Action: "/enrol", FlowID: "f4", DaysLeft: 1})
			},
			want:    []string{"1 day left</strong>"},
			notWant: []string{"1 days"},
		},
		{
			name: "enrol choice required",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Action: "/enrol", FlowID: "f4", ClientName: "Demo App", Required: true, DaysLeft: 3})
			},
			want:    []string{"Your organisation requires two-step verification to sign in to <strong>Demo App</strong>. Set it up now to continue.", `value="setup"`},
			notWant: []string{`value="later"`, "Later", "days left"},
		},
		{
			name: "enrol choice offer",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Action: "/enrol", FlowID: "f4"})
			},
			want:    []string{"a stolen password alone is not enough", `value="setup"`, `value="later"`},
			notWant: []string{"days left", "requires"},
		},
		{
			name: "enrol choice with the deadline's date",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Action: "/enrol", FlowID: "f4", DaysLeft: 5, Deadline: "8 December 2026"})
			},
			want: []string{"5 days left</strong> to set up two-step verification, until 8 December 2026", ">Later</button>"},
		},
		{
			name: "enrol choice after the deadline",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Action: "/enrol", FlowID: "f4", Required: true, Deadline: "8 December 2026"})
			},
			want:    []string{"Your organisation requires two-step verification.", "The time to set it up ended on 8 December 2026."},
			notWant: []string{`value="later"`},
		},
		{
			name: "enrol choice an app asks",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Page: page(""), Action: "/enrol", FlowID: "f4", ClientName: "Payroll", AppAsks: true})
			},
			want:    []string{"Payroll asks for two-step verification</h1>", `value="setup" class="btn btn-primary">Set it up now</button>`, `value="later" class="btn btn-secondary">Not now</button>`},
			notWant: []string{"days left", "requires"},
		},
		{
			name: "account banner with the organisation's deadline",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: "bob@example.com", Mode: ModePasswordOnly, Protect: true, ProtectDeadline: "8 December 2026", ProtectURL: "/account/totp/add"})
			},
			want: []string{"<strong>Protect your account.</strong> Your organisation requires two-step verification: set it up by 8 December 2026.", `<a href="/account/totp/add">Set it up now</a>`},
		},
		{
			name: "account banner without an organisation",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: "bob@example.com", Mode: ModePasswordOnly, Protect: true})
			},
			want:    []string{"<strong>Protect your account.</strong> Add two-step verification"},
			notWant: []string{"organisation"},
		},
		{
			name: "account with devices and notice",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaApps, Page: page(""), Email: "alice@example.com", Notice: "Authenticator app added.",
					Mode: ModeTOTP,
					Devices: []AccountDevice{
						{ID: "d1", Name: "Work phone", Added: "23 Nov 2026", LastUsed: "2 Dec 2026"},
						{ID: "d2", Name: "Old iPad", Added: "1 Dec 2026"},
					},
					RemoveAction: "/account/totp/remove", AddURL: "/account/totp", ReplaceURL: "/account/totp?replace=1",
					RecoveryTotal: 10, RecoveryUnused: 7, RegenerateAction: "/account/recovery", SignOutURL: "/logout"})
			},
			want: []string{
				"<title>Security · Lockstep</title>",
				`<main class="card card-wide area-apps">`,
				`class="alert alert-success" role="status">`,
				`<span class="alert-body">Authenticator app added.</span>`,
				// One small form per device.
				`<span class="device-name">Work phone</span><span class="device-meta"><span>Added 23 Nov 2026</span><span>Last used 2 Dec 2026</span></span>`,
				`<span class="device-name">Old iPad</span><span class="device-meta"><span>Added 1 Dec 2026</span><span>Never used</span></span>`,
				`<form method="post" action="/account/totp/remove" class="device-remove">` + "\n" + `<input type="hidden" name="device" value="d1">`,
				`<form method="post" action="/account/totp/remove" class="device-remove">` + "\n" + `<input type="hidden" name="device" value="d2">`,
				`<button type="submit" class="btn btn-small btn-danger">Remove<span class="visually-hidden"> Work phone</span></button>`,
				`<a class="btn btn-secondary btn-add" href="/account/totp">`,
				"Add an authenticator app</a>",
				`<a href="/account/totp?replace=1" aria-describedby="replace-hint">Replace all devices</a>`,
				"Link a new app and remove all the others in one step.",
				`<a class="footer-link" href="/logout">Sign out</a></footer>`,
			},
			notWant: []string{`role="alert"`, "Two-step verification is off", "btn-primary", "pill-warn", "no recovery codes", "Secured by Lockstep</footer>"},
		},
		{
			name: "account empty state",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaApps, Email: "bob@example.com", RemoveAction: "/account/totp/remove", AddURL: "/account/totp",
					ReplaceURL: "/account/totp?replace=1", RegenerateAction: "/account/recovery", SignOutURL: "/logout"})
			},
			want: []string{
				"<title>Security · Lockstep</title>", // default title
				"<strong>Two-step verification is off.</strong> Add an authenticator app to protect your account.",
				`<a class="btn btn-primary" href="/account/totp">Add an authenticator app</a>`,
			},
			notWant: []string{
				`class="devices"`, "Remove", "Replace all devices", `name="device"`, "pill-on",
				"recovery codes left", "Generate new recovery codes", "alert-success", `role="alert"`,
			},
		},
		{
			name: "account without recovery codes, with error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaRecovery, Email: "carol@example.com", Error: "That authenticator app is not linked to your account.",
					Devices:      []AccountDevice{{ID: "d1", Name: "Phone", Added: "23 Nov 2026"}},
					RemoveAction: "/account/totp/remove", AddURL: "/account/totp", RegenerateAction: "/account/recovery"})
			},
			want: []string{
				`<div class="alert alert-error" role="alert">That authenticator app is not linked to your account.</div>`,
				`<p class="pill pill-warn">No recovery codes</p>`,
				`<div class="callout" role="note">`,
				`<strong class="alert-title">You have no recovery codes</strong>`,
				`<button type="submit" class="btn btn-primary" aria-describedby="codes-hint">Generate new recovery codes</button>`,
				"You will see the new codes once.",
				"Secured by Lockstep</span></footer>",
			},
			// No ReplaceURL, no SignOutURL: no link; nothing was ever issued, so no "old codes".
			notWant: []string{"Replace all devices", "Sign out", "recovery codes left", "old codes", "alert-success", "used all"},
		},
		{
			name: "account with every recovery code used",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaRecovery, Devices: []AccountDevice{{ID: "d1", Name: "Phone", Added: "23 Nov 2026"}},
					RecoveryTotal: 10, RecoveryUnused: 0, RegenerateAction: "/account/recovery"})
			},
			want: []string{
				`<p class="pill pill-warn"><span><strong>0</strong> of 10 recovery codes left</span></p>`,
				"You have used all your recovery codes",
				`class="btn btn-primary" aria-describedby="codes-hint">Generate new recovery codes`,
				"Your old codes stop working",
			},
			// Without RemoveAction the rows have no Remove form.
			notWant: []string{`name="device"`, "Remove", "You have no recovery codes"},
		},
		{
			name: "account with security keys",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaKeys, Email: "alice@example.com",
					Devices:      []AccountDevice{{ID: "d1", Name: "Phone", Added: "1 Nov 2026"}},
					RemoveAction: "/account/totp/remove", RecoveryTotal: 10, RecoveryUnused: 10,
					Keys: []AccountKey{
						{ID: "a1b2", Name: "YubiKey 5", Added: "2 Nov 2026", LastUsed: "22 Nov 2026"},
						{ID: "c3d4", Name: "Backup key", Added: "3 Nov 2026"},
						{ID: "e5f6", Name: "Laptop", Added: "4 Nov 2026", Passkey: true},
					},
					RemoveKeyAction: "/account/keys/remove", AddKeyAction: "/account/keys", AddKeyOptionsURL: "/account/keys/options"})
			},
			want: []string{
				webauthnScript,
				`<h2 id="keys-heading">Security keys and passkeys</h2>`,
				`<ul class="devices keys" aria-labelledby="keys-heading">`,
				`<span class="device-name">YubiKey 5</span><span class="device-meta"><span>Added 2 Nov 2026</span><span>Last used 22 Nov 2026</span></span>`,
				`<span class="device-name">Backup key</span><span class="device-meta"><span>Added 3 Nov 2026</span><span>Never used</span></span>`,
				`<span class="device-name">Laptop</span><span class="device-meta"><span>Passkey</span><span>Added 4 Nov 2026</span>`,
				`<form method="post" action="/account/keys/remove" class="device-remove">` + "\n" + `<input type="hidden" name="key" value="a1b2">`,
				`<form method="post" action="/account/keys/remove" class="device-remove">` + "\n" + `<input type="hidden" name="key" value="c3d4">`,
				`Remove<span class="visually-hidden"> Backup key</span></button>`,
				`<form id="webauthn-add" method="post" action="/account/keys" class="key-add">`,
				`<label for="key-name">Name</label>`,
				`<input type="text" id="key-name" name="name" placeholder="YubiKey" maxlength="64" autocomplete="off"`,
				`<input type="hidden" name="response">`,
				`<p class="alert alert-error" id="webauthn-add-error" role="alert"`,
				`<button type="button" data-webauthn="create" data-options-url="/account/keys/options" data-form="webauthn-add" data-error="webauthn-add-error"`,
				"Add a security key</button>",
				"Security keys need JavaScript.",
				`<label class="check check-passkey"><input type="checkbox" name="passkey" value="1"><span>Use it as a passkey: sign in with it alone, without your password (needs a PIN or fingerprint on the key or device)</span></label>`,
			},
		},
		{
			name: "account with add key action, no keys, no remove action",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaKeys, Keys: []AccountKey{{ID: "a1", Name: "Key"}}, AddKeyAction: "/account/keys", AddKeyOptionsURL: "/account/keys/options"})
			},
			want:    []string{"Security keys and passkeys</h2>", `data-webauthn="create"`, webauthnScript, `<span class="device-name">Key</span>`},
			notWant: []string{`name="key"`, "Remove"},
		},
		{
			name: "account without add key action",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaKeys, Keys: []AccountKey{{ID: "a1", Name: "Key"}}, RemoveKeyAction: "/account/keys/remove", AddKeyOptionsURL: "/account/keys/options"})
			},
			notWant: []string{"Security keys", "<script", "data-webauthn", `name="key"`, "webauthn-add"},
		},
		{
			name: "challenge sms before sending",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Page: page(""), Action: "/login/2fa?flow=f1", FlowID: "f1", ClientName: "Demo App", Method: MethodSMS,
					PhoneMasked: "+49 ••• ••• •89", SendAction: "/login/2fa/send?flow=f1", RememberDays: 30,
					Methods: []MethodChoice{{Label: "Use your authenticator app", Href: "/login/2fa?flow=f1&method=totp"}}})
			},
			want: []string{
				"<h1>Two-step verification</h1>",
				`We will text a 6-digit code to <strong class="nowrap">&#43;49 ••• ••• •89</strong> to continue to <strong>Demo App</strong>.`,
				`<form method="post" action="/login/2fa/send?flow=f1" class="form">` + "\n" +
					`<input type="hidden" name="flow" value="f1">` + "\n" + `<input type="hidden" name="method" value="sms">`,
				"Text me a code</button>",
				"Use your authenticator app",
			},
			// No code field yet, so nothing to remember either.
			notWant: []string{`name="code"`, "Verify", "Send a new code", `name="remember"`, "<script", `role="alert"`, "alert-success", "Reset two-step"},
		},
		{
			name: "challenge sms code sent",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa?flow=f1", FlowID: "f1", Method: MethodSMS, PhoneMasked: "+49 ••• ••• •89",
					SendAction: "/login/2fa/send?flow=f1", CodeSent: true, ResendWait: 25, Notice: "We sent a new code.",
					RememberDays: 30, ResetURL: "/login/2fa/reset?flow=f1"})
			},
			want: []string{
				`Enter the code we sent to <strong class="nowrap">&#43;49 ••• ••• •89</strong>.`,
				`<div class="alert alert-success" role="status">`,
				`<span class="alert-body">We sent a new code.</span></div>`,
				`<form method="post" action="/login/2fa?flow=f1" class="form">` + "\n" +
					`<input type="hidden" name="flow" value="f1">` + "\n" + `<input type="hidden" name="method" value="sms">`,
				`<label for="code">6-digit code from the text message</label>`,
				`name="code" class="input-code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6" required autofocus>`,
				`<label class="check check-remember"><input type="checkbox" name="remember" value="yes"><span>Don't ask again on this device for 30 days</span></label>` + "\n" +
					`<button type="submit" class="btn btn-primary">Verify</button>`,
				`<form method="post" action="/login/2fa/send?flow=f1" class="resend">` + "\n" +
					`<input type="hidden" name="flow" value="f1">` + "\n" + `<input type="hidden" name="method" value="sms">`,
				`<button type="submit" class="btn btn-small btn-secondary" disabled aria-describedby="resend-hint" data-wait="25">Send a new code</button>`,
				countdownScript,
				`<p class="hint" id="resend-hint">You can ask for a new code in 25 seconds.</p>`,
				`Lost access to your second factor? <a class="nowrap" href="/login/2fa/reset?flow=f1">Reset two-step verification</a>`,
			},
			notWant: []string{"Text me a code", "authenticator app</label>", "aria-invalid", `role="alert"`},
		},
		{
			name: "challenge sms resend allowed, one day, error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/login/2fa", FlowID: "f1", Method: MethodSMS, PhoneMasked: "+1 ••• ••42",
					SendAction: "/login/2fa/send", CodeSent: true, RememberDays: 1, Error: "That code has expired. We can send you a new one."})
			},
			want: []string{
				`role="alert" id="code-error">That code has expired. We can send you a new one.</div>`,
				`maxlength="6" required autofocus aria-describedby="code-error" aria-invalid="true">`,
				"Don't ask again on this device for 1 day</span>",
				`<button type="submit" class="btn btn-small btn-secondary">Send a new code</button>`,
			},
			notWant: []string{"1 days", "disabled", "resend-hint", "Reset two-step"},
		},
		{
			name: "challenge totp and webauthn remember the device",
			render: func(r *Renderer, w io.Writer) error {
				var buf bytes.Buffer
				if err := r.Challenge(&buf, ChallengePage{Action: "/login/2fa", FlowID: "f1", RememberDays: 14}); err != nil {
					return err
				}
				if err := r.Challenge(&buf, ChallengePage{Action: "/login/2fa", FlowID: "f1", Method: MethodRecovery, RememberDays: 14}); err != nil {
					return err
				}
				if err := r.Challenge(&buf, ChallengePage{Action: "/login/2fa", FlowID: "f1", Method: MethodWebAuthn, WebAuthnOptionsURL: "/o", RememberDays: 14}); err != nil {
					return err
				}
				_, err := buf.WriteTo(w)
				return err
			},
			want: []string{
				`<input type="hidden" name="method" value="totp">`,
				`<input type="hidden" name="method" value="recovery">`,
				// The security-key form carries the box too; webauthn.js submits the whole form.
				`<input type="hidden" name="response">` + "\n" +
					`<label class="check check-remember"><input type="checkbox" name="remember" value="yes"><span>Don't ask again on this device for 14 days</span></label>`,
				`<p class="hint" id="code-hint">Each recovery code works once.</p>` + "\n</div>\n" + `<label class="check check-remember">`,
			},
		},
		{
			name: "phone enrolment number",
			render: func(r *Renderer, w io.Writer) error {
				return r.PhoneEnrol(w, PhoneEnrolPage{Page: page(""), Action: "/enrol/phone?flow=f5", FlowID: "f5", ClientName: "Demo App",
					Countries: []Country{{ISO: "AT", Name: "Austria", Dial: "+43"}, {ISO: "DE", Name: "Germany", Dial: "+49"}},
					Country:   "DE", National: "0151 2345678", ShowMode: true, Primary: true, CancelURL: "/enrol/cancel?flow=f5",
					Steps: []Step{{Label: "Phone number", Current: true}, {Label: "Verify"}}})
			},
			want: []string{
				"<title>Set up text message codes · Lockstep</title>",
				`<main class="card card-wizard">`,
				`<ol class="steps" aria-label="Progress: Step 1 of 2">`,
				"<h1>Set up text message codes</h1>",
				"Then you continue to <strong>Demo App</strong>.",
				`<form method="post" action="/enrol/phone?flow=f5" class="form">` + "\n" +
					`<input type="hidden" name="flow" value="f5">` + "\n" + `<input type="hidden" name="stage" value="number">`,
				`<label for="country">Country</label>`,
				`<select id="country" name="country" autocomplete="tel-country-code" required>`,
				`<option value="AT">Austria (&#43;43)</option>`,
				`<option value="DE" selected>Germany (&#43;49)</option>`,
				`<label for="national">Mobile number</label>`,
				`<input type="tel" id="national" name="national" value="0151 2345678" autocomplete="tel-national" inputmode="tel" required autofocus aria-describedby="national-hint">`,
				`<fieldset class="choices">`,
				`<input type="radio" name="mode" value="primary" checked><span>Use text messages as my main way to verify</span>`,
				`<input type="radio" name="mode" value="backup"><span>Keep text messages as a backup</span>`,
				`<button type="submit" class="btn btn-primary">Send code</button>`,
				`<a href="/enrol/cancel?flow=f5">Cancel</a>`,
			},
			notWant: []string{`name="code"`, "Change number", "Send a new code", `role="alert"`, "aria-invalid", "<script"},
		},
		{
			name: "phone enrolment number, default stage, backup, error",
			render: func(r *Renderer, w io.Writer) error {
				return r.PhoneEnrol(w, PhoneEnrolPage{Action: "/account/phone", Countries: []Country{{ISO: "DE", Name: "Germany", Dial: "+49"}},
					ShowMode: true, Error: "That does not look like a mobile number."})
			},
			want: []string{
				`<input type="hidden" name="stage" value="number">`,
				`<div class="alert alert-error" role="alert" id="phone-error">That does not look like a mobile number.</div>`,
				`aria-describedby="national-hint phone-error" aria-invalid="true">`,
				`<option value="DE">Germany (&#43;49)</option>`,
				`<input type="radio" name="mode" value="primary"><span>`,
				`<input type="radio" name="mode" value="backup" checked><span>`,
			},
			// Outside a flow: no flow input, no steps, no cancel link.
			notWant: []string{`name="flow"`, `class="steps"`, "Cancel", "selected"},
		},
		{
			name: "phone enrolment number without mode",
			render: func(r *Renderer, w io.Writer) error {
				return r.PhoneEnrol(w, PhoneEnrolPage{Action: "/account/phone", Stage: PhoneStageNumber, Primary: true})
			},
			want:    []string{`name="national"`},
			notWant: []string{`name="mode"`, "fieldset"},
		},
		{
			name: "phone enrolment code",
			render: func(r *Renderer, w io.Writer) error {
				return r.PhoneEnrol(w, PhoneEnrolPage{Action: "/enrol/phone?flow=f5", FlowID: "f5", Stage: PhoneStageCode, PhoneMasked: "+49 ••• ••• •78",
					ResendAction: "/enrol/phone/resend?flow=f5", ResendWait: 42, ChangeURL: "/enrol/phone?flow=f5&change=1", CancelURL: "/cancel",
					Notice: "We sent a new code.", ShowMode: true, Country: "DE", National: "0151"})
			},
			want: []string{
				`We sent a 6-digit code to <strong class="nowrap">&#43;49 ••• ••• •78</strong>.`,
				`<span class="alert-body">We sent a new code.</span>`,
				`<input type="hidden" name="flow" value="f5">` + "\n" + `<input type="hidden" name="stage" value="code">`,
				`<label for="code">6-digit code from the text message</label>`,
				`name="code" class="input-code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6" required autofocus>`,
				`<button type="submit" class="btn btn-primary">Verify</button>`,
				`<form method="post" action="/enrol/phone/resend?flow=f5" class="resend">` + "\n" + `<input type="hidden" name="flow" value="f5">`,
				`disabled aria-describedby="resend-hint" data-wait="42">Send a new code</button>`,
				countdownScript,
				"You can ask for a new code in 42 seconds.",
				`<a href="/enrol/phone?flow=f5&amp;change=1">Change number</a>`,
				`<a href="/cancel">Cancel</a>`,
			},
			notWant: []string{`name="national"`, `name="country"`, `type="radio"`, "Send code</button>", `value="number"`, `role="alert"`},
		},
		{
			name: "phone enrolment code, error, resend allowed",
			render: func(r *Renderer, w io.Writer) error {
				return r.PhoneEnrol(w, PhoneEnrolPage{Action: "/account/phone", Stage: PhoneStageCode, PhoneMasked: "+1 ••• ••42",
					ResendAction: "/account/phone/resend", Error: "That code is not right."})
			},
			want: []string{
				`role="alert" id="phone-error">That code is not right.</div>`,
				`required autofocus aria-invalid="true" aria-describedby="phone-error">`,
				`<form method="post" action="/account/phone/resend" class="resend">` + "\n" + `<input type="hidden" name="mode" value="backup">` + "\n" + `<p class="resend-text">`,
				`<button type="submit" class="btn btn-small btn-secondary">Send a new code</button>`,
			},
			notWant: []string{`name="flow"`, "disabled", "Change number", "Cancel"},
		},
		{
			name: "confirm device",
			render: func(r *Renderer, w io.Writer) error {
				return r.ConfirmDevice(w, ConfirmDevicePage{Page: page(""), Action: "/login/device?flow=f6", FlowID: "f6", EmailMasked: "a•••@example.com",
					ClientName: "Demo App", ResendAction: "/login/device/resend?flow=f6", ResendWait: 30})
			},
			want: []string{
				"<title>Confirm it&#39;s you · Lockstep</title>",
				`<h1 class="center">Confirm it's you</h1>`,
				`We don't recognise this device. To keep your account safe, we sent an email to <strong class="nowrap">a•••@example.com</strong> with a link and a code.`,
				"Then you continue to <strong>Demo App</strong>.",
				`<form method="post" action="/login/device?flow=f6" class="form">` + "\n" + `<input type="hidden" name="flow" value="f6">`,
				`<label for="code">6-digit code from the email</label>`,
				// Not required: after opening the link, Continue works without a code.
				`name="code" class="input-code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6" autofocus aria-describedby="code-hint">`,
				`<p class="hint" id="code-hint">You can also open the link in the email; then come back to this window and press Continue.</p>`,
				`<button type="submit" class="btn btn-primary">Continue</button>`,
				`<form method="post" action="/login/device/resend?flow=f6" class="resend">` + "\n" + `<input type="hidden" name="flow" value="f6">`,
				`disabled aria-describedby="resend-hint" data-wait="30">Send another email</button>`,
				countdownScript,
				"You can ask for another email in 30 seconds.",
			},
			notWant: []string{"required", `role="alert"`, "alert-success", "aria-invalid"},
		},
		{
			name: "confirm device with error and notice",
			render: func(r *Renderer, w io.Writer) error {
				return r.ConfirmDevice(w, ConfirmDevicePage{Action: "/login/device", FlowID: "f6", EmailMasked: "a•••@example.com",
					Error: "That code is not right.", Notice: "We sent another email.", ResendAction: "/login/device/resend"})
			},
			want: []string{
				`<div class="alert alert-error" role="alert" id="code-error">That code is not right.</div>`,
				`<span class="alert-body">We sent another email.</span>`,
				`aria-describedby="code-hint code-error" aria-invalid="true">`,
				`<button type="submit" class="btn btn-small btn-secondary">Send another email</button>`,
			},
			notWant: []string{"disabled", "continue to"},
		},
		{
			name: "reset two-step verification",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FA(w, ResetPage{Page: page(""), FlowID: "f7", HasRecoveryCodes: true, RecoveryAction: "/login/reset/recovery?flow=f7",
					EmailAction: "/login/reset/email?flow=f7", BackURL: "/login/2fa?flow=f7"})
			},
			want: []string{
				"<title>Reset two-step verification · Lockstep</title>",
				"<h1>Reset two-step verification</h1>",
				"Resetting removes your authenticator apps, security keys, phone number and recovery codes, and signs you out everywhere.",
				"Right after, you can set up two-step verification again with a new app or phone. You can skip that for now, unless the app or your organisation requires it.",
				"We email you about it",
				`<form method="post" action="/login/reset/recovery?flow=f7" class="form">` + "\n" + `<input type="hidden" name="flow" value="f7">`,
				`<label for="code">Recovery code</label>`,
				`name="code" class="input-code input-recovery" autocomplete="off"`,
				`<button type="submit" class="btn btn-primary">Reset with recovery code</button>`,
				`<p class="divider"><span>or</span></p>`,
				`<form method="post" action="/login/reset/email?flow=f7" class="form form-after-divider">` + "\n" + `<input type="hidden" name="flow" value="f7">`,
				`<button type="submit" class="btn btn-secondary">Email me a reset link</button>`,
				`<a href="/login/2fa?flow=f7">Back</a>`,
			},
			notWant: []string{`role="alert"`, "alert-info", "We sent a link"},
		},
		{
			name: "reset two-step verification without recovery codes",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FA(w, ResetPage{FlowID: "f7", RecoveryAction: "/login/reset/recovery", EmailAction: "/login/reset/email", Error: "Something went wrong."})
			},
			want: []string{
				`<div class="alert alert-error" role="alert" id="reset-error">Something went wrong.</div>`,
				`<form method="post" action="/login/reset/email" class="form">`,
				`<button type="submit" class="btn btn-primary">Email me a reset link</button>`,
			},
			notWant: []string{"Recovery code", `name="code"`, "divider", "Back</a>"},
		},
		{
			name: "reset two-step verification email sent",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FA(w, ResetPage{FlowID: "f7", HasRecoveryCodes: true, RecoveryAction: "/login/reset/recovery", EmailAction: "/login/reset/email",
					EmailSent: true, EmailMasked: "a•••@example.com", BackURL: "/challenge?flow=f7", ContinueURL: "/challenge?flow=f7"})
			},
			want: []string{
				`<div class="alert alert-info" role="status">`,
				`We sent a link to <strong class="nowrap">a•••@example.com</strong>. Open it to reset two-step verification. The link works once, for 30 minutes.`,
				"Reset with recovery code",
				`<a class="btn btn-primary" href="/challenge?flow=f7">Continue</a>`,
			},
			notWant: []string{"Email me a reset link", `action="/login/reset/email"`, ">Back</a>"},
		},
		{
			name: "reset confirm",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FAConfirm(w, ResetConfirmPage{Page: page(""), Action: "/reset", Token: "tok123", Email: "alice@example.com"})
			},
			want: []string{
				"<title>Reset two-step verification? · Lockstep</title>",
				"<h1>Reset two-step verification?</h1>",
				`<p class="account">For <strong>alice@example.com</strong></p>`,
				`<div class="callout" role="note">`,
				"<li>your authenticator apps</li>",
				`<form method="post" action="/reset" class="form form-confirm">` + "\n" + `<input type="hidden" name="token" value="tok123">`,
				`<label class="check"><input type="checkbox" name="confirm" value="yes" required><span>I understand that my authenticator apps, security keys and phone number will be removed</span></label>`,
				`<button type="submit" class="btn btn-destructive">Reset two-step verification</button>`,
			},
			notWant: []string{`role="alert"`, "was reset", `name="flow"`},
		},
		{
			name: "totp enrolment offering text messages",
			render: func(r *Renderer, w io.Writer) error {
				return r.TOTPEnrol(w, TOTPEnrolPage{Action: "/enrol/totp", FlowID: "f1", DeviceID: "d1", Secret: "JBSWY3DPEHPK3PXP",
					SMSURL: "/enrol/phone?change=1&flow=f1"})
			},
			want: []string{`No authenticator app? <a href="/enrol/phone?change=1&amp;flow=f1">Get codes by text message instead</a>`},
		},
		{
			name: "step-up by text message names the number",
			render: func(r *Renderer, w io.Writer) error {
				return r.Challenge(w, ChallengePage{Action: "/challenge", FlowID: "f1", Method: MethodSMS, StepUp: true,
					PhoneMasked: "+49 ••• 89", SendAction: "/challenge/sms"})
			},
			want: []string{"Confirm it&#39;s you", `We will text a 6-digit code to <strong class="nowrap">&#43;49 ••• 89</strong>.`},
		},
		{
			name: "message with a form",
			render: func(r *Renderer, w io.Writer) error {
				return r.Message(w, MessagePage{Heading: "Is this you?", LinkLabel: "Yes, it's me", Kind: MessageInfo,
					PostAction: "/login/confirm-device/link", Hidden: map[string]string{"flow": "f1", "code": "123456"}})
			},
			want: []string{
				`<form method="post" action="/login/confirm-device/link" class="form">` + "\n" +
					`<input type="hidden" name="code" value="123456">` + "\n" + `<input type="hidden" name="flow" value="f1">`,
				`<button type="submit" class="btn btn-primary">Yes, it's me</button>`,
			},
			notWant: []string{"message-link"},
		},
		{
			name: "password change",
			render: func(r *Renderer, w io.Writer) error {
				return r.Password(w, PasswordPage{Action: "/account/password", Email: "alice@example.com", MinLength: 10, CancelURL: "/account"})
			},
			want: []string{
				"<title>Change your password · Lockstep</title>",
				`name="current_password" autocomplete="current-password" required autofocus>`,
				`name="new_password" autocomplete="new-password" minlength="10" required`,
				`name="confirm_password" autocomplete="new-password"`,
				`value="alice@example.com" autocomplete="username" hidden`,
				`<a href="/account">Cancel</a>`,
			},
			notWant: []string{`role="alert"`, "aria-invalid"},
		},
		{
			name: "password change error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Password(w, PasswordPage{Action: "/account/password", Email: "a@example.com", MinLength: 10, Error: "The new passwords <do not> match."})
			},
			want:    []string{`<div class="alert alert-error" role="alert" id="password-error">The new passwords &lt;do not&gt; match.</div>`},
			notWant: []string{"<do not>"},
		},
		{
			name: "reset confirm error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FAConfirm(w, ResetConfirmPage{Action: "/reset", Token: "tok123", Error: "Tick the box to confirm."})
			},
			want: []string{
				`<div class="alert alert-error" role="alert" id="confirm-error">Tick the box to confirm.</div>`,
				`name="confirm" value="yes" required aria-invalid="true" aria-describedby="confirm-error">`,
			},
			notWant: []string{`class="account"`},
		},
		{
			name: "reset confirm with an expired link",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FAConfirm(w, ResetConfirmPage{Action: "/reset", Error: "This link has expired. Ask for a new one where you were signing in."})
			},
			want:    []string{"This link has expired."},
			notWant: []string{"<form", `name="confirm"`, "callout"},
		},
		{
			name: "reset confirm done",
			render: func(r *Renderer, w io.Writer) error {
				return r.Reset2FAConfirm(w, ResetConfirmPage{Action: "/reset", Token: "tok123", Email: "alice@example.com", Done: true})
			},
			want: []string{
				"<title>Two-step verification was reset · Lockstep</title>",
				`<div class="status-icon status-success" aria-hidden="true">`,
				`<h1 class="center">Two-step verification was reset</h1>`,
				"Go back to the window where you were signing in and continue; you will be asked to set it up again.",
			},
			notWant: []string{"<form", `name="token"`, "callout"},
		},
		{
			name: "message success",
			render: func(r *Renderer, w io.Writer) error {
				return r.Message(w, MessagePage{Page: page(""), Heading: "Device confirmed", Message: "Go back to the window where you were signing in.",
					Kind: MessageSuccess, LinkURL: "/account", LinkLabel: "Go to your account"})
			},
			want: []string{
				"<title>Device confirmed · Lockstep</title>",
				`<div class="status-icon status-success" aria-hidden="true">`,
				`<h1 class="center">Device confirmed</h1>`,
				`<p class="lead center">Go back to the window where you were signing in.</p>`,
				`<a class="btn btn-primary message-link" href="/account">Go to your account</a>`,
			},
		},
		{
			name: "message with a form and a cancel link",
			render: func(r *Renderer, w io.Writer) error {
				return r.Message(w, MessagePage{Heading: "Generate new recovery codes?", Kind: MessageInfo, PostAction: "/account/recovery-codes/new",
					LinkLabel: "Generate new recovery codes", CancelURL: "/account"})
			},
			want: []string{
				`<form method="post" action="/account/recovery-codes/new" class="form">` + "\n" + `<button type="submit" class="btn btn-primary">Generate new recovery codes</button>`,
				`<p class="links"><a href="/account">Cancel</a></p>`,
			},
		},
		{
			name: "message info with default link label",
			render: func(r *Renderer, w io.Writer) error {
				return r.Message(w, MessagePage{Heading: "Check your email", Kind: MessageInfo, LinkURL: "/"})
			},
			want:    []string{`<div class="status-icon" aria-hidden="true">`, `href="/">Continue</a>`},
			notWant: []string{"status-success", `class="lead`},
		},
		{
			name: "message plain",
			render: func(r *Renderer, w io.Writer) error {
				return r.Message(w, MessagePage{Heading: "Nothing to do", Message: "All set."})
			},
			want:    []string{"<title>Nothing to do · Lockstep</title>", "All set."},
			notWant: []string{"status-icon", "<a class"},
		},
		{
			name: "account area: text messages",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaSMS, Email: "alice@example.com", Mode: ModeMulti,
					Devices: []AccountDevice{{ID: "d1", Name: "Phone", Added: "1 Nov 2026"}}, RecoveryTotal: 10, RecoveryUnused: 10,
					Phone: "+49 ••• ••• •89", ChangePhoneURL: "/account/phone?change=1", RemovePhoneAction: "/account/phone/remove", AddPhoneURL: "/account/phone",
					RememberedDevices: []AccountTrust{
						{ID: "t1", Label: "Firefox on macOS", IP: "203.0.113.7", Added: "20 Nov 2026", LastUsed: "23 Nov 2026", Expires: "20 Dec 2026", Current: true},
						{ID: "t2", Label: "Safari on iPhone", Added: "1 Nov 2026"},
					},
					RemoveTrustAction: "/account/trust/remove", ForgetDevicesAction: "/account/trust/forget",
					ShowTrustedAddresses: true, TrustedAddresses: []AccountTrust{{ID: "a1", IP: "192.0.2.0/24", Label: "Office", Added: "1 Oct 2026"}},
					Sessions: []AccountSession{
						{Started: "23 Nov 2026, 14:02", Methods: "Password and authenticator app", Current: true},
						{Started: "20 Nov 2026, 09:13", Methods: "Password and text message"},
					},
					SignOutOthersAction: "/account/sessions/others"})
			},
			want: []string{
				`<h2 id="phone-heading">Text messages (SMS)</h2>` + "\n" + `<p class="pill">Backup</p>`,
				`<span class="device-name nowrap">&#43;49 ••• ••• •89</span>`,
				`<a class="btn btn-small btn-secondary" href="/account/phone?change=1">Change number</a>`,
				`<form method="post" action="/account/phone/remove" class="device-remove">` + "\n" +
					`<button type="submit" class="btn btn-small btn-danger">Remove<span class="visually-hidden"> phone number</span></button>`,
			},
			// With a phone, "Add a phone number" is not offered.
			notWant: []string{"Add a phone number", "No devices skip", "Main method"},
		},
		{
			name: "account area: remembered devices and addresses",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaDevices, Email: "alice@example.com", Mode: ModeMulti,
					Devices: []AccountDevice{{ID: "d1", Name: "Phone", Added: "1 Nov 2026"}}, RecoveryTotal: 10, RecoveryUnused: 10,
					Phone: "+49 ••• ••• •89", ChangePhoneURL: "/account/phone?change=1", RemovePhoneAction: "/account/phone/remove", AddPhoneURL: "/account/phone",
					RememberedDevices: []AccountTrust{
						{ID: "t1", Label: "Firefox on macOS", IP: "203.0.113.7", Added: "20 Nov 2026", LastUsed: "23 Nov 2026", Expires: "20 Dec 2026", Current: true},
						{ID: "t2", Label: "Safari on iPhone", Added: "1 Nov 2026"},
					},
					RemoveTrustAction: "/account/trust/remove", ForgetDevicesAction: "/account/trust/forget",
					ShowTrustedAddresses: true, TrustedAddresses: []AccountTrust{{ID: "a1", IP: "192.0.2.0/24", Label: "Office", Added: "1 Oct 2026"}},
					Sessions: []AccountSession{
						{Started: "23 Nov 2026, 14:02", Methods: "Password and authenticator app", Current: true},
						{Started: "20 Nov 2026, 09:13", Methods: "Password and text message"},
					},
					SignOutOthersAction: "/account/sessions/others"})
			},
			want: []string{
				`<h2 id="remembered-heading">Remembered devices</h2>`,
				`<span class="device-name">Firefox on macOS <span class="badge">This device</span></span><span class="device-meta"><span>203.0.113.7</span><span>Added 20 Nov 2026</span><span>Last used 23 Nov 2026</span><span>Expires 20 Dec 2026</span></span>`,
				`<span class="device-name">Safari on iPhone</span><span class="device-meta"><span>Added 1 Nov 2026</span><span>Never used</span></span>`,
				`<form method="post" action="/account/trust/remove" class="device-remove">` + "\n" + `<input type="hidden" name="id" value="t1">`,
				`<form method="post" action="/account/trust/remove" class="device-remove">` + "\n" + `<input type="hidden" name="id" value="t2">`,
				`Remove<span class="visually-hidden"> Safari on iPhone</span></button>`,
				`<form method="post" action="/account/trust/forget" class="codes-form">`,
				">Forget all devices</button>",
				`<h2 id="addresses-heading">Trusted IP addresses</h2>`,
				`<p class="hint panel-intro">Sign-ins from these addresses skip the second step.</p>`,
				`<span class="device-name"><span class="mono">192.0.2.0/24</span></span><span class="device-meta"><span>Office</span><span>Added 1 Oct 2026</span>`,
				`<input type="hidden" name="id" value="a1">`,
			},
			// With a phone, "Add a phone number" is not offered.
			notWant: []string{"Add a phone number", "No devices skip", "Main method", "Where you"},
		},
		{
			name: "wizard: get ready",
			render: func(r *Renderer, w io.Writer) error {
				return r.Wizard(w, WizardPage{Page: page("Set up two-step verification"), Stage: WizardAbout, Required: true, ClientName: "Payroll",
					NextURL: "/account/setup/app?flow=f1", PhoneURL: "/account/setup/phone?change=1&flow=f1",
					Steps: []Step{{Label: "Password", Done: true}, {Label: "Get ready", Current: true}, {Label: "Scan"}}})
			},
			want: []string{
				`<p class="steps-count" aria-hidden="true">Step 2 of 3<span class="steps-now"> · Get ready</span></p>`,
				"<strong>Payroll</strong> requires two-step verification.",
				`<a class="btn btn-primary" href="/account/setup/app?flow=f1">I have my app ready</a>`,
				`<a href="/account/setup/phone?change=1&amp;flow=f1">Get codes by text message instead</a>`,
			},
			notWant: []string{"<form", "Cancel"},
		},
		{
			name: "wizard: scan",
			render: func(r *Renderer, w io.Writer) error {
				return r.Wizard(w, WizardPage{Page: page("Scan the QR code"), Stage: WizardScan, FlowID: "f1", DeviceID: "dev1",
					NextURL: "/account/setup/app/verify?device=dev1&flow=f1", QRCodeURL: "/account/setup/app/qr?device=dev1&flow=f1", Secret: "ABCDEFGHIJKLMNOP",
					OTPAuthURI: "otpauth://totp/Lockstep:a?secret=ABCDEFGHIJKLMNOP", BackURL: "/account/setup?flow=f1"})
			},
			want: []string{
				`<div class="qr"><img src="/account/setup/app/qr?device=dev1&amp;flow=f1" width="192" height="192"`,
				`<div class="secret" role="group" aria-labelledby="secret-label"><span>ABCD</span><span>EFGH</span>`,
				`href="otpauth://totp/Lockstep:a?secret=ABCDEFGHIJKLMNOP"`,
				`<a class="btn btn-primary" href="/account/setup/app/verify?device=dev1&amp;flow=f1">Next: enter the code</a>`,
				`<a href="/account/setup?flow=f1">Back</a>`,
			},
		},
		{
			name: "wizard: verify with an error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Wizard(w, WizardPage{Page: page("Enter the code"), Stage: WizardVerify, DeviceID: "dev1", DeviceName: "Work phone",
					Action: "/account/setup/app/verify", Error: "That code is not right.", CancelURL: "/account"})
			},
			want: []string{
				`<div aria-live="assertive">`,
				`<div class="alert alert-error" role="alert" id="code-error">That code is not right.</div>`,
				`required autofocus aria-invalid="true" aria-describedby="code-error">`,
				`<input type="text" id="device_name" name="device_name" value="Work phone"`,
				`<a href="/account">Cancel</a>`,
			},
			notWant: []string{`name="flow"`},
		},
		{
			name: "wizard: done in a sign-in",
			render: func(r *Renderer, w io.Writer) error {
				return r.Wizard(w, WizardPage{Page: page("Two-step verification is on"), Stage: WizardDone, FlowID: "f1", ClientName: "Payroll",
					Action: "/account/setup/done", Apps: []string{"Pixel"}, Phone: "+49 ••• ••89", RecoveryCodes: 10, ACR: "urn:lockstep:acr:mfa"})
			},
			want: []string{
				"<strong>Pixel</strong> (authenticator app)",
				"Text messages to <strong",
				"10 unused recovery codes",
				"<code>urn:lockstep:acr:mfa</code>",
				`<button type="submit" class="btn btn-primary">Continue to Payroll</button>`,
			},
			notWant: []string{"steps-count", "Back to your account"},
		},
		{
			name: "turn off two-step verification",
			render: func(r *Renderer, w io.Writer) error {
				return r.TurnOff(w, TurnOffPage{Page: page(""), Action: "/account/two-step/off", CancelURL: "/account",
					Apps: []string{"Pixel"}, Keys: []string{"YubiKey"}, Phone: "+49 ••• ••89", RecoveryUnused: 7,
					RememberedDevices: 1, TrustedAddresses: 2, OtherSessions: 3, Error: "Tick the box."})
			},
			want: []string{
				"<title>Turn off two-step verification · Lockstep</title>",
				"Authenticator app <strong>Pixel</strong>",
				"Security key or passkey <strong>YubiKey</strong>",
				"7 unused recovery codes", "1 remembered device<", "2 trusted addresses",
				"Your 3 other signed-in browsers are signed out.",
				`<input type="checkbox" name="confirm" value="yes" required autofocus aria-invalid="true" aria-describedby="confirm-error">`,
				`<button type="submit" class="btn btn-danger" aria-describedby="removed-list">Turn off two-step verification</button>`,
			},
		},
		{
			name: "turn off refused by the organisation",
			render: func(r *Renderer, w io.Writer) error {
				return r.TurnOff(w, TurnOffPage{Page: page(""), CancelURL: "/account", Refused: true, Deadline: "8 December 2026"})
			},
			want:    []string{"Your organisation requires two-step verification for your account (from 8 December 2026)"},
			notWant: []string{"<form", "checkbox"},
		},
		{
			name: "account area: sessions",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaSessions, OverviewURL: "/account",
					Sessions: []AccountSession{
						{Handle: "h1", Browser: "Firefox on macOS", IP: "203.0.113.7", Started: "23 Nov 2026, 14:02", LastUsed: "23 Nov 2026, 15:00", Methods: "password and code", Current: true},
						{Handle: "h2", Browser: "Safari on iPhone", Started: "20 Nov 2026, 09:13", Methods: "password"},
						{Handle: "h3", Started: "19 Nov 2026, 09:13"},
					},
					SignOutOthersAction: "/account/sessions/end-others", EndSessionAction: "/account/sessions/end"})
			},
			want: []string{
				`<a href="/account">`,
				`<span class="device-name">Firefox on macOS <span class="badge">This device</span></span><span class="device-meta"><span>203.0.113.7</span><span>Signed in 23 Nov 2026, 14:02</span><span>Last used 23 Nov 2026, 15:00</span><span>password and code</span></span>`,
				`<span class="device-name">Unknown browser</span>`,
				`<form method="post" action="/account/sessions/end" class="device-remove">` + "\n" + `<input type="hidden" name="session" value="h2">`,
				`<input type="hidden" name="session" value="h3">`,
				`Sign out<span class="visually-hidden"> Safari on iPhone</span></button>`,
				`<form method="post" action="/account/sessions/end-others" class="codes-form">`,
			},
			// This browser signs out with the footer's link, not from the list.
			notWant: []string{`value="h1"`},
		},
		{
			name: "account overview, two-step verification on",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: "alice@example.com", Mode: ModeMulti, PasswordURL: "/account/password", TurnOffURL: "/account/two-step/off",
					Devices: []AccountDevice{{ID: "d1", Name: "Phone", Added: "1 Nov 2026"}},
					Areas: []AccountArea{
						{Key: AreaApps, Title: "Authenticator apps", URL: "/account/apps", Status: "Pixel, Tablet"},
						{Key: AreaRecovery, Title: "Recovery codes", URL: "/account/recovery-codes", Status: "None", Warn: true},
					}})
			},
			want: []string{
				"<h1>Security</h1>",
				`<p class="lead account-email">alice@example.com</p>`,
				"</svg>Two-step verification on</p>",
				`<nav aria-label="Security settings">`,
				`<li><a href="/account/apps"><span class="device-icon" aria-hidden="true">`,
				`<span class="area-title">Authenticator apps</span><span class="area-status">Pixel, Tablet</span>`,
				`<span class="area-status area-warn">None</span>`,
				`<span class="area-title">Password</span>`,
				`<a href="/account/two-step/off">Turn off two-step verification</a>`,
			},
			notWant: []string{"Set up two-step verification", "device-remove", webauthnScript},
		},
		{
			name: "account overview, two-step verification off",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: "bob@example.com", SetupURL: "/account/setup"})
			},
			want: []string{
				`<p class="pill"><span class="visually-hidden">Current mode: </span>Password only</p>`,
				"<strong>Two-step verification is off.</strong> Only your password protects your account.",
				`<a class="btn btn-primary" href="/account/setup">Set up two-step verification</a>`,
			},
			notWant: []string{"Turn off", "pill-on"},
		},
		{
			name: "account with only a main phone",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaSMS, Mode: ModeSMS, AddURL: "/account/totp", Phone: "+1 ••• ••42", PhonePrimary: true,
					RegenerateAction: "/account/recovery", ForgetDevicesAction: "/account/trust/forget", RemoveTrustAction: "/account/trust/remove",
					TrustedAddresses: []AccountTrust{{ID: "a1", IP: "192.0.2.1"}},
					Sessions:         []AccountSession{{Started: "23 Nov 2026", Current: true}}, SignOutOthersAction: "/account/sessions/others"})
			},
			want: []string{
				`<p class="pill pill-on">Main method</p>`,
				// A second factor and no recovery codes: the page warns.
			},
			// No phone actions; addresses hidden without ShowTrustedAddresses;
			// one session: nothing to sign out of.
			notWant: []string{"Change number", "/account/phone", "Two-step verification is off", "Forget all devices", "Trusted IP addresses", "192.0.2.1",
				"Sign out everywhere else", `class="device-meta"><span></span>`},
		},
		{
			name: "account offering a phone",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaSMS, AddURL: "/account/totp", AddPhoneURL: "/account/phone", ShowTrustedAddresses: true})
			},
			want: []string{
				`<h2 id="phone-heading">Text messages (SMS)</h2>` + "\n</div>",
				`<a class="btn btn-secondary btn-add" href="/account/phone">`,
				"Add a phone number</a>",
			},
			notWant: []string{"Remembered devices", "Where you", "Main method", "Backup</p>", "Change number"},
		},
		{
			name: "account escapes device names",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Area: AreaApps, Email: `"><b>mallory</b>`, RemoveAction: "/account/totp/remove",
					Devices:       []AccountDevice{{ID: `d1"><script>x</script>`, Name: `<script>alert("x")</script> & <b>Phone</b>`, Added: "<i>today</i>", LastUsed: "<i>now</i>"}},
					RecoveryTotal: 10, RecoveryUnused: 10, RegenerateAction: "/account/recovery"})
			},
			want: []string{
				`<span class="device-name">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Phone&lt;/b&gt;</span>`,
				`<span class="visually-hidden"> &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Phone&lt;/b&gt;</span>`,
				`<input type="hidden" name="device" value="d1&#34;&gt;&lt;script&gt;x&lt;/script&gt;">`,
				"<span>Added &lt;i&gt;today&lt;/i&gt;</span><span>Last used &lt;i&gt;now&lt;/i&gt;</span>",
			},
			notWant: []string{"<script", "<b>", "<i>"},
		},
		{
			name: "profile with an error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Profile(w, ProfilePage{Page: page(""), NamesAction: "/account/profile/names", GivenName: `J"><b>x</b>`, FamilyName: "Liddell",
					GivenError: "Your given name needs at least 2 letters.", MaxNameLen: 100, Email: "alice@example.com", CanChange: true,
					EmailAction: "/account/profile/email", LinkMinutes: 30, BackURL: "/account"})
			},
			want: []string{
				"<title>Profile · Lockstep</title>",
				`<form method="post" action="/account/profile/names"`,
				`name="given_name" value="J&#34;&gt;&lt;b&gt;x&lt;/b&gt;" autocomplete="given-name" maxlength="100" required autofocus aria-invalid="true" aria-describedby="given-error"`,
				`<p class="field-error" id="given-error" role="alert">Your given name needs at least 2 letters.</p>`,
				`name="family_name" value="Liddell" autocomplete="family-name" maxlength="100" required>`,
				`<form method="post" action="/account/profile/email"`,
				`type="email" id="new-email" name="email" value="" autocomplete="email"`,
				"Not confirmed", "within 30 minutes",
			},
			notWant: []string{"<b>", "family-error", "email-error", "alert-success"},
		},
		{
			name: "profile without email",
			render: func(r *Renderer, w io.Writer) error {
				return r.Profile(w, ProfilePage{Page: page("Profile"), Notice: "Your name was saved.", GivenName: "Alice", Email: "alice@example.com", EmailVerified: true})
			},
			want:    []string{"Your name was saved.", "Confirmed", "does not send email"},
			notWant: []string{`name="email"`, "Not confirmed", `role="alert"`},
		},
	}...)
}

var (
	scriptTag  = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	inlineOnFn = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

// checkCommon verifies the layout and the strict-CSP rules for any page.
func checkCommon(t *testing.T, html string) {
	t.Helper()
	for _, s := range []string{
		"<!doctype html>",
		`<html lang="en">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<link rel="stylesheet" href="/static/style.css">`,
		`<span class="brand-name">`,
		"</main>",
		"</html>",
	} {
		if !strings.Contains(html, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(strings.ToLower(html), "style=") {
		t.Error("page contains a style attribute")
	}
	if strings.Contains(strings.ToLower(html), "<style") {
		t.Error("page contains a <style> element")
	}
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !strings.Contains(strings.ToLower(tag), " src=") {
			t.Errorf("inline script: %s", tag)
		}
	}
	if m := inlineOnFn.FindString(html); m != "" {
		t.Errorf("inline event handler %q", m)
	}
	for _, link := range regexp.MustCompile(`<link[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(link, `href="/static/`) {
			t.Errorf("<link> to a non-local resource: %s", link)
		}
	}
	for _, form := range regexp.MustCompile(`<form[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(form, `method="post"`) {
			t.Errorf("form without method=post: %s", form)
		}
	}
}

func TestPagesRender(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range pageCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(r, &buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			html := buf.String()
			checkCommon(t, html)
			for _, s := range tc.want {
				if !strings.Contains(html, s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(html, s) {
					t.Errorf("unexpected %q", s)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", html)
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	r := newRenderer(t)
	p := Page{Title: evil, ProductName: evil}
	cases := []struct {
		name   string
		render func(io.Writer) error
	}{
		{"login", func(w io.Writer) error {
			return r.Login(w, LoginPage{Page: p, Action: "/login", FlowID: `"><script>x</script>`, ClientName: evil, Email: `"><script>x</script>`, Error: evil, Notice: evil})
		}},
		{"login with passkey", func(w io.Writer) error {
			return r.Login(w, LoginPage{Page: p, Action: "/login", FlowID: `"><script>x</script>`, ClientName: evil, Error: evil,
				PasskeyOptionsURL: `/o?a="><script>x</script>`, PasskeyAction: `/x?a="><script>x</script>`})
		}},
		{"consent", func(w io.Writer) error {
			return r.Consent(w, ConsentPage{Page: p, Action: "/consent", FlowID: evil, ClientName: evil, UserEmail: evil, Scopes: []Scope{{Name: evil, Description: evil}}})
		}},
		{"error", func(w io.Writer) error {
			return r.Error(w, ErrorPage{Page: p, Status: 500, Heading: evil, Message: evil, RequestID: evil})
		}},
		{"logout", func(w io.Writer) error {
			return r.Logout(w, LogoutPage{Page: p, Action: "/logout", ClientName: evil, Hidden: map[string]string{`"><script>x</script>`: evil}})
		}},
		{"logged out", func(w io.Writer) error { return r.LoggedOut(w, LoggedOutPage{Page: p}) }},
		{"outbox", func(w io.Writer) error {
			return r.Outbox(w, OutboxPage{Page: p, Messages: []OutboxMessage{{Kind: evil, To: evil, Subject: evil, Text: evil}}})
		}},
		{"home", func(w io.Writer) error {
			return r.Home(w, HomePage{Page: p, Issuer: evil, DevUser: evil, DevPassword: evil, DevClientID: evil, DevHints: []string{evil}})
		}},
		{"challenge", func(w io.Writer) error {
			return r.Challenge(w, ChallengePage{Page: p, Action: "/login/2fa", FlowID: evil, ClientName: evil, Error: evil,
				Methods: []MethodChoice{{Label: evil, Href: `/x?a="><script>x</script>`}}})
		}},
		{"challenge step-up recovery", func(w io.Writer) error {
			return r.Challenge(w, ChallengePage{Page: p, Action: "/login/2fa", FlowID: evil, ClientName: evil, Error: evil, Method: MethodRecovery, StepUp: true})
		}},
		{"challenge throttled", func(w io.Writer) error {
			return r.Challenge(w, ChallengePage{Page: p, Action: "/login/2fa", FlowID: evil, Error: evil, Throttled: true})
		}},
		{"totp enrolment", func(w io.Writer) error {
			return r.TOTPEnrol(w, TOTPEnrolPage{Page: p, Action: "/enrol/totp", FlowID: evil, ClientName: evil, Required: true,
				DeviceID: evil, DeviceName: evil, QRCodeURL: `/qr?x="><script>x</script>`, Secret: evil, Error: evil,
				OTPAuthURI: `otpauth://totp/"><script>x</script>`, Steps: []Step{{Label: evil, Current: true}}})
		}},
		{"recovery codes", func(w io.Writer) error {
			return r.RecoveryCodes(w, RecoveryCodesPage{Page: p, Action: "/enrol/recovery", FlowID: evil, Codes: []string{evil}, Error: evil, Steps: []Step{{Label: evil, Done: true}}})
		}},
		{"enrol choice", func(w io.Writer) error {
			return r.EnrolChoice(w, EnrolChoicePage{Page: p, Action: "/enrol", FlowID: evil, ClientName: evil, Required: true})
		}},
		{"account", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Email: evil, Notice: evil, Error: evil, Mode: evil,
				Devices:      []AccountDevice{{ID: evil, Name: evil, Added: evil, LastUsed: evil}},
				RemoveAction: `/x?a="><script>x</script>`, AddURL: `/x?a="><script>x</script>`, ReplaceURL: `/x?a="><script>x</script>`,
				RegenerateAction: `/x?a="><script>x</script>`, SignOutURL: `/x?a="><script>x</script>`})
		}},
		{"challenge webauthn", func(w io.Writer) error {
			return r.Challenge(w, ChallengePage{Page: p, Action: "/login/2fa", FlowID: evil, ClientName: evil, Error: evil, Method: MethodWebAuthn,
				WebAuthnOptionsURL: `/o?a="><script>x</script>`, Methods: []MethodChoice{{Label: evil, Href: "/x"}}})
		}},
		{"account keys", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Email: evil, Keys: []AccountKey{{ID: evil, Name: evil, Added: evil, LastUsed: evil}},
				RemoveKeyAction: `/x?a="><script>x</script>`, AddKeyAction: `/x?a="><script>x</script>`, AddKeyOptionsURL: `/o?a="><script>x</script>`})
		}},
		{"account empty", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Email: evil, Mode: evil, AddURL: `/x?a="><script>x</script>`})
		}},
		{"challenge sms", func(w io.Writer) error {
			return r.Challenge(w, ChallengePage{Page: p, Action: "/login/2fa", FlowID: evil, ClientName: evil, Error: evil, Method: MethodSMS, PhoneMasked: evil,
				CodeSent: true, SendAction: `/x?a="><script>x</script>`, Notice: evil, RememberDays: 3, ResendWait: 5, ResetURL: `/x?a="><script>x</script>`})
		}},
		{"challenge sms before sending", func(w io.Writer) error {
			return r.Challenge(w, ChallengePage{Page: p, Action: "/login/2fa", FlowID: evil, Method: MethodSMS, PhoneMasked: evil, SendAction: `/x?a="><script>x</script>`})
		}},
		{"phone enrolment number", func(w io.Writer) error {
			return r.PhoneEnrol(w, PhoneEnrolPage{Page: p, Action: `/x?a="><script>x</script>`, FlowID: evil, ClientName: evil,
				Countries: []Country{{ISO: evil, Name: evil, Dial: evil}}, Country: evil, National: `"><script>x</script>`, ShowMode: true,
				Error: evil, Notice: evil, Steps: []Step{{Label: evil, Current: true}}, CancelURL: `/x?a="><script>x</script>`})
		}},
		{"phone enrolment code", func(w io.Writer) error {
			return r.PhoneEnrol(w, PhoneEnrolPage{Page: p, Action: "/x", FlowID: evil, Stage: PhoneStageCode, PhoneMasked: evil, Error: evil,
				ResendAction: `/x?a="><script>x</script>`, ResendWait: 3, ChangeURL: `/x?a="><script>x</script>`})
		}},
		{"confirm device", func(w io.Writer) error {
			return r.ConfirmDevice(w, ConfirmDevicePage{Page: p, Action: "/x", FlowID: evil, EmailMasked: evil, ClientName: evil, Error: evil, Notice: evil,
				ResendAction: `/x?a="><script>x</script>`, ResendWait: 3})
		}},
		{"reset", func(w io.Writer) error {
			return r.Reset2FA(w, ResetPage{Page: p, FlowID: evil, HasRecoveryCodes: true, RecoveryAction: `/x?a="><script>x</script>`,
				EmailAction: `/x?a="><script>x</script>`, EmailMasked: evil, Error: evil, BackURL: `/x?a="><script>x</script>`})
		}},
		{"reset email sent", func(w io.Writer) error {
			return r.Reset2FA(w, ResetPage{Page: p, FlowID: evil, EmailSent: true, EmailMasked: evil, Error: evil})
		}},
		{"reset confirm", func(w io.Writer) error {
			return r.Reset2FAConfirm(w, ResetConfirmPage{Page: p, Action: `/x?a="><script>x</script>`, Token: evil, Email: evil, Error: evil})
		}},
		{"reset confirm done", func(w io.Writer) error {
			return r.Reset2FAConfirm(w, ResetConfirmPage{Page: p, Email: evil, Done: true})
		}},
		{"message", func(w io.Writer) error {
			return r.Message(w, MessagePage{Page: p, Heading: evil, Message: evil, LinkURL: `/x?a="><script>x</script>`, LinkLabel: evil, Kind: MessageSuccess})
		}},
		{"account overview", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Mode: evil, Email: evil, Areas: []AccountArea{{Key: evil, Title: evil, URL: `/x?a="><script>x</script>`, Status: evil}}})
		}},
		{"account text messages", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Area: AreaSMS, Phone: evil, ChangePhoneURL: `/x?a="><script>x</script>`, RemovePhoneAction: `/x?a="><script>x</script>`})
		}},
		{"account sessions", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Area: AreaSessions, EndSessionAction: `/x?a="><script>x</script>`,
				Sessions: []AccountSession{{Handle: evil, Browser: evil, IP: evil, Started: evil, LastUsed: evil, Methods: evil}, {Started: evil, Current: true}}, SignOutOthersAction: `/x?a="><script>x</script>`})
		}},
		{"account devices", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Area: AreaDevices, Mode: evil, Phone: evil, ChangePhoneURL: `/x?a="><script>x</script>`, RemovePhoneAction: `/x?a="><script>x</script>`,
				RememberedDevices:    []AccountTrust{{ID: evil, Label: evil, IP: evil, Added: evil, LastUsed: evil, Expires: evil, Current: true}},
				TrustedAddresses:     []AccountTrust{{ID: evil, Label: evil, IP: evil, Added: evil, LastUsed: evil, Expires: evil}},
				ShowTrustedAddresses: true, RemoveTrustAction: `/x?a="><script>x</script>`, ForgetDevicesAction: `/x?a="><script>x</script>`,
				Sessions: []AccountSession{{Started: evil, Methods: evil}, {Started: evil}}, SignOutOthersAction: `/x?a="><script>x</script>`})
		}},
		{"account add phone", func(w io.Writer) error {
			return r.Account(w, AccountPage{Page: p, Area: AreaSMS, AddPhoneURL: `/x?a="><script>x</script>`})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(&buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			// The allowed script tags are fixed markup, not data.
			html := strings.Replace(buf.String(), webauthnScript, "", 1)
			html = strings.Replace(html, countdownScript, "", 1)
			html = strings.Replace(html, codesScript, "", 1)
			if strings.Contains(strings.ToLower(html), "<script") {
				t.Errorf("unescaped <script> in output:\n%s", html)
			}
			if !strings.Contains(html, "&lt;script&gt;") {
				t.Errorf("escaped value not found in output:\n%s", html)
			}
		})
	}
}

func TestUnsafeURLsAreFiltered(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Login(&buf, LoginPage{Action: "javascript:alert(1)", FlowID: "f"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "javascript:") {
		t.Errorf("javascript: URL not filtered:\n%s", buf.String())
	}
}

func TestChallengeUnknownMethod(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Challenge(&buf, ChallengePage{Action: "/login/2fa", Method: "voice"}); err == nil {
		t.Error("expected an error for an unknown method")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q despite the error", buf.String())
	}
}

func TestPhoneEnrolUnknownStage(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.PhoneEnrol(&buf, PhoneEnrolPage{Action: "/enrol/phone", Stage: "verify"}); err == nil {
		t.Error("expected an error for an unknown stage")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q despite the error", buf.String())
	}
}

func TestMessageUnknownKind(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Message(&buf, MessagePage{Heading: "Hi", Kind: "warning"}); err == nil {
		t.Error("expected an error for an unknown kind")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q despite the error", buf.String())
	}
}

// The otpauth link is the one URL html/template would otherwise refuse; it
// must render only for an otpauth://totp/ value and stay inside its
// attribute.
func TestOTPAuthLink(t *testing.T) {
	r := newRenderer(t)
	render := func(uri string) string {
		t.Helper()
		var buf bytes.Buffer
		if err := r.TOTPEnrol(&buf, TOTPEnrolPage{Action: "/enrol/totp", Secret: "JBSWY3DP", OTPAuthURI: uri}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	for _, uri := range []string{
		"",
		"javascript:alert(1)",
		"JAVASCRIPT:alert(1)",
		"otpauth://hotp/Lockstep:alice?secret=JBSWY3DP&counter=1",
		"OTPAUTH://TOTP/Lockstep:alice?secret=JBSWY3DP",
		" otpauth://totp/Lockstep:alice?secret=JBSWY3DP",
		"data:text/html,otpauth://totp/",
		"https://evil.example/otpauth://totp/",
	} {
		html := render(uri)
		if strings.Contains(html, "app-link") || strings.Contains(html, "Open in an authenticator app") {
			t.Errorf("%q: link rendered:\n%s", uri, html)
		}
		if strings.Contains(strings.ToLower(html), "javascript:") {
			t.Errorf("%q: javascript: in output", uri)
		}
	}

	html := render("otpauth://totp/Lockstep:alice@example.com?secret=JBSWY3DP&issuer=Lockstep")
	if want := `<a class="app-link" href="otpauth://totp/Lockstep:alice@example.com?secret=JBSWY3DP&amp;issuer=Lockstep">`; !strings.Contains(html, want) {
		t.Errorf("missing %q in:\n%s", want, html)
	}

	// Quotes, spaces and angle brackets cannot leave the href attribute.
	html = render(`otpauth://totp/x" onmouseover="alert(1)"><script>alert(1)</script>`)
	link := regexp.MustCompile(`<a class="app-link" href="([^"]*)">`).FindStringSubmatch(html)
	if link == nil {
		t.Fatalf("link not rendered:\n%s", html)
	}
	if !strings.HasPrefix(link[1], "otpauth://totp/x") || strings.ContainsAny(link[1], "<> ") {
		t.Errorf("href not contained: %q", link[1])
	}
	if strings.Contains(html, "<script>") || inlineOnFn.MatchString(html) {
		t.Errorf("unescaped otpauth URI:\n%s", html)
	}
}

func TestSecretGroups(t *testing.T) {
	cases := map[string][]string{
		"":                  nil,
		"ABC":               {"ABC"},
		"ABCD":              {"ABCD"},
		"ABCDEFGHI":         {"ABCD", "EFGH", "I"},
		"ABCD EFGH":         {"ABCD", "EFGH"},
		"JBSWY3DPEHPK3PXPX": {"JBSW", "Y3DP", "EHPK", "3PXP", "X"},
	}
	for in, want := range cases {
		got := TOTPEnrolPage{Secret: in}.SecretGroups()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("SecretGroups(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every page has a case in pageCases, so the generic CSP checks in
// checkCommon run on each of them: a new page without a case fails here.
func TestEveryPageIsTested(t *testing.T) {
	r := newRenderer(t)
	// Prefix each page's layout with a marker naming the page.
	for name, tmpl := range r.pages["en"] {
		c := template.Must(tmpl.Clone())
		template.Must(c.AddParseTree("page-layout", c.Lookup("layout").Tree))
		template.Must(c.New("layout").Parse(`PAGE=` + name + ";" + `{{template "page-layout" .}}`))
		r.pages["en"][name] = c
	}
	marker := regexp.MustCompile(`^PAGE=([a-z0-9]+);`)
	rendered := make(map[string]bool)
	for _, tc := range pageCases() {
		var buf bytes.Buffer
		if err := tc.render(r, &buf); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		m := marker.FindStringSubmatch(buf.String())
		if m == nil {
			t.Fatalf("%s: no page marker", tc.name)
		}
		rendered[m[1]] = true
	}
	for _, name := range pageNames {
		if !rendered[name] {
			t.Errorf("page %q has no case in pageCases", name)
		}
	}
}

func TestRenderWritesNothingOnTemplateError(t *testing.T) {
	r := newRenderer(t)
	// A page whose template fails half-way through.
	r.pages["en"]["broken"] = template.Must(template.New("layout").Parse(`<!doctype html><p>half a page {{.NoSuchField}}</p>`))
	var buf bytes.Buffer
	err := r.render(&buf, "broken", LoggedOutPage{})
	if err == nil {
		t.Fatal("expected an error")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q despite the error", buf.String())
	}
	if err := r.render(&buf, "nope", LoggedOutPage{}); err == nil {
		t.Error("unknown page: expected an error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestWriteErrorIsReturned(t *testing.T) {
	r := newRenderer(t)
	if err := r.LoggedOut(failingWriter{}, LoggedOutPage{}); err == nil {
		t.Error("expected the writer's error")
	}
}

func TestResponseWriterContentType(t *testing.T) {
	r := newRenderer(t)
	rec := httptest.NewRecorder()
	if err := r.Home(rec, HomePage{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}

	rec = httptest.NewRecorder()
	rec.Header().Set("Content-Type", "text/html")
	if err := r.Home(rec, HomePage{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html" {
		t.Errorf("preset Content-Type overwritten: %q", got)
	}
}

func TestStaticHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/static/", StaticHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		path        string
		status      int
		contentType string
		body        string
	}{
		{"/static/style.css", http.StatusOK, "text/css", ":root"},
		{"/static/favicon.svg", http.StatusOK, "image/svg+xml", "<svg"},
		{"/static/webauthn.js", http.StatusOK, "text/javascript", "navigator.credentials"},
		{"/static/", http.StatusNotFound, "", ""},
		{"/static/missing.css", http.StatusNotFound, "", ""},
		{"/static/../templates.go", http.StatusNotFound, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = tc.path // keep ".." as sent
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tc.contentType)
			}
			if !strings.Contains(string(body), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
			if resp.Header.Get("Cache-Control") == "" || resp.Header.Get("ETag") == "" {
				t.Errorf("missing cache headers: %v", resp.Header)
			}

			// Revalidation with the ETag yields 304.
			req2, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			req2.Header.Set("If-None-Match", resp.Header.Get("ETag"))
			resp2, err := srv.Client().Do(req2)
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation status = %d, want 304", resp2.StatusCode)
			}
		})
	}
}

// The stylesheet must not pull in anything the CSP forbids.
func TestStylesheetIsSelfContained(t *testing.T) {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"@import", "url(", "http:", "https:"} {
		if strings.Contains(string(css), bad) {
			t.Errorf("style.css contains %q", bad)
		}
	}
}

// The security-key script stays small and CSP-friendly: same-origin
// requests only, no eval, no HTML injection.
func TestCountdownScriptIsSelfContained(t *testing.T) {
	js, err := staticFS.ReadFile("static/countdown.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"http:", "https:", "eval(", "new Function", "innerHTML", "document.write", "import "} {
		if strings.Contains(string(js), bad) {
			t.Errorf("countdown.js contains %q", bad)
		}
	}
	for _, want := range []string{"button[data-wait]", "button.disabled = false", "aria-describedby"} {
		if !strings.Contains(string(js), want) {
			t.Errorf("countdown.js lacks %q", want)
		}
	}
}

func TestWebAuthnScriptIsSelfContained(t *testing.T) {
	js, err := staticFS.ReadFile("static/webauthn.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"http:", "https:", "eval(", "new Function", "innerHTML", "document.write", "import "} {
		if strings.Contains(string(js), bad) {
			t.Errorf("webauthn.js contains %q", bad)
		}
	}
	for _, want := range []string{"navigator.credentials.create", "navigator.credentials.get", "credentials: 'same-origin'", "form.submit()"} {
		if !strings.Contains(string(js), want) {
			t.Errorf("webauthn.js lacks %q", want)
		}
	}
}

// The options URLs are in URL attributes, so html/template filters unsafe
// schemes out of them.
func TestWebAuthnOptionsURLIsFiltered(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Challenge(&buf, ChallengePage{Action: "/login/2fa", Method: MethodWebAuthn, WebAuthnOptionsURL: "javascript:alert(1)"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Login(&buf, LoginPage{Action: "/login", FlowID: "f", PasskeyOptionsURL: "javascript:alert(1)", PasskeyAction: "javascript:alert(2)"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Account(&buf, AccountPage{AddKeyAction: "/account/keys", AddKeyOptionsURL: "javascript:alert(1)"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "javascript:") {
		t.Errorf("javascript: URL not filtered:\n%s", buf.String())
	}
}
