package account

import (
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

// accountCeremony binds a registration challenge to one SSO session.
func accountCeremony(sess storage.Session) string { return "account:" + sess.ID }

// AccountKeyOptions starts registering a security key for the signed-in user.
func (s *Handlers) AccountKeyOptions(w http.ResponseWriter, r *http.Request) error {
	if s.WebAuthn == nil {
		return flows.ErrNoWebAuthn
	}
	sess, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	if err := flows.ParseScriptForm(r); err != nil {
		return err
	}
	// "passkey" asks for a discoverable credential that verifies the user.
	options, err := s.WebAuthn.BeginRegistration(r.Context(), flows.WebAuthnUser(user), accountCeremony(sess), r.PostFormValue("passkey") == "1")
	if err != nil {
		return err
	}
	return flows.WriteOptions(w, options)
}

// AccountAddKey finishes registering a security key.
func (s *Handlers) AccountAddKey(w http.ResponseWriter, r *http.Request) error {
	if s.WebAuthn == nil {
		return flows.ErrNoWebAuthn
	}
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	c, err := s.WebAuthn.FinishRegistration(ctx, flows.WebAuthnUser(user), accountCeremony(sess), r.PostForm.Get("name"), []byte(r.PostForm.Get("response")))
	if errors.Is(err, factor.ErrInvalidName) {
		return flows.UserError(http.StatusBadRequest, "msg.name_too_long_heading", s.T(ctx, "msg.key_name_too_long", "Max", factor.MaxDeviceNameLen), err)
	}
	if msg := flows.WebAuthnMessage(err); msg != "" || errors.Is(err, factor.ErrCredentialExists) {
		return flows.UserError(http.StatusBadRequest, "msg.key_not_added_heading", "msg.key_not_added", err)
	}
	if err != nil {
		return err
	}
	s.Audit(ctx, r, "webauthn.added", user.ID, "", map[string]string{"credential": hex.EncodeToString(c.ID)})
	s.Notify(r, user.ID, "key.added")
	if err := s.AfterSecondFactor(ctx, w, r, user.ID, "", false); err != nil {
		return err
	}
	// A user's first second factor comes with recovery codes, whichever it is.
	if total, _, err := s.Recovery.Remaining(ctx, user.ID); err != nil {
		return err
	} else if total == 0 {
		return s.showAccountCodes(w, r, user, "", "key-added")
	}
	s.redirectDone(w, r, "key-added")
	return nil
}

// AccountRemoveKey removes one of the user's security keys.
func (s *Handlers) AccountRemoveKey(w http.ResponseWriter, r *http.Request) error {
	if s.WebAuthn == nil {
		return flows.ErrNoWebAuthn
	}
	ctx := r.Context()
	_, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	id, err := hex.DecodeString(r.PostForm.Get("key"))
	if err == nil {
		err = s.WebAuthn.Remove(ctx, user.ID, id)
	}
	if err != nil {
		return flows.UserError(http.StatusNotFound, "msg.no_key_heading", "msg.no_key", err)
	}
	s.Audit(ctx, r, "webauthn.removed", user.ID, "", map[string]string{"credential": hex.EncodeToString(id)})
	if err := s.forgetProofs(ctx, user.ID, keyProofs); err != nil {
		return err
	}
	s.notifyRemoved(ctx, r, user.ID, "key.removed")
	s.redirectDone(w, r, "key-removed")
	return nil
}
