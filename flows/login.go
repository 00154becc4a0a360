package flows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

const (
	msgBadCredentials = "Incorrect email or password."
	msgThrottled      = "Too many failed sign-in attempts. Please wait a few minutes and try again."
	msgDisabled       = "This account is disabled. Contact your administrator."
)

// LoginPage shows the password form of a flow.
func (s *Service) LoginPage(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.flowAt(r, StateLogin)
	if !ok {
		return res, err
	}
	return Result{}, s.showLogin(w, r, f)
}

// showLogin renders the password form of f, which is in FlowLogin.
func (s *Service) showLogin(w http.ResponseWriter, r *http.Request, f Flow) error {
	q, _ := url.ParseQuery(f.AuthorizeQuery)
	p := s.loginPage(r.Context(), f, q.Get("login_hint"))
	if q.Get("prompt") != "" || q.Get("max_age") != "" {
		if _, _, ok, _ := s.CurrentSession(r.Context(), r); ok {
			p.Notice = "Please sign in again to continue."
		}
	}
	return s.renderLogin(w, http.StatusOK, p)
}

func (s *Service) loginPage(ctx context.Context, f Flow, email string) templates.LoginPage {
	p := templates.LoginPage{
		Page:       s.page("Sign in"),
		Action:     s.Paths.Login,
		FlowID:     f.ID,
		ClientName: s.clientName(ctx, f.ClientID),
		Email:      email,
	}
	if s.WebAuthn != nil {
		p.PasskeyOptionsURL, p.PasskeyAction = s.Paths.PasskeyOptions, s.Paths.Passkey
	}
	return p
}

func (s *Service) renderLogin(w http.ResponseWriter, status int, p templates.LoginPage) error {
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
func (s *Service) LoginSubmit(w http.ResponseWriter, r *http.Request) (Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.flowAt(r, StateLogin)
	if !ok {
		return res, err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	pw := r.PostForm.Get("password")
	page := s.loginPage(ctx, f, email)
	if email == "" || pw == "" {
		page.Error = "Enter your email and password."
		return Result{}, s.renderLogin(w, http.StatusBadRequest, page)
	}

	acctKey, ipKey := "login:acct:"+digest(email), "login:ip:"+s.ClientIP(r)
	login, err := s.Store.LookupLogin(ctx, storage.LoginLookup{Email: email, ClientID: f.ClientID,
		ThrottleKeys: []string{acctKey, ipKey}, Now: s.Now()})
	if err != nil {
		return Result{}, fmt.Errorf("look up login: %w", err)
	}
	acctFailures := login.Throttles[0]
	if acctFailures >= s.Limits.AccountFailures || login.Throttles[1] >= s.Limits.IPFailures {
		s.audit(ctx, r, "login.throttled", "", f.ClientID, map[string]string{"email_hash": digest(email)})
		page.Error = msgThrottled
		return Result{}, s.renderLogin(w, http.StatusTooManyRequests, page)
	}

	user, ok := s.checkPassword(ctx, login, pw)
	if !ok {
		for _, k := range []string{acctKey, ipKey} {
			if _, err := s.Store.HitThrottle(ctx, k, s.Limits.Window, s.Now()); err != nil {
				return Result{}, fmt.Errorf("count failed login: %w", err)
			}
		}
		s.audit(ctx, r, "factor.failure", user.ID, f.ClientID, map[string]string{"factor": "pwd"})
		page.Error = msgBadCredentials
		return Result{}, s.renderLogin(w, http.StatusUnauthorized, page)
	}
	if user.Disabled {
		s.audit(ctx, r, "login.disabled", user.ID, f.ClientID, nil)
		page.Error = msgDisabled
		return Result{}, s.renderLogin(w, http.StatusForbidden, page)
	}
	if acctFailures > 0 {
		if err := s.Store.ResetThrottle(ctx, acctKey); err != nil {
			return Result{}, fmt.Errorf("reset login throttle: %w", err)
		}
	}

	if f.UserID != user.ID {
		// Someone else than the session's user signed in: nothing proven so far counts.
		f.UserID, f.Proven = user.ID, nil
	}
	f.Proven = append(f.Proven, storage.FactorProof{Method: "pwd", At: s.Now().UTC()})
	s.audit(ctx, r, "factor.success", user.ID, f.ClientID, map[string]string{"factor": "pwd"})
	login.User = user
	return s.proceed(ctx, w, r, f, &Reads{Login: login, ClientID: f.ClientID})
}

// checkPassword returns the looked-up user and whether the password is theirs. It
// hashes exactly once whatever the outcome.
func (s *Service) checkPassword(ctx context.Context, login storage.Login, pw string) (storage.User, bool) {
	if !login.Found {
		s.Hasher.VerifyUnknownUser(ctx, pw)
		return storage.User{}, false
	}
	user := login.User
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

// digest keeps personal data such as emails out of throttle keys and audit details.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}
