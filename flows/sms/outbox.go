package sms

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultOutboxSize is how many messages NewOutbox keeps when given keep <= 0.
const DefaultOutboxSize = 100

// OutboxEntry is a message recorded by the Outbox with the time it was sent.
type OutboxEntry struct {
	Message
	At time.Time
}

// Outbox is the development and test Sender: it keeps the newest messages in
// memory (for the dev-mode outbox page and for tests that need the code) and logs
// one line per message, "sms to +49 ••• ••• 89", with the number masked and
// without the text, which holds codes. It never delivers anything. It is safe for
// concurrent use; the zero value is not usable, call NewOutbox.
type Outbox struct {
	log  *slog.Logger
	keep int
	now  func() time.Time

	mu   sync.Mutex
	ring []OutboxEntry // ring buffer; len keep once full
	next int           // index the next entry goes to
	full bool
}

// NewOutbox returns an outbox keeping the keep newest messages (DefaultOutboxSize
// if keep <= 0). A nil log discards the log lines.
func NewOutbox(keep int, log *slog.Logger) *Outbox {
	if keep <= 0 {
		keep = DefaultOutboxSize
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{log: log, keep: keep, now: time.Now}
}

// Send records m, dropping the oldest message when the outbox is full. It fails
// only for an invalid message or a context that has already ended.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.validate(); err != nil {
		return err
	}
	e := OutboxEntry{Message: m, At: o.now()}
	o.mu.Lock()
	if !o.full {
		o.ring = append(o.ring, e) // grows on demand: keep may be large
	} else {
		o.ring[o.next] = e
	}
	o.next++
	if o.next == o.keep {
		o.next, o.full = 0, true
	}
	o.mu.Unlock()
	o.log.InfoContext(ctx, "sms to "+Mask(m.To), slog.String("sender", "outbox"))
	return nil
}

// Entries returns the kept messages with their times, newest first, as a copy.
func (o *Outbox) Entries() []OutboxEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.next
	if o.full {
		n = o.keep
	}
	out := make([]OutboxEntry, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, o.ring[(o.next-i+o.keep)%o.keep])
	}
	return out
}

// Messages returns the kept messages, newest first, as a copy.
func (o *Outbox) Messages() []Message {
	es := o.Entries()
	out := make([]Message, len(es))
	for i, e := range es {
		out[i] = e.Message
	}
	return out
}

// Last returns the newest kept message to the E.164 number to.
func (o *Outbox) Last(to string) (Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.next
	if o.full {
		n = o.keep
	}
	for i := 1; i <= n; i++ {
		if e := o.ring[(o.next-i+o.keep)%o.keep]; e.To == to {
			return e.Message, true
		}
	}
	return Message{}, false
}
