package conformance

import (
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func testTOTPDevices(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	dev := func(id, user string, created time.Duration) storage.TOTPDevice {
		return storage.TOTPDevice{ID: id, UserID: user, Name: "phone " + id, SecretEnc: []byte("enc-" + id),
			CreatedAt: base.Add(created)}
	}
	// Creation order differs from ID order, so the list must sort by CreatedAt.
	a1, a2, a3 := dev("totp-a1", "alice", 2*time.Hour), dev("totp-a2", "alice", 0), dev("totp-a3", "alice", time.Hour)
	// bob's device arrives active, with every time set, in another location.
	b1 := dev("totp-b1", "bob", time.Minute)
	b1.Active, b1.LastStep = true, 58100000
	b1.ConfirmedAt = base.Add(2 * time.Minute).In(time.FixedZone("UTC-5", -5*60*60))
	b1.LastUsedAt = base.Add(3 * time.Minute)
	for _, d := range []storage.TOTPDevice{a1, a2, a3, b1} {
		must(t, s.CreateTOTPDevice(ctx, d))
	}
	wantErr(t, "duplicate", s.CreateTOTPDevice(ctx, a1), storage.ErrAlreadyExists)

	get := func(id string) storage.TOTPDevice {
		t.Helper()
		d, err := s.GetTOTPDevice(ctx, id)
		must(t, err)
		return d
	}
	equal(t, "inactive device, unset times", a1, get(a1.ID))
	equal(t, "active device", b1, get(b1.ID))
	_, err := s.GetTOTPDevice(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)

	list, err := s.ListTOTPDevices(ctx, "alice")
	must(t, err)
	equal(t, "alice's devices, oldest first", []storage.TOTPDevice{a2, a3, a1}, list)
	list, err = s.ListTOTPDevices(ctx, "nobody")
	must(t, err)
	equal(t, "nobody's devices", []storage.TOTPDevice(nil), list)

	// An inactive device accepts no code.
	wantErr(t, "advance inactive", s.AdvanceTOTPStep(ctx, a1.ID, 58100001, base), storage.ErrConflict)
	wantErr(t, "advance missing", s.AdvanceTOTPStep(ctx, "nope", 58100001, base), storage.ErrNotFound)
	equal(t, "device after failed advance", a1, get(a1.ID))

	at := base.Add(3 * time.Hour)
	must(t, s.ActivateTOTPDevice(ctx, a1.ID, 58100360, at, false))
	a1.Active, a1.LastStep, a1.ConfirmedAt, a1.LastUsedAt = true, 58100360, at, at
	equal(t, "activated device", a1, get(a1.ID))
	wantErr(t, "activate twice", s.ActivateTOTPDevice(ctx, a1.ID, 58100361, at.Add(time.Minute), false), storage.ErrConflict)
	wantErr(t, "activate missing", s.ActivateTOTPDevice(ctx, "nope", 58100361, at, false), storage.ErrNotFound)
	equal(t, "device after second activation", a1, get(a1.ID))
	list, err = s.ListTOTPDevices(ctx, "alice")
	must(t, err)
	equal(t, "activating without revoking keeps the others", []storage.TOTPDevice{a2, a3, a1}, list)

	// Steps only go up.
	wantErr(t, "advance to the same step", s.AdvanceTOTPStep(ctx, a1.ID, 58100360, at.Add(time.Second)), storage.ErrConflict)
	wantErr(t, "advance to an earlier step", s.AdvanceTOTPStep(ctx, a1.ID, 58100359, at.Add(time.Second)), storage.ErrConflict)
	equal(t, "device after refused advances", a1, get(a1.ID))
	used := at.Add(30 * time.Second)
	must(t, s.AdvanceTOTPStep(ctx, a1.ID, 58100361, used))
	a1.LastStep, a1.LastUsedAt = 58100361, used // ConfirmedAt stays
	equal(t, "advanced device", a1, get(a1.ID))
	wantErr(t, "replay the step", s.AdvanceTOTPStep(ctx, a1.ID, 58100361, used.Add(time.Second)), storage.ErrConflict)
	// Skipping steps is fine: the caller accepts a small window.
	used = used.Add(90 * time.Second)
	must(t, s.AdvanceTOTPStep(ctx, a1.ID, 58100364, used))
	a1.LastStep, a1.LastUsedAt = 58100364, used
	equal(t, "device after skipping steps", a1, get(a1.ID))

	// Activating with revokeOthers deletes the user's other devices, active or not,
	// and nobody else's.
	at = at.Add(time.Hour)
	must(t, s.ActivateTOTPDevice(ctx, a2.ID, 58100480, at, true))
	a2.Active, a2.LastStep, a2.ConfirmedAt, a2.LastUsedAt = true, 58100480, at, at
	list, err = s.ListTOTPDevices(ctx, "alice")
	must(t, err)
	equal(t, "alice's devices after revoking the others", []storage.TOTPDevice{a2}, list)
	_, err = s.GetTOTPDevice(ctx, a1.ID)
	wantErr(t, "get revoked device", err, storage.ErrNotFound)
	list, err = s.ListTOTPDevices(ctx, "bob")
	must(t, err)
	equal(t, "bob's devices", []storage.TOTPDevice{b1}, list)

	must(t, s.RenameTOTPDevice(ctx, a2.ID, "Work phone"))
	got, err := s.GetTOTPDevice(ctx, a2.ID)
	must(t, err)
	a2.Name = "Work phone"
	equal(t, "renamed device", a2, got)
	wantErr(t, "rename missing", s.RenameTOTPDevice(ctx, "no-such-device", "x"), storage.ErrNotFound)

	must(t, s.DeleteTOTPDevice(ctx, a2.ID))
	_, err = s.GetTOTPDevice(ctx, a2.ID)
	wantErr(t, "get deleted", err, storage.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteTOTPDevice(ctx, a2.ID), storage.ErrNotFound)
	wantErr(t, "advance deleted", s.AdvanceTOTPStep(ctx, a2.ID, 58100481, at), storage.ErrNotFound)

	for _, d := range []storage.TOTPDevice{dev("totp-a4", "alice", 0), dev("totp-a5", "alice", time.Second)} {
		must(t, s.CreateTOTPDevice(ctx, d))
	}
	n, err := s.DeleteTOTPDevicesByUser(ctx, "alice")
	must(t, err)
	if n != 2 {
		t.Errorf("deleted %d of alice's devices, want 2", n)
	}
	list, err = s.ListTOTPDevices(ctx, "alice")
	must(t, err)
	equal(t, "alice's devices after delete", []storage.TOTPDevice(nil), list)
	n, err = s.DeleteTOTPDevicesByUser(ctx, "nobody")
	must(t, err)
	if n != 0 {
		t.Errorf("deleted %d of nobody's devices, want 0", n)
	}
	equal(t, "bob's device after alice's delete", b1, get(b1.ID))
}

func testRecoveryCodes(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	counts := func(user string, wantTotal, wantUnused int) {
		t.Helper()
		total, unused, err := s.CountRecoveryCodes(ctx, user)
		must(t, err)
		if total != wantTotal || unused != wantUnused {
			t.Errorf("%s has %d codes, %d unused; want %d, %d unused", user, total, unused, wantTotal, wantUnused)
		}
	}
	counts("alice", 0, 0)
	wantErr(t, "use without codes", s.UseRecoveryCode(ctx, "alice", "h1", base), storage.ErrNotFound)

	must(t, s.ReplaceRecoveryCodes(ctx, "alice", []string{"h1", "h2", "h3"}, base))
	// Hashes are unique per user only.
	must(t, s.ReplaceRecoveryCodes(ctx, "bob", []string{"h1", "hb"}, base))
	counts("alice", 3, 3)
	counts("bob", 2, 2)

	at := base.Add(time.Hour)
	must(t, s.UseRecoveryCode(ctx, "alice", "h1", at))
	wantErr(t, "use twice", s.UseRecoveryCode(ctx, "alice", "h1", at.Add(time.Second)), storage.ErrConflict)
	wantErr(t, "use unknown", s.UseRecoveryCode(ctx, "alice", "h9", at), storage.ErrNotFound)
	wantErr(t, "use another user's code", s.UseRecoveryCode(ctx, "alice", "hb", at), storage.ErrNotFound)
	counts("alice", 3, 2)
	counts("bob", 2, 2)
	must(t, s.UseRecoveryCode(ctx, "bob", "h1", at))
	counts("bob", 2, 1)

	// A new set replaces the old one, used codes and unused alike.
	must(t, s.ReplaceRecoveryCodes(ctx, "alice", []string{"h4", "h5"}, at))
	counts("alice", 2, 2)
	wantErr(t, "use a replaced unused code", s.UseRecoveryCode(ctx, "alice", "h2", at), storage.ErrNotFound)
	wantErr(t, "use a replaced used code", s.UseRecoveryCode(ctx, "alice", "h1", at), storage.ErrNotFound)

	// A failed replace changes nothing.
	wantErr(t, "replace with a duplicate", s.ReplaceRecoveryCodes(ctx, "alice", []string{"h6", "h7", "h6"}, at), storage.ErrAlreadyExists)
	counts("alice", 2, 2)
	wantErr(t, "use from the failed set", s.UseRecoveryCode(ctx, "alice", "h7", at), storage.ErrNotFound)
	must(t, s.UseRecoveryCode(ctx, "alice", "h4", at))
	counts("alice", 2, 1)

	must(t, s.ReplaceRecoveryCodes(ctx, "alice", nil, at))
	counts("alice", 0, 0)
	must(t, s.ReplaceRecoveryCodes(ctx, "alice", []string{"h8"}, at))
	counts("alice", 1, 1)
	must(t, s.DeleteRecoveryCodes(ctx, "alice"))
	counts("alice", 0, 0)
	wantErr(t, "use a deleted code", s.UseRecoveryCode(ctx, "alice", "h8", at), storage.ErrNotFound)
	must(t, s.DeleteRecoveryCodes(ctx, "alice")) // none left is not an error
	counts("bob", 2, 1)
}
