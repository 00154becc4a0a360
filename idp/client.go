package idp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/storage"
)

// client is the fosite view of a storage.Client. It deliberately does not implement
// fosite.OpenIDConnectClient, so a confidential client may authenticate with either
// client_secret_basic or client_secret_post.
type client struct {
	storage.Client
}

var _ fosite.Client = (*client)(nil)

func (c *client) GetID() string                      { return c.ID }
func (c *client) GetHashedSecret() []byte            { return c.SecretHash }
func (c *client) GetRedirectURIs() []string          { return c.RedirectURIs }
func (c *client) GetGrantTypes() fosite.Arguments    { return c.Client.GrantTypes }
func (c *client) GetResponseTypes() fosite.Arguments { return c.Client.ResponseTypes }
func (c *client) GetScopes() fosite.Arguments        { return c.Client.Scopes }
func (c *client) IsPublic() bool                     { return c.Public }

// GetAudience: without resource indicators, a client's tokens are meant for the
// client itself (RFC 9068 aud).
func (c *client) GetAudience() fosite.Arguments { return fosite.Arguments{c.ID} }

// NewClientCache returns a client source shared by the provider and the login pages.
func NewClientCache(store storage.ClientStore, now func() time.Time) *ClientCache {
	return &ClientCache{store: store, ttl: ClientCacheTTL, now: now}
}

// GetClient returns the client with that id, from the cache when fresh.
func (s *ClientCache) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return storage.Client{}, err
	}
	return c.Client, nil
}

// ClientCache loads clients for fosite and the pages, keeping each for a short while: fosite asks
// for the same client several times per request and a sign-in spans several
// requests. A change to a client (rotated secret, new redirect URI, deletion) reaches
// every node within ttl.
type ClientCache struct {
	store storage.ClientStore
	ttl   time.Duration
	now   func() time.Time

	mu     sync.Mutex
	cached map[string]cachedClient
}

type cachedClient struct {
	c       *client
	expires time.Time
}

// maxCachedClients bounds the cache so unknown ids sent by anyone cannot grow it.
const maxCachedClients = 10000

func (s *ClientCache) get(ctx context.Context, id string) (*client, error) {
	now := s.now()
	s.mu.Lock()
	e, ok := s.cached[id]
	s.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.c, nil
	}
	c, err := s.store.GetClient(ctx, id)
	if err != nil {
		return nil, err
	}
	fc := &client{Client: c}
	s.mu.Lock()
	if s.cached == nil || len(s.cached) >= maxCachedClients {
		s.cached = map[string]cachedClient{}
	}
	s.cached[id] = cachedClient{c: fc, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	return fc, nil
}

// SecretHasher hashes client secrets with HMAC-SHA256 under a server key.
//
// Client secrets are generated with 256 bits of entropy, so unlike passwords they
// cannot be guessed from their hash: a slow hash would only cost every token request
// tens of milliseconds. The server key (a "pepper" derived from LOCKSTEP_SECRET)
// means a copy of the database alone does not even let an attacker test guesses.
type SecretHasher struct {
	Key []byte
}

var _ fosite.Hasher = SecretHasher{}

// ErrSecretMismatch is returned by Compare for a wrong secret.
var ErrSecretMismatch = errors.New("client secret does not match")

func (h SecretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	m := hmac.New(sha256.New, h.Key)
	m.Write(data)
	return m.Sum(nil), nil
}

func (h SecretHasher) Compare(ctx context.Context, hash, data []byte) error {
	sum, _ := h.Hash(ctx, data)
	if len(hash) == 0 || !hmac.Equal(hash, sum) {
		return ErrSecretMismatch
	}
	return nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
