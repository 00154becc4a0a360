package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lockstep-id/lockstep/storage"
)

// AuditBuffer collects the audit events of one request, so they reach the store
// in one round trip at its end instead of one insert (and commit) each, and the
// failure counters its steps cleared (ResetThrottle), which its sign-in commit
// takes along. The provider flushes it before the response is finished, so
// whoever sees the response can also see its events.
type AuditBuffer struct {
	mu     sync.Mutex
	events []storage.AuditEvent
	resets []string
}

type auditBufferKey struct{}

// AuditWriter appends audit events (storage.AuditStore without the reads).
type AuditWriter interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	AppendAudits(ctx context.Context, es []storage.AuditEvent) error
}

// ThrottleResetter forgets failure counters (storage.ThrottleStore's reset).
type ThrottleResetter interface {
	ResetThrottle(ctx context.Context, key string) error
}

// BufferWriter is what a request's buffer is flushed to.
type BufferWriter interface {
	AuditWriter
	ThrottleResetter
}

// SignInWriter commits a sign-in's step (storage.SignInStore).
type SignInWriter interface {
	CommitSignIn(ctx context.Context, s storage.SignIn) error
}

// WithAuditBuffer returns ctx in which AppendAudit and ResetThrottle buffer into
// the returned buffer.
func WithAuditBuffer(ctx context.Context) (context.Context, *AuditBuffer) {
	b := &AuditBuffer{}
	return context.WithValue(ctx, auditBufferKey{}, b), b
}

// Flush appends the buffered events to the store and resets the counters no
// commit took.
func (b *AuditBuffer) Flush(ctx context.Context, store BufferWriter) error {
	events, resets := b.take()
	var errs []error
	if err := store.AppendAudits(ctx, events); err != nil {
		errs = append(errs, fmt.Errorf("append %d audit events: %w", len(events), err))
	}
	for _, key := range resets {
		if err := store.ResetThrottle(ctx, key); err != nil {
			errs = append(errs, fmt.Errorf("reset throttle: %w", err))
		}
	}
	return errors.Join(errs...)
}

// take removes and returns what b holds.
func (b *AuditBuffer) take() ([]storage.AuditEvent, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	events, resets := b.events, b.resets
	b.events, b.resets = nil, nil
	return events, resets
}

// giveBack returns what a failed write took, in front of anything added since.
func (b *AuditBuffer) giveBack(events []storage.AuditEvent, resets []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(events, b.events...)
	b.resets = append(resets, b.resets...)
}

// buffer is ctx's request's buffer, nil when it has none.
func buffer(ctx context.Context) *AuditBuffer {
	b, _ := ctx.Value(auditBufferKey{}).(*AuditBuffer)
	return b
}

// AppendAudit records e: into the request's buffer when there is one, else
// straight into the store.
func AppendAudit(ctx context.Context, store AuditWriter, e storage.AuditEvent) error {
	if b := buffer(ctx); b != nil {
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
		return nil
	}
	return store.AppendAudit(ctx, e)
}

// ResetThrottle forgets the failure counter key, whose step the user has just
// passed: with the request's sign-in commit (CommitSignIn) when ctx has a
// buffer, which spares a round trip, or when the request ends if no commit
// takes it; without a buffer at once.
func ResetThrottle(ctx context.Context, store ThrottleResetter, key string) error {
	if b := buffer(ctx); b != nil {
		b.mu.Lock()
		b.resets = append(b.resets, key)
		b.mu.Unlock()
		return nil
	}
	return store.ResetThrottle(ctx, key)
}

// WriteWithAudit hands write the events buffered so far in ctx's request (none
// without a buffer), for it to store with other records in one transaction. When
// write fails they go back to the buffer, to be written with the request's other
// events.
func WriteWithAudit(ctx context.Context, write func(audit []storage.AuditEvent) error) error {
	b := buffer(ctx)
	if b == nil {
		return write(nil)
	}
	b.mu.Lock()
	events := b.events
	b.events = nil
	b.mu.Unlock()
	err := write(events)
	if err != nil {
		b.giveBack(events, nil)
	}
	return err
}

// CommitSignIn commits in (whose Audit and ResetThrottles it fills in) with the
// events buffered so far in ctx's request and the counters its steps reset, in
// one transaction. When the commit fails they go back to the buffer.
func CommitSignIn(ctx context.Context, store SignInWriter, in storage.SignIn) error {
	b := buffer(ctx)
	if b == nil {
		return store.CommitSignIn(ctx, in)
	}
	in.Audit, in.ResetThrottles = b.take()
	err := store.CommitSignIn(ctx, in)
	if err != nil {
		b.giveBack(in.Audit, in.ResetThrottles)
	}
	return err
}
