package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

const subjectInvite = "Your Lockstep account"

// inviter invites users to s as the CLI does, by SMTP to the mailbox, at time now.
func inviter(t *testing.T, s *server, now time.Time) admin.Invitation {
	t.Helper()
	mail, outbox, err := app.MailSender(s.Config.Email, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || outbox != nil {
		t.Fatalf("mail sender: %v (outbox %v)", err, outbox != nil)
	}
	pages, brand, err := app.Pages(s.Config)
	if err != nil {
		t.Fatalf("pages: %v", err)
	}
	return admin.Invitation{Store: s.Store, Mail: email.WithHTML(mail, pages.EmailHTML), URL: s.URL + "/invite",
		ProductName: templates.Page{ProductName: brand.ProductName}.Product(), T: pages.T, Actor: "e2e", Now: now}
}

// TestInvite: an invited user has no password that signs in until they set one
// with the emailed link, which works once and for 7 days; a new invitation kills
// the old links (ACC-9).
func TestInvite(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		ctx := context.Background()
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		inv := inviter(t, s, s.Clock.Now())

		// Bad input changes nothing.
		for _, tt := range []struct{ name, email, want string }{
			{"not an address", "bob", "is not a valid email address"},
			{"a list", "bob@example.com, eve@example.com", "is not a valid email address"},
			{"in use", s.Email, "exists already"},
		} {
			if _, err := inv.Invite(ctx, admin.InviteSpec{Email: tt.email}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
		if users, err := s.Store.ListUsers(ctx); err != nil || len(users) != 1 {
			t.Fatalf("refused invitations created users: %d %v", len(users), err)
		}

		u, err := inv.Invite(ctx, admin.InviteSpec{Email: " Bob@Example.com ", GivenName: " Bob ", FamilyName: "Builder"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "bob@example.com" || u.GivenName != "Bob" || u.PasswordHash != "" {
			t.Errorf("invited user: %+v", u)
		}
		msg := mb.wait(t, "bob@example.com", subjectInvite)
		if !strings.Contains(msg.Text, "Hello Bob") || !strings.Contains(msg.Text, "7 days") {
			t.Errorf("invitation text:\n%s", msg.Text)
		}
		link := msg.link(t, s.URL+"/invite?")
		waitAudit(t, s, u.ID, "user.invited")

		// No password signs the invited user in, however it is tried.
		b := newBrowser(t)
		for _, pw := range []string{"a long enough guess", "x"} {
			p := b.password(s, b.get(s, r.start().url), "bob@example.com", pw)
			refusedWith(t, "password "+pw+" for an invited user", p, http.StatusUnauthorized, "Incorrect email or password")
		}

		p := b.get(s, link)
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Set your password") || !strings.Contains(p.body, `autocomplete="new-password"`) {
			t.Fatalf("invitation page: %d %.500s", p.resp.StatusCode, p.body)
		}
		refusedWith(t, "common password", setPassword(s, b, link, "1234567890", "1234567890"), http.StatusBadRequest, "one of the 10,000 most common")
		refusedWith(t, "short password", setPassword(s, b, link, "tiny", "tiny"), http.StatusBadRequest, "at least 10 characters")
		refusedWith(t, "a reset link's page", b.get(s, strings.Replace(link, "/invite?", "/forgot/reset?", 1)), http.StatusBadRequest, msgLinkGone)
		pw := "bricks and mortar and time"
		done := setPassword(s, b, link, pw, pw)
		if done.resp.StatusCode != http.StatusOK || !strings.Contains(done.body, "Your password is set") {
			t.Fatalf("accept: %d %s", done.resp.StatusCode, pageMessage(done))
		}
		waitAudit(t, s, u.ID, "invitation.accepted")
		refusedWith(t, "accepted invitation reused", b.get(s, link), http.StatusBadRequest, msgLinkGone)
		a := r.start()
		r.redeem(a, b.signIn(s, a.url, "bob@example.com", pw))
		if _, err := inv.Resend(ctx, "bob@example.com"); err == nil || !strings.Contains(err.Error(), "has set a password already") {
			t.Errorf("resend to a user with a password: %v", err)
		}

		// An invitation sent 7 days and a minute ago has expired; a resend sends a
		// new link and kills every older one, expired or not.
		old := inviter(t, s, s.Clock.Now().Add(-7*24*time.Hour-time.Minute))
		if _, err := old.Invite(ctx, admin.InviteSpec{Email: "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		expired := mb.wait(t, "carol@example.com", subjectInvite).link(t, s.URL+"/invite?")
		refusedWith(t, "expired invitation", b.get(s, expired), http.StatusBadRequest, msgLinkGone)
		if _, err := inv.Resend(ctx, "carol@example.com"); err != nil {
			t.Fatal(err)
		}
		first := mb.wait(t, "carol@example.com", subjectInvite).link(t, s.URL+"/invite?")
		if _, err := inv.Resend(ctx, "Carol@example.com"); err != nil {
			t.Fatal(err)
		}
		second := mb.wait(t, "carol@example.com", subjectInvite).link(t, s.URL+"/invite?")
		refusedWith(t, "link of an earlier resend", b.get(s, first), http.StatusBadRequest, msgLinkGone)
		if p := b.get(s, second); p.resp.StatusCode != http.StatusOK {
			t.Fatalf("newest invitation: %d %s", p.resp.StatusCode, pageMessage(p))
		}
		if _, err := inv.Resend(ctx, "dave@example.com"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("resend to nobody: %v", err)
		}
		pw = "carols own long password"
		if p := setPassword(s, b, second, pw, pw); p.resp.StatusCode != http.StatusOK {
			t.Fatalf("accept the resent invitation: %d %s", p.resp.StatusCode, pageMessage(p))
		}
		a = r.start()
		r.redeem(a, newBrowser(t).signIn(s, a.url, "carol@example.com", pw))
	})
}
