package email

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Message is one email to one recipient.
type Message struct {
	// To is the single recipient: "alice@example.com" or "Alice <alice@example.com>".
	To string
	// Subject is a single line. It is logged by the Outbox, so it must not carry
	// codes or links.
	Subject string
	// Text is the plain-text body; it is required.
	Text string
	// HTML is an optional HTML rendering of Text. When set the message is sent as
	// multipart/alternative with Text first and HTML second.
	HTML string
}

// Sender delivers one message. Implementations must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var (
	// ErrInvalidMessage is wrapped by the error every Sender in this package
	// returns for a message it refuses before any delivery is attempted: a
	// recipient that is not exactly one address, CR/LF or other control
	// characters in To or Subject (header injection), or an empty Text.
	ErrInvalidMessage = errors.New("email: invalid message")
	// ErrInvalidConfig is wrapped by the error NewSMTP returns for a bad SMTPConfig.
	ErrInvalidConfig = errors.New("email: invalid SMTP configuration")
)

// Validate reports whether m can be sent, and returns the parsed recipient.
// Every Sender in this package calls it first, so the Outbox refuses what SMTP
// would refuse. Errors wrap ErrInvalidMessage.
func (m Message) Validate() error {
	_, err := m.recipient()
	return err
}

// recipient validates m and returns its parsed recipient.
func (m Message) recipient() (*mail.Address, error) {
	if m.To == "" {
		return nil, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	if hasControl(m.To) {
		return nil, fmt.Errorf("%w: recipient contains control characters", ErrInvalidMessage)
	}
	if hasControl(m.Subject) {
		return nil, fmt.Errorf("%w: subject contains control characters", ErrInvalidMessage)
	}
	if !utf8.ValidString(m.To) || !utf8.ValidString(m.Subject) {
		return nil, fmt.Errorf("%w: recipient or subject is not valid UTF-8", ErrInvalidMessage)
	}
	addr, err := parseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %w", ErrInvalidMessage, err)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, fmt.Errorf("%w: empty text body", ErrInvalidMessage)
	}
	return addr, nil
}

// parseAddress parses exactly one RFC 5322 address with a domain. Lists,
// groups and addresses without "@domain" are refused.
func parseAddress(s string) (*mail.Address, error) {
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	at := strings.LastIndexByte(addr.Address, '@')
	if at <= 0 || at == len(addr.Address)-1 {
		return nil, errors.New("address has no domain")
	}
	if hasControl(addr.Address) || strings.ContainsAny(addr.Address, "<>") {
		return nil, errors.New("address contains forbidden characters")
	}
	return addr, nil
}

// hasControl reports whether s holds a C0 control character (CR and LF among
// them) or DEL. Tab is allowed.
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return true
		}
	}
	return false
}

// Redact returns addr with its local part reduced to its first character, for
// logs: "alice@example.com" and "Alice <alice@example.com>" both become
// "a***@example.com". The display name is dropped. Anything that does not
// parse as one address becomes "***"; the empty string stays empty.
func Redact(addr string) string {
	if addr == "" {
		return ""
	}
	if hasControl(addr) {
		return "***"
	}
	a, err := parseAddress(addr)
	if err != nil {
		return "***"
	}
	at := strings.LastIndexByte(a.Address, '@')
	local, domain := a.Address[:at], a.Address[at+1:]
	first, _ := utf8.DecodeRuneInString(local)
	if first == utf8.RuneError || first == '"' {
		return "***@" + domain
	}
	return string(first) + "***@" + domain
}

// sameAddress reports whether a and b name the same mailbox, ignoring display
// names and case.
func sameAddress(a, b string) bool {
	pa, err := parseAddress(a)
	if err != nil {
		return false
	}
	pb, err := parseAddress(b)
	if err != nil {
		return false
	}
	return strings.EqualFold(pa.Address, pb.Address)
}

// HTMLRenderer renders the HTML alternative of a plain-text email (in the
// language and brand ctx and the configuration say).
type HTMLRenderer func(ctx context.Context, subject, text string) (string, error)

// WithHTML adds an HTML alternative to every message s sends that has none.
func WithHTML(s Sender, render HTMLRenderer) Sender { return htmlSender{s, render} }

type htmlSender struct {
	next   Sender
	render HTMLRenderer
}

func (h htmlSender) Send(ctx context.Context, m Message) error {
	if m.HTML == "" {
		html, err := h.render(ctx, m.Subject, m.Text)
		if err != nil {
			return fmt.Errorf("email: html alternative: %w", err)
		}
		m.HTML = html
	}
	return h.next.Send(ctx, m)
}
