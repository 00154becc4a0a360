package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/recover"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

const inviteUsage = `Usage:
  lockstep users invite --email E [--given-name G] [--family-name F] [--org ID --group G [--group G2 ...]]
  lockstep users invite --resend --email E

Creates the user without a password and emails them a link, valid for 7 days and
once, to the page where they set one. --resend sends a new link to an invited user
who has not set a password yet; the links sent before stop working. Needs
LOCKSTEP_ISSUER (the link points to it) and an SMTP server (email.smtp_host).
`

// inviteStore creates users in an organisation (admin.InOrganisation) and keeps
// their links and audit in the store.
type inviteStore struct {
	storage.UserStore
	storage.EmailLinkStore
	storage.AuditStore
}

func cmdInvite(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("users invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, inviteUsage) }
	var spec admin.InviteSpec
	var orgID string
	var groups listFlag
	resend := fs.Bool("resend", false, "send a new link to an invited user")
	fs.StringVar(&spec.Email, "email", "", "email address (the sign-in name)")
	fs.StringVar(&spec.GivenName, "given-name", "", "first name")
	fs.StringVar(&spec.FamilyName, "family-name", "", "last name")
	fs.StringVar(&orgID, "org", "", "the organisation's id")
	fs.Var(&groups, "group", "a group in the organisation (repeatable, or comma-separated)")
	// The link points to the issuer, so unlike other admin commands this one needs it.
	cfg, err := loadConfig(fs, args, env)
	if err != nil {
		return err
	}
	given := flagsGiven(fs)
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("users invite takes no arguments, not %q", fs.Args())
	case strings.TrimSpace(spec.Email) == "":
		return errors.New("users invite needs --email")
	case *resend && (given["given-name"] || given["family-name"] || given["org"] || given["group"]):
		return errors.New("--resend sends a new link to an invited user: give it with --email only")
	case len(groups) > 0 && orgID == "":
		return errors.New("--group needs --org: a user in no organisation is in no group")
	case given["org"] && orgID == "":
		return errors.New(`--org "" names no organisation; leave --org out to invite a user in none`)
	}
	mail, outbox, err := app.MailSender(cfg.Email, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	if outbox != nil {
		return errors.New("email.smtp_host is not set: the invitation could not be delivered")
	}
	store, err := adminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if groups, err = orgs.CheckMembership(ctx, store, orgID, groups); err != nil {
		return oneLine(err)
	}
	// The invitation speaks the server's default language, in its branding.
	pages, brand, err := app.Pages(cfg)
	if err != nil {
		return err
	}
	inv := admin.Invitation{
		Store: inviteStore{UserStore: admin.InOrganisation(store, orgID, groups), EmailLinkStore: store, AuditStore: store},
		Mail:  email.WithHTML(mail, pages.EmailHTML), URL: strings.TrimSuffix(cfg.Issuer, "/") + recover.PathInvite,
		ProductName: templates.Page{ProductName: brand.ProductName}.Product(), T: pages.T, Orgs: store, Actor: cliActor, Now: time.Now(),
	}
	if *resend {
		u, err := inv.Resend(ctx, spec.Email)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "a new invitation was sent to %s; earlier links no longer work\n", u.Email)
		return nil
	}
	u, err := inv.Invite(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s invited (id %s); the link works for 7 days\n", u.Email, u.ID)
	return nil
}
