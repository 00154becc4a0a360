package rsasign

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
)

// Signer signs with one RSA private key. It is a crypto.Signer; only SHA-256
// PKCS #1 v1.5 signatures go through OpenSSL, anything else through Go.
type Signer struct {
	key    *rsa.PrivateKey
	native nativeSigner // nil: Go signs
}

// nativeSigner is a key held by OpenSSL.
type nativeSigner interface {
	signSHA256(digest []byte) ([]byte, error)
}

// New returns a signer for key, using OpenSSL when Native says it is there.
func New(key *rsa.PrivateKey) *Signer {
	s := &Signer{key: key}
	if !Native() {
		return s
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	k, err := newNativeKey(der, key.Size())
	clear(der)
	if err != nil {
		slog.Warn("OpenSSL refused an RSA signing key; Go signs with it", "err", err)
		return s
	}
	s.native = k
	runtime.AddCleanup(s, func(k *nativeKey) { k.free() }, k)
	return s
}

// Public is the key's public half.
func (s *Signer) Public() crypto.PublicKey { return &s.key.PublicKey }

// Sign signs digest as crypto.Signer does.
func (s *Signer) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); pss || s.native == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return s.key.Sign(rand, digest, opts)
	}
	sig, err := s.native.signSHA256(digest)
	if err == nil {
		err = rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest, sig)
	}
	// The native key must outlive the call: the cleanup frees it with s.
	runtime.KeepAlive(s)
	if err != nil {
		slog.Error("an OpenSSL RSA signature failed or did not verify; Go signs instead", "err", err)
		return s.key.Sign(rand, digest, opts)
	}
	return sig, nil
}

var native struct {
	once      sync.Once
	available bool
	version   string
	why       error
}

// Native says whether OpenSSL signs: libcrypto.so.3 (OpenSSL 3) loaded, and
// LOCKSTEP_OPENSSL is not "off". It is decided once per process.
func Native() bool {
	loadNative()
	return native.available
}

// Describe is what signs RS256: OpenSSL's version, or Go's crypto/rsa and why.
func Describe() string {
	loadNative()
	if native.available {
		return native.version
	}
	return "Go crypto/rsa (" + native.why.Error() + ")"
}

var errTurnedOff = errors.New("LOCKSTEP_OPENSSL=off")

func loadNative() {
	native.once.Do(func() {
		if os.Getenv("LOCKSTEP_OPENSSL") == "off" {
			native.why = errTurnedOff
			return
		}
		native.version, native.why = loadLibcrypto()
		native.available = native.why == nil
	})
}
