package idp

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// DeriveKey derives a purpose-bound key from the configured secret, so one secret
// yields independent keys for cookies, key encryption, tokens and client secrets.
func DeriveKey(secret, purpose string, n int) []byte {
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, "lockstep "+purpose, n)
	if err != nil {
		panic(err) // only for n beyond 255*32 bytes
	}
	return k
}

// ClientSecretHasher is the hasher client secrets are stored with.
func ClientSecretHasher(secret string) SecretHasher {
	return SecretHasher{Key: DeriveKey(secret, "client-secret", 32)}
}
