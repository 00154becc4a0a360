package main

import (
	"strings"
	"testing"

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
