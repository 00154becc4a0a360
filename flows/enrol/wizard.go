package enrol

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Paths of the set-up wizard (ACC-3). They live under the account pages, so a
// re-verification may come back to any of them (flows.AccountReturn).
const (
	PathSetup            = flows.PathAccount + "/setup"
	PathSetupApp         = PathSetup + "/app"
	PathSetupQR          = PathSetup + "/app/qr"
	PathSetupVerify      = PathSetup + "/app/verify"
	PathSetupPhone       = PathSetup + "/phone"
	PathSetupPhoneResend = PathSetup + "/phone/resend"
	PathSetupCodes       = PathSetup + "/recovery-codes"
	PathSetupDone        = PathSetup + "/done"
)

// The wizard's steps, in order. The password is step 1: the sign-in's own
// password, or the re-verification that opens the wizard from the account page.
const (
	stepPassword = iota
	stepAbout
	stepScan
	stepVerify
	stepPhone
	stepPhoneCode
	stepCodes
)

// codesTTL is how long the codes shown by the wizard stay readable (sealed) for a
// reload of their page, until the user confirms they stored them.
const codesTTL = 30 * time.Minute

// pendingReuse is how old a pending app the wizard shows again may be.
const pendingReuse = time.Hour

// wizard is one run of the set-up: in a sign-in that needs a second factor (flow
// set), or from the account page (session set, freshly re-verified).
type wizard struct {
	flow    *flows.Flow
	session storage.Session
	user    storage.User
}

func (z wizard) clientID() string {
	if z.flow != nil {
		return z.flow.ClientID
	}
	return ""
}

func (z wizard) flowID() string {
	if z.flow != nil {
		return z.flow.ID
	}
	return ""
}

// url is a wizard page's address with q and, in a sign-in, the flow.
func (s *Handlers) wizardURL(z wizard, path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if z.flow != nil {
		q.Set("flow", z.flow.ID)
	}
	if len(q) == 0 {
		return s.Path(path)
	}
	return s.Path(path) + "?" + q.Encode()
}

// codesKey names the sealed codes of this run: per sign-in, or per user.
func (z wizard) codesKey() string {
	if z.flow != nil {
		return "setup-codes:flow:" + z.flow.ID
	}
	return "setup-codes:user:" + z.user.ID
}

// phoneKey binds the pending text-message code to this run.
func (z wizard) phoneKey() string {
	if z.flow != nil {
		return "sms:setup:flow:" + z.flow.ID
	}
	return "sms:setup:user:" + z.user.ID
}

// openWizard loads the run a wizard request belongs to. A request naming a flow
// must find it in one of states (else res sends the browser where the flow
// stands); one without a flow needs a fresh re-verification, which comes back to
// page. ok false: res or the response already written says where to go.
func (s *Handlers) openWizard(w http.ResponseWriter, r *http.Request, page string, states ...flows.State) (z wizard, res flows.Result, ok bool, err error) {
	ctx := r.Context()
	id := r.URL.Query().Get("flow")
	if r.Method == http.MethodPost {
		if err := flows.ParseForm(r); err != nil {
			return z, res, false, err
		}
		id = r.PostForm.Get("flow")
	}
	if id == "" {
		sess, user, ok, err := s.RequireReverified(w, r, page)
		return wizard{session: sess, user: user}, res, ok, err
	}
	f, err := s.LoadFlow(ctx, r, id)
	if err != nil {
		return z, res, false, err
	}
	if f.KindOf() != flows.KindAuthorize || !slices.ContainsFunc(states, f.Is) {
		return z, flows.RedirectTo(s.StepURL(f)), false, nil
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return z, res, false, fmt.Errorf("load enrolling user: %w", err)
	}
	return wizard{flow: &f, user: user}, res, true, nil
}

// wizardSteps is the progress at step current. Without text messages the phone
// pair is left out; when the phone is the first factor it takes the app's place.
func (s *Handlers) wizardSteps(current int, phoneFirst bool) []templates.Step {
	return wizardProgress(current, s.SMS != nil, phoneFirst)
}

func wizardProgress(current int, withSMS, phoneFirst bool) []templates.Step {
	// The labels are keys of the message catalogues.
	labels := []string{"wizard.step_password", "wizard.step_ready", "wizard.step_scan", "wizard.step_verify", "wizard.step_backup", "wizard.step_text", "wizard.step_codes"}
	order := []int{stepPassword, stepAbout, stepScan, stepVerify, stepPhone, stepPhoneCode, stepCodes}
	switch {
	case phoneFirst:
		labels = []string{"wizard.step_password", "wizard.step_ready", "wizard.step_phone", "wizard.step_text", "wizard.step_codes"}
		order = []int{stepPassword, stepAbout, stepPhone, stepPhoneCode, stepCodes}
	case !withSMS:
		labels = []string{"wizard.step_password", "wizard.step_ready", "wizard.step_scan", "wizard.step_verify", "wizard.step_codes"}
		order = []int{stepPassword, stepAbout, stepScan, stepVerify, stepCodes}
	}
	return progress(slices.Index(order, current), labels...)
}

// PasswordStep is the wizard's progress on its first step, the re-verification
// that opens it from the account page (a flow whose ReturnTo is under PathSetup).
func PasswordStep(withSMS bool) []templates.Step {
	return wizardProgress(stepPassword, withSMS, false)
}

func (s *Handlers) renderWizard(w http.ResponseWriter, status int, p templates.WizardPage) (flows.Result, error) {
	return flows.Result{}, s.Render(w, status, func() error { return s.Pages.Wizard(w, p) })
}

func (s *Handlers) wizardPage(ctx context.Context, z wizard, title, stage string, step int) templates.WizardPage {
	p := templates.WizardPage{Page: s.Page(ctx, title), Stage: stage, FlowID: z.flowID(), Steps: s.wizardSteps(step, false)}
	if z.flow != nil {
		p.ClientName = s.ClientName(ctx, z.flow.ClientID)
	} else {
		p.CancelURL = s.Path(flows.PathAccount)
	}
	return p
}

// hasSecondFactor reports whether the user has any second factor already.
func (s *Handlers) hasSecondFactor(ctx context.Context, userID string) (bool, error) {
	factors, err := s.SecondFactors(ctx, userID)
	return len(factors) > 0, err
}

// SetupStart is step 2: what two-step verification is and what the user needs.
// It is the page of a sign-in that must enrol (StateEnrol).
func (s *Handlers) SetupStart(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	z, res, ok, err := s.openWizard(w, r, PathSetup, flows.StateEnrol)
	if !ok {
		return res, err
	}
	if z.flow == nil {
		on, err := s.hasSecondFactor(ctx, z.user.ID)
		if err != nil {
			return flows.Result{}, err
		}
		if on { // nothing to turn on: the account page manages the factors
			return flows.RedirectTo(s.Path(flows.PathAccount)), nil
		}
	} else if _, ev, err := s.decide(r, *z.flow); err != nil {
		return flows.Result{}, err
	} else if ev.Decision.Outcome == flows.Enrol {
		p := s.wizardPage(ctx, z, "wizard.about_heading", "about", stepAbout)
		p.Required = true
		return s.aboutPage(w, z, p)
	}
	return s.aboutPage(w, z, s.wizardPage(ctx, z, "wizard.about_heading", "about", stepAbout))
}

func (s *Handlers) aboutPage(w http.ResponseWriter, z wizard, p templates.WizardPage) (flows.Result, error) {
	p.NextURL = s.wizardURL(z, PathSetupApp, nil)
	if s.SMS != nil {
		p.PhoneURL = s.wizardURL(z, PathSetupPhone, url.Values{"change": {"1"}})
	}
	return s.renderWizard(w, http.StatusOK, p)
}

// SetupApp is step 3: the QR code, the key and the link for an app on this
// phone. The pending device is named in the address, so a reload or "Back" shows
// the same one instead of making another.
func (s *Handlers) SetupApp(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	z, res, ok, err := s.openWizard(w, r, PathSetupApp, flows.StateEnrol)
	if !ok {
		return res, err
	}
	e, err := s.TOTP.Pending(ctx, z.user.ID, r.URL.Query().Get("device"))
	if err != nil {
		if z.flow == nil {
			if on, err := s.hasSecondFactor(ctx, z.user.ID); err != nil || on {
				return flows.RedirectTo(s.Path(flows.PathAccount)), err
			}
		}
		// Back at this step without the device: the one made before, if any.
		e, err = s.TOTP.LatestPending(ctx, z.user.ID, s.Now().Add(-pendingReuse))
		if errors.Is(err, factor.ErrNotPending) {
			e, err = s.TOTP.Begin(ctx, z.user.ID, z.user.Email, s.DefaultDeviceName(ctx))
			if err == nil {
				s.Audit(ctx, r, "totp.enrol_started", z.user.ID, z.clientID(), map[string]string{"device": e.DeviceID})
			}
		}
		if err != nil {
			return flows.Result{}, err
		}
		return flows.RedirectTo(s.wizardURL(z, PathSetupApp, url.Values{"device": {e.DeviceID}})), nil
	}
	p := s.wizardPage(ctx, z, "wizard.scan_heading", "scan", stepScan)
	q := url.Values{"device": {e.DeviceID}}
	p.DeviceID, p.Secret, p.OTPAuthURI = e.DeviceID, e.Secret, e.URI
	p.QRCodeURL = s.wizardURL(z, PathSetupQR, q)
	p.NextURL = s.wizardURL(z, PathSetupVerify, q)
	p.BackURL = s.wizardURL(z, PathSetup, nil)
	if s.SMS != nil {
		p.PhoneURL = s.wizardURL(z, PathSetupPhone, url.Values{"change": {"1"}})
	}
	return s.renderWizard(w, http.StatusOK, p)
}

// SetupQR serves the QR code of the run's pending device.
func (s *Handlers) SetupQR(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, res, ok, err := s.openWizard(w, r, PathSetupApp, flows.StateEnrol)
	if !ok {
		return res, err
	}
	return flows.Result{}, s.WriteQR(w, r, z.user.ID)
}

// verifyPage is step 4 for a pending device, keeping what was typed.
func (s *Handlers) verifyPage(ctx context.Context, z wizard, deviceID, name string) templates.WizardPage {
	p := s.wizardPage(ctx, z, "wizard.verify_heading", "verify", stepVerify)
	p.DeviceID, p.DeviceName = deviceID, name
	p.Action = s.Path(PathSetupVerify)
	p.BackURL = s.wizardURL(z, PathSetupApp, url.Values{"device": {deviceID}})
	return p
}

// SetupVerifyPage is step 4: the first code from the app.
func (s *Handlers) SetupVerifyPage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	z, res, ok, err := s.openWizard(w, r, PathSetupApp, flows.StateEnrol)
	if !ok {
		return res, err
	}
	e, err := s.TOTP.Pending(ctx, z.user.ID, r.URL.Query().Get("device"))
	if err != nil { // expired, or already verified: start the scan again
		return flows.RedirectTo(s.wizardURL(z, PathSetupApp, nil)), nil
	}
	return s.renderWizard(w, http.StatusOK, s.verifyPage(ctx, z, e.DeviceID, e.Name))
}

// SetupVerify activates the device with one correct code: the device is active
// only from here, so a run left earlier leaves nothing turned on. The code is
// also the run's proof of the app (the sign-in's, or the session's).
func (s *Handlers) SetupVerify(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	z, res, ok, err := s.openWizard(w, r, PathSetupApp, flows.StateEnrol)
	if !ok {
		return res, err
	}
	deviceID, name := r.PostForm.Get("device"), r.PostForm.Get("device_name")
	if _, err := s.TOTP.Pending(ctx, z.user.ID, deviceID); err != nil {
		return flows.Result{}, flows.UserError(http.StatusBadRequest, "msg.setup_expired_heading", "msg.setup_expired_app", err)
	}
	msg, status, err := s.ConfirmTOTP(ctx, z.user.ID, deviceID, name, r.PostForm.Get("code"), false)
	if err != nil {
		return flows.Result{}, err
	}
	if msg != "" {
		s.Audit(ctx, r, "totp.enrol_failed", z.user.ID, z.clientID(), map[string]string{"reason": msg})
		p := s.verifyPage(ctx, z, deviceID, name)
		p.Error = msg
		return s.renderWizard(w, status, p)
	}
	s.Audit(ctx, r, "totp.enrolled", z.user.ID, z.clientID(), map[string]string{"device": deviceID})
	s.NotifyDeviceAdded(ctx, r, z.user.ID)
	if err := s.AfterSecondFactor(ctx, w, r, z.user.ID, z.clientID(), false); err != nil {
		return flows.Result{}, err
	}
	if err := s.proven(w, r, &z, storage.FactorProof{Method: "otp", At: s.Now().UTC()}); err != nil {
		return flows.Result{}, err
	}
	if s.SMS != nil {
		return flows.RedirectTo(s.wizardURL(z, PathSetupPhone, url.Values{"change": {"1"}})), nil
	}
	return flows.RedirectTo(s.wizardURL(z, PathSetupCodes, nil)), nil
}

// proven records the run's first factor: on the sign-in (which then moves on to
// its recovery codes) or on the browser's session (the re-verification of the
// pages that follow now needs a second factor). The recovery codes of the run are
// made here, once, so that reloading their page shows the same ones.
func (s *Handlers) proven(w http.ResponseWriter, r *http.Request, z *wizard, proof storage.FactorProof) error {
	ctx := r.Context()
	if z.flow != nil {
		z.flow.Proven = append(z.flow.Proven, proof)
		if err := z.flow.MoveTo(flows.StateRecoveryCodes); err != nil {
			return err
		}
		if err := s.Advance(ctx, z.flow); err != nil {
			return err
		}
	} else {
		sess, err := s.UpgradeSession(ctx, w, r, z.user.ID, &z.session, []storage.FactorProof{proof})
		if err != nil {
			return err
		}
		z.session = sess
	}
	codes, err := s.Recovery.Generate(ctx, z.user.ID)
	if err != nil {
		return err
	}
	s.Audit(ctx, r, "recovery_codes.generated", z.user.ID, z.clientID(), nil)
	return s.sealCodes(ctx, *z, codes)
}
