package flows

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

const methodWebAuthn = "webauthn"

// errNoWebAuthn answers the security-key endpoints when this server has none (its
// issuer is an IP address, which WebAuthn does not allow as a relying party).
var errNoWebAuthn = UserError(http.StatusNotFound, "Security keys are not available",
	"This server does not offer security keys.", nil)

// webAuthnUser is how a user appears to authenticators.
func webAuthnUser(u storage.User) factor.UserInfo {
	name := u.Email
	if full := u.GivenName + " " + u.FamilyName; u.GivenName != "" {
		name = full
	}
	return factor.UserInfo{ID: u.ID, Email: u.Email, DisplayName: name}
}

// flowCeremony binds a WebAuthn challenge to one sign-in flow.
func flowCeremony(f Flow) string { return "flow:" + f.ID }

// accountCeremony binds a registration challenge to one SSO session.
func accountCeremony(sess storage.Session) string { return "account:" + sess.ID }

// parseScriptForm reads a form that webauthn.js posted as multipart FormData (or a
// plain form): the options requests send the page's form.
func parseScriptForm(r *http.Request) error {
	if err := r.ParseMultipartForm(64 << 10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return UserError(http.StatusBadRequest, "Bad request", "The form could not be read.", err)
	}
	return nil
}

// scriptFlow is the flow an options request from webauthn.js names, which must be
// at the step state.
func (s *Service) scriptFlow(r *http.Request, state State) (Flow, error) {
	if s.WebAuthn == nil {
		return Flow{}, errNoWebAuthn
	}
	if err := parseScriptForm(r); err != nil {
		return Flow{}, err
	}
	f, err := s.LoadFlow(r.Context(), r, r.PostFormValue("flow"))
	if err != nil {
		return Flow{}, err
	}
	if !f.Is(state) {
		return Flow{}, UserError(http.StatusConflict, "This step is over", "Reload the page.", nil)
	}
	return f, nil
}

func writeOptions(w http.ResponseWriter, options []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(options)
	return err
}

// ChallengeWebAuthnOptions starts a security-key assertion for the flow's user.
func (s *Service) ChallengeWebAuthnOptions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.scriptFlow(r, StateSecondFactor)
	if err != nil {
		return err
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	options, err := s.WebAuthn.BeginLogin(ctx, webAuthnUser(user), flowCeremony(f), false)
	if err != nil {
		return err
	}
	return writeOptions(w, options)
}

// verifyWebAuthn checks a security-key assertion for the flow and returns the
// proofs it makes: hwk or swk, and user when the key verified the user.
func (s *Service) verifyWebAuthn(ctx context.Context, f Flow, reads *Reads, response string) ([]storage.FactorProof, error) {
	if s.WebAuthn == nil {
		return nil, errNoWebAuthn
	}
	var user storage.User
	if rd := reads.about(f.UserID); rd != nil {
		user = rd.Login.User
	} else {
		u, err := s.Store.GetUser(ctx, f.UserID)
		if err != nil {
			return nil, fmt.Errorf("load user: %w", err)
		}
		user = u
	}
	a, err := s.WebAuthn.FinishLogin(ctx, webAuthnUser(user), flowCeremony(f), []byte(response), false)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	var proofs []storage.FactorProof
	for _, m := range a.AMR() {
		proofs = append(proofs, storage.FactorProof{Method: m, At: now})
	}
	return proofs, nil
}

// webAuthnMessage is what the user reads when a key was refused ("" for a server fault).
func webAuthnMessage(err error) string {
	for _, e := range []error{factor.ErrChallengeUsed, factor.ErrInvalidResponse, factor.ErrUserPresenceRequired,
		factor.ErrUserVerificationRequired, factor.ErrWrongCredential, factor.ErrCounterRegressed, factor.ErrNoCredential} {
		if errors.Is(err, e) {
			return "The security key could not be verified. Try again, or use another method."
		}
	}
	return ""
}

// AccountKeyOptions starts registering a security key for the signed-in user.
func (s *Service) AccountKeyOptions(w http.ResponseWriter, r *http.Request) error {
	if s.WebAuthn == nil {
		return errNoWebAuthn
	}
	sess, user, ok, err := s.requireAccount(w, r)
	if !ok {
		return err
	}
	if err := parseScriptForm(r); err != nil {
		return err
	}
	// "passkey" asks for a discoverable credential that verifies the user.
	options, err := s.WebAuthn.BeginRegistration(r.Context(), webAuthnUser(user), accountCeremony(sess), r.PostFormValue("passkey") == "1")
	if err != nil {
		return err
	}
	return writeOptions(w, options)
}

// AccountAddKey finishes registering a security key.
func (s *Service) AccountAddKey(w http.ResponseWriter, r *http.Request) error {
	if s.WebAuthn == nil {
		return errNoWebAuthn
	}
	ctx := r.Context()
	sess, user, ok, err := s.postedAccount(w, r)
	if !ok {
		return err
	}
	c, err := s.WebAuthn.FinishRegistration(ctx, webAuthnUser(user), accountCeremony(sess), r.PostForm.Get("name"), []byte(r.PostForm.Get("response")))
	if errors.Is(err, factor.ErrInvalidName) {
		return UserError(http.StatusBadRequest, "Name too long", fmt.Sprintf("Give the key a name of at most %d characters.", factor.MaxDeviceNameLen), err)
	}
	if msg := webAuthnMessage(err); msg != "" || errors.Is(err, factor.ErrCredentialExists) {
		return UserError(http.StatusBadRequest, "The security key was not added", "The key could not be registered. Try again.", err)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, r, "webauthn.added", user.ID, "", map[string]string{"credential": hex.EncodeToString(c.ID)})
	s.notify(r, user.ID, "key.added")
	if err := s.afterSecondFactor(ctx, w, r, user.ID, "", false); err != nil {
		return err
	}
	// A user's first second factor comes with recovery codes, whichever it is.
	if total, _, err := s.Recovery.Remaining(ctx, user.ID); err != nil {
		return err
	} else if total == 0 {
		return s.showAccountCodes(w, r, user, "", "key-added")
	}
	http.Redirect(w, r, s.Paths.Account+"?done=key-added", http.StatusSeeOther)
	return nil
}

// AccountRemoveKey removes one of the user's security keys.
func (s *Service) AccountRemoveKey(w http.ResponseWriter, r *http.Request) error {
	if s.WebAuthn == nil {
		return errNoWebAuthn
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
		return UserError(http.StatusNotFound, "No such key", "That security key is not linked to your account.", err)
	}
	s.audit(ctx, r, "webauthn.removed", user.ID, "", map[string]string{"credential": hex.EncodeToString(id)})
	http.Redirect(w, r, s.Paths.Account+"?done=key-removed", http.StatusSeeOther)
	return nil
}

// passkeyCeremony binds a passkey sign-in challenge to one flow.
func passkeyCeremony(f Flow) string { return "passkey:" + f.ID }

// PasskeyOptions starts a passkey sign-in (a discoverable credential with user
// verification) on the login page.
func (s *Service) PasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.scriptFlow(r, StateLogin)
	if err != nil {
		return err
	}
	options, err := s.WebAuthn.BeginPasskeyLogin(ctx, passkeyCeremony(f))
	if err != nil {
		return err
	}
	return writeOptions(w, options)
}

// PasskeySubmit signs a user in with a passkey instead of a password. The key says
// who the user is (its user handle) and verified them, so it stands for both factors.
func (s *Service) PasskeySubmit(w http.ResponseWriter, r *http.Request) (Result, error) {
	ctx := r.Context()
	if s.WebAuthn == nil {
		return Result{}, errNoWebAuthn
	}
	f, res, ok, err := s.flowAt(r, StateLogin)
	if !ok {
		return res, err
	}
	ipKey := "login:ip:" + s.ClientIP(r)
	if n, err := s.Store.ThrottleCount(ctx, ipKey, s.Now()); err != nil {
		return Result{}, fmt.Errorf("read login throttle: %w", err)
	} else if n >= s.Limits.IPFailures {
		page := s.loginPage(ctx, f, "")
		page.Error = msgThrottled
		return Result{}, s.renderLogin(w, http.StatusTooManyRequests, page)
	}
	lookup := func(ctx context.Context, handle []byte) (factor.UserInfo, error) {
		u, err := s.Store.GetUser(ctx, string(handle))
		if err != nil {
			return factor.UserInfo{}, err
		}
		if u.Disabled {
			return factor.UserInfo{}, errors.New("user disabled")
		}
		return webAuthnUser(u), nil
	}
	a, err := s.WebAuthn.FinishPasskeyLogin(ctx, passkeyCeremony(f), []byte(r.PostForm.Get("response")), lookup)
	if err != nil {
		if _, herr := s.Store.HitThrottle(ctx, ipKey, s.Limits.Window, s.Now()); herr != nil {
			return Result{}, fmt.Errorf("count failed passkey sign-in: %w", herr)
		}
		s.audit(ctx, r, "factor.failure", "", f.ClientID, map[string]string{"factor": "passkey", "reason": err.Error()})
		page := s.loginPage(ctx, f, "")
		page.Error = "That passkey could not be used. Try again, or sign in with your password."
		return Result{}, s.renderLogin(w, http.StatusUnauthorized, page)
	}
	if f.UserID != a.UserID {
		f.UserID, f.Proven = a.UserID, nil
	}
	now := s.Now().UTC()
	for _, m := range a.AMR() {
		f.Proven = append(f.Proven, storage.FactorProof{Method: m, At: now})
	}
	s.audit(ctx, r, "factor.success", a.UserID, f.ClientID, map[string]string{"factor": "passkey"})
	return s.proceed(ctx, w, r, f, nil)
}
