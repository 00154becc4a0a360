package factor

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// AMRRecovery is the amr value of a recovery code: "otp", a pre-issued one-time
// password (see the package documentation for this choice).
const AMRRecovery = "otp"

// RecoveryCodeCount is how many codes Generate issues.
const RecoveryCodeCount = 10

// Recovery-code shape: two groups of recoveryGroupLen characters from
// recoveryAlphabet joined by a hyphen. 31 symbols without 0, o, 1, l, i; ten of
// them give 10·log2(31) ≈ 49.5 bits.
const (
	recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	recoveryGroupLen = 5
	recoveryLen      = 2 * recoveryGroupLen
)

// MinRecoveryKeyLen is the shortest HMAC key Recovery accepts, in bytes.
const MinRecoveryKeyLen = 32

// RecoveryStore is the part of storage.RecoveryCodeStore the recovery factor uses.
type RecoveryStore interface {
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error
	CountRecoveryCodes(ctx context.Context, userID string) (total, unused int, err error)
}

var _ RecoveryStore = storage.RecoveryCodeStore(nil)

// Recovery is the recovery-code factor (SPEC MFA-6).
type Recovery struct {
	Store RecoveryStore
	// Key is the HMAC key for the stored hashes, at least MinRecoveryKeyLen bytes.
	// It lives outside the database; changing it invalidates every code.
	Key []byte
	Now func() time.Time
}

// Generate issues RecoveryCodeCount fresh codes for userID, formatted
// "xxxxx-xxxxx", and replaces the user's previous codes with them (the old set
// stops working). The codes are returned once and never stored in clear.
func (r *Recovery) Generate(ctx context.Context, userID string) ([]string, error) {
	if err := r.checkKey(); err != nil {
		return nil, err
	}
	codes := make([]string, 0, RecoveryCodeCount)
	hashes := make([]string, 0, RecoveryCodeCount)
	seen := make(map[string]bool, RecoveryCodeCount)
	for len(codes) < RecoveryCodeCount {
		c := randomRecoveryCode()
		if seen[c] {
			continue
		}
		seen[c] = true
		codes = append(codes, c[:recoveryGroupLen]+"-"+c[recoveryGroupLen:])
		hashes = append(hashes, r.hash(userID, c))
	}
	if err := r.Store.ReplaceRecoveryCodes(ctx, userID, hashes, r.now()); err != nil {
		return nil, fmt.Errorf("factor: replace recovery codes: %w", err)
	}
	return codes, nil
}

// Use spends one recovery code of userID. Case, spaces and hyphens do not matter;
// nothing else is mapped. A code of the wrong shape gives ErrMalformedCode, an
// unknown one ErrWrongCode, a spent one ErrCodeUsed. Of concurrent uses of one
// code exactly one succeeds.
func (r *Recovery) Use(ctx context.Context, userID, code string) error {
	if err := r.checkKey(); err != nil {
		return err
	}
	c, err := normalizeRecoveryCode(code)
	if err != nil {
		return err
	}
	switch err := r.Store.UseRecoveryCode(ctx, userID, r.hash(userID, c), r.now()); {
	case errors.Is(err, storage.ErrNotFound):
		return ErrWrongCode
	case errors.Is(err, storage.ErrConflict):
		return ErrCodeUsed
	case err != nil:
		return fmt.Errorf("factor: use recovery code: %w", err)
	}
	return nil
}

// Remaining reports how many codes userID has and how many are unused.
func (r *Recovery) Remaining(ctx context.Context, userID string) (total, unused int, err error) {
	total, unused, err = r.Store.CountRecoveryCodes(ctx, userID)
	if err != nil {
		return 0, 0, fmt.Errorf("factor: count recovery codes: %w", err)
	}
	return total, unused, nil
}

func (r *Recovery) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Recovery) checkKey() error {
	if len(r.Key) < MinRecoveryKeyLen {
		return fmt.Errorf("factor: recovery key is %d bytes, want at least %d", len(r.Key), MinRecoveryKeyLen)
	}
	return nil
}

// hash is hex(HMAC-SHA256(Key, userID ":" code)) of a normalized code. The code
// has no colon, so the input splits unambiguously at its last colon.
func (r *Recovery) hash(userID, normalized string) string {
	m := hmac.New(sha256.New, r.Key)
	m.Write([]byte(userID + ":" + normalized))
	return hex.EncodeToString(m.Sum(nil))
}

// randomRecoveryCode draws recoveryLen symbols uniformly from recoveryAlphabet
// (rejection sampling: bytes at or above the largest multiple of its size are
// thrown away, so no symbol is more likely than another).
func randomRecoveryCode() string {
	const n = len(recoveryAlphabet)
	const limit = 256 - 256%n
	out := make([]byte, 0, recoveryLen)
	buf := make([]byte, 2*recoveryLen)
	for len(out) < recoveryLen {
		_, _ = rand.Read(buf) // never fails (crypto/rand)
		for _, b := range buf {
			if int(b) < limit && len(out) < recoveryLen {
				out = append(out, recoveryAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

// normalizeRecoveryCode trims surrounding whitespace, drops spaces and hyphens,
// lower-cases ASCII letters (only those: no Unicode case folding), and requires
// recoveryLen symbols of the alphabet.
func normalizeRecoveryCode(code string) (string, error) {
	code = strings.TrimSpace(code)
	if len(code) > 4*recoveryLen { // bound the work on absurd input
		return "", ErrMalformedCode
	}
	out := make([]byte, 0, recoveryLen)
	for i := 0; i < len(code); i++ {
		b := code[i]
		switch {
		case b == ' ' || b == '-':
			continue
		case 'A' <= b && b <= 'Z':
			b += 'a' - 'A'
		}
		if strings.IndexByte(recoveryAlphabet, b) < 0 || len(out) == recoveryLen {
			return "", ErrMalformedCode
		}
		out = append(out, b)
	}
	if len(out) != recoveryLen {
		return "", ErrMalformedCode
	}
	return string(out), nil
}
