package flows

import (
	"context"
	"net/http"

	"github.com/lockstep-id/lockstep/storage"
)

// FreshSession returns the browser's session and user, and whether they were
// verified within SudoWindow with the factor the user currently has set up.
func (s *Core) FreshSession(ctx context.Context, r *http.Request) (storage.Session, storage.User, bool, error) {
	sess, user, ok, err := s.CurrentSession(ctx, r)
	if err != nil || !ok {
		return sess, user, false, err
	}
	factors, err := s.SecondFactors(ctx, user.ID)
	if err != nil {
		return sess, user, false, err
	}
	return sess, user, Reverified(sess.Factors, len(factors) > 0, s.Now().Add(-SudoWindow)), nil
}

// RequireReverified is FreshSession for a page that changes the account's
// security (ACC-2): a browser that is not freshly verified is sent through a
// re-verification flow (KindAccount) that comes back to returnTo (checked by
// AccountReturn), and ok is false.
func (s *Core) RequireReverified(w http.ResponseWriter, r *http.Request, returnTo string) (storage.Session, storage.User, bool, error) {
	ctx := r.Context()
	sess, user, ok, err := s.FreshSession(ctx, r)
	if err != nil || ok {
		return sess, user, ok, err
	}
	a := Attempt{Kind: KindAccount}
	if current, _, signedIn, err := s.CurrentSession(ctx, r); err != nil {
		return sess, user, false, err
	} else if signedIn {
		a.UserID, a.Session = current.UserID, &current
	}
	ev, err := s.Next(ctx, r, a)
	if err != nil {
		return sess, user, false, err
	}
	f, err := s.StartFlow(ctx, w, r, NewFlow{Kind: KindAccount, UserID: a.UserID, State: ev.Next, ReturnTo: returnTo})
	if err != nil {
		return sess, user, false, err
	}
	http.Redirect(w, r, s.StepURL(f), http.StatusSeeOther)
	return sess, user, false, nil
}
