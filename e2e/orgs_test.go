package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

const day = 24 * time.Hour

// companyUser puts the server's user into an organisation at level high with a
// 5-day grace period for company-users, at the server's now: the deadline is
// fixed then.
func companyUser(t *testing.T, s *server) storage.Organisation {
	t.Helper()
	ctx := context.Background()
	now := s.Clock.Now()
	o := storage.Organisation{ID: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now,
		Groups: []string{"administrators", "company-users", "owners", "suppliers"},
		Policy: storage.OrgPolicy{Level: storage.LevelLow, GraceDays: 5}}
	if err := s.Store.CreateOrganisation(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.SetUserOrg(ctx, s.UserID, o.ID, []string{"company-users"}, now, nil); err != nil {
		t.Fatal(err)
	}
	o.Policy = storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: []string{"company-users"}, GraceDays: 5}
	if err := s.Store.SetOrgPolicy(ctx, o.ID, o.Policy, now, nil); err != nil {
		t.Fatal(err)
	}
	u, err := s.Store.GetUser(ctx, s.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.MFADeadline, now.Add(5*day); got.Sub(want).Abs() > time.Second {
		t.Fatalf("deadline %v, want %v", got, want)
	}
	return o
}

// TestOrganisationGracePeriod walks a covered user through the company policy
// (FLOW-3, FLOW-5): day 0 the interrupt with "Later" and a password-level token;
// day 6 no token without a second factor, whichever way the browser turns.
func TestOrganisationGracePeriod(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		// Day 0 is six days ago: Lockstep's times stay in the real clock's past.
		s.Clock.Advance(-6*day - time.Hour)
		companyUser(t, s)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		deadline := s.Clock.Now().Add(5 * day).UTC().Format("2 January 2006")

		// Day 0: after the password, "Protect your account" with the days and the date.
		b := newBrowser(t)
		a := r.start()
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !p.isProtect() || !strings.Contains(p.body, "5 days left") || !strings.Contains(p.body, "until "+deadline) {
			t.Fatalf("day 0 after the password: %s %s", pageMessage(p), p.body)
		}
		c := r.redeem(a, through(t, b, s, notNow(t, b, s, p))).claims
		wantAMR(t, c, "pwd")
		if c["acr"] != flows.ACRPassword {
			t.Errorf("day 0 acr = %v", c["acr"])
		}
		// Single sign-on to the same app on day 0: no interrupt every time.
		a = r.start()
		if q := b.get(s, a.url); q.callback == nil {
			t.Errorf("day 0 single sign-on stopped at %s", pageMessage(q))
		}

		// An hour before the deadline: one day left, still "Later".
		s.Clock.Advance(5*day - time.Hour)
		late := newBrowser(t)
		a = r.start()
		p = late.password(s, late.get(s, a.url), s.Email, s.Password)
		if !p.isProtect() || !strings.Contains(p.body, "1 day left") {
			t.Fatalf("the last day: %s", pageMessage(p))
		}
		lastDayFlow := p.flowID()
		wantAMR(t, r.redeem(a, through(t, late, s, notNow(t, late, s, p))).claims, "pwd")

		// Past the deadline, that session gets no token: prompt=none says
		// interaction_required, and a sign-in stops at the interrupt without "Later".
		s.Clock.Advance(2 * time.Hour)
		if q := late.get(s, r.start(param("prompt", "none")).url); q.callback == nil || q.callback.Query().Get("error") != "interaction_required" {
			t.Errorf("past the deadline, prompt=none: %v %s", q.callback, pageMessage(q))
		}
		if q := late.get(s, r.start().url); !q.isProtect() || strings.Contains(q.body, `value="later"`) || !strings.Contains(q.body, "ended on "+deadline) {
			t.Fatalf("past the deadline, single sign-on: %s", pageMessage(q))
		}

		// Day 6.
		s.Clock.Advance(day - time.Hour)
		// A new sign-in: the password, then the interrupt without "Later".
		b = newBrowser(t)
		a = r.start()
		p = b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !p.isProtect() || strings.Contains(p.body, `value="later"`) {
			t.Fatalf("day 6 after the password: %s", pageMessage(p))
		}
		flow := p.flowID()
		// Every way around it ends back at the interrupt, never at the client.
		for _, u := range []string{
			s.URL + "/consent?flow=" + url.QueryEscape(flow),
			s.URL + "/authorize/resume?flow=" + url.QueryEscape(flow),
			s.URL + "/challenge?flow=" + url.QueryEscape(flow),
		} {
			if q := b.get(s, u); q.callback != nil || !q.isProtect() {
				t.Errorf("%s: %v %s", u, q.callback, pageMessage(q))
			}
		}
		if q := b.post(s, s.URL+"/enrol/protect", url.Values{"flow": {flow}, "decision": {"later"}}); q.callback != nil || !q.isProtect() {
			t.Errorf("a forged Later: %v %s", q.callback, pageMessage(q))
		}
		if q := b.post(s, s.URL+"/consent", url.Values{"flow": {flow}, "decision": {"allow"}}); q.callback != nil {
			t.Errorf("posting consent: %v", q.callback)
		}
		// The older flow that ended with "Later" is spent: replaying it in its own
		// browser gives nothing, and neither does a made-up one.
		if q := late.get(s, s.URL+"/authorize/resume?flow="+url.QueryEscape(lastDayFlow)); q.callback != nil || q.resp.StatusCode == http.StatusOK {
			t.Errorf("the last day's flow again: %v %s", q.callback, pageMessage(q))
		}
		if q := b.get(s, s.URL+"/authorize/resume?flow="+url.QueryEscape(flow)+"x"); q.callback != nil || q.resp.StatusCode == http.StatusOK {
			t.Errorf("an unknown flow: %v %d", q.callback, q.resp.StatusCode)
		}

		// Set it up now: the app, then a token that says so.
		enrol := b.post(s, s.URL+"/enrol/protect", url.Values{"flow": {flow}, "decision": {"setup"}})
		_, done := b.enrolTOTP(s, enrol)
		c = r.redeem(a, through(t, b, s, done)).claims
		wantAMR(t, c, "pwd", "otp", "mfa")
		if c["acr"] != flows.ACRMultiFactor {
			t.Errorf("day 6 acr after enrolment = %v", c["acr"])
		}
	})
}

// TestOrganisationMembershipChanges checks that the rule follows the membership:
// a user moved out of the covered groups signs in without any interrupt, and
// one moved back in gets a new grace period.
func TestOrganisationMembershipChanges(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-10*day - time.Hour)
		companyUser(t, s)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		ctx := context.Background()

		// Day 7: past the deadline; moved to suppliers (not covered), the user is
		// offered the set-up like any member's first sign-in, once.
		s.Clock.Advance(7 * day)
		if err := s.Store.SetUserOrg(ctx, s.UserID, "acme", []string{"suppliers"}, s.Clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		a := r.start()
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !p.isProtect() || strings.Contains(p.body, "days left") || strings.Contains(p.body, "requires") {
			t.Fatalf("not covered, first sign-in: %s", pageMessage(p))
		}
		wantAMR(t, r.redeem(a, through(t, b, s, notNow(t, b, s, p))).claims, "pwd")
		b = newBrowser(t)
		a = r.start()
		if p := b.password(s, b.get(s, a.url), s.Email, s.Password); p.callback == nil {
			t.Fatalf("not covered, offered before: %s", pageMessage(p))
		}

		// Back in company-users: a new period of 5 days from now, so "Later" again.
		if err := s.Store.SetUserOrg(ctx, s.UserID, "acme", []string{"company-users"}, s.Clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		b = newBrowser(t)
		a = r.start()
		p = b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !p.isProtect() || !strings.Contains(p.body, "5 days left") {
			t.Fatalf("covered again: %s", pageMessage(p))
		}
		wantAMR(t, r.redeem(a, through(t, b, s, notNow(t, b, s, p))).claims, "pwd")
	})
}
