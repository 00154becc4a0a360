package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

const (
	testText = "Hello Alice,\n\nYour confirmation code is 481516.\n.\nA line with a leading dot and ünïcödé.\n" +
		"A long line: " + "0123456789 abcdefghij " + "0123456789 abcdefghij " + "0123456789 abcdefghij " +
		"0123456789 abcdefghij 0123456789 abcdefghij\n"
	testHTML = `<p>Hello Alice,</p><p>Your confirmation code is <b>481516</b>.</p><p><a href="https://id.example.com/confirm?t=secret-token">Confirm</a></p>`
)

func mustSMTP(t *testing.T, cfg SMTPConfig) *SMTP {
	t.Helper()
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

func crlfToLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// parsed is a received message taken apart.
type parsed struct {
	header mail.Header
	text   string
	html   string
	ctype  string
}

func parseReceived(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, data)
	}
	p := parsed{header: msg.Header}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	p.ctype = mt
	switch mt {
	case "text/plain":
		if cs := strings.ToLower(params["charset"]); cs != "utf-8" {
			t.Errorf("charset = %q, want utf-8", cs)
		}
		p.text = readBody(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			// NextPart decodes quoted-printable itself and drops the header.
			body := readBody(t, part.Header.Get("Content-Transfer-Encoding"), part)
			pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			switch pt {
			case "text/plain":
				if p.html != "" {
					t.Error("text/plain part after text/html; the preferred part must come last")
				}
				p.text = body
			case "text/html":
				p.html = body
			default:
				t.Errorf("unexpected part %q", pt)
			}
		}
	default:
		t.Fatalf("Content-Type %q", mt)
	}
	return p
}

func readBody(t *testing.T, cte string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return crlfToLF(string(b))
}

func TestSMTPSend(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
	}{
		{"text only", Message{To: "alice@example.com", Subject: "Confirm your sign-in", Text: testText}},
		{"text and html", Message{To: "Alice Example <alice@example.com>", Subject: "Two-factor authentication enabled", Text: testText, HTML: testHTML}},
		{"non-ASCII subject", Message{To: "alice@example.com", Subject: "Sécurité : nouvel appareil", Text: testText}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, serverOpts{})
			s := mustSMTP(t, ts.config(TLSNone))
			before := time.Now().Add(-time.Second)
			if err := s.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := ts.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			r := got[0]
			if r.From != "no-reply@example.com" {
				t.Errorf("envelope from = %q", r.From)
			}
			if len(r.To) != 1 || r.To[0] != "alice@example.com" {
				t.Errorf("envelope to = %q", r.To)
			}
			p := parseReceived(t, r.Data)
			h := p.header

			from, err := mail.ParseAddress(h.Get("From"))
			if err != nil || from.Address != "no-reply@example.com" || from.Name != "Lockstep" {
				t.Errorf("From = %q (%v)", h.Get("From"), err)
			}
			to, err := h.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != "alice@example.com" {
				t.Errorf("To = %q (%v)", h.Get("To"), err)
			}
			if n := len(h["Cc"]) + len(h["Bcc"]); n != 0 {
				t.Errorf("unexpected Cc/Bcc headers: %v", h)
			}
			subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if err != nil || subj != tt.msg.Subject {
				t.Errorf("Subject = %q (raw %q, %v), want %q", subj, h.Get("Subject"), err, tt.msg.Subject)
			}
			date, err := h.Date()
			if err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
				t.Errorf("Date = %q (%v)", h.Get("Date"), err)
			}
			if id := h.Get("Message-Id"); !regexp.MustCompile(`^<[a-z0-9]{20,}@example\.com>$`).MatchString(id) {
				t.Errorf("Message-ID = %q", id)
			}
			if v := h.Get("Mime-Version"); v != "1.0" {
				t.Errorf("MIME-Version = %q", v)
			}
			if v := h.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("Auto-Submitted = %q", v)
			}
			if p.text != tt.msg.Text {
				t.Errorf("text body:\n got %q\nwant %q", p.text, tt.msg.Text)
			}
			if tt.msg.HTML == "" {
				if p.ctype != "text/plain" {
					t.Errorf("Content-Type %q, want text/plain", p.ctype)
				}
			} else {
				if p.ctype != "multipart/alternative" {
					t.Errorf("Content-Type %q, want multipart/alternative", p.ctype)
				}
				if p.html != tt.msg.HTML {
					t.Errorf("html body:\n got %q\nwant %q", p.html, tt.msg.HTML)
				}
			}
		})
	}
}

func TestSMTPMessageIDsAreUnique(t *testing.T) {
	ts := newTestServer(t, serverOpts{})
	s := mustSMTP(t, ts.config(TLSNone))
	for range 3 {
		if err := s.Send(context.Background(), Message{To: "alice@example.com", Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, r := range ts.messages() {
		id := parseReceived(t, r.Data).header.Get("Message-Id")
		if seen[id] {
			t.Errorf("Message-ID %q repeated", id)
		}
		seen[id] = true
	}
}

func TestSMTPAuth(t *testing.T) {
	tests := []struct {
		name           string
		serverUser     string // server requires AUTH when set
		user, password string // client config
		wantErr        bool
		wantAuth       *authAttempt
	}{
		{"credentials reach the server", "mailer", "mailer", "s3cret pass", false, &authAttempt{"PLAIN", "", "mailer", "s3cret pass"}},
		{"wrong password", "mailer", "mailer", "wrong", true, &authAttempt{"PLAIN", "", "mailer", "wrong"}},
		{"server requires auth, none configured", "mailer", "", "", true, nil},
		{"no username, no AUTH sent", "", "", "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, serverOpts{}, func(ts *testServer) { ts.user, ts.pass = tt.serverUser, "s3cret pass" })
			cfg := ts.config(TLSNone)
			cfg.Username, cfg.Password = tt.user, tt.password
			err := mustSMTP(t, cfg).Send(context.Background(), Message{To: "alice@example.com", Subject: "s", Text: "secret body 481516"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "481516") {
				t.Errorf("error leaks the body: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), tt.password) && tt.password != "" {
				t.Errorf("error leaks the password: %v", err)
			}
			auths := ts.authAttempts()
			switch {
			case tt.wantAuth == nil && len(auths) != 0:
				t.Errorf("AUTH sent: %+v", auths)
			case tt.wantAuth != nil && (len(auths) != 1 || auths[0] != *tt.wantAuth):
				t.Errorf("AUTH = %+v, want %+v", auths, *tt.wantAuth)
			}
			if n := len(ts.messages()); (n == 1) == tt.wantErr {
				t.Errorf("server received %d messages", n)
			}
		})
	}
}

func TestSMTPRejectedRecipient(t *testing.T) {
	ts := newTestServer(t, serverOpts{}, func(ts *testServer) { ts.rejectRcpt = true })
	s := mustSMTP(t, ts.config(TLSNone))
	err := s.Send(context.Background(), Message{To: "alice@example.com", Subject: "s", Text: "code 481516"})
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	var se *gomail.SendError
	if !errors.As(err, &se) || se.Reason != gomail.ErrSMTPRcptTo || se.IsTemp() {
		t.Errorf("error %v does not wrap a permanent RCPT go-mail SendError", err)
	}
	if !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "a***@example.com") {
		t.Errorf("error = %q, want the server's reply and the redacted recipient", err)
	}
	if strings.Contains(err.Error(), "481516") {
		t.Errorf("error leaks the body: %v", err)
	}
	if n := len(ts.messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSMTPContext(t *testing.T) {
	msg := Message{To: "alice@example.com", Subject: "s", Text: "t"}
	tests := []struct {
		name   string
		server func(t *testing.T) (host string, port int)
		ctx    func() (context.Context, context.CancelFunc)
		want   error
	}{
		{
			name:   "deadline, server silent before greeting",
			server: stallingListener,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			want: context.DeadlineExceeded,
		},
		{
			name: "deadline, server stalls in DATA",
			server: func(t *testing.T) (string, int) {
				ts := newTestServer(t, serverOpts{}, func(ts *testServer) { ts.stallData = make(chan struct{}) })
				return ts.host, ts.port
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			want: context.DeadlineExceeded,
		},
		{
			name:   "cancelled while waiting",
			server: stallingListener,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(300*time.Millisecond, cancel)
				return ctx, cancel
			},
			want: context.Canceled,
		},
		{
			name: "already cancelled",
			server: func(t *testing.T) (string, int) {
				ts := newTestServer(t, serverOpts{})
				t.Cleanup(func() {
					if n := ts.conns.Load(); n != 0 {
						t.Errorf("connected %d times with a cancelled context", n)
					}
				})
				return ts.host, ts.port
			},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port := tt.server(t)
			s := mustSMTP(t, SMTPConfig{Host: host, Port: port, From: "no-reply@example.com", TLS: TLSNone, Timeout: 30 * time.Second})
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			err := s.Send(ctx, msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send error = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Send took %v; the context was not respected", d)
			}
		})
	}
}

func TestSMTPRefusesBadMessagesBeforeConnecting(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
	}{
		{"CRLF in To adds Bcc", Message{To: "a@b.com\r\nBcc: x@y.com", Subject: "s", Text: "t"}},
		{"LF in To", Message{To: "a@b.com\nBcc: x@y.com", Subject: "s", Text: "t"}},
		{"CRLF in Subject", Message{To: "a@b.com", Subject: "Hi\r\nBcc: x@y.com", Text: "t"}},
		{"bare CR in Subject", Message{To: "a@b.com", Subject: "Hi\rBcc: x@y.com", Text: "t"}},
		{"LF in Subject", Message{To: "a@b.com", Subject: "Hi\n\nbody", Text: "t"}},
		{"NUL in Subject", Message{To: "a@b.com", Subject: "Hi\x00", Text: "t"}},
		{"two recipients", Message{To: "a@b.com, x@y.com", Subject: "s", Text: "t"}},
		{"two recipients, semicolon", Message{To: "a@b.com; x@y.com", Subject: "s", Text: "t"}},
		{"group", Message{To: "undisclosed: a@b.com, x@y.com;", Subject: "s", Text: "t"}},
		{"no recipient", Message{Subject: "s", Text: "t"}},
		{"no domain", Message{To: "alice", Subject: "s", Text: "t"}},
		{"not an address", Message{To: "alice at example dot com", Subject: "s", Text: "t"}},
		{"invalid UTF-8 in Subject", Message{To: "a@b.com", Subject: "\xff", Text: "t"}},
		{"empty text", Message{To: "a@b.com", Subject: "s", HTML: "<p>only html</p>"}},
	}
	ts := newTestServer(t, serverOpts{})
	s := mustSMTP(t, ts.config(TLSNone))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Send(context.Background(), tt.msg)
			if !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Send error = %v, want ErrInvalidMessage", err)
			}
			if err := tt.msg.Validate(); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Validate = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if n := ts.conns.Load(); n != 0 {
		t.Errorf("the server saw %d connections; bad messages must be refused before connecting", n)
	}
}

func TestNewSMTPConfig(t *testing.T) {
	good := SMTPConfig{Host: "smtp.example.com", Port: 587, From: "Lockstep <no-reply@example.com>", TLS: TLSStartTLS}
	with := func(f func(*SMTPConfig)) SMTPConfig { c := good; f(&c); return c }
	tests := []struct {
		name string
		cfg  SMTPConfig
		ok   bool
	}{
		{"starttls", good, true},
		{"empty TLS means starttls", with(func(c *SMTPConfig) { c.TLS = "" }), true},
		{"TLS mode case-insensitive", with(func(c *SMTPConfig) { c.TLS = "STARTTLS" }), true},
		{"implicit tls", with(func(c *SMTPConfig) { c.TLS = TLSImplicit; c.Port = 465 }), true},
		{"with credentials", with(func(c *SMTPConfig) { c.Username, c.Password = "u", "p" }), true},
		{"bare From", with(func(c *SMTPConfig) { c.From = "no-reply@example.com" }), true},
		{"IP host", with(func(c *SMTPConfig) { c.Host = "192.0.2.10" }), true},
		{"none on localhost", with(func(c *SMTPConfig) { c.Host, c.TLS, c.Port = "localhost", TLSNone, 1025 }), true},
		{"none on LOCALHOST", with(func(c *SMTPConfig) { c.Host, c.TLS = "LOCALHOST", TLSNone }), true},
		{"none on 127.0.0.1", with(func(c *SMTPConfig) { c.Host, c.TLS = "127.0.0.1", TLSNone }), true},
		{"none on 127.0.0.2", with(func(c *SMTPConfig) { c.Host, c.TLS = "127.0.0.2", TLSNone }), true},
		{"none on ::1", with(func(c *SMTPConfig) { c.Host, c.TLS = "::1", TLSNone }), true},
		{"none on loopback with credentials", with(func(c *SMTPConfig) { c.Host, c.TLS, c.Username = "localhost", TLSNone, "u" }), true},
		{"none on compose service with explicit opt-in", with(func(c *SMTPConfig) { c.Host, c.TLS, c.InsecureAllowPlaintext = "mailpit", TLSNone, true }), true},
		{"timeout", with(func(c *SMTPConfig) { c.Timeout = time.Second }), true},

		{"no host", with(func(c *SMTPConfig) { c.Host = "" }), false},
		{"host with port", with(func(c *SMTPConfig) { c.Host = "smtp.example.com:587" }), false},
		{"host with scheme", with(func(c *SMTPConfig) { c.Host = "smtp://smtp.example.com" }), false},
		{"unix socket host", with(func(c *SMTPConfig) { c.Host = "unix:///run/smtp.sock" }), false},
		{"host with space", with(func(c *SMTPConfig) { c.Host = "smtp example.com" }), false},
		{"port 0", with(func(c *SMTPConfig) { c.Port = 0 }), false},
		{"port -1", with(func(c *SMTPConfig) { c.Port = -1 }), false},
		{"port 65536", with(func(c *SMTPConfig) { c.Port = 65536 }), false},
		{"no From", with(func(c *SMTPConfig) { c.From = "" }), false},
		{"From not an address", with(func(c *SMTPConfig) { c.From = "Lockstep" }), false},
		{"From without domain", with(func(c *SMTPConfig) { c.From = "Lockstep <no-reply>" }), false},
		{"From list", with(func(c *SMTPConfig) { c.From = "a@example.com, b@example.com" }), false},
		{"From with CRLF", with(func(c *SMTPConfig) { c.From = "no-reply@example.com\r\nBcc: x@y.com" }), false},
		{"unknown TLS mode", with(func(c *SMTPConfig) { c.TLS = "ssl" }), false},
		{"opportunistic is not a mode", with(func(c *SMTPConfig) { c.TLS = "opportunistic" }), false},
		{"none on a remote name", with(func(c *SMTPConfig) { c.TLS = TLSNone }), false},
		{"none on a private address", with(func(c *SMTPConfig) { c.Host, c.TLS = "10.0.0.5", TLSNone }), false},
		{"none on localhost.example.com", with(func(c *SMTPConfig) { c.Host, c.TLS = "localhost.example.com", TLSNone }), false},
		{"none on compose service without opt-in", with(func(c *SMTPConfig) { c.Host, c.TLS = "mailpit", TLSNone }), false},
		{"opt-in plaintext still refuses credentials", with(func(c *SMTPConfig) {
			c.Host, c.TLS, c.InsecureAllowPlaintext, c.Username, c.Password = "mailpit", TLSNone, true, "u", "pw-Zq9x"
		}), false},
		{"password without username", with(func(c *SMTPConfig) { c.Password = "pw-Zq9x" }), false},
		{"negative timeout", with(func(c *SMTPConfig) { c.Timeout = -time.Second }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSMTP(tt.cfg)
			if tt.ok {
				if err != nil || s == nil {
					t.Fatalf("NewSMTP(%+v) = %v", tt.cfg, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || s != nil {
				t.Fatalf("NewSMTP(%+v) = %v, %v; want ErrInvalidConfig", tt.cfg, s, err)
			}
			if tt.cfg.Password != "" && strings.Contains(err.Error(), tt.cfg.Password) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestSMTPTLS(t *testing.T) {
	pki := newTestPKI(t)
	msg := Message{To: "alice@example.com", Subject: "s", Text: "t"}
	tests := []struct {
		name    string
		server  serverOpts
		mode    string
		trust   bool
		auth    bool
		wantErr string
	}{
		{name: "starttls", server: serverOpts{tls: pki.server}, mode: TLSStartTLS, trust: true},
		{name: "starttls with auth", server: serverOpts{tls: pki.server}, mode: TLSStartTLS, trust: true, auth: true},
		{name: "implicit tls", server: serverOpts{tls: pki.server, implicit: true}, mode: TLSImplicit, trust: true},
		{name: "implicit tls with auth", server: serverOpts{tls: pki.server, implicit: true}, mode: TLSImplicit, trust: true, auth: true},
		{name: "starttls not offered: no downgrade", server: serverOpts{}, mode: TLSStartTLS, trust: true, wantErr: "STARTTLS"},
		{name: "starttls, untrusted certificate", server: serverOpts{tls: pki.server}, mode: TLSStartTLS, wantErr: "certificate"},
		{name: "implicit tls, untrusted certificate", server: serverOpts{tls: pki.server, implicit: true}, mode: TLSImplicit, wantErr: "certificate"},
		{name: "implicit tls against a plain server", server: serverOpts{}, mode: TLSImplicit, trust: true, wantErr: "tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.server, func(ts *testServer) {
				if tt.auth {
					ts.user, ts.pass = "mailer", "pw"
				}
			})
			cfg := ts.config(tt.mode)
			if tt.auth {
				cfg.Username, cfg.Password = "mailer", "pw"
			}
			s := mustSMTP(t, cfg)
			if tt.trust {
				s.rootCAs = pki.roots
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := s.Send(ctx, msg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.wantErr)) {
					t.Fatalf("Send error = %v, want one mentioning %q", err, tt.wantErr)
				}
				if n := len(ts.messages()); n != 0 {
					t.Errorf("server received %d messages", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := ts.messages()
			if len(got) != 1 || !got[0].TLS {
				t.Fatalf("received %+v, want one message over TLS", got)
			}
			if auths := ts.authAttempts(); tt.auth && (len(auths) != 1 || auths[0].Username != "mailer" || auths[0].Password != "pw") {
				t.Errorf("AUTH = %+v", auths)
			}
		})
	}
}

func TestSMTPConcurrentSends(t *testing.T) {
	ts := newTestServer(t, serverOpts{})
	s := mustSMTP(t, ts.config(TLSNone))
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Send(context.Background(), Message{To: fmt.Sprintf("user%d@example.com", i), Subject: fmt.Sprintf("s%d", i), Text: "t"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := map[string]bool{}
	for _, r := range ts.messages() {
		got[r.To[0]] = true
	}
	if len(got) != n {
		t.Errorf("server received messages for %d recipients, want %d", len(got), n)
	}
}
