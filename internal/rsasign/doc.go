// Package rsasign makes RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256) with
// the system's OpenSSL when it can, and with Go's crypto/rsa when it cannot.
//
// Every sign-in and every refresh signs an RS256 ID token, and on an x86-64 CPU
// Go's constant-time RSA-2048 takes about three times as long as OpenSSL's: the
// signature was the largest single cost of a refresh. So a Signer loads
// libcrypto.so.3 at run time (dlopen, through cgo): nothing is needed to build,
// and a machine without it, a build without cgo (CGO_ENABLED=0, as the
// container image is built) or LOCKSTEP_OPENSSL=off signs in Go.
//
// PKCS #1 v1.5 signatures are deterministic, so both paths give the same bytes.
// Each signature OpenSSL makes is checked with Go's crypto/rsa before it is
// returned; one that does not verify (a fault in the CRT computation would leak
// a factor of the modulus, a binding error would give clients tokens they
// cannot verify) is thrown away and Go signs instead.
package rsasign
