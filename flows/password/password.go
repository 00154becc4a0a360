// Package password hashes and verifies passwords with argon2id (spec FLOW-2) and
// holds the one rule for new ones (CheckNew: a minimum length, and none of the
// 10,000 most common passwords, shipped in the binary).
//
// Hashes are PHC strings carrying their own parameters, so the parameters can be
// raised later: Verify reports needsRehash for hashes made with other ones. A
// semaphore bounds concurrent computations, because each one holds MemoryKiB of
// memory and a burst of logins must not exhaust it. VerifyUnknownUser makes a
// login for an unknown account cost the same as a wrong password, so timing does
// not reveal which accounts exist.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// MaxLen is the longest password accepted, in bytes. argon2 itself accepts any
// length; the limit bounds the work an attacker can ask for.
const MaxLen = 1024

// MinLen is the shortest new password, in characters: the one rule for every
// place a password is chosen (the admin's user creation and the account page's
// change). NIST SP 800-63B asks for at least 8; two more cost a passphrase
// nothing and put a little more distance between a guess and the account.
// Existing passwords are never re-checked against it.
const MinLen = 10

// CheckNew says why pw cannot be chosen as a new password (ErrTooShort,
// ErrPasswordTooLong, ErrCommon), or nil. Its error text is fit to show to the
// person choosing it.
func CheckNew(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinLen:
		return ErrTooShort
	case len(pw) > MaxLen:
		return ErrPasswordTooLong
	case IsCommon(pw):
		return ErrCommon
	}
	return nil
}

// Explain is what a page says to the person choosing a new password that
// CheckNew refused with err, the same everywhere: a key of the message
// catalogues (package i18n) and its name/value pairs.
func Explain(err error) (key string, args []any) {
	switch {
	case errors.Is(err, ErrTooShort):
		return "password.too_short", []any{"Min", MinLen}
	case errors.Is(err, ErrPasswordTooLong):
		return "password.too_long", []any{"Max", MaxLen}
	case errors.Is(err, ErrCommon):
		return "password.common", nil
	}
	return "password.unusable", nil
}

var (
	// ErrMalformedHash: the stored string is not an argon2id PHC hash this package
	// would produce, or its parameters are absurd (a tampered database must not
	// make a login allocate gigabytes or spin for minutes).
	ErrMalformedHash = errors.New("password: malformed hash")
	// ErrEmptyPassword: the password is empty.
	ErrEmptyPassword = errors.New("password: empty password")
	// ErrPasswordTooLong: the password is longer than MaxLen bytes.
	ErrPasswordTooLong = fmt.Errorf("password: longer than %d bytes", MaxLen)
	// ErrTooShort: a new password has fewer than MinLen characters (CheckNew).
	ErrTooShort = fmt.Errorf("the password must be at least %d characters", MinLen)
	// ErrCommon: a new password is one of the 10,000 most common (IsCommon), the
	// first ones an attacker tries.
	ErrCommon = errors.New("this password is one of the 10,000 most common passwords, which are the first ones tried by attackers: choose another one")
)

// Params are argon2id's cost parameters and sizes.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultParams returns OWASP's minimum recommendation for argon2id: 19 MiB,
// 2 iterations, 1 thread, with a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters read from a stored hash; anything outside is
// ErrMalformedHash.
const (
	maxMemoryKiB  = 4 << 20 // 4 GiB
	maxIterations = 100
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
	// maxEncodedLen is far above the longest hash the bounds allow; longer input
	// is rejected before any parsing.
	maxEncodedLen = 256
)

func (p Params) valid() bool {
	// argon2 needs at least 8 KiB of memory per lane (RFC 9106 §3.1).
	return p.Parallelism >= 1 &&
		p.MemoryKiB >= 8*uint32(p.Parallelism) && p.MemoryKiB <= maxMemoryKiB &&
		p.Iterations >= 1 && p.Iterations <= maxIterations &&
		p.SaltLen >= minSaltLen && p.SaltLen <= maxSaltLen &&
		p.KeyLen >= minKeyLen && p.KeyLen <= maxKeyLen
}

// Hasher hashes and verifies passwords with fixed parameters. It is safe for
// concurrent use.
type Hasher struct {
	params Params
	// sem holds one token per argon2 computation in progress.
	sem chan struct{}
	// dummy is a hash of a random password, verified against for unknown users.
	dummy string
}

// NewHasher returns a Hasher that hashes with p and runs at most maxConcurrent
// argon2 computations at once; more callers wait. It computes one hash (the
// dummy for VerifyUnknownUser), so it takes as long as Hash. It panics if p is
// outside the bounds Verify accepts or maxConcurrent < 1: configuration
// validation rules both out, so either is a programming error. Start from
// DefaultParams to change only the costs.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if !p.valid() {
		panic(fmt.Sprintf("password: invalid params %+v", p))
	}
	if maxConcurrent < 1 {
		panic(fmt.Sprintf("password: maxConcurrent %d < 1", maxConcurrent))
	}
	h := &Hasher{params: p, sem: make(chan struct{}, maxConcurrent)}
	dummy, err := h.Hash(context.Background(), rand.Text())
	if err != nil {
		panic(err) // unreachable: the password is valid and the context never ends
	}
	h.dummy = dummy
	return h
}

// Hash returns the PHC string of password with a fresh random salt, such as
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (unpadded standard base64). It
// waits for a free slot until ctx ends.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt) // never fails: since Go 1.24 it crashes the program instead
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	p := h.params
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded, comparing in constant time
// with the parameters stored in encoded. needsRehash is true when it matches but
// was made with parameters other than h's, so the caller should store a new Hash.
// A malformed encoded gives ErrMalformedHash; a context that ends while waiting
// for a slot gives its error.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	if err := checkPassword(password); err != nil {
		return false, false, err
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

// VerifyUnknownUser does what Verify does for an existing user, against a dummy
// hash, so a login for an unknown account costs the same time as a wrong
// password. The result is always a failure, so there is nothing to return.
func (h *Hasher) VerifyUnknownUser(ctx context.Context, password string) {
	_, _, _ = h.Verify(ctx, password, h.dummy)
}

func checkPassword(password string) error {
	switch {
	case password == "":
		return ErrEmptyPassword
	case len(password) > MaxLen:
		return ErrPasswordTooLong
	}
	return nil
}

// derive runs argon2id once it holds a slot of the semaphore.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	// Checked first because select picks at random when a slot is free too.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("password: waiting to hash: %w", ctx.Err())
	}
	defer func() { <-h.sem }()
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen), nil
}

// b64 is PHC's base64: standard alphabet, no padding. Strict rejects non-zero
// trailing bits, so each hash has exactly one accepted spelling.
var b64 = base64.RawStdEncoding.Strict()

// decode parses a hash produced by Hash, rejecting anything else.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	malformed := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(encoded) > maxEncodedLen {
		return malformed("too long")
	}
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return malformed("not a PHC string of six $-separated fields")
	}
	if parts[1] != "argon2id" {
		return malformed("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return malformed("version is not 19")
	}
	m, t, par, ok := parseCosts(parts[3])
	if !ok {
		return malformed("parameters are not m=<KiB>,t=<iterations>,p=<threads>")
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return malformed("salt is not unpadded base64")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return malformed("key is not unpadded base64")
	}
	p = Params{MemoryKiB: m, Iterations: t, Parallelism: par, SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if !p.valid() {
		return malformed("parameters or lengths out of bounds")
	}
	return p, salt, key, nil
}

// parseCosts parses "m=19456,t=2,p=1", in that order, with plain decimals.
func parseCosts(s string) (m, t uint32, p uint8, ok bool) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return 0, 0, 0, false
	}
	var vals [3]uint64
	for i, want := range [3]struct {
		prefix string
		bits   int // of the argon2 argument the value becomes
	}{{"m=", 32}, {"t=", 32}, {"p=", 8}} {
		digits, found := strings.CutPrefix(fields[i], want.prefix)
		if !found {
			return 0, 0, 0, false
		}
		var err error
		if vals[i], err = strconv.ParseUint(digits, 10, want.bits); err != nil {
			return 0, 0, 0, false
		}
	}
	return uint32(vals[0]), uint32(vals[1]), uint8(vals[2]), true
}
