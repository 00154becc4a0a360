package templates

import "io"

// ForgotPage asks for the email address of a forgotten password and posts email
// (and flow, the sign-in it was opened from) to Action. Sent, it says a link is on
// its way if an account uses the address: the same words whether or not one does.
type ForgotPage struct {
	Page
	Action  string
	FlowID  string
	Email   string
	BackURL string
	// Minutes is how long the emailed link works.
	Minutes int
	Error   string
	Sent    bool
}

// NewPasswordPage is an emailed link's form: choose a new password, or set the
// first one of an invited account. It posts token, flow, new_password and
// confirm_password to Action.
type NewPasswordPage struct {
	Page
	Heading string
	// Lead is a catalogue key whose {{.Email}} is the account's address.
	Lead      string
	Button    string
	Action    string
	Token     string
	FlowID    string
	Email     string
	MinLength int
	Error     string
}

// Forgot renders the forgotten-password page.
func (r *Renderer) Forgot(w io.Writer, p ForgotPage) error {
	if p.Title == "" {
		p.Title = "login.forgot"
		if p.Sent {
			p.Title = "forgot.check_heading"
		}
	}
	return r.render(w, pageForgot, p)
}

// NewPassword renders an emailed link's new-password form.
func (r *Renderer) NewPassword(w io.Writer, p NewPasswordPage) error {
	if p.Title == "" {
		p.Title = p.Heading
	}
	return r.render(w, pageNewPassword, p)
}
