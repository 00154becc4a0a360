package flows

import (
	"slices"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// AuthRequest is what an authorization request asks of the user's authentication.
type AuthRequest struct {
	PromptLogin bool
	PromptNone  bool
	// MaxAge is the max_age parameter; nil when absent. Zero forces a new login.
	MaxAge *time.Duration
	// EssentialACR lists the acr values of an essential acr claim; one must be met.
	EssentialACR []string
	// HintSubject is the sub of a valid id_token_hint, or "".
	HintSubject string
}

// Decision is what the provider must do before issuing a code.
type Decision int

const (
	// Satisfied: the session proves enough; issue the code.
	Satisfied Decision = iota
	// NeedLogin: the user must sign in (again) with a password.
	NeedLogin
	// Unmet: the request asks for more than can ever be proven; refuse it.
	Unmet
)

// Decide compares the request with the SSO session (nil when there is none).
// It returns a reason for the audit log.
func Decide(req AuthRequest, sess *storage.Session, now time.Time) (Decision, string) {
	if len(req.EssentialACR) > 0 && !slices.Contains(req.EssentialACR, ACRPassword) {
		// Only the password level can be proven so far; a higher essential level is
		// refused rather than answered with a lower acr.
		return Unmet, "essential acr cannot be met"
	}
	switch {
	case sess == nil:
		return NeedLogin, "no session"
	case req.PromptLogin:
		return NeedLogin, "prompt=login"
	case req.MaxAge != nil && now.Sub(sess.AuthTime) > *req.MaxAge:
		return NeedLogin, "max_age exceeded"
	case req.MaxAge != nil && *req.MaxAge == 0:
		return NeedLogin, "max_age=0"
	case req.HintSubject != "" && req.HintSubject != sess.UserID:
		return NeedLogin, "id_token_hint names another user"
	}
	return Satisfied, "session satisfies request"
}
