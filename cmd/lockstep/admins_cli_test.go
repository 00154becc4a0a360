package main

import (
	"context"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

func TestAdminsCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	mustCLI(t, dsn, "correct horse battery staple\n", "users", "create", "--email", "root@example.com", "--password-stdin")
	st := openTestStore(t, dsn)
	ctx := context.Background()
	u, err := st.GetUserByEmail(ctx, "root@example.com")
	if err != nil {
		t.Fatal(err)
	}
	isAdmin := func() bool {
		t.Helper()
		ok, err := st.IsPlatformAdmin(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	if out := mustCLI(t, dsn, "", "admins", "grant", "ROOT@example.com"); !strings.Contains(out, "root@example.com is a platform administrator") {
		t.Errorf("grant said %q", out)
	}
	if !isAdmin() {
		t.Fatal("granted, yet not an administrator")
	}
	if out := mustCLI(t, dsn, "", "admins", "list"); !strings.Contains(out, u.ID+"\troot@example.com") {
		t.Errorf("list said %q", out)
	}
	mustCLI(t, dsn, "", "admins", "revoke", "root@example.com")
	if isAdmin() {
		t.Fatal("revoked, yet still an administrator")
	}
	events, err := st.QueryAudit(ctx, storage.AuditQuery{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		if e.Detail["actor"] != cliActor {
			t.Errorf("event %s by %q, want %q", e.Type, e.Detail["actor"], cliActor)
		}
		types = append(types, e.Type)
	}
	if want := admin.EventAdminRevoked + "," + admin.EventAdminGranted; strings.Join(types, ",") != want {
		t.Errorf("audit %v, want %s", types, want)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown user", []string{"admins", "grant", "nobody@example.com"}, "no user with email nobody@example.com"},
		{"no email", []string{"admins", "grant"}, "see usage"},
		{"unknown subcommand", []string{"admins", "promote", "root@example.com"}, "see usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := cli(t, dsn, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
