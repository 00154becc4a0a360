package admin

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/emaillink"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// InviteLinkLifetime is how long an invitation's link works.
const InviteLinkLifetime = 7 * 24 * time.Hour

// InviteStore is what an invitation changes: the user, their links and the
// audit log.
type InviteStore interface {
	storage.UserStore
	storage.EmailLinkStore
	storage.AuditStore
}

// Invitation invites users (ACC-9): it creates them without a password and
// emails them a single-use link, for InviteLinkLifetime, to the page where they
// set one. Only the link's hash is stored.
type Invitation struct {
	Store InviteStore
	Mail  email.Sender
	// URL is the address of the invitation page (the issuer followed by
	// recover.PathInvite); the link adds its token to the query.
	URL         string
	ProductName string
	// T translates the email's catalogue keys (package i18n) into the language
	// of ctx; the invitee has chosen none yet, so ctx should carry the
	// server's default.
	T func(ctx context.Context, id string, args ...any) string
	// Orgs, when set, lets an invitation to an organisation's member wear the
	// organisation's brand name and logo, as the member's later emails do.
	Orgs interface {
		GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
	}
	// Actor names who invites, for the audit log.
	Actor string
	Now   time.Time
}

// InviteSpec is the user to invite.
type InviteSpec struct {
	Email      string
	GivenName  string
	FamilyName string
}

// Invite creates the user without a password and emails the link. An address
// that is not valid or is in use changes nothing. When the email cannot be sent
// the user stays, and the error says so: Resend sends a new link.
func (inv Invitation) Invite(ctx context.Context, spec InviteSpec) (storage.User, error) {
	addr := strings.ToLower(strings.TrimSpace(spec.Email))
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
		return storage.User{}, fmt.Errorf("%q is not a valid email address", spec.Email)
	}
	u := storage.User{ID: randomToken(16), Email: addr, GivenName: strings.TrimSpace(spec.GivenName),
		FamilyName: strings.TrimSpace(spec.FamilyName), CreatedAt: inv.Now.UTC(), UpdatedAt: inv.Now.UTC()}
	if err := inv.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return storage.User{}, fmt.Errorf("a user with email %s exists already: %w", addr, err)
		}
		return storage.User{}, fmt.Errorf("create user %s: %w", addr, err)
	}
	if err := inv.send(ctx, u, "user.invited"); err != nil {
		return u, fmt.Errorf("user %s was created, but %w; send it again with the resend command", addr, err)
	}
	return u, nil
}

// Resend emails a new link to the invited user with that email and kills the
// old ones. A user who has set a password already, or is disabled, is refused
// and nothing changes.
func (inv Invitation) Resend(ctx context.Context, addr string) (storage.User, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	u, err := inv.Store.GetUserByEmail(ctx, addr)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return u, fmt.Errorf("no user with email %s: %w", addr, err)
	case err != nil:
		return u, fmt.Errorf("find user %s: %w", addr, err)
	case u.Disabled:
		return u, fmt.Errorf("user %s is disabled", addr)
	case u.PasswordHash != "":
		return u, fmt.Errorf("user %s has set a password already; a forgotten one is reset from the sign-in page", addr)
	}
	if _, err := inv.Store.DeleteEmailLinks(ctx, u.ID, storage.LinkInvitation); err != nil {
		return u, fmt.Errorf("delete the old invitations of %s: %w", addr, err)
	}
	return u, inv.send(ctx, u, "user.invitation_resent")
}

// send stores a new invitation link for u, emails it and audits event.
func (inv Invitation) send(ctx context.Context, u storage.User, event string) error {
	token, hash := emaillink.New()
	if err := inv.Store.PutEmailLink(ctx, storage.EmailLink{Hash: hash, Purpose: storage.LinkInvitation, UserID: u.ID,
		Email: u.Email, CreatedAt: inv.Now.UTC(), ExpiresAt: inv.Now.Add(InviteLinkLifetime).UTC()}); err != nil {
		return fmt.Errorf("the invitation was not stored: %w", err)
	}
	link := inv.URL + "?" + url.Values{"token": {token}}.Encode()
	ctx, product, err := inv.brand(ctx, u)
	if err != nil {
		return err
	}
	greeting := inv.T(ctx, "mail.invitation.hello")
	if u.GivenName != "" {
		greeting = inv.T(ctx, "mail.invitation.hello_name", "Name", u.GivenName)
	}
	text := inv.T(ctx, "mail.invitation.text", "Greeting", greeting, "Product", product, "Email", u.Email, "Link", link,
		"Days", int(InviteLinkLifetime.Hours()/24))
	subject := inv.T(ctx, "mail.invitation.subject", "Product", product)
	if err := inv.Mail.Send(ctx, email.Message{To: u.Email, Subject: subject, Text: text}); err != nil {
		return fmt.Errorf("the invitation email was not sent: %w", err)
	}
	err = inv.Store.AppendAudit(ctx, storage.AuditEvent{ID: rand.Text(), At: inv.Now.UTC(), Type: event, UserID: u.ID,
		Detail: map[string]string{"actor": inv.Actor}})
	if err != nil {
		return fmt.Errorf("the invitation was sent, but the audit log did not take it: %w", err)
	}
	return nil
}

// brand returns ctx with u's organisation's brand (for the HTML part) and the
// name the invitation signs with: the organisation's brand name, else the
// product's.
func (inv Invitation) brand(ctx context.Context, u storage.User) (context.Context, string, error) {
	if inv.Orgs == nil || u.OrgID == "" {
		return ctx, inv.ProductName, nil
	}
	o, err := inv.Orgs.GetOrganisation(ctx, u.OrgID)
	if err != nil {
		return ctx, "", fmt.Errorf("read the organisation of %s: %w", u.Email, err)
	}
	b := templates.OrgBrand{Name: o.BrandName, Logo: templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum)}
	return templates.WithOrgBrand(ctx, b), cmp.Or(o.BrandName, inv.ProductName), nil
}
