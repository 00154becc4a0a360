package factor

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// AMRSMS is the amr value of a code received by text message (RFC 8176).
const AMRSMS = "sms"

// Errors of sent codes.
var (
	// ErrTooManyAttempts: the code had too many wrong guesses; a new one must be sent.
	ErrTooManyAttempts = errors.New("factor: too many wrong codes")
	// ErrResendTooSoon: a code went out under this key less than the cooldown ago.
	// It comes wrapped in a *WaitError that says how long to wait.
	ErrResendTooSoon = errors.New("factor: a code was sent moments ago")
	// ErrDailyCap: the user or the destination had as many codes today as allowed.
	ErrDailyCap = errors.New("factor: daily limit of sent codes reached")
)

// WaitError tells how long to wait before another code can be sent.
type WaitError struct{ Wait time.Duration }

func (e *WaitError) Error() string {
	return fmt.Sprintf("%v (wait %s)", ErrResendTooSoon, e.Wait.Round(time.Second))
}

func (e *WaitError) Unwrap() error { return ErrResendTooSoon }

// CodeStore is what Codes needs of storage.
type CodeStore interface {
	PutOneTimeCode(ctx context.Context, c storage.OneTimeCode) error
	GetOneTimeCode(ctx context.Context, key string) (storage.OneTimeCode, error)
	UseOneTimeCode(ctx context.Context, key, hash string, now time.Time, maxAttempts int) (storage.OneTimeCode, error)
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// linkTokenLen is the length of a link token: 32 random bytes, base64url.
const linkTokenLen = 43

// Codes issues and checks one-time codes sent by text message or email (SPEC
// MFA-4, MFA-9, MFA-10). A code is six random digits (or, for links, a 256-bit
// token) stored only as an HMAC bound to its key, and the key names the purpose
// and the login flow it was sent for, so a code from another attempt matches
// nothing. A code lives TTL, works once, and dies after MaxAttempts wrong guesses.
// A resend replaces the previous code after Cooldown; every send counts against
// daily caps per user and per destination, so the sender cannot be turned into
// a way to spam a number or run up a bill.
type Codes struct {
	Store CodeStore
	// Channel names the medium ("sms", "email"); it separates the daily caps.
	Channel string
	// Key is the HMAC key, at least MinRecoveryKeyLen bytes; it lives outside the database.
	Key                 []byte
	TTL                 time.Duration
	Cooldown            time.Duration
	MaxAttempts         int
	DailyPerUser        int
	DailyPerDestination int
	Now                 func() time.Time
}

// Issue sends nothing: it makes a six-digit code for key and returns it for the
// caller to deliver. ErrResendTooSoon (in a *WaitError) and ErrDailyCap refuse.
func (c *Codes) Issue(ctx context.Context, key, userID, destination string) (string, error) {
	code, err := randomDigits(6)
	if err != nil {
		return "", err
	}
	return code, c.put(ctx, key, userID, destination, code)
}

// IssueLink is Issue for a link: the token is long enough to be unguessable.
func (c *Codes) IssueLink(ctx context.Context, key, userID, destination string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random link token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, c.put(ctx, key, userID, destination, token)
}

// CodeStatus is what a page shows about the code last sent under a key.
type CodeStatus struct {
	// Sent is that code's record (zero when none was sent); its Destination says where.
	Sent storage.OneTimeCode
	// Live: the code is unused and has not expired.
	Live bool
	// Wait is how long until another code may be sent (0: now).
	Wait time.Duration
}

// Status reads the code last sent under key, in one store read.
func (c *Codes) Status(ctx context.Context, key string) (CodeStatus, error) {
	rec, err := c.Store.GetOneTimeCode(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return CodeStatus{}, nil
	}
	if err != nil {
		return CodeStatus{}, fmt.Errorf("load code: %w", err)
	}
	now := c.Now()
	return CodeStatus{
		Sent: rec,
		Live: rec.UsedAt.IsZero() && rec.ExpiresAt.After(now),
		Wait: max(0, rec.CreatedAt.Add(c.Cooldown).Sub(now)),
	}, nil
}

func (c *Codes) put(ctx context.Context, key, userID, destination, code string) error {
	if len(c.Key) < MinRecoveryKeyLen {
		return errors.New("factor: code HMAC key too short")
	}
	st, err := c.Status(ctx, key)
	if err != nil {
		return err
	}
	if st.Wait > 0 {
		return &WaitError{Wait: st.Wait}
	}
	now := c.Now().UTC()
	for _, lim := range []struct {
		key   string
		limit int
	}{
		{c.Channel + ":day:user:" + userID, c.DailyPerUser},
		{c.Channel + ":day:to:" + strings.ToLower(destination), c.DailyPerDestination},
	} {
		n, err := c.Store.HitThrottle(ctx, lim.key, 24*time.Hour, now)
		if err != nil {
			return fmt.Errorf("count sent codes: %w", err)
		}
		if n > lim.limit {
			return ErrDailyCap
		}
	}
	err = c.Store.PutOneTimeCode(ctx, storage.OneTimeCode{
		Key: key, UserID: userID, Hash: c.hash(key, code), Destination: destination,
		CreatedAt: now, ExpiresAt: now.Add(c.TTL),
	})
	if err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	return nil
}

// Check uses the code (or link token) sent under key for userID. It returns the
// stored record on success (its Destination is where the code went). Errors:
// ErrMalformedCode, ErrWrongCode (also when nothing was sent under key, or it was
// sent for someone else), ErrCodeUsed, ErrCodeExpired, ErrTooManyAttempts.
func (c *Codes) Check(ctx context.Context, key, userID, code string) (storage.OneTimeCode, error) {
	code = strings.TrimSpace(code)
	if !isDigits(code, 6) && !isLinkToken(code) {
		return storage.OneTimeCode{}, ErrMalformedCode
	}
	now := c.Now()
	rec, err := c.Store.UseOneTimeCode(ctx, key, c.hash(key, code), now, c.MaxAttempts)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return rec, ErrWrongCode
	case errors.Is(err, storage.ErrConflict):
		switch {
		case !rec.UsedAt.IsZero():
			return rec, ErrCodeUsed
		case !rec.ExpiresAt.After(now):
			return rec, ErrCodeExpired
		case rec.Attempts >= c.MaxAttempts:
			return rec, ErrTooManyAttempts
		}
		return rec, ErrWrongCode
	case err != nil:
		return rec, fmt.Errorf("use code: %w", err)
	}
	if rec.UserID != userID { // keys hold flow ids, so this is a bug, never a guess
		return storage.OneTimeCode{}, ErrWrongCode
	}
	return rec, nil
}

// hash binds the code to its key, so a stored hash means nothing under another key.
func (c *Codes) hash(key, code string) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(c.Channel + "\x00" + key + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func randomDigits(n int) (string, error) {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String(), nil
}

// isDigits reports whether s is exactly n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLinkToken(s string) bool {
	if len(s) != linkTokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
