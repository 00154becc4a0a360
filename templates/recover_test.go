package templates

import "io"

// recoverPageCases are the forgotten-password and invitation pages, and the
// sign-in page's link to the first.
func recoverPageCases() []pageCase {
	forgot := ForgotPage{Page: page(""), Action: "/forgot", FlowID: "f1", BackURL: "/login?flow=f1", Minutes: 30}
	return []pageCase{
		{
			name: "login with forgot link",
			render: func(r *Renderer, w io.Writer) error {
				return r.Login(w, LoginPage{Page: page("Sign in"), Action: "/login?flow=f1", FlowID: "f1", ForgotURL: "/forgot?flow=f1"})
			},
			want: []string{`<p class="forgot-link"><a href="/forgot?flow=f1">Forgot your password?</a></p>`},
		},
		{
			name:   "forgot",
			render: func(r *Renderer, w io.Writer) error { return r.Forgot(w, forgot) },
			want: []string{
				"<title>Forgot your password? · Lockstep</title>",
				`<form method="post" action="/forgot" class="form">`,
				`<input type="hidden" name="flow" value="f1">`,
				`<input type="email" id="email" name="email" value="" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>`,
				`<a href="/login?flow=f1">Back to sign in</a>`,
			},
			notWant: []string{`role="alert"`, "aria-invalid", "Check your email"},
		},
		{
			name: "forgot with an error",
			render: func(r *Renderer, w io.Writer) error {
				p := forgot
				p.Email, p.Error = "alice@", "Enter the email address of your account."
				return r.Forgot(w, p)
			},
			want: []string{
				`<div class="alert alert-error" role="alert" id="forgot-error">Enter the email address of your account.</div>`,
				`value="alice@" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus aria-invalid="true" aria-describedby="forgot-error">`,
			},
		},
		{
			name: "forgot sent",
			render: func(r *Renderer, w io.Writer) error {
				p := forgot
				p.Email, p.Sent = `"><b>x</b>@example.com`, true
				return r.Forgot(w, p)
			},
			want: []string{
				"<title>Check your email · Lockstep</title>",
				`If an account uses <strong class="break">&#34;&gt;&lt;b&gt;x&lt;/b&gt;@example.com</strong>, we sent it a link`,
				"The link works once, for 30 minutes.",
			},
			notWant: []string{"<form", "<b>"},
		},
		{
			name: "newpassword",
			render: func(r *Renderer, w io.Writer) error {
				return r.NewPassword(w, NewPasswordPage{Page: page(""), Heading: "recover.reset_title", Lead: "recover.reset_lead",
					Button: "recover.reset_button", Action: "/forgot/reset", Token: "t0k", FlowID: "f1", Email: "alice@example.com",
					MinLength: 10, Error: "Choose a password of at least 10 characters."})
			},
			want: []string{
				"<title>Choose a new password · Lockstep</title>",
				`<p class="lead">For <strong class="break">alice@example.com</strong>. Changing it signs you out everywhere.`,
				`<input type="hidden" name="token" value="t0k">`,
				`<input type="hidden" name="flow" value="f1">`,
				`<input type="text" name="username" value="alice@example.com" autocomplete="username" hidden>`,
				`name="new_password" autocomplete="new-password" minlength="10" required autofocus aria-describedby="new-hint password-error" aria-invalid="true">`,
				`name="confirm_password" autocomplete="new-password" minlength="10" required>`,
				`<div class="alert alert-error" role="alert" id="password-error">Choose a password of at least 10 characters.</div>`,
				`<button type="submit" class="btn btn-primary">Change password</button>`,
			},
		},
	}
}
