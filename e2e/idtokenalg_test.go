package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
)

// headerAlg is the alg of a compact JWS.
func headerAlg(t *testing.T, raw string) string {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Alg string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Alg
}

// TestClientIDTokenAlgorithm: a client registered with id_token_signed_response_alg
// ES256 gets ES256 ID tokens (also after a refresh), verified with the published
// keys by an RP that accepts only ES256; other clients keep the server's RS256.
func TestClientIDTokenAlgorithm(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		c, secret, err := admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "EC App", RedirectURIs: []string{s.RedirectURI}, IDTokenAlg: "ES256",
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := newRP(t, s, c.ID, secret, s.RedirectURI)
		r.verifier = r.provider.Verifier(&oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{oidc.ES256}})
		b := newBrowser(t)
		a := r.start()
		tk := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password))
		if alg := headerAlg(t, tk.raw); alg != "ES256" {
			t.Fatalf("ID token alg = %s, want ES256", alg)
		}
		refreshed, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tk.tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		if alg := headerAlg(t, r.verify(refreshed, "").raw); alg != "ES256" {
			t.Fatalf("refreshed ID token alg = %s", alg)
		}

		// The default client is unchanged.
		rd := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		a = rd.start()
		if alg := headerAlg(t, rd.redeem(a, through(t, b, s, b.get(s, a.url))).raw); alg != "RS256" {
			t.Fatalf("default client's ID token alg = %s, want RS256", alg)
		}

		// Only RS256 and ES256 can be chosen.
		_, _, err = admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "Bad", RedirectURIs: []string{s.RedirectURI}, IDTokenAlg: "HS256",
		}, time.Now())
		if err == nil || !strings.Contains(err.Error(), `ID token algorithm "HS256"`) {
			t.Fatalf("HS256 accepted: %v", err)
		}
	})
}
