package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/postgres"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

const day = 24 * time.Hour

// mustCLI is cli for a command that must succeed; it returns standard output.
func mustCLI(t *testing.T, dsn, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := cli(t, dsn, stdin, args...)
	if err != nil {
		t.Fatalf("lockstep %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// openStore opens the test database beside the command line.
func openTestStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// dbState is everything an organisation or user command may change.
type dbState struct {
	Orgs  []storage.Organisation
	Users []storage.User
	Audit []storage.AuditEvent
}

func stateOf(t *testing.T, st *postgres.Store) dbState {
	t.Helper()
	ctx := context.Background()
	os, err := st.ListOrganisations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	us, err := st.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	es, err := st.ListAudit(ctx, storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return dbState{os, us, es}
}

// badInput is a command line that must be refused with a message.
type badInput struct {
	args []string
	want string // in the error, or on standard error for a usage mistake
}

// refuseAll runs every bad input: each fails with its message on one line, not a
// storage error, and the database is as it was.
func refuseAll(t *testing.T, dsn string, st *postgres.Store, stdin string, bad []badInput) {
	t.Helper()
	before := stateOf(t, st)
	for _, b := range bad {
		t.Run(strings.Join(b.args, " "), func(t *testing.T) {
			out, errOut, err := cli(t, dsn, stdin, b.args...)
			if err == nil {
				t.Fatalf("accepted; printed %q", out)
			}
			msg := err.Error()
			if errors.Is(err, errUsage) {
				msg = errOut
			} else if strings.Contains(msg, "\n") || strings.Contains(msg, "postgres") || strings.Contains(msg, "orgs:") {
				t.Errorf("the message is not one line of orgs' own: %q", msg)
			}
			if !strings.Contains(msg, b.want) {
				t.Errorf("message %q does not say %q", msg, b.want)
			}
			if diff := cmp.Diff(before, stateOf(t, st)); diff != "" {
				t.Errorf("the database changed (-before +after):\n%s", diff)
			}
		})
	}
}

// within reports whether t is d after a moment between from and to.
func within(t time.Time, from, to time.Time, d time.Duration) bool {
	return !t.Before(from.Add(d).Truncate(time.Microsecond)) && !t.After(to.Add(d))
}

func TestOrgsCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	st := openTestStore(t, dsn)
	ctx := context.Background()

	// create prints the id; a new organisation has the default groups and policy.
	if out := mustCLI(t, dsn, "", "orgs", "create", "--name", "Acme Corp", "--id", "acme"); out != "acme\n" {
		t.Fatalf("create printed %q", out)
	}
	var other orgJSON
	out := mustCLI(t, dsn, "", "orgs", "create", "--output", "json", "--name", "Other")
	if err := json.Unmarshal([]byte(out), &other); err != nil {
		t.Fatalf("create --output json printed %q: %v", out, err)
	}
	defaults := policyJSON{Level: "low", CoveredGroups: orgs.DefaultGroups(), GraceDays: orgs.DefaultGraceDays}
	if !regexp.MustCompile(`^[a-z0-9]{10,}$`).MatchString(other.ID) || other.Name != "Other" ||
		!slices.Equal(other.Groups, orgs.DefaultGroups()) || !cmp.Equal(other.Policy, defaults) || other.Members == nil {
		t.Fatalf("created %+v", other)
	}
	acme, err := st.GetOrganisation(ctx, "acme")
	if err != nil || acme.Name != "Acme Corp" || !slices.Equal(acme.Groups, orgs.DefaultGroups()) || !cmp.Equal(toPolicyJSON(acme.Policy), defaults) {
		t.Fatalf("stored %+v %v", acme, err)
	}
	if es, _ := st.ListAudit(ctx, storage.AuditFilter{}); len(es) != 2 || es[0].Detail["actor"] != "cli" || es[1].Detail["actor"] != "cli" {
		t.Fatalf("audit after create: %+v", es)
	}

	// Members: ada in company-users, bob in owners, carol in no organisation.
	mustCLI(t, dsn, "a long enough password\n", "users", "create", "--email", "ada@example.com", "--password-stdin",
		"--given-name", "Ada", "--org", "acme", "--group", "company-users")
	mustCLI(t, dsn, "a long enough password\n", "users", "create", "--org", "acme", "--group", "owners",
		"--email", "bob@example.com", "--password-stdin")
	mustCLI(t, dsn, "a long enough password\n", "users", "create", "--email", "carol@example.com", "--password-stdin")
	ada, _ := st.GetUserByEmail(ctx, "ada@example.com")
	bob, _ := st.GetUserByEmail(ctx, "bob@example.com")
	// bob has an authenticator app.
	if err := st.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "totp-bob", UserID: bob.ID, Name: "phone", SecretEnc: []byte("sealed"),
		Active: true, CreatedAt: time.Now(), ConfirmedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	// list, as text and JSON.
	out = mustCLI(t, dsn, "", "orgs", "list")
	if !regexp.MustCompile(`(?m)^ID +NAME +LEVEL +COVERED GROUPS +GRACE DAYS +MEMBERS\n`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^acme +Acme Corp +low +administrators,company-users,owners,suppliers +5 +2$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^`+other.ID+` +Other +low .* +5 +0$`).MatchString(out) {
		t.Fatalf("list:\n%s", out)
	}
	var list []orgSummaryJSON
	if err := json.Unmarshal([]byte(mustCLI(t, dsn, "", "orgs", "list", "--output", "json")), &list); err != nil {
		t.Fatal(err)
	}
	wantList := []orgSummaryJSON{
		{ID: "acme", Name: "Acme Corp", Level: "low", CoveredGroups: orgs.DefaultGroups(), GraceDays: 5, Members: 2},
		{ID: other.ID, Name: "Other", Level: "low", CoveredGroups: orgs.DefaultGroups(), GraceDays: 5, Members: 0},
	}
	// Ordered by id; the generated one may come first.
	slices.SortFunc(wantList, func(a, b orgSummaryJSON) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(wantList, list); diff != "" {
		t.Fatalf("list --output json (-want +got):\n%s", diff)
	}

	// policy changes the flags given and keeps the others; the store sets the
	// deadlines: ada's is fixed when company-users is first covered and kept by a
	// new grace period.
	const (
		none = iota // ada has no deadline
		anew        // ada is covered anew: now plus the grace period
		kept        // ada keeps the deadline she had
	)
	for _, step := range []struct {
		args     []string
		want     storage.OrgPolicy
		covered  int
		deadline int
	}{
		{[]string{"--level", "high", "--groups", "company-users"}, storage.OrgPolicy{Level: "high", CoveredGroups: []string{"company-users"}, GraceDays: 5}, 1, anew},
		{[]string{"--grace-days", "10"}, storage.OrgPolicy{Level: "high", CoveredGroups: []string{"company-users"}, GraceDays: 10}, 1, kept},
		{[]string{"--groups", "owners", "--groups", "company-users"}, storage.OrgPolicy{Level: "high", CoveredGroups: []string{"company-users", "owners"}, GraceDays: 10}, 2, kept},
		{[]string{"--level", "low"}, storage.OrgPolicy{Level: "low", CoveredGroups: []string{"company-users", "owners"}, GraceDays: 10}, 0, none},
		{[]string{"--groups", "", "--level", "high"}, storage.OrgPolicy{Level: "high", CoveredGroups: []string{}, GraceDays: 10}, 0, none},
		{[]string{"--grace-days", "0", "--groups", "company-users"}, storage.OrgPolicy{Level: "high", CoveredGroups: []string{"company-users"}, GraceDays: 0}, 1, anew},
		{[]string{"--grace-days", "5"}, storage.OrgPolicy{Level: "high", CoveredGroups: []string{"company-users"}, GraceDays: 5}, 1, kept},
	} {
		before, _ := st.GetUserByEmail(ctx, "ada@example.com")
		from := time.Now()
		// The id stands after the flags: flags and arguments come in any order.
		out := mustCLI(t, dsn, "", append(append([]string{"orgs", "policy"}, step.args...), "acme")...)
		to := time.Now()
		want := fmt.Sprintf("organisation acme: level %s, covered groups %s, grace period %s\n%d of 2 members covered now\n",
			step.want.Level, orDash(strings.Join(step.want.CoveredGroups, ",")), days(step.want.GraceDays), step.covered)
		if out != want {
			t.Errorf("policy %q printed %q, want %q", step.args, out, want)
		}
		o, err := st.GetOrganisation(ctx, "acme")
		if err != nil || !cmp.Equal(toPolicyJSON(o.Policy), toPolicyJSON(step.want)) {
			t.Fatalf("after policy %q: %+v %v", step.args, o.Policy, err)
		}
		ada, _ := st.GetUserByEmail(ctx, "ada@example.com")
		switch {
		case step.deadline == none && !ada.MFADeadline.IsZero(),
			step.deadline == anew && !within(ada.MFADeadline, from, to, time.Duration(step.want.GraceDays)*day),
			step.deadline == kept && (ada.MFADeadline.IsZero() || !ada.MFADeadline.Equal(before.MFADeadline)):
			t.Errorf("after policy %q ada's deadline is %v (it was %v)", step.args, ada.MFADeadline, before.MFADeadline)
		}
	}
	var res policyResultJSON
	if err := json.Unmarshal([]byte(mustCLI(t, dsn, "", "orgs", "policy", "acme", "--grace-days", "5", "--output", "json")), &res); err != nil {
		t.Fatal(err)
	}
	if want := (policyResultJSON{ID: "acme", Policy: policyJSON{Level: "high", CoveredGroups: []string{"company-users"}, GraceDays: 5}, Members: 2, Covered: 1}); !cmp.Equal(res, want) {
		t.Errorf("policy --output json = %+v", res)
	}
	if es, _ := st.ListAudit(ctx, storage.AuditFilter{}); es[0].Type != orgs.EventPolicyChanged || es[0].Detail["actor"] != "cli" {
		t.Errorf("the latest audit event is %+v", es[0])
	}

	// get: the organisation, its policy and its members with their groups, second
	// factor and deadline.
	ada, _ = st.GetUserByEmail(ctx, "ada@example.com")
	deadline := ada.MFADeadline.UTC().Format("2006-01-02")
	out = mustCLI(t, dsn, "", "orgs", "get", "acme")
	for _, want := range []string{
		`(?m)^ID +acme$`, `(?m)^Name +Acme Corp$`, `(?m)^Groups +administrators, company-users, owners, suppliers$`,
		`(?m)^Level +high$`, `(?m)^Covered groups +company-users$`, `(?m)^Grace period +5 days$`, `(?m)^Members +2 \(1 covered\)$`,
		`(?m)^ID +EMAIL +NAME +GROUPS +2FA +DEADLINE$`,
		`(?m)^` + ada.ID + ` +ada@example\.com +Ada +company-users +no +` + deadline + `$`,
		`(?m)^` + bob.ID + ` +bob@example\.com +- +owners +yes +-$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("get does not match %s:\n%s", want, out)
		}
	}
	var got orgJSON
	if err := json.Unmarshal([]byte(mustCLI(t, dsn, "", "orgs", "get", "--output", "json", "acme")), &got); err != nil {
		t.Fatal(err)
	}
	wantMembers := []memberJSON{
		{ID: ada.ID, Email: "ada@example.com", Name: "Ada", OrgID: "acme", Groups: []string{"company-users"}, Covered: true,
			Factors: []string{}, Deadline: &deadline},
		{ID: bob.ID, Email: "bob@example.com", OrgID: "acme", Groups: []string{"owners"}, SecondFactor: true, Factors: []string{"totp"}},
	}
	slices.SortFunc(wantMembers, func(a, b memberJSON) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(wantMembers, got.Members); diff != "" || got.ID != "acme" || got.Policy.Level != "high" || len(got.Groups) != 4 {
		t.Errorf("get --output json: %+v\nmembers (-want +got):\n%s", got, diff)
	}

	// groups: list, add, rename (its members and the policy follow).
	out = mustCLI(t, dsn, "", "orgs", "groups", "acme")
	if want := regexp.MustCompile(`(?m)^GROUP +MEMBERS +COVERED\nadministrators +0 +no\ncompany-users +1 +yes\nowners +1 +no\nsuppliers +0 +no\n\z`); !want.MatchString(out) {
		t.Errorf("groups:\n%s", out)
	}
	if out := mustCLI(t, dsn, "", "orgs", "groups", "--add", "staff", "acme"); out != "group staff added to organisation acme\n" {
		t.Errorf("groups --add printed %q", out)
	}
	if out := mustCLI(t, dsn, "", "orgs", "groups", "acme", "--rename", "company-users=employees"); out != "group company-users of organisation acme renamed to employees\n" {
		t.Errorf("groups --rename printed %q", out)
	}
	var groups []groupJSON
	if err := json.Unmarshal([]byte(mustCLI(t, dsn, "", "orgs", "groups", "acme", "--output", "json")), &groups); err != nil {
		t.Fatal(err)
	}
	wantGroups := []groupJSON{{"administrators", 0, false}, {"employees", 1, true}, {"owners", 1, false}, {"suppliers", 0, false}, {"staff", 0, false}}
	if diff := cmp.Diff(wantGroups, groups); diff != "" {
		t.Errorf("groups --output json (-want +got):\n%s", diff)
	}
	if a, _ := st.GetUserByEmail(ctx, "ada@example.com"); !slices.Equal(a.Groups, []string{"employees"}) || !a.MFADeadline.Equal(ada.MFADeadline) {
		t.Errorf("after the rename ada is %+v", a)
	}

	// Bad input: a clear message on one line, and nothing changed.
	refuseAll(t, dsn, st, "", []badInput{
		{[]string{"orgs", "create"}, "orgs create needs --name NAME"},
		{[]string{"orgs", "create", "--name", " "}, "an organisation needs a name"},
		{[]string{"orgs", "create", "--name", "X", "--id", "Bad_ID"}, `organisation id "Bad_ID": use 1 to 64 lower-case letters, digits and '-'`},
		{[]string{"orgs", "create", "--name", "", "--id", "Bad_ID"}, `an organisation needs a name; organisation id "Bad_ID"`},
		{[]string{"orgs", "create", "--name", "X", "--id", "acme"}, `an organisation with id "acme" exists already`},
		{[]string{"orgs", "create", "--name", "X", "extra"}, `orgs create takes no arguments, not ["extra"]`},
		{[]string{"orgs", "list", "--output", "yaml"}, "--output must be text or json"},
		{[]string{"orgs", "get"}, "orgs get needs one organisation id"},
		{[]string{"orgs", "get", "acme", "other"}, `orgs get needs one organisation id, not 2: ["acme" "other"]`},
		{[]string{"orgs", "get", "nope"}, `there is no organisation "nope"`},
		{[]string{"orgs", "policy", "nope", "--level", "high"}, `there is no organisation "nope"`},
		{[]string{"orgs", "policy", "acme"}, "orgs policy needs --level, --groups or --grace-days"},
		{[]string{"orgs", "policy", "--level", "low"}, "orgs policy needs one organisation id"},
		{[]string{"orgs", "policy", "acme", "--level", "medium"}, `the security level is "low" or "high", not "medium"`},
		{[]string{"orgs", "policy", "acme", "--level", "HIGH"}, `not "HIGH"`},
		{[]string{"orgs", "policy", "acme", "--level", ""}, `not ""`},
		{[]string{"orgs", "policy", "acme", "--grace-days", "-1"}, "the grace period is 0 to 90 days, not -1"},
		{[]string{"orgs", "policy", "acme", "--grace-days", "365"}, "the grace period is 0 to 90 days, not 365"},
		{[]string{"orgs", "policy", "acme", "--grace-days", "five"}, `invalid value "five" for flag -grace-days`},
		{[]string{"orgs", "policy", "acme", "--level", "high", "--grace-days", "1000"}, "not 1000"},
		{[]string{"orgs", "policy", "acme", "--groups", "employees,nope"}, `organisation "acme" has no group "nope" (it has administrators, employees, owners, suppliers, staff)`},
		{[]string{"orgs", "policy", "acme", "--level", "medium", "--grace-days", "-3"}, `not "medium"; the grace period is 0 to 90 days, not -3`},
		{[]string{"orgs", "groups", "nope"}, `there is no organisation "nope"`},
		{[]string{"orgs", "groups", "nope", "--add", "x"}, `there is no organisation "nope"`},
		{[]string{"orgs", "groups", "acme", "--add", "Bad Name"}, `group name "Bad Name"`},
		{[]string{"orgs", "groups", "acme", "--add", ""}, `group name ""`},
		{[]string{"orgs", "groups", "acme", "--add", "owners"}, `organisation "acme" has a group "owners" already`},
		{[]string{"orgs", "groups", "acme", "--rename", "owners"}, `--rename takes OLD=NEW, not "owners"`},
		{[]string{"orgs", "groups", "acme", "--rename", "nope=x"}, `organisation "acme" has no group "nope"`},
		{[]string{"orgs", "groups", "acme", "--rename", "owners=suppliers"}, `organisation "acme" has a group "suppliers" already`},
		{[]string{"orgs", "groups", "acme", "--rename", "owners=Owners"}, `group name "Owners"`},
		{[]string{"orgs", "groups", "acme", "--add", "x", "--rename", "owners=y"}, "orgs groups takes --add or --rename, not both"},
		{[]string{"orgs", "groups", "acme", "--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"orgs"}, "lockstep orgs policy ID"},
		{[]string{"orgs", "delete", "acme"}, "lockstep orgs create --name N"},
	})
}

// TestUsersOrgsCLI: users create into an organisation, set-org moving and
// clearing, and users list with organisation, groups, second factor and deadline.
func TestUsersOrgsCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	st := openTestStore(t, dsn)
	ctx := context.Background()
	mustCLI(t, dsn, "", "orgs", "create", "--name", "Acme", "--id", "acme")
	mustCLI(t, dsn, "", "orgs", "policy", "acme", "--level", "high", "--groups", "company-users", "--grace-days", "5")
	mustCLI(t, dsn, "", "orgs", "create", "--name", "Globex", "--id", "globex")
	mustCLI(t, dsn, "", "orgs", "policy", "globex", "--level", "high", "--groups", "administrators", "--grace-days", "30")

	// Created into a covered group: the store counts the deadline from the creation.
	out := mustCLI(t, dsn, "a long enough password\n", "users", "create", "--email", "Ada@Example.com", "--password-stdin",
		"--org", "acme", "--group", "company-users,owners")
	ada, err := st.GetUserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ada.OrgID != "acme" || !slices.Equal(ada.Groups, []string{"company-users", "owners"}) || !ada.MFADeadline.Equal(ada.CreatedAt.Add(5*day)) {
		t.Fatalf("ada = %+v", ada)
	}
	if want := fmt.Sprintf("user ada@example.com created (id %s)\nin organisation acme (groups company-users,owners); its policy requires a second factor by %s\n",
		ada.ID, ada.MFADeadline.UTC().Format("2006-01-02")); out != want {
		t.Errorf("create printed %q, want %q", out, want)
	}
	es, _ := st.ListAudit(ctx, storage.AuditFilter{UserID: ada.ID})
	if len(es) != 1 || es[0].Type != orgs.EventUserOrgChanged || !cmp.Equal(es[0].Detail,
		map[string]string{"actor": "cli", "org": "acme", "old": "", "new": "org=acme groups=company-users,owners"}) {
		t.Errorf("ada's audit: %+v", es)
	}
	// Created into a group the policy does not cover: no deadline.
	out = mustCLI(t, dsn, "a long enough password\n", "users", "create", "--group", "owners", "--email", "carol@example.com",
		"--password-stdin", "--org", "acme")
	carol, _ := st.GetUserByEmail(ctx, "carol@example.com")
	if carol.OrgID != "acme" || !carol.MFADeadline.IsZero() || !strings.HasSuffix(out, "in organisation acme (groups owners); its policy does not require a second factor of them\n") {
		t.Errorf("carol = %+v; printed %q", carol, out)
	}
	if err := st.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: "totp-carol", UserID: carol.ID, Name: "phone", SecretEnc: []byte("sealed"),
		Active: true, CreatedAt: time.Now(), ConfirmedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// In no organisation, as before.
	out = mustCLI(t, dsn, "a long enough password\n", "users", "create", "--email", "bob@example.com", "--password-stdin", "--given-name", "Bob")
	bob, _ := st.GetUserByEmail(ctx, "bob@example.com")
	if bob.OrgID != "" || out != fmt.Sprintf("user bob@example.com created (id %s)\n", bob.ID) {
		t.Errorf("bob = %+v; printed %q", bob, out)
	}

	// set-org moves bob in, between groups and organisations, and out.
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	for _, step := range []struct {
		args   []string
		org    string
		groups []string
		grace  int // days of a new deadline; -1: none; 0: the one before
		says   string
	}{
		{[]string{"--org", "acme", "--group", "company-users"}, "acme", []string{"company-users"}, 5, "is now in organisation acme (groups company-users); its policy requires a second factor by "},
		{[]string{"--group", "owners", "--group", "company-users", "--org", "acme"}, "acme", []string{"company-users", "owners"}, 0, "requires a second factor by "},
		{[]string{"--org", "acme", "--group", "owners"}, "acme", []string{"owners"}, -1, "is now in organisation acme (groups owners); its policy does not require a second factor of them"},
		{[]string{"--org", "globex", "--group", "administrators"}, "globex", []string{"administrators"}, 30, "is now in organisation globex (groups administrators); its policy requires a second factor by "},
		{[]string{"--none"}, "", nil, -1, "user bob@example.com is now in no organisation\n"},
	} {
		before, _ := st.GetUserByEmail(ctx, "bob@example.com")
		from := time.Now()
		// The email stands last: flags and arguments come in any order.
		out := mustCLI(t, dsn, "", append(append([]string{"users", "set-org"}, step.args...), "bob@example.com")...)
		to := time.Now()
		u, _ := st.GetUserByEmail(ctx, "bob@example.com")
		if u.OrgID != step.org || !slices.Equal(u.Groups, step.groups) {
			t.Errorf("set-org %q: bob is in %q %q", step.args, u.OrgID, u.Groups)
		}
		switch {
		case step.grace < 0 && !u.MFADeadline.IsZero(),
			step.grace == 0 && !u.MFADeadline.Equal(before.MFADeadline),
			step.grace > 0 && !within(u.MFADeadline, from, to, time.Duration(step.grace)*day):
			t.Errorf("set-org %q: bob's deadline is %v (it was %v)", step.args, u.MFADeadline, before.MFADeadline)
		}
		if !strings.Contains(out, step.says) || (step.grace >= 0 && !strings.HasSuffix(out, date(u.MFADeadline)+"\n")) {
			t.Errorf("set-org %q printed %q", step.args, out)
		}
		es, _ := st.ListAudit(ctx, storage.AuditFilter{UserID: bob.ID, Limit: 1})
		if len(es) != 1 || es[0].Type != orgs.EventUserOrgChanged || es[0].Detail["actor"] != "cli" || !es[0].At.After(from.Add(-time.Second)) {
			t.Errorf("set-org %q: audit %+v", step.args, es)
		}
	}

	// list: organisation, groups, second factor, deadline.
	mustCLI(t, dsn, "", "users", "set-org", "bob@example.com", "--org", "globex", "--group", "administrators")
	bob, _ = st.GetUserByEmail(ctx, "bob@example.com")
	mustCLI(t, dsn, "a long enough password\n", "users", "create", "--email", "dan@example.com", "--password-stdin")
	dan, _ := st.GetUserByEmail(ctx, "dan@example.com")
	out = mustCLI(t, dsn, "", "users", "list")
	for _, want := range []string{
		`(?m)^ID +EMAIL +NAME +STATUS +ORG +GROUPS +2FA +DEADLINE$`,
		`(?m)^` + ada.ID + ` +ada@example\.com +- +active +acme +company-users,owners +no +` + date(ada.MFADeadline) + `$`,
		`(?m)^` + bob.ID + ` +bob@example\.com +Bob +active +globex +administrators +no +` + date(bob.MFADeadline) + `$`,
		`(?m)^` + carol.ID + ` +carol@example\.com +- +active +acme +owners +yes +-$`,
		`(?m)^` + dan.ID + ` +dan@example\.com +- +active +- +- +no +-$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("list does not match %s:\n%s", want, out)
		}
	}
	var list []memberJSON
	if err := json.Unmarshal([]byte(mustCLI(t, dsn, "", "users", "list", "--output", "json")), &list); err != nil {
		t.Fatal(err)
	}
	ad, bd := date(ada.MFADeadline), date(bob.MFADeadline)
	want := []memberJSON{
		{ID: ada.ID, Email: "ada@example.com", OrgID: "acme", Groups: []string{"company-users", "owners"}, Covered: true, Factors: []string{}, Deadline: &ad},
		{ID: bob.ID, Email: "bob@example.com", Name: "Bob", OrgID: "globex", Groups: []string{"administrators"}, Covered: true, Factors: []string{}, Deadline: &bd},
		{ID: carol.ID, Email: "carol@example.com", OrgID: "acme", Groups: []string{"owners"}, SecondFactor: true, Factors: []string{"totp"}},
		{ID: dan.ID, Email: "dan@example.com", Groups: []string{}, Factors: []string{}},
	}
	slices.SortFunc(want, func(a, b memberJSON) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("list --output json (-want +got):\n%s", diff)
	}

	// Bad input: a clear message on one line, and nothing changed.
	refuseAll(t, dsn, st, "a long enough password\n", []badInput{
		{[]string{"users", "create", "--email", "eve@example.com", "--password-stdin", "--org", "nope", "--group", "owners"}, `there is no organisation "nope"`},
		{[]string{"users", "create", "--email", "eve@example.com", "--password-stdin", "--org", "acme"}, `a member of organisation "acme" needs at least one group`},
		{[]string{"users", "create", "--email", "eve@example.com", "--password-stdin", "--org", "acme", "--group", "owners,staff"}, `organisation "acme" has no group "staff"`},
		{[]string{"users", "create", "--email", "eve@example.com", "--password-stdin", "--group", "owners"}, "--group needs --org"},
		{[]string{"users", "create", "--email", "eve@example.com", "--password-stdin", "--org", "", "--group", "owners"}, "--group needs --org"},
		{[]string{"users", "create", "--email", "eve@example.com", "--password-stdin", "--org", ""}, `--org "" names no organisation`},
		{[]string{"users", "create", "--email", "eve@example.com", "--org", "acme", "--group", "owners"}, "--password-stdin"},
		{[]string{"users", "create", "--email", "ada@example.com", "--password-stdin", "--org", "acme", "--group", "owners"}, "a user with email ada@example.com exists already"},
		{[]string{"users", "create", "--email", "not-an-email", "--password-stdin", "--org", "acme", "--group", "owners"}, `"not-an-email" is not a valid email address`},
		{[]string{"users", "set-org", "--org", "acme", "--group", "owners"}, "users set-org needs one email"},
		{[]string{"users", "set-org", "nobody@example.com", "--org", "acme", "--group", "owners"}, "no user with email nobody@example.com"},
		{[]string{"users", "set-org", "nobody@example.com", "--none"}, "no user with email nobody@example.com"},
		{[]string{"users", "set-org", "dan@example.com"}, "users set-org needs --org ID and --group G, or --none"},
		{[]string{"users", "set-org", "dan@example.com", "--org", ""}, `--org "" names no organisation; to take the user out of theirs, use --none`},
		{[]string{"users", "set-org", "dan@example.com", "--org", "nope", "--group", "owners"}, `there is no organisation "nope"`},
		{[]string{"users", "set-org", "dan@example.com", "--org", "acme"}, `a member of organisation "acme" needs at least one group`},
		{[]string{"users", "set-org", "dan@example.com", "--org", "acme", "--group", "nope"}, `organisation "acme" has no group "nope" (it has administrators, company-users, owners, suppliers)`},
		{[]string{"users", "set-org", "dan@example.com", "--group", "owners"}, "users set-org needs --org ID and --group G, or --none"},
		{[]string{"users", "set-org", "ada@example.com", "--none", "--org", "acme"}, "--none takes the user out of their organisation: give it without --org and --group"},
		{[]string{"users", "set-org", "ada@example.com", "--none", "--group", "owners"}, "give it without --org and --group"},
		{[]string{"users", "list", "--output", "yaml"}, "--output must be text or json"},
		{[]string{"users", "list", "extra"}, `users list takes no arguments, not ["extra"]`},
		{[]string{"users", "promote", "ada@example.com"}, "lockstep users set-org EMAIL --none"},
	})
}
