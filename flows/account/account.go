package account

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/enrol"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/profile"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// accountNotices are the only messages the account page shows after an action; the
// query names one, so no text comes from the address.
var accountNotices = map[string]string{
	"added":         "done.added",
	"replaced":      "done.replaced",
	"removed":       "done.removed",
	"codes":         "done.codes",
	"key-added":     "done.key_added",
	"key-removed":   "done.key_removed",
	"phone-added":   "done.phone_added",
	"phone-removed": "done.phone_removed",
	"forgotten":     "done.forgotten",
	"trust-removed": "done.trust_removed",
	"signed-out":    "done.signed_out",
	"session-ended": "done.session_ended",
	"turned-off":    "done.turned_off",
}

// requireAccount sends a browser that is not freshly verified through a
// re-verification that comes back to the account page the request was for.
func (s *Handlers) requireAccount(w http.ResponseWriter, r *http.Request) (storage.Session, storage.User, bool, error) {
	return s.RequireReverified(w, r, returnTo(r))
}

// postedAccount is requireAccount for a form post to the account page: it also
// reads the form.
func (s *Handlers) postedAccount(w http.ResponseWriter, r *http.Request) (storage.Session, storage.User, bool, error) {
	sess, user, ok, err := s.requireAccount(w, r)
	if ok {
		if err := flows.ParseForm(r); err != nil {
			return sess, user, false, err
		}
	}
	return sess, user, ok, err
}

// showAccount shows the account's overview (area "") or one of its areas.
func (s *Handlers) showAccount(w http.ResponseWriter, r *http.Request, area string) error {
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
		Page:             s.Page(ctx, "account.title"),
		Area:             area,
		OverviewURL:      s.Path(flows.PathAccount),
		Email:            user.Email,
		Notice:           accountNotices[r.URL.Query().Get("done")],
		RemoveAction:     s.Path(PathAccountRemove),
		AddURL:           s.Path(PathAccountAdd),
		ReplaceURL:       s.Path(PathAccountAdd) + "?replace=1",
		RecoveryTotal:    total,
		RecoveryUnused:   unused,
		RegenerateAction: s.Path(PathAccountCodes),
		SignOutURL:       s.LogoutPath,
		PasswordURL:      s.Path(PathAccountPassword),
		ProfileURL:       s.Path(profile.PathProfile),
	}
	for _, d := range devices {
		ad := templates.AccountDevice{ID: d.ID, Name: d.Name, Added: s.Date(ctx, d.CreatedAt)}
		if !d.LastUsedAt.IsZero() {
			ad.LastUsed = s.DateTime(ctx, d.LastUsedAt)
		}
		p.Devices = append(p.Devices, ad)
	}
	if s.WebAuthn != nil {
		keys, err := s.WebAuthn.Credentials(ctx, user.ID)
		if err != nil {
			return err
		}
		p.RemoveKeyAction, p.AddKeyAction, p.AddKeyOptionsURL = s.Path(PathAccountKeyRemove), s.Path(PathAccountKeyAdd), s.Path(PathAccountKeyOptions)
		for _, k := range keys {
			ak := templates.AccountKey{ID: hex.EncodeToString(k.ID), Name: k.Name, Added: s.Date(ctx, k.CreatedAt),
				Passkey: k.Discoverable && k.UserVerified}
			if !k.LastUsedAt.IsZero() {
				ak.LastUsed = s.DateTime(ctx, k.LastUsedAt)
			}
			p.Keys = append(p.Keys, ak)
		}
	}
	if err := s.accountExtras(ctx, r, sess, user, &p); err != nil {
		return err
	}
	p.Mode = accountMode(len(devices) > 0, len(p.Keys) > 0, p.Phone != "")
	if p.Mode == templates.ModePasswordOnly {
		p.SetupURL = s.Path(enrol.PathSetup)
		if err := s.protectBanner(ctx, user, &p); err != nil {
			return err
		}
	} else {
		p.TurnOffURL = s.Path(PathAccountTurnOff)
	}
	for _, a := range areas {
		if a.key == area {
			p.Page.Title = a.title
		}
	}
	if area == "" {
		s.overviewAreas(ctx, &p)
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Account(w, p) })
}

// protectBanner asks a user without a second factor to set one up, with the
// organisation's deadline when there is one.
func (s *Handlers) protectBanner(ctx context.Context, user storage.User, p *templates.AccountPage) error {
	p.Protect, p.ProtectURL = true, s.Path(enrol.PathSetup)
	if s.CompanyRules == nil {
		return nil
	}
	rule, err := s.CompanyRules.RuleFor(ctx, user)
	if err != nil {
		return fmt.Errorf("organisation's rule: %w", err)
	}
	if rule.Covered && !rule.Deadline.IsZero() {
		p.ProtectDeadline = s.Date(ctx, rule.Deadline.UTC())
		p.ProtectRequired = !s.Now().Before(rule.Deadline)
	}
	return nil
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
func (s *Handlers) AccountRemoveDevice(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	err = s.TOTP.Remove(ctx, user.ID, r.PostForm.Get("device"))
	if errors.Is(err, factor.ErrUnknownDevice) {
		return flows.UserError(http.StatusNotFound, "msg.no_device_heading", "msg.no_device", err)
	}
	if err != nil {
		return err
	}
	s.Audit(ctx, r, "totp.removed", user.ID, "", map[string]string{"device": r.PostForm.Get("device")})
	if err := s.forgetProofs(ctx, user.ID, appProofs); err != nil {
		return err
	}
	s.notifyRemoved(ctx, r, user.ID, "device.removed")
	s.redirectDone(w, r, "removed")
	return nil
}

func (s *Handlers) accountEnrolPage(ctx context.Context, e factor.Enrolment, userID string, replace bool) (templates.TOTPEnrolPage, error) {
	action := s.Path(PathAccountAdd)
	if replace {
		action += "?replace=1"
	}
	p := templates.TOTPEnrolPage{
		Page:       s.Page(ctx, "totp.add_title"),
		Action:     action,
		DeviceID:   e.DeviceID,
		DeviceName: e.Name,
		QRCodeURL:  s.Path(PathAccountQR) + "?" + url.Values{"device": {e.DeviceID}}.Encode(),
		Secret:     e.Secret,
		OTPAuthURI: e.URI,
		Steps:      enrol.TOTPSteps(0),
		CancelURL:  s.Path(flows.PathAccount),
	}
	if replace {
		// Say what the replace removes before the user confirms it with a code.
		devices, err := s.TOTP.Devices(ctx, userID)
		if err != nil {
			return p, err
		}
		p.Replace, p.Page.Title = true, "totp.replace_title"
		for _, d := range devices {
			if d.ID != e.DeviceID {
				p.Replaced = append(p.Replaced, d.Name)
			}
		}
	}
	return p, nil
}

// AccountAddDevicePage starts linking an authenticator app; with replace=1 the
// new device will replace every earlier one ("revoke devices").
func (s *Handlers) AccountAddDevicePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	e, err := s.TOTP.Begin(ctx, user.ID, user.Email, s.Enrol.DefaultDeviceName(ctx))
	if err != nil {
		return err
	}
	p, err := s.accountEnrolPage(ctx, e, user.ID, r.URL.Query().Get("replace") == "1")
	if err != nil {
		return err
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.TOTPEnrol(w, p) })
}

// AccountQR serves the QR code of one of the user's pending devices.
func (s *Handlers) AccountQR(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	return s.Enrol.WriteQR(w, r, user.ID)
}

// AccountAddDevice activates the new device with one correct code.
func (s *Handlers) AccountAddDevice(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	replace := r.URL.Query().Get("replace") == "1"
	deviceID := r.PostForm.Get("device")
	e, err := s.TOTP.Pending(ctx, user.ID, deviceID)
	if err != nil {
		return flows.UserError(http.StatusBadRequest, "msg.setup_expired_heading", "msg.setup_expired_add", err)
	}
	page, err := s.accountEnrolPage(ctx, e, user.ID, replace)
	if err != nil {
		return err
	}
	name := r.PostForm.Get("device_name")
	if name != "" {
		page.DeviceName = name // a refused form comes back with what was typed
	}
	refusal, status, err := s.Enrol.ConfirmTOTP(ctx, user.ID, deviceID, name, r.PostForm.Get("code"), replace)
	if err != nil {
		return err
	}
	if refusal != "" {
		page.Error = refusal
		return s.Render(w, status, func() error { return s.Pages.TOTPEnrol(w, page) })
	}
	done := "added"
	if replace {
		done = "replaced"
	}
	s.Audit(ctx, r, "totp."+done, user.ID, "", map[string]string{"device": deviceID})
	if replace {
		// Every earlier app is gone: no session may count its codes any more.
		if err := s.forgetProofs(ctx, user.ID, appProofs); err != nil {
			return err
		}
		s.Notify(r, user.ID, "devices.replaced")
	} else {
		s.Enrol.NotifyDeviceAdded(ctx, r, user.ID)
	}
	if err := s.AfterSecondFactor(ctx, w, r, user.ID, "", false); err != nil {
		return err
	}
	// The code just entered is an app code proven now (by the new app, after a
	// replace): the account page that follows (which now asks for the second
	// factor) must not ask for another.
	if _, err := s.UpgradeSession(ctx, w, r, user.ID, &sess, []storage.FactorProof{{Method: "otp", At: s.Now().UTC()}}); err != nil {
		return err
	}
	total, _, err := s.Recovery.Remaining(ctx, user.ID)
	if err != nil {
		return err
	}
	if total == 0 {
		return s.showAccountCodes(w, r, user, "", done)
	}
	s.redirectDone(w, r, done)
	return nil
}

// showAccountCodes makes and shows a new set of recovery codes; once they are
// stored the account page says done (an accountNotices key).
func (s *Handlers) showAccountCodes(w http.ResponseWriter, r *http.Request, user storage.User, msg, done string) error {
	codes, err := s.Recovery.Generate(r.Context(), user.ID)
	if err != nil {
		return err
	}
	s.Audit(r.Context(), r, "recovery_codes.generated", user.ID, "", nil)
	p := templates.RecoveryCodesPage{Page: s.Page(r.Context(), "codes.heading"), Codes: codes, Error: msg,
		Action: s.Path(PathAccountCodesDone) + "?" + url.Values{"done": {done}}.Encode()}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	return s.Render(w, status, func() error { return s.Pages.RecoveryCodes(w, p) })
}

// AccountNewCodesPage asks before making new recovery codes: the page a
// re-verification started by "Generate new recovery codes" comes back to, since
// the form's POST cannot be repeated by a redirect.
func (s *Handlers) AccountNewCodesPage(w http.ResponseWriter, r *http.Request) error {
	_, _, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	p := templates.MessagePage{
		Page: s.Page(r.Context(), "codes.new_title"), Heading: "codes.new_heading", Kind: templates.MessageInfo,
		Message:    "codes.new_message",
		PostAction: s.Path(PathAccountCodes), LinkLabel: "codes.generate", CancelURL: s.Path(flows.PathAccount),
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, p) })
}

// AccountNewCodes makes a new set of recovery codes (the old set dies) and shows it.
func (s *Handlers) AccountNewCodes(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	s.Notify(r, user.ID, "recovery.new")
	return s.showAccountCodes(w, r, user, "", "codes")
}

// AccountCodesDone goes back to the account page once the codes are stored.
func (s *Handlers) AccountCodesDone(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	done := r.URL.Query().Get("done")
	if _, ok := accountNotices[done]; !ok {
		done = "codes"
	}
	if r.PostForm.Get("stored") != "yes" {
		return s.showAccountCodes(w, r, user, "codes.tick_new", done)
	}
	s.redirectDone(w, r, done)
	return nil
}
