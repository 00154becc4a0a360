package flows

import (
	"context"
	"fmt"
	"sync"

	"github.com/lockstep-id/lockstep/storage"
)

// AuditBuffer collects the audit events of one request, so they reach the store
// in one round trip at its end instead of one insert (and commit) each. The
// provider flushes it before the response is finished, so whoever sees the
// response can also see its events.
type AuditBuffer struct {
	mu     sync.Mutex
	events []storage.AuditEvent
}

type auditBufferKey struct{}

// WithAuditBuffer returns ctx in which AppendAudit buffers into the returned buffer.
func WithAuditBuffer(ctx context.Context) (context.Context, *AuditBuffer) {
	b := &AuditBuffer{}
	return context.WithValue(ctx, auditBufferKey{}, b), b
}

// Flush appends the buffered events to the store.
func (b *AuditBuffer) Flush(ctx context.Context, store storage.AuditStore) error {
	b.mu.Lock()
	events := b.events
	b.events = nil
	b.mu.Unlock()
	if err := store.AppendAudits(ctx, events); err != nil {
		return fmt.Errorf("append %d audit events: %w", len(events), err)
	}
	return nil
}

// AppendAudit records e: into the request's buffer when there is one, else
// straight into the store.
func AppendAudit(ctx context.Context, store storage.AuditStore, e storage.AuditEvent) error {
	if b, ok := ctx.Value(auditBufferKey{}).(*AuditBuffer); ok {
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
		return nil
	}
	return store.AppendAudit(ctx, e)
}

// TakeAudit removes and returns the events buffered so far in ctx's request (none
// without a buffer), for a caller that writes them with other records in one
// transaction. A caller whose write fails gives them back with AppendAudit.
func TakeAudit(ctx context.Context) []storage.AuditEvent {
	b, ok := ctx.Value(auditBufferKey{}).(*AuditBuffer)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	events := b.events
	b.events = nil
	return events
}
