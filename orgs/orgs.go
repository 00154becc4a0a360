package orgs

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lockstep-id/lockstep/storage"
)

// Store is what orgs needs of storage.
type Store interface {
	GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	CreateOrganisation(ctx context.Context, o storage.Organisation, audit []storage.AuditEvent) error
	AddGroup(ctx context.Context, orgID, name string, now time.Time, audit []storage.AuditEvent) error
	RenameGroup(ctx context.Context, orgID, oldName, newName string, now time.Time, audit []storage.AuditEvent) error
	SetOrgPolicy(ctx context.Context, orgID string, p storage.OrgPolicy, now time.Time, audit []storage.AuditEvent) error
	SetUserOrg(ctx context.Context, userID, orgID string, groups []string, now time.Time, audit []storage.AuditEvent) error
	RenameOrganisation(ctx context.Context, id, name string, now time.Time, audit []storage.AuditEvent) error
}

const (
	// DefaultGraceDays is a new organisation's grace period.
	DefaultGraceDays = 5
	// MaxGraceDays is the longest grace period; anything longer is taken for a mistake.
	MaxGraceDays = 90
	// MaxNameLen is the longest organisation name, in characters.
	MaxNameLen = 200
)

// Audit event types.
const (
	EventCreated        = "org.created"
	EventRenamed        = "org.renamed"
	EventGroupAdded     = "org.group_added"
	EventGroupRenamed   = "org.group_renamed"
	EventPolicyChanged  = "org.policy_changed"
	EventUserOrgChanged = "user.org_changed"
)

// DefaultGroups returns the groups a new organisation starts with.
func DefaultGroups() []string {
	return []string{"administrators", "company-users", "owners", "suppliers"}
}

// Covered reports whether o's policy requires a second factor of u: u is in o,
// the level is high and u is in a covered group.
func Covered(o storage.Organisation, u storage.User) bool {
	return u.OrgID == o.ID && o.Policy.Covers(u.Groups)
}

// CreateSpec is what an admin gives for a new organisation.
type CreateSpec struct {
	// ID is generated when empty.
	ID   string
	Name string
}

// Create stores a new organisation with DefaultGroups and a low level whose
// policy names every group (so raising the level alone covers everyone) with
// DefaultGraceDays.
func Create(ctx context.Context, store Store, spec CreateSpec, actor string, now time.Time) (storage.Organisation, error) {
	name := strings.TrimSpace(spec.Name)
	errs := []error{checkActor(actor), checkOrgName(name)}
	id := spec.ID
	if id == "" {
		// rand.Text is base32: lower-cased, it is letters and digits only.
		id = strings.ToLower(rand.Text())
	} else {
		errs = append(errs, checkName("id", "organisation id", id))
	}
	if err := errors.Join(errs...); err != nil {
		return storage.Organisation{}, err
	}
	now = now.UTC()
	o := storage.Organisation{
		ID:        id,
		Name:      name,
		Groups:    DefaultGroups(),
		Policy:    storage.OrgPolicy{Level: storage.LevelLow, CoveredGroups: DefaultGroups(), GraceDays: DefaultGraceDays},
		CreatedAt: now,
		UpdatedAt: now,
	}
	after := fmt.Sprintf("name=%q groups=%s %s", o.Name, strings.Join(o.Groups, ","), describePolicy(o.Policy))
	err := store.CreateOrganisation(ctx, o, change(EventCreated, actor, now, id, "", "", after))
	if errors.Is(err, storage.ErrAlreadyExists) {
		return storage.Organisation{}, refuse(storage.ErrAlreadyExists, "an organisation with id %q exists already", id)
	}
	if err != nil {
		return storage.Organisation{}, fmt.Errorf("orgs: create %q: %w", id, err)
	}
	return o, nil
}

// Rename gives the organisation a new name, checked as at creation.
func Rename(ctx context.Context, store Store, orgID, name, actor string, now time.Time) error {
	name = strings.TrimSpace(name)
	errs := []error{checkActor(actor), checkOrgName(name)}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	o, err := getOrg(ctx, store, orgID)
	if err != nil {
		return err
	}
	now = now.UTC()
	if err := store.RenameOrganisation(ctx, orgID, name, now, change(EventRenamed, actor, now, orgID, "", o.Name, name)); err != nil {
		return fmt.Errorf("orgs: rename %q: %w", orgID, err)
	}
	return nil
}

// checkOrgName refuses an empty or too long organisation name.
func checkOrgName(name string) error {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return invalid("name", "an organisation needs a name")
	case n > MaxNameLen:
		return invalid("name", "an organisation name has at most %d characters, not %d", MaxNameLen, n)
	}
	return nil
}

// AddGroup adds a group to the organisation.
func AddGroup(ctx context.Context, store Store, orgID, name, actor string, now time.Time) error {
	if err := errors.Join(checkActor(actor), checkName("name", "group name", name)); err != nil {
		return err
	}
	o, err := getOrg(ctx, store, orgID)
	if err != nil {
		return err
	}
	if slices.Contains(o.Groups, name) {
		return refuse(storage.ErrAlreadyExists, "organisation %q has a group %q already", orgID, name)
	}
	now = now.UTC()
	if err := store.AddGroup(ctx, orgID, name, now, change(EventGroupAdded, actor, now, orgID, "", "", name)); err != nil {
		return fmt.Errorf("orgs: add group %q to %q: %w", name, orgID, err)
	}
	return nil
}

// RenameGroup renames a group of the organisation; its members and the policy
// follow, and no deadline changes.
func RenameGroup(ctx context.Context, store Store, orgID, oldName, newName, actor string, now time.Time) error {
	if err := errors.Join(checkActor(actor), checkName("name", "group name", newName)); err != nil {
		return err
	}
	o, err := getOrg(ctx, store, orgID)
	if err != nil {
		return err
	}
	if err := checkGroups(o, []string{oldName}); err != nil {
		return err
	}
	if slices.Contains(o.Groups, newName) {
		return refuse(storage.ErrAlreadyExists, "organisation %q has a group %q already", orgID, newName)
	}
	now = now.UTC()
	err = store.RenameGroup(ctx, orgID, oldName, newName, now, change(EventGroupRenamed, actor, now, orgID, "", oldName, newName))
	if err != nil {
		return fmt.Errorf("orgs: rename group %q of %q: %w", oldName, orgID, err)
	}
	return nil
}

// SetPolicy replaces the organisation's policy; the store sets every member's
// deadline in the same step. The covered groups are kept in the organisation's
// order, each once.
func SetPolicy(ctx context.Context, store Store, orgID string, p storage.OrgPolicy, actor string, now time.Time) error {
	errs := []error{checkActor(actor)}
	if p.Level != storage.LevelLow && p.Level != storage.LevelHigh {
		errs = append(errs, invalid("level", "the security level is %q or %q, not %q", storage.LevelLow, storage.LevelHigh, p.Level))
	}
	if p.GraceDays < 0 || p.GraceDays > MaxGraceDays {
		errs = append(errs, invalid("grace_days", "the grace period is 0 to %d days, not %d", MaxGraceDays, p.GraceDays))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	o, err := getOrg(ctx, store, orgID)
	if err != nil {
		return err
	}
	if err := checkGroups(o, p.CoveredGroups); err != nil {
		return err
	}
	p.CoveredGroups = inOrgOrder(o, p.CoveredGroups)
	now = now.UTC()
	audit := change(EventPolicyChanged, actor, now, orgID, "", describePolicy(o.Policy), describePolicy(p))
	if err := store.SetOrgPolicy(ctx, orgID, p, now, audit); err != nil {
		return fmt.Errorf("orgs: set policy of %q: %w", orgID, err)
	}
	return nil
}

// SetUserOrg puts the user in the organisation with these groups (at least one,
// kept in the organisation's order), or with orgID "" and no groups in none; the
// store sets the user's deadline in the same step.
func SetUserOrg(ctx context.Context, store Store, userID, orgID string, groups []string, actor string, now time.Time) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	u, err := store.GetUser(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return refuse(storage.ErrNotFound, "there is no user %q", userID)
	}
	if err != nil {
		return fmt.Errorf("orgs: read user %q: %w", userID, err)
	}
	if groups, err = CheckMembership(ctx, store, orgID, groups); err != nil {
		return err
	}
	now = now.UTC()
	// The organisation concerned is the one left when the user leaves.
	audit := change(EventUserOrgChanged, actor, now, cmp.Or(orgID, u.OrgID), userID,
		describeMembership(u.OrgID, u.Groups), describeMembership(orgID, groups))
	if err := store.SetUserOrg(ctx, userID, orgID, groups, now, audit); err != nil {
		return fmt.Errorf("orgs: set organisation of user %q: %w", userID, err)
	}
	return nil
}

// CheckMembership refuses, as SetUserOrg does and with its messages, a user in
// the organisation (orgID "": in none) with these groups, and returns the groups
// in the organisation's order, each once. It is for a caller that stores a new
// user already in an organisation (storage.UserStore.CreateUser), to refuse
// before writing.
func CheckMembership(ctx context.Context, store interface {
	GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
}, orgID string, groups []string) ([]string, error) {
	if orgID == "" {
		if len(groups) > 0 {
			return nil, invalid("groups", "a user in no organisation is in no group, not in %s", strings.Join(groups, ", "))
		}
		return nil, nil
	}
	o, err := getOrg(ctx, store, orgID)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, invalid("groups", "a member of organisation %q needs at least one group", orgID)
	}
	if err := checkGroups(o, groups); err != nil {
		return nil, err
	}
	return inOrgOrder(o, groups), nil
}

// refusal is a refused request: Error is the message for the admin, and
// errors.Is matches the storage sentinel that says why.
type refusal struct {
	msg    string
	reason error
}

func (r refusal) Error() string { return r.msg }
func (r refusal) Unwrap() error { return r.reason }

func refuse(reason error, format string, args ...any) error {
	return refusal{msg: fmt.Sprintf(format, args...), reason: reason}
}

// invalid refuses the value of one field of the change.
func invalid(field, format string, args ...any) error {
	return storage.Invalid(field, format, args...)
}

func checkActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return invalid("actor", "a change needs an actor for the audit log")
	}
	return nil
}

var namePattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// checkName refuses an organisation id or group name that is not 1 to 64
// lower-case letters, digits and '-'.
func checkName(field, what, name string) error {
	if !namePattern.MatchString(name) {
		return invalid(field, "%s %q: use 1 to 64 lower-case letters, digits and '-'", what, name)
	}
	return nil
}

// checkGroups refuses every group o does not have.
func checkGroups(o storage.Organisation, groups []string) error {
	var errs []error
	for _, g := range groups {
		if !slices.Contains(o.Groups, g) {
			errs = append(errs, invalid("groups", "organisation %q has no group %q (it has %s)", o.ID, g, strings.Join(o.Groups, ", ")))
		}
	}
	return errors.Join(errs...)
}

// inOrgOrder returns groups, all of o's, in o's order and each once.
func inOrgOrder(o storage.Organisation, groups []string) []string {
	return slices.DeleteFunc(slices.Clone(o.Groups), func(g string) bool { return !slices.Contains(groups, g) })
}

func getOrg(ctx context.Context, store interface {
	GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
}, id string) (storage.Organisation, error) {
	o, err := store.GetOrganisation(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return o, refuse(storage.ErrNotFound, "there is no organisation %q", id)
	}
	if err != nil {
		return o, fmt.Errorf("orgs: read organisation %q: %w", id, err)
	}
	return o, nil
}

// change is the audit event of one change by actor: Detail holds the actor, the
// organisation and the value before and after it.
func change(typ, actor string, at time.Time, orgID, userID, before, after string) []storage.AuditEvent {
	return []storage.AuditEvent{{ID: rand.Text(), At: at, Type: typ, UserID: userID,
		Detail: map[string]string{"actor": actor, "org": orgID, "old": before, "new": after}}}
}

func describePolicy(p storage.OrgPolicy) string {
	return fmt.Sprintf("level=%s covered=%s grace_days=%d", p.Level, strings.Join(p.CoveredGroups, ","), p.GraceDays)
}

// describeMembership is "" for no organisation.
func describeMembership(orgID string, groups []string) string {
	if orgID == "" {
		return ""
	}
	return fmt.Sprintf("org=%s groups=%s", orgID, strings.Join(groups, ","))
}
