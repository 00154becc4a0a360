package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DefaultTwilioBaseURL is Twilio's REST API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// ErrProvider is wrapped by errors the SMS provider reported (a non-2xx answer),
// as opposed to transport errors and invalid messages.
var ErrProvider = errors.New("sms: provider refused the message")

// TwilioError is a non-2xx answer from a Twilio-compatible API. It wraps
// ErrProvider. Code and Message come from the JSON error body when there is one
// (https://www.twilio.com/docs/api/errors); Message is shortened and the
// recipient's number in it is masked.
type TwilioError struct {
	Status  int    // HTTP status
	Code    int    // Twilio error code, e.g. 21211 (invalid 'To' number); 0 if none
	Message string // Twilio's message, or the start of a non-JSON body
}

func (e *TwilioError) Error() string {
	s := fmt.Sprintf("sms: twilio: HTTP %d", e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(": error %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *TwilioError) Unwrap() error { return ErrProvider }

// Twilio sends through Twilio's Messages API or a compatible one: a form-encoded
// POST of To, From or MessagingServiceSid, and Body to
// {BaseURL}/2010-04-01/Accounts/{AccountSID}/Messages.json with HTTP Basic auth
// AccountSID:AuthToken. Twilio answers 201 Created; any 2xx counts as sent.
// Build it with NewTwilio; the fields must not change once it is in use.
type Twilio struct {
	BaseURL             string // DefaultTwilioBaseURL if empty; may carry a path prefix for compatible APIs
	AccountSID          string
	AuthToken           string
	From                string // sender: E.164 number, short code or alphanumeric sender id
	MessagingServiceSID string // alternatively, a messaging service that picks the sender
	Client              *http.Client
}

// NewTwilio checks cfg and returns a ready sender: BaseURL must be https (or http
// to a loopback host), AccountSID a path-safe identifier (Twilio's are "AC" and 32
// hex digits; compatible APIs use other forms), AuthToken non-empty, and exactly
// one of From and MessagingServiceSID set. A nil Client means one with a
// 10-second timeout that does not follow redirects.
func NewTwilio(cfg Twilio) (*Twilio, error) {
	t := cfg
	if t.BaseURL == "" {
		t.BaseURL = DefaultTwilioBaseURL
	}
	t.BaseURL = strings.TrimRight(t.BaseURL, "/")
	u, err := checkEndpoint("twilio base URL", t.BaseURL)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.User != nil {
		return nil, errors.New("sms: twilio base URL must not carry a query or credentials")
	}
	if !pathSafe(t.AccountSID) {
		return nil, errors.New("sms: twilio account SID must be non-empty letters, digits, '-' or '_'")
	}
	if t.AuthToken == "" || hasControl(t.AuthToken) {
		return nil, errors.New("sms: twilio auth token is empty or holds control characters")
	}
	switch {
	case t.From == "" && t.MessagingServiceSID == "":
		return nil, errors.New("sms: twilio needs From or MessagingServiceSID")
	case t.From != "" && t.MessagingServiceSID != "":
		return nil, errors.New("sms: twilio takes From or MessagingServiceSID, not both")
	case t.From != "" && !validFrom(t.From):
		return nil, errors.New("sms: twilio From must be an E.164 number, a short code or an alphanumeric sender id of at most 11 characters")
	case t.MessagingServiceSID != "" && !pathSafe(t.MessagingServiceSID):
		return nil, errors.New("sms: twilio messaging service SID must be letters, digits, '-' or '_'")
	}
	if t.Client == nil {
		t.Client = defaultClient()
	}
	return &t, nil
}

func (t *Twilio) endpoint() string {
	base := t.BaseURL
	if base == "" {
		base = DefaultTwilioBaseURL
	}
	return strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
}

// Send creates the message at the provider.
func (t *Twilio) Send(ctx context.Context, m Message) error {
	_, err := t.SendMessage(ctx, m)
	return err
}

// SendMessage is Send that also returns the provider's message SID (may be empty
// for a compatible API that sends none), for logging and delivery tracking.
func (t *Twilio) SendMessage(ctx context.Context, m Message) (sid string, err error) {
	if err := m.validate(); err != nil {
		return "", err
	}
	form := url.Values{}
	form.Set("To", m.To)
	if t.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.MessagingServiceSID)
	} else {
		form.Set("From", t.From)
	}
	form.Set("Body", m.Text)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("sms: twilio: %w", err)
	}
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "lockstep-sms-twilio/1")

	client := t.Client
	if client == nil {
		client = defaultClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms: twilio: sending to %s: %w", Mask(m.To), transportError(err))
	}
	rb := readLimited(resp.Body, 64<<10)

	var body struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	jsonErr := json.Unmarshal(rb, &body)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return body.SID, nil
	}
	te := &TwilioError{Status: resp.StatusCode}
	if jsonErr == nil && (body.Code != 0 || body.Message != "") {
		te.Code = body.Code
		te.Message = snippet([]byte(strings.ReplaceAll(body.Message, m.To, Mask(m.To))))
	} else {
		te.Message = snippet([]byte(strings.ReplaceAll(string(rb), m.To, Mask(m.To))))
	}
	return "", te
}

// pathSafe: 1 to 64 ASCII letters, digits, '-' or '_'.
func pathSafe(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validFrom accepts an E.164 number, a short code (3 to 8 digits) or an
// alphanumeric sender id (1 to 11 ASCII letters, digits and spaces with at least
// one letter).
func validFrom(s string) bool {
	if isE164(s) {
		return true
	}
	digits, letters := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		case c == ' ' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	if letters == 0 {
		return digits >= 3 && digits <= 8
	}
	return len(s) <= 11
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
