package account

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/enrol"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

func (s *Handlers) accountPhone(userID string) enrol.PhoneSetup {
	return enrol.PhoneSetup{UserID: userID, Key: "sms:phone:" + userID,
		Form: s.Path(PathAccountPhone), Resend: s.Path(PathAccountPhoneResend), Cancel: flows.PathAccount}
}

// AccountPhonePage shows the account page's phone-number form.
func (s *Handlers) AccountPhonePage(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return flows.ErrNoSMS
	}
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	return s.Enrol.ShowPhone(w, r, s.accountPhone(user.ID))
}

// AccountPhoneSubmit takes the account page's number or code.
func (s *Handlers) AccountPhoneSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return flows.ErrNoSMS
	}
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	phone, ok, err := s.Enrol.SubmitPhone(w, r, s.accountPhone(user.ID))
	if !ok {
		return err
	}
	// The code just entered proves the phone now, so the account page that follows
	// does not ask for a second factor again.
	if _, err := s.UpgradeSession(ctx, w, r, user.ID, &sess, []storage.FactorProof{{Method: factor.AMRSMS, At: phone.VerifiedAt}}); err != nil {
		return err
	}
	total, _, err := s.Recovery.Remaining(ctx, user.ID)
	if err != nil {
		return err
	}
	if total == 0 {
		return s.showAccountCodes(w, r, user, "", "phone-added")
	}
	s.redirectDone(w, r, "phone-added")
	return nil
}

// AccountPhoneResend texts a new code to the number being set up on the account page.
func (s *Handlers) AccountPhoneResend(w http.ResponseWriter, r *http.Request) error {
	if s.SMS == nil {
		return flows.ErrNoSMS
	}
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	return s.Enrol.ResendPhone(w, r, s.accountPhone(user.ID))
}

// AccountPhoneRemove removes the user's phone number.
func (s *Handlers) AccountPhoneRemove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	err = s.Store.DeletePhoneNumber(ctx, user.ID)
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, s.Path(PathAccountSMS), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove phone number: %w", err)
	}
	s.Audit(ctx, r, "phone.removed", user.ID, "", nil)
	if err := s.forgetProofs(ctx, user.ID, phoneProofs); err != nil {
		return err
	}
	s.notifyRemoved(ctx, r, user.ID, "phone.removed")
	s.redirectDone(w, r, "phone-removed")
	return nil
}
