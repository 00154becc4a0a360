package flows

import (
	"context"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/flows/email"
)

// Security notifications (ACC-7) tell the account's owner when its protection
// changes, so someone who did not make the change notices.
var notices = map[string]struct{ subject, text string }{
	"2fa.on": {"Two-step verification is on",
		"Two-step verification was turned on for your account: signing in now also needs a code from your authenticator app.\n\nIf this was not you, reset your password and contact your administrator."},
	"2fa.off": {"Two-step verification is off",
		"The last authenticator app was removed from your account, so signing in needs only your password.\n\nIf this was not you, reset your password and contact your administrator."},
	"device.added": {"A new authenticator app was linked",
		"An authenticator app was linked to your account.\n\nIf this was not you, remove it from your security settings and contact your administrator."},
	"key.added": {"A security key was added",
		"A security key was added to your account.\n\nIf this was not you, remove it from your security settings and contact your administrator."},
	"recovery.used": {"A recovery code was used",
		"One of your recovery codes was used to sign in. Each code works once; you can make a new set in your security settings.\n\nIf this was not you, contact your administrator."},
	"recovery.new": {"New recovery codes",
		"A new set of recovery codes was made for your account. The earlier codes no longer work."},
}

// notify emails the user about a security change. It does not hold up the request
// and never fails it: a notification that cannot be sent is logged.
func (s *Service) notify(r *http.Request, userID, notice string) {
	if s.Mail == nil {
		return
	}
	n, ok := notices[notice]
	if !ok {
		s.Log.Error("unknown notification", "notice", notice)
		return
	}
	ctx := context.WithoutCancel(r.Context())
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		user, err := s.Store.GetUser(ctx, userID)
		if err != nil {
			s.Log.Warn("notification not sent: user", "notice", notice, "user_id", userID, "error", err)
			return
		}
		msg := email.Message{To: user.Email, Subject: n.subject, Text: n.text + "\n\n— " + s.ProductName}
		if err := s.Mail.Send(ctx, msg); err != nil {
			s.Log.Warn("notification not sent", "notice", notice, "user_id", userID, "error", err)
		}
	}()
}
