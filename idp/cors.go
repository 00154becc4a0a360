package idp

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// corsOrigins are the browser origins allowed to call the token, revocation and
// userinfo endpoints: the origins of every registered redirect URI, so a
// single-page app can redeem its code from its own page. Read again every ttl.
type corsOrigins struct {
	store storage.ClientStore
	now   func() time.Time
	ttl   time.Duration

	mu      sync.Mutex
	loaded  time.Time
	origins map[string]bool
}

func (c *corsOrigins) allowed(ctx context.Context, origin string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origins == nil || c.now().Sub(c.loaded) > c.ttl {
		clients, err := c.store.ListClients(ctx)
		if err != nil {
			return false
		}
		origins := map[string]bool{}
		for _, cl := range clients {
			for _, r := range cl.RedirectURIs {
				if u, err := url.Parse(r); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
					origins[u.Scheme+"://"+u.Host] = true
				}
			}
		}
		c.origins, c.loaded = origins, c.now()
	}
	return c.origins[origin]
}

// cors answers preflight requests and adds the CORS headers for allowed origins.
// Credentials (cookies) are never allowed: these endpoints authenticate with
// tokens and client credentials.
func (c *corsOrigins) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if origin != "" && c.allowed(r.Context(), origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
