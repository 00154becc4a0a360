package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func testLookupLogin(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	alice := storage.User{ID: "u-alice", Email: "alice@example.com", EmailVerified: true, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		GivenName: "Alice", FamilyName: "Liddell", CreatedAt: base, UpdatedAt: base.Add(time.Hour), SetupOfferedAt: base.Add(time.Minute)}
	bob := storage.User{ID: "u-bob", Email: "bob@example.com", Disabled: true, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateUser(ctx, alice))
	must(t, s.CreateUser(ctx, bob))
	for range 2 {
		_, err := s.HitThrottle(ctx, "acct", time.Minute, base)
		must(t, err)
	}
	_, err := s.HitThrottle(ctx, "ip-old", time.Second, base)
	must(t, err)
	consent := storage.Consent{UserID: alice.ID, ClientID: "c1", Scopes: []string{"openid", "email"}, GrantedAt: base}
	must(t, s.SaveConsent(ctx, consent))
	must(t, s.SaveConsent(ctx, storage.Consent{UserID: bob.ID, ClientID: "c2", Scopes: []string{"openid"}, GrantedAt: base}))
	must(t, s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "d-alice", UserID: alice.ID, Name: "App", SecretEnc: []byte("x"), CreatedAt: base}))
	must(t, s.ActivateTOTPDevice(ctx, "d-alice", 1, base, false))
	must(t, s.SetPhoneNumber(ctx, storage.PhoneNumber{UserID: alice.ID, E164: "+4915123456789", VerifiedAt: base}))
	must(t, s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "d-bob", UserID: bob.ID, Name: "App", SecretEnc: []byte("x"), CreatedAt: base}))
	must(t, s.CreateWebAuthnCredential(ctx, storage.WebAuthnCredential{ID: []byte("k-bob"), UserID: bob.ID, Name: "Key", PublicKey: []byte("pk"), CreatedAt: base}))
	must(t, s.ReplaceRecoveryCodes(ctx, alice.ID, []string{"h1", "h2"}, base))
	must(t, s.UseRecoveryCode(ctx, alice.ID, "h1", base))

	// Alice's second app, not confirmed yet, comes after her first one.
	must(t, s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "d-alice-2", UserID: alice.ID, Name: "New", SecretEnc: []byte("y"), CreatedAt: base.Add(time.Second)}))
	aliceApps, err := s.ListTOTPDevices(ctx, alice.ID)
	must(t, err)
	bobApps, err := s.ListTOTPDevices(ctx, bob.ID)
	must(t, err)
	if len(aliceApps) != 2 || len(bobApps) != 1 {
		t.Fatalf("apps: %+v, %+v", aliceApps, bobApps)
	}
	// Flows at a step: Alice's second factor for c1, a password step for c2.
	aliceFlow := storage.Flow{ID: "f-alice", BrowserHash: "bh", ClientID: "c1", AuthorizeQuery: "scope=openid", RequestedAt: base,
		Kind: "authorize", State: "second_factor", UserID: alice.ID, Proven: []storage.FactorProof{{Method: "pwd", At: base}},
		ExpiresAt: base.Add(time.Hour), Version: 3, Declined: true, ReturnTo: "/account", Reset: true}
	newFlow := storage.Flow{ID: "f-new", BrowserHash: "bh2", ClientID: "c2", AuthorizeQuery: "scope=openid", RequestedAt: base,
		Kind: "authorize", State: "login", ExpiresAt: base.Add(time.Hour), Version: 1}
	must(t, s.CreateFlowAudited(ctx, aliceFlow, nil))
	must(t, s.CreateFlowAudited(ctx, newFlow, nil))
	bobConsent := storage.Consent{UserID: bob.ID, ClientID: "c2", Scopes: []string{"openid"}, GrantedAt: base}

	keys := []string{"ip-old", "acct", "never", "acct"}
	now := base.Add(2 * time.Second) // "ip-old" has run out
	counts := []int{0, 2, 0, 2}
	aliceFactors := storage.FactorSummary{TOTP: true, Phone: true, RecoveryCodes: 1}
	for _, tt := range []struct {
		name string
		q    storage.LoginLookup // but for its throttle keys and time
		want storage.Login
	}{
		{"unknown email", storage.LoginLookup{Email: "carol@example.com", ClientID: "c1"}, storage.Login{Throttles: counts}},
		{"user with consent", storage.LoginLookup{Email: alice.Email, ClientID: "c1"}, storage.Login{Throttles: counts, Found: true, User: alice,
			Factors: aliceFactors, Consent: &consent}},
		{"another client's consent is not read", storage.LoginLookup{Email: alice.Email, ClientID: "c2"}, storage.Login{Throttles: counts, Found: true, User: alice,
			Factors: aliceFactors}},
		// An app not yet confirmed is no factor.
		{"disabled user", storage.LoginLookup{Email: bob.Email, ClientID: "c1"}, storage.Login{Throttles: counts, Found: true, User: bob,
			Factors: storage.FactorSummary{WebAuthn: true}}},
		{"exact email only", storage.LoginLookup{Email: "Alice@example.com", ClientID: "c1"}, storage.Login{Throttles: counts}},
		{"by user id", storage.LoginLookup{UserID: alice.ID, ClientID: "c1"}, storage.Login{Throttles: counts, Found: true, User: alice,
			Factors: aliceFactors, Consent: &consent}},
		{"unknown user id", storage.LoginLookup{UserID: "u-carol", ClientID: "c1"}, storage.Login{Throttles: counts}},
		{"a user id is not an email", storage.LoginLookup{UserID: alice.Email, ClientID: "c1"}, storage.Login{Throttles: counts}},
		{"apps, active or not, oldest first", storage.LoginLookup{UserID: alice.ID, ClientID: "c2", TOTPDevices: true}, storage.Login{Throttles: counts,
			Found: true, User: alice, Factors: aliceFactors, TOTPDevices: aliceApps}},
		{"apps by email", storage.LoginLookup{Email: bob.Email, TOTPDevices: true}, storage.Login{Throttles: counts,
			Found: true, User: bob, Factors: storage.FactorSummary{WebAuthn: true}, TOTPDevices: bobApps}},
		{"no user, no apps", storage.LoginLookup{Email: "carol@example.com", TOTPDevices: true}, storage.Login{Throttles: counts}},
		// With a flow: its user unless the email names one, its client's consent.
		{"the flow's user", storage.LoginLookup{FlowID: aliceFlow.ID}, storage.Login{Flow: &aliceFlow, Throttles: counts, Found: true, User: alice,
			Factors: aliceFactors, Consent: &consent}},
		{"the flow's user and apps", storage.LoginLookup{FlowID: aliceFlow.ID, TOTPDevices: true}, storage.Login{Flow: &aliceFlow, Throttles: counts,
			Found: true, User: alice, Factors: aliceFactors, Consent: &consent, TOTPDevices: aliceApps}},
		{"a flow without a user", storage.LoginLookup{FlowID: newFlow.ID, TOTPDevices: true}, storage.Login{Flow: &newFlow, Throttles: counts}},
		{"an email at a flow", storage.LoginLookup{FlowID: newFlow.ID, Email: bob.Email}, storage.Login{Flow: &newFlow, Throttles: counts, Found: true,
			User: bob, Factors: storage.FactorSummary{WebAuthn: true}, Consent: &bobConsent}},
		{"an email at another user's flow", storage.LoginLookup{FlowID: aliceFlow.ID, Email: bob.Email}, storage.Login{Flow: &aliceFlow, Throttles: counts,
			Found: true, User: bob, Factors: storage.FactorSummary{WebAuthn: true}}},
		{"a user id at a flow", storage.LoginLookup{FlowID: newFlow.ID, UserID: alice.ID}, storage.Login{Flow: &newFlow, Throttles: counts, Found: true,
			User: alice, Factors: aliceFactors}},
		{"an unknown flow", storage.LoginLookup{FlowID: "f-gone"}, storage.Login{Throttles: counts}},
		{"an email at an unknown flow", storage.LoginLookup{FlowID: "f-gone", Email: alice.Email}, storage.Login{Throttles: counts, Found: true,
			User: alice, Factors: aliceFactors}},
	} {
		q := tt.q
		q.ThrottleKeys, q.Now = keys, now
		got, err := s.LookupLogin(ctx, q)
		must(t, err)
		equal(t, tt.name, tt.want, got)
	}
	for _, q := range []storage.LoginLookup{{Now: now}, {Email: alice.Email, UserID: alice.ID, Now: now},
		{FlowID: aliceFlow.ID, ClientID: "c1", Now: now}, {FlowID: newFlow.ID, Email: alice.Email, UserID: alice.ID, Now: now}} {
		_, err := s.LookupLogin(ctx, q)
		wantErr(t, fmt.Sprintf("LookupLogin(email %q, user id %q, flow %q, client %q)", q.Email, q.UserID, q.FlowID, q.ClientID), err, storage.ErrInvalid)
	}
	got, err := s.LookupLogin(ctx, storage.LoginLookup{Email: alice.Email, ClientID: "c1", Now: now})
	must(t, err)
	if len(got.Throttles) != 0 || !got.Found {
		t.Errorf("no throttle keys: %+v", got)
	}
}
