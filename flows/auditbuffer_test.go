package flows

import (
	"context"
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
