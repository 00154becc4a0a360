package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes for SMTPConfig.TLS.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS, which is
	// mandatory: a server that does not offer it is refused (no downgrade).
	// Usually port 587. This is the default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte ("SMTPS"), usually port 465.
	TLSImplicit = "tls"
	// TLSNone sends in plain text. Only for a catcher on the loopback interface
	// (Mailpit, MailHog), unless SMTPConfig.InsecureAllowPlaintext is set.
	TLSNone = "none"
)

// DefaultTimeout bounds each SMTP step (dial, each command, the data) when
// SMTPConfig.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// SMTPConfig configures an SMTP sender.
type SMTPConfig struct {
	// Host is the server's host name or IP address (no port).
	Host string
	// Port is the server's port, 1..65535 (587 for STARTTLS, 465 for TLS).
	Port int
	// Username and Password, when Username is set, authenticate with AUTH PLAIN
	// (or LOGIN if the server offers no PLAIN). Credentials are only ever sent
	// over TLS, or in plain text to a loopback host.
	Username, Password string
	// From is the sender, e.g. "Lockstep <no-reply@example.com>". Its address is
	// also the envelope sender, and its domain ends every Message-ID.
	From string
	// TLS is TLSStartTLS ("starttls", the default when empty), TLSImplicit
	// ("tls") or TLSNone ("none").
	TLS string
	// InsecureAllowPlaintext permits TLS "none" to a host that is not a loopback
	// name or address, such as docker-compose's "mailpit" service. Never set it
	// in production. Credentials are still refused in that case.
	InsecureAllowPlaintext bool
	// Timeout bounds each SMTP step; zero means DefaultTimeout. The context given
	// to Send bounds the whole delivery.
	Timeout time.Duration
}

// SMTP sends messages through an SMTP server with github.com/wneessen/go-mail.
// It opens one connection per message. It is safe for concurrent use.
type SMTP struct {
	cfg     SMTPConfig
	from    *mail.Address
	domain  string // of from, for Message-IDs
	timeout time.Duration

	// rootCAs, when set (by tests), replaces the system roots for verifying
	// the server's certificate.
	rootCAs *x509.CertPool
}

var _ Sender = (*SMTP)(nil)

// NewSMTP validates cfg and returns a sender. It does not connect. Errors wrap
// ErrInvalidConfig.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	bad := func(format string, a ...any) (*SMTP, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
	}
	if cfg.Host == "" {
		return bad("no host")
	}
	if !validHost(cfg.Host) {
		return bad("host %q is not a host name or IP address", cfg.Host)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return bad("port %d is not in 1..65535", cfg.Port)
	}
	if cfg.From == "" {
		return bad("no From address")
	}
	if hasControl(cfg.From) {
		return bad("From contains control characters")
	}
	from, err := parseAddress(cfg.From)
	if err != nil {
		return bad("From %q: %v", cfg.From, err)
	}
	cfg.TLS = strings.ToLower(strings.TrimSpace(cfg.TLS))
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch cfg.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(cfg.Host) {
			if !cfg.InsecureAllowPlaintext {
				return bad("TLS %q is only allowed for a loopback host, not %q", TLSNone, cfg.Host)
			}
			if cfg.Username != "" {
				return bad("refusing to send credentials in plain text to %q", cfg.Host)
			}
		}
	default:
		return bad("TLS mode %q is not %q, %q or %q", cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return bad("password without username")
	}
	if hasControl(cfg.Username) {
		return bad("username contains control characters")
	}
	if cfg.Timeout < 0 {
		return bad("negative timeout")
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &SMTP{
		cfg:     cfg,
		from:    from,
		domain:  from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		timeout: timeout,
	}, nil
}

// validHost accepts an IP address or something shaped like a host name. It
// refuses ports, paths, brackets and go-mail's "unix://" prefix.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return !strings.HasPrefix(h, ".") && !strings.HasPrefix(h, "-")
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers m in one SMTP transaction on a new connection. The message is
// validated first (errors wrap ErrInvalidMessage, and nothing is sent). The
// context bounds the whole delivery: when it ends, the connection is closed and
// the error wraps ctx.Err(). Nothing is logged; errors name the recipient in
// redacted form and never include the body.
func (s *SMTP) Send(ctx context.Context, m Message) (err error) {
	to, err := m.recipient()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
				err = fmt.Errorf("%w: %w", cerr, err)
			}
			err = fmt.Errorf("email: send to %s: %w", Redact(to.Address), err)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}

	msg, err := s.build(to, m)
	if err != nil {
		return err
	}

	// go-mail applies its dial context only to dialling and bounds each later
	// step with its own timeout, so the context's end is enforced here by
	// closing the connection. The connection is also closed when Send returns,
	// which go-mail does not do on every error path.
	var cc connCloser
	defer cc.close()
	stop := context.AfterFunc(ctx, cc.close)
	defer stop()
	dial := func(dctx context.Context, _, _ string) (net.Conn, error) {
		c, err := s.dial(dctx)
		if err != nil {
			return nil, err
		}
		if !cc.set(c) {
			return nil, net.ErrClosed
		}
		return c, nil
	}

	client, err := gomail.NewClient(s.cfg.Host, s.clientOptions(dial)...)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil && !msg.IsDelivered() {
		return err
	}
	// Delivered: the server accepted the data. A failure after that (RSET,
	// QUIT) is not reported, so that a caller does not send the message twice.
	return nil
}

// build turns m into a go-mail message.
func (s *SMTP) build(to *mail.Address, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDate()
	id, err := messageID(s.domain)
	if err != nil {
		return nil, err
	}
	msg.SetMessageIDWithValue(id)
	// RFC 3834: notifications are automatic; ask for no auto-replies.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageID returns "<random>@<domain>" (without angle brackets) with 160
// random bits.
func messageID(domain string) (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])) + "@" + domain, nil
}

// clientOptions configures a go-mail client for one delivery.
func (s *SMTP) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.timeout),
		gomail.WithDialContextFunc(dial),
	}
	switch s.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(s.tlsConfig()))
	case TLSImplicit:
		// The dialler does the handshake; WithSSL stops go-mail from trying
		// STARTTLS on top.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		plain, login := gomail.SMTPAuthPlain, gomail.SMTPAuthLogin
		if s.cfg.TLS == TLSNone {
			// Only reachable for a loopback host (NewSMTP refuses the rest).
			plain, login = gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc
		}
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(plain, login),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password),
		)
	}
	return opts
}

func (s *SMTP) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName: s.cfg.Host,
		MinVersion: tls.VersionTLS12,
		RootCAs:    s.rootCAs,
	}
}

// dial connects to the server, doing the TLS handshake for TLSImplicit.
func (s *SMTP) dial(ctx context.Context) (net.Conn, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	nd := &net.Dialer{Timeout: s.timeout}
	if s.cfg.TLS == TLSImplicit {
		td := &tls.Dialer{NetDialer: nd, Config: s.tlsConfig()}
		return td.DialContext(ctx, "tcp", addr)
	}
	return nd.DialContext(ctx, "tcp", addr)
}

// connCloser holds the connection of one delivery so that it can be closed
// from the context's AfterFunc goroutine as well as when Send returns.
type connCloser struct {
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// set records c; if close already ran, it closes c and reports false.
func (cc *connCloser) set(c net.Conn) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.closed {
		_ = c.Close()
		return false
	}
	cc.conn = c
	return true
}

func (cc *connCloser) close() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.closed = true
	if cc.conn != nil {
		_ = cc.conn.Close()
		cc.conn = nil
	}
}
