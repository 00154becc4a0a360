package flows

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/i18n"
)

// Security notifications (ACC-7) tell the account's owner when its protection
// changes, so someone who did not make the change notices. Their subjects and
// texts are in the message catalogues (notice.<name, dots as underscores>).
var notices = []string{
	"2fa.on", "2fa.off", "2fa.turned_off", "devices.replaced",
	"device.removed", "key.removed", "device.added", "key.added",
	"recovery.used", "2fa.on.sms", "phone.added", "phone.removed",
	"2fa.reset", "devices.forgotten", "device.new", "password.changed",
	"recovery.new",
}

// Notify emails the user about a security change. It does not hold up the request
// and never fails it: a notification that cannot be sent is logged.
func (s *Core) Notify(r *http.Request, userID, notice string) {
	if s.Mail == nil {
		return
	}
	if !slices.Contains(notices, notice) {
		s.Log.Error("unknown notification", "notice", notice)
		return
	}
	key := "notice." + strings.ReplaceAll(notice, ".", "_")
	// The email speaks the request's language; the request's other values stay behind.
	ctx := i18n.Carry(context.WithoutCancel(r.Context()), r.Context())
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		user, err := s.Store.GetUser(ctx, userID)
		if err != nil {
			s.Log.Warn("notification not sent: user", "notice", notice, "user_id", userID, "error", err)
			return
		}
		ctx = s.BrandFor(ctx, user)
		msg := email.Message{To: user.Email, Subject: s.T(ctx, key+".subject"), Text: s.T(ctx, key+".text") + "\n\n— " + s.Product(ctx)}
		if err := s.Mail.Send(ctx, msg); err != nil {
			s.Log.Warn("notification not sent", "notice", notice, "user_id", userID, "error", err)
		}
	}()
}
