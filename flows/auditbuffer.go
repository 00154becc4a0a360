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

// AuditWriter appends audit events (storage.AuditStore without the reads).
type AuditWriter interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	AppendAudits(ctx context.Context, es []storage.AuditEvent) error
}

// WithAuditBuffer returns ctx in which AppendAudit buffers into the returned buffer.
func WithAuditBuffer(ctx context.Context) (context.Context, *AuditBuffer) {
	b := &AuditBuffer{}
	return context.WithValue(ctx, auditBufferKey{}, b), b
}

// Flush appends the buffered events to the store.
func (b *AuditBuffer) Flush(ctx context.Context, store AuditWriter) error {
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
func AppendAudit(ctx context.Context, store AuditWriter, e storage.AuditEvent) error {
	if b, ok := ctx.Value(auditBufferKey{}).(*AuditBuffer); ok {
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
		return nil
	}
	return store.AppendAudit(ctx, e)
}

// WriteWithAudit hands write the events buffered so far in ctx's request (none
// without a buffer), for it to store with other records in one transaction. When
// write fails they go back to the buffer, to be written with the request's other
// events.
func WriteWithAudit(ctx context.Context, store AuditWriter, write func(audit []storage.AuditEvent) error) error {
	events := takeAudit(ctx)
	err := write(events)
	if err != nil {
		for _, e := range events {
			_ = AppendAudit(ctx, store, e)
		}
	}
	return err
}

// takeAudit removes and returns the events buffered so far in ctx's request.
func takeAudit(ctx context.Context) []storage.AuditEvent {
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
