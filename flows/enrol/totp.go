package enrol

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// qrPixels is twice the size the page shows the QR code at, so it stays sharp on
// high-density screens and scales by a whole number everywhere.
const qrPixels = 384

// TOTPSteps is an app set-up's progress, at step current (0: scan).
func TOTPSteps(current int) []templates.Step {
	return progress(current, "Scan", "Verify", "Recovery codes", "Done")
}

// progress marks the steps before current done and current as current.
func progress(current int, labels ...string) []templates.Step {
	steps := make([]templates.Step, len(labels))
	for i, l := range labels {
		steps[i] = templates.Step{Label: l, Done: i < current, Current: i == current}
	}
	return steps
}

// enrolPage is the app set-up of a sign-in; required says the policy requires a
// second factor here (not a set-up the user chose on an offer).
func (s *Handlers) enrolPage(ctx context.Context, f flows.Flow, e factor.Enrolment, name string, required bool) templates.TOTPEnrolPage {
	q := url.Values{"flow": {f.ID}, "device": {e.DeviceID}}
	p := templates.TOTPEnrolPage{
		Page:       s.Page("Set up two-step verification"),
		Action:     s.Path(PathEnrol),
		FlowID:     f.ID,
		ClientName: s.ClientName(ctx, f.ClientID),
		Required:   required,
		DeviceID:   e.DeviceID,
		DeviceName: name,
		QRCodeURL:  s.Path(PathEnrolQR) + "?" + q.Encode(),
		Secret:     e.Secret,
		OTPAuthURI: e.URI,
		Steps:      TOTPSteps(0),
	}
	if s.SMS != nil {
		p.SMSURL = s.Path(PathEnrolPhone) + "?" + url.Values{"flow": {f.ID}, "change": {"1"}}.Encode()
	}
	return p
}

// EnrolPage starts linking an authenticator app during a sign-in that needs one: a
// new inactive device with a fresh secret, shown as a QR code, a key and a link.
func (s *Handlers) EnrolPage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateEnrol)
	if !ok {
		return res, err
	}
	// One lookup: the user and what the policy says (required, or chosen on an offer).
	reads, ev, err := s.decide(r, f)
	if err != nil {
		return flows.Result{}, err
	}
	if reads == nil || !reads.Login.Found {
		return flows.Result{}, fmt.Errorf("load enrolling user %q: %w", f.UserID, storage.ErrNotFound)
	}
	e, err := s.TOTP.Begin(ctx, f.UserID, reads.Login.User.Email, factor.DefaultDeviceName)
	if err != nil {
		return flows.Result{}, err
	}
	s.Audit(ctx, r, "totp.enrol_started", f.UserID, f.ClientID, map[string]string{"device": e.DeviceID})
	p := s.enrolPage(ctx, f, e, factor.DefaultDeviceName, ev.Decision.Outcome == flows.Enrol)
	return flows.Result{}, s.Render(w, http.StatusOK, func() error { return s.Pages.TOTPEnrol(w, p) })
}

// required reports whether the policy requires a second factor of the flow
// (enrol), rather than offering one the user chose to set up.
func (s *Handlers) required(r *http.Request, f flows.Flow) (bool, error) {
	_, ev, err := s.decide(r, f)
	return ev.Decision.Outcome == flows.Enrol, err
}

// EnrolQR serves the QR code of a pending device of the flow's user.
func (s *Handlers) EnrolQR(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.LoadFlow(ctx, r, r.URL.Query().Get("flow"))
	if err != nil {
		return err
	}
	if !f.Is(flows.StateEnrol) {
		return flows.UserError(http.StatusNotFound, "Not found", "There is no code to show.", nil)
	}
	return s.WriteQR(w, r, f.UserID)
}

// WriteQR serves the QR code of the user's pending device named in the query.
func (s *Handlers) WriteQR(w http.ResponseWriter, r *http.Request, userID string) error {
	e, err := s.TOTP.Pending(r.Context(), userID, r.URL.Query().Get("device"))
	if err != nil {
		return flows.UserError(http.StatusNotFound, "Not found", "There is no code to show.", err)
	}
	png, err := s.TOTP.QRCodePNG(e, qrPixels)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(png)
	return err
}

// ConfirmTOTP names a pending device and activates it with one correct code,
// counting the attempt like a sign-in code. When it fails, page carries the message
// and status is the one to render it with; err is a server fault.
func (s *Handlers) ConfirmTOTP(ctx context.Context, userID, deviceID, name, code string, revokeOthers bool, page *templates.TOTPEnrolPage) (status int, err error) {
	key := "2fa:user:" + userID
	n, err := s.Store.HitThrottle(ctx, key, s.Limits.Window, s.Now())
	if err != nil {
		return 0, fmt.Errorf("count enrolment attempt: %w", err)
	}
	if n > s.Limits.SecondFactorFailures {
		page.Error = flows.MsgCodeThrottled
		return http.StatusTooManyRequests, nil
	}
	if err := s.TOTP.Rename(ctx, userID, deviceID, name); err != nil {
		if errors.Is(err, factor.ErrInvalidName) {
			page.Error = fmt.Sprintf("Give the device a name of at most %d characters.", factor.MaxDeviceNameLen)
			return http.StatusBadRequest, nil
		}
		return 0, err
	}
	if err := s.TOTP.Confirm(ctx, userID, deviceID, code, revokeOthers); err != nil {
		if page.Error = flows.CodeMessage(flows.MethodTOTP, err); page.Error == "" {
			return 0, err
		}
		return http.StatusUnauthorized, nil
	}
	return http.StatusOK, s.Store.ResetThrottle(ctx, key)
}

// EnrolSubmit activates the device with one correct code. That code also proves
// the factor for this sign-in. A user's first second factor comes with recovery codes.
func (s *Handlers) EnrolSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateEnrol)
	if !ok {
		return res, err
	}
	deviceID, name := r.PostForm.Get("device"), r.PostForm.Get("device_name")
	if name == "" {
		name = factor.DefaultDeviceName
	}
	e, err := s.TOTP.Pending(ctx, f.UserID, deviceID)
	if err != nil {
		return flows.Result{}, flows.UserError(http.StatusBadRequest, "This setup expired", "Start setting up your authenticator app again.", err)
	}
	page := s.enrolPage(ctx, f, e, name, true)
	status, err := s.ConfirmTOTP(ctx, f.UserID, deviceID, name, r.PostForm.Get("code"), false, &page)
	if err != nil {
		return flows.Result{}, err
	}
	if status != http.StatusOK {
		if page.Required, err = s.required(r, f); err != nil {
			return flows.Result{}, err
		}
		s.Audit(ctx, r, "totp.enrol_failed", f.UserID, f.ClientID, map[string]string{"reason": page.Error})
		return flows.Result{}, s.Render(w, status, func() error { return s.Pages.TOTPEnrol(w, page) })
	}
	s.Audit(ctx, r, "totp.enrolled", f.UserID, f.ClientID, map[string]string{"device": deviceID})
	s.NotifyDeviceAdded(ctx, r, f.UserID)
	if err := s.AfterSecondFactor(ctx, w, r, f.UserID, f.ClientID, false); err != nil {
		return flows.Result{}, err
	}
	f.Proven = append(f.Proven, storage.FactorProof{Method: "otp", At: s.Now().UTC()})
	return s.afterEnrolment(w, r, f)
}

// afterEnrolment goes on once a sign-in enrolled a second factor: to new recovery
// codes when the user has none, else to the policy's next step.
func (s *Handlers) afterEnrolment(w http.ResponseWriter, r *http.Request, f flows.Flow) (flows.Result, error) {
	ctx := r.Context()
	total, _, err := s.Recovery.Remaining(ctx, f.UserID)
	if err != nil {
		return flows.Result{}, err
	}
	if total > 0 {
		return s.Proceed(ctx, w, r, f, nil)
	}
	if err := f.MoveTo(flows.StateRecoveryCodes); err != nil {
		return flows.Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return flows.Result{}, err
	}
	return flows.Result{}, s.showRecoveryCodes(w, r, f, "", http.StatusOK)
}

// NotifyDeviceAdded says "two-step verification is on" for the first device, and
// "a new app was linked" for later ones.
func (s *Handlers) NotifyDeviceAdded(ctx context.Context, r *http.Request, userID string) {
	devices, err := s.TOTP.Devices(ctx, userID)
	if err != nil {
		s.Log.Warn("notification not sent: devices", "user_id", userID, "error", err)
		return
	}
	if len(devices) == 1 {
		s.Notify(r, userID, "2fa.on")
	} else {
		s.Notify(r, userID, "device.added")
	}
}

// showRecoveryCodes makes a new set (the old one dies) and shows it once.
func (s *Handlers) showRecoveryCodes(w http.ResponseWriter, r *http.Request, f flows.Flow, msg string, status int) error {
	ctx := r.Context()
	codes, err := s.Recovery.Generate(ctx, f.UserID)
	if err != nil {
		return err
	}
	s.Audit(ctx, r, "recovery_codes.generated", f.UserID, f.ClientID, nil)
	p := templates.RecoveryCodesPage{
		Page:   s.Page("Save your recovery codes"),
		Action: s.Path(PathRecoveryCodes),
		FlowID: f.ID,
		Codes:  codes,
		Error:  msg,
		Steps:  TOTPSteps(2),
	}
	return s.Render(w, status, func() error { return s.Pages.RecoveryCodes(w, p) })
}

// RecoveryCodesPage shows a fresh set when the page is opened again: the set shown
// before was never confirmed as stored.
func (s *Handlers) RecoveryCodesPage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	f, res, ok, err := s.FlowAt(r, flows.StateRecoveryCodes)
	if !ok {
		return res, err
	}
	return flows.Result{}, s.showRecoveryCodes(w, r, f, "", http.StatusOK)
}

// RecoveryCodesSubmit goes on only once the user ticked that the codes are stored.
func (s *Handlers) RecoveryCodesSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	f, res, ok, err := s.FlowAt(r, flows.StateRecoveryCodes)
	if !ok {
		return res, err
	}
	if r.PostForm.Get("stored") != "yes" {
		return flows.Result{}, s.showRecoveryCodes(w, r, f, "Tick the box to confirm you stored your codes. These are new codes: the ones shown before no longer work.", http.StatusBadRequest)
	}
	return s.Proceed(r.Context(), w, r, f, nil)
}
