// Package conformance is the test suite every storage.Storage backend must pass.
// A backend's own test is a few lines:
//
//	func TestStorage(t *testing.T) {
//		conformance.Run(t, func(t *testing.T) storage.Storage { return memory.New() })
//	}
package conformance

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lockstep-id/lockstep/storage"
)

// base is the suite's clock. Postgres keeps microseconds, so no test time is finer.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// Run runs the suite. newStore is called once per subtest and must return an empty
// store; it should register the store's cleanup with t.
func Run(t *testing.T, newStore func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		run  func(t *testing.T, s storage.Storage)
	}{
		{"Ping", testPing},
		{"Clients", testClients},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"TokenBatches", testTokenBatches},
		{"SummarizeFactors", testSummarizeFactors},
		{"TokenDeactivation", testTokenDeactivation},
		{"DeleteExpiredTokens", testDeleteExpiredTokens},
		{"Flows", testFlows},
		{"Sessions", testSessions},
		{"Consents", testConsents},
		{"SigningKeys", testSigningKeys},
		{"Throttle", testThrottle},
		{"Nonce", testNonce},
		{"ExpiryCleanup", testExpiryCleanup},
		{"Audit", testAudit},
		{"AuditBatches", testAuditBatches},
		{"TOTPDevices", testTOTPDevices},
		{"RecoveryCodes", testRecoveryCodes},
		{"WebAuthnCredentials", testWebAuthnCredentials},
		{"UseWebAuthnCredential", testUseWebAuthnCredential},
		{"Ceremonies", testCeremonies},
		{"PhoneNumbers", testPhoneNumbers},
		{"OneTimeCodes", testOneTimeCodes},
		{"UseOneTimeCode", testUseOneTimeCode},
		{"Trusts", testTrusts},
		{"EmailLinks", testEmailLinks},
		{"EmailLinkCopies", testEmailLinkCopies},
		{"Copies", testCopies},
		{"Organisations", testOrganisations},
		{"Logos", testLogos},
		{"PlatformAdmins", testPlatformAdmins}, {"SearchUsers", testSearchUsers}, {"QueryAudit", testQueryAudit}, {"RenameOrganisation", testRenameOrganisation},
		{"OrgDeadlines", testOrgDeadlines},
		{"OrgFailures", testOrgFailures},
		{"ConcurrentOrgChanges", testConcurrentOrgChanges},
		{"ConcurrentConsumeCode", testConcurrentConsumeCode},
		{"ConcurrentConsumeCodeDeleting", testConcurrentConsumeCodeDeleting},
		{"ConcurrentConsumeCodeCreating", testConcurrentConsumeCodeCreating},
		{"CommitSignIn", testCommitSignIn},
		{"LookupLogin", testLookupLogin},
		{"CreateFlowAudited", testCreateFlowAudited},
		{"ConcurrentRotateRefresh", testConcurrentRotateRefresh},
		{"ConcurrentSpendRefreshToken", testConcurrentSpendRefreshToken},
		{"ConsumeForDisabledUser", testConsumeForDisabledUser},
		{"ConcurrentThrottle", testConcurrentThrottle},
		{"ConcurrentFlowStep", testConcurrentFlowStep},
		{"ConcurrentNonce", testConcurrentNonce},
		{"ConcurrentAddSigningKey", testConcurrentAddSigningKey},
		{"ConcurrentAdvanceTOTPStep", testConcurrentAdvanceTOTPStep},
		{"ConcurrentActivateTOTPDevice", testConcurrentActivateTOTPDevice},
		{"ConcurrentActivateRevokingOthers", testConcurrentActivateRevokingOthers},
		{"ConcurrentUseRecoveryCode", testConcurrentUseRecoveryCode},
		{"ConcurrentReplaceRecoveryCodes", testConcurrentReplaceRecoveryCodes},
		{"ConcurrentUseWebAuthnCredential", testConcurrentUseWebAuthnCredential},
		{"ConcurrentTakeCeremony", testConcurrentTakeCeremony},
		{"ConcurrentUseOneTimeCode", testConcurrentUseOneTimeCode},
		{"ConcurrentUseEmailLink", testConcurrentUseEmailLink},
		{"ConcurrentWrongOneTimeCodes", testConcurrentWrongOneTimeCodes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

// equal fails the test when got differs from want. Times compare with time.Equal
// (cmp uses the Equal method) and nil equals empty, which no caller can rely on.
func equal(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// must stops the test on an unexpected error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func testPing(t *testing.T, s storage.Storage) {
	must(t, s.Ping(t.Context()))
}

func testClients(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	c := storage.Client{
		ID:                     "client-a",
		SecretHash:             []byte{1, 2, 3},
		Name:                   "App A",
		RedirectURIs:           []string{"https://a.example/cb", "https://a.example/cb2"},
		PostLogoutRedirectURIs: []string{"https://a.example/"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		ResponseTypes:          []string{"code"},
		Scopes:                 []string{"openid", "email"},
		FirstParty:             true,
		MinACR:                 "urn:lockstep:acr:mfa",
		DefaultACRValues:       []string{"urn:lockstep:acr:phr", "urn:lockstep:acr:mfa"},
		MaxAuthAge:             15 * time.Minute, // whole seconds, like every MaxAuthAge here
		AccessTokenFormat:      "jwt",
		IDTokenAlg:             "ES256",
		CreatedAt:              base,
		UpdatedAt:              base,
	}
	// Byte order puts "Client-b" before "client-a"; most collations do not.
	public := storage.Client{ID: "Client-b", Name: "SPA", Public: true, CreatedAt: base, UpdatedAt: base}

	must(t, s.CreateClient(ctx, c))
	must(t, s.CreateClient(ctx, public))
	wantErr(t, "create duplicate", s.CreateClient(ctx, c), storage.ErrAlreadyExists)

	got, err := s.GetClient(ctx, c.ID)
	must(t, err)
	equal(t, "client", c, got)
	_, err = s.GetClient(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)

	list, err := s.ListClients(ctx)
	must(t, err)
	equal(t, "list", []storage.Client{public, c}, list)

	c.Name = "App A2"
	c.SecretHash = nil
	c.Scopes = []string{"openid"}
	c.RedirectURIs = nil
	c.FirstParty = false
	c.MinACR = "urn:lockstep:acr:phr"
	c.DefaultACRValues = []string{"urn:lockstep:acr:pwd"}
	c.MaxAuthAge = 36 * time.Hour
	c.AccessTokenFormat = "opaque"
	c.IDTokenAlg = "RS256"
	c.UpdatedAt = base.Add(time.Hour)
	must(t, s.UpdateClient(ctx, c))
	got, err = s.GetClient(ctx, c.ID)
	must(t, err)
	equal(t, "updated client", c, got)

	// Back to the zero values, which mean "no requirement" and the default format.
	c.MinACR, c.DefaultACRValues, c.MaxAuthAge, c.AccessTokenFormat, c.IDTokenAlg = "", nil, 0, "", ""
	must(t, s.UpdateClient(ctx, c))
	got, err = s.GetClient(ctx, c.ID)
	must(t, err)
	equal(t, "client with acr settings cleared", c, got)
	// The zero-valued client lists beside it unchanged.
	list, err = s.ListClients(ctx)
	must(t, err)
	equal(t, "list after updates", []storage.Client{public, c}, list)
	wantErr(t, "update missing", s.UpdateClient(ctx, storage.Client{ID: "nope"}), storage.ErrNotFound)

	must(t, s.DeleteClient(ctx, c.ID))
	_, err = s.GetClient(ctx, c.ID)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteClient(ctx, c.ID), storage.ErrNotFound)
	list, err = s.ListClients(ctx)
	must(t, err)
	equal(t, "list after delete", []storage.Client{public}, list)
}

func testUsers(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	alice := storage.User{
		ID: "user-2", Email: "alice@example.com", EmailVerified: true, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
		GivenName: "Alice", FamilyName: "Liddell", CreatedAt: base, UpdatedAt: base,
	}
	bob := storage.User{ID: "user-1", Email: "bob@example.com", Disabled: true, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateUser(ctx, alice))
	must(t, s.CreateUser(ctx, bob))

	wantErr(t, "duplicate id", s.CreateUser(ctx, storage.User{ID: alice.ID, Email: "other@example.com"}), storage.ErrAlreadyExists)
	wantErr(t, "duplicate email", s.CreateUser(ctx, storage.User{ID: "user-3", Email: alice.Email}), storage.ErrAlreadyExists)

	got, err := s.GetUser(ctx, alice.ID)
	must(t, err)
	equal(t, "user", alice, got)
	got, err = s.GetUserByEmail(ctx, alice.Email)
	must(t, err)
	equal(t, "user by email", alice, got)
	_, err = s.GetUser(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "nobody@example.com")
	wantErr(t, "get missing email", err, storage.ErrNotFound)
	// The caller lower-cases; the store matches exactly.
	_, err = s.GetUserByEmail(ctx, "Alice@example.com")
	wantErr(t, "get other case", err, storage.ErrNotFound)

	list, err := s.ListUsers(ctx)
	must(t, err)
	equal(t, "list", []storage.User{bob, alice}, list)

	alice.Email = "alice@wonderland.example"
	alice.GivenName = "Al"
	alice.Disabled = true
	alice.UpdatedAt = base.Add(time.Minute)
	alice.SetupOfferedAt = base.Add(time.Minute)
	must(t, s.UpdateUser(ctx, alice))
	got, err = s.GetUserByEmail(ctx, alice.Email)
	must(t, err)
	equal(t, "updated user", alice, got)
	_, err = s.GetUserByEmail(ctx, "alice@example.com")
	wantErr(t, "old email", err, storage.ErrNotFound)

	bob.Email = alice.Email
	wantErr(t, "update to taken email", s.UpdateUser(ctx, bob), storage.ErrAlreadyExists)
	bob.Email = "alice@example.com" // freed by alice's update
	must(t, s.UpdateUser(ctx, bob))
	wantErr(t, "update missing", s.UpdateUser(ctx, storage.User{ID: "nope", Email: "nope@example.com"}), storage.ErrNotFound)

	// The profile's changes touch their fields only.
	alice.EmailVerified = false
	must(t, s.UpdateUser(ctx, alice))
	must(t, s.SetUserNames(ctx, alice.ID, "Zoë", "O’Neil", base.Add(2*time.Minute)))
	alice.GivenName, alice.FamilyName, alice.UpdatedAt = "Zoë", "O’Neil", base.Add(2*time.Minute)
	got, err = s.GetUser(ctx, alice.ID)
	must(t, err)
	equal(t, "renamed user", alice, got)
	wantErr(t, "rename missing", s.SetUserNames(ctx, "nope", "No", "One", base), storage.ErrNotFound)

	bob, err = s.GetUser(ctx, bob.ID)
	must(t, err)
	wantErr(t, "set taken email", s.SetUserEmail(ctx, alice.ID, bob.Email, true, base.Add(3*time.Minute)), storage.ErrAlreadyExists)
	got, err = s.GetUser(ctx, alice.ID)
	must(t, err)
	equal(t, "user after a refused email", alice, got)
	must(t, s.SetUserEmail(ctx, alice.ID, "zoe@example.com", true, base.Add(3*time.Minute)))
	alice.Email, alice.EmailVerified, alice.UpdatedAt = "zoe@example.com", true, base.Add(3*time.Minute)
	got, err = s.GetUserByEmail(ctx, "zoe@example.com")
	must(t, err)
	equal(t, "user with a new email", alice, got)
	_, err = s.GetUserByEmail(ctx, "alice@wonderland.example")
	wantErr(t, "email before the change", err, storage.ErrNotFound)
	must(t, s.CreateUser(ctx, storage.User{ID: "user-3", Email: "alice@wonderland.example", CreatedAt: base, UpdatedAt: base}))
	wantErr(t, "set email of missing", s.SetUserEmail(ctx, "nope", "nope@example.com", true, base), storage.ErrNotFound)
}

func testTokens(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	code := storage.Token{
		Kind: storage.TokenAuthorizeCode, Signature: "sig-1", RequestID: "req-1", ClientID: "client-a",
		Subject: "user-1", Active: true, Data: []byte(`{"scopes":["openid"]}`),
		CreatedAt: base, ExpiresAt: base.Add(10 * time.Minute),
	}
	must(t, s.CreateToken(ctx, code))
	wantErr(t, "duplicate", s.CreateToken(ctx, code), storage.ErrAlreadyExists)
	// The kind is part of the key.
	pkce := code
	pkce.Kind = storage.TokenPKCE
	must(t, s.CreateToken(ctx, pkce))

	got, err := s.GetToken(ctx, code.Kind, code.Signature)
	must(t, err)
	equal(t, "token", code, got)
	_, err = s.GetToken(ctx, storage.TokenAccess, code.Signature)
	wantErr(t, "get other kind", err, storage.ErrNotFound)

	must(t, s.ConsumeToken(ctx, code.Kind, code.Signature))
	got, err = s.GetToken(ctx, code.Kind, code.Signature)
	must(t, err)
	code.Active = false
	equal(t, "consumed token is still returned", code, got)
	wantErr(t, "consume twice", s.ConsumeToken(ctx, code.Kind, code.Signature), storage.ErrConflict)
	wantErr(t, "consume missing", s.ConsumeToken(ctx, code.Kind, "nope"), storage.ErrNotFound)
	got, err = s.GetToken(ctx, pkce.Kind, pkce.Signature)
	must(t, err)
	equal(t, "same signature, other kind", pkce, got)

	must(t, s.DeleteToken(ctx, code.Kind, code.Signature))
	_, err = s.GetToken(ctx, code.Kind, code.Signature)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteToken(ctx, code.Kind, code.Signature), storage.ErrNotFound)
	_, err = s.GetToken(ctx, pkce.Kind, pkce.Signature)
	must(t, err)
}

func testTokenDeactivation(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	tok := func(kind storage.TokenKind, sig, requestID, subject string) storage.Token {
		return storage.Token{Kind: kind, Signature: sig, RequestID: requestID, ClientID: "client-a",
			Subject: subject, Active: true, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	}
	tokens := []storage.Token{
		tok(storage.TokenRefresh, "r1", "req-1", "alice"),
		tok(storage.TokenRefresh, "r2", "req-1", "alice"),
		tok(storage.TokenAccess, "a1", "req-1", "alice"),
		tok(storage.TokenRefresh, "r3", "req-2", "alice"),
		tok(storage.TokenAccess, "a2", "req-2", "alice"),
		tok(storage.TokenAccess, "a3", "req-3", "bob"),
	}
	for _, x := range tokens {
		must(t, s.CreateToken(ctx, x))
	}
	active := func() map[string]bool {
		m := map[string]bool{}
		for _, x := range tokens {
			got, err := s.GetToken(ctx, x.Kind, x.Signature)
			must(t, err)
			m[x.Signature] = got.Active
		}
		return m
	}

	must(t, s.DeactivateTokensByRequestID(ctx, storage.TokenRefresh, "req-1"))
	equal(t, "after family revocation", map[string]bool{
		"r1": false, "r2": false, "a1": true, "r3": true, "a2": true, "a3": true,
	}, active())

	must(t, s.DeactivateTokensBySubject(ctx, storage.TokenAccess, "alice"))
	equal(t, "after subject revocation", map[string]bool{
		"r1": false, "r2": false, "a1": false, "r3": true, "a2": false, "a3": true,
	}, active())

	// Nothing matching is not an error.
	must(t, s.DeactivateTokensByRequestID(ctx, storage.TokenRefresh, "req-none"))
	must(t, s.DeactivateTokensBySubject(ctx, storage.TokenRefresh, "nobody"))
}

func testDeleteExpiredTokens(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	expiries := map[string]time.Time{
		"old":      base.Add(-time.Hour),
		"just-old": base.Add(-time.Microsecond),
		"now":      base, // not before base, so kept
		"later":    base.Add(time.Hour),
	}
	for sig, exp := range expiries {
		for _, kind := range []storage.TokenKind{storage.TokenAccess, storage.TokenRefresh} {
			must(t, s.CreateToken(ctx, storage.Token{Kind: kind, Signature: sig, Active: true, CreatedAt: base.Add(-2 * time.Hour), ExpiresAt: exp}))
		}
	}
	n, err := s.DeleteExpiredTokens(ctx, base)
	must(t, err)
	if n != 4 {
		t.Errorf("deleted %d tokens, want 4", n)
	}
	for sig := range expiries {
		_, err := s.GetToken(ctx, storage.TokenRefresh, sig)
		if gone := errors.Is(err, storage.ErrNotFound); gone != (sig == "old" || sig == "just-old") {
			t.Errorf("token %s: get error %v after cleanup", sig, err)
		}
	}
}

func testFlows(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	f := storage.Flow{
		ID: "flow-1", BrowserHash: "bh", ClientID: "client-a",
		AuthorizeQuery: "client_id=client-a&response_type=code&scope=openid",
		RequestedAt:    base, Kind: "authorize", State: "login", ExpiresAt: base.Add(15 * time.Minute), Version: 1,
	}
	must(t, s.CreateFlowAudited(ctx, f, nil))
	wantErr(t, "duplicate", s.CreateFlowAudited(ctx, f, nil), storage.ErrAlreadyExists)
	got, err := s.GetFlow(ctx, f.ID)
	must(t, err)
	equal(t, "flow", f, got)
	_, err = s.GetFlow(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)

	f.State, f.Kind, f.Declined = "consent", "account", true // every field is written
	f.ReturnTo, f.Reset = "/account/totp/add?replace=1", true
	f.UserID = "user-1"
	f.Proven = []storage.FactorProof{
		{Method: "pwd", At: base.Add(time.Minute)},
		// Any location must round-trip as the same instant.
		{Method: "otp", At: base.Add(2 * time.Minute).In(time.FixedZone("UTC+2", 2*60*60))},
	}
	must(t, s.CommitSignIn(ctx, storage.SignIn{Flow: f}))
	got, err = s.GetFlow(ctx, f.ID)
	must(t, err)
	f.Version = 2
	equal(t, "updated flow", f, got)

	stale := f
	stale.Version = 1
	stale.State = "done"
	wantErr(t, "stale update", s.CommitSignIn(ctx, storage.SignIn{Flow: stale}), storage.ErrConflict)
	got, err = s.GetFlow(ctx, f.ID)
	must(t, err)
	equal(t, "flow after stale update", f, got)

	f.State = "done"
	must(t, s.CommitSignIn(ctx, storage.SignIn{Flow: f}))
	got, err = s.GetFlow(ctx, f.ID)
	must(t, err)
	if got.Version != 3 || got.State != "done" {
		t.Errorf("after second update: version %d state %q, want 3 \"done\"", got.Version, got.State)
	}
	wantErr(t, "update missing", s.CommitSignIn(ctx, storage.SignIn{Flow: storage.Flow{ID: "nope"}}), storage.ErrNotFound)

	must(t, s.DeleteFlow(ctx, f.ID))
	_, err = s.GetFlow(ctx, f.ID)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteFlow(ctx, f.ID), storage.ErrNotFound)

	for id, exp := range map[string]time.Time{"old": base.Add(-time.Second), "now": base, "later": base.Add(time.Second)} {
		must(t, s.CreateFlowAudited(ctx, storage.Flow{ID: id, State: "login", RequestedAt: base, ExpiresAt: exp}, nil))
	}
	n, err := s.DeleteExpiredFlows(ctx, base)
	must(t, err)
	if n != 1 {
		t.Errorf("deleted %d flows, want 1", n)
	}
	_, err = s.GetFlow(ctx, "old")
	wantErr(t, "expired flow", err, storage.ErrNotFound)
	for _, id := range []string{"now", "later"} {
		_, err := s.GetFlow(ctx, id)
		must(t, err)
	}
}

func testSessions(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	sess := func(id, user string, created time.Duration) storage.Session {
		return storage.Session{
			ID: id, UserID: user,
			Factors:   []storage.FactorProof{{Method: "pwd", At: base.Add(created)}, {Method: "hwk", At: base.Add(created + time.Second)}},
			AuthTime:  base.Add(created),
			CreatedAt: base.Add(created),
			ExpiresAt: base.Add(created + 24*time.Hour),
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", IP: "198.51.100.7",
			LastSeenAt: base.Add(created),
		}
	}
	a1, a2, a3 := sess("s-a1", "alice", 0), sess("s-a2", "alice", 2*time.Hour), sess("s-a3", "alice", time.Hour)
	b1 := sess("s-b1", "bob", time.Hour)
	for _, x := range []storage.Session{a1, a2, a3, b1} {
		must(t, s.CreateSession(ctx, x))
	}
	wantErr(t, "duplicate", s.CreateSession(ctx, a1), storage.ErrAlreadyExists)

	got, err := s.GetSession(ctx, a1.ID)
	must(t, err)
	equal(t, "session", a1, got)
	_, err = s.GetSession(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)

	list, err := s.ListSessionsByUser(ctx, "alice")
	must(t, err)
	equal(t, "alice's sessions, newest first", []storage.Session{a2, a3, a1}, list)
	list, err = s.ListSessionsByUser(ctx, "nobody")
	must(t, err)
	equal(t, "nobody's sessions", []storage.Session(nil), list)

	// A removed factor's proof leaves the session; the rest is kept as it was.
	kept := []storage.FactorProof{{Method: "pwd", At: base.Add(time.Hour)}}
	must(t, s.SetSessionFactors(ctx, a3.ID, kept, base.Add(time.Hour)))
	got, err = s.GetSession(ctx, a3.ID)
	must(t, err)
	a3.Factors, a3.AuthTime = kept, base.Add(time.Hour)
	equal(t, "session after its factors were set", a3, got)
	wantErr(t, "set factors of a missing session", s.SetSessionFactors(ctx, "nope", kept, base), storage.ErrNotFound)

	// Using a session moves its last use, nothing else.
	must(t, s.TouchSession(ctx, a3.ID, base.Add(3*time.Hour)))
	got, err = s.GetSession(ctx, a3.ID)
	must(t, err)
	a3.LastSeenAt = base.Add(3 * time.Hour)
	equal(t, "session after it was used", a3, got)
	wantErr(t, "touch a missing session", s.TouchSession(ctx, "nope", base), storage.ErrNotFound)

	must(t, s.DeleteSession(ctx, a3.ID))
	wantErr(t, "delete missing", s.DeleteSession(ctx, a3.ID), storage.ErrNotFound)
	n, err := s.DeleteSessionsByUser(ctx, "alice")
	must(t, err)
	if n != 2 {
		t.Errorf("deleted %d of alice's sessions, want 2", n)
	}
	list, err = s.ListSessionsByUser(ctx, "alice")
	must(t, err)
	equal(t, "alice's sessions after delete", []storage.Session(nil), list)
	list, err = s.ListSessionsByUser(ctx, "bob")
	must(t, err)
	equal(t, "bob's sessions", []storage.Session{b1}, list)

	// b1 expires at base+25h; the cleanup keeps a session expiring exactly then.
	n, err = s.DeleteExpiredSessions(ctx, b1.ExpiresAt)
	must(t, err)
	if n != 0 {
		t.Errorf("deleted %d sessions at their expiry, want 0", n)
	}
	n, err = s.DeleteExpiredSessions(ctx, b1.ExpiresAt.Add(time.Microsecond))
	must(t, err)
	if n != 1 {
		t.Errorf("deleted %d expired sessions, want 1", n)
	}
	_, err = s.GetSession(ctx, b1.ID)
	wantErr(t, "expired session", err, storage.ErrNotFound)
}

func testConsents(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	_, err := s.GetConsent(ctx, "alice", "client-a")
	wantErr(t, "get missing", err, storage.ErrNotFound)

	c := storage.Consent{UserID: "alice", ClientID: "client-a", Scopes: []string{"openid", "email"}, GrantedAt: base}
	other := storage.Consent{UserID: "alice", ClientID: "client-b", Scopes: []string{"openid"}, GrantedAt: base}
	must(t, s.SaveConsent(ctx, c))
	must(t, s.SaveConsent(ctx, other))
	got, err := s.GetConsent(ctx, c.UserID, c.ClientID)
	must(t, err)
	equal(t, "consent", c, got)

	c.Scopes = []string{"openid"}
	c.GrantedAt = base.Add(time.Hour)
	must(t, s.SaveConsent(ctx, c))
	got, err = s.GetConsent(ctx, c.UserID, c.ClientID)
	must(t, err)
	equal(t, "replaced consent", c, got)
	got, err = s.GetConsent(ctx, other.UserID, other.ClientID)
	must(t, err)
	equal(t, "other consent", other, got)

	must(t, s.DeleteConsent(ctx, c.UserID, c.ClientID))
	_, err = s.GetConsent(ctx, c.UserID, c.ClientID)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteConsent(ctx, c.UserID, c.ClientID), storage.ErrNotFound)
}

func testSigningKeys(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	key := func(id, alg string, created time.Duration) storage.SigningKey {
		return storage.SigningKey{ID: id, Algorithm: alg, PrivateEnc: []byte("enc-" + id),
			PublicJWK: []byte(`{"kid":"` + id + `"}`), CreatedAt: base.Add(created)}
	}
	list, err := s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "no keys", []storage.SigningKey(nil), list)

	rs1, es1, rs2 := key("rs1", "RS256", 0), key("es1", "ES256", time.Minute), key("rs2", "RS256", time.Hour)
	must(t, s.AddSigningKey(ctx, rs1, base.Add(100*time.Hour)))
	must(t, s.AddSigningKey(ctx, es1, base.Add(100*time.Hour)))
	must(t, s.AddSigningKey(ctx, rs2, rs2.CreatedAt.Add(24*time.Hour)))
	// Only the active key of the same algorithm retires, at the new key's CreatedAt.
	rs1.RetiredAt, rs1.ExpiresAt = rs2.CreatedAt, rs2.CreatedAt.Add(24*time.Hour)
	list, err = s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys, newest first", []storage.SigningKey{rs2, es1, rs1}, list)

	// A failed add changes nothing.
	dup := key("rs2", "RS256", 2*time.Hour)
	wantErr(t, "duplicate", s.AddSigningKey(ctx, dup, base.Add(50*time.Hour)), storage.ErrAlreadyExists)
	list, err = s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys after failed add", []storage.SigningKey{rs2, es1, rs1}, list)

	// Retired keys keep their first retirement.
	rs3 := key("rs3", "RS256", 3*time.Hour)
	must(t, s.AddSigningKey(ctx, rs3, rs3.CreatedAt.Add(24*time.Hour)))
	rs2.RetiredAt, rs2.ExpiresAt = rs3.CreatedAt, rs3.CreatedAt.Add(24*time.Hour)
	list, err = s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys after second rotation", []storage.SigningKey{rs3, rs2, es1, rs1}, list)

	n, err := s.DeleteExpiredSigningKeys(ctx, rs1.ExpiresAt)
	must(t, err)
	if n != 0 {
		t.Errorf("deleted %d keys at their expiry, want 0", n)
	}
	// Far in the future: both retired keys go, the active ones stay.
	n, err = s.DeleteExpiredSigningKeys(ctx, base.Add(1000*time.Hour))
	must(t, err)
	if n != 2 {
		t.Errorf("deleted %d expired keys, want 2", n)
	}
	list, err = s.ListSigningKeys(ctx)
	must(t, err)
	equal(t, "keys after cleanup", []storage.SigningKey{rs3, es1}, list)
}

func testThrottle(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	const key, window = "login:alice", time.Minute
	steps := []struct {
		op   string // "hit", "count" or "reset"
		key  string
		at   time.Duration // after base
		want int
	}{
		{"count", key, 0, 0},
		{"hit", key, 0, 1},
		{"hit", key, 10 * time.Second, 2},
		{"hit", "login:bob", 20 * time.Second, 1},
		{"hit", key, 59 * time.Second, 3},
		{"count", key, 59 * time.Second, 3},
		{"count", key, time.Minute, 0}, // the window ends at base+1m
		{"hit", key, time.Minute, 1},   // and a new one starts
		{"hit", key, time.Minute + 59*time.Second, 2},
		{"count", key, 2*time.Minute - time.Microsecond, 2},
		{"count", key, 2 * time.Minute, 0},
		{"hit", key, 2*time.Minute + time.Second, 1},
		{"hit", key, 2*time.Minute + 2*time.Second, 2},
		{"reset", key, 0, 0},
		{"count", key, 2*time.Minute + 3*time.Second, 0},
		{"hit", key, 2*time.Minute + 3*time.Second, 1},
		{"reset", "never-hit", 0, 0},
		{"count", "login:bob", 30 * time.Second, 1},
	}
	for i, st := range steps {
		now := base.Add(st.at)
		var got int
		var err error
		switch st.op {
		case "hit":
			got, err = s.HitThrottle(ctx, st.key, window, now)
		case "count":
			got, err = s.ThrottleCount(ctx, st.key, now)
		case "reset":
			err = s.ResetThrottle(ctx, st.key)
		}
		must(t, err)
		if got != st.want {
			t.Errorf("step %d: %s %s at +%v = %d, want %d", i, st.op, st.key, st.at, got, st.want)
		}
	}
}

func testExpiryCleanup(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	if _, err := s.HitThrottle(ctx, "old", time.Minute, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HitThrottle(ctx, "new", time.Minute, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.UseNonce(ctx, "old", base.Add(time.Minute), base); err != nil {
		t.Fatal(err)
	}
	if err := s.UseNonce(ctx, "new", base.Add(2*time.Hour), base); err != nil {
		t.Fatal(err)
	}
	cut := base.Add(30 * time.Minute)
	if n, err := s.DeleteExpiredThrottles(ctx, cut); err != nil || n != 1 {
		t.Errorf("DeleteExpiredThrottles = %d, %v; want 1", n, err)
	}
	if n, err := s.DeleteExpiredNonces(ctx, cut); err != nil || n != 1 {
		t.Errorf("DeleteExpiredNonces = %d, %v; want 1", n, err)
	}
	if n, _ := s.ThrottleCount(ctx, "new", base.Add(time.Hour)); n != 1 {
		t.Errorf("the live counter was removed: count %d", n)
	}
	if err := s.UseNonce(ctx, "new", base.Add(3*time.Hour), base.Add(time.Hour)); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("the live nonce was removed: %v", err)
	}
}

func testNonce(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	steps := []struct {
		key     string
		expires time.Duration // after base
		now     time.Duration
		want    error
	}{
		{"jti-1", 5 * time.Minute, 0, nil},
		{"jti-1", 5 * time.Minute, time.Minute, storage.ErrConflict},
		{"jti-2", 5 * time.Minute, time.Minute, nil},
		{"jti-1", 10 * time.Minute, 5*time.Minute - time.Microsecond, storage.ErrConflict},
		{"jti-1", 10 * time.Minute, 5 * time.Minute, nil}, // expired at exactly base+5m
		{"jti-1", 20 * time.Minute, 6 * time.Minute, storage.ErrConflict},
		{"jti-1", 20 * time.Minute, 10 * time.Minute, nil},
	}
	for i, st := range steps {
		err := s.UseNonce(ctx, st.key, base.Add(st.expires), base.Add(st.now))
		if !errors.Is(err, st.want) {
			t.Errorf("step %d: use %s at +%v: got error %v, want %v", i, st.key, st.now, err, st.want)
		}
	}
}

func testAudit(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	ev := func(id string, at time.Duration, user, client string) storage.AuditEvent {
		return storage.AuditEvent{ID: id, At: base.Add(at), Type: "login.success", UserID: user, ClientID: client,
			IP: "192.0.2.1", Detail: map[string]string{"acr": "1", "id": id}}
	}
	events := []storage.AuditEvent{
		ev("e1", 0, "alice", "app1"),
		ev("e2", time.Minute, "bob", "app1"),
		ev("e3", 2*time.Minute, "alice", "app2"),
		ev("e4", 2*time.Minute, "alice", "app1"), // same At as e3, appended later
		{ID: "e5", At: base.Add(3 * time.Minute), Type: "client.create", ClientID: "app2"},
	}
	for _, e := range events {
		must(t, s.AppendAudit(ctx, e))
	}
	wantErr(t, "duplicate", s.AppendAudit(ctx, events[0]), storage.ErrAlreadyExists)

	all, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	equal(t, "all events", []storage.AuditEvent{events[4], events[3], events[2], events[1], events[0]}, all)

	tests := []struct {
		name   string
		filter storage.AuditFilter
		want   []string
	}{
		{"user", storage.AuditFilter{UserID: "alice"}, []string{"e4", "e3", "e1"}},
		{"client", storage.AuditFilter{ClientID: "app1"}, []string{"e4", "e2", "e1"}},
		{"user and client", storage.AuditFilter{UserID: "alice", ClientID: "app1"}, []string{"e4", "e1"}},
		{"since is inclusive", storage.AuditFilter{Since: base.Add(time.Minute)}, []string{"e5", "e4", "e3", "e2"}},
		{"until is exclusive", storage.AuditFilter{Until: base.Add(2 * time.Minute)}, []string{"e2", "e1"}},
		{"range", storage.AuditFilter{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, []string{"e4", "e3", "e2"}},
		{"limit", storage.AuditFilter{Limit: 2}, []string{"e5", "e4"}},
		{"limit with filter", storage.AuditFilter{UserID: "alice", Limit: 2}, []string{"e4", "e3"}},
		{"limit above count", storage.AuditFilter{ClientID: "app2", Limit: 10}, []string{"e5", "e3"}},
		{"no match", storage.AuditFilter{UserID: "carol"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx, tt.filter)
			must(t, err)
			var ids []string
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			equal(t, "event ids", tt.want, ids)
		})
	}
}

// testCopies checks that neither a slice passed in nor one handed out aliases the
// stored record.
func testCopies(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	scribble := func(b []byte) { b[0] ^= 0xff }

	t.Run("client", func(t *testing.T) {
		c := storage.Client{ID: "c", SecretHash: []byte{1}, RedirectURIs: []string{"https://a/"},
			PostLogoutRedirectURIs: []string{"https://a/"}, GrantTypes: []string{"g"},
			ResponseTypes: []string{"code"}, Scopes: []string{"openid"}, DefaultACRValues: []string{"acr"},
			CreatedAt: base, UpdatedAt: base}
		in := c
		in.SecretHash, in.RedirectURIs, in.Scopes = slices.Clone(c.SecretHash), slices.Clone(c.RedirectURIs), slices.Clone(c.Scopes)
		in.DefaultACRValues = slices.Clone(c.DefaultACRValues)
		must(t, s.CreateClient(ctx, in))
		scribble(in.SecretHash)
		in.RedirectURIs[0], in.Scopes[0], in.DefaultACRValues[0] = "in", "in", "in"
		got, err := s.GetClient(ctx, c.ID)
		must(t, err)
		scribble(got.SecretHash)
		got.RedirectURIs[0], got.PostLogoutRedirectURIs[0], got.GrantTypes[0], got.ResponseTypes[0], got.Scopes[0] = "x", "x", "x", "x", "x"
		got.DefaultACRValues[0] = "x"
		list, err := s.ListClients(ctx)
		must(t, err)
		list[0].RedirectURIs[0], list[0].DefaultACRValues[0] = "x", "x"
		got, err = s.GetClient(ctx, c.ID)
		must(t, err)
		equal(t, "client", c, got)
	})
	t.Run("token", func(t *testing.T) {
		tok := storage.Token{Kind: storage.TokenAccess, Signature: "t", Active: true, Data: []byte("data"), CreatedAt: base, ExpiresAt: base}
		in := tok
		in.Data = slices.Clone(tok.Data)
		must(t, s.CreateToken(ctx, in))
		scribble(in.Data)
		got, err := s.GetToken(ctx, tok.Kind, tok.Signature)
		must(t, err)
		scribble(got.Data)
		got, err = s.GetToken(ctx, tok.Kind, tok.Signature)
		must(t, err)
		equal(t, "token", tok, got)
	})
	t.Run("flow", func(t *testing.T) {
		f := storage.Flow{ID: "f", State: "login", Proven: []storage.FactorProof{{Method: "pwd", At: base}}, RequestedAt: base, ExpiresAt: base}
		in := f
		in.Proven = slices.Clone(f.Proven)
		must(t, s.CreateFlowAudited(ctx, in, nil))
		in.Proven[0].Method = "in"
		got, err := s.GetFlow(ctx, f.ID)
		must(t, err)
		got.Proven[0].Method = "x"
		// An update must copy too.
		must(t, s.CommitSignIn(ctx, storage.SignIn{Flow: got}))
		got.Proven[0].Method = "after update"
		f.Version, f.Proven[0].Method = 1, "x"
		got, err = s.GetFlow(ctx, f.ID)
		must(t, err)
		equal(t, "flow", f, got)
	})
	t.Run("session", func(t *testing.T) {
		x := storage.Session{ID: "s", UserID: "u", Factors: []storage.FactorProof{{Method: "pwd", At: base}}, AuthTime: base, CreatedAt: base, ExpiresAt: base}
		in := x
		in.Factors = slices.Clone(x.Factors)
		must(t, s.CreateSession(ctx, in))
		in.Factors[0].Method = "in"
		got, err := s.GetSession(ctx, x.ID)
		must(t, err)
		got.Factors[0].Method = "x"
		list, err := s.ListSessionsByUser(ctx, x.UserID)
		must(t, err)
		list[0].Factors[0].Method = "x"
		got, err = s.GetSession(ctx, x.ID)
		must(t, err)
		equal(t, "session", x, got)
	})
	t.Run("consent", func(t *testing.T) {
		c := storage.Consent{UserID: "u", ClientID: "c", Scopes: []string{"openid"}, GrantedAt: base}
		in := c
		in.Scopes = slices.Clone(c.Scopes)
		must(t, s.SaveConsent(ctx, in))
		in.Scopes[0] = "in"
		got, err := s.GetConsent(ctx, c.UserID, c.ClientID)
		must(t, err)
		got.Scopes[0] = "x"
		got, err = s.GetConsent(ctx, c.UserID, c.ClientID)
		must(t, err)
		equal(t, "consent", c, got)
	})
	t.Run("signing key", func(t *testing.T) {
		k := storage.SigningKey{ID: "k", Algorithm: "ES256", PrivateEnc: []byte("priv"), PublicJWK: []byte("pub"), CreatedAt: base}
		in := k
		in.PrivateEnc, in.PublicJWK = slices.Clone(k.PrivateEnc), slices.Clone(k.PublicJWK)
		must(t, s.AddSigningKey(ctx, in, base))
		scribble(in.PrivateEnc)
		scribble(in.PublicJWK)
		list, err := s.ListSigningKeys(ctx)
		must(t, err)
		scribble(list[0].PrivateEnc)
		scribble(list[0].PublicJWK)
		list, err = s.ListSigningKeys(ctx)
		must(t, err)
		equal(t, "keys", []storage.SigningKey{k}, list)
	})
	t.Run("totp device", func(t *testing.T) {
		d := storage.TOTPDevice{ID: "d", UserID: "u", SecretEnc: []byte("secret"), CreatedAt: base}
		in := d
		in.SecretEnc = slices.Clone(d.SecretEnc)
		must(t, s.CreateTOTPDevice(ctx, in))
		scribble(in.SecretEnc)
		got, err := s.GetTOTPDevice(ctx, d.ID)
		must(t, err)
		scribble(got.SecretEnc)
		list, err := s.ListTOTPDevices(ctx, d.UserID)
		must(t, err)
		scribble(list[0].SecretEnc)
		got, err = s.GetTOTPDevice(ctx, d.ID)
		must(t, err)
		equal(t, "totp device", d, got)
	})
	t.Run("recovery codes", func(t *testing.T) {
		hashes := []string{"h1", "h2"}
		must(t, s.ReplaceRecoveryCodes(ctx, "u", hashes, base))
		hashes[0] = "x"
		must(t, s.UseRecoveryCode(ctx, "u", "h1", base))
		wantErr(t, "use the changed hash", s.UseRecoveryCode(ctx, "u", "x", base), storage.ErrNotFound)
	})
	t.Run("webauthn credential", func(t *testing.T) {
		c := storage.WebAuthnCredential{ID: []byte("cred"), UserID: "u", PublicKey: []byte("cose"),
			Transports: []string{"usb", "nfc"}, AAGUID: []byte("aaguid"), CreatedAt: base}
		in := c
		in.ID, in.PublicKey, in.AAGUID = slices.Clone(c.ID), slices.Clone(c.PublicKey), slices.Clone(c.AAGUID)
		in.Transports = slices.Clone(c.Transports)
		must(t, s.CreateWebAuthnCredential(ctx, in))
		scribble(in.ID)
		scribble(in.PublicKey)
		scribble(in.AAGUID)
		in.Transports[0] = "in"
		id := slices.Clone(c.ID)
		got, err := s.GetWebAuthnCredential(ctx, id)
		must(t, err)
		scribble(id)
		scribble(got.ID)
		scribble(got.PublicKey)
		scribble(got.AAGUID)
		got.Transports[0] = "x"
		list, err := s.ListWebAuthnCredentials(ctx, c.UserID)
		must(t, err)
		scribble(list[0].ID)
		scribble(list[0].PublicKey)
		scribble(list[0].AAGUID)
		list[0].Transports[0] = "x"
		got, err = s.GetWebAuthnCredential(ctx, c.ID)
		must(t, err)
		equal(t, "webauthn credential", c, got)
	})
	t.Run("ceremony", func(t *testing.T) {
		data := []byte("challenge")
		in := slices.Clone(data)
		must(t, s.PutCeremony(ctx, "k", in, base.Add(time.Minute)))
		scribble(in)
		got, err := s.TakeCeremony(ctx, "k", base)
		must(t, err)
		equal(t, "ceremony data", data, got)
	})
	t.Run("audit", func(t *testing.T) {
		e := storage.AuditEvent{ID: "e", At: base, Type: "x", Detail: map[string]string{"k": "v"}}
		in := e
		in.Detail = map[string]string{"k": "v"}
		must(t, s.AppendAudit(ctx, in))
		in.Detail["k"] = "in"
		got, err := s.ListAudit(ctx, storage.AuditFilter{})
		must(t, err)
		got[0].Detail["k"] = "x"
		got, err = s.ListAudit(ctx, storage.AuditFilter{})
		must(t, err)
		equal(t, "events", []storage.AuditEvent{e}, got)
	})
}

func testTokenBatches(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	tok := func(kind storage.TokenKind, sig string) storage.Token {
		return storage.Token{Kind: kind, Signature: sig, RequestID: "req-b", ClientID: "client-a", Subject: "user-1",
			Active: true, Data: []byte(`{"k":"` + string(kind) + `"}`), CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	}
	batch := []storage.Token{tok(storage.TokenAuthorizeCode, "sig-b"), tok(storage.TokenPKCE, "sig-b"), tok(storage.TokenOIDC, "sig-b")}
	if err := s.CreateTokens(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTokens(ctx, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	got, err := s.GetTokens(ctx, "sig-b", storage.TokenOIDC, storage.TokenAccess, storage.TokenAuthorizeCode, storage.TokenPKCE)
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.Token{batch[2], batch[0], batch[1]}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("GetTokens in the order asked, skipping what is missing (-want +got):\n%s", diff)
	}
	if got, err := s.GetTokens(ctx, "no-such", storage.TokenAuthorizeCode); err != nil || len(got) != 0 {
		t.Fatalf("GetTokens of nothing = %v, %v", got, err)
	}

	// One token that exists already fails the whole batch, and nothing is stored.
	clash := []storage.Token{tok(storage.TokenAccess, "sig-new"), tok(storage.TokenPKCE, "sig-b")}
	if err := s.CreateTokens(ctx, clash); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("batch with an existing token: %v", err)
	}
	if _, err := s.GetToken(ctx, storage.TokenAccess, "sig-new"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a failed batch stored a token: %v", err)
	}
	twice := []storage.Token{tok(storage.TokenAccess, "sig-twice"), tok(storage.TokenAccess, "sig-twice")}
	if err := s.CreateTokens(ctx, twice); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("batch naming one token twice: %v", err)
	}
	if _, err := s.GetToken(ctx, storage.TokenAccess, "sig-twice"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a failed batch stored a token: %v", err)
	}
}

func testAuditBatches(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	ev := func(id string) storage.AuditEvent {
		return storage.AuditEvent{ID: id, At: base, Type: "policy.decision", UserID: "u1", IP: "192.0.2.1", Detail: map[string]string{"id": id}}
	}
	if err := s.AppendAudits(ctx, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	if err := s.AppendAudits(ctx, []storage.AuditEvent{ev("a"), ev("b"), ev("c")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAudit(ctx, storage.AuditFilter{UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	// Same At: newest appended first, so a batch keeps its order.
	if !slices.Equal(ids, []string{"c", "b", "a"}) {
		t.Fatalf("listed %v, want [c b a]", ids)
	}
	if diff := cmp.Diff(ev("b"), got[1]); diff != "" {
		t.Fatalf("stored event differs (-want +got):\n%s", diff)
	}
	for name, batch := range map[string][]storage.AuditEvent{
		"an ID in use":      {ev("d"), ev("a")},
		"an ID given twice": {ev("e"), ev("e")},
	} {
		if err := s.AppendAudits(ctx, batch); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got, _ := s.ListAudit(ctx, storage.AuditFilter{UserID: "u1"}); len(got) != 3 {
		t.Fatalf("a failed batch appended events: %d listed", len(got))
	}
}
