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
	err := WriteWithAudit(bctx, store, func(audit []storage.AuditEvent) error { handed = audit; return failed })
	if !errors.Is(err, failed) || len(handed) != 2 {
		t.Fatalf("failed write: %v, handed %d events; want its error and 2", err, len(handed))
	}
	// A failed write gives the events back: the next write gets them again.
	handed = nil
	if err := WriteWithAudit(bctx, store, func(audit []storage.AuditEvent) error { handed = audit; return nil }); err != nil || len(handed) != 2 {
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
	if err := WriteWithAudit(ctx, store, func(audit []storage.AuditEvent) error { handed = audit; return nil }); err != nil || len(handed) != 0 {
		t.Fatalf("without a buffer: %v, handed %d", err, len(handed))
	}
}
