package idp

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
	"github.com/ory/fosite/token/jwt"

	"github.com/lockstep-id/lockstep/storage/memory"
)

// An RS256 key signs as an opaque signer (OpenSSL where it is there) that go-jose
// and fosite accept; the signed token carries the key's id and verifies with the
// published key. A reload keeps the same signer until a rotation replaces it.
func TestRS256KeySignsAndRotates(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	m, err := NewKeyManager(memory.New(), kek, time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := m.SigningKey(ctx, "RS256")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first.Key.(rs256Signer); !ok {
		t.Fatalf("the RS256 key is a %T, not the rsasign signer", first.Key)
	}

	signAndVerify := func(want string) {
		t.Helper()
		signer := &jwt.DefaultSigner{GetPrivateKey: func(ctx context.Context) (interface{}, error) { return m.SigningKey(ctx, "RS256") }}
		raw, _, err := signer.Generate(ctx, jwt.MapClaims{"sub": "u"}, &jwt.Headers{})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := josejwt.ParseSigned(raw)
		if err != nil {
			t.Fatal(err)
		}
		if kid := tok.Headers[0].KeyID; kid != want {
			t.Fatalf("signed with key %q, want %q", kid, want)
		}
		pub, err := m.PublicKey(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := tok.Claims(pub, &claims); err != nil || claims["sub"] != "u" {
			t.Fatalf("the token does not verify with the published key: %v %v", err, claims)
		}
		if tok.Headers[0].Algorithm != string(jose.RS256) {
			t.Fatalf("alg %s", tok.Headers[0].Algorithm)
		}
	}
	signAndVerify(first.KeyID)

	now = now.Add(time.Minute) // past the cache: the keys are read again
	again, err := m.SigningKey(ctx, "RS256")
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("a reload made a new signer for an unchanged key")
	}

	if err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	rotated, err := m.SigningKey(ctx, "RS256")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.KeyID == first.KeyID {
		t.Fatal("the rotation kept the old key for signing")
	}
	signAndVerify(rotated.KeyID)
}
