package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/branding"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// cliActor is the actor the audit log records for a change made on the command line.
const cliActor = "cli"

const orgsUsage = `Usage:
  lockstep orgs create --name N [--id ID] [--output json]
  lockstep orgs list [--output json]
  lockstep orgs get ID [--output json]
  lockstep orgs policy ID [--level low|high] [--groups G1,G2] [--grace-days N] [--output json]
  lockstep orgs groups ID [--add G | --rename OLD=NEW] [--output json]
  lockstep orgs brand ID [--brand-name N] [--logo FILE | --remove-logo] [--output json]

A new organisation has the groups administrators, company-users, owners and suppliers,
and level low with every group listed as covered and a grace period of 5 days.
policy changes only the flags given (at least one); --groups "" covers no group.
At level high the covered groups' members must set up a second factor within the
grace period (0 to 90 days), counted from when the policy starts to cover them.
groups without --add or --rename lists the groups.
brand sets what the members see instead of the product's name and logo on their
account pages and in their emails (--brand-name "": the product's name again); the
logo is PNG, JPEG, WebP or SVG, at most 256 KiB.
`

func cmdOrgs(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"create", "list", "get", "policy", "groups", "brand"}, args[0]) {
		fmt.Fprint(stderr, orgsUsage)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("orgs "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "text", "text or json")
	var spec orgs.CreateSpec
	var level, add, rename, brandName, logo string
	var removeLogo bool
	var covered listFlag
	var graceDays int
	switch sub {
	case "create":
		fs.StringVar(&spec.Name, "name", "", "the organisation's name")
		fs.StringVar(&spec.ID, "id", "", "organisation id: lower-case letters, digits and '-' (generated when empty)")
	case "policy":
		fs.StringVar(&level, "level", "", "low (a second factor is optional) or high (required of the covered groups)")
		fs.Var(&covered, "groups", "the covered groups, comma-separated or repeated")
		fs.IntVar(&graceDays, "grace-days", 0, fmt.Sprintf("days to set up a second factor once covered (0 to %d)", orgs.MaxGraceDays))
	case "groups":
		fs.StringVar(&add, "add", "", "add a group")
		fs.StringVar(&rename, "rename", "", "rename a group: OLD=NEW")
	case "brand":
		fs.StringVar(&brandName, "brand-name", "", "the name the members see instead of the product name")
		fs.StringVar(&logo, "logo", "", "the logo the members see: PNG, JPEG, WebP or SVG, at most 256 KiB")
		fs.BoolVar(&removeLogo, "remove-logo", false, "remove the organisation's logo")
	}
	cfg, err := adminConfig(fs, args[1:], env)
	if err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return errors.New("--output must be text or json")
	}
	given := flagsGiven(fs)

	// Check the command line before opening the store.
	var id string
	switch sub {
	case "create", "list":
		if fs.NArg() > 0 {
			return fmt.Errorf("orgs %s takes no arguments, not %q", sub, fs.Args())
		}
		if sub == "create" && !given["name"] {
			return errors.New("orgs create needs --name NAME")
		}
	default:
		if id, err = exactlyOne(fs, "orgs "+sub+" needs one organisation id"); err != nil {
			return err
		}
	}
	if sub == "policy" && !given["level"] && !given["groups"] && !given["grace-days"] {
		return errors.New("orgs policy needs --level, --groups or --grace-days (orgs get shows the current policy)")
	}
	var image []byte
	if sub == "brand" {
		switch {
		case !given["brand-name"] && !given["logo"] && !given["remove-logo"]:
			return errors.New("orgs brand needs --brand-name, --logo or --remove-logo (orgs get shows the current brand)")
		case given["logo"] && given["remove-logo"]:
			return errors.New("orgs brand takes --logo or --remove-logo, not both")
		case given["brand-name"]:
			if err := admin.CheckBrandName(brandName); err != nil {
				return err
			}
		}
		if given["logo"] {
			if image, err = readLogoFile(logo); err != nil {
				return err
			}
			// Refused before anything changes.
			if _, err := branding.MediaType(image); err != nil {
				return fmt.Errorf("--logo %s: %w", logo, err)
			}
		}
	}
	var oldName, newName string
	if sub == "groups" {
		if given["add"] && given["rename"] {
			return errors.New("orgs groups takes --add or --rename, not both")
		}
		if given["rename"] {
			var ok bool
			if oldName, newName, ok = strings.Cut(rename, "="); !ok {
				return fmt.Errorf("--rename takes OLD=NEW, not %q", rename)
			}
		}
	}

	store, err := adminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	smsOn := cfg.SMSSender() != ""
	now := time.Now()

	switch sub {
	case "create":
		o, err := orgs.Create(ctx, store, spec, cliActor, now)
		if err != nil {
			return oneLine(err)
		}
		if *output == "json" {
			return writeJSONOut(stdout, toOrgJSON(o, []memberJSON{}))
		}
		fmt.Fprintln(stdout, o.ID)
		return nil

	case "list":
		all, err := store.ListOrganisations(ctx)
		if err != nil {
			return err
		}
		out := []orgSummaryJSON{}
		for _, o := range all {
			us, err := store.ListUsersByOrg(ctx, o.ID)
			if err != nil {
				return err
			}
			out = append(out, orgSummaryJSON{ID: o.ID, Name: o.Name, Level: string(o.Policy.Level),
				CoveredGroups: nonNil(o.Policy.CoveredGroups), GraceDays: o.Policy.GraceDays, Members: len(us)})
		}
		if *output == "json" {
			return writeJSONOut(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tLEVEL\tCOVERED GROUPS\tGRACE DAYS\tMEMBERS")
		for _, o := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", o.ID, o.Name, o.Level, orDash(strings.Join(o.CoveredGroups, ",")), o.GraceDays, o.Members)
		}
		return tw.Flush()

	case "get":
		o, members, err := orgWithMembers(ctx, store, id, smsOn)
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSONOut(stdout, toOrgJSON(o, members))
		}
		covered := 0
		for _, m := range members {
			if m.Covered {
				covered++
			}
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "ID\t%s\n", o.ID)
		fmt.Fprintf(tw, "Name\t%s\n", o.Name)
		fmt.Fprintf(tw, "Brand name\t%s\n", orDash(o.BrandName))
		fmt.Fprintf(tw, "Logo\t%s\n", orDash(templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum)))
		fmt.Fprintf(tw, "Groups\t%s\n", strings.Join(o.Groups, ", "))
		fmt.Fprintf(tw, "Level\t%s\n", o.Policy.Level)
		fmt.Fprintf(tw, "Covered groups\t%s\n", orDash(strings.Join(o.Policy.CoveredGroups, ", ")))
		fmt.Fprintf(tw, "Grace period\t%s\n", days(o.Policy.GraceDays))
		fmt.Fprintf(tw, "Members\t%d (%d covered)\n", len(members), covered)
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(members) == 0 {
			return nil
		}
		fmt.Fprintln(stdout)
		return writeMembers(stdout, members, false)

	case "policy":
		o, err := store.GetOrganisation(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return noOrg(id)
		}
		if err != nil {
			return err
		}
		p := o.Policy
		if given["level"] {
			p.Level = storage.SecurityLevel(level)
		}
		if given["groups"] {
			p.CoveredGroups = covered
		}
		if given["grace-days"] {
			p.GraceDays = graceDays
		}
		if err := orgs.SetPolicy(ctx, store, id, p, cliActor, now); err != nil {
			return oneLine(err)
		}
		o, members, err := orgWithMembers(ctx, store, id, smsOn)
		if err != nil {
			return err
		}
		n := 0
		for _, m := range members {
			if m.Covered {
				n++
			}
		}
		if *output == "json" {
			return writeJSONOut(stdout, policyResultJSON{ID: o.ID, Policy: toPolicyJSON(o.Policy), Members: len(members), Covered: n})
		}
		fmt.Fprintf(stdout, "organisation %s: level %s, covered groups %s, grace period %s\n",
			o.ID, o.Policy.Level, orDash(strings.Join(o.Policy.CoveredGroups, ",")), days(o.Policy.GraceDays))
		fmt.Fprintf(stdout, "%d of %d members covered now\n", n, len(members))
		return nil

	case "groups":
		switch {
		case given["add"]:
			err = orgs.AddGroup(ctx, store, id, add, cliActor, now)
		case given["rename"]:
			err = orgs.RenameGroup(ctx, store, id, oldName, newName, cliActor, now)
		}
		if err != nil {
			return oneLine(err)
		}
		o, members, err := orgWithMembers(ctx, store, id, smsOn)
		if err != nil {
			return err
		}
		groups := []groupJSON{}
		for _, g := range o.Groups {
			n := 0
			for _, m := range members {
				if slices.Contains(m.Groups, g) {
					n++
				}
			}
			groups = append(groups, groupJSON{Name: g, Members: n, Covered: o.Policy.Covers([]string{g})})
		}
		if *output == "json" {
			return writeJSONOut(stdout, groups)
		}
		switch {
		case given["add"]:
			fmt.Fprintf(stdout, "group %s added to organisation %s\n", add, id)
		case given["rename"]:
			fmt.Fprintf(stdout, "group %s of organisation %s renamed to %s\n", oldName, id, newName)
		default:
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GROUP\tMEMBERS\tCOVERED")
			for _, g := range groups {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", g.Name, g.Members, yesNo(g.Covered))
			}
			return tw.Flush()
		}
		return nil

	case "brand":
		// The admin API's service, acting as the command line: the same checks
		// and audit events, with the actor cli.
		svc := &admin.Service{Store: store, Now: time.Now}
		cli := admin.Operator(cliActor)
		if _, err := svc.Org(ctx, cli, id); errors.Is(err, storage.ErrNotFound) {
			return noOrg(id)
		} else if err != nil {
			return err
		}
		if given["brand-name"] {
			if _, err := svc.SetOrgBrandName(ctx, cli, id, brandName); err != nil {
				return oneLine(err)
			}
		}
		switch {
		case given["logo"]:
			_, err = svc.SetOrgLogo(ctx, cli, id, image)
		case given["remove-logo"]:
			if err = svc.RemoveOrgLogo(ctx, cli, id); errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("organisation %q has no logo", id)
			}
		}
		if err != nil {
			return oneLine(err)
		}
		o, members, err := orgWithMembers(ctx, store, id, smsOn)
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSONOut(stdout, toOrgJSON(o, members))
		}
		fmt.Fprintf(stdout, "organisation %s: brand name %s, logo %s\n", o.ID, orDash(o.BrandName), orDash(templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum)))
		return nil
	}
	return nil
}

type policyJSON struct {
	Level         string   `json:"level"`
	CoveredGroups []string `json:"covered_groups"`
	GraceDays     int      `json:"grace_days"`
}

func toPolicyJSON(p storage.OrgPolicy) policyJSON {
	return policyJSON{Level: string(p.Level), CoveredGroups: nonNil(p.CoveredGroups), GraceDays: p.GraceDays}
}

// orgSummaryJSON is a line of orgs list.
type orgSummaryJSON struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Level         string   `json:"level"`
	CoveredGroups []string `json:"covered_groups"`
	GraceDays     int      `json:"grace_days"`
	Members       int      `json:"member_count"`
}

// orgJSON is orgs get (and create).
type orgJSON struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Groups    []string     `json:"groups"`
	Policy    policyJSON   `json:"policy"`
	BrandName string       `json:"brand_name,omitempty"`
	LogoURL   string       `json:"logo_url,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Members   []memberJSON `json:"members"`
}

func toOrgJSON(o storage.Organisation, members []memberJSON) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Groups: nonNil(o.Groups), Policy: toPolicyJSON(o.Policy),
		BrandName: o.BrandName, LogoURL: templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum),
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Members: members}
}

type policyResultJSON struct {
	ID      string     `json:"id"`
	Policy  policyJSON `json:"policy"`
	Members int        `json:"member_count"`
	Covered int        `json:"covered_count"`
}

type groupJSON struct {
	Name    string `json:"name"`
	Members int    `json:"member_count"`
	// Covered: the policy requires a second factor of the group's members.
	Covered bool `json:"covered"`
}

// memberJSON is a user as users list and orgs get show them.
type memberJSON struct {
	ID       string   `json:"id"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Disabled bool     `json:"disabled"`
	OrgID    string   `json:"org"`
	Groups   []string `json:"groups"`
	// Covered: the organisation's policy requires a second factor of the user.
	Covered bool `json:"covered"`
	// SecondFactor: the user has a second factor they can sign in with; Factors
	// names what they set up (totp, webauthn, phone; a phone counts only while SMS
	// is on).
	SecondFactor bool     `json:"second_factor"`
	Factors      []string `json:"factors"`
	// Deadline is the date (UTC, 2006-01-02) by which a covered user must have a
	// second factor, null for none.
	Deadline *string `json:"mfa_deadline"`
}

// toMember describes u, whose organisation is o (the zero Organisation for none),
// with the factors it has set up.
func toMember(u storage.User, o storage.Organisation, f storage.FactorSummary, smsOn bool) memberJSON {
	m := memberJSON{ID: u.ID, Email: u.Email, Name: strings.TrimSpace(u.GivenName + " " + u.FamilyName),
		Disabled: u.Disabled, OrgID: u.OrgID, Groups: nonNil(u.Groups), Covered: orgs.Covered(o, u),
		SecondFactor: f.TOTP || f.WebAuthn || (f.Phone && smsOn), Factors: []string{}}
	for name, has := range map[string]bool{"totp": f.TOTP, "webauthn": f.WebAuthn, "phone": f.Phone} {
		if has {
			m.Factors = append(m.Factors, name)
		}
	}
	slices.Sort(m.Factors)
	if !u.MFADeadline.IsZero() {
		d := date(u.MFADeadline)
		m.Deadline = &d
	}
	return m
}

// members describes users, each with the factors SummarizeFactors reports (one
// query per user: it is what the sign-in asks, without the sign-in's other reads
// LookupLogin makes). orgOf gives a user's organisation.
func members(ctx context.Context, store storage.Storage, users []storage.User, orgOf func(id string) storage.Organisation, smsOn bool) ([]memberJSON, error) {
	out := []memberJSON{}
	for _, u := range users {
		f, err := store.SummarizeFactors(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("the second factors of %s: %w", u.Email, err)
		}
		out = append(out, toMember(u, orgOf(u.OrgID), f, smsOn))
	}
	return out, nil
}

// orgWithMembers reads the organisation and describes its members.
func orgWithMembers(ctx context.Context, store storage.Storage, id string, smsOn bool) (storage.Organisation, []memberJSON, error) {
	o, err := store.GetOrganisation(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return o, nil, noOrg(id)
	}
	if err != nil {
		return o, nil, err
	}
	us, err := store.ListUsersByOrg(ctx, id)
	if err != nil {
		return o, nil, err
	}
	ms, err := members(ctx, store, us, func(string) storage.Organisation { return o }, smsOn)
	return o, ms, err
}

// writeMembers writes a table of users; withOrg adds the organisation and the
// account's status (users list).
func writeMembers(w io.Writer, ms []memberJSON, withOrg bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if withOrg {
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tSTATUS\tORG\tGROUPS\t2FA\tDEADLINE")
	} else {
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tGROUPS\t2FA\tDEADLINE")
	}
	for _, m := range ms {
		deadline := "-"
		if m.Deadline != nil {
			deadline = *m.Deadline
		}
		groups := orDash(strings.Join(m.Groups, ","))
		if withOrg {
			status := "active"
			if m.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Email, orDash(m.Name), status, orDash(m.OrgID), groups, yesNo(m.SecondFactor), deadline)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Email, orDash(m.Name), groups, yesNo(m.SecondFactor), deadline)
		}
	}
	return tw.Flush()
}

// createUser creates the user as admin.CreateMember does, with the command
// line's messages.
func createUser(ctx context.Context, store storage.Storage, hasher *password.Hasher, spec admin.UserSpec, orgID string, groups []string, actor string, now time.Time) (storage.User, error) {
	u, err := admin.CreateMember(ctx, store, hasher, spec, orgID, groups, actor, now)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return u, fmt.Errorf("a user with email %s exists already", strings.ToLower(strings.TrimSpace(spec.Email)))
	}
	if err != nil {
		return u, oneLine(err)
	}
	return u, nil
}

// describeMembership is a line saying where u is and what their organisation asks of them.
func describeMembership(u storage.User) string {
	switch {
	case u.OrgID == "":
		return "in no organisation"
	case u.MFADeadline.IsZero():
		return fmt.Sprintf("in organisation %s (groups %s); its policy does not require a second factor of them",
			u.OrgID, strings.Join(u.Groups, ","))
	default:
		return fmt.Sprintf("in organisation %s (groups %s); its policy requires a second factor by %s",
			u.OrgID, strings.Join(u.Groups, ","), date(u.MFADeadline))
	}
}

func noOrg(id string) error { return fmt.Errorf("there is no organisation %q", id) }

// date is t's day in UTC, as 2006-01-02.
func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nonNil makes a nil list [] in JSON.
func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
