package factor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var recoveryKey = []byte("0123456789abcdef0123456789abcdef")

func newRecovery() (*Recovery, *fakeRecoveryStore) {
	s := newFakeRecoveryStore()
	c := &clock{t: t0}
	return &Recovery{Store: s, Key: recoveryKey, Now: c.Now}, s
}

var recoveryFormat = regexp.MustCompile(`^[23456789abcdefghjkmnpqrstuvwxyz]{5}-[23456789abcdefghjkmnpqrstuvwxyz]{5}$`)

func TestRecoveryGenerate(t *testing.T) {
	r, s := newRecovery()
	codes, err := r.Generate(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount || RecoveryCodeCount != 10 {
		t.Fatalf("%d codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !recoveryFormat.MatchString(c) {
			t.Errorf("code %q is not xxxxx-xxxxx from the unambiguous alphabet", c)
		}
		if seen[c] {
			t.Errorf("code %q twice", c)
		}
		seen[c] = true
	}
	hashes := s.hashes(alice)
	if len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d hashes stored, want %d", len(hashes), RecoveryCodeCount)
	}
	for _, c := range codes {
		norm := strings.ReplaceAll(c, "-", "")
		m := hmac.New(sha256.New, recoveryKey)
		m.Write([]byte(alice + ":" + norm))
		if want := hex.EncodeToString(m.Sum(nil)); !slices.Contains(hashes, want) {
			t.Errorf("no stored hash is HMAC-SHA256(key, userID:%s)", norm)
		}
		for _, h := range hashes {
			if strings.Contains(h, norm) || strings.Contains(h, c) ||
				strings.Contains(h, c[:5]) || strings.Contains(h, c[6:]) {
				t.Errorf("stored hash %q contains (part of) the code %q", h, c)
			}
		}
	}
	if total, unused, err := r.Remaining(context.Background(), alice); total != 10 || unused != 10 || err != nil {
		t.Errorf("Remaining() = %d, %d, %v; want 10, 10, nil", total, unused, err)
	}
}

func TestRecoveryAlphabetCoverage(t *testing.T) {
	// 2,000 symbols: every one of the 31 should show up, and nothing else.
	count := map[byte]int{}
	for range 200 {
		for _, b := range []byte(randomRecoveryCode()) {
			count[b]++
		}
	}
	for i := 0; i < len(recoveryAlphabet); i++ {
		if count[recoveryAlphabet[i]] == 0 {
			t.Errorf("symbol %q never drawn", recoveryAlphabet[i])
		}
	}
	if len(count) != len(recoveryAlphabet) {
		t.Errorf("%d distinct symbols drawn, want %d", len(count), len(recoveryAlphabet))
	}
	if strings.ContainsAny(recoveryAlphabet, "0o1li") || len(recoveryAlphabet) != 31 {
		t.Errorf("alphabet %q", recoveryAlphabet)
	}
}

// Every symbol is equally likely: the rejection sampling in randomRecoveryCode
// throws away the bytes that would favour the first symbols (256 = 8×31 + 8).
// 310,000 symbols give each an expected 10,000 (σ ≈ 98); a bias of 1/256 or
// more moves some symbol by at least 780, and a fair draw stays within 600 of
// 10,000 for all 31 symbols except with odds below 1e-8.
func TestRecoveryCodesUniform(t *testing.T) {
	const codes = 31_000
	count := map[byte]int{}
	for range codes {
		for _, b := range []byte(randomRecoveryCode()) {
			count[b]++
		}
	}
	want := codes * recoveryLen / len(recoveryAlphabet)
	for i := range len(recoveryAlphabet) {
		if n := count[recoveryAlphabet[i]]; n < want-600 || n > want+600 {
			t.Errorf("symbol %q drawn %d times, want %d ± 600", recoveryAlphabet[i], n, want)
		}
	}
}

func TestNormalizeRecoveryCode(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  error
	}{
		{"abcde-fghjk", "abcdefghjk", nil},
		{"ABCDE-FGHJK", "abcdefghjk", nil},
		{"abcde fghjk", "abcdefghjk", nil},
		{"abcdefghjk", "abcdefghjk", nil},
		{"AbCdE - FgHjK", "abcdefghjk", nil},
		{"  abcde-fghjk\n", "abcdefghjk", nil},
		{"a-b-c-d-e-f-g-h-j-k", "abcdefghjk", nil},
		{"abcde-fghj", "", ErrMalformedCode},
		{"abcde-fghjkm", "", ErrMalformedCode},
		{"", "", ErrMalformedCode},
		{"-----", "", ErrMalformedCode},
		{"abcde-fghj0", "", ErrMalformedCode}, // 0 is not mapped to o or anything
		{"abcde-fghjo", "", ErrMalformedCode},
		{"abcde-fghj1", "", ErrMalformedCode},
		{"abcde-fghjl", "", ErrMalformedCode},
		{"abcde-fghjI", "", ErrMalformedCode},
		{"abcde_fghjk", "", ErrMalformedCode},
		{"abcde\tfghjk", "", ErrMalformedCode},     // only spaces and hyphens are dropped
		{"abcde–fghjk", "", ErrMalformedCode},      // en dash
		{"ＡＢＣＤＥ-ＦＧＨＪＫ", "", ErrMalformedCode},      // fullwidth
		{"abcde-fghj\u212a", "", ErrMalformedCode}, // Kelvin sign: no Unicode case folding
		{strings.Repeat("a", 1000), "", ErrMalformedCode},
		// The length bound (4 × 10 characters) is on the typed input, separators included.
		{"a---b---c---d---e---f---g---h---j---k---", "abcdefghjk", nil},
		{"a---b---c---d---e---f---g---h---j---k----", "", ErrMalformedCode},
	}
	for _, tt := range tests {
		got, err := normalizeRecoveryCode(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("normalizeRecoveryCode(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// The codes are made and used at the Recovery's clock (the account page shows
// when), in UTC.
func TestRecoveryClock(t *testing.T) {
	ctx := context.Background()
	r, s := newRecovery()
	codes, err := r.Generate(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Use(ctx, alice, codes[0]); err != nil {
		t.Fatal(err)
	}
	if len(s.times) != 2 || !s.times[0].Equal(t0) || !s.times[1].Equal(t0) || s.times[0].Location() != time.UTC {
		t.Errorf("store times %v, want the clock's %s twice, in UTC", s.times, t0)
	}
}

func TestRecoveryUse(t *testing.T) {
	ctx := context.Background()
	r, _ := newRecovery()
	codes, err := r.Generate(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	c := codes[0]
	tests := []struct {
		name, user, code string
		wantErr          error
	}{
		{"malformed", alice, "abc", ErrMalformedCode},
		{"well-formed but unknown", alice, "zzzzz-zzzzz", ErrWrongCode},
		{"another user's code", bob, c, ErrWrongCode},
		{"upper case with a space", alice, strings.ToUpper(strings.Replace(c, "-", " ", 1)), nil},
		{"second use", alice, c, ErrCodeUsed},
		{"second use, other spelling", alice, strings.ReplaceAll(c, "-", ""), ErrCodeUsed},
		{"another code", alice, codes[1], nil},
	}
	for _, tt := range tests {
		if err := r.Use(ctx, tt.user, tt.code); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Use(%q) error = %v, want %v", tt.name, tt.code, err, tt.wantErr)
		}
	}
	if total, unused, _ := r.Remaining(ctx, alice); total != 10 || unused != 8 {
		t.Errorf("Remaining() = %d, %d; want 10, 8", total, unused)
	}
}

func TestRecoveryRegenerateKillsOld(t *testing.T) {
	ctx := context.Background()
	r, _ := newRecovery()
	old, _ := r.Generate(ctx, alice)
	if err := r.Use(ctx, alice, old[0]); err != nil {
		t.Fatal(err)
	}
	fresh, err := r.Generate(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range old {
		if slices.Contains(fresh, c) {
			t.Fatalf("regenerated set repeats %q", c)
		}
		if err := r.Use(ctx, alice, c); !errors.Is(err, ErrWrongCode) {
			t.Errorf("old code %q: error = %v, want ErrWrongCode", c, err)
		}
	}
	if total, unused, _ := r.Remaining(ctx, alice); total != 10 || unused != 10 {
		t.Errorf("Remaining() = %d, %d; want 10, 10", total, unused)
	}
	for _, c := range fresh {
		if err := r.Use(ctx, alice, c); err != nil {
			t.Errorf("new code %q: %v", c, err)
		}
	}
}

func TestRecoveryConcurrentUse(t *testing.T) {
	ctx := context.Background()
	r, _ := newRecovery()
	codes, _ := r.Generate(ctx, alice)
	const n = 32
	onceAmong(t, n, func() error { return r.Use(ctx, alice, codes[3]) })
}

func TestRecoveryKeyAndStorageErrors(t *testing.T) {
	ctx := context.Background()
	r, s := newRecovery()
	r.Key = recoveryKey[:31]
	if _, err := r.Generate(ctx, alice); err == nil {
		t.Error("Generate with a short key succeeded")
	}
	if err := r.Use(ctx, alice, "abcde-fghjk"); err == nil || errors.Is(err, ErrWrongCode) {
		t.Errorf("Use with a short key: error = %v, want a key error", err)
	}
	r.Key = recoveryKey
	boom := errors.New("database down")
	s.err = boom
	if _, err := r.Generate(ctx, alice); !errors.Is(err, boom) {
		t.Errorf("Generate: error = %v, want the storage error wrapped", err)
	}
	if err := r.Use(ctx, alice, "abcde-fghjk"); !errors.Is(err, boom) {
		t.Errorf("Use: error = %v, want the storage error wrapped", err)
	}
	if _, _, err := r.Remaining(ctx, alice); !errors.Is(err, boom) {
		t.Errorf("Remaining: error = %v, want the storage error wrapped", err)
	}
}
