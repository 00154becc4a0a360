package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// keyDevice is the device cookie's one value: a random token naming this browser.
// The cookie lives long (remembered devices outlive sessions) and means nothing by
// itself: only a server-side storage.Trust, found by a hash of kind, user and
// token, makes a browser remembered or known, so revoking the record ends it.
const keyDevice = "dev"

// trustedAddressLifetime is how long an address stays trusted after the last
// second factor entered from it (MFA-8); knownLifetime the same for a browser or
// address confirmed by email (MFA-9).
const (
	trustedAddressLifetime = 90 * 24 * time.Hour
	knownLifetime          = 180 * 24 * time.Hour
)

// TrustID names the trust of a kind for a user and a device token or address.
func TrustID(kind storage.TrustKind, userID, value string) string {
	return HashToken(string(kind) + "\x00" + userID + "\x00" + value)
}

// DeviceToken is this browser's device token, or "".
func (s *Core) DeviceToken(r *http.Request) string {
	if s.DeviceCookies == nil {
		return ""
	}
	return s.DeviceCookies.value(r, keyDevice)
}

// ensureDeviceToken returns this browser's device token, making one when it has none.
func (s *Core) ensureDeviceToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if tok := s.DeviceToken(r); tok != "" {
		return tok, nil
	}
	tok := newToken()
	if err := s.DeviceCookies.set(w, r, keyDevice, tok); err != nil {
		return "", fmt.Errorf("write device cookie: %w", err)
	}
	return tok, nil
}

// liveTrust reports whether the trust exists and has not expired.
func (s *Core) liveTrust(ctx context.Context, id string) (bool, error) {
	t, err := s.Store.GetTrust(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load trust: %w", err)
	}
	return s.Now().Before(t.ExpiresAt), nil
}

// trustedReason says why this browser may skip the user's own second factor: a
// remembered device (MFA-7) or a trusted address (MFA-8); "" when it may not.
func (s *Core) trustedReason(ctx context.Context, r *http.Request, userID string) (string, error) {
	if tok := s.DeviceToken(r); tok != "" && s.RememberDays > 0 {
		ok, err := s.liveTrust(ctx, TrustID(storage.TrustRememberedDevice, userID, tok))
		if err != nil {
			return "", err
		}
		if ok {
			return "a remembered device", nil
		}
	}
	if s.TrustedIPs {
		ok, err := s.liveTrust(ctx, TrustID(storage.TrustAddress, userID, s.ClientIP(r)))
		if err != nil {
			return "", err
		}
		if ok {
			return "a trusted address", nil
		}
	}
	return "", nil
}

// AfterSecondFactor records what a second factor entered from this browser earns:
// a trusted address when that is on, and a remembered device when the user asked.
func (s *Core) AfterSecondFactor(ctx context.Context, w http.ResponseWriter, r *http.Request, userID, clientID string, remember bool) error {
	now := s.Now().UTC()
	if s.TrustedIPs {
		ip := s.ClientIP(r)
		err := s.Store.PutTrust(ctx, storage.Trust{
			ID: TrustID(storage.TrustAddress, userID, ip), UserID: userID, Kind: storage.TrustAddress,
			Label: ip, IP: ip, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(trustedAddressLifetime),
		})
		if err != nil {
			return fmt.Errorf("trust address: %w", err)
		}
	}
	if !remember || s.RememberDays <= 0 {
		return nil
	}
	tok, err := s.ensureDeviceToken(w, r)
	if err != nil {
		return err
	}
	err = s.Store.PutTrust(ctx, storage.Trust{
		ID: TrustID(storage.TrustRememberedDevice, userID, tok), UserID: userID, Kind: storage.TrustRememberedDevice,
		Label: BrowserLabel(r.UserAgent()), IP: s.ClientIP(r), CreatedAt: now, LastUsedAt: now,
		ExpiresAt: now.Add(time.Duration(s.RememberDays) * 24 * time.Hour),
	})
	if err != nil {
		return fmt.Errorf("remember device: %w", err)
	}
	s.Audit(ctx, r, "device.remembered", userID, clientID, map[string]string{"days": fmt.Sprint(s.RememberDays)})
	return nil
}

// knownBrowser reports whether a user without a second factor signed in from this
// browser or this address before and confirmed it (MFA-9).
func (s *Core) knownBrowser(ctx context.Context, r *http.Request, userID string) (bool, error) {
	if tok := s.DeviceToken(r); tok != "" {
		if ok, err := s.liveTrust(ctx, TrustID(storage.TrustKnownDevice, userID, tok)); err != nil || ok {
			return ok, err
		}
	}
	return s.liveTrust(ctx, TrustID(storage.TrustKnownAddress, userID, s.ClientIP(r)))
}

// RememberKnownBrowser records this browser and address as confirmed for the user.
func (s *Core) RememberKnownBrowser(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string) error {
	tok, err := s.ensureDeviceToken(w, r)
	if err != nil {
		return err
	}
	now, ip := s.Now().UTC(), s.ClientIP(r)
	for _, t := range []storage.Trust{
		{ID: TrustID(storage.TrustKnownDevice, userID, tok), Kind: storage.TrustKnownDevice, Label: BrowserLabel(r.UserAgent())},
		{ID: TrustID(storage.TrustKnownAddress, userID, ip), Kind: storage.TrustKnownAddress, Label: ip},
	} {
		t.UserID, t.IP, t.CreatedAt, t.LastUsedAt, t.ExpiresAt = userID, ip, now, now, now.Add(knownLifetime)
		if err := s.Store.PutTrust(ctx, t); err != nil {
			return fmt.Errorf("remember known browser: %w", err)
		}
	}
	return nil
}

// BrowserLabel names a browser from its User-Agent, coarsely, in English (for
// labels stored and logged): "Firefox on Windows". It is a label the user
// reads, never a security check.
func BrowserLabel(ua string) string {
	browser, system := BrowserParts(ua)
	if browser == "" {
		browser = "A browser"
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}

// BrowserName is BrowserLabel in the request's language, for pages and emails.
func (s *Core) BrowserName(ctx context.Context, ua string) string {
	browser, system := BrowserParts(ua)
	if browser == "" {
		browser = s.T(ctx, "area.a_browser")
	}
	if system == "" {
		return browser
	}
	return s.T(ctx, "area.browser_on", "Browser", browser, "System", system)
}

// BrowserParts are the browser's and the system's names in a User-Agent (""
// for what it does not name).
func BrowserParts(ua string) (browser, system string) {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Chromium/", "Chromium"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	return browser, system
}

// needsDeviceConfirmation reports whether a finished sign-in must first confirm
// this browser by email: only for users without a second factor (ev says).
func (s *Core) needsDeviceConfirmation(ctx context.Context, r *http.Request, f Flow, ev Evaluation) (bool, error) {
	if !s.ConfirmNewDevices || s.EmailCodes == nil || (f.KindOf() == KindAccount) || !HasMethod(f.Proven, "pwd") || len(ev.SecondFactors) > 0 {
		return false, nil
	}
	known, err := s.knownBrowser(ctx, r, f.UserID)
	return !known, err
}
