package flows

import "net/http"

// Result is how a sign-in step answered. Exactly one of: the step wrote its page
// itself (the zero Result), the browser goes on to Redirect, the sign-in is
// Finished, or the policy Refused the request. The provider turns the last two
// into consent, a code or an error for the client (idp's complete): no step ends
// a sign-in by itself.
type Result struct {
	Redirect string
	Finished *Finished
	Refused  *Refusal
}

// Refusal is a flow whose request the policy cannot meet; the provider spends the
// flow and answers the client with Decision.Error.
type Refusal struct {
	Flow     Flow
	Decision Decision
}

// RedirectTo sends the browser on to url.
func RedirectTo(url string) Result { return Result{Redirect: url} }

// StepFunc is a sign-in step's handler: it answers with a Result or an error.
type StepFunc func(w http.ResponseWriter, r *http.Request) (Result, error)
