package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// admin is the one place a console request becomes a principal. ok is false
// when the response was written (a redirect to sign in) or err says why not.
func (h *Handlers) admin(w http.ResponseWriter, r *http.Request) (p admin.Principal, sess storage.Session, user storage.User, ok bool, err error) {
	ctx := r.Context()
	sess, user, signedIn, err := h.CurrentSession(ctx, r)
	if err != nil {
		return p, sess, user, false, err
	}
	if !signedIn {
		return p, sess, user, false, h.reverify(w, r, h.back(r))
	}
	p, err = admin.UserPrincipal(ctx, h.Roles, user)
	if errors.Is(err, admin.ErrNotAdmin) {
		return p, sess, user, false, flows.UserError(http.StatusForbidden, "Not an administrator",
			"You are signed in as "+user.Email+", who is not an administrator. Ask a platform administrator for access, or sign out and sign in with another account.", err)
	}
	if err != nil {
		return p, sess, user, false, err
	}
	if flows.ACRRank(flows.ACR(sess.Factors)) >= flows.ACRRank(h.MinACR) {
		return p, sess, user, true, nil
	}
	factors, err := h.SecondFactors(ctx, user.ID)
	if err != nil {
		return p, sess, user, false, err
	}
	switch {
	case len(factors) == 0:
		return p, sess, user, false, flows.UserError(http.StatusForbidden, "Set up two-step verification first",
			"The admin console needs two-step verification. Set up an authenticator app or a security key on your account's security page, then come back.", nil)
	case fresh(h, sess):
		// A second factor was just proven and the level is still too low: the
		// minimum needs a security key or passkey.
		return p, sess, user, false, flows.UserError(http.StatusForbidden, "Sign in with a security key",
			"The admin console needs a sign-in with a security key or passkey. Add one on your account's security page, then sign in with it.", nil)
	}
	return p, sess, user, false, h.reverify(w, r, h.back(r))
}

// fresh reports whether the session holds a second factor proven within
// flows.SudoWindow.
func fresh(h *Handlers, sess storage.Session) bool {
	return flows.Reverified(sess.Factors, true, h.Now().Add(-flows.SudoWindow))
}

// requireFresh lets a policy change or a reset go on only with a fresh second
// factor; otherwise it starts a re-verification that comes back to page (the
// form's page), where the administrator submits again.
func (h *Handlers) requireFresh(w http.ResponseWriter, r *http.Request, sess storage.Session, page string) (bool, error) {
	if fresh(h, sess) {
		return true, nil
	}
	return false, h.reverify(w, r, page)
}

// reverify starts the account pages' re-verification (flows.KindAccount), which
// comes back to returnTo, a console page relative to the issuer.
func (h *Handlers) reverify(w http.ResponseWriter, r *http.Request, returnTo string) error {
	ctx := r.Context()
	a := flows.Attempt{Kind: flows.KindAccount}
	if current, _, signedIn, err := h.CurrentSession(ctx, r); err != nil {
		return err
	} else if signedIn {
		a.UserID, a.Session = current.UserID, &current
	}
	ev, err := h.Next(ctx, r, a)
	if err != nil {
		return err
	}
	f, err := h.StartFlow(ctx, w, r, flows.NewFlow{Kind: flows.KindAccount, UserID: a.UserID, State: ev.Next, ReturnTo: returnTo})
	if err != nil {
		return err
	}
	http.Redirect(w, r, h.StepURL(f), http.StatusSeeOther)
	return nil
}

// back is the console page a sign-in started by r returns to: the page itself
// for a GET, else the console's overview.
func (h *Handlers) back(r *http.Request) string {
	if r.Method != http.MethodGet {
		return PathConsole
	}
	return strings.TrimPrefix(r.URL.RequestURI(), h.Prefix)
}
