package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook headers and limits; see the package documentation for the scheme.
const (
	HeaderTimestamp = "X-Lockstep-Timestamp" // unix seconds, decimal
	HeaderSignature = "X-Lockstep-Signature" // "sha256=" + lower-case hex HMAC-SHA256

	// MinSecretLen is the shortest webhook secret accepted, in bytes.
	MinSecretLen = 32
	// DefaultMaxSkew is the timestamp window VerifyWebhook uses when given 0.
	DefaultMaxSkew = 5 * time.Minute
	// MaxWebhookBody is the largest body VerifyWebhook reads, in bytes.
	MaxWebhookBody = 64 << 10
)

// Errors from VerifyWebhook, for errors.Is.
var (
	// ErrBadSignature: the signature header is missing, malformed, or does not
	// match the timestamp and body under the secret.
	ErrBadSignature = errors.New("sms: webhook signature invalid")
	// ErrStaleTimestamp: the timestamp header is missing, malformed, or further
	// from the receiver's clock than the allowed skew (a replay or a bad clock).
	ErrStaleTimestamp = errors.New("sms: webhook timestamp outside the allowed window")
)

// WebhookPayload is the JSON body the webhook sender posts.
type WebhookPayload struct {
	To     string `json:"to"`      // E.164 recipient
	Text   string `json:"text"`    // message text
	ID     string `json:"id"`      // random message id, unique per Send; receivers can deduplicate on it
	SentAt string `json:"sent_at"` // RFC 3339 time of sending, UTC
}

// Webhook sends each message as a signed JSON POST to URL. A 2xx answer means
// delivered; anything else, a transport error or the context ending is an error.
// Build it with NewWebhook; the fields must not change once it is in use.
type Webhook struct {
	URL    string
	Secret []byte // at least MinSecretLen bytes
	Client *http.Client
	Now    func() time.Time // clock for the timestamp; time.Now if nil
}

// NewWebhook checks the URL (https, or http to a loopback host) and the secret
// (at least MinSecretLen bytes; it is copied). A nil client means one with a
// 10-second timeout that does not follow redirects.
func NewWebhook(url string, secret []byte, client *http.Client) (*Webhook, error) {
	if _, err := checkEndpoint("webhook URL", url); err != nil {
		return nil, err
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("sms: webhook secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	if client == nil {
		client = defaultClient()
	}
	return &Webhook{URL: url, Secret: bytes.Clone(secret), Client: client, Now: time.Now}, nil
}

// Sign returns the value of the signature header for a timestamp (unix seconds)
// and body: "sha256=" + hex(HMAC-SHA256(secret, "<timestamp>.<body>")).
func Sign(secret []byte, timestamp int64, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Send posts m to the webhook.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	if len(w.Secret) < MinSecretLen {
		return fmt.Errorf("sms: webhook secret must be at least %d bytes", MinSecretLen)
	}
	if _, err := checkEndpoint("webhook URL", w.URL); err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	t := now()
	id := make([]byte, 16)
	_, _ = rand.Read(id) // never fails (crypto/rand panics instead)
	body, err := json.Marshal(WebhookPayload{
		To:     m.To,
		Text:   m.Text,
		ID:     "msg_" + hex.EncodeToString(id),
		SentAt: t.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return fmt.Errorf("sms: webhook: encoding body: %w", err)
	}
	ts := t.Unix()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lockstep-sms-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))

	client := w.Client
	if client == nil {
		client = defaultClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: webhook to %s: %w", Mask(m.To), transportError(err))
	}
	rb := readLimited(resp.Body, 1<<10)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if s := snippet(rb); s != "" {
			return fmt.Errorf("sms: webhook to %s: receiver answered HTTP %d: %s", Mask(m.To), resp.StatusCode, s)
		}
		return fmt.Errorf("sms: webhook to %s: receiver answered HTTP %d", Mask(m.To), resp.StatusCode)
	}
	return nil
}

// VerifyWebhook checks a request made by Webhook.Send and returns its body. It
// reads at most MaxWebhookBody bytes, requires a timestamp within maxSkew of now
// (DefaultMaxSkew if maxSkew <= 0; either direction) and a signature that matches
// under secret, compared in constant time. r.Body is consumed; on success it is
// replaced by a reader over the returned body. Errors wrap ErrStaleTimestamp or
// ErrBadSignature (or report an unreadable or oversized body).
//
// The timestamp window limits replays to maxSkew; a receiver that must act at most
// once per message should also remember the "id" field of recent messages.
func VerifyWebhook(r *http.Request, secret []byte, maxSkew time.Duration, now time.Time) ([]byte, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("%w: no secret configured", ErrBadSignature)
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	tsRaw := r.Header.Get(HeaderTimestamp)
	ts, ok := parseUnix(tsRaw)
	if !ok {
		return nil, fmt.Errorf("%w: missing or malformed %s header", ErrStaleTimestamp, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return nil, fmt.Errorf("%w: timestamp is %s from now, more than %s", ErrStaleTimestamp, d.Abs().Truncate(time.Second), maxSkew)
	}
	sigHex, ok := strings.CutPrefix(r.Header.Get(HeaderSignature), "sha256=")
	if !ok {
		return nil, fmt.Errorf("%w: missing %s header or it does not start with \"sha256=\"", ErrBadSignature, HeaderSignature)
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != sha256.Size {
		return nil, fmt.Errorf("%w: %s is not 64 hex digits", ErrBadSignature, HeaderSignature)
	}
	if r.Body == nil {
		return nil, fmt.Errorf("%w: empty body", ErrBadSignature)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("sms: webhook: reading body: %w", err)
	}
	if len(body) > MaxWebhookBody {
		return nil, fmt.Errorf("sms: webhook: body larger than %d bytes", MaxWebhookBody)
	}
	if !hmac.Equal(sig, mac(secret, tsRaw, body)) {
		return nil, ErrBadSignature
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// parseUnix accepts 1 to 12 ASCII digits (no sign, no spaces), so that the string
// that was signed is the canonical decimal form.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
