package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/lockstep-id/lockstep/configs"
)

// mailMsg is one message the receiver got, decoded.
type mailMsg struct {
	From    string   // envelope MAIL FROM
	To      []string // envelope RCPT TO
	Header  mail.Header
	Subject string
	Text    string // the text/plain body, decoded, with \n line ends
	Raw     []byte // the message as received
}

// mailbox is a real SMTP server (emersion/go-smtp) on 127.0.0.1:0 that keeps
// what Lockstep sends, so tests read codes and links as a person reads email.
type mailbox struct {
	t    testing.TB
	port int

	mu    sync.Mutex
	msgs  []mailMsg
	taken []bool
}

func newMailbox(t testing.TB) *mailbox {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{t: t, port: l.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{m: m}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

// configure points Lockstep's email at the mailbox, in plaintext (loopback).
func (m *mailbox) configure(c *configs.Config) {
	c.Email.SMTPHost, c.Email.SMTPPort, c.Email.TLS = "127.0.0.1", m.port, "none"
}

// wait returns the first message to rcpt with subject not returned before,
// waiting for it (email goes out in the background).
func (m *mailbox) wait(t testing.TB, rcpt, subject string) mailMsg {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.mu.Lock()
		for i, msg := range m.msgs {
			if !m.taken[i] && msg.Subject == subject && len(msg.To) == 1 && msg.To[0] == rcpt {
				m.taken[i] = true
				m.mu.Unlock()
				return msg
			}
		}
		m.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no email %q to %s; received: %v", subject, rcpt, m.subjects())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// none checks that no message with subject (not returned before) arrives within d.
func (m *mailbox) none(t testing.TB, subject string, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, msg := range m.msgs {
		if !m.taken[i] && msg.Subject == subject {
			t.Errorf("unexpected email %q to %v", subject, msg.To)
		}
	}
}

func (m *mailbox) subjects() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, msg := range m.msgs {
		out = append(out, msg.Subject)
	}
	return out
}

func (m *mailbox) add(from string, to []string, data []byte) error {
	msg, err := parseMail(data)
	if err != nil {
		m.t.Errorf("unreadable email: %v\n%s", err, data)
		return err
	}
	msg.From, msg.To, msg.Raw = from, to, data
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	m.taken = append(m.taken, false)
	m.mu.Unlock()
	return nil
}

// parseMail decodes a message as a mail client would: encoded words in the
// subject, quoted-printable or base64 bodies, the text/plain part of a multipart.
func parseMail(data []byte) (mailMsg, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return mailMsg{}, err
	}
	out := mailMsg{Header: msg.Header}
	if out.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return out, err
	}
	text, err := textPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	out.Text = strings.ReplaceAll(text, "\r\n", "\n")
	return out, err
}

func textPart(contentType, cte string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return "", err
			}
			if text, err := textPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err == nil && text != "" {
				return text, nil
			}
		}
	}
	if mt != "text/plain" {
		return "", nil
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

var (
	reMailCode = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)
	reMailLink = regexp.MustCompile(`https?://\S+`)
)

// code is the six-digit code on a line of its own in the message.
func (msg mailMsg) code(t testing.TB) string {
	t.Helper()
	m := reMailCode.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no code in the email %q:\n%s", msg.Subject, msg.Text)
	}
	return m[1]
}

// link is the message's link that starts with prefix.
func (msg mailMsg) link(t testing.TB, prefix string) string {
	t.Helper()
	for _, l := range reMailLink.FindAllString(msg.Text, -1) {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no link to %s in the email %q:\n%s", prefix, msg.Subject, msg.Text)
	return ""
}

type mailSession struct {
	m    *mailbox
	from string
	to   []string
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.m.add(s.from, s.to, b)
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }
