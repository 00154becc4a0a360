package e2e

import (
	"context"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/lockstep-id/lockstep/storage"
)

// readCounter counts the reads that the password step's one lookup
// (storage.LoginStore.LookupLogin: throttles, user, factors, consent for the
// client) already answers, so a sign-in that makes them again is caught.
type readCounter struct {
	storage.Storage
	lookups, users, consents atomic.Int32
}

func (c *readCounter) LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error) {
	c.lookups.Add(1)
	return c.Storage.LookupLogin(ctx, q)
}

func (c *readCounter) GetUser(ctx context.Context, id string) (storage.User, error) {
	c.users.Add(1)
	return c.Storage.GetUser(ctx, id)
}

func (c *readCounter) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c.consents.Add(1)
	return c.Storage.GetConsent(ctx, userID, clientID)
}

func (c *readCounter) reset() {
	c.lookups.Store(0)
	c.users.Store(0)
	c.consents.Store(0)
}

// TestPasswordStepReadsOnce: the password post of a sign-in that needs nothing
// more reaches the client's callback with the one lookup alone; the consent
// check and the finished sign-in reuse what it read. Every sign-in pays for a
// second read, so this guards the benchmark's fixed cost (SPEC §9).
func TestPasswordStepReadsOnce(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		store := &readCounter{Storage: newStore(t)}
		s := startServer(t, store)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)

		// The first sign-in asks for consent and stores it.
		b := newBrowser(t)
		p := b.get(s, r.start().url)
		p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
		if !p.isConsent() {
			t.Fatalf("no consent page on the first sign-in: %s", p.url)
		}
		if p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}}); p.callback == nil {
			t.Fatalf("consent did not reach the client: %s", p.url)
		}

		// A sign-in in another browser: consent remembered, password only.
		b = newBrowser(t)
		p = b.get(s, r.start().url)
		if !p.isLogin() {
			t.Fatalf("no login page: %s", p.url)
		}
		store.reset()
		p = b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
		if p.callback == nil || p.callback.Query().Get("code") == "" {
			t.Fatalf("the password post did not reach the client with a code: %d %s", p.resp.StatusCode, p.url)
		}
		got := map[string]int32{"LookupLogin": store.lookups.Load(), "GetUser": store.users.Load(), "GetConsent": store.consents.Load()}
		want := map[string]int32{"LookupLogin": 1, "GetUser": 0, "GetConsent": 0}
		for name, n := range want {
			if got[name] != n {
				t.Errorf("the password post called %s %d times, want %d (all reads: %v)", name, got[name], n, got)
			}
		}
	})
}
