package conformance

import (
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

	keys := []string{"ip-old", "acct", "never", "acct"}
	now := base.Add(2 * time.Second) // "ip-old" has run out
	aliceFactors := storage.FactorSummary{TOTP: true, Phone: true, RecoveryCodes: 1}
	for _, tt := range []struct {
		name, email, userID, client string
		want                        storage.Login
	}{
		{"unknown email", "carol@example.com", "", "c1", storage.Login{Throttles: []int{0, 2, 0, 2}}},
		{"user with consent", alice.Email, "", "c1", storage.Login{Throttles: []int{0, 2, 0, 2}, Found: true, User: alice,
			Factors: aliceFactors, Consent: &consent}},
		{"another client's consent is not read", alice.Email, "", "c2", storage.Login{Throttles: []int{0, 2, 0, 2}, Found: true, User: alice,
			Factors: aliceFactors}},
		// An app not yet confirmed is no factor.
		{"disabled user", bob.Email, "", "c1", storage.Login{Throttles: []int{0, 2, 0, 2}, Found: true, User: bob,
			Factors: storage.FactorSummary{WebAuthn: true}}},
		{"exact email only", "Alice@example.com", "", "c1", storage.Login{Throttles: []int{0, 2, 0, 2}}},
		{"by user id", "", alice.ID, "c1", storage.Login{Throttles: []int{0, 2, 0, 2}, Found: true, User: alice,
			Factors: aliceFactors, Consent: &consent}},
		{"unknown user id", "", "u-carol", "c1", storage.Login{Throttles: []int{0, 2, 0, 2}}},
		{"a user id is not an email", "", alice.Email, "c1", storage.Login{Throttles: []int{0, 2, 0, 2}}},
	} {
		got, err := s.LookupLogin(ctx, storage.LoginLookup{Email: tt.email, UserID: tt.userID, ClientID: tt.client, ThrottleKeys: keys, Now: now})
		must(t, err)
		equal(t, tt.name, tt.want, got)
	}
	for _, q := range []storage.LoginLookup{{Now: now}, {Email: alice.Email, UserID: alice.ID, Now: now}} {
		if _, err := s.LookupLogin(ctx, q); err == nil {
			t.Errorf("LookupLogin(email %q, user id %q): no error, want one (exactly one of them)", q.Email, q.UserID)
		}
	}
	got, err := s.LookupLogin(ctx, storage.LoginLookup{Email: alice.Email, ClientID: "c1", Now: now})
	must(t, err)
	if len(got.Throttles) != 0 || !got.Found {
		t.Errorf("no throttle keys: %+v", got)
	}
}
