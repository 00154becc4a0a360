package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

// TestInviteCLIRefuses: a command line that cannot invite is refused with the
// reason, before anything is written.
func TestInviteCLIRefuses(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no email", []string{"users", "invite"}, "needs --email"},
		{"an argument", []string{"users", "invite", "--email", "bob@example.com", "extra"}, "takes no arguments"},
		{"resend with names", []string{"users", "invite", "--resend", "--email", "bob@example.com", "--given-name", "Bob"}, "--email only"},
		{"group without org", []string{"users", "invite", "--email", "bob@example.com", "--group", "staff"}, "--group needs --org"},
		{"empty org", []string{"users", "invite", "--email", "bob@example.com", "--org", ""}, `--org "" names no organisation`},
		{"no SMTP server", []string{"users", "invite", "--email", "bob@example.com"}, "email.smtp_host is not set"},
	} {
		_, _, err := cli(t, dsn, "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	out, _, err := cli(t, dsn, "", "users", "list")
	if err != nil || strings.Contains(out, "bob@example.com") {
		t.Errorf("a refused invitation created a user: %v\n%s", err, out)
	}
}

// smtpCatcher is a real SMTP server on loopback that keeps the messages' bodies.
type smtpCatcher struct {
	mu   sync.Mutex
	msgs []string
}

func (c *smtpCatcher) NewSession(*smtp.Conn) (smtp.Session, error) { return &catcherSession{c: c}, nil }

type catcherSession struct{ c *smtpCatcher }

func (s *catcherSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *catcherSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *catcherSession) Reset()                               {}
func (s *catcherSession) Logout() error                        { return nil }
func (s *catcherSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, string(b))
	s.c.mu.Unlock()
	return err
}

// last is the newest message (the CLI sends before it returns).
func (c *smtpCatcher) last(t *testing.T) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		t.Fatal("no email was sent")
	}
	return c.msgs[len(c.msgs)-1]
}

// TestInviteCLI: users invite creates the user without a password and emails the
// link to the issuer's invitation page; --resend sends a new one.
func TestInviteCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	catcher := &smtpCatcher{}
	srv := smtp.NewServer(catcher)
	srv.Domain = "localhost"
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	config := filepath.Join(t.TempDir(), "lockstep.yaml")
	yaml := fmt.Sprintf("email:\n  smtp_host: 127.0.0.1\n  smtp_port: %d\n  tls: none\n  from: id@example.com\n", l.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _, err := cli(t, dsn, "", "users", "invite", "--config", config, "--email", "Bob@Example.com", "--given-name", "Bob")
	if err != nil || !strings.Contains(out, "user bob@example.com invited") {
		t.Fatalf("invite: %v\n%s", err, out)
	}
	first := catcher.last(t)
	if !strings.Contains(first, "Hello Bob") || !strings.Contains(first, "http://127.0.0.1:8080/invite?token=") {
		t.Errorf("invitation email:\n%s", first)
	}
	out, _, err = cli(t, dsn, "", "users", "list")
	if err != nil || !strings.Contains(out, "bob@example.com") {
		t.Errorf("the invited user is not listed: %v\n%s", err, out)
	}
	if _, _, err := cli(t, dsn, "", "users", "invite", "--config", config, "--email", "bob@example.com"); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("a second invitation: %v", err)
	}
	if _, _, err := cli(t, dsn, "", "users", "invite", "--config", config, "--email", "eve@example.com", "--org", "nope", "--group", "staff"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown organisation: %v", err)
	}
	out, _, err = cli(t, dsn, "", "users", "invite", "--config", config, "--resend", "--email", "bob@example.com")
	if err != nil || !strings.Contains(out, "a new invitation was sent") {
		t.Fatalf("resend: %v\n%s", err, out)
	}
	if again := catcher.last(t); again == first || !strings.Contains(again, "/invite?token=") {
		t.Errorf("resent email:\n%s", again)
	}
	if out, _, _ := cli(t, dsn, "", "users", "list"); strings.Contains(out, "eve@example.com") {
		t.Errorf("the refused invitation created a user:\n%s", out)
	}
}
