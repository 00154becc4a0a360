package recover

import (
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/password"
)

// Paths of the recovery pages, relative to the issuer.
const (
	// PathForgot asks for the email address of a forgotten password.
	PathForgot = "/forgot"
	// PathReset is the emailed reset link's page: choose a new password.
	PathReset = "/forgot/reset"
	// PathInvite is the emailed invitation's page: set your password.
	PathInvite = "/invite"
)

// ResetLinkLifetime is how long a reset link works (an invitation's is
// admin.InviteLinkLifetime).
const ResetLinkLifetime = 30 * time.Minute

// Limits on forgotten-password requests within limitWindow: per network address
// (the page says so when it is exceeded), and per typed address and per account
// (silently: no email is sent, and the page stays the same).
const (
	limitWindow     = time.Hour
	limitPerIP      = 20
	limitPerAddress = 3
	limitPerAccount = 3
)

// Handlers are the forgotten-password and invitation pages.
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store  Store
	Hasher *password.Hasher
}

// Routes are the recovery pages. None belongs to a flow: an emailed link may be
// opened in any browser.
func (s *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return []flows.Route{
		{Method: get, Path: PathForgot, Page: s.ForgotPage},
		{Method: post, Path: PathForgot, Page: s.ForgotSubmit},
		{Method: get, Path: PathReset, Page: s.linkPage(reset)},
		{Method: post, Path: PathReset, Page: s.linkSubmit(reset)},
		{Method: get, Path: PathInvite, Page: s.linkPage(invitation)},
		{Method: post, Path: PathInvite, Page: s.linkSubmit(invitation)},
	}
}
