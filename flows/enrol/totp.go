package enrol

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/templates"
)

// qrPixels is twice the size the page shows the QR code at, so it stays sharp on
// high-density screens and scales by a whole number everywhere.
const qrPixels = 384

// TOTPSteps is an app set-up's progress, at step current (0: scan).
func TOTPSteps(current int) []templates.Step {
	return progress(current, "wizard.step_scan", "wizard.step_verify", "wizard.step_codes", "wizard.step_done")
}

// progress marks the steps before current done and current as current.
func progress(current int, labels ...string) []templates.Step {
	steps := make([]templates.Step, len(labels))
	for i, l := range labels {
		steps[i] = templates.Step{Label: l, Done: i < current, Current: i == current}
	}
	return steps
}

// WriteQR serves the QR code of the user's pending device named in the query.
func (s *Handlers) WriteQR(w http.ResponseWriter, r *http.Request, userID string) error {
	e, err := s.TOTP.Pending(r.Context(), userID, r.URL.Query().Get("device"))
	if err != nil {
		return flows.UserError(http.StatusNotFound, "msg.not_found_heading", "msg.no_qr", err)
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

// DefaultDeviceName names an authenticator app the user gave no name, in the
// request's language ("Authenticator-app"): the name the set-up pages prefill
// and the one a blank name stands for.
func (s *Handlers) DefaultDeviceName(ctx context.Context) string {
	return s.T(ctx, "totp.default_name")
}

// ConfirmTOTP names a pending device and activates it with one correct code,
// counting the attempt like a sign-in code. When it fails, refusal is the message
// for the user and status the one to render it with; err is a server fault.
func (s *Handlers) ConfirmTOTP(ctx context.Context, userID, deviceID, name, code string, revokeOthers bool) (refusal string, status int, err error) {
	key := "2fa:user:" + userID
	n, err := s.Store.HitThrottle(ctx, key, s.Limits.Window, s.Now())
	if err != nil {
		return "", 0, fmt.Errorf("count enrolment attempt: %w", err)
	}
	if n > s.Limits.SecondFactorFailures {
		return flows.MsgCodeThrottled, http.StatusTooManyRequests, nil
	}
	if strings.TrimSpace(name) == "" {
		name = s.DefaultDeviceName(ctx)
	}
	if err := s.TOTP.Rename(ctx, userID, deviceID, name); err != nil {
		if errors.Is(err, factor.ErrInvalidName) {
			return s.T(ctx, "msg.device_name_too_long", "Max", factor.MaxDeviceNameLen), http.StatusBadRequest, nil
		}
		return "", 0, err
	}
	if err := s.TOTP.Confirm(ctx, userID, deviceID, code, revokeOthers); err != nil {
		if refusal = flows.CodeMessage(flows.MethodTOTP, err); refusal == "" {
			return "", 0, err
		}
		return refusal, http.StatusUnauthorized, nil
	}
	return "", http.StatusOK, s.Store.ResetThrottle(ctx, key)
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
