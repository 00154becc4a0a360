package flows

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// PathAccount is the account page, where a re-verification (KindAccount) returns
// unless it carries the account page the user was on its way to (AccountReturn).
const PathAccount = "/account"

// AccountReturn is where a finished re-verification sends the browser: back, an
// account page (relative to the issuer, with its query and fragment) that was
// stored on the flow, when it is one; else the account overview. Only a clean
// path at or under PathAccount passes, without scheme, host, user, "//", "..",
// backslashes or control characters, so no stored value can lead off the site.
//
// The admin console (at or under PathAdmin) re-verifies its administrators the
// same way, and its pages pass too.
func AccountReturn(stored string) string {
	if stored == "" || strings.ContainsAny(stored, "\\\x00\r\n\t") {
		return PathAccount
	}
	u, err := url.Parse(stored)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		u.Path != path.Clean(u.Path) || !(under(u.Path, PathAccount) || under(u.Path, PathAdmin)) ||
		u.RawPath != "" {
		return PathAccount
	}
	return u.String()
}

// PathAdmin is the admin console, whose re-verifications come back like the
// account page's.
const PathAdmin = "/admin"

// under reports whether p is root or a path below it.
func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

// Route is one page or form of a journey, declared once in the journey package
// that owns it: the provider mounts Path (relative to the issuer) for Method, and
// the core sends flows in the route's States here (StepURL).
type Route struct {
	Method string
	Path   string
	// Exactly one of Page and Step handles it: Step for a sign-in step, whose
	// Result the provider turns into the response (and the end of the sign-in).
	Page HandlerFunc
	Step StepFunc
	// States, on a GET route, make this the page of flows in those states.
	States []State
	// Show, with States, renders the page of a flow already loaded: ShowStep uses
	// it to answer the request that started the flow, and Mount makes the route's
	// Step from it (load the flow at its state, then Show).
	Show func(w http.ResponseWriter, r *http.Request, f Flow) (Result, error)
	// Enter, with States, runs when the policy moves a flow into one of them
	// (instead of a plain redirect to the page): the new-device email is sent here.
	Enter func(ctx context.Context, w http.ResponseWriter, r *http.Request, f Flow) (Result, error)
}

// Mount records the step pages of a journey's routes and returns the routes, for
// the provider to serve.
func (s *Core) Mount(routes []Route) []Route {
	if s.pages == nil {
		s.pages = map[State]Route{}
	}
	for i, rt := range routes {
		if rt.Show != nil {
			routes[i].Step = s.showAt(rt.States[0], rt.Show)
		}
		if rt.Method == http.MethodGet {
			for _, st := range rt.States {
				s.pages[st] = routes[i]
			}
		}
	}
	return routes
}

// Path is the absolute URL path of a page path relative to the issuer.
func (s *Core) Path(rel string) string { return s.Prefix + rel }

// pathFor is the page where a flow in that state goes on: a step's page, or the
// provider's resume endpoint for the states the provider finishes.
func (s *Core) pathFor(state State) string {
	if rt, ok := s.pages[state]; ok {
		return s.Path(rt.Path)
	}
	return s.ResumePath
}

// enter moves f into state to at the policy's word: the state's Enter runs when
// it has one, else the browser goes to the state's page.
func (s *Core) enter(ctx context.Context, w http.ResponseWriter, r *http.Request, f Flow, to State) (Result, error) {
	if err := f.MoveTo(to); err != nil {
		return Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return Result{}, err
	}
	if rt, ok := s.pages[to]; ok && rt.Enter != nil {
		return rt.Enter(ctx, w, r, f)
	}
	return RedirectTo(s.StepURL(f)), nil
}

// showAt is the step that loads the flow a page names, in state, and shows it.
func (s *Core) showAt(state State, show func(w http.ResponseWriter, r *http.Request, f Flow) (Result, error)) StepFunc {
	return func(w http.ResponseWriter, r *http.Request) (Result, error) {
		f, res, ok, err := s.FlowAt(r, state)
		if !ok {
			return res, err
		}
		return show(w, r, f)
	}
}
