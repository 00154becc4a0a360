package orgs_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

var now = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// recorder is a memory store that counts the writes orgs makes.
type recorder struct {
	*memory.Store
	writes int
}

func (r *recorder) CreateOrganisation(ctx context.Context, o storage.Organisation, audit []storage.AuditEvent) error {
	r.writes++
	return r.Store.CreateOrganisation(ctx, o, audit)
}

func (r *recorder) AddGroup(ctx context.Context, orgID, name string, now time.Time, audit []storage.AuditEvent) error {
	r.writes++
	return r.Store.AddGroup(ctx, orgID, name, now, audit)
}

func (r *recorder) RenameGroup(ctx context.Context, orgID, oldName, newName string, now time.Time, audit []storage.AuditEvent) error {
	r.writes++
	return r.Store.RenameGroup(ctx, orgID, oldName, newName, now, audit)
}

func (r *recorder) SetOrgPolicy(ctx context.Context, orgID string, p storage.OrgPolicy, now time.Time, audit []storage.AuditEvent) error {
	r.writes++
	return r.Store.SetOrgPolicy(ctx, orgID, p, now, audit)
}

func (r *recorder) SetUserOrg(ctx context.Context, userID, orgID string, groups []string, now time.Time, audit []storage.AuditEvent) error {
	r.writes++
	return r.Store.SetUserOrg(ctx, userID, orgID, groups, now, audit)
}

// newStore holds organisation acme as Create makes it, its member u-owner, and
// u-free, who is in no organisation; no write is counted yet and the audit log
// is empty.
func newStore(t *testing.T) *recorder {
	t.Helper()
	ctx := t.Context()
	s := memory.New()
	acme := storage.Organisation{ID: "acme", Name: "Acme", Groups: orgs.DefaultGroups(),
		Policy:    storage.OrgPolicy{Level: storage.LevelLow, CoveredGroups: orgs.DefaultGroups(), GraceDays: orgs.DefaultGraceDays},
		CreatedAt: now, UpdatedAt: now}
	if err := s.CreateOrganisation(ctx, acme, nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range []storage.User{
		{ID: "u-owner", Email: "owner@example.com", OrgID: "acme", Groups: []string{"owners"}, CreatedAt: now, UpdatedAt: now},
		{ID: "u-free", Email: "free@example.com", CreatedAt: now, UpdatedAt: now},
	} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return &recorder{Store: s}
}

func policy(level storage.SecurityLevel, grace int, covered ...string) storage.OrgPolicy {
	return storage.OrgPolicy{Level: level, CoveredGroups: covered, GraceDays: grace}
}

// TestRefused gives every function bad input: each gets an error that says what
// is wrong and matches the storage sentinel, and the store sees no write.
func TestRefused(t *testing.T) {
	long := strings.Repeat("a", 65)
	for _, tt := range []struct {
		name string
		call func(ctx context.Context, s orgs.Store) error
		want error
		msgs []string // each is in the error's message
	}{
		{"create: no name", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.Create(ctx, s, orgs.CreateSpec{Name: " \t"}, "cli", now)
			return err
		}, storage.ErrInvalid, []string{"needs a name"}},
		{"create: name too long", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.Create(ctx, s, orgs.CreateSpec{Name: strings.Repeat("é", orgs.MaxNameLen+1)}, "cli", now)
			return err
		}, storage.ErrInvalid, []string{"at most 200 characters, not 201"}},
		{"create: upper-case id", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.Create(ctx, s, orgs.CreateSpec{ID: "Acme", Name: "Acme"}, "cli", now)
			return err
		}, storage.ErrInvalid, []string{`organisation id "Acme"`}},
		{"create: id too long", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.Create(ctx, s, orgs.CreateSpec{ID: long, Name: "Acme"}, "cli", now)
			return err
		}, storage.ErrInvalid, []string{"1 to 64"}},
		{"create: every problem at once", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.Create(ctx, s, orgs.CreateSpec{ID: "acme_corp"}, "", now)
			return err
		}, storage.ErrInvalid, []string{"needs a name", `organisation id "acme_corp"`, "needs an actor"}},

		{"add group: bad name", func(ctx context.Context, s orgs.Store) error {
			return orgs.AddGroup(ctx, s, "acme", "Staff Room", "cli", now)
		}, storage.ErrInvalid, []string{`group name "Staff Room"`}},
		{"add group: empty name", func(ctx context.Context, s orgs.Store) error {
			return orgs.AddGroup(ctx, s, "acme", "", "cli", now)
		}, storage.ErrInvalid, []string{`group name ""`}},
		{"add group: name too long", func(ctx context.Context, s orgs.Store) error {
			return orgs.AddGroup(ctx, s, "acme", long, "cli", now)
		}, storage.ErrInvalid, []string{"1 to 64"}},
		{"add group: name in use", func(ctx context.Context, s orgs.Store) error {
			return orgs.AddGroup(ctx, s, "acme", "owners", "cli", now)
		}, storage.ErrAlreadyExists, []string{`has a group "owners" already`}},
		{"add group: unknown organisation", func(ctx context.Context, s orgs.Store) error {
			return orgs.AddGroup(ctx, s, "nope", "staff", "cli", now)
		}, storage.ErrNotFound, []string{`no organisation "nope"`}},
		{"add group: no actor", func(ctx context.Context, s orgs.Store) error {
			return orgs.AddGroup(ctx, s, "acme", "staff", " ", now)
		}, storage.ErrInvalid, []string{"needs an actor"}},

		{"rename: no such group", func(ctx context.Context, s orgs.Store) error {
			return orgs.RenameGroup(ctx, s, "acme", "staff", "crew", "cli", now)
		}, storage.ErrInvalid, []string{`has no group "staff"`}},
		{"rename: new name in use", func(ctx context.Context, s orgs.Store) error {
			return orgs.RenameGroup(ctx, s, "acme", "owners", "suppliers", "cli", now)
		}, storage.ErrAlreadyExists, []string{`has a group "suppliers" already`}},
		{"rename: bad new name", func(ctx context.Context, s orgs.Store) error {
			return orgs.RenameGroup(ctx, s, "acme", "owners", "Owners", "cli", now)
		}, storage.ErrInvalid, []string{`group name "Owners"`}},
		{"rename: unknown organisation", func(ctx context.Context, s orgs.Store) error {
			return orgs.RenameGroup(ctx, s, "nope", "owners", "landlords", "cli", now)
		}, storage.ErrNotFound, []string{`no organisation "nope"`}},

		{"policy: unknown level", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "acme", policy("medium", 5, "owners"), "cli", now)
		}, storage.ErrInvalid, []string{`"low" or "high", not "medium"`}},
		{"policy: level in capitals", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "acme", policy("HIGH", 5, "owners"), "cli", now)
		}, storage.ErrInvalid, []string{`not "HIGH"`}},
		{"policy: no level", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "acme", policy("", 5, "owners"), "cli", now)
		}, storage.ErrInvalid, []string{`not ""`}},
		{"policy: negative grace period", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "acme", policy(storage.LevelHigh, -1, "owners"), "cli", now)
		}, storage.ErrInvalid, []string{"0 to 90 days, not -1"}},
		{"policy: absurd grace period", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "acme", policy(storage.LevelHigh, 91, "owners"), "cli", now)
		}, storage.ErrInvalid, []string{"0 to 90 days, not 91"}},
		{"policy: covering groups it lacks", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "acme", policy(storage.LevelHigh, 5, "owners", "staff", "crew"), "cli", now)
		}, storage.ErrInvalid, []string{`no group "staff"`, `no group "crew"`}},
		{"policy: unknown organisation", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetPolicy(ctx, s, "nope", policy(storage.LevelHigh, 5), "cli", now)
		}, storage.ErrNotFound, []string{`no organisation "nope"`}},

		{"move: unknown user", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetUserOrg(ctx, s, "nobody", "acme", []string{"owners"}, "cli", now)
		}, storage.ErrNotFound, []string{`no user "nobody"`}},
		{"move: unknown organisation", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetUserOrg(ctx, s, "u-free", "nope", []string{"owners"}, "cli", now)
		}, storage.ErrNotFound, []string{`no organisation "nope"`}},
		{"move: no group", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetUserOrg(ctx, s, "u-free", "acme", nil, "cli", now)
		}, storage.ErrInvalid, []string{"needs at least one group"}},
		{"move: a group it lacks", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetUserOrg(ctx, s, "u-free", "acme", []string{"owners", "staff"}, "cli", now)
		}, storage.ErrInvalid, []string{`no group "staff"`}},
		{"move: groups without an organisation", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetUserOrg(ctx, s, "u-owner", "", []string{"owners"}, "cli", now)
		}, storage.ErrInvalid, []string{"in no group, not in owners"}},
		{"move: no actor", func(ctx context.Context, s orgs.Store) error {
			return orgs.SetUserOrg(ctx, s, "u-owner", "", nil, "", now)
		}, storage.ErrInvalid, []string{"needs an actor"}},

		{"membership: unknown organisation", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.CheckMembership(ctx, s, "nope", []string{"owners"})
			return err
		}, storage.ErrNotFound, []string{`no organisation "nope"`}},
		{"membership: no group", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.CheckMembership(ctx, s, "acme", nil)
			return err
		}, storage.ErrInvalid, []string{"needs at least one group"}},
		{"membership: a group it lacks", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.CheckMembership(ctx, s, "acme", []string{"staff", "owners"})
			return err
		}, storage.ErrInvalid, []string{`no group "staff"`}},
		{"membership: groups without an organisation", func(ctx context.Context, s orgs.Store) error {
			_, err := orgs.CheckMembership(ctx, s, "", []string{"owners"})
			return err
		}, storage.ErrInvalid, []string{"in no group, not in owners"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			err := tt.call(t.Context(), s)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
			if s.writes != 0 {
				t.Errorf("the store saw %d writes", s.writes)
			}
			if es, _ := s.ListAudit(t.Context(), storage.AuditFilter{}); len(es) != 0 {
				t.Errorf("audit events appended: %+v", es)
			}
		})
	}
}

// TestCheckMembership: the groups come back in the organisation's order, each
// once, and no organisation means no group.
func TestCheckMembership(t *testing.T) {
	s := newStore(t)
	got, err := orgs.CheckMembership(t.Context(), s, "acme", []string{"suppliers", "administrators", "suppliers"})
	if err != nil || !slices.Equal(got, []string{"administrators", "suppliers"}) {
		t.Fatalf("CheckMembership = %q, %v", got, err)
	}
	if got, err := orgs.CheckMembership(t.Context(), s, "", nil); err != nil || got != nil {
		t.Fatalf("no organisation: %q, %v", got, err)
	}
}

func TestCreate(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	o, err := orgs.Create(ctx, s, orgs.CreateSpec{Name: "  Ünïcode & Co  "}, "cli", now.In(time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z0-9-]{1,64}$`).MatchString(o.ID) {
		t.Errorf("generated id %q is not a valid id", o.ID)
	}
	want := storage.Organisation{ID: o.ID, Name: "Ünïcode & Co", Groups: []string{"administrators", "company-users", "owners", "suppliers"},
		Policy:    storage.OrgPolicy{Level: storage.LevelLow, CoveredGroups: []string{"administrators", "company-users", "owners", "suppliers"}, GraceDays: 5},
		CreatedAt: now, UpdatedAt: now}
	got, err := s.GetOrganisation(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stored organisation (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, o); d != "" {
		t.Errorf("returned organisation (-want +got):\n%s", d)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("stored in %v, not UTC", got.CreatedAt.Location())
	}
	wantAudit(t, s, storage.AuditEvent{At: now, Type: orgs.EventCreated, Detail: map[string]string{"actor": "cli", "org": o.ID, "old": "",
		"new": `name="Ünïcode & Co" groups=administrators,company-users,owners,suppliers level=low covered=administrators,company-users,owners,suppliers grace_days=5`}})

	// The longest name counts characters, not bytes; a given id is kept.
	if _, err := orgs.Create(ctx, s, orgs.CreateSpec{ID: "e-" + strings.Repeat("9", 62), Name: strings.Repeat("é", orgs.MaxNameLen)}, "cli", now); err != nil {
		t.Errorf("longest name and id: %v", err)
	}
	_, err = orgs.Create(ctx, s, orgs.CreateSpec{ID: "acme", Name: "Acme again"}, "cli", now)
	if !errors.Is(err, storage.ErrAlreadyExists) || !strings.Contains(err.Error(), `id "acme" exists already`) {
		t.Errorf("id in use: %v", err)
	}
}

// TestChanges runs every change once and checks what it stored and its audit event.
func TestChanges(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	at := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	const day = 24 * time.Hour

	// Covered groups come back in the organisation's order, each once.
	must(t, orgs.SetPolicy(ctx, s, "acme", policy(storage.LevelHigh, 7, "owners", "administrators", "owners"), "admin-1", at(1)))
	o, err := s.GetOrganisation(ctx, "acme")
	must(t, err)
	if d := cmp.Diff(policy(storage.LevelHigh, 7, "administrators", "owners"), o.Policy); d != "" {
		t.Errorf("policy (-want +got):\n%s", d)
	}
	wantDeadline(t, s, "u-owner", at(1).Add(7*day))
	wantAudit(t, s, storage.AuditEvent{At: at(1), Type: orgs.EventPolicyChanged, Detail: map[string]string{"actor": "admin-1", "org": "acme",
		"old": "level=low covered=administrators,company-users,owners,suppliers grace_days=5",
		"new": "level=high covered=administrators,owners grace_days=7"}})

	must(t, orgs.SetUserOrg(ctx, s, "u-free", "acme", []string{"suppliers", "owners"}, "admin-1", at(2)))
	u, err := s.GetUser(ctx, "u-free")
	must(t, err)
	if d := cmp.Diff([]string{"owners", "suppliers"}, u.Groups); d != "" || u.OrgID != "acme" {
		t.Errorf("u-free in %q, groups (-want +got):\n%s", u.OrgID, d)
	}
	wantDeadline(t, s, "u-free", at(2).Add(7*day))
	wantAudit(t, s, storage.AuditEvent{At: at(2), Type: orgs.EventUserOrgChanged, UserID: "u-free", Detail: map[string]string{"actor": "admin-1",
		"org": "acme", "old": "", "new": "org=acme groups=owners,suppliers"}})

	must(t, orgs.AddGroup(ctx, s, "acme", "contractors", "cli", at(3)))
	wantAudit(t, s, storage.AuditEvent{At: at(3), Type: orgs.EventGroupAdded, Detail: map[string]string{"actor": "cli", "org": "acme", "old": "", "new": "contractors"}})

	must(t, orgs.RenameGroup(ctx, s, "acme", "owners", "landlords", "cli", at(4)))
	wantAudit(t, s, storage.AuditEvent{At: at(4), Type: orgs.EventGroupRenamed, Detail: map[string]string{"actor": "cli", "org": "acme", "old": "owners", "new": "landlords"}})
	wantDeadline(t, s, "u-owner", at(1).Add(7*day))

	must(t, orgs.SetUserOrg(ctx, s, "u-free", "", nil, "cli", at(5)))
	wantAudit(t, s, storage.AuditEvent{At: at(5), Type: orgs.EventUserOrgChanged, UserID: "u-free", Detail: map[string]string{"actor": "cli",
		"org": "acme", "old": "org=acme groups=landlords,suppliers", "new": ""}})
	wantDeadline(t, s, "u-free", time.Time{})

	if s.writes != 5 {
		t.Errorf("%d writes for 5 changes", s.writes)
	}
	// The grace period's bounds are allowed: none, and the longest.
	for _, grace := range []int{0, orgs.MaxGraceDays} {
		must(t, orgs.SetPolicy(ctx, s, "acme", policy(storage.LevelHigh, grace, "landlords"), "cli", at(6)))
	}
}

func TestCovered(t *testing.T) {
	acme := storage.Organisation{ID: "acme", Groups: orgs.DefaultGroups(), Policy: policy(storage.LevelHigh, 5, "owners", "suppliers")}
	low := acme
	low.Policy.Level = storage.LevelLow
	member := func(orgID string, groups ...string) storage.User {
		return storage.User{ID: "u", OrgID: orgID, Groups: groups}
	}
	for _, tt := range []struct {
		name string
		org  storage.Organisation
		user storage.User
		want bool
	}{
		{"in a covered group", acme, member("acme", "owners"), true},
		{"in one covered group of two", acme, member("acme", "administrators", "suppliers"), true},
		{"in no covered group", acme, member("acme", "administrators", "company-users"), false},
		{"level low", low, member("acme", "owners"), false},
		{"in another organisation", acme, member("other", "owners"), false},
		{"in no organisation", acme, member(""), false},
		{"no organisation, no user's organisation", storage.Organisation{}, member(""), false},
	} {
		if got := orgs.Covered(tt.org, tt.user); got != tt.want {
			t.Errorf("%s: Covered = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantAudit checks the newest audit event against want; its ID, which is random,
// is not compared.
func wantAudit(t *testing.T, s *recorder, want storage.AuditEvent) {
	t.Helper()
	es, err := s.ListAudit(t.Context(), storage.AuditFilter{Limit: 1})
	must(t, err)
	if len(es) != 1 {
		t.Fatalf("no audit event")
	}
	got := es[0]
	if got.ID == "" {
		t.Errorf("audit event without id: %+v", got)
	}
	got.ID = ""
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit event (-want +got):\n%s", d)
	}
}

func wantDeadline(t *testing.T, s *recorder, userID string, want time.Time) {
	t.Helper()
	u, err := s.GetUser(t.Context(), userID)
	must(t, err)
	if !u.MFADeadline.Equal(want) {
		t.Errorf("%s's deadline is %v, want %v", userID, u.MFADeadline, want)
	}
}
