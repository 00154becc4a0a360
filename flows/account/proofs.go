package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

// The proofs (amr values) each kind of second factor makes. A proof records the
// kind, not the device, so removing one app drops every app-code proof (a
// recovery code's too): the safe side.
var (
	appProofs   = []string{factor.AMRTOTP}
	keyProofs   = []string{"hwk", "swk", "user"}
	phoneProofs = []string{factor.AMRSMS}
	// secondFactorProofs: all of them, when two-step verification is turned off.
	secondFactorProofs = slices.Concat(appProofs, keyProofs, phoneProofs)
)

// forgetProofs takes the proofs of a removed factor (methods) out of every
// session of the user, this browser's too: no session may keep counting a factor
// that no longer exists. The sessions stay signed in with what is left (the
// password), so the next request that needs a second factor asks for one of
// those the user still has; a session left without a proof of who the user is
// (a passkey sign-in whose key was removed) ends.
func (s *Handlers) forgetProofs(ctx context.Context, userID string, methods []string) error {
	sessions, err := s.Store.ListSessionsByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	for _, sess := range sessions {
		kept := slices.DeleteFunc(slices.Clone(sess.Factors), func(p storage.FactorProof) bool { return slices.Contains(methods, p.Method) })
		if len(kept) == len(sess.Factors) {
			continue
		}
		if at := flows.AuthTime(kept); at.IsZero() {
			err = s.Store.DeleteSession(ctx, sess.ID)
		} else {
			err = s.Store.SetSessionFactors(ctx, sess.ID, kept, at)
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) { // ended meanwhile: nothing to forget
			return fmt.Errorf("forget proofs of a removed factor: %w", err)
		}
	}
	return nil
}

// notifyRemoved tells the user a factor was removed (notice), or that two-step
// verification is off when it was their last one.
func (s *Handlers) notifyRemoved(ctx context.Context, r *http.Request, userID, notice string) {
	if left, err := s.SecondFactors(ctx, userID); err == nil && len(left) == 0 {
		notice = "2fa.off"
	}
	s.Notify(r, userID, notice)
}
