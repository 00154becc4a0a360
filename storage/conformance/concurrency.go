package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// race runs f(0..n-1) in n goroutines released together, to make the calls overlap
// as much as possible, and returns the results by index.
func race[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-release
			out[i] = f(i)
		})
	}
	close(release)
	wg.Wait()
	return out
}

// oneWinner checks that exactly one error is nil and every other is ErrConflict,
// and returns the winner's index.
func oneWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("callers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("caller %d: got error %v, want %v", i, err, storage.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("no caller succeeded")
	}
	return winner
}

func testConcurrentConsumeCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	code := storage.Token{Kind: storage.TokenAuthorizeCode, Signature: "code", RequestID: "req", Active: true,
		CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	must(t, s.CreateToken(ctx, code))
	errs := race(20, func(int) error { return s.ConsumeToken(ctx, code.Kind, code.Signature) })
	oneWinner(t, errs)
}

func testConcurrentRotateRefresh(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	old := storage.Token{Kind: storage.TokenRefresh, Signature: "rt-old", RequestID: "req", Subject: "alice",
		Active: true, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	must(t, s.CreateToken(ctx, old))
	// Each caller rotates as the token endpoint does: consume the old refresh token,
	// and only on success store its successor.
	errs := race(20, func(i int) error {
		if err := s.ConsumeToken(ctx, old.Kind, old.Signature); err != nil {
			return err
		}
		next := old
		next.Signature = fmt.Sprintf("rt-new-%d", i)
		return s.CreateToken(ctx, next)
	})
	winner := oneWinner(t, errs)
	for i := range errs {
		_, err := s.GetToken(ctx, storage.TokenRefresh, fmt.Sprintf("rt-new-%d", i))
		if exists := err == nil; exists != (i == winner) {
			t.Errorf("successor %d: get error %v (winner %d)", i, err, winner)
		}
	}
	got, err := s.GetToken(ctx, old.Kind, old.Signature)
	must(t, err)
	if got.Active {
		t.Error("old refresh token still active")
	}
}

func testConcurrentThrottle(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	const n = 50
	type result struct {
		count int
		err   error
	}
	results := race(n, func(int) result {
		c, err := s.HitThrottle(ctx, "ip:192.0.2.1", time.Minute, base)
		return result{c, err}
	})
	var counts []int
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("hit %d: %v", i, r.err)
		}
		counts = append(counts, r.count)
	}
	slices.Sort(counts)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	equal(t, "sorted counts returned", want, counts)
	got, err := s.ThrottleCount(ctx, "ip:192.0.2.1", base.Add(time.Second))
	must(t, err)
	if got != n {
		t.Errorf("final count %d, want %d", got, n)
	}
}

func testConcurrentUpdateFlow(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	f := storage.Flow{ID: "flow", State: storage.FlowLogin, RequestedAt: base, ExpiresAt: base.Add(time.Hour), Version: 7}
	must(t, s.CreateFlow(ctx, f))
	errs := race(20, func(i int) error {
		g := f
		g.State = storage.FlowConsent
		g.UserID = fmt.Sprintf("user-%d", i)
		return s.UpdateFlow(ctx, g)
	})
	winner := oneWinner(t, errs)
	got, err := s.GetFlow(ctx, f.ID)
	must(t, err)
	if want := fmt.Sprintf("user-%d", winner); got.Version != 8 || got.UserID != want {
		t.Errorf("stored flow has version %d user %q, want 8 %q", got.Version, got.UserID, want)
	}
}

func testConcurrentNonce(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	errs := race(20, func(int) error { return s.UseNonce(ctx, "jti", base.Add(time.Minute), base) })
	oneWinner(t, errs)
}

func testConcurrentAddSigningKey(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	errs := race(10, func(i int) error {
		k := storage.SigningKey{ID: fmt.Sprintf("k%d", i), Algorithm: "RS256", CreatedAt: base.Add(time.Duration(i) * time.Second)}
		return s.AddSigningKey(ctx, k, base.Add(time.Hour))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	active := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active++
		}
	}
	if len(keys) != 10 || active != 1 {
		t.Errorf("%d keys, %d active; want 10 keys, 1 active", len(keys), active)
	}
}
