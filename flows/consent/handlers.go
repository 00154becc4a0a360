package consent

import (
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
)

// PathConsent is the consent page, relative to the issuer.
const PathConsent = "/consent"

// Handlers ask a signed-in user to allow a client its scopes, and answer the
// provider whether they must (NeedsConsent).
type Handlers struct {
	*flows.Core
	// Store shadows the core's: what this journey needs of storage.
	Store Store
}

// Routes are the consent page and its form.
func (s *Handlers) Routes() []flows.Route {
	return []flows.Route{
		{Method: http.MethodGet, Path: PathConsent, States: []flows.State{flows.StateConsent}, Step: s.ConsentPage},
		{Method: http.MethodPost, Path: PathConsent, Step: s.ConsentSubmit},
	}
}
