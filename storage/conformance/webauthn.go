package conformance

import (
	"errors"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func testWebAuthnCredentials(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	cred := func(id, user string, created time.Duration) storage.WebAuthnCredential {
		return storage.WebAuthnCredential{ID: []byte(id), UserID: user, Name: "key " + id,
			PublicKey: []byte("cose-" + id), AttestationType: "none", CreatedAt: base.Add(created)}
	}
	// Creation order differs from ID order, so the list must sort by CreatedAt.
	a1, a2, a3 := cred("cred-a1", "alice", 2*time.Hour), cred("cred-a2", "alice", 0), cred("cred-a3", "alice", time.Hour)
	// bob's passkey has every field set, a counter beyond int32 and a last use in
	// another location; its ID holds bytes that are not valid UTF-8.
	b1 := storage.WebAuthnCredential{ID: []byte{0x00, 0xff, 0xfe, 0x80, 0x01}, UserID: "bob", Name: "Passkey",
		PublicKey: []byte{0xa5, 0x01, 0x02, 0x03, 0x26}, AttestationType: "packed",
		Transports: []string{"internal", "hybrid"}, AAGUID: []byte{0xad, 0xce, 0x00, 0x02, 0x35, 0xbc, 0xc6, 0x0a, 0x64, 0x8b, 0x0b, 0x25, 0xf1, 0xf0, 0x55, 0x03},
		SignCount: 1<<32 - 2, UserVerified: true, Discoverable: true, BackupEligible: true, BackupState: true,
		CreatedAt: base.Add(time.Minute), LastUsedAt: base.Add(2 * time.Minute).In(time.FixedZone("UTC-5", -5*60*60))}
	for _, c := range []storage.WebAuthnCredential{a1, a2, a3, b1} {
		must(t, s.CreateWebAuthnCredential(ctx, c))
	}
	wantErr(t, "duplicate", s.CreateWebAuthnCredential(ctx, a1), storage.ErrAlreadyExists)
	// Credential IDs are unique across users.
	dup := b1
	dup.UserID = "alice"
	wantErr(t, "another user's credential id", s.CreateWebAuthnCredential(ctx, dup), storage.ErrAlreadyExists)

	get := func(id []byte) storage.WebAuthnCredential {
		t.Helper()
		c, err := s.GetWebAuthnCredential(ctx, id)
		must(t, err)
		return c
	}
	equal(t, "credential with unset fields", a1, get(a1.ID))
	equal(t, "credential with every field", b1, get(b1.ID))
	_, err := s.GetWebAuthnCredential(ctx, []byte("nope"))
	wantErr(t, "get missing", err, storage.ErrNotFound)
	// A prefix of an ID is another ID.
	_, err = s.GetWebAuthnCredential(ctx, b1.ID[:4])
	wantErr(t, "get a prefix", err, storage.ErrNotFound)

	list, err := s.ListWebAuthnCredentials(ctx, "alice")
	must(t, err)
	equal(t, "alice's credentials, oldest first", []storage.WebAuthnCredential{a2, a3, a1}, list)
	list, err = s.ListWebAuthnCredentials(ctx, "bob")
	must(t, err)
	equal(t, "bob's credentials", []storage.WebAuthnCredential{b1}, list)
	list, err = s.ListWebAuthnCredentials(ctx, "nobody")
	must(t, err)
	equal(t, "nobody's credentials", []storage.WebAuthnCredential(nil), list)

	// Counters go up to the top of the uint32 range.
	used := base.Add(time.Hour)
	must(t, s.UseWebAuthnCredential(ctx, b1.ID, 1<<32-1, used))
	b1.SignCount, b1.LastUsedAt = 1<<32-1, used
	equal(t, "bob's passkey at the top counter", b1, get(b1.ID))
	wantErr(t, "use at the top counter again", s.UseWebAuthnCredential(ctx, b1.ID, 1<<32-1, used), storage.ErrConflict)

	must(t, s.RenameWebAuthnCredential(ctx, a2.ID, "YubiKey"))
	a2.Name = "YubiKey"
	equal(t, "renamed credential", a2, get(a2.ID))
	wantErr(t, "rename missing", s.RenameWebAuthnCredential(ctx, []byte("nope"), "x"), storage.ErrNotFound)

	must(t, s.DeleteWebAuthnCredential(ctx, a2.ID))
	_, err = s.GetWebAuthnCredential(ctx, a2.ID)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteWebAuthnCredential(ctx, a2.ID), storage.ErrNotFound)
	wantErr(t, "use deleted", s.UseWebAuthnCredential(ctx, a2.ID, 1, used), storage.ErrNotFound)
	// The ID is free again.
	must(t, s.CreateWebAuthnCredential(ctx, a2))
	list, err = s.ListWebAuthnCredentials(ctx, "alice")
	must(t, err)
	equal(t, "alice's credentials after re-creating one", []storage.WebAuthnCredential{a2, a3, a1}, list)

	n, err := s.DeleteWebAuthnCredentialsByUser(ctx, "alice")
	must(t, err)
	if n != 3 {
		t.Errorf("deleted %d of alice's credentials, want 3", n)
	}
	list, err = s.ListWebAuthnCredentials(ctx, "alice")
	must(t, err)
	equal(t, "alice's credentials after delete", []storage.WebAuthnCredential(nil), list)
	n, err = s.DeleteWebAuthnCredentialsByUser(ctx, "nobody")
	must(t, err)
	if n != 0 {
		t.Errorf("deleted %d of nobody's credentials, want 0", n)
	}
	equal(t, "bob's passkey after alice's delete", b1, get(b1.ID))
}

func testUseWebAuthnCredential(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	c := storage.WebAuthnCredential{ID: []byte("cred"), UserID: "alice", Name: "key", PublicKey: []byte("cose"),
		AttestationType: "none", CreatedAt: base}
	must(t, s.CreateWebAuthnCredential(ctx, c))
	steps := []struct {
		count uint32
		want  error
	}{
		{0, nil}, // an authenticator without a counter: 0 after 0 is fine
		{0, nil}, // ... every time
		{5, nil}, // it may start counting
		{5, storage.ErrConflict},
		{3, storage.ErrConflict},
		{0, storage.ErrConflict}, // once counting, 0 is going backwards
		{6, nil},
		{9, nil}, // skipping is fine
		{7, storage.ErrConflict},
	}
	for i, st := range steps {
		at := base.Add(time.Duration(i+1) * time.Minute)
		before, err := s.GetWebAuthnCredential(ctx, c.ID)
		must(t, err)
		err = s.UseWebAuthnCredential(ctx, c.ID, st.count, at)
		if !errors.Is(err, st.want) {
			t.Errorf("step %d: use with count %d: got error %v, want %v", i, st.count, err, st.want)
		}
		want := before
		if st.want == nil {
			want.SignCount, want.LastUsedAt = st.count, at
		}
		after, err := s.GetWebAuthnCredential(ctx, c.ID)
		must(t, err)
		equal(t, "credential after step", want, after)
	}
	wantErr(t, "use missing", s.UseWebAuthnCredential(ctx, []byte("nope"), 1, base), storage.ErrNotFound)
	wantErr(t, "use missing with count 0", s.UseWebAuthnCredential(ctx, []byte("nope"), 0, base), storage.ErrNotFound)
}

func testCeremonies(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	take := func(what, key string, now time.Time, want []byte) {
		t.Helper()
		got, err := s.TakeCeremony(ctx, key, now)
		must(t, err)
		equal(t, what, want, got)
	}

	must(t, s.PutCeremony(ctx, "reg-1", []byte("challenge-1"), base.Add(5*time.Minute)))
	must(t, s.PutCeremony(ctx, "reg-2", []byte("challenge-2"), base.Add(5*time.Minute)))
	take("take", "reg-1", base.Add(5*time.Minute-time.Microsecond), []byte("challenge-1"))
	_, err := s.TakeCeremony(ctx, "reg-1", base)
	wantErr(t, "take twice", err, storage.ErrNotFound)
	_, err = s.TakeCeremony(ctx, "nope", base)
	wantErr(t, "take missing", err, storage.ErrNotFound)

	// Expired at exactly expiresAt, and removed all the same.
	_, err = s.TakeCeremony(ctx, "reg-2", base.Add(5*time.Minute))
	wantErr(t, "take expired", err, storage.ErrNotFound)
	_, err = s.TakeCeremony(ctx, "reg-2", base)
	wantErr(t, "take after taking expired", err, storage.ErrNotFound)

	// Put replaces data and expiry, even of an expired ceremony.
	must(t, s.PutCeremony(ctx, "login", []byte("old"), base.Add(time.Minute)))
	must(t, s.PutCeremony(ctx, "login", []byte("new"), base.Add(10*time.Minute)))
	take("replaced", "login", base.Add(5*time.Minute), []byte("new"))
	must(t, s.PutCeremony(ctx, "login", []byte("short"), base.Add(10*time.Minute)))
	must(t, s.PutCeremony(ctx, "login", []byte("shorter"), base.Add(time.Minute)))
	_, err = s.TakeCeremony(ctx, "login", base.Add(5*time.Minute))
	wantErr(t, "take after put shortened expiry", err, storage.ErrNotFound)

	// Empty data is data.
	must(t, s.PutCeremony(ctx, "empty", nil, base.Add(time.Minute)))
	take("empty", "empty", base, nil)

	// Cleanup removes what expired strictly before the cut, and only that.
	must(t, s.PutCeremony(ctx, "old", []byte("o"), base))
	must(t, s.PutCeremony(ctx, "edge", []byte("e"), base.Add(time.Minute)))
	must(t, s.PutCeremony(ctx, "live", []byte("l"), base.Add(time.Hour)))
	n, err := s.DeleteExpiredCeremonies(ctx, base.Add(time.Minute))
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteExpiredCeremonies = %d, want 1", n)
	}
	_, err = s.TakeCeremony(ctx, "old", base.Add(-time.Hour))
	wantErr(t, "take a cleaned-up ceremony", err, storage.ErrNotFound)
	take("edge after cleanup", "edge", base, []byte("e"))
	take("live after cleanup", "live", base, []byte("l"))
	n, err = s.DeleteExpiredCeremonies(ctx, base.Add(24*time.Hour))
	must(t, err)
	if n != 0 {
		t.Errorf("DeleteExpiredCeremonies on an empty store = %d, want 0", n)
	}
}
