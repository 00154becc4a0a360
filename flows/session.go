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

// CurrentSession returns the browser's live SSO session and its user, or ok=false
// when there is none (no cookie, unknown or expired session, disabled user).
func (s *Core) CurrentSession(ctx context.Context, r *http.Request) (storage.Session, storage.User, bool, error) {
	token := s.Cookies.SessionToken(r)
	if token == "" {
		return storage.Session{}, storage.User{}, false, nil
	}
	sess, err := s.Store.GetSession(ctx, HashToken(token))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Session{}, storage.User{}, false, nil
	}
	if err != nil {
		return storage.Session{}, storage.User{}, false, fmt.Errorf("load session: %w", err)
	}
	if !s.Now().Before(sess.ExpiresAt) {
		return storage.Session{}, storage.User{}, false, nil
	}
	user, err := s.Store.GetUser(ctx, sess.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Session{}, storage.User{}, false, nil
	}
	if err != nil {
		return storage.Session{}, storage.User{}, false, fmt.Errorf("load session user: %w", err)
	}
	if user.Disabled {
		return storage.Session{}, storage.User{}, false, nil
	}
	if now := s.Now().UTC(); now.Sub(sess.LastSeenAt) >= touchEvery {
		// The account page's "last used"; coarse, so a busy session writes
		// rarely. A failure only leaves the time older.
		if err := s.Store.TouchSession(ctx, sess.ID, now); err != nil {
			s.Log.Warn("session's last use not recorded", "error", err)
		} else {
			sess.LastSeenAt = now
		}
	}
	return sess, user, true, nil
}

// touchEvery is how stale a session's last use may get before a use records it.
const touchEvery = 5 * time.Minute

// maxUserAgent bounds the user agent a session keeps.
const maxUserAgent = 512

// PendingSession is an SSO session made for the browser (its cookie is set) but not
// stored yet: the provider stores it with the authorization code in one
// transaction (storage.SignIn), or with StoreSession.
type PendingSession struct {
	Session storage.Session
	// Replaces is the browser's previous session, ended with it ("" for none).
	Replaces string
}

// UpgradeSession replaces the browser's SSO session with a new one under a new
// token, so the session id changes at every privilege change. The new session keeps
// the factors of the current one (when it is the same user's) and adds proofs;
// auth_time becomes the time of the latest password.
func (s *Core) UpgradeSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, current *storage.Session, proofs []storage.FactorProof) (storage.Session, error) {
	p, err := s.newSession(w, r, userID, current, proofs)
	if err != nil {
		return storage.Session{}, err
	}
	return p.Session, s.StoreSession(ctx, p)
}

// newSession makes the upgraded session and gives the browser its cookie.
func (s *Core) newSession(w http.ResponseWriter, r *http.Request, userID string, current *storage.Session, proofs []storage.FactorProof) (PendingSession, error) {
	var kept []storage.FactorProof
	if current != nil && current.UserID == userID {
		kept = current.Factors
	}
	var p PendingSession
	if old := s.Cookies.SessionToken(r); old != "" {
		p.Replaces = HashToken(old)
	}
	now := s.Now().UTC()
	token := newToken()
	factors := MergeProofs(kept, proofs)
	p.Session = storage.Session{
		ID:         HashToken(token),
		UserID:     userID,
		Factors:    factors,
		AuthTime:   AuthTime(factors),
		CreatedAt:  now,
		ExpiresAt:  now.Add(s.SessionLifetime),
		UserAgent:  strings.ToValidUTF8(truncate(r.UserAgent(), maxUserAgent), ""),
		IP:         s.ClientIP(r),
		LastSeenAt: now,
	}
	if err := s.Cookies.set(w, r, keySessionToken, token); err != nil {
		return p, fmt.Errorf("write session cookie: %w", err)
	}
	return p, nil
}

// StoreSession ends the session p replaces and stores p's.
func (s *Core) StoreSession(ctx context.Context, p PendingSession) error {
	if p.Replaces != "" {
		if err := s.Store.DeleteSession(ctx, p.Replaces); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("end previous session: %w", err)
		}
	}
	if err := s.Store.CreateSession(ctx, p.Session); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// EndSession deletes the browser's SSO session on the server and from the cookie.
// It returns the session that ended, if there was one.
func (s *Core) EndSession(ctx context.Context, w http.ResponseWriter, r *http.Request) (storage.Session, bool, error) {
	token := s.Cookies.SessionToken(r)
	if token == "" {
		return storage.Session{}, false, nil
	}
	sess, err := s.Store.GetSession(ctx, HashToken(token))
	found := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return storage.Session{}, false, fmt.Errorf("load session: %w", err)
	}
	if found {
		if err := s.Store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return storage.Session{}, false, fmt.Errorf("delete session: %w", err)
		}
		s.Audit(ctx, r, "logout", sess.UserID, "", nil)
	}
	if err := s.Cookies.set(w, r, keySessionToken, ""); err != nil {
		return storage.Session{}, false, fmt.Errorf("clear session cookie: %w", err)
	}
	return sess, found, nil
}

// ForgetSession removes the session token from the browser's cookie (the session
// itself is ended by the caller).
func (s *Core) ForgetSession(w http.ResponseWriter, r *http.Request) error {
	return s.Cookies.set(w, r, keySessionToken, "")
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
