// Package emaillink mints the tokens of single-use links sent by email (password
// reset, invitation, email change) and hashes them for storage.EmailLinkStore.
//
// A token is 256 random bits from crypto/rand in unpadded base64url (43
// characters); only its SHA-256, in lower-case hex, is stored, so a leaked table
// opens no link. The token itself appears only in the email and the link's URL.
package emaillink

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// tokenBytes is the token's entropy: 256 bits.
const tokenBytes = 32

// New returns a fresh token and its hash.
func New() (token, hash string) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash is the stored form of a token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Valid reports whether s has the form of a token (so that a mistyped or
// truncated link is told apart before any lookup).
func Valid(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == tokenBytes
}
