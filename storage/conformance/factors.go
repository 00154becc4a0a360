package conformance

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// elsewhere is a location other than UTC, to check that times round-trip as instants.
var elsewhere = time.FixedZone("UTC+2", 2*60*60)

func testPhoneNumbers(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	get := func(userID string) storage.PhoneNumber {
		t.Helper()
		p, err := s.GetPhoneNumber(ctx, userID)
		must(t, err)
		return p
	}
	_, err := s.GetPhoneNumber(ctx, "alice")
	wantErr(t, "get missing", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeletePhoneNumber(ctx, "alice"), storage.ErrNotFound)

	alice := storage.PhoneNumber{UserID: "alice", E164: "+4915123456789", Primary: true, VerifiedAt: base}
	bob := storage.PhoneNumber{UserID: "bob", E164: "+14155550123", VerifiedAt: base.Add(time.Minute),
		LastUsedAt: base.Add(time.Hour).In(elsewhere)}
	must(t, s.SetPhoneNumber(ctx, alice))
	must(t, s.SetPhoneNumber(ctx, bob))
	equal(t, "number never used", alice, get("alice"))
	equal(t, "number with every field", bob, get("bob"))

	// Setting again replaces every field, back to zero LastUsedAt too.
	alice = storage.PhoneNumber{UserID: "alice", E164: "+4915987654321", VerifiedAt: base.Add(2 * time.Hour),
		LastUsedAt: base.Add(3 * time.Hour)}
	must(t, s.SetPhoneNumber(ctx, alice))
	equal(t, "replaced number", alice, get("alice"))
	alice.Primary, alice.LastUsedAt = true, time.Time{}
	must(t, s.SetPhoneNumber(ctx, alice))
	equal(t, "replaced number with LastUsedAt unset", alice, get("alice"))

	must(t, s.DeletePhoneNumber(ctx, "alice"))
	_, err = s.GetPhoneNumber(ctx, "alice")
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete twice", s.DeletePhoneNumber(ctx, "alice"), storage.ErrNotFound)
	equal(t, "bob's number after alice's delete", bob, get("bob"))
}

func testOneTimeCodes(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	get := func(key string) storage.OneTimeCode {
		t.Helper()
		c, err := s.GetOneTimeCode(ctx, key)
		must(t, err)
		return c
	}
	_, err := s.GetOneTimeCode(ctx, "sms:login:flow-1")
	wantErr(t, "get missing", err, storage.ErrNotFound)

	c := storage.OneTimeCode{Key: "sms:login:flow-1", UserID: "alice", Hash: "hash-1", Destination: "+4915123456789",
		CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
	must(t, s.PutOneTimeCode(ctx, c))
	equal(t, "code", c, get(c.Key))

	_, err = s.UseOneTimeCode(ctx, c.Key, "wrong", base.Add(time.Minute), 3)
	wantErr(t, "wrong guess", err, storage.ErrConflict)
	c.Attempts = 1
	equal(t, "code after a wrong guess", c, get(c.Key))

	// A resend replaces hash, destination, times and attempts.
	resent := storage.OneTimeCode{Key: c.Key, UserID: "alice", Hash: "hash-2", Destination: "alice@example.com",
		CreatedAt: base.Add(2 * time.Minute).In(elsewhere), ExpiresAt: base.Add(7 * time.Minute)}
	must(t, s.PutOneTimeCode(ctx, resent))
	equal(t, "resent code", resent, get(c.Key))
	_, err = s.UseOneTimeCode(ctx, c.Key, "hash-1", base.Add(3*time.Minute), 3)
	wantErr(t, "the replaced code", err, storage.ErrConflict)

	// The right code works once.
	used := base.Add(4 * time.Minute)
	got, err := s.UseOneTimeCode(ctx, c.Key, "hash-2", used, 3)
	must(t, err)
	resent.Attempts, resent.UsedAt = 1, used
	equal(t, "used code", resent, got)
	equal(t, "stored used code", resent, get(c.Key))
	got, err = s.UseOneTimeCode(ctx, c.Key, "hash-2", used.Add(time.Second), 3)
	wantErr(t, "use twice", err, storage.ErrConflict)
	equal(t, "code refused as used", resent, got)

	// A resend after use gives a fresh, unused code.
	resent.Attempts, resent.UsedAt = 0, time.Time{}
	must(t, s.PutOneTimeCode(ctx, resent))
	equal(t, "code resent after use", resent, get(c.Key))

	must(t, s.DeleteOneTimeCode(ctx, c.Key))
	_, err = s.GetOneTimeCode(ctx, c.Key)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	must(t, s.DeleteOneTimeCode(ctx, c.Key)) // none is not an error

	// Cleanup removes what expired strictly before the cut, and only that.
	for key, exp := range map[string]time.Time{"old": base, "edge": base.Add(time.Minute), "live": base.Add(time.Hour)} {
		must(t, s.PutOneTimeCode(ctx, storage.OneTimeCode{Key: key, UserID: "alice", Hash: "h", CreatedAt: base, ExpiresAt: exp}))
	}
	n, err := s.DeleteExpiredOneTimeCodes(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpiredOneTimeCodes = %d, want 1", n)
	}
	_, err = s.GetOneTimeCode(ctx, "old")
	wantErr(t, "get a cleaned-up code", err, storage.ErrNotFound)
	get("edge")
	get("live")
}

func testUseOneTimeCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	expires := base.Add(5 * time.Minute)
	usedBefore := base.Add(time.Minute)
	tests := []struct {
		name        string
		attempts    int
		usedAt      time.Time
		hash        string
		now         time.Time
		maxAttempts int
		want        error
		// wantAttempts and wantUsed describe the code as stored after the call.
		wantAttempts int
		wantUsed     time.Time
	}{
		{"right", 0, time.Time{}, "right", base.Add(2 * time.Minute), 3, nil, 0, base.Add(2 * time.Minute)},
		{"right after wrong guesses", 2, time.Time{}, "right", base.Add(2 * time.Minute), 3, nil, 2, base.Add(2 * time.Minute)},
		{"right just before expiry", 0, time.Time{}, "right", expires.Add(-time.Microsecond), 3, nil, 0, expires.Add(-time.Microsecond)},
		{"wrong", 0, time.Time{}, "wrong", base.Add(2 * time.Minute), 3, storage.ErrConflict, 1, time.Time{}},
		{"wrong reaching the limit", 2, time.Time{}, "wrong", base.Add(2 * time.Minute), 3, storage.ErrConflict, 3, time.Time{}},
		{"right at the limit", 3, time.Time{}, "right", base.Add(2 * time.Minute), 3, storage.ErrConflict, 3, time.Time{}},
		{"wrong at the limit is not counted", 3, time.Time{}, "wrong", base.Add(2 * time.Minute), 3, storage.ErrConflict, 3, time.Time{}},
		{"right over a lowered limit", 3, time.Time{}, "right", base.Add(2 * time.Minute), 2, storage.ErrConflict, 3, time.Time{}},
		{"right at expiry", 1, time.Time{}, "right", expires, 3, storage.ErrConflict, 1, time.Time{}},
		{"wrong after expiry is not counted", 1, time.Time{}, "wrong", expires.Add(time.Hour), 3, storage.ErrConflict, 1, time.Time{}},
		{"right when used", 0, usedBefore, "right", base.Add(2 * time.Minute), 3, storage.ErrConflict, 0, usedBefore},
		{"wrong when used is not counted", 0, usedBefore, "wrong", base.Add(2 * time.Minute), 3, storage.ErrConflict, 0, usedBefore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := storage.OneTimeCode{Key: "email:login:" + tt.name, UserID: "alice", Hash: "right",
				Destination: "alice@example.com", Attempts: tt.attempts, CreatedAt: base, ExpiresAt: expires, UsedAt: tt.usedAt}
			must(t, s.PutOneTimeCode(ctx, c))
			got, err := s.UseOneTimeCode(ctx, c.Key, tt.hash, tt.now, tt.maxAttempts)
			if !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
			want := c
			want.Attempts, want.UsedAt = tt.wantAttempts, tt.wantUsed
			equal(t, "returned code", want, got)
			stored, err := s.GetOneTimeCode(ctx, c.Key)
			must(t, err)
			equal(t, "stored code", want, stored)
		})
	}
	got, err := s.UseOneTimeCode(ctx, "nope", "right", base, 3)
	wantErr(t, "use missing", err, storage.ErrNotFound)
	equal(t, "code returned for a missing key", storage.OneTimeCode{}, got)
}

func testTrusts(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	trust := func(id, user string, kind storage.TrustKind, created time.Duration) storage.Trust {
		return storage.Trust{ID: id, UserID: user, Kind: kind, Label: "Firefox on Linux", IP: "192.0.2.1",
			CreatedAt: base.Add(created), ExpiresAt: base.Add(30 * 24 * time.Hour)}
	}
	get := func(id string) storage.Trust {
		t.Helper()
		tr, err := s.GetTrust(ctx, id)
		must(t, err)
		return tr
	}
	list := func(what, userID string, want ...storage.Trust) {
		t.Helper()
		got, err := s.ListTrusts(ctx, userID)
		must(t, err)
		equal(t, what, want, got)
	}
	deleteByUser := func(what string, want int, userID string, kinds ...storage.TrustKind) {
		t.Helper()
		n, err := s.DeleteTrustsByUser(ctx, userID, kinds...)
		must(t, err)
		if n != want {
			t.Errorf("%s: deleted %d, want %d", what, n, want)
		}
	}

	_, err := s.GetTrust(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteTrust(ctx, "nope"), storage.ErrNotFound)

	// Creation order differs from ID order, so the list must sort by CreatedAt.
	a1 := trust("trust-a1", "alice", storage.TrustRememberedDevice, 0)
	a2 := trust("trust-a2", "alice", storage.TrustAddress, 2*time.Hour)
	a3 := trust("trust-a3", "alice", storage.TrustKnownDevice, time.Hour)
	a4 := trust("trust-a4", "alice", storage.TrustKnownAddress, 3*time.Hour)
	a4.Label, a4.IP = "2001:db8::1", "2001:db8::1"
	b1 := trust("trust-b1", "bob", storage.TrustRememberedDevice, time.Minute)
	b1.LastUsedAt = base.Add(time.Hour).In(elsewhere)
	for _, tr := range []storage.Trust{a1, a2, a3, a4, b1} {
		must(t, s.PutTrust(ctx, tr))
	}
	equal(t, "trust never used", a1, get(a1.ID))
	equal(t, "trust with every field", b1, get(b1.ID))
	list("alice's trusts, newest first", "alice", a4, a2, a3, a1)
	list("bob's trusts", "bob", b1)
	list("nobody's trusts", "nobody")

	// Put replaces every field.
	a1.Label, a1.IP, a1.LastUsedAt, a1.ExpiresAt = "Chrome on Android", "198.51.100.7", base.Add(time.Hour), base.Add(60*24*time.Hour)
	must(t, s.PutTrust(ctx, a1))
	equal(t, "replaced trust", a1, get(a1.ID))
	a1.LastUsedAt = time.Time{}
	must(t, s.PutTrust(ctx, a1))
	equal(t, "replaced trust with LastUsedAt unset", a1, get(a1.ID))

	must(t, s.DeleteTrust(ctx, a3.ID))
	_, err = s.GetTrust(ctx, a3.ID)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete twice", s.DeleteTrust(ctx, a3.ID), storage.ErrNotFound)
	must(t, s.PutTrust(ctx, a3))

	deleteByUser("alice's devices and addresses", 2, "alice", storage.TrustRememberedDevice, storage.TrustAddress)
	list("alice's trusts after deleting two kinds", "alice", a4, a3)
	deleteByUser("a kind alice no longer has", 0, "alice", storage.TrustAddress)
	deleteByUser("one kind", 1, "alice", storage.TrustKnownDevice)
	list("alice's trusts after deleting one kind", "alice", a4)
	for _, tr := range []storage.Trust{a1, a2, a3} {
		must(t, s.PutTrust(ctx, tr))
	}
	deleteByUser("every kind", 4, "alice")
	list("alice's trusts after deleting every kind", "alice")
	deleteByUser("nobody's trusts", 0, "nobody")
	list("bob's trusts after alice's deletes", "bob", b1)

	// Cleanup removes what expired strictly before the cut, and only that.
	for id, exp := range map[string]time.Time{"old": base, "edge": base.Add(time.Minute), "live": base.Add(time.Hour)} {
		tr := trust(id, "carol", storage.TrustKnownAddress, 0)
		tr.ExpiresAt = exp
		must(t, s.PutTrust(ctx, tr))
	}
	n, err := s.DeleteExpiredTrusts(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpiredTrusts = %d, want 1", n)
	}
	_, err = s.GetTrust(ctx, "old")
	wantErr(t, "get a cleaned-up trust", err, storage.ErrNotFound)
	get("edge")
	get("live")
	equal(t, "bob's trust after cleanup", b1, get(b1.ID))
}

func testConcurrentUseOneTimeCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	c := storage.OneTimeCode{Key: "sms:login:flow", UserID: "alice", Hash: "right", Destination: "+4915123456789",
		CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
	must(t, s.PutOneTimeCode(ctx, c))
	// The same code submitted 20 times at once: one sign-in, 19 refusals as used.
	type result struct {
		code storage.OneTimeCode
		err  error
	}
	results := race(20, func(i int) result {
		code, err := s.UseOneTimeCode(ctx, c.Key, "right", base.Add(time.Duration(i+1)*time.Second), 5)
		return result{code, err}
	})
	errs := make([]error, len(results))
	for i, r := range results {
		errs[i] = r.err
	}
	winner := oneWinner(t, errs)
	c.UsedAt = base.Add(time.Duration(winner+1) * time.Second)
	for i, r := range results {
		equal(t, fmt.Sprintf("code returned to caller %d", i), c, r.code)
	}
	got, err := s.GetOneTimeCode(ctx, c.Key)
	must(t, err)
	equal(t, "stored code", c, got)
}

func testConcurrentWrongOneTimeCodes(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	c := storage.OneTimeCode{Key: "sms:login:flow", UserID: "alice", Hash: "right", Destination: "+4915123456789",
		CreatedAt: base, ExpiresAt: base.Add(5 * time.Minute)}
	must(t, s.PutOneTimeCode(ctx, c))
	const n = 20
	results := race(n, func(i int) int {
		code, err := s.UseOneTimeCode(ctx, c.Key, fmt.Sprintf("wrong-%d", i), base.Add(time.Minute), 100)
		if !errors.Is(err, storage.ErrConflict) {
			t.Errorf("wrong guess %d: got error %v, want %v", i, err, storage.ErrConflict)
		}
		return code.Attempts
	})
	// Every guess is counted, and each caller sees the count its own guess made.
	slices.Sort(results)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	equal(t, "attempts seen by the callers", want, results)
	got, err := s.GetOneTimeCode(ctx, c.Key)
	must(t, err)
	if got.Attempts != n || !got.UsedAt.IsZero() {
		t.Errorf("stored code has %d attempts, used at %v; want %d, unused", got.Attempts, got.UsedAt, n)
	}
}

func testSummarizeFactors(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	none, err := s.SummarizeFactors(ctx, "u1")
	if err != nil || none != (storage.FactorSummary{}) {
		t.Fatalf("no factors: %+v %v", none, err)
	}
	steps := []struct {
		name string
		add  func() error
		want storage.FactorSummary
	}{
		{"inactive app", func() error {
			return s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "d1", UserID: "u1", Name: "App", SecretEnc: []byte("x"), CreatedAt: base})
		}, storage.FactorSummary{}},
		{"active app", func() error { return s.ActivateTOTPDevice(ctx, "d1", 1, base, false) }, storage.FactorSummary{TOTP: true}},
		{"key", func() error {
			return s.CreateWebAuthnCredential(ctx, storage.WebAuthnCredential{ID: []byte("k1"), UserID: "u1", Name: "Key", PublicKey: []byte("pk"), CreatedAt: base})
		}, storage.FactorSummary{TOTP: true, WebAuthn: true}},
		{"phone", func() error {
			return s.SetPhoneNumber(ctx, storage.PhoneNumber{UserID: "u1", E164: "+4915123456789", VerifiedAt: base})
		}, storage.FactorSummary{TOTP: true, WebAuthn: true, Phone: true}},
		{"another user's phone changes nothing", func() error {
			return s.SetPhoneNumber(ctx, storage.PhoneNumber{UserID: "u2", E164: "+4915123456780", VerifiedAt: base})
		}, storage.FactorSummary{TOTP: true, WebAuthn: true, Phone: true}},
		{"recovery codes", func() error {
			return s.ReplaceRecoveryCodes(ctx, "u1", []string{"h1", "h2", "h3"}, base)
		}, storage.FactorSummary{TOTP: true, WebAuthn: true, Phone: true, RecoveryCodes: 3}},
		{"one used", func() error { return s.UseRecoveryCode(ctx, "u1", "h2", base) },
			storage.FactorSummary{TOTP: true, WebAuthn: true, Phone: true, RecoveryCodes: 2}},
		{"another user's codes change nothing", func() error {
			return s.ReplaceRecoveryCodes(ctx, "u2", []string{"h4"}, base)
		}, storage.FactorSummary{TOTP: true, WebAuthn: true, Phone: true, RecoveryCodes: 2}},
	}
	for _, st := range steps {
		if err := st.add(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := s.SummarizeFactors(ctx, "u1")
		if err != nil || got != st.want {
			t.Fatalf("after %s: %+v %v, want %+v", st.name, got, err, st.want)
		}
	}
	if got, err := s.SummarizeFactors(ctx, "u2"); err != nil || got != (storage.FactorSummary{Phone: true, RecoveryCodes: 1}) {
		t.Fatalf("u2: %+v %v", got, err)
	}
}
