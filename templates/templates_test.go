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
const webauthnScript = `<script src="/static/webauthn.js" defer></script>`

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
	return []pageCase{
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
				`<ol class="steps" aria-label="Progress">`,
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
				`name="device_name" value="Authenticator app" maxlength="40" autocomplete="off"`,
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
			name: "recovery codes",
			render: func(r *Renderer, w io.Writer) error {
				return r.RecoveryCodes(w, RecoveryCodesPage{Page: page(""), Action: "/enrol/recovery?flow=f3", FlowID: "f3",
					Codes: []string{"aaaaa-bbbbb", "ccccc-ddddd", "eeeee-fffff", "ggggg-hhhhh", "jjjjj-kkkkk", "mmmmm-nnnnn", "ppppp-qqqqq", "rrrrr-sssss", "ttttt-uuuuu", "vvvvv-wwwww"},
					Steps: []Step{{Label: "Scan", Done: true}, {Label: "Verify", Done: true}, {Label: "Recovery codes", Current: true}, {Label: "Done"}}})
			},
			want: []string{
				"<title>Save your recovery codes · Lockstep</title>",
				`<ol class="codes" aria-label="Recovery codes">`,
				`<li><span class="code-n">1</span><code class="code">aaaaa-bbbbb</code></li>`,
				`<li><span class="code-n">10</span><code class="code">vvvvv-wwwww</code></li>`,
				"Each code works once.",
				"print this page",
				`<form method="post" action="/enrol/recovery?flow=f3" class="form form-confirm">`,
				`<input type="hidden" name="flow" value="f3">`,
				`<label class="check"><input type="checkbox" name="stored" value="yes" required><span>I have safely copied and stored these codes</span></label>`,
				">Continue</button>",
				`aria-current="step"><span class="step-dot" aria-hidden="true">3</span>`,
			},
			notWant: []string{`role="alert"`, `href="#"`, "download"},
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
				`<button type="submit" name="decision" value="totp" class="btn btn-primary">Set up an authenticator app</button>`,
				`<button type="submit" name="decision" value="later" class="btn btn-secondary">Later</button>`,
			},
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
			want:    []string{"<strong>Demo App</strong> requires two-step verification. Set it up now to continue.", `value="totp"`},
			notWant: []string{`value="later"`, "Later", "days left"},
		},
		{
			name: "enrol choice offer",
			render: func(r *Renderer, w io.Writer) error {
				return r.EnrolChoice(w, EnrolChoicePage{Action: "/enrol", FlowID: "f4"})
			},
			want:    []string{"a stolen password alone is not enough", `value="totp"`, `value="later"`},
			notWant: []string{"days left", "requires"},
		},
		{
			name: "account with devices and notice",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Page: page(""), Email: "alice@example.com", Notice: "Authenticator app added.",
					Mode: "Password and authenticator app",
					Devices: []AccountDevice{
						{ID: "d1", Name: "Work phone", Added: "23 Nov 2026", LastUsed: "2 Dec 2026"},
						{ID: "d2", Name: "Old iPad", Added: "1 Dec 2026"},
					},
					RemoveAction: "/account/totp/remove", AddURL: "/account/totp", ReplaceURL: "/account/totp?replace=1",
					RecoveryTotal: 10, RecoveryUnused: 7, RegenerateAction: "/account/recovery", SignOutURL: "/logout"})
			},
			want: []string{
				"<title>Security · Lockstep</title>",
				`<main class="card card-wide">`,
				"<h1>Security</h1>",
				`<p class="lead account-email">alice@example.com</p>`,
				`class="alert alert-success" role="status">`,
				`<span class="alert-body">Authenticator app added.</span>`,
				`<h2 id="tsv-heading">Two-step verification</h2>`,
				`<p class="pill pill-on"><span class="visually-hidden">Current mode: </span>`,
				"</svg>Password and authenticator app</p>",
				// One small form per device.
				`<span class="device-name">Work phone</span><span class="device-meta"><span>Added 23 Nov 2026</span><span>Last used 2 Dec 2026</span></span>`,
				`<span class="device-name">Old iPad</span><span class="device-meta"><span>Added 1 Dec 2026</span><span>Never used</span></span>`,
				`<form method="post" action="/account/totp/remove" class="device-remove">` + "\n" + `<input type="hidden" name="device" value="d1">`,
				`<form method="post" action="/account/totp/remove" class="device-remove">` + "\n" + `<input type="hidden" name="device" value="d2">`,
				`<button type="submit" class="btn btn-small btn-danger">Remove<span class="visually-hidden"> Work phone</span></button>`,
				`<a class="btn btn-secondary btn-add" href="/account/totp">`,
				"Add an authenticator app</a>",
				`<a href="/account/totp?replace=1" aria-describedby="replace-hint">Replace all devices</a>`,
				"Link a new device and sign out every earlier one in one step.",
				`<h2 id="codes-heading">Recovery codes</h2>`,
				"<strong>7</strong> of 10 recovery codes left",
				`<form method="post" action="/account/recovery" class="codes-form">`,
				`class="btn btn-secondary" aria-describedby="codes-hint">Generate new recovery codes</button>`,
				"Your old codes stop working",
				`<a class="footer-link" href="/logout">Sign out</a></footer>`,
			},
			notWant: []string{`role="alert"`, "Two-step verification is off", "btn-primary", "pill-warn", "no recovery codes", "Secured by Lockstep</footer>"},
		},
		{
			name: "account empty state",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: "bob@example.com", RemoveAction: "/account/totp/remove", AddURL: "/account/totp",
					ReplaceURL: "/account/totp?replace=1", RegenerateAction: "/account/recovery", SignOutURL: "/logout"})
			},
			want: []string{
				"<title>Security · Lockstep</title>",                                                   // default title
				`<p class="pill"><span class="visually-hidden">Current mode: </span>Password only</p>`, // default mode
				"<strong>Two-step verification is off.</strong> Add an authenticator app to protect your account.",
				`<a class="btn btn-primary" href="/account/totp">Add an authenticator app</a>`,
				"You get recovery codes when you turn on two-step verification.",
			},
			notWant: []string{
				`class="devices"`, "Remove", "Replace all devices", `name="device"`, "pill-on",
				"recovery codes left", "Generate new recovery codes", "alert-success", `role="alert"`,
			},
		},
		{
			name: "account without recovery codes, with error",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: "carol@example.com", Error: "That authenticator app is not linked to your account.",
					Devices:      []AccountDevice{{ID: "d1", Name: "Phone", Added: "23 Nov 2026"}},
					RemoveAction: "/account/totp/remove", AddURL: "/account/totp", RegenerateAction: "/account/recovery"})
			},
			want: []string{
				`<div class="alert alert-error" role="alert">That authenticator app is not linked to your account.</div>`,
				"</svg>Password and authenticator app</p>", // mode derived from the devices
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
				return r.Account(w, AccountPage{Devices: []AccountDevice{{ID: "d1", Name: "Phone", Added: "23 Nov 2026"}},
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
				return r.Account(w, AccountPage{Email: "alice@example.com",
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
				return r.Account(w, AccountPage{Keys: []AccountKey{{ID: "a1", Name: "Key"}}, AddKeyAction: "/account/keys", AddKeyOptionsURL: "/account/keys/options"})
			},
			want:    []string{"Security keys and passkeys</h2>", `data-webauthn="create"`, webauthnScript, `<span class="device-name">Key</span>`},
			notWant: []string{`name="key"`, "Remove"},
		},
		{
			name: "account without add key action",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Keys: []AccountKey{{ID: "a1", Name: "Key"}}, RemoveKeyAction: "/account/keys/remove", AddKeyOptionsURL: "/account/keys/options"})
			},
			notWant: []string{"Security keys", "<script", "data-webauthn", `name="key"`, "webauthn-add"},
		},
		{
			name: "account escapes device names",
			render: func(r *Renderer, w io.Writer) error {
				return r.Account(w, AccountPage{Email: `"><b>mallory</b>`, RemoveAction: "/account/totp/remove",
					Devices:       []AccountDevice{{ID: `d1"><script>x</script>`, Name: `<script>alert("x")</script> & <b>Phone</b>`, Added: "<i>today</i>", LastUsed: "<i>now</i>"}},
					RecoveryTotal: 10, RecoveryUnused: 10, RegenerateAction: "/account/recovery"})
			},
			want: []string{
				`<span class="device-name">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Phone&lt;/b&gt;</span>`,
				`<span class="visually-hidden"> &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Phone&lt;/b&gt;</span>`,
				`<input type="hidden" name="device" value="d1&#34;&gt;&lt;script&gt;x&lt;/script&gt;">`,
				"<span>Added &lt;i&gt;today&lt;/i&gt;</span><span>Last used &lt;i&gt;now&lt;/i&gt;</span>",
				`<p class="lead account-email">&#34;&gt;&lt;b&gt;mallory&lt;/b&gt;</p>`,
			},
			notWant: []string{"<script", "<b>", "<i>"},
		},
	}
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(&buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			// The one allowed script tag is fixed markup, not data.
			html := strings.Replace(buf.String(), webauthnScript, "", 1)
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
	if err := r.Challenge(&buf, ChallengePage{Action: "/login/2fa", Method: "sms"}); err == nil {
		t.Error("expected an error for an unknown method")
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
	for name, tmpl := range r.pages {
		c := template.Must(tmpl.Clone())
		template.Must(c.AddParseTree("page-layout", c.Lookup("layout").Tree))
		template.Must(c.New("layout").Parse(`PAGE=` + name + ";" + `{{template "page-layout" .}}`))
		r.pages[name] = c
	}
	marker := regexp.MustCompile(`^PAGE=([a-z]+);`)
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
	r.pages["broken"] = template.Must(template.New("layout").Parse(`<!doctype html><p>half a page {{.NoSuchField}}</p>`))
	var buf bytes.Buffer
	err := r.render(&buf, "broken", LoggedOutPage{})
	if err == nil {
		t.Fatal("expected an error")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q despite the error", buf.String())
	}
	if err := r.render(&buf, "nope", nil); err == nil {
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
