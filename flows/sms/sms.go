package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one text message.
type Message struct {
	To   string // E.164, as returned by Normalize: "+4915123456789"
	Text string // the message; holds one-time codes, so it is never logged
}

// Sender delivers text messages. Implementations are safe for concurrent use.
// A nil error means the message was handed over (to the webhook receiver, to the
// SMS provider, or to the outbox), not that it reached the phone.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// MaxTextLen is the longest message text the senders accept, in characters: 1600
// is the limit of Twilio's Messages API (ten concatenated segments).
const MaxTextLen = 1600

// ErrInvalidMessage is wrapped by the error every sender returns for a Message
// that has no E.164 recipient, no text, or text that is too long or not UTF-8.
var ErrInvalidMessage = errors.New("sms: invalid message")

func (m Message) validate() error {
	if !isE164(m.To) {
		return fmt.Errorf("%w: recipient is not an E.164 number", ErrInvalidMessage)
	}
	if m.Text == "" {
		return fmt.Errorf("%w: empty text", ErrInvalidMessage)
	}
	if !utf8.ValidString(m.Text) {
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidMessage)
	}
	if utf8.RuneCountInString(m.Text) > MaxTextLen {
		return fmt.Errorf("%w: text longer than %d characters", ErrInvalidMessage, MaxTextLen)
	}
	return nil
}

// defaultTimeout bounds a request made with the client the constructors create
// when given none. A caller's context deadline applies as well.
const defaultTimeout = 10 * time.Second

// defaultClient has a timeout and does not follow redirects: a provider or
// receiver that answers 3xx is misconfigured, and following would turn the POST
// into a GET or resend the credentials elsewhere.
func defaultClient() *http.Client {
	return &http.Client{
		Timeout: defaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkEndpoint parses raw and requires https, or http to a loopback host
// (localhost, 127.0.0.0/8, ::1) for development and tests.
func checkEndpoint(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("sms: %s must be an absolute http(s) URL", what)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("sms: %s must not have a fragment", what)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("sms: %s must use https (plain http is allowed only to localhost)", what)
		}
	default:
		return nil, fmt.Errorf("sms: %s must be an absolute http(s) URL", what)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// snippetLen is how much of a response body an error may quote.
const snippetLen = 120

// snippet returns the start of b as a single printable line, for error messages.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	var sb strings.Builder
	n := 0
	for _, r := range s {
		if n == snippetLen {
			sb.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		sb.WriteRune(r)
		n++
	}
	return strings.TrimSpace(sb.String())
}

// readLimited reads at most limit bytes of the body and drains (up to a bound)
// and closes the rest so the connection can be reused.
func readLimited(body io.ReadCloser, limit int64) []byte {
	defer body.Close()
	b, _ := io.ReadAll(io.LimitReader(body, limit))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	return b
}

// transportError strips the *url.Error wrapper, whose text repeats the URL (which
// may carry a token), keeping the cause so errors.Is still sees
// context.DeadlineExceeded and friends.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
