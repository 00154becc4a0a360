package profile

import (
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
)

// Paths of the profile pages, relative to the issuer; under flows.PathAccount,
// so a re-verification may come back to them (flows.AccountReturn).
const (
	PathProfile      = "/account/profile"
	PathProfileNames = "/account/profile/names"
	PathProfileEmail = "/account/profile/email"
	// PathEmailConfirm is the page the link in the email opens (GET, token in
	// the query) and the form that confirms the change (POST, token in the form).
	PathEmailConfirm = "/account/profile/email/confirm"
)

// Handlers are the profile pages (ACC-6).
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store Store
}

// Routes are the profile pages.
func (s *Handlers) Routes() []flows.Route {
	get, post := http.MethodGet, http.MethodPost
	return s.UserBrandedRoutes([]flows.Route{
		{Method: get, Path: PathProfile, Page: s.ProfilePage},
		{Method: post, Path: PathProfileNames, Page: s.NamesSubmit},
		{Method: post, Path: PathProfileEmail, Page: s.EmailSubmit},
		{Method: get, Path: PathEmailConfirm, Page: s.EmailConfirmPage},
		{Method: post, Path: PathEmailConfirm, Page: s.EmailConfirm},
	})
}
