package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// methodWords names amr values for people (catalogue keys).
var methodWords = map[string]string{
	"pwd": "area.method_pwd", "otp": "area.method_otp", "sms": "area.method_sms", "hwk": "area.method_hwk",
	"swk": "area.method_swk", "user": "",
}

// accountExtras fills the account page's phone, remembered devices, trusted
// addresses and sessions (ACC-1).
func (s *Handlers) accountExtras(ctx context.Context, r *http.Request, sess storage.Session, user storage.User, p *templates.AccountPage) error {
	if s.SMS != nil {
		p.AddPhoneURL = s.Path(PathAccountPhone) + "?change=1"
		phone, err := s.Store.GetPhoneNumber(ctx, user.ID)
		switch {
		case err == nil:
			p.Phone, p.PhonePrimary = sms.Mask(phone.E164), phone.Primary
			p.ChangePhoneURL, p.RemovePhoneAction = s.Path(PathAccountPhone)+"?change=1", s.Path(PathAccountPhoneRemove)
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("load phone number: %w", err)
		}
	}
	trusts, err := s.Store.ListTrusts(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("list trusts: %w", err)
	}
	current := ""
	if tok := s.DeviceToken(r); tok != "" {
		current = flows.TrustID(storage.TrustRememberedDevice, user.ID, tok)
	}
	now := s.Now()
	for _, t := range trusts {
		if !now.Before(t.ExpiresAt) {
			continue
		}
		at := templates.AccountTrust{ID: t.ID, Label: t.Label, IP: t.IP, Added: s.Date(ctx, t.CreatedAt),
			LastUsed: s.DateTime(ctx, t.LastUsedAt), Expires: s.Date(ctx, t.ExpiresAt), Current: t.ID == current}
		switch t.Kind {
		case storage.TrustRememberedDevice:
			p.RememberedDevices = append(p.RememberedDevices, at)
		case storage.TrustAddress:
			at.Label, at.Current = "", t.IP == s.ClientIP(r) // the address is shown as such
			p.TrustedAddresses = append(p.TrustedAddresses, at)
		}
	}
	p.RemoveTrustAction = s.Path(PathAccountTrustRemove)
	if s.RememberDays > 0 || len(p.RememberedDevices) > 0 {
		p.ForgetDevicesAction = s.Path(PathAccountForgetDevices)
	}
	p.ShowTrustedAddresses = s.TrustedIPs || len(p.TrustedAddresses) > 0

	sessions, err := s.Store.ListSessionsByUser(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, other := range sessions {
		if !now.Before(other.ExpiresAt) {
			continue
		}
		var words []string
		for _, m := range flows.AMR(other.Factors) {
			if w := methodWords[m]; w != "" {
				words = append(words, s.T(ctx, w))
			}
		}
		as := templates.AccountSession{
			Handle:  sessionHandle(other),
			Started: s.DateTime(ctx, other.CreatedAt),
			Methods: strings.Join(words, " "+s.T(ctx, "area.and")+" "),
			Current: other.ID == sess.ID,
			IP:      other.IP,
		}
		if other.UserAgent != "" {
			as.Browser = s.BrowserName(ctx, other.UserAgent)
		}
		if !other.LastSeenAt.IsZero() {
			as.LastUsed = s.DateTime(ctx, other.LastSeenAt)
		}
		p.Sessions = append(p.Sessions, as)
	}
	if len(p.Sessions) > 1 {
		p.SignOutOthersAction, p.EndSessionAction = s.Path(PathAccountSignOutOthers), s.Path(PathAccountEndSession)
	}
	return nil
}

// sessionHandle names a session on the account page: a prefix of its id (itself
// a hash of the cookie's token), enough to tell the user's sessions apart and
// useless for anything else.
func sessionHandle(x storage.Session) string {
	const n = 16
	if len(x.ID) < n {
		return x.ID
	}
	return x.ID[:n]
}

// AccountEndSession ends one of the user's other sessions (this browser's ends
// by signing out).
func (s *Handlers) AccountEndSession(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	handle := r.PostForm.Get("session")
	sessions, err := s.Store.ListSessionsByUser(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, other := range sessions {
		if handle == "" || other.ID == sess.ID || sessionHandle(other) != handle {
			continue
		}
		if err := s.Store.DeleteSession(ctx, other.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("end session: %w", err)
		}
		s.Audit(ctx, r, "session.ended", user.ID, "", map[string]string{"browser": flows.BrowserLabel(other.UserAgent), "ip": other.IP})
		s.redirectDone(w, r, "session-ended")
		return nil
	}
	return flows.UserError(http.StatusNotFound, "msg.not_found_heading", "msg.no_session", nil)
}

// AccountTrustRemove forgets one remembered device or trusted address of the user.
func (s *Handlers) AccountTrustRemove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	t, err := s.Store.GetTrust(ctx, r.PostForm.Get("id"))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && t.UserID != user.ID) {
		return flows.UserError(http.StatusNotFound, "msg.not_found_heading", "msg.no_trust", err)
	}
	if err != nil {
		return fmt.Errorf("load trust: %w", err)
	}
	if err := s.Store.DeleteTrust(ctx, t.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("delete trust: %w", err)
	}
	s.Audit(ctx, r, "trust.removed", user.ID, "", map[string]string{"kind": string(t.Kind)})
	s.redirectDone(w, r, "trust-removed")
	return nil
}

// AccountForgetDevices forgets every remembered device and trusted address of the
// user ("revoke devices"): every sign-in asks for the second factor again.
func (s *Handlers) AccountForgetDevices(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	n, err := s.Store.DeleteTrustsByUser(ctx, user.ID, storage.TrustRememberedDevice, storage.TrustAddress)
	if err != nil {
		return fmt.Errorf("forget devices: %w", err)
	}
	s.Audit(ctx, r, "devices.forgotten", user.ID, "", map[string]string{"count": fmt.Sprint(n)})
	s.Notify(r, user.ID, "devices.forgotten")
	s.redirectDone(w, r, "forgotten")
	return nil
}

// AccountSignOutOthers ends every session of the user but this browser's.
func (s *Handlers) AccountSignOutOthers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	if err := s.EndSessions(ctx, user.ID, sess.ID); err != nil {
		return err
	}
	s.Audit(ctx, r, "sessions.ended", user.ID, "", nil)
	s.redirectDone(w, r, "signed-out")
	return nil
}
