package templates

import (
	"fmt"
	"html/template"
	"io"

	"github.com/lockstep-id/lockstep/i18n"
)

// Stages of the set-up wizard's own pages (the phone and recovery-code steps use
// PhoneEnrolPage and RecoveryCodesPage).
const (
	WizardAbout  = "about"
	WizardScan   = "scan"
	WizardVerify = "verify"
	WizardDone   = "done"
)

// WizardPage is a page of the two-step verification set-up wizard (ACC-3). Links
// move between steps (NextURL, BackURL), so the wizard works without JavaScript;
// the verify stage posts flow (when set), device, device_name and code to Action.
type WizardPage struct {
	Page
	Stage      string
	FlowID     string // set inside a sign-in
	ClientName string
	// Required: the app or the organisation requires the set-up to go on.
	Required bool
	Steps    []Step

	NextURL, BackURL, CancelURL string
	// PhoneURL offers text messages instead of an app.
	PhoneURL string

	// The app: scan and verify stages.
	Action     string
	DeviceID   string
	DeviceName string
	QRCodeURL  string
	Secret     string
	OTPAuthURI string
	Error      string

	// Done: what is now set up, and the acr apps will be told.
	Apps          []string
	Phone         string
	RecoveryCodes int
	ACR           string
}

// SecretGroups is the key in groups of four, as on the app set-up page.
func (p WizardPage) SecretGroups() []string { return TOTPEnrolPage{Secret: p.Secret}.SecretGroups() }

// OTPAuthHref is the key URI as a link, as on the app set-up page.
func (p WizardPage) OTPAuthHref() template.URL {
	return TOTPEnrolPage{OTPAuthURI: p.OTPAuthURI}.OTPAuthHref()
}

// stepOf says where a progress indicator stands, in words.
func stepOf(loc *i18n.Localizer, steps []Step) string {
	for i, s := range steps {
		if s.Current {
			return loc.T("step_of", "Step", loc.Number(i+1), "Total", loc.Number(len(steps)))
		}
	}
	return ""
}

// Wizard renders a page of the set-up wizard.
func (r *Renderer) Wizard(w io.Writer, p WizardPage) error {
	switch p.Stage {
	case WizardAbout, WizardScan, WizardVerify, WizardDone:
	default:
		return fmt.Errorf("templates: unknown wizard stage %q", p.Stage)
	}
	if p.DeviceName == "" {
		p.DeviceName = DefaultDeviceName
	}
	return r.render(w, pageWizard, p)
}
