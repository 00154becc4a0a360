package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func testEmailLinks(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	reset := storage.EmailLink{Hash: "hash-reset", Purpose: storage.LinkPasswordReset, UserID: "alice",
		Email: "alice@example.com", CreatedAt: base.In(elsewhere), ExpiresAt: base.Add(30 * time.Minute)}
	must(t, s.PutEmailLink(ctx, reset))
	wantErr(t, "a hash in use", s.PutEmailLink(ctx, storage.EmailLink{Hash: reset.Hash, Purpose: storage.LinkInvitation,
		UserID: "bob", Email: "bob@example.com", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}), storage.ErrAlreadyExists)

	got, err := s.GetEmailLink(ctx, storage.LinkPasswordReset, reset.Hash, base.Add(time.Minute))
	must(t, err)
	equal(t, "read link", reset, got)

	// Every way of not being live reads and uses as not found, and changes nothing.
	for _, tt := range []struct {
		name    string
		purpose storage.LinkPurpose
		hash    string
		now     time.Time
	}{
		{"another purpose", storage.LinkEmailChange, reset.Hash, base.Add(time.Minute)},
		{"unknown hash", storage.LinkPasswordReset, "hash-other", base.Add(time.Minute)},
		{"at expiry", storage.LinkPasswordReset, reset.Hash, reset.ExpiresAt},
		{"after expiry", storage.LinkPasswordReset, reset.Hash, reset.ExpiresAt.Add(time.Second)},
	} {
		_, err := s.GetEmailLink(ctx, tt.purpose, tt.hash, tt.now)
		wantErr(t, "get, "+tt.name, err, storage.ErrNotFound)
		_, err = s.UseEmailLink(ctx, tt.purpose, tt.hash, tt.now)
		wantErr(t, "use, "+tt.name, err, storage.ErrNotFound)
	}

	// The link works once.
	used := base.Add(2 * time.Minute)
	got, err = s.UseEmailLink(ctx, storage.LinkPasswordReset, reset.Hash, used)
	must(t, err)
	want := reset
	want.UsedAt = &used
	equal(t, "used link", want, got)
	_, err = s.UseEmailLink(ctx, storage.LinkPasswordReset, reset.Hash, used.Add(time.Second))
	wantErr(t, "use twice", err, storage.ErrNotFound)
	_, err = s.GetEmailLink(ctx, storage.LinkPasswordReset, reset.Hash, used.Add(time.Second))
	wantErr(t, "read a used link", err, storage.ErrNotFound)

	// Deleting by user and purpose leaves the user's other purposes and other users.
	put := func(hash string, p storage.LinkPurpose, user string, expires time.Time) storage.EmailLink {
		t.Helper()
		l := storage.EmailLink{Hash: hash, Purpose: p, UserID: user, Email: user + "@example.com", CreatedAt: base, ExpiresAt: expires}
		must(t, s.PutEmailLink(ctx, l))
		return l
	}
	put("hash-reset-2", storage.LinkPasswordReset, "alice", base.Add(30*time.Minute))
	invite := put("hash-invite", storage.LinkInvitation, "alice", base.Add(7*24*time.Hour))
	bobs := put("hash-bob", storage.LinkPasswordReset, "bob", base.Add(30*time.Minute))
	n, err := s.DeleteEmailLinks(ctx, "alice", storage.LinkPasswordReset)
	must(t, err)
	equal(t, "deleted links, used or not", 2, n)
	_, err = s.GetEmailLink(ctx, storage.LinkPasswordReset, "hash-reset-2", base)
	wantErr(t, "a deleted link", err, storage.ErrNotFound)
	got, err = s.GetEmailLink(ctx, storage.LinkInvitation, invite.Hash, base)
	must(t, err)
	equal(t, "the user's link of another purpose", invite, got)
	got, err = s.GetEmailLink(ctx, storage.LinkPasswordReset, bobs.Hash, base)
	must(t, err)
	equal(t, "another user's link", bobs, got)
	n, err = s.DeleteEmailLinks(ctx, "carol", storage.LinkPasswordReset)
	must(t, err)
	equal(t, "deleted links of a user with none", 0, n)

	// Cleanup removes links that expired before the time, no others.
	n, err = s.DeleteExpiredEmailLinks(ctx, bobs.ExpiresAt)
	must(t, err)
	equal(t, "expired links deleted at bob's expiry", 0, n)
	n, err = s.DeleteExpiredEmailLinks(ctx, bobs.ExpiresAt.Add(time.Second))
	must(t, err)
	equal(t, "expired links deleted after bob's expiry", 1, n)
	got, err = s.GetEmailLink(ctx, storage.LinkInvitation, invite.Hash, base)
	must(t, err)
	equal(t, "a link still live after cleanup", invite, got)
}

func testEmailLinkCopies(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	used := base
	l := storage.EmailLink{Hash: "hash", Purpose: storage.LinkInvitation, UserID: "alice", Email: "alice@example.com",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	must(t, s.PutEmailLink(ctx, l))
	got, err := s.UseEmailLink(ctx, storage.LinkInvitation, l.Hash, used)
	must(t, err)
	*got.UsedAt = base.Add(-time.Hour) // must not reach the store
	_, err = s.UseEmailLink(ctx, storage.LinkInvitation, l.Hash, used)
	wantErr(t, "use after changing a returned link", err, storage.ErrNotFound)
}

func testConcurrentUseEmailLink(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	l := storage.EmailLink{Hash: "hash", Purpose: storage.LinkPasswordReset, UserID: "alice", Email: "alice@example.com",
		CreatedAt: base, ExpiresAt: base.Add(30 * time.Minute)}
	must(t, s.PutEmailLink(ctx, l))
	// The same link opened 20 times at once: one use, 19 refusals.
	type result struct {
		link storage.EmailLink
		err  error
	}
	results := race(20, func(i int) result {
		got, err := s.UseEmailLink(ctx, l.Purpose, l.Hash, base.Add(time.Duration(i+1)*time.Second))
		return result{got, err}
	})
	errs := make([]error, len(results))
	for i, r := range results {
		errs[i] = r.err
	}
	winner := oneWinnerLosing(t, errs, storage.ErrNotFound)
	used := base.Add(time.Duration(winner+1) * time.Second)
	l.UsedAt = &used
	equal(t, fmt.Sprintf("link returned to the winner %d", winner), l, results[winner].link)
	_, err := s.GetEmailLink(ctx, l.Purpose, l.Hash, base)
	wantErr(t, "read after the race", err, storage.ErrNotFound)
}
