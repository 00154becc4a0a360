package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

// flowCeremony binds a WebAuthn challenge to one sign-in flow.
func flowCeremony(f flows.Flow) string { return "flow:" + f.ID }

// scriptFlow is the flow an options request from webauthn.js names, which must be
// at the step state.
func (s *Handlers) scriptFlow(r *http.Request, state flows.State) (flows.Flow, error) {
	if s.WebAuthn == nil {
		return flows.Flow{}, flows.ErrNoWebAuthn
	}
	if err := flows.ParseScriptForm(r); err != nil {
		return flows.Flow{}, err
	}
	f, err := s.LoadFlow(r.Context(), r, r.PostFormValue("flow"))
	if err != nil {
		return flows.Flow{}, err
	}
	if !f.Is(state) {
		return flows.Flow{}, flows.UserError(http.StatusConflict, "flow.over_heading", "flow.over_message", nil)
	}
	return f, nil
}

// ChallengeWebAuthnOptions starts a security-key assertion for the flow's user.
func (s *Handlers) ChallengeWebAuthnOptions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.scriptFlow(r, flows.StateSecondFactor)
	if err != nil {
		return err
	}
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	options, err := s.WebAuthn.BeginLogin(ctx, flows.WebAuthnUser(user), flowCeremony(f), false)
	if err != nil {
		return err
	}
	return flows.WriteOptions(w, options)
}

// verifyWebAuthn checks a security-key assertion for the flow and returns the
// proofs it makes: hwk or swk, and user when the key verified the user.
func (s *Handlers) verifyWebAuthn(ctx context.Context, f flows.Flow, reads *flows.Reads, response string) ([]storage.FactorProof, error) {
	if s.WebAuthn == nil {
		return nil, flows.ErrNoWebAuthn
	}
	var user storage.User
	if rd := reads.About(f.UserID); rd != nil {
		user = rd.Login.User
	} else {
		u, err := s.Store.GetUser(ctx, f.UserID)
		if err != nil {
			return nil, fmt.Errorf("load user: %w", err)
		}
		user = u
	}
	a, err := s.WebAuthn.FinishLogin(ctx, flows.WebAuthnUser(user), flowCeremony(f), []byte(response), false)
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

// passkeyCeremony binds a passkey sign-in challenge to one flow.
func passkeyCeremony(f flows.Flow) string { return "passkey:" + f.ID }

// PasskeyOptions starts a passkey sign-in (a discoverable credential with user
// verification) on the login page.
func (s *Handlers) PasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.scriptFlow(r, flows.StateLogin)
	if err != nil {
		return err
	}
	options, err := s.WebAuthn.BeginPasskeyLogin(ctx, passkeyCeremony(f))
	if err != nil {
		return err
	}
	return flows.WriteOptions(w, options)
}

// PasskeySubmit signs a user in with a passkey instead of a password. The key says
// who the user is (its user handle) and verified them, so it stands for both factors.
func (s *Handlers) PasskeySubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	if s.WebAuthn == nil {
		return flows.Result{}, flows.ErrNoWebAuthn
	}
	f, res, ok, err := s.FlowAt(r, flows.StateLogin)
	if !ok {
		return res, err
	}
	ipKey := "login:ip:" + s.ClientIP(r)
	if n, err := s.Store.ThrottleCount(ctx, ipKey, s.Now()); err != nil {
		return flows.Result{}, fmt.Errorf("read login throttle: %w", err)
	} else if n >= s.Limits.IPFailures {
		page := s.loginPage(ctx, f, "")
		page.Error = flows.MsgThrottled
		return flows.Result{}, s.renderLogin(w, http.StatusTooManyRequests, page)
	}
	lookup := func(ctx context.Context, handle []byte) (factor.UserInfo, error) {
		u, err := s.Store.GetUser(ctx, string(handle))
		if err != nil {
			return factor.UserInfo{}, err
		}
		if u.Disabled {
			return factor.UserInfo{}, errors.New("user disabled")
		}
		return flows.WebAuthnUser(u), nil
	}
	a, err := s.WebAuthn.FinishPasskeyLogin(ctx, passkeyCeremony(f), []byte(r.PostForm.Get("response")), lookup)
	if err != nil {
		if _, herr := s.Store.HitThrottle(ctx, ipKey, s.Limits.Window, s.Now()); herr != nil {
			return flows.Result{}, fmt.Errorf("count failed passkey sign-in: %w", herr)
		}
		s.Audit(ctx, r, "factor.failure", "", f.ClientID, map[string]string{"factor": "passkey", "reason": err.Error()})
		page := s.loginPage(ctx, f, "")
		page.Error = "challenge.passkey_refused"
		return flows.Result{}, s.renderLogin(w, http.StatusUnauthorized, page)
	}
	if f.UserID != a.UserID {
		f.UserID, f.Proven = a.UserID, nil
	}
	now := s.Now().UTC()
	for _, m := range a.AMR() {
		f.Proven = append(f.Proven, storage.FactorProof{Method: m, At: now})
	}
	s.Audit(ctx, r, "factor.success", a.UserID, f.ClientID, map[string]string{"factor": "passkey"})
	return s.Proceed(ctx, w, r, f, nil)
}
