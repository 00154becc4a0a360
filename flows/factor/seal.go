package factor

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// Sealer encrypts small secrets before they are stored. aad is authenticated but
// not encrypted: a sealed value opens only with the aad it was sealed with.
type Sealer interface {
	Seal(plain []byte, aad string) []byte
	Open(sealed []byte, aad string) ([]byte, error)
}

// ErrUnseal: a sealed value is corrupt, was sealed under another key, or belongs
// to another record (aad mismatch).
var ErrUnseal = errors.New("factor: cannot open sealed value")

type aeadSealer struct{ aead cipher.AEAD }

var _ Sealer = aeadSealer{}

// NewAEADSealer returns a Sealer using AES-256-GCM with a random 96-bit nonce
// prefixed to each ciphertext. key must be 32 bytes. One key must not seal more
// than 2^32 values (random-nonce collision bound).
func NewAEADSealer(key []byte) (Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("factor: sealer key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("factor: sealer: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("factor: sealer: %w", err)
	}
	return aeadSealer{aead}, nil
}

func (s aeadSealer) Seal(plain []byte, aad string) []byte {
	return s.aead.Seal(nil, nil, plain, []byte(aad))
}

func (s aeadSealer) Open(sealed []byte, aad string) ([]byte, error) {
	plain, err := s.aead.Open(nil, nil, sealed, []byte(aad))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}
