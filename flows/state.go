package flows

import (
	"fmt"
	"slices"

	"github.com/lockstep-id/lockstep/storage"
)

// State is where a sign-in stands. Storage keeps it as a plain string; only this
// file names the values and changes them (MoveTo), so every change of state is
// checked against the transition table.
type State string

const (
	StateLogin         State = "login"          // waiting for the password (or a passkey)
	StateSecondFactor  State = "second_factor"  // waiting for a second factor
	StateEnrol         State = "enrol"          // the user must set up a second factor first
	StateProtect       State = "protect"        // "Protect your account": the set-up offered, or required by the organisation
	StateRecoveryCodes State = "recovery_codes" // showing new recovery codes until acknowledged
	StateConfirmDevice State = "confirm_device" // waiting for the emailed new-device code or link
	// StateDeviceConfirmed: the emailed link was followed in another browser; the
	// browser that signs in goes on when it comes back.
	StateDeviceConfirmed State = "device_confirmed"
	StateAuthenticated   State = "authenticated" // every factor proven; consent not decided yet
	StateConsent         State = "consent"       // waiting for the user's consent
	StateReady           State = "ready"         // consent given; the provider may finish
	StateDenied          State = "denied"        // the user refused consent
	StateDone            State = "done"          // finished (a code, an error for the client, or back to the account page); spent
)

// Kind is what a flow is for.
type Kind string

const (
	// KindAuthorize: an authorization request that ends with a code or an error
	// for the client.
	KindAuthorize Kind = "authorize"
	// KindAccount: the account page's re-verification (ACC-2); it ends back on the
	// account page with a fresh session and never talks to a client.
	KindAccount Kind = "account"
)

// steps are the states in which the user has something to do on a page.
var steps = []State{StateLogin, StateSecondFactor, StateProtect, StateEnrol, StateRecoveryCodes, StateConfirmDevice, StateDeviceConfirmed}

// decided are the states the policy's answer (Next) can move a flow to from a
// step: a step again, or finished (authenticated, then consent or done).
var decided = []State{StateLogin, StateSecondFactor, StateProtect, StateEnrol, StateConfirmDevice, StateAuthenticated, StateConsent, StateDone}

// transitions lists, per kind, every allowed move. Anything else is refused: a
// handler that tries it has a bug, and the request fails instead of skipping a step.
var transitions = map[Kind]map[State][]State{
	KindAuthorize: {
		StateLogin:        decided,
		StateSecondFactor: decided,
		// "Set it up now" goes to enrol, "Later" wherever Next says.
		StateProtect:         decided,
		StateEnrol:           append(slices.Clone(decided), StateRecoveryCodes),
		StateRecoveryCodes:   decided,
		StateConfirmDevice:   append(slices.Clone(decided), StateDeviceConfirmed),
		StateDeviceConfirmed: decided,
		// The provider asks the policy again before it finishes: proofs may have
		// aged, or the session ended, meanwhile.
		StateAuthenticated: decided,
		StateConsent:       {StateReady, StateDenied},
		StateReady:         {StateLogin, StateSecondFactor, StateProtect, StateEnrol, StateDone},
		StateDenied:        {StateDone},
	},
	KindAccount: {
		StateLogin:        {StateLogin, StateSecondFactor, StateDone},
		StateSecondFactor: {StateLogin, StateSecondFactor, StateDone},
	},
}

// starts are the states a new flow of each kind may begin in.
var starts = map[Kind][]State{
	KindAuthorize: {StateLogin, StateSecondFactor, StateProtect, StateEnrol, StateConsent},
	KindAccount:   {StateLogin, StateSecondFactor},
}

// Flow is a sign-in in progress: the stored record, whose State and Kind only
// this package's state machine changes.
type Flow struct {
	storage.Flow
}

// Current is the flow's state.
func (f *Flow) Current() State { return State(f.State) }

// Is reports whether the flow is in state s.
func (f *Flow) Is(s State) bool { return f.Current() == s }

// KindOf is what the flow is for.
func (f *Flow) KindOf() Kind { return Kind(f.Kind) }

// AtStep reports whether the user has a page to work on in this state.
func (f *Flow) AtStep() bool { return slices.Contains(steps, f.Current()) }

// ErrTransition is a move the state machine does not allow.
type ErrTransition struct {
	Kind     Kind
	From, To State
}

func (e *ErrTransition) Error() string {
	return fmt.Sprintf("flow state machine: %s flow cannot move from %q to %q", e.Kind, e.From, e.To)
}

// allowed reports whether a flow of kind k may move from one state to another.
func allowed(k Kind, from, to State) bool {
	return slices.Contains(transitions[k][from], to)
}

// MoveTo changes the flow's state, refusing a move the table does not allow. The
// caller stores the flow (Core.Advance or the provider's CommitSignIn); its
// version check makes a concurrent move lose.
func (f *Flow) MoveTo(to State) error {
	if !allowed(f.KindOf(), f.Current(), to) {
		return &ErrTransition{Kind: f.KindOf(), From: f.Current(), To: to}
	}
	f.State = string(to)
	return nil
}

// startState checks a new flow's first state like a move.
func startState(k Kind, s State) error {
	if !slices.Contains(starts[k], s) {
		return &ErrTransition{Kind: k, From: "", To: s}
	}
	return nil
}
