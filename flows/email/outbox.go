package email

import (
	"context"
	"log/slog"
	"sync"
)

// DefaultOutboxSize is how many messages NewOutbox keeps when keep <= 0.
const DefaultOutboxSize = 100

// Outbox records messages instead of sending them, for dev mode and tests, and
// keeps the last N. It is safe for concurrent use.
type Outbox struct {
	log  *slog.Logger
	keep int

	mu   sync.Mutex
	msgs []Message // oldest first; len(msgs) <= keep
}

var _ Sender = (*Outbox)(nil)

// NewOutbox returns an Outbox that keeps the newest keep messages
// (DefaultOutboxSize if keep <= 0). Each Send logs
// "email to a***@example.com: <subject>" at info on log (slog.Default() if
// nil) — never the body, which holds codes and links.
func NewOutbox(keep int, log *slog.Logger) *Outbox {
	if keep <= 0 {
		keep = DefaultOutboxSize
	}
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{log: log, keep: keep}
}

// Send validates m as SMTP.Send would (errors wrap ErrInvalidMessage), records
// it and logs its redacted recipient and subject.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	to, err := m.recipient()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	if len(o.msgs) < o.keep {
		o.msgs = append(o.msgs, m)
	} else {
		copy(o.msgs, o.msgs[1:])
		o.msgs[len(o.msgs)-1] = m
	}
	o.mu.Unlock()
	o.log.InfoContext(ctx, "email to "+Redact(to.Address)+": "+m.Subject)
	return nil
}

// Messages returns a copy of the recorded messages, newest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Message, len(o.msgs))
	for i, m := range o.msgs {
		out[len(o.msgs)-1-i] = m
	}
	return out
}

// Last returns the newest message to the address to, matched without regard
// to display names or case ("Alice <ALICE@example.com>" matches
// "alice@example.com").
func (o *Outbox) Last(to string) (Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if sameAddress(o.msgs[i].To, to) {
			return o.msgs[i], true
		}
	}
	return Message{}, false
}
