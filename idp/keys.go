package idp

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/internal/rsasign"
	"github.com/lockstep-id/lockstep/storage"
)

// KeyManager keeps the signing keys: created on first start, stored encrypted with
// the key-encryption key, shared by every node through the store, and re-read every
// cacheFor so a rotation on one node reaches the others.
type KeyManager struct {
	store     storage.KeyStore
	aead      cipher.AEAD
	now       func() time.Time
	retention time.Duration
	cacheFor  time.Duration

	mu       sync.Mutex
	loadedAt time.Time
	signing  map[string]*jose.JSONWebKey // alg → active private key
	public   jose.JSONWebKeySet
}

// NewKeyManager builds a manager; kek must be 32 bytes (AES-256-GCM). Retired public
// keys stay published for retention after rotation.
func NewKeyManager(store storage.KeyStore, kek []byte, retention time.Duration, now func() time.Time) (*KeyManager, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &KeyManager{store: store, aead: aead, now: now, retention: retention, cacheFor: 30 * time.Second}, nil
}

// Init makes sure an active key exists for every published algorithm.
func (m *KeyManager) Init(ctx context.Context) error {
	keys, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			have[k.Algorithm] = true
		}
	}
	for _, alg := range configs.SigningAlgorithms {
		if !have[alg] {
			if err := m.add(ctx, alg); err != nil {
				return err
			}
		}
	}
	return m.reload(ctx)
}

// Rotate creates a new key for every algorithm and retires the old ones; their
// public halves stay in the JWKS until tokens they signed have expired.
func (m *KeyManager) Rotate(ctx context.Context) error {
	for _, alg := range configs.SigningAlgorithms {
		if err := m.add(ctx, alg); err != nil {
			return err
		}
	}
	return m.reload(ctx)
}

func (m *KeyManager) add(ctx context.Context, alg string) error {
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return fmt.Errorf("generate %s key: %w", alg, err)
	}
	kid := randomToken(12)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	if err != nil {
		return err
	}
	now := m.now().UTC()
	return m.store.AddSigningKey(ctx, storage.SigningKey{
		ID:         kid,
		Algorithm:  alg,
		PrivateEnc: m.seal(der, kid),
		PublicJWK:  pub,
		CreatedAt:  now,
	}, now.Add(m.retention))
}

func (m *KeyManager) seal(plain []byte, kid string) []byte {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return m.aead.Seal(nonce, nonce, plain, []byte(kid))
}

func (m *KeyManager) open(sealed []byte, kid string) ([]byte, error) {
	n := m.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed key too short")
	}
	plain, err := m.aead.Open(nil, sealed[:n], sealed[n:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("decrypt signing key %s (is LOCKSTEP_SECRET the one it was created with?): %w", kid, err)
	}
	return plain, nil
}

func (m *KeyManager) reload(ctx context.Context) error {
	keys, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	now := m.now()
	m.mu.Lock()
	prev := m.signing
	m.mu.Unlock()
	signing := map[string]*jose.JSONWebKey{}
	var set jose.JSONWebKeySet
	for _, k := range keys { // newest first
		if !k.ExpiresAt.IsZero() && now.After(k.ExpiresAt) {
			continue
		}
		var pub jose.JSONWebKey
		if err := json.Unmarshal(k.PublicJWK, &pub); err != nil {
			return fmt.Errorf("public key %s: %w", k.ID, err)
		}
		set.Keys = append(set.Keys, pub)
		if !k.RetiredAt.IsZero() || signing[k.Algorithm] != nil {
			continue
		}
		if p := prev[k.Algorithm]; p != nil && p.KeyID == k.ID {
			signing[k.Algorithm] = p // a key never changes under its id
			continue
		}
		jwk, err := m.privateKey(k)
		if err != nil {
			return err
		}
		signing[k.Algorithm] = jwk
	}
	m.mu.Lock()
	m.signing, m.public, m.loadedAt = signing, set, now
	m.mu.Unlock()
	return nil
}

// privateKey decrypts a stored key for signing. An RSA key signs through
// rsasign, which uses OpenSSL when it is there.
func (m *KeyManager) privateKey(k storage.SigningKey) (*jose.JSONWebKey, error) {
	der, err := m.open(k.PrivateEnc, k.ID)
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", k.ID, err)
	}
	jwk := &jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
	if key, ok := priv.(*rsa.PrivateKey); ok && k.Algorithm == string(jose.RS256) {
		s := rsasign.New(key)
		pub := &jose.JSONWebKey{Key: s.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
		jwk.Key = rs256Signer{signer: s, public: pub}
	}
	return jwk, nil
}

// rs256Signer hands go-jose (and so fosite) an RS256 key as an opaque signer.
type rs256Signer struct {
	signer *rsasign.Signer
	public *jose.JSONWebKey
}

func (r rs256Signer) Public() *jose.JSONWebKey        { return r.public }
func (r rs256Signer) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.RS256} }

func (r rs256Signer) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.RS256 {
		return nil, fmt.Errorf("an RS256 key cannot sign %s", alg)
	}
	d := sha256.Sum256(payload)
	return r.signer.Sign(rand.Reader, d[:], crypto.SHA256)
}

func (m *KeyManager) fresh(ctx context.Context) error {
	m.mu.Lock()
	stale := m.now().Sub(m.loadedAt) > m.cacheFor
	m.mu.Unlock()
	if stale {
		return m.reload(ctx)
	}
	return nil
}

// SigningKey returns the active private key for alg.
func (m *KeyManager) SigningKey(ctx context.Context, alg string) (*jose.JSONWebKey, error) {
	if err := m.fresh(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.signing[alg]
	if k == nil {
		return nil, fmt.Errorf("no active %s signing key", alg)
	}
	return k, nil
}

// PublicKeys returns the JWKS: active and retired-but-unexpired public keys.
func (m *KeyManager) PublicKeys(ctx context.Context) (jose.JSONWebKeySet, error) {
	if err := m.fresh(ctx); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.public, nil
}

// PublicKey finds a published key by kid (for id_token_hint and logout).
func (m *KeyManager) PublicKey(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	set, err := m.PublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range set.Key(kid) {
		return &k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}
