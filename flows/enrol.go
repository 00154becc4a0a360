package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// qrPixels is twice the size the page shows the QR code at, so it stays sharp on
// high-density screens and scales by a whole number everywhere.
const qrPixels = 384

func enrolSteps(current int) []templates.Step {
	labels := []string{"Scan", "Verify", "Recovery codes", "Done"}
	steps := make([]templates.Step, len(labels))
	for i, l := range labels {
		steps[i] = templates.Step{Label: l, Done: i < current, Current: i == current}
	}
	return steps
}

func (s *Service) enrolPage(ctx context.Context, f Flow, e factor.Enrolment, name string) templates.TOTPEnrolPage {
	q := url.Values{"flow": {f.ID}, "device": {e.DeviceID}}
	p := templates.TOTPEnrolPage{
		Page:       s.page("Set up two-step verification"),
		Action:     s.Paths.Enrol,
		FlowID:     f.ID,
		ClientName: s.clientName(ctx, f.ClientID),
		Required:   true,
		DeviceID:   e.DeviceID,
		DeviceName: name,
		QRCodeURL:  s.Paths.EnrolQR + "?" + q.Encode(),
		Secret:     e.Secret,
		OTPAuthURI: e.URI,
		Steps:      enrolSteps(0),
	}
	if s.SMS != nil {
		p.SMSURL = s.Paths.EnrolPhone + "?" + url.Values{"flow": {f.ID}, "change": {"1"}}.Encode()
	}
	return p
}

func (s *Service) render(w http.ResponseWriter, status int, render func() error) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return render()
}

// EnrolPage starts linking an authenticator app during a sign-in that needs one: a
// new inactive device with a fresh secret, shown as a QR code, a key and a link.
func (s *Service) EnrolPage(w http.ResponseWriter, r *http.Request) (Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.flowAt(r, StateEnrol)
	if !ok {
		return res, err
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return Result{}, fmt.Errorf("load enrolling user: %w", err)
	}
	e, err := s.TOTP.Begin(ctx, f.UserID, user.Email, factor.DefaultDeviceName)
	if err != nil {
		return Result{}, err
	}
	s.audit(ctx, r, "totp.enrol_started", f.UserID, f.ClientID, map[string]string{"device": e.DeviceID})
	p := s.enrolPage(ctx, f, e, factor.DefaultDeviceName)
	return Result{}, s.render(w, http.StatusOK, func() error { return s.Pages.TOTPEnrol(w, p) })
}

// EnrolQR serves the QR code of a pending device of the flow's user.
func (s *Service) EnrolQR(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.LoadFlow(ctx, r, r.URL.Query().Get("flow"))
	if err != nil {
		return err
	}
	if !f.Is(StateEnrol) {
		return UserError(http.StatusNotFound, "Not found", "There is no code to show.", nil)
	}
	return s.writeQR(w, r, f.UserID)
}

// writeQR serves the QR code of the user's pending device named in the query.
func (s *Service) writeQR(w http.ResponseWriter, r *http.Request, userID string) error {
	e, err := s.TOTP.Pending(r.Context(), userID, r.URL.Query().Get("device"))
	if err != nil {
		return UserError(http.StatusNotFound, "Not found", "There is no code to show.", err)
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

// confirmDevice names a pending device and activates it with one correct code,
// counting the attempt like a sign-in code. When it fails, page carries the message
// and status is the one to render it with; err is a server fault.
func (s *Service) confirmDevice(ctx context.Context, userID, deviceID, name, code string, revokeOthers bool, page *templates.TOTPEnrolPage) (status int, err error) {
	key := "2fa:user:" + userID
	n, err := s.Store.HitThrottle(ctx, key, s.Limits.Window, s.Now())
	if err != nil {
		return 0, fmt.Errorf("count enrolment attempt: %w", err)
	}
	if n > s.Limits.SecondFactorFailures {
		page.Error = msgCodeThrottled
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
		if page.Error = codeMessage(methodTOTP, err); page.Error == "" {
			return 0, err
		}
		return http.StatusUnauthorized, nil
	}
	return http.StatusOK, s.Store.ResetThrottle(ctx, key)
}

// EnrolSubmit activates the device with one correct code. That code also proves
// the factor for this sign-in. A user's first second factor comes with recovery codes.
func (s *Service) EnrolSubmit(w http.ResponseWriter, r *http.Request) (Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.flowAt(r, StateEnrol)
	if !ok {
		return res, err
	}
	deviceID, name := r.PostForm.Get("device"), r.PostForm.Get("device_name")
	if name == "" {
		name = factor.DefaultDeviceName
	}
	e, err := s.TOTP.Pending(ctx, f.UserID, deviceID)
	if err != nil {
		return Result{}, UserError(http.StatusBadRequest, "This setup expired", "Start setting up your authenticator app again.", err)
	}
	page := s.enrolPage(ctx, f, e, name)
	status, err := s.confirmDevice(ctx, f.UserID, deviceID, name, r.PostForm.Get("code"), false, &page)
	if err != nil {
		return Result{}, err
	}
	if status != http.StatusOK {
		s.audit(ctx, r, "totp.enrol_failed", f.UserID, f.ClientID, map[string]string{"reason": page.Error})
		return Result{}, s.render(w, status, func() error { return s.Pages.TOTPEnrol(w, page) })
	}
	s.audit(ctx, r, "totp.enrolled", f.UserID, f.ClientID, map[string]string{"device": deviceID})
	s.notifyDeviceAdded(ctx, r, f.UserID)
	if err := s.afterSecondFactor(ctx, w, r, f.UserID, f.ClientID, false); err != nil {
		return Result{}, err
	}
	f.Proven = append(f.Proven, storage.FactorProof{Method: "otp", At: s.Now().UTC()})
	return s.afterEnrolment(w, r, f)
}

// afterEnrolment goes on once a sign-in enrolled a second factor: to new recovery
// codes when the user has none, else to the policy's next step.
func (s *Service) afterEnrolment(w http.ResponseWriter, r *http.Request, f Flow) (Result, error) {
	ctx := r.Context()
	total, _, err := s.Recovery.Remaining(ctx, f.UserID)
	if err != nil {
		return Result{}, err
	}
	if total > 0 {
		return s.proceed(ctx, w, r, f, nil)
	}
	if err := f.MoveTo(StateRecoveryCodes); err != nil {
		return Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return Result{}, err
	}
	return Result{}, s.showRecoveryCodes(w, r, f, "", http.StatusOK)
}

// notifyDeviceAdded says "two-step verification is on" for the first device, and
// "a new app was linked" for later ones.
func (s *Service) notifyDeviceAdded(ctx context.Context, r *http.Request, userID string) {
	devices, err := s.TOTP.Devices(ctx, userID)
	if err != nil {
		s.Log.Warn("notification not sent: devices", "user_id", userID, "error", err)
		return
	}
	if len(devices) == 1 {
		s.notify(r, userID, "2fa.on")
	} else {
		s.notify(r, userID, "device.added")
	}
}

// showRecoveryCodes makes a new set (the old one dies) and shows it once.
func (s *Service) showRecoveryCodes(w http.ResponseWriter, r *http.Request, f Flow, msg string, status int) error {
	ctx := r.Context()
	codes, err := s.Recovery.Generate(ctx, f.UserID)
	if err != nil {
		return err
	}
	s.audit(ctx, r, "recovery_codes.generated", f.UserID, f.ClientID, nil)
	p := templates.RecoveryCodesPage{
		Page:   s.page("Save your recovery codes"),
		Action: s.Paths.RecoveryCodes,
		FlowID: f.ID,
		Codes:  codes,
		Error:  msg,
		Steps:  enrolSteps(2),
	}
	return s.render(w, status, func() error { return s.Pages.RecoveryCodes(w, p) })
}

// RecoveryCodesPage shows a fresh set when the page is opened again: the set shown
// before was never confirmed as stored.
func (s *Service) RecoveryCodesPage(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.flowAt(r, StateRecoveryCodes)
	if !ok {
		return res, err
	}
	return Result{}, s.showRecoveryCodes(w, r, f, "", http.StatusOK)
}

// RecoveryCodesSubmit goes on only once the user ticked that the codes are stored.
func (s *Service) RecoveryCodesSubmit(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.flowAt(r, StateRecoveryCodes)
	if !ok {
		return res, err
	}
	if r.PostForm.Get("stored") != "yes" {
		return Result{}, s.showRecoveryCodes(w, r, f, "Tick the box to confirm you stored your codes. These are new codes: the ones shown before no longer work.", http.StatusBadRequest)
	}
	return s.proceed(r.Context(), w, r, f, nil)
}
