package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/storage"
)

// RemoveSecondFactors takes away every second factor of the user and what stood
// in for one: authenticator apps, security keys and passkeys, the phone, recovery
// codes, remembered devices and trusted addresses. Both the 2FA reset (MFA-10)
// and turning two-step verification off (ACC-4) do this; what happens to the
// sessions, which hold proofs of the removed factors, is theirs to say.
func (s *Core) RemoveSecondFactors(ctx context.Context, userID string) error {
	if _, err := s.Store.DeleteTOTPDevicesByUser(ctx, userID); err != nil {
		return fmt.Errorf("remove apps: %w", err)
	}
	if _, err := s.Store.DeleteWebAuthnCredentialsByUser(ctx, userID); err != nil {
		return fmt.Errorf("remove keys: %w", err)
	}
	if err := s.Store.DeletePhoneNumber(ctx, userID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("remove phone: %w", err)
	}
	if err := s.Store.DeleteRecoveryCodes(ctx, userID); err != nil {
		return fmt.Errorf("remove recovery codes: %w", err)
	}
	if _, err := s.Store.DeleteTrustsByUser(ctx, userID, storage.TrustRememberedDevice, storage.TrustAddress); err != nil {
		return fmt.Errorf("forget devices and addresses: %w", err)
	}
	return nil
}

// EndSessions ends every session of the user except keep ("" for none).
func (s *Core) EndSessions(ctx context.Context, userID, keep string) error {
	sessions, err := s.Store.ListSessionsByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, sess := range sessions {
		if sess.ID == keep {
			continue
		}
		if err := s.Store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("end session: %w", err)
		}
	}
	return nil
}

// EndPasswordAccess ends what the user's old password opened once a new one is
// set: every session and this browser's cookie, every refresh and access token,
// and every remembered device and trusted address, so nothing that skipped a
// second factor survives the change.
func (s *Core) EndPasswordAccess(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string) error {
	if _, err := s.Store.DeleteSessionsByUser(ctx, userID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	for _, kind := range []storage.TokenKind{storage.TokenRefresh, storage.TokenAccess} {
		if err := s.Store.DeactivateTokensBySubject(ctx, kind, userID); err != nil {
			return fmt.Errorf("revoke tokens: %w", err)
		}
	}
	if _, err := s.Store.DeleteTrustsByUser(ctx, userID, storage.TrustRememberedDevice, storage.TrustAddress); err != nil {
		return fmt.Errorf("forget devices: %w", err)
	}
	if err := s.ForgetSession(w, r); err != nil {
		return fmt.Errorf("clear session cookie: %w", err)
	}
	return nil
}
