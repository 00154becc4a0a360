package flows

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
)

// Reads hand on what a request read about a user only for that very user: a
// request never decides for one user with another's factors or consent.
func TestReadsAbout(t *testing.T) {
	u1 := &Reads{Login: storage.Login{Found: true, User: storage.User{ID: "u1"}}}
	tests := []struct {
		name   string
		reads  *Reads
		userID string
		want   *Reads
	}{
		{"the user's own", u1, "u1", u1},
		{"another user's", u1, "u2", nil},
		{"no user", u1, "", nil},
		{"none read", nil, "u1", nil},
		{"not found", &Reads{Login: storage.Login{User: storage.User{ID: "u1"}}}, "u1", nil},
		{"not found, no user", &Reads{}, "", nil},
	}
	for _, tt := range tests {
		if got := tt.reads.About(tt.userID); got != tt.want {
			t.Errorf("%s: About(%q) = %v, want %v", tt.name, tt.userID, got, tt.want)
		}
	}
}

// Next decides with the flow user's own factors: from the reads when they are
// the user's, from the store otherwise (never from another user's reads).
func TestNextUsesTheUsersFactors(t *testing.T) {
	ctx := context.Background()
	tc := newTestCore(t)
	for _, id := range []string{"u1", "u2"} {
		if err := tc.store.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	withApp := func(userID string) *Reads {
		return &Reads{Login: storage.Login{Found: true, User: storage.User{ID: userID}, Factors: storage.FactorSummary{TOTP: true}}}
	}
	pwd := []storage.FactorProof{{Method: "pwd", At: tc.now}}
	tc.RememberDays = 30
	remembered := tc.withDevice(t, "tok")
	tc.trust(t, storage.TrustRememberedDevice, "u2", "tok", tc.now.Add(time.Hour))
	tests := []struct {
		name    string
		reads   *Reads
		browser *http.Request
		want    Outcome
	}{
		{"the user's reads: an app, so its code", withApp("u2"), request(nil), Prove},
		{"the user's reads: an app, on a remembered device", withApp("u2"), remembered, Done},
		{"another user's reads are not used: no factor in the store", withApp("u1"), request(nil), Done},
		{"no reads: the store", nil, request(nil), Done},
	}
	for _, tt := range tests {
		ev, err := tc.Next(ctx, tt.browser, Attempt{Kind: KindAuthorize, UserID: "u2", RequestedAt: tc.now, Proven: pwd, Reads: tt.reads})
		if err != nil || ev.Decision.Outcome != tt.want {
			t.Errorf("%s: %v (%v), want %v", tt.name, ev.Decision.Outcome, err, tt.want)
		}
	}
}

// discardSMS is an SMS sender that sends nothing.
type discardSMS struct{}

func (discardSMS) Send(context.Context, sms.Message) error { return nil }

// A phone number on file is a second factor only while SMS is on.
func TestSecondFactorsOf(t *testing.T) {
	all := storage.FactorSummary{TOTP: true, WebAuthn: true, Phone: true}
	tests := []struct {
		name    string
		summary storage.FactorSummary
		sms     sms.Sender
		want    []string
	}{
		{"everything, SMS on", all, discardSMS{}, []string{"otp", SecondFactorWebAuthn, "sms"}},
		{"everything, SMS off", all, nil, []string{"otp", SecondFactorWebAuthn}},
		{"a phone, SMS off", storage.FactorSummary{Phone: true}, nil, nil},
		{"nothing", storage.FactorSummary{}, discardSMS{}, nil},
	}
	for _, tt := range tests {
		c := &Core{SMS: tt.sms}
		if got := c.SecondFactorsOf(tt.summary); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Reverified: a proof counts within the window (its start included); a second
// factor always, a password only for a user without one.
func TestReverified(t *testing.T) {
	since := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	proof := func(m string, at time.Time) []storage.FactorProof { return []storage.FactorProof{{Method: m, At: at}} }
	tests := []struct {
		name   string
		proofs []storage.FactorProof
		has2FA bool
		want   bool
	}{
		{"password, no second factor", proof("pwd", since), false, true},
		{"password, with a second factor", proof("pwd", since), true, false},
		{"app code", proof("otp", since), true, true},
		{"security key", proof("hwk", since.Add(time.Minute)), true, true},
		{"text message", proof("sms", since), true, true},
		{"too old", proof("otp", since.Add(-time.Second)), true, false},
		{"user verification alone", proof("user", since), false, false},
		{"nothing", nil, false, false},
	}
	for _, tt := range tests {
		if got := Reverified(tt.proofs, tt.has2FA, since); got != tt.want {
			t.Errorf("%s: Reverified = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// An account re-verification asks for the password when nobody is signed in,
// then for the user's second factor; a fresh one is done.
func TestNextAccount(t *testing.T) {
	ctx := context.Background()
	tc := newTestCore(t)
	fresh, old := tc.now, tc.now.Add(-SudoWindow-time.Second)
	session := func(proofs ...storage.FactorProof) *storage.Session {
		return &storage.Session{UserID: "u1", Factors: proofs}
	}
	app := &Reads{Login: storage.Login{Found: true, User: storage.User{ID: "u1"}, Factors: storage.FactorSummary{TOTP: true}}}
	tests := []struct {
		name    string
		session *storage.Session
		proven  []storage.FactorProof
		reads   *Reads
		want    State
		factors []string
	}{
		{"nobody signed in", nil, nil, nil, StateLogin, nil},
		{"password just entered, no second factor", nil, []storage.FactorProof{{Method: "pwd", At: fresh}}, nil, StateDone, nil},
		{"old session, no second factor", session(storage.FactorProof{Method: "pwd", At: old}), nil, nil, StateLogin, nil},
		{"old session, an app", session(storage.FactorProof{Method: "pwd", At: old}), nil, app, StateSecondFactor, []string{"otp"}},
		{"fresh code in the session", session(storage.FactorProof{Method: "otp", At: fresh}), nil, app, StateDone, []string{"otp"}},
	}
	for _, tt := range tests {
		ev, err := tc.Next(ctx, request(nil), Attempt{Kind: KindAccount, UserID: "u1", Session: tt.session, Proven: tt.proven, Reads: tt.reads})
		if err != nil || ev.Next != tt.want || !slices.Equal(ev.SecondFactors, tt.factors) {
			t.Errorf("%s: next %s, factors %v (%v); want %s, %v", tt.name, ev.Next, ev.SecondFactors, err, tt.want, tt.factors)
		}
		if (ev.Next == StateDone) != (ev.Decision.Outcome == Done && len(ev.Decision.Proofs) > 0) {
			t.Errorf("%s: decision %+v for %s", tt.name, ev.Decision, ev.Next)
		}
	}
}
