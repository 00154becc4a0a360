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

// TestClientsCLIAudited: the CLI changes clients through the admin API's
// service, so its changes are audited alike, by the actor cli.
func TestClientsCLIAudited(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	mustCLI(t, dsn, "", "clients", "create", "--name", "Jobs", "--id", "jobs", "--grant-type", "client_credentials")
	mustCLI(t, dsn, "", "clients", "update", "jobs", "--name", "Batch jobs")
	mustCLI(t, dsn, "", "clients", "rotate-secret", "jobs")
	mustCLI(t, dsn, "", "clients", "delete", "jobs")
	events, err := openTestStore(t, dsn).QueryAudit(context.Background(), storage.AuditQuery{ClientID: "jobs"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		if e.Detail["actor"] != cliActor {
			t.Errorf("%s by %q", e.Type, e.Detail["actor"])
		}
		types = append(types, e.Type)
	}
	want := []string{admin.EventClientDeleted, admin.EventClientRotated, admin.EventClientUpdated, admin.EventClientCreated}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Errorf("audit %v, want %v", types, want)
	}
}
