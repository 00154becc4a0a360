package e2e

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/storage"
)

// tokenCounter counts the token store's calls, each one statement and round trip
// on PostgreSQL, and the token rows they write, so a request that makes more of
// them than before is caught.
type tokenCounter struct {
	storage.Storage
	mu    sync.Mutex
	calls map[string]int
}

func (c *tokenCounter) count(name string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[name]++
	if n > 0 {
		c.calls["rows written"] += n
	}
}

func (c *tokenCounter) CommitSignIn(ctx context.Context, in storage.SignIn) error {
	if len(in.Tokens) > 0 { // a sign-in's steps commit too; only the last stores a code
		c.count("CommitSignIn with tokens", len(in.Tokens))
	}
	return c.Storage.CommitSignIn(ctx, in)
}

func (c *tokenCounter) CreateToken(ctx context.Context, t storage.Token) error {
	c.count("CreateToken", 1)
	return c.Storage.CreateToken(ctx, t)
}

func (c *tokenCounter) CreateTokens(ctx context.Context, ts []storage.Token) error {
	c.count("CreateTokens", len(ts))
	return c.Storage.CreateTokens(ctx, ts)
}

func (c *tokenCounter) GetToken(ctx context.Context, kind storage.TokenKind, signature string) (storage.Token, error) {
	c.count("GetToken", 0)
	return c.Storage.GetToken(ctx, kind, signature)
}

func (c *tokenCounter) GetTokens(ctx context.Context, signature string, kinds ...storage.TokenKind) ([]storage.Token, error) {
	c.count("GetTokens", 0)
	return c.Storage.GetTokens(ctx, signature, kinds...)
}

func (c *tokenCounter) DeleteToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	c.count("DeleteToken", 0)
	return c.Storage.DeleteToken(ctx, kind, signature)
}

func (c *tokenCounter) ConsumeToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	c.count("ConsumeToken", 0)
	return c.Storage.ConsumeToken(ctx, kind, signature)
}

func (c *tokenCounter) ConsumeTokenCreating(ctx context.Context, kind storage.TokenKind, signature string, also []storage.TokenKind, ts []storage.Token) error {
	c.count("ConsumeTokenCreating", len(ts))
	return c.Storage.ConsumeTokenCreating(ctx, kind, signature, also, ts)
}

func (c *tokenCounter) SpendRefreshToken(ctx context.Context, signature, requestID string, ts []storage.Token) error {
	c.count("SpendRefreshToken", len(ts))
	return c.Storage.SpendRefreshToken(ctx, signature, requestID, ts)
}

func (c *tokenCounter) DeactivateTokensByRequestID(ctx context.Context, kind storage.TokenKind, requestID string) error {
	c.count("DeactivateTokensByRequestID", 0)
	return c.Storage.DeactivateTokensByRequestID(ctx, kind, requestID)
}

// check compares the counts since the last check with want, and starts again.
func (c *tokenCounter) check(t *testing.T, what string, want map[string]int) {
	t.Helper()
	c.mu.Lock()
	got := c.calls
	c.calls = nil
	c.mu.Unlock()
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s: %s %d times, want %d (all: %v)", what, name, got[name], n, got)
		}
	}
	for name, n := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s %d times, want none (all: %v)", what, name, n, got)
		}
	}
}

// TestTokenRequestStatements: each request that drives fosite makes the token
// store calls it needs and no more. A sign-in stores its code, with the code's PKCE
// and OpenID Connect records in the same row, in one commit; a redemption reads the
// code and its records once and spends the code while storing the tokens.
func TestTokenRequestStatements(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		store := &tokenCounter{Storage: newStore(t)}
		s := startServer(t, store)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		store.check(t, "setting up", nil)

		a := r.start()
		cb := b.signIn(s, a.url, s.Email, s.Password)
		store.check(t, "the sign-in", map[string]int{"CommitSignIn with tokens": 1, "rows written": 1})
		tk := r.redeem(a, cb)
		store.check(t, "the redemption", map[string]int{"GetTokens": 1, "ConsumeTokenCreating": 1, "rows written": 2})

		// Signed in already: the code is issued at /authorize.
		a = r.start()
		p := b.get(s, a.url)
		if p.callback == nil {
			t.Fatalf("the second sign-in stopped at %s", p.url)
		}
		store.check(t, "the single sign-on", map[string]int{"CreateTokens": 1, "rows written": 1})

		refreshed, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tk.tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		store.check(t, "the refresh", map[string]int{"GetToken": 1, "SpendRefreshToken": 1, "rows written": 2})

		if _, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(refreshed)); err != nil {
			t.Fatal(err)
		}
		store.check(t, "userinfo", map[string]int{"GetToken": 1})
		if st, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {refreshed.AccessToken}}, s.ClientID, s.ClientSecret); st != 200 || in["active"] != true {
			t.Fatalf("introspect = %d %v", st, in)
		}
		store.check(t, "the introspection", map[string]int{"GetToken": 1})
		if st, _ := postForm(t, s.URL+"/oauth/revoke", url.Values{"token": {refreshed.RefreshToken}}, s.ClientID, s.ClientSecret); st != 200 {
			t.Fatalf("revoke = %d", st)
		}
		store.check(t, "the revocation", map[string]int{"GetToken": 1, "DeactivateTokensByRequestID": 2})
		if st, body := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}}, s.ClientID, s.ClientSecret); st != 200 {
			t.Fatalf("client credentials = %d %v", st, body)
		}
		store.check(t, "client credentials", map[string]int{"CreateTokens": 1, "rows written": 1})
	})
}
