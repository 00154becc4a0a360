package flows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

func TestAuditBuffer(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ev := func(id string) storage.AuditEvent { return storage.AuditEvent{ID: id, At: at, Type: "t", UserID: "u"} }
	count := func() int {
		t.Helper()
		es, err := store.ListAudit(ctx, storage.AuditFilter{UserID: "u"})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	if err := AppendAudit(ctx, store, ev("direct")); err != nil || count() != 1 {
		t.Fatalf("without a buffer the event is stored at once: %v, %d", err, count())
	}
	bctx, buf := WithAuditBuffer(ctx)
	for _, id := range []string{"b1", "b2"} {
		if err := AppendAudit(bctx, store, ev(id)); err != nil {
			t.Fatal(err)
		}
	}
	if count() != 1 {
		t.Fatalf("buffered events reached the store before the flush: %d", count())
	}
	if err := buf.Flush(ctx, store); err != nil || count() != 3 {
		t.Fatalf("after the flush: %v, %d events", err, count())
	}
	if err := buf.Flush(ctx, store); err != nil || count() != 3 {
		t.Fatalf("a second flush wrote again: %v, %d events", err, count())
	}
}

func TestWriteWithAudit(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	bctx, buf := WithAuditBuffer(ctx)
	for _, id := range []string{"e1", "e2"} {
		if err := AppendAudit(bctx, store, storage.AuditEvent{ID: id, At: at, Type: "t", UserID: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	failed := errors.New("write failed")
	var handed []storage.AuditEvent
	err := WriteWithAudit(bctx, func(audit []storage.AuditEvent) error { handed = audit; return failed })
	if !errors.Is(err, failed) || len(handed) != 2 {
		t.Fatalf("failed write: %v, handed %d events; want its error and 2", err, len(handed))
	}
	// A failed write gives the events back: the next write gets them again.
	handed = nil
	if err := WriteWithAudit(bctx, func(audit []storage.AuditEvent) error { handed = audit; return nil }); err != nil || len(handed) != 2 {
		t.Fatalf("write after a failure: %v, handed %d events; want 2", err, len(handed))
	}
	// A successful write took them: nothing is left to flush.
	if err := buf.Flush(ctx, store); err != nil {
		t.Fatal(err)
	}
	if es, err := store.ListAudit(ctx, storage.AuditFilter{UserID: "u"}); err != nil || len(es) != 0 {
		t.Fatalf("the flush wrote %d events the write had taken: %v", len(es), err)
	}
	// Without a buffer there is nothing to hand.
	if err := WriteWithAudit(ctx, func(audit []storage.AuditEvent) error { handed = audit; return nil }); err != nil || len(handed) != 0 {
		t.Fatalf("without a buffer: %v, handed %d", err, len(handed))
	}
}

// TestBufferedThrottleReset: a counter a step cleared is forgotten with the
// request's sign-in commit, or when the request ends if no commit took it, and
// at once without a buffer.
func TestBufferedThrottleReset(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	flow := storage.Flow{ID: "f", BrowserHash: "bh", ClientID: "c", RequestedAt: at, State: "second_factor", ExpiresAt: at.Add(time.Hour), Version: 1}
	setUp := func(t *testing.T) *memory.Store {
		t.Helper()
		store := memory.New()
		if err := store.CreateFlowAudited(ctx, flow, nil); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"k", "other"} {
			if _, err := store.HitThrottle(ctx, key, time.Hour, at); err != nil {
				t.Fatal(err)
			}
		}
		return store
	}
	count := func(t *testing.T, store *memory.Store, key string) int {
		t.Helper()
		n, err := store.ThrottleCount(ctx, key, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	stale := flow
	stale.Version = 7
	tests := []struct {
		name string
		// commits are the request's sign-in commits after the reset (their errors
		// are expected, only the counter counts).
		commits []storage.Flow
		// atCommit and atEnd are the counter after the commits and after the flush.
		atCommit, atEnd int
	}{
		{"taken by the commit", []storage.Flow{flow}, 0, 0},
		{"no commit: at the request's end", nil, 1, 0},
		{"a failed commit gives it back", []storage.Flow{stale}, 1, 0},
		{"the commit after a failed one", []storage.Flow{stale, flow}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := setUp(t)
			bctx, buf := WithAuditBuffer(ctx)
			if err := ResetThrottle(bctx, store, "k"); err != nil || count(t, store, "k") != 1 {
				t.Fatalf("a buffered reset reached the store at once: %v", err)
			}
			for _, f := range tt.commits {
				_ = CommitSignIn(bctx, store, storage.SignIn{Flow: f})
			}
			if n := count(t, store, "k"); n != tt.atCommit {
				t.Errorf("after the commits: counter %d, want %d", n, tt.atCommit)
			}
			if err := buf.Flush(ctx, store); err != nil {
				t.Fatal(err)
			}
			if n := count(t, store, "k"); n != tt.atEnd {
				t.Errorf("after the flush: counter %d, want %d", n, tt.atEnd)
			}
			if count(t, store, "other") != 1 {
				t.Error("another counter was reset")
			}
		})
	}

	store := setUp(t)
	if err := ResetThrottle(ctx, store, "k"); err != nil || count(t, store, "k") != 0 {
		t.Fatalf("without a buffer the counter is reset at once: %v", err)
	}
}
