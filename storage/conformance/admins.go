package conformance

import (
	"slices"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func ids(us []storage.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func eventIDs(es []storage.AuditEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testPlatformAdmins(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	for _, id := range []string{"u2", "u1"} {
		must(t, s.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com", CreatedAt: base, UpdatedAt: base}))
	}
	wantErr(t, "unknown user", s.SetPlatformAdmin(ctx, "nobody", true, base, orgEvent("a0")), storage.ErrNotFound)
	must(t, s.SetPlatformAdmin(ctx, "u2", true, base, orgEvent("a1")))
	must(t, s.SetPlatformAdmin(ctx, "u1", true, base, orgEvent("a2")))
	must(t, s.SetPlatformAdmin(ctx, "u1", true, base, orgEvent("a3"))) // granted twice: still one
	wantErr(t, "audit id in use", s.SetPlatformAdmin(ctx, "u2", false, base, orgEvent("a1")), storage.ErrAlreadyExists)
	admins, err := s.ListPlatformAdmins(ctx)
	must(t, err)
	equal(t, "admins", []string{"u1", "u2"}, ids(admins))
	must(t, s.SetPlatformAdmin(ctx, "u2", false, base, orgEvent("a4")))
	for id, want := range map[string]bool{"u1": true, "u2": false, "nobody": false} {
		got, err := s.IsPlatformAdmin(ctx, id)
		must(t, err)
		equal(t, "is admin "+id, want, got)
	}
	events, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	equal(t, "audit appended with each change", []string{"a4", "a3", "a2", "a1"}, eventIDs(events))
}

func testSearchUsers(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.CreateOrganisation(ctx, newOrg("acme", storage.OrgPolicy{Level: storage.LevelLow}), nil))
	must(t, s.CreateOrganisation(ctx, newOrg("other", storage.OrgPolicy{Level: storage.LevelLow}), nil))
	users := []storage.User{
		member("u1", "acme", "administrators"),
		member("u2", "acme", "company-users"),
		member("u3", "other", "company-users"),
		{ID: "u4", Email: "u4@elsewhere.example", CreatedAt: base, UpdatedAt: base},
	}
	for _, u := range users {
		must(t, s.CreateUser(ctx, u))
	}
	// acme covers company-users: u2 gets a deadline; u3 has an app, u1 a phone.
	must(t, s.SetOrgPolicy(ctx, "acme", storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: []string{"company-users"}, GraceDays: 2}, base, nil))
	must(t, s.SetOrgPolicy(ctx, "other", storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: []string{"company-users"}, GraceDays: 2}, base, nil))
	must(t, s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "d3", UserID: "u3", Name: "app", CreatedAt: base}))
	must(t, s.ActivateTOTPDevice(ctx, "d3", 1, base, false))
	must(t, s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "d4", UserID: "u4", Name: "pending", CreatedAt: base})) // inactive
	must(t, s.SetPhoneNumber(ctx, storage.PhoneNumber{UserID: "u1", E164: "+4915100000001", VerifiedAt: base}))

	tests := []struct {
		name string
		q    storage.UserQuery
		want []string
	}{
		{"all", storage.UserQuery{}, []string{"u1", "u2", "u3", "u4"}},
		{"email part, any case", storage.UserQuery{Email: "ELSEWHERE"}, []string{"u4"}},
		{"organisation", storage.UserQuery{OrgID: "acme"}, []string{"u1", "u2"}},
		{"group", storage.UserQuery{Group: "company-users"}, []string{"u2", "u3"}},
		{"organisation and group", storage.UserQuery{OrgID: "acme", Group: "company-users"}, []string{"u2"}},
		{"without a second factor", storage.UserQuery{WithoutSecondFactor: true}, []string{"u2", "u4"}},
		{"deadline passed", storage.UserQuery{DeadlineBefore: base.Add(3 * 24 * time.Hour)}, []string{"u2", "u3"}},
		{"deadline not yet", storage.UserQuery{DeadlineBefore: base.Add(time.Hour)}, nil},
		{"past deadline without a factor", storage.UserQuery{DeadlineBefore: base.Add(3 * 24 * time.Hour), WithoutSecondFactor: true}, []string{"u2"}},
		{"after", storage.UserQuery{After: "u2"}, []string{"u3", "u4"}},
		{"limit", storage.UserQuery{Limit: 2}, []string{"u1", "u2"}},
		{"after and limit", storage.UserQuery{After: "u1", Limit: 2}, []string{"u2", "u3"}},
		{"no match", storage.UserQuery{Email: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SearchUsers(ctx, tt.q)
			must(t, err)
			equal(t, "users", tt.want, ids(got))
			n, err := s.CountUsers(ctx, tt.q)
			must(t, err)
			// The count ignores the cursor and the limit.
			all := tt.q
			all.After, all.Limit = "", 0
			every, err := s.SearchUsers(ctx, all)
			must(t, err)
			equal(t, "count", len(every), n)
		})
	}
	got, err := s.SearchUsers(ctx, storage.UserQuery{OrgID: "acme", Limit: 1})
	must(t, err)
	equal(t, "whole records", "acme", got[0].OrgID)
	equal(t, "groups", []string{"administrators"}, got[0].Groups)
}

func testQueryAudit(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.CreateOrganisation(ctx, newOrg("acme", storage.OrgPolicy{Level: storage.LevelLow}), nil))
	must(t, s.CreateUser(ctx, member("alice", "acme", "administrators")))
	ev := func(id string, at time.Duration, typ, user, client, org string) storage.AuditEvent {
		e := storage.AuditEvent{ID: id, At: base.Add(at), Type: typ, UserID: user, ClientID: client}
		if org != "" {
			e.Detail = map[string]string{"org": org}
		}
		return e
	}
	events := []storage.AuditEvent{
		ev("e1", 0, "login.success", "alice", "app1", ""),
		ev("e2", time.Minute, "login.failure", "bob", "app1", ""),
		ev("e3", 2*time.Minute, "login.success", "alice", "app2", ""),
		ev("e4", 2*time.Minute, "org.policy_changed", "", "", "acme"), // same At as e3, appended later
		ev("e5", 3*time.Minute, "client.created", "", "app2", ""),
	}
	must(t, s.AppendAudits(ctx, events))
	tests := []struct {
		name string
		q    storage.AuditQuery
		want []string
	}{
		{"all, newest first", storage.AuditQuery{}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"type", storage.AuditQuery{Type: "login.success"}, []string{"e3", "e1"}},
		{"user", storage.AuditQuery{UserID: "alice"}, []string{"e3", "e1"}},
		{"client", storage.AuditQuery{ClientID: "app2"}, []string{"e5", "e3"}},
		{"organisation: its users and its events", storage.AuditQuery{OrgID: "acme"}, []string{"e4", "e3", "e1"}},
		{"time range", storage.AuditQuery{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, []string{"e4", "e3", "e2"}},
		{"limit", storage.AuditQuery{Limit: 2}, []string{"e5", "e4"}},
		{"cursor within equal times", storage.AuditQuery{Before: "e4", Limit: 2}, []string{"e3", "e2"}},
		{"cursor with a filter", storage.AuditQuery{Before: "e3", UserID: "alice"}, []string{"e1"}},
		{"cursor at the newest", storage.AuditQuery{Before: "e5"}, []string{"e4", "e3", "e2", "e1"}},
		{"cursor at the end", storage.AuditQuery{Before: "e1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.QueryAudit(ctx, tt.q)
			must(t, err)
			equal(t, "events", tt.want, eventIDs(got))
		})
	}
	_, err := s.QueryAudit(ctx, storage.AuditQuery{Before: "nope"})
	wantErr(t, "unknown cursor", err, storage.ErrNotFound)
	got, err := s.QueryAudit(ctx, storage.AuditQuery{Type: "org.policy_changed"})
	must(t, err)
	if len(got) != 1 || !slices.Equal([]string{got[0].Detail["org"]}, []string{"acme"}) {
		t.Errorf("event read back: %+v", got)
	}
}

func testRenameOrganisation(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.CreateOrganisation(ctx, newOrg("acme", storage.OrgPolicy{Level: storage.LevelLow}), nil))
	wantErr(t, "unknown organisation", s.RenameOrganisation(ctx, "nope", "X", base, orgEvent("r0")), storage.ErrNotFound)
	must(t, s.RenameOrganisation(ctx, "acme", "Acme Ltd", base.Add(time.Hour), orgEvent("r1")))
	wantErr(t, "audit id in use", s.RenameOrganisation(ctx, "acme", "Other", base.Add(2*time.Hour), orgEvent("r1")), storage.ErrAlreadyExists)
	o, err := s.GetOrganisation(ctx, "acme")
	must(t, err)
	equal(t, "name", "Acme Ltd", o.Name)
	equal(t, "updated", base.Add(time.Hour), o.UpdatedAt)
	events, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	equal(t, "audit", []string{"r1"}, eventIDs(events))
}
