package flows

import (
	"errors"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/storage"
)

var allStates = []State{StateLogin, StateSecondFactor, StateProtect, StateEnrol, StateRecoveryCodes, StateConfirmDevice,
	StateDeviceConfirmed, StateAuthenticated, StateConsent, StateReady, StateDenied, StateDone}

// TestTransitions checks every (kind, from, to) against this table, written out
// by hand so that a change to the state machine must change it too: what is
// listed is allowed, everything else refused.
func TestTransitions(t *testing.T) {
	afterStep := "login second_factor protect enrol confirm_device authenticated consent done"
	allowed := map[Kind]map[State]string{
		KindAuthorize: {
			StateLogin:           afterStep,
			StateSecondFactor:    afterStep,
			StateProtect:         afterStep,
			StateEnrol:           afterStep + " recovery_codes",
			StateRecoveryCodes:   afterStep,
			StateConfirmDevice:   afterStep + " device_confirmed",
			StateDeviceConfirmed: afterStep,
			StateAuthenticated:   afterStep,
			StateConsent:         "ready denied",
			StateReady:           "login second_factor protect enrol done",
			StateDenied:          "done",
		},
		KindAccount: {
			StateLogin:        "login second_factor done",
			StateSecondFactor: "login second_factor done",
		},
	}
	for _, k := range []Kind{KindAuthorize, KindAccount} {
		for _, from := range allStates {
			want := map[State]bool{}
			for _, w := range strings.Fields(allowed[k][from]) {
				want[State(w)] = true
			}
			for _, to := range allStates {
				f := Flow{storage.Flow{Kind: string(k), State: string(from)}}
				err := f.MoveTo(to)
				switch {
				case want[to] && err != nil:
					t.Errorf("%s: %s → %s refused, want allowed: %v", k, from, to, err)
				case !want[to] && err == nil:
					t.Errorf("%s: %s → %s allowed, want refused", k, from, to)
				case !want[to]:
					var te *ErrTransition
					if !errors.As(err, &te) || te.From != from || te.To != to {
						t.Errorf("%s: %s → %s: error %v does not name the move", k, from, to, err)
					}
					if f.Current() != from {
						t.Errorf("%s: refused %s → %s changed the state to %s", k, from, to, f.Current())
					}
				default:
					if f.Current() != to {
						t.Errorf("%s: %s → %s left the state at %s", k, from, to, f.Current())
					}
				}
			}
		}
	}
}

// TestStartStates checks where a new flow of each kind may begin.
func TestStartStates(t *testing.T) {
	starts := map[Kind][]State{
		KindAuthorize: {StateLogin, StateSecondFactor, StateProtect, StateEnrol, StateConsent},
		KindAccount:   {StateLogin, StateSecondFactor},
	}
	for k, ok := range starts {
		for _, s := range allStates {
			want := false
			for _, o := range ok {
				want = want || o == s
			}
			if err := startState(k, s); (err == nil) != want {
				t.Errorf("%s flow starting in %s: error %v, want allowed=%v", k, s, err, want)
			}
		}
	}
	if err := startState("other", StateLogin); err == nil {
		t.Error("a flow of an unknown kind was allowed to start")
	}
}

// TestStateForDecision checks which state each policy outcome leads a flow to.
func TestStateForDecision(t *testing.T) {
	for _, tc := range []struct {
		d    Decision
		want State
	}{
		{Decision{Outcome: Prove, Prove: []string{NeedPassword}}, StateLogin},
		{Decision{Outcome: Prove, Prove: []string{NeedPassword, NeedSecondFactor}}, StateLogin},
		{Decision{Outcome: Prove, Prove: []string{NeedSecondFactor}}, StateSecondFactor},
		{Decision{Outcome: Enrol}, StateEnrol},
		{Decision{Outcome: Enrol, ByOrganisation: true}, StateProtect},
		{Decision{Outcome: Offer, Offer: OfferApp}, StateProtect},
		{Decision{Outcome: Done}, StateAuthenticated},
	} {
		if got := StateFor(tc.d); got != tc.want {
			t.Errorf("StateFor(%v %v) = %s, want %s", tc.d.Outcome, tc.d.Prove, got, tc.want)
		}
	}
}
