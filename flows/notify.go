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
		"The last second step of your account (an authenticator app, security key or phone number) was removed, so signing in needs only your password.\n\nIf this was not you, reset your password and contact your administrator."},
	"2fa.turned_off": {"Two-step verification is off",
		"You turned off two-step verification: every authenticator app, security key, passkey, phone number and recovery code was removed from your account, remembered devices and trusted addresses were forgotten, and your other browsers were signed out. Signing in now needs only your password.\n\nIf this was not you, reset your password and contact your administrator at once."},
	"devices.replaced": {"Your authenticator apps were replaced",
		"Your authenticator apps were replaced: a new app was linked to your account and every app linked before it was removed. Codes from the old apps no longer work, and browsers that signed in with one of them must enter a code from the new app the next time they need the second step.\n\nIf this was not you, reset your password and contact your administrator at once."},
	"device.removed": {"An authenticator app was removed",
		"An authenticator app was removed from your account. Its codes no longer work, and browsers that signed in with it must use another second step the next time they need one.\n\nIf this was not you, contact your administrator."},
	"key.removed": {"A security key was removed",
		"A security key was removed from your account. It no longer signs you in, and browsers that signed in with it must use another second step the next time they need one.\n\nIf this was not you, contact your administrator."},
	"device.added": {"A new authenticator app was linked",
		"An authenticator app was linked to your account.\n\nIf this was not you, remove it from your security settings and contact your administrator."},
	"key.added": {"A security key was added",
		"A security key was added to your account.\n\nIf this was not you, remove it from your security settings and contact your administrator."},
	"recovery.used": {"A recovery code was used",
		"One of your recovery codes was used to sign in. Each code works once; you can make a new set in your security settings.\n\nIf this was not you, contact your administrator."},
	"2fa.on.sms": {"Two-step verification is on",
		"Two-step verification was turned on for your account: signing in now also needs a code sent to your phone by text message.\n\nIf this was not you, reset your password and contact your administrator."},
	"phone.added": {"A phone number was added",
		"A phone number was set up to receive sign-in codes by text message.\n\nIf this was not you, remove it from your security settings and contact your administrator."},
	"phone.removed": {"A phone number was removed",
		"The phone number that received your sign-in codes was removed from your account. Browsers that signed in with a texted code must use another second step the next time they need one.\n\nIf this was not you, contact your administrator."},
	"2fa.reset": {"Two-step verification was reset",
		"Two-step verification was reset for your account: your authenticator apps, security keys, phone number and recovery codes were removed, and remembered devices forgotten. You will be asked to set it up again.\n\nIf this was not you, contact your administrator at once."},
	"devices.forgotten": {"Remembered devices were forgotten",
		"Every device that skipped two-step verification for your account will be asked for it again."},
	"device.new": {"New sign-in to your account",
		"Your account was signed in to from a new browser, confirmed with the code we emailed.\n\nIf this was not you, change your password and contact your administrator."},
	"password.changed": {"Your password was changed",
		"The password of your account was changed. Every session was signed out and remembered devices were forgotten.\n\nIf this was not you, contact your administrator at once."},
	"recovery.new": {"New recovery codes",
		"A new set of recovery codes was made for your account. The earlier codes no longer work."},
}

// Notify emails the user about a security change. It does not hold up the request
// and never fails it: a notification that cannot be sent is logged.
func (s *Core) Notify(r *http.Request, userID, notice string) {
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
