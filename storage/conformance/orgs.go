package conformance

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

const day = 24 * time.Hour

var fourGroups = []string{"administrators", "company-users", "owners", "suppliers"}

func newOrg(id string, p storage.OrgPolicy) storage.Organisation {
	return storage.Organisation{ID: id, Name: "Organisation " + id, Groups: slices.Clone(fourGroups), Policy: p,
		CreatedAt: base, UpdatedAt: base}
}

// orgEvent is an audit event whose id tells the calls apart.
func orgEvent(id string) []storage.AuditEvent {
	return []storage.AuditEvent{{ID: id, At: base, Type: "org.test", Detail: map[string]string{"call": id}}}
}

func member(id, orgID string, groups ...string) storage.User {
	return storage.User{ID: id, Email: id + "@example.com", OrgID: orgID, Groups: groups, CreatedAt: base, UpdatedAt: base}
}

// coverageHolds checks the invariant every OrgStore call keeps: a user has a
// deadline exactly while their organisation's policy covers them.
func coverageHolds(t *testing.T, s storage.Storage) {
	t.Helper()
	ctx := t.Context()
	users, err := s.ListUsers(ctx)
	must(t, err)
	for _, u := range users {
		var covered bool
		if u.OrgID != "" {
			o, err := s.GetOrganisation(ctx, u.OrgID)
			must(t, err)
			covered = o.Policy.Covers(u.Groups)
		}
		if covered == u.MFADeadline.IsZero() {
			t.Errorf("user %s in %q %v: covered %v but deadline %v", u.ID, u.OrgID, u.Groups, covered, u.MFADeadline)
		}
	}
}

func testOrganisations(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	acme := newOrg("acme", storage.OrgPolicy{Level: storage.LevelLow, CoveredGroups: []string{"owners"}, GraceDays: 5})
	must(t, s.CreateOrganisation(ctx, acme, orgEvent("create-acme")))
	// Byte order puts "Zeta" first; most collations do not. No groups and no
	// covered groups are kept as such.
	zeta := storage.Organisation{ID: "Zeta", Name: "Z", Policy: storage.OrgPolicy{Level: storage.LevelHigh}, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateOrganisation(ctx, zeta, nil))

	got, err := s.GetOrganisation(ctx, acme.ID)
	must(t, err)
	equal(t, "organisation", acme, got)
	list, err := s.ListOrganisations(ctx)
	must(t, err)
	equal(t, "list", []storage.Organisation{zeta, acme}, list)
	_, err = s.GetOrganisation(ctx, "nope")
	wantErr(t, "get missing", err, storage.ErrNotFound)
	es, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	equal(t, "audit of the create", orgEvent("create-acme"), es)

	// Slices passed in or handed out do not alias the stored organisation.
	got.Groups[0], got.Policy.CoveredGroups[0], list[1].Groups[1] = "x", "x", "x"
	got, err = s.GetOrganisation(ctx, acme.ID)
	must(t, err)
	equal(t, "organisation after scribbling on copies", acme, got)

	must(t, s.AddGroup(ctx, acme.ID, "contractors", base.Add(time.Hour), orgEvent("add")))
	acme.Groups = append(acme.Groups, "contractors")
	acme.UpdatedAt = base.Add(time.Hour)
	got, err = s.GetOrganisation(ctx, acme.ID)
	must(t, err)
	equal(t, "organisation with a group added", acme, got)

	// A rename follows into the policy and the members, in this organisation only.
	must(t, s.CreateUser(ctx, member("u-owner", acme.ID, "suppliers", "owners")))
	must(t, s.AddGroup(ctx, zeta.ID, "owners", base, nil))
	must(t, s.CreateUser(ctx, member("u-zeta", zeta.ID, "owners")))
	must(t, s.RenameGroup(ctx, acme.ID, "owners", "landlords", base.Add(2*time.Hour), orgEvent("rename")))
	acme.Groups = []string{"administrators", "company-users", "landlords", "suppliers", "contractors"}
	acme.Policy.CoveredGroups = []string{"landlords"}
	acme.UpdatedAt = base.Add(2 * time.Hour)
	got, err = s.GetOrganisation(ctx, acme.ID)
	must(t, err)
	equal(t, "organisation with a group renamed", acme, got)
	for id, want := range map[string][]string{"u-owner": {"suppliers", "landlords"}, "u-zeta": {"owners"}} {
		u, err := s.GetUser(ctx, id)
		must(t, err)
		equal(t, id+"'s groups after the rename", want, u.Groups)
	}
	es, err = s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	if len(es) != 3 || es[0].ID != "rename" || es[1].ID != "add" {
		t.Errorf("audit after add and rename: %+v", es)
	}
}

func testOrgDeadlines(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	acme := newOrg("acme", storage.OrgPolicy{Level: storage.LevelLow, CoveredGroups: []string{"administrators", "owners"}, GraceDays: 5})
	other := newOrg("other", storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: fourGroups, GraceDays: 10})
	must(t, s.CreateOrganisation(ctx, acme, nil))
	must(t, s.CreateOrganisation(ctx, other, nil))
	for _, u := range []storage.User{
		member("u-admin", "acme", "administrators"),
		member("u-supplier", "acme", "suppliers"),
		member("u-both", "acme", "owners", "suppliers"),
		member("u-none", ""),
		// A deadline given to CreateUser is not the store's to keep.
		{ID: "u-other", Email: "u-other@example.com", OrgID: "other", Groups: []string{"suppliers"},
			MFADeadline: base.Add(time.Minute), CreatedAt: base.Add(-time.Hour), UpdatedAt: base},
	} {
		must(t, s.CreateUser(ctx, u))
	}
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	policy := func(level storage.SecurityLevel, grace int, covered ...string) storage.OrgPolicy {
		return storage.OrgPolicy{Level: level, CoveredGroups: covered, GraceDays: grace}
	}
	var none time.Time
	// Each step changes the store at hour h, then every user has the deadline in want.
	steps := []struct {
		name string
		do   func(now time.Time) error
		want map[string]time.Time
	}{
		{"created: only the other organisation is high, counted from CreatedAt", nil,
			map[string]time.Time{"u-admin": none, "u-supplier": none, "u-both": none, "u-none": none, "u-other": at(-1).Add(10 * day)}},
		{"level raised: covered members get now plus grace", func(now time.Time) error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelHigh, 5, "administrators", "owners"), now, nil)
		}, map[string]time.Time{"u-admin": at(1).Add(5 * day), "u-supplier": none, "u-both": at(1).Add(5 * day), "u-none": none, "u-other": at(-1).Add(10 * day)}},
		{"created into a covered group", func(time.Time) error {
			u := member("u-new", "acme", "owners")
			u.CreatedAt = at(2)
			return s.CreateUser(ctx, u)
		}, map[string]time.Time{"u-new": at(2).Add(5 * day)}},
		{"a new grace period moves no deadline", func(now time.Time) error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelHigh, 7, "administrators", "owners"), now, nil)
		}, map[string]time.Time{"u-admin": at(1).Add(5 * day), "u-both": at(1).Add(5 * day), "u-new": at(2).Add(5 * day)}},
		{"covered groups changed: the newly covered start, the still covered keep, the others clear", func(now time.Time) error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelHigh, 7, "administrators", "suppliers"), now, nil)
		}, map[string]time.Time{"u-admin": at(1).Add(5 * day), "u-supplier": at(4).Add(7 * day), "u-both": at(1).Add(5 * day), "u-new": none}},
		{"moved out of the covered groups", func(now time.Time) error {
			return s.SetUserOrg(ctx, "u-admin", "acme", []string{"company-users"}, now, nil)
		}, map[string]time.Time{"u-admin": none}},
		{"moved back: a new period from now", func(now time.Time) error {
			return s.SetUserOrg(ctx, "u-admin", "acme", []string{"administrators"}, now, nil)
		}, map[string]time.Time{"u-admin": at(6).Add(7 * day)}},
		{"another covered group as well: kept", func(now time.Time) error {
			return s.SetUserOrg(ctx, "u-admin", "acme", []string{"administrators", "suppliers"}, now, nil)
		}, map[string]time.Time{"u-admin": at(6).Add(7 * day)}},
		{"a user without an organisation joins", func(now time.Time) error {
			return s.SetUserOrg(ctx, "u-none", "acme", []string{"suppliers"}, now, nil)
		}, map[string]time.Time{"u-none": at(8).Add(7 * day)}},
		{"another organisation's rule is new", func(now time.Time) error {
			return s.SetUserOrg(ctx, "u-both", "other", []string{"owners"}, now, nil)
		}, map[string]time.Time{"u-both": at(9).Add(10 * day)}},
		{"a rename changes no deadline", func(now time.Time) error {
			return s.RenameGroup(ctx, "acme", "suppliers", "vendors", now, nil)
		}, map[string]time.Time{"u-admin": at(6).Add(7 * day), "u-supplier": at(4).Add(7 * day), "u-none": at(8).Add(7 * day)}},
		{"level lowered: every deadline of the organisation clears", func(now time.Time) error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelLow, 7, "administrators", "vendors"), now, nil)
		}, map[string]time.Time{"u-admin": none, "u-supplier": none, "u-none": none, "u-both": at(9).Add(10 * day), "u-other": at(-1).Add(10 * day)}},
		{"raised again: a new period", func(now time.Time) error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelHigh, 3, "administrators", "vendors"), now, nil)
		}, map[string]time.Time{"u-admin": at(12).Add(3 * day), "u-supplier": at(12).Add(3 * day)}},
		{"leaving every organisation clears", func(now time.Time) error {
			return s.SetUserOrg(ctx, "u-other", "", nil, now, nil)
		}, map[string]time.Time{"u-other": none}},
	}
	for h, step := range steps {
		if step.do != nil {
			if err := step.do(at(h)); err != nil {
				t.Fatalf("step %q: %v", step.name, err)
			}
		}
		for id, want := range step.want {
			u, err := s.GetUser(ctx, id)
			must(t, err)
			if !u.MFADeadline.Equal(want) {
				t.Errorf("after %q: %s's deadline is %v, want %v", step.name, id, u.MFADeadline, want)
			}
		}
		coverageHolds(t, s)
	}

	// Where the users ended up, as every read returns them.
	admin := member("u-admin", "acme", "administrators", "vendors")
	admin.UpdatedAt, admin.MFADeadline = at(7), at(12).Add(3*day)
	leaver := member("u-other", "")
	leaver.CreatedAt, leaver.UpdatedAt = at(-1), at(13)
	mover := member("u-both", "other", "owners")
	mover.UpdatedAt, mover.MFADeadline = at(9), at(9).Add(10*day)
	got, err := s.GetUser(ctx, admin.ID)
	must(t, err)
	equal(t, "u-admin", admin, got)
	got, err = s.GetUserByEmail(ctx, leaver.Email)
	must(t, err)
	equal(t, "a user who left", leaver, got)
	login, err := s.LookupLogin(ctx, storage.LoginLookup{UserID: admin.ID, Now: base})
	must(t, err)
	equal(t, "the sign-in's read of u-admin", admin, login.User)
	list, err := s.ListUsersByOrg(ctx, "other")
	must(t, err)
	equal(t, "users of other", []storage.User{mover}, list)
	list, err = s.ListUsersByOrg(ctx, "nope")
	must(t, err)
	equal(t, "users of an unknown organisation", []storage.User(nil), list)

	// UpdateUser with a user read before a change leaves the membership as the change made it.
	stale, err := s.GetUser(ctx, admin.ID)
	must(t, err)
	must(t, s.SetUserOrg(ctx, admin.ID, "acme", []string{"company-users"}, at(20), nil))
	stale.GivenName = "Ada"
	must(t, s.UpdateUser(ctx, stale))
	got, err = s.GetUser(ctx, admin.ID)
	must(t, err)
	if got.GivenName != "Ada" || !slices.Equal(got.Groups, []string{"company-users"}) || !got.MFADeadline.IsZero() {
		t.Errorf("a stale UpdateUser changed the membership: %+v", got)
	}

	// Groups handed out do not alias the stored user.
	got.Groups[0] = "x"
	list, err = s.ListUsersByOrg(ctx, "acme")
	must(t, err)
	list[0].Groups[0] = "x"
	got, err = s.GetUser(ctx, admin.ID)
	must(t, err)
	equal(t, "groups after scribbling on copies", []string{"company-users"}, got.Groups)
}

// testOrgFailures checks that every refused call gives its error and changes
// nothing: no organisation, user, deadline or audit event.
func testOrgFailures(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	high := storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: []string{"owners"}, GraceDays: 5}
	must(t, s.CreateOrganisation(ctx, newOrg("acme", high), orgEvent("taken")))
	must(t, s.CreateOrganisation(ctx, newOrg("other", high), nil))
	must(t, s.CreateUser(ctx, member("u-owner", "acme", "owners")))
	must(t, s.CreateUser(ctx, member("u-free", "")))
	now := base.Add(time.Hour)
	snapshot := func() any {
		orgs, err := s.ListOrganisations(ctx)
		must(t, err)
		users, err := s.ListUsers(ctx)
		must(t, err)
		audit, err := s.ListAudit(ctx, storage.AuditFilter{})
		must(t, err)
		return []any{orgs, users, audit}
	}
	before := snapshot()

	org := func(edit func(*storage.Organisation)) storage.Organisation {
		o := newOrg("new", high)
		edit(&o)
		return o
	}
	policy := func(level storage.SecurityLevel, grace int, covered ...string) storage.OrgPolicy {
		return storage.OrgPolicy{Level: level, CoveredGroups: covered, GraceDays: grace}
	}
	for _, tt := range []struct {
		name string
		call func() error
		want error
	}{
		{"create: id in use", func() error {
			return s.CreateOrganisation(ctx, newOrg("acme", high), nil)
		}, storage.ErrAlreadyExists},
		{"create: a group twice", func() error {
			return s.CreateOrganisation(ctx, org(func(o *storage.Organisation) { o.Groups = append(o.Groups, "owners") }), nil)
		}, storage.ErrAlreadyExists},
		{"create: covering a group it lacks", func() error {
			return s.CreateOrganisation(ctx, org(func(o *storage.Organisation) { o.Policy.CoveredGroups = []string{"staff"} }), nil)
		}, storage.ErrInvalid},
		{"create: unknown level", func() error {
			return s.CreateOrganisation(ctx, org(func(o *storage.Organisation) { o.Policy.Level = "medium" }), nil)
		}, storage.ErrInvalid},
		{"create: negative grace period", func() error {
			return s.CreateOrganisation(ctx, org(func(o *storage.Organisation) { o.Policy.GraceDays = -1 }), nil)
		}, storage.ErrInvalid},
		{"create: audit id in use", func() error {
			return s.CreateOrganisation(ctx, newOrg("new", high), orgEvent("taken"))
		}, storage.ErrAlreadyExists},

		{"add group: unknown organisation", func() error { return s.AddGroup(ctx, "nope", "staff", now, nil) }, storage.ErrNotFound},
		{"add group: name in use", func() error { return s.AddGroup(ctx, "acme", "owners", now, nil) }, storage.ErrAlreadyExists},
		{"add group: audit id in use", func() error { return s.AddGroup(ctx, "acme", "staff", now, orgEvent("taken")) }, storage.ErrAlreadyExists},

		{"rename: unknown organisation", func() error { return s.RenameGroup(ctx, "nope", "owners", "staff", now, nil) }, storage.ErrNotFound},
		{"rename: no such group", func() error { return s.RenameGroup(ctx, "acme", "staff", "crew", now, nil) }, storage.ErrInvalid},
		{"rename: new name in use", func() error { return s.RenameGroup(ctx, "acme", "owners", "suppliers", now, nil) }, storage.ErrAlreadyExists},
		{"rename: to itself", func() error { return s.RenameGroup(ctx, "acme", "owners", "owners", now, nil) }, storage.ErrAlreadyExists},
		{"rename: audit id in use", func() error { return s.RenameGroup(ctx, "acme", "owners", "staff", now, orgEvent("taken")) }, storage.ErrAlreadyExists},

		{"policy: unknown organisation", func() error { return s.SetOrgPolicy(ctx, "nope", high, now, nil) }, storage.ErrNotFound},
		{"policy: covering a group it lacks", func() error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelLow, 5, "owners", "staff"), now, nil)
		}, storage.ErrInvalid},
		{"policy: unknown level", func() error { return s.SetOrgPolicy(ctx, "acme", policy("", 5, "owners"), now, nil) }, storage.ErrInvalid},
		{"policy: negative grace period", func() error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelHigh, -2, "owners"), now, nil)
		}, storage.ErrInvalid},
		// It would clear u-owner's deadline, so the deadline must stay too.
		{"policy: audit id in use", func() error {
			return s.SetOrgPolicy(ctx, "acme", policy(storage.LevelLow, 5), now, orgEvent("taken"))
		}, storage.ErrAlreadyExists},

		{"move: unknown user", func() error { return s.SetUserOrg(ctx, "nope", "acme", []string{"owners"}, now, nil) }, storage.ErrNotFound},
		{"move: unknown organisation", func() error { return s.SetUserOrg(ctx, "u-free", "nope", []string{"owners"}, now, nil) }, storage.ErrNotFound},
		{"move: a group it lacks", func() error {
			return s.SetUserOrg(ctx, "u-free", "acme", []string{"owners", "staff"}, now, nil)
		}, storage.ErrInvalid},
		{"move: no group", func() error { return s.SetUserOrg(ctx, "u-free", "acme", nil, now, nil) }, storage.ErrInvalid},
		{"move: groups without an organisation", func() error {
			return s.SetUserOrg(ctx, "u-owner", "", []string{"owners"}, now, nil)
		}, storage.ErrInvalid},
		{"move: audit id in use", func() error {
			return s.SetUserOrg(ctx, "u-owner", "", nil, now, orgEvent("taken"))
		}, storage.ErrAlreadyExists},

		{"create user: unknown organisation", func() error { return s.CreateUser(ctx, member("u-new", "nope", "owners")) }, storage.ErrNotFound},
		{"create user: a group it lacks", func() error { return s.CreateUser(ctx, member("u-new", "acme", "staff")) }, storage.ErrInvalid},
		{"create user: no group", func() error { return s.CreateUser(ctx, member("u-new", "acme")) }, storage.ErrInvalid},
		{"create user: groups without an organisation", func() error {
			return s.CreateUser(ctx, member("u-new", "", "owners"))
		}, storage.ErrInvalid},
		{"create user: id in use", func() error { return s.CreateUser(ctx, member("u-owner", "other", "owners")) }, storage.ErrAlreadyExists},
	} {
		wantErr(t, tt.name, tt.call(), tt.want)
		equal(t, "the store after a refused "+tt.name, before, snapshot())
	}
}

// testConcurrentOrgChanges races users joining an organisation against its policy
// changing: whatever the order, the deadlines fit the policy that won.
func testConcurrentOrgChanges(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	low := storage.OrgPolicy{Level: storage.LevelLow, CoveredGroups: []string{"owners"}, GraceDays: 5}
	high := low
	high.Level = storage.LevelHigh
	must(t, s.CreateOrganisation(ctx, newOrg("acme", low), nil))
	for i := range 10 {
		must(t, s.CreateUser(ctx, member(fmt.Sprintf("u-old-%d", i), "")))
	}
	errs := race(21, func(i int) error {
		switch {
		case i == 0:
			return s.SetOrgPolicy(ctx, "acme", high, base, nil)
		case i%2 == 0:
			return s.CreateUser(ctx, member(fmt.Sprintf("u-new-%d", i), "acme", "owners"))
		default:
			return s.SetUserOrg(ctx, fmt.Sprintf("u-old-%d", i/2), "acme", []string{"suppliers", "owners"}, base, nil)
		}
	})
	for _, err := range errs {
		must(t, err)
	}
	users, err := s.ListUsersByOrg(ctx, "acme")
	must(t, err)
	if len(users) != 20 {
		t.Fatalf("%d users joined, want 20", len(users))
	}
	coverageHolds(t, s)

	// Lowering races moves between groups; the level decides every deadline.
	errs = race(21, func(i int) error {
		if i == 0 {
			return s.SetOrgPolicy(ctx, "acme", low, base.Add(time.Hour), nil)
		}
		return s.SetUserOrg(ctx, users[i-1].ID, "acme", []string{"owners"}, base.Add(time.Hour), nil)
	})
	for _, err := range errs {
		must(t, err)
	}
	coverageHolds(t, s)
}
