package flows

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// SudoWindow is how long a re-verification lets the user change their account
// security (ACC-2).
const SudoWindow = 5 * time.Minute

// accountNotices are the only messages the account page shows after an action; the
// query names one, so no text comes from the address.
var accountNotices = map[string]string{
	"added":         "Authenticator app added.",
	"replaced":      "New authenticator app linked. Every earlier device was removed.",
	"removed":       "Authenticator app removed.",
	"codes":         "New recovery codes saved. The old ones no longer work.",
	"key-added":     "Security key added.",
	"key-removed":   "Security key removed.",
	"phone-added":   "Phone number saved. Sign-in codes can now be sent to it.",
	"phone-removed": "Phone number removed.",
	"forgotten":     "Every remembered device will be asked for two-step verification again.",
	"trust-removed": "Removed.",
	"signed-out":    "Signed out everywhere else.",
}

// Reverified reports whether proofs hold a re-verification newer than since with
// the factor the user has set up: any second factor, or the password for a user
// without one (a second factor counts then too: it matters right after the last
// device was removed).
func Reverified(proofs []storage.FactorProof, has2FA bool, since time.Time) bool {
	for _, p := range proofs {
		if p.At.Before(since) {
			continue
		}
		if slices.Contains(secondFactorMethods, p.Method) || (!has2FA && p.Method == "pwd") {
			return true
		}
	}
	return false
}

// accountSession returns the browser's session and user when they were verified
// within SudoWindow with the factor currently configured.
func (s *Service) accountSession(ctx context.Context, r *http.Request) (storage.Session, storage.User, bool, error) {
	sess, user, ok, err := s.CurrentSession(ctx, r)
	if err != nil || !ok {
		return sess, user, false, err
	}
	factors, err := s.SecondFactors(ctx, user.ID)
	if err != nil {
		return sess, user, false, err
	}
	return sess, user, Reverified(sess.Factors, len(factors) > 0, s.Now().Add(-SudoWindow)), nil
}

// requireAccount sends a browser that is not freshly verified through a
// re-verification flow (KindAccount) that comes back to the account page.
func (s *Service) requireAccount(w http.ResponseWriter, r *http.Request) (storage.Session, storage.User, bool, error) {
	ctx := r.Context()
	sess, user, ok, err := s.accountSession(ctx, r)
	if err != nil || ok {
		return sess, user, ok, err
	}
	a := Attempt{Kind: KindAccount}
	if current, _, signedIn, err := s.CurrentSession(ctx, r); err != nil {
		return sess, user, false, err
	} else if signedIn {
		a.UserID, a.Session = current.UserID, &current
	}
	ev, err := s.Next(ctx, r, a)
	if err != nil {
		return sess, user, false, err
	}
	f, err := s.StartFlow(ctx, w, r, NewFlow{Kind: KindAccount, UserID: a.UserID, State: ev.Next})
	if err != nil {
		return sess, user, false, err
	}
	http.Redirect(w, r, s.StepURL(f), http.StatusSeeOther)
	return sess, user, false, nil
}

// postedAccount is requireAccount for a form post to the account page: it also
// reads the form.
func (s *Service) postedAccount(w http.ResponseWriter, r *http.Request) (storage.Session, storage.User, bool, error) {
	sess, user, ok, err := s.requireAccount(w, r)
	if ok {
		if err := parseForm(r); err != nil {
			return sess, user, false, err
		}
	}
	return sess, user, ok, err
}

// AccountPage shows the user's two-step verification settings.
func (s *Service) AccountPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	devices, err := s.TOTP.Devices(ctx, user.ID)
	if err != nil {
		return err
	}
	total, unused, err := s.Recovery.Remaining(ctx, user.ID)
	if err != nil {
		return err
	}
	p := templates.AccountPage{
		Page:             s.page("Security"),
		Email:            user.Email,
		Notice:           accountNotices[r.URL.Query().Get("done")],
		RemoveAction:     s.Paths.AccountRemove,
		AddURL:           s.Paths.AccountAdd,
		ReplaceURL:       s.Paths.AccountAdd + "?replace=1",
		RecoveryTotal:    total,
		RecoveryUnused:   unused,
		RegenerateAction: s.Paths.AccountCodes,
		SignOutURL:       s.Paths.Logout,
		PasswordURL:      s.Paths.AccountPassword,
	}
	for _, d := range devices {
		ad := templates.AccountDevice{ID: d.ID, Name: d.Name, Added: d.CreatedAt.Format("2 Jan 2006")}
		if !d.LastUsedAt.IsZero() {
			ad.LastUsed = d.LastUsedAt.Format("2 Jan 2006 15:04 MST")
		}
		p.Devices = append(p.Devices, ad)
	}
	if s.WebAuthn != nil {
		keys, err := s.WebAuthn.Credentials(ctx, user.ID)
		if err != nil {
			return err
		}
		p.RemoveKeyAction, p.AddKeyAction, p.AddKeyOptionsURL = s.Paths.AccountKeyRemove, s.Paths.AccountKeyAdd, s.Paths.AccountKeyOptions
		for _, k := range keys {
			ak := templates.AccountKey{ID: hex.EncodeToString(k.ID), Name: k.Name, Added: k.CreatedAt.Format("2 Jan 2006"),
				Passkey: k.Discoverable && k.UserVerified}
			if !k.LastUsedAt.IsZero() {
				ak.LastUsed = k.LastUsedAt.Format("2 Jan 2006 15:04 MST")
			}
			p.Keys = append(p.Keys, ak)
		}
	}
	if err := s.accountExtras(ctx, r, sess, user, &p); err != nil {
		return err
	}
	p.Mode = accountMode(len(devices) > 0, len(p.Keys) > 0, p.Phone != "")
	return s.render(w, http.StatusOK, func() error { return s.Pages.Account(w, p) })
}

// accountMode names the user's two-step verification mode (ACC-1).
func accountMode(app, key, phone bool) string {
	n := 0
	for _, on := range []bool{app, key, phone} {
		if on {
			n++
		}
	}
	switch {
	case n > 1:
		return templates.ModeMulti
	case app:
		return templates.ModeTOTP
	case key:
		return templates.ModeKeys
	case phone:
		return templates.ModeSMS
	}
	return templates.ModePasswordOnly
}

// AccountRemoveDevice removes one of the user's authenticator apps.
func (s *Service) AccountRemoveDevice(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	err = s.TOTP.Remove(ctx, user.ID, r.PostForm.Get("device"))
	if errors.Is(err, factor.ErrUnknownDevice) {
		return UserError(http.StatusNotFound, "No such device", "That authenticator app is not linked to your account.", err)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, r, "totp.removed", user.ID, "", map[string]string{"device": r.PostForm.Get("device")})
	if left, err := s.TOTP.Devices(ctx, user.ID); err == nil && len(left) == 0 {
		s.notify(r, user.ID, "2fa.off")
	}
	http.Redirect(w, r, s.Paths.Account+"?done=removed", http.StatusSeeOther)
	return nil
}

func (s *Service) accountEnrolPage(e factor.Enrolment, replace bool) templates.TOTPEnrolPage {
	action := s.Paths.AccountAdd
	if replace {
		action += "?replace=1"
	}
	return templates.TOTPEnrolPage{
		Page:       s.page("Add an authenticator app"),
		Action:     action,
		DeviceID:   e.DeviceID,
		DeviceName: e.Name,
		QRCodeURL:  s.Paths.AccountQR + "?" + url.Values{"device": {e.DeviceID}}.Encode(),
		Secret:     e.Secret,
		OTPAuthURI: e.URI,
		Steps:      enrolSteps(0),
	}
}

// AccountAddDevicePage starts linking an authenticator app; with replace=1 the
// new device will replace every earlier one ("revoke devices").
func (s *Service) AccountAddDevicePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	e, err := s.TOTP.Begin(ctx, user.ID, user.Email, factor.DefaultDeviceName)
	if err != nil {
		return err
	}
	p := s.accountEnrolPage(e, r.URL.Query().Get("replace") == "1")
	return s.render(w, http.StatusOK, func() error { return s.Pages.TOTPEnrol(w, p) })
}

// AccountQR serves the QR code of one of the user's pending devices.
func (s *Service) AccountQR(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	return s.writeQR(w, r, user.ID)
}

// AccountAddDevice activates the new device with one correct code.
func (s *Service) AccountAddDevice(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	replace := r.URL.Query().Get("replace") == "1"
	deviceID := r.PostForm.Get("device")
	e, err := s.TOTP.Pending(ctx, user.ID, deviceID)
	if err != nil {
		return UserError(http.StatusBadRequest, "This setup expired", "Start adding your authenticator app again.", err)
	}
	page := s.accountEnrolPage(e, replace)
	status, err := s.confirmDevice(ctx, user.ID, deviceID, r.PostForm.Get("device_name"), r.PostForm.Get("code"), replace, &page)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return s.render(w, status, func() error { return s.Pages.TOTPEnrol(w, page) })
	}
	done := "added"
	if replace {
		done = "replaced"
	}
	s.audit(ctx, r, "totp."+done, user.ID, "", map[string]string{"device": deviceID})
	s.notifyDeviceAdded(ctx, r, user.ID)
	if err := s.afterSecondFactor(ctx, w, r, user.ID, "", false); err != nil {
		return err
	}
	// The code just entered is an app code proven now: the account page that follows
	// (which now asks for the second factor) must not ask for another.
	if _, err := s.upgradeSession(ctx, w, r, user.ID, &sess, []storage.FactorProof{{Method: "otp", At: s.Now().UTC()}}); err != nil {
		return err
	}
	total, _, err := s.Recovery.Remaining(ctx, user.ID)
	if err != nil {
		return err
	}
	if total == 0 {
		return s.showAccountCodes(w, r, user, "", done)
	}
	http.Redirect(w, r, s.Paths.Account+"?done="+done, http.StatusSeeOther)
	return nil
}

// showAccountCodes makes and shows a new set of recovery codes; once they are
// stored the account page says done (an accountNotices key).
func (s *Service) showAccountCodes(w http.ResponseWriter, r *http.Request, user storage.User, msg, done string) error {
	codes, err := s.Recovery.Generate(r.Context(), user.ID)
	if err != nil {
		return err
	}
	s.audit(r.Context(), r, "recovery_codes.generated", user.ID, "", nil)
	p := templates.RecoveryCodesPage{Page: s.page("Save your recovery codes"), Codes: codes, Error: msg,
		Action: s.Paths.AccountCodesDone + "?" + url.Values{"done": {done}}.Encode()}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	return s.render(w, status, func() error { return s.Pages.RecoveryCodes(w, p) })
}

// AccountNewCodes makes a new set of recovery codes (the old set dies) and shows it.
func (s *Service) AccountNewCodes(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	s.notify(r, user.ID, "recovery.new")
	return s.showAccountCodes(w, r, user, "", "codes")
}

// AccountCodesDone goes back to the account page once the codes are stored.
func (s *Service) AccountCodesDone(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	done := r.URL.Query().Get("done")
	if _, ok := accountNotices[done]; !ok {
		done = "codes"
	}
	if r.PostForm.Get("stored") != "yes" {
		return s.showAccountCodes(w, r, user, "Tick the box to confirm you stored your codes. These are new codes: the ones shown before no longer work.", done)
	}
	http.Redirect(w, r, s.Paths.Account+"?done="+done, http.StatusSeeOther)
	return nil
}
