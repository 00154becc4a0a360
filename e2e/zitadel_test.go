package e2e

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	zrp "github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// TestZitadelRelyingPartyVerifiesACR uses zitadel/oidc's relying party, which
// checks acr itself: configured to accept only the multi-factor level, it refuses a
// password-only ID token and accepts the one issued after step-up.
func TestZitadelRelyingPartyVerifiesACR(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		ctx := context.Background()
		relying, err := zrp.NewRelyingPartyOIDC(ctx, s.URL, s.ClientID, s.ClientSecret, s.RedirectURI,
			[]string{oidc.ScopeOpenID, oidc.ScopeEmail},
			zrp.WithVerifierOpts(zrp.WithACRVerifier(oidc.DefaultACRVerifier([]string{flows.ACRMultiFactor}))))
		if err != nil {
			t.Fatal(err)
		}
		start := func(extra ...string) (string, string) {
			verifier := oauth2.GenerateVerifier()
			u, err := url.Parse(zrp.AuthURL(oauth2.GenerateVerifier(), relying, zrp.WithCodeChallenge(oauth2.S256ChallengeFromVerifier(verifier))))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			q.Set("code_challenge_method", "S256")
			for i := 0; i+1 < len(extra); i += 2 {
				q.Set(extra[i], extra[i+1])
			}
			u.RawQuery = q.Encode()
			return u.String(), verifier
		}
		exchange := func(cb *url.URL, verifier string) (*oidc.Tokens[*oidc.IDTokenClaims], error) {
			return zrp.CodeExchange[*oidc.IDTokenClaims](ctx, cb.Query().Get("code"), relying, zrp.WithCodeVerifier(verifier))
		}

		// A password-only sign-in, before the user sets up an app.
		b := newBrowser(t)
		u, verifier := start()
		if _, err := exchange(b.signIn(s, u, s.Email, s.Password), verifier); err == nil {
			t.Fatal("zitadel's RP accepted a password-only ID token although it requires multi-factor")
		}
		e, _ := mfaUser(t, s, newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI))

		s.Clock.Advance(30 * time.Second)
		u, verifier = start("acr_values", flows.ACRMultiFactor)
		p := b.code(s, b.get(s, u), "totp", totpCode(t, e.secret, s.Clock.Now()))
		if p.callback == nil {
			t.Fatalf("step-up stopped at %s", p.url)
		}
		tokens, err := exchange(p.callback, verifier)
		if err != nil {
			t.Fatalf("zitadel's RP refused the stepped-up token: %v", err)
		}
		if c := tokens.IDTokenClaims; c.AuthenticationContextClassReference != flows.ACRMultiFactor ||
			!slices.Equal(c.AuthenticationMethodsReferences, []string{"pwd", "otp", "mfa"}) || c.Subject != s.UserID {
			t.Errorf("claims: acr %q amr %v sub %q", c.AuthenticationContextClassReference, c.AuthenticationMethodsReferences, c.Subject)
		}
	})
}
