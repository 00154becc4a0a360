package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/storage"
)

// storeCounter counts the reads that a sign-in step's one lookup
// (storage.LoginStore.LookupLogin: throttles, user, factors, consent for the
// client) already answers, so a sign-in that makes them again is caught, and the
// writes of the flow and of audit events, which a step commits together.
type storeCounter struct {
	storage.Storage
	lookups, users, consents, summaries, recoveryCounts atomic.Int32
	flowCommits, auditWrites                            atomic.Int32
}

func (c *storeCounter) CommitSignIn(ctx context.Context, in storage.SignIn) error {
	c.flowCommits.Add(1)
	return c.Storage.CommitSignIn(ctx, in)
}

func (c *storeCounter) AppendAudits(ctx context.Context, events []storage.AuditEvent) error {
	if len(events) > 0 { // the request's end flushes its buffer, empty or not
		c.auditWrites.Add(1)
	}
	return c.Storage.AppendAudits(ctx, events)
}

func (c *storeCounter) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	c.auditWrites.Add(1)
	return c.Storage.AppendAudit(ctx, e)
}

func (c *storeCounter) LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error) {
	c.lookups.Add(1)
	return c.Storage.LookupLogin(ctx, q)
}

func (c *storeCounter) GetUser(ctx context.Context, id string) (storage.User, error) {
	c.users.Add(1)
	return c.Storage.GetUser(ctx, id)
}

func (c *storeCounter) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c.consents.Add(1)
	return c.Storage.GetConsent(ctx, userID, clientID)
}

func (c *storeCounter) SummarizeFactors(ctx context.Context, userID string) (storage.FactorSummary, error) {
	c.summaries.Add(1)
	return c.Storage.SummarizeFactors(ctx, userID)
}

func (c *storeCounter) CountRecoveryCodes(ctx context.Context, userID string) (int, int, error) {
	c.recoveryCounts.Add(1)
	return c.Storage.CountRecoveryCodes(ctx, userID)
}

func (c *storeCounter) reset() {
	for _, n := range []*atomic.Int32{&c.lookups, &c.users, &c.consents, &c.summaries, &c.recoveryCounts, &c.flowCommits, &c.auditWrites} {
		n.Store(0)
	}
}

// check compares the counts with want (a name missing from want means 0).
func (c *storeCounter) check(t *testing.T, what string, want map[string]int32) {
	t.Helper()
	got := map[string]int32{"LookupLogin": c.lookups.Load(), "GetUser": c.users.Load(), "GetConsent": c.consents.Load(),
		"SummarizeFactors": c.summaries.Load(), "CountRecoveryCodes": c.recoveryCounts.Load(),
		"CommitSignIn": c.flowCommits.Load(), "AppendAudit(s)": c.auditWrites.Load()}
	for name, n := range got {
		if n != want[name] {
			t.Errorf("%s called %s %d times, want %d (all reads: %v)", what, name, n, want[name], got)
		}
	}
}

// TestPasswordStepReadsOnce: the password post of a sign-in that needs nothing
// more reaches the client's callback with the one lookup alone; the consent
// check and the finished sign-in reuse what it read. Every sign-in pays for a
// second read, so this guards the benchmark's fixed cost (SPEC §9).
func TestPasswordStepReadsOnce(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		store := &storeCounter{Storage: newStore(t)}
		s := startServer(t, store)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)

		// The first sign-in asks for consent and stores it.
		newBrowser(t).signIn(s, r.start().url, s.Email, s.Password)

		// A sign-in in another browser: consent remembered, password only.
		b := newBrowser(t)
		p := b.get(s, r.start().url)
		if !p.isLogin() {
			t.Fatalf("no login page: %s", p.url)
		}
		store.reset()
		p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
		if p.callback == nil || p.callback.Query().Get("code") == "" {
			t.Fatalf("the password post did not reach the client with a code: %d %s", p.resp.StatusCode, p.url)
		}
		store.check(t, "the password post", map[string]int32{"LookupLogin": 1, "CommitSignIn": 1})
	})
}

// TestSecondFactorStepReadsOnce: the challenge page and the code post each read the
// flow's user, their factors (recovery codes counted) and their consent in one
// lookup, and the rest of the request, the finished sign-in included, reuses it;
// each step writes the flow and its audit events in one commit.
func TestSecondFactorStepReadsOnce(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		store := &storeCounter{Storage: newStore(t)}
		s := startServer(t, store)
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r) // enrols an authenticator app and allows the client

		b := newBrowser(t)
		a := r.start(param("claims", essentialMFA))
		p := b.get(s, a.url)
		store.reset()
		p = b.password(s, p, s.Email, s.Password) // the post, then the challenge page
		if !p.isChallenge() {
			t.Fatalf("no challenge page after the password: %s", p.url)
		}
		// The password post moves the flow on with its audit events in one commit.
		store.check(t, "the password post and the challenge page", map[string]int32{"LookupLogin": 2, "CommitSignIn": 1})

		s.Clock.Advance(30 * time.Second) // the enrolment spent the current step's code
		store.reset()
		p = b.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		if p.callback == nil || p.callback.Query().Get("code") == "" {
			t.Fatalf("the code post did not reach the client with a code: %d %s", p.resp.StatusCode, p.url)
		}
		store.check(t, "the code post", map[string]int32{"LookupLogin": 1, "CommitSignIn": 1})
		r.redeem(a, p.callback)
	})
}

// TestAuthorizeAnswersWithLoginForm: a sign-in that needs the password gets the
// form in the answer to /authorize, with no redirect to follow, and with the
// headers of every page; the same flow's form is still at /login, where the
// form's failed posts and a redirect from a later step land.
func TestAuthorizeAnswersWithLoginForm(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start(oauth2.SetAuthURLParam("login_hint", s.Email))
		p := b.get(s, a.url)
		if p.url.Path != "/authorize" || p.resp.StatusCode != http.StatusOK || !p.isLogin() {
			t.Fatalf("/authorize answered %d at %s, want the login form itself: %.300s", p.resp.StatusCode, p.url.Path, p.body)
		}
		h := p.resp.Header
		if h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			!strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("headers of the form at /authorize: %v", h)
		}
		if !strings.Contains(p.body, `value="`+s.Email+`"`) {
			t.Error("login_hint not prefilled in the form at /authorize")
		}
		flow := p.flowID()
		if flow == "" {
			t.Fatal("no flow in the form")
		}
		if again := b.get(s, s.URL+"/login?flow="+flow); !again.isLogin() || again.flowID() != flow {
			t.Errorf("/login?flow= no longer shows the flow's form: %d %s", again.resp.StatusCode, again.url)
		}
		// A wrong password answers at /login, a right one reaches the client.
		if p = b.post(s, s.URL+"/login", url.Values{"flow": {flow}, "email": {s.Email}, "password": {"wrong"}}); !p.isLogin() || p.resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d at %s", p.resp.StatusCode, p.url)
		}
		p = b.post(s, s.URL+"/login", url.Values{"flow": {flow}, "email": {s.Email}, "password": {s.Password}})
		if p.callback == nil || p.callback.Query().Get("code") == "" {
			t.Fatalf("the form from /authorize did not reach the client: %d %s", p.resp.StatusCode, p.url)
		}
		r.redeem(a, p.callback)
	})
}
