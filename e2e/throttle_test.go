package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/storage"
)

// TestSuccessResetsAccountThrottle: failed passwords for one account count
// towards throttle.account_failures only until the next success (README,
// Security choices: "A success resets the account's counter"), and past the
// limit even the right password is refused.
func TestSuccessResetsAccountThrottle(t *testing.T) {
	const limit = 3
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) {
			c.Throttle.AccountFailures = limit
		})
		r := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
		try := func(password string) page {
			t.Helper()
			b := newBrowser(t)
			return b.password(s, b.get(s, r.start().url), s.Email, password)
		}
		// Twice limit-1 failures, each round ended by a success: never blocked.
		for round := range 2 {
			for i := range limit - 1 {
				if p := try("a wrong password"); p.resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("round %d, failure %d: got %s, want 401", round+1, i+1, where(p))
				}
			}
			if p := try(s.Password); !gotCode(p) {
				t.Fatalf("round %d: the right password after %d failures: got %s, want a code", round+1, limit-1, where(p))
			}
		}
		// limit failures in a row: the right password is refused.
		for range limit {
			try("a wrong password")
		}
		if p := try(s.Password); p.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many failed sign-in attempts") || p.callback != nil {
			t.Errorf("the right password after %d failures: got %s, want 429", limit, where(p))
		}
	})
}
