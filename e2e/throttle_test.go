package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

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

// TestSuccessResetsSecondFactorThrottle: every second-factor attempt counts towards
// mfa.code_failures until the next right code (README, Security choices), whose
// reset is written with the sign-in's commit; past the limit even the right code
// is refused.
func TestSuccessResetsSecondFactorThrottle(t *testing.T) {
	const limit = 3
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) { c.MFA.CodeFailures = limit })
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		wrong := func(right string) string {
			if right == "000000" {
				return "111111"
			}
			return "000000"
		}
		challenge := func() (*browser, page) {
			t.Helper()
			s.Clock.Advance(30 * time.Second) // a new step for the right code
			b := newBrowser(t)
			p := b.password(s, b.get(s, r.start(param("claims", essentialMFA)).url), s.Email, s.Password)
			if !p.isChallenge() {
				t.Fatalf("no challenge after the password: %s", where(p))
			}
			return b, p
		}
		// Twice limit-1 wrong codes, each round ended by the right one: never blocked.
		for round := range 2 {
			b, p := challenge()
			right := totpCode(t, e.secret, s.Clock.Now())
			for i := range limit - 1 {
				if q := b.code(s, p, "totp", wrong(right)); q.resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("round %d, wrong code %d: got %s, want 401", round+1, i+1, where(q))
				}
			}
			if q := b.code(s, p, "totp", right); !gotCode(q) {
				t.Fatalf("round %d: the right code after %d wrong ones: got %s, want a code", round+1, limit-1, where(q))
			}
		}
		// limit wrong codes in a row: the right one is refused.
		b, p := challenge()
		right := totpCode(t, e.secret, s.Clock.Now())
		for range limit {
			b.code(s, p, "totp", wrong(right))
		}
		if q := b.code(s, p, "totp", right); q.resp.StatusCode != http.StatusTooManyRequests || q.callback != nil {
			t.Errorf("the right code after %d wrong ones: got %s, want 429", limit, where(q))
		}
	})
}
