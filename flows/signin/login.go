package signin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/enrol"
	"github.com/lockstep-id/lockstep/flows/recover"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

const (
	msgBadCredentials = "login.bad_credentials"
	msgDisabled       = "login.disabled"
)

// showLogin renders the password form of f, which is in StateLogin.
func (s *Handlers) showLogin(w http.ResponseWriter, r *http.Request, f flows.Flow) (flows.Result, error) {
	q, _ := url.ParseQuery(f.AuthorizeQuery)
	p := s.loginPage(r.Context(), f, q.Get("login_hint"))
	if q.Get("prompt") != "" || q.Get("max_age") != "" {
		if _, _, ok, _ := s.CurrentSession(r.Context(), r); ok {
			p.Notice = "login.sign_in_again"
		}
	}
	return flows.Result{}, s.renderLogin(w, http.StatusOK, p)
}

func (s *Handlers) loginPage(ctx context.Context, f flows.Flow, email string) templates.LoginPage {
	clientName, clientLogo := s.ClientShown(ctx, f.ClientID)
	p := templates.LoginPage{
		Page:       s.Page(ctx, "login.title"),
		Action:     s.Path(PathLogin),
		FlowID:     f.ID,
		ClientName: clientName,
		ClientLogo: clientLogo,
		Email:      email,
	}
	if f.KindOf() == flows.KindAccount {
		// The account page's re-verification: say why, and whose password it is.
		p.Account, p.Reverify = true, f.UserID != ""
		if strings.HasPrefix(f.ReturnTo, enrol.PathSetup) { // the set-up wizard's first step
			p.Steps = enrol.PasswordStep(s.SMS != nil)
		}
		if p.Reverify {
			p.Page.Title = "login.reverify_heading"
			if p.Email == "" {
				if u, err := s.Store.GetUser(ctx, f.UserID); err == nil {
					p.Email = u.Email
				}
			}
		}
	}
	if s.WebAuthn != nil {
		p.PasskeyOptionsURL, p.PasskeyAction = s.Path(PathPasskeyOptions), s.Path(PathPasskey)
	}
	// A forgotten password can be reset when links reach a mailbox; not from the
	// re-verification of a signed-in user.
	if s.EmailCodes != nil && !p.Reverify {
		p.ForgotURL = s.Path(recover.PathForgot)
		if f.KindOf() == flows.KindAuthorize {
			p.ForgotURL += "?flow=" + url.QueryEscape(f.ID)
		}
	}
	return p
}

func (s *Handlers) renderLogin(w http.ResponseWriter, status int, p templates.LoginPage) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return s.Pages.Login(w, p)
}

// LoginSubmit checks the email and password of a flow.
//
// An unknown email, a disabled account's wrong password and a wrong password all get
// the same message after the same amount of hashing, so neither the text nor the
// timing tells whether an account exists.
func (s *Handlers) LoginSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	if err := flows.ParseForm(r); err != nil {
		return flows.Result{}, err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	pw := r.PostForm.Get("password")
	if email == "" || pw == "" {
		f, res, ok, err := s.FlowAt(r, flows.StateLogin)
		if !ok {
			return res, err
		}
		page := s.loginPage(ctx, f, email)
		page.Error = "challenge.missing_fields"
		return flows.Result{}, s.renderLogin(w, http.StatusBadRequest, page)
	}

	// The flow, the counters, the email's user and their consent: one round trip.
	acctKey, ipKey := "login:acct:"+flows.Digest(email), "login:ip:"+s.ClientIP(r)
	f, reads, res, ok, err := s.StepAt(r, flows.StateLogin, storage.LoginLookup{Email: email, ThrottleKeys: []string{acctKey, ipKey}})
	if !ok {
		return res, err
	}
	login := reads.Login
	page := s.loginPage(ctx, f, email)
	acctFailures := login.Throttles[0]
	if acctFailures >= s.Limits.AccountFailures || login.Throttles[1] >= s.Limits.IPFailures {
		s.Audit(ctx, r, "login.throttled", "", f.ClientID, map[string]string{"email_hash": flows.Digest(email)})
		page.Error = flows.MsgThrottled
		return flows.Result{}, s.renderLogin(w, http.StatusTooManyRequests, page)
	}

	user, ok := s.checkPassword(ctx, login, pw)
	if !ok {
		for _, k := range []string{acctKey, ipKey} {
			if _, err := s.Store.HitThrottle(ctx, k, s.Limits.Window, s.Now()); err != nil {
				return flows.Result{}, fmt.Errorf("count failed login: %w", err)
			}
		}
		s.Audit(ctx, r, "factor.failure", user.ID, f.ClientID, map[string]string{"factor": "pwd"})
		page.Error = msgBadCredentials
		return flows.Result{}, s.renderLogin(w, http.StatusUnauthorized, page)
	}
	if user.Disabled {
		s.Audit(ctx, r, "login.disabled", user.ID, f.ClientID, nil)
		page.Error = msgDisabled
		return flows.Result{}, s.renderLogin(w, http.StatusForbidden, page)
	}
	if acctFailures > 0 {
		if err := flows.ResetThrottle(ctx, s.Store, acctKey); err != nil { // with the step's commit
			return flows.Result{}, fmt.Errorf("reset login throttle: %w", err)
		}
	}

	if f.UserID != user.ID {
		// Someone else than the session's user signed in: nothing proven so far counts.
		f.UserID, f.Proven = user.ID, nil
	}
	f.Proven = append(f.Proven, storage.FactorProof{Method: "pwd", At: s.Now().UTC()})
	s.Audit(ctx, r, "factor.success", user.ID, f.ClientID, map[string]string{"factor": "pwd"})
	reads.Login.User = user
	return s.Proceed(ctx, w, r, f, reads)
}

// checkPassword returns the looked-up user and whether the password is theirs. It
// hashes exactly once whatever the outcome.
func (s *Handlers) checkPassword(ctx context.Context, login storage.Login, pw string) (storage.User, bool) {
	if !login.Found {
		s.Hasher.VerifyUnknownUser(ctx, pw)
		return storage.User{}, false
	}
	user := login.User
	if user.PasswordHash == "" {
		// Invited, no password set yet: no password signs in, after the same work.
		s.Hasher.VerifyUnknownUser(ctx, pw)
		return user, false
	}
	ok, rehash, err := s.Hasher.Verify(ctx, pw, user.PasswordHash)
	if err != nil {
		// A too-long password or a malformed stored hash is a failed login, not a 500.
		s.Log.WarnContext(ctx, "password verification error", "user_id", user.ID, "error", err)
		return user, false
	}
	if ok && rehash {
		if h, err := s.Hasher.Hash(ctx, pw); err == nil {
			user.PasswordHash = h
			user.UpdatedAt = s.Now().UTC()
			if err := s.Store.UpdateUser(ctx, user); err != nil {
				s.Log.WarnContext(ctx, "password rehash not stored", "user_id", user.ID, "error", err)
			}
		}
	}
	return user, ok
}
