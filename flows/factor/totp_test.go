package factor

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lockstep-id/lockstep/storage"
)

// t0 is 10 s into a 30-second step.
var t0 = time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)

const (
	alice   = "user-alice"
	bob     = "user-bob"
	account = "alice@example.com"
)

type totpEnv struct {
	totp  *TOTP
	store *fakeTOTPStore
	clock *clock
}

func newTOTPEnv(t *testing.T) *totpEnv {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := NewAEADSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t0}
	s := newFakeTOTPStore()
	return &totpEnv{totp: &TOTP{Store: s, Sealer: sealer, Issuer: "Lockstep", Now: c.Now}, store: s, clock: c}
}

// codeAt computes the code with pquerna/otp's own TOTP implementation, as an app would.
// onceAmong runs use n times at once and wants exactly one to succeed, the
// others to find the code used.
func onceAmong(t *testing.T, n int, use func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = use() })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrCodeUsed):
			t.Errorf("error = %v, want nil or ErrCodeUsed", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent uses succeeded, want exactly 1", ok, n)
	}
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// steps returns at moved by n periods.
func steps(at time.Time, n int) time.Time { return at.Add(time.Duration(n) * TOTPPeriod) }

// inWindow reports whether code happens to equal a code accepted at now (a
// one-in-a-million collision for a random secret); tests expecting a refusal skip then.
func inWindow(t *testing.T, secret, code string, now time.Time) bool {
	t.Helper()
	for n := -TOTPSkew; n <= TOTPSkew; n++ {
		if codeAt(t, secret, steps(now, n)) == code {
			return true
		}
	}
	return false
}

func (e *totpEnv) begin(t *testing.T, user, name string) Enrolment {
	t.Helper()
	en, err := e.totp.Begin(context.Background(), user, account, name)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return en
}

// enrol begins and confirms a device with the current code.
func (e *totpEnv) enrol(t *testing.T, user, name string) Enrolment {
	t.Helper()
	en := e.begin(t, user, name)
	if err := e.totp.Confirm(context.Background(), user, en.DeviceID, codeAt(t, en.Secret, e.clock.Now()), false); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	return en
}

func TestRFC6238Vectors(t *testing.T) {
	// RFC 6238 appendix B, SHA1, last six of the eight digits.
	secret := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0)
		step, ok := matchStep(secret, []byte(tt.code), at)
		if !ok || step != tt.unix/30 {
			t.Errorf("matchStep(%q at %d) = %d, %v; want %d, true", tt.code, tt.unix, step, ok, tt.unix/30)
		}
	}
}

func TestBeginCreatesInactiveSealedDevice(t *testing.T) {
	e := newTOTPEnv(t)
	en := e.begin(t, alice, "  Work phone ")

	if en.Name != "Work phone" {
		t.Errorf("Name = %q, want trimmed %q", en.Name, "Work phone")
	}
	d, ok := e.store.get(en.DeviceID)
	if !ok {
		t.Fatal("no device stored")
	}
	if d.Active || d.UserID != alice || d.Name != "Work phone" || !d.CreatedAt.Equal(t0) || d.LastStep != 0 {
		t.Errorf("stored device = %+v, want inactive, alice's, named, created at t0, LastStep 0", d)
	}
	raw, err := b32.DecodeString(en.Secret)
	if err != nil || len(raw) != TOTPSecretSize {
		t.Fatalf("Secret %q: %d bytes, %v; want %d base32 bytes", en.Secret, len(raw), err, TOTPSecretSize)
	}
	if bytes.Contains(d.SecretEnc, raw) || bytes.Contains(d.SecretEnc, []byte(en.Secret)) ||
		bytes.Contains(bytes.ToLower(d.SecretEnc), bytes.ToLower([]byte(en.Secret))) {
		t.Error("the secret is stored in clear")
	}
	if bytes.Contains(d.SecretEnc, []byte(account)) {
		t.Error("the account name is stored in clear")
	}
	if !regexp.MustCompile(`^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$`).MatchString(en.GroupedSecret()) {
		t.Errorf("GroupedSecret() = %q, want 8 groups of 4", en.GroupedSecret())
	}
	if strings.ReplaceAll(en.GroupedSecret(), " ", "") != en.Secret {
		t.Error("GroupedSecret() is not Secret")
	}

	other := e.begin(t, alice, "")
	if other.Secret == en.Secret || other.DeviceID == en.DeviceID {
		t.Error("two enrolments share a secret or an id")
	}
	if other.Name != DefaultDeviceName {
		t.Errorf("blank name became %q, want %q", other.Name, DefaultDeviceName)
	}
	if devs, _ := e.totp.Devices(context.Background(), alice); len(devs) != 0 {
		t.Errorf("Devices() = %v, want none while pending", devs)
	}
}

func TestEnrolmentURI(t *testing.T) {
	e := newTOTPEnv(t)
	en := e.begin(t, alice, "phone")
	u, err := url.Parse(en.URI)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Lockstep:"+account {
		t.Errorf("URI %q: want otpauth://totp/Lockstep:%s", en.URI, account)
	}
	want := map[string]string{"secret": en.Secret, "issuer": "Lockstep", "algorithm": "SHA1", "digits": "6", "period": "30"}
	q := u.Query()
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("URI %s = %q, want %q", k, q.Get(k), v)
		}
	}
	key, err := otp.NewKeyFromURL(en.URI)
	if err != nil || key.Issuer() != "Lockstep" || key.AccountName() != account || key.Secret() != en.Secret {
		t.Errorf("pquerna reads URI as issuer %q account %q (%v)", key.Issuer(), key.AccountName(), err)
	}

	e.totp.Issuer = ""
	if en := e.begin(t, alice, "x"); !strings.Contains(en.URI, "issuer="+DefaultIssuer) {
		t.Errorf("empty Issuer: URI %q lacks the default issuer", en.URI)
	}
}

func TestBeginRefuses(t *testing.T) {
	tests := []struct {
		name, account, device string
		wantErr               error // nil: any error
	}{
		{"empty account", "", "phone", nil},
		{"colon in account", "a:b@example.com", "phone", nil},
		{"name too long", account, strings.Repeat("é", MaxDeviceNameLen+1), ErrInvalidName},
		{"control character", account, "ph\none", ErrInvalidName},
		{"invalid UTF-8", account, "ph\xffone", ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTOTPEnv(t)
			_, err := e.totp.Begin(context.Background(), alice, tt.account, tt.device)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Begin() error = %v, want %v", err, tt.wantErr)
			}
			if devs, _ := e.store.ListTOTPDevices(context.Background(), alice); len(devs) != 0 {
				t.Error("a device was stored anyway")
			}
		})
	}
	e := newTOTPEnv(t)
	if _, err := e.totp.Begin(context.Background(), alice, account, strings.Repeat("é", MaxDeviceNameLen)); err != nil {
		t.Errorf("longest name refused: %v", err)
	}
}

func TestBeginPrunesStalePending(t *testing.T) {
	e := newTOTPEnv(t)
	stale := e.begin(t, alice, "old")
	active := e.enrol(t, alice, "kept")
	otherUser := e.begin(t, bob, "bob's")
	e.clock.Add(23 * time.Hour)
	recent := e.begin(t, alice, "recent")
	e.clock.Add(2 * time.Hour)
	e.begin(t, alice, "new")
	for id, want := range map[string]bool{stale.DeviceID: false, active.DeviceID: true, otherUser.DeviceID: true, recent.DeviceID: true} {
		if _, ok := e.store.get(id); ok != want {
			t.Errorf("device %s present = %v, want %v", id, ok, want)
		}
	}
}

func TestPending(t *testing.T) {
	ctx := context.Background()
	e := newTOTPEnv(t)
	en := e.begin(t, alice, "phone")

	got, err := e.totp.Pending(ctx, alice, en.DeviceID)
	if err != nil || got != en {
		t.Fatalf("Pending() = %+v, %v; want %+v", got, err, en)
	}
	for name, call := range map[string]func() error{
		"another user": func() error { _, err := e.totp.Pending(ctx, bob, en.DeviceID); return err },
		"unknown id":   func() error { _, err := e.totp.Pending(ctx, alice, "nope"); return err },
	} {
		if err := call(); !errors.Is(err, ErrNotPending) {
			t.Errorf("%s: error = %v, want ErrNotPending", name, err)
		}
	}
	if err := e.totp.Confirm(ctx, alice, en.DeviceID, codeAt(t, en.Secret, t0), false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.totp.Pending(ctx, alice, en.DeviceID); !errors.Is(err, ErrNotPending) {
		t.Errorf("active device: error = %v, want ErrNotPending", err)
	}
}

func TestConfirm(t *testing.T) {
	s0 := t0.Unix() / 30
	tests := []struct {
		name     string
		user     string
		offset   int // steps between the code and now
		code     func(right string) string
		wantErr  error
		wantStep int64
	}{
		{name: "current step", user: alice, wantStep: s0},
		{name: "one step behind", user: alice, offset: -1, wantStep: s0 - 1},
		{name: "one step ahead", user: alice, offset: 1, wantStep: s0 + 1},
		{name: "two steps behind", user: alice, offset: -2, wantErr: ErrWrongCode},
		{name: "two steps ahead", user: alice, offset: 2, wantErr: ErrWrongCode},
		{name: "wrong code", user: alice, code: wrongCode, wantErr: ErrWrongCode},
		{name: "malformed", user: alice, code: func(r string) string { return r[:5] }, wantErr: ErrMalformedCode},
		{name: "another user's device", user: bob, wantErr: ErrNotPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTOTPEnv(t)
			en := e.begin(t, alice, "phone")
			code := codeAt(t, en.Secret, steps(t0, tt.offset))
			if tt.code != nil {
				code = tt.code(code)
			}
			if tt.wantErr == ErrWrongCode && inWindow(t, en.Secret, code, t0) {
				t.Skip("random secret: refused code collides with an accepted one")
			}
			err := e.totp.Confirm(context.Background(), tt.user, en.DeviceID, code, false)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Confirm() error = %v, want %v", err, tt.wantErr)
			}
			d, _ := e.store.get(en.DeviceID)
			if tt.wantErr != nil {
				if d.Active {
					t.Error("device active after a failed confirmation")
				}
				return
			}
			if !d.Active || d.LastStep != tt.wantStep || !d.ConfirmedAt.Equal(t0) || !d.LastUsedAt.Equal(t0) {
				t.Errorf("device = active %v, LastStep %d, confirmed %v; want active, %d, %v", d.Active, d.LastStep, d.ConfirmedAt, tt.wantStep, t0)
			}
			// The confirming code cannot be replayed at sign-in.
			if _, err := e.totp.Verify(context.Background(), alice, code); !errors.Is(err, ErrCodeUsed) {
				t.Errorf("Verify(confirming code) error = %v, want ErrCodeUsed", err)
			}
			// Confirming twice is refused.
			if err := e.totp.Confirm(context.Background(), alice, en.DeviceID, code, false); !errors.Is(err, ErrNotPending) {
				t.Errorf("second Confirm() error = %v, want ErrNotPending", err)
			}
		})
	}
}

func TestConfirmRevokeOthers(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		e := newTOTPEnv(t)
		old1 := e.enrol(t, alice, "old 1")
		old2 := e.enrol(t, alice, "old 2")
		pending := e.begin(t, alice, "pending elsewhere")
		bobs := e.enrol(t, bob, "bob's")
		e.clock.Add(TOTPPeriod)
		en := e.begin(t, alice, "new")
		if err := e.totp.Confirm(context.Background(), alice, en.DeviceID, codeAt(t, en.Secret, e.clock.Now()), revoke); err != nil {
			t.Fatal(err)
		}
		if got := e.store.revokeOthers[len(e.store.revokeOthers)-1]; got != revoke {
			t.Errorf("revokeOthers reached the store as %v, want %v", got, revoke)
		}
		for _, id := range []string{old1.DeviceID, old2.DeviceID, pending.DeviceID} {
			if _, ok := e.store.get(id); ok == revoke {
				t.Errorf("revokeOthers=%v: earlier device present = %v", revoke, ok)
			}
		}
		if _, ok := e.store.get(bobs.DeviceID); !ok {
			t.Error("another user's device was revoked")
		}
		devs, _ := e.totp.Devices(context.Background(), alice)
		if want := map[bool]int{false: 3, true: 1}[revoke]; len(devs) != want {
			t.Errorf("revokeOthers=%v: %d devices, want %d", revoke, len(devs), want)
		}
	}
}

func wrongCode(right string) string {
	b := []byte(right)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func toDigits(code string, zero rune) string {
	var b strings.Builder
	for _, c := range code {
		b.WriteRune(zero + (c - '0'))
	}
	return b.String()
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		offset  int // steps between the code and now
		code    func(right string) string
		wantErr error
	}{
		{name: "current step"},
		{name: "one step behind", offset: -1},
		{name: "one step ahead", offset: 1},
		{name: "two steps behind: expired", offset: -2, wantErr: ErrCodeExpired},
		{name: "two steps ahead", offset: 2, wantErr: ErrWrongCode},
		{name: "eleven steps behind: expired", offset: -11, wantErr: ErrCodeExpired},
		{name: "twelve steps behind: wrong", offset: -12, wantErr: ErrWrongCode},
		{name: "wrong code", code: wrongCode, wantErr: ErrWrongCode},
		{name: "outer spaces trimmed", code: func(r string) string { return " " + r + " " }},
		{name: "outer tab and newline trimmed", code: func(r string) string { return "\t" + r + "\r\n" }},
		{name: "5 digits", code: func(r string) string { return r[:5] }, wantErr: ErrMalformedCode},
		{name: "7 digits", code: func(r string) string { return r + "0" }, wantErr: ErrMalformedCode},
		{name: "7 digits, right prefix", code: func(r string) string { return r + r[:1] }, wantErr: ErrMalformedCode},
		{name: "space inside", code: func(r string) string { return r[:2] + " " + r[2:] }, wantErr: ErrMalformedCode},
		{name: "space in the middle", code: func(r string) string { return r[:3] + " " + r[3:] }, wantErr: ErrMalformedCode},
		{name: "hyphen inside", code: func(r string) string { return r[:3] + "-" + r[3:] }, wantErr: ErrMalformedCode},
		{name: "fullwidth digits", code: func(r string) string { return toDigits(r, '０') }, wantErr: ErrMalformedCode},
		{name: "Arabic-Indic digits", code: func(r string) string { return toDigits(r, '٠') }, wantErr: ErrMalformedCode},
		{name: "letters", code: func(string) string { return "abcdef" }, wantErr: ErrMalformedCode},
		{name: "sign", code: func(r string) string { return "+" + r[1:] }, wantErr: ErrMalformedCode},
		{name: "empty", code: func(string) string { return "" }, wantErr: ErrMalformedCode},
		{name: "spaces only", code: func(string) string { return "      " }, wantErr: ErrMalformedCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTOTPEnv(t)
			en := e.enrol(t, alice, "phone")
			e.clock.Add(10 * time.Minute) // well past the confirming step
			now := e.clock.Now()
			code := codeAt(t, en.Secret, steps(now, tt.offset))
			if tt.code != nil {
				code = tt.code(code)
			}
			if tt.wantErr == ErrWrongCode && inWindow(t, en.Secret, code, now) {
				t.Skip("random secret: refused code collides with an accepted one")
			}
			id, err := e.totp.Verify(context.Background(), alice, code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify(%q) error = %v, want %v", code, err, tt.wantErr)
			}
			d, _ := e.store.get(en.DeviceID)
			if tt.wantErr != nil {
				if id != "" {
					t.Errorf("Verify() returned device %q with an error", id)
				}
				if !d.LastUsedAt.Equal(t0) {
					t.Error("a refused code updated the device")
				}
				return
			}
			if id != en.DeviceID {
				t.Errorf("Verify() = %q, want %q", id, en.DeviceID)
			}
			if want := steps(now, tt.offset).Unix() / 30; d.LastStep != want || !d.LastUsedAt.Equal(now) {
				t.Errorf("LastStep = %d, LastUsedAt = %v; want %d, %v", d.LastStep, d.LastUsedAt, want, now)
			}
		})
	}
}

func TestVerifyReplay(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		first   int // step offset of the accepted code
		second  int // step offset of the code tried next, same moment
		wantErr error
	}{
		{"same code twice", 0, 0, ErrCodeUsed},
		{"older step after newer", 0, -1, ErrCodeUsed},
		{"current after future", 1, 0, ErrCodeUsed},
		{"oldest after future", 1, -1, ErrCodeUsed},
		{"newer step after older", -1, 0, nil},
		{"future after current", 0, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTOTPEnv(t)
			en := e.enrol(t, alice, "phone")
			e.clock.Add(5 * time.Minute)
			now := e.clock.Now()
			if _, err := e.totp.Verify(ctx, alice, codeAt(t, en.Secret, steps(now, tt.first))); err != nil {
				t.Fatalf("first Verify: %v", err)
			}
			_, err := e.totp.Verify(ctx, alice, codeAt(t, en.Secret, steps(now, tt.second)))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("second Verify error = %v, want %v", err, tt.wantErr)
			}
		})
	}

	// After the clock moves on, a fresh code works again.
	e := newTOTPEnv(t)
	en := e.enrol(t, alice, "phone")
	for i := 1; i <= 3; i++ {
		e.clock.Add(TOTPPeriod)
		if _, err := e.totp.Verify(ctx, alice, codeAt(t, en.Secret, e.clock.Now())); err != nil {
			t.Fatalf("fresh code %d: %v", i, err)
		}
	}
}

func TestVerifyConcurrentSameCode(t *testing.T) {
	e := newTOTPEnv(t)
	en := e.enrol(t, alice, "phone")
	e.clock.Add(time.Minute)
	code := codeAt(t, en.Secret, e.clock.Now())

	const n = 32
	onceAmong(t, n, func() error { _, err := e.totp.Verify(context.Background(), alice, code); return err })
}

// TestVerifyAmong: devices read before the check (a sign-in step reads them with
// the user) take a code once, as Verify does, whatever happened to them since.
func TestVerifyAmong(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// meanwhile happens between the read of the devices and the check.
		meanwhile func(t *testing.T, e *totpEnv, en Enrolment, code string)
		wantErr   error
	}{
		{"nothing", func(*testing.T, *totpEnv, Enrolment, string) {}, nil},
		{"the code was used", func(t *testing.T, e *totpEnv, _ Enrolment, code string) {
			if _, err := e.totp.Verify(ctx, alice, code); err != nil {
				t.Fatal(err)
			}
		}, ErrCodeUsed},
		{"a later code was used", func(t *testing.T, e *totpEnv, en Enrolment, _ string) {
			if _, err := e.totp.Verify(ctx, alice, codeAt(t, en.Secret, steps(e.clock.Now(), 1))); err != nil {
				t.Fatal(err)
			}
		}, ErrCodeUsed},
		{"the device was removed", func(t *testing.T, e *totpEnv, en Enrolment, _ string) {
			if err := e.totp.Remove(ctx, alice, en.DeviceID); err != nil {
				t.Fatal(err)
			}
		}, ErrWrongCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTOTPEnv(t)
			en := e.enrol(t, alice, "phone")
			e.enrol(t, bob, "bob's")
			e.clock.Add(time.Minute)
			code := codeAt(t, en.Secret, e.clock.Now())
			devices, err := e.store.ListTOTPDevices(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			tt.meanwhile(t, e, en, code)
			id, err := e.totp.VerifyAmong(ctx, alice, code, devices)
			if !errors.Is(err, tt.wantErr) || (err == nil && id != en.DeviceID) {
				t.Errorf("VerifyAmong() = %q, %v; want %q, %v", id, err, en.DeviceID, tt.wantErr)
			}
		})
	}

	e := newTOTPEnv(t)
	en := e.enrol(t, alice, "phone")
	bobs := e.enrol(t, bob, "bob's")
	e.clock.Add(time.Minute)
	bobsDevices, err := e.store.ListTOTPDevices(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		code    string
		devices []storage.TOTPDevice
		wantErr error
	}{
		{"no devices", codeAt(t, en.Secret, e.clock.Now()), nil, ErrNoDevice},
		{"another user's devices", codeAt(t, bobs.Secret, e.clock.Now()), bobsDevices, ErrNoDevice},
		{"a malformed code", "12345", bobsDevices, ErrMalformedCode},
	} {
		if _, err := e.totp.VerifyAmong(ctx, alice, tt.code, tt.devices); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: VerifyAmong() error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}

	// Concurrent checks of one code against the same read: one succeeds.
	devices, err := e.store.ListTOTPDevices(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	code := codeAt(t, en.Secret, e.clock.Now())
	const n = 16
	onceAmong(t, n, func() error { _, err := e.totp.VerifyAmong(ctx, alice, code, devices); return err })
}

func TestVerifyDevices(t *testing.T) {
	ctx := context.Background()
	e := newTOTPEnv(t)

	if _, err := e.totp.Verify(ctx, alice, "123456"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("no devices: error = %v, want ErrNoDevice", err)
	}
	pendingOnly := e.begin(t, alice, "pending")
	if _, err := e.totp.Verify(ctx, alice, codeAt(t, pendingOnly.Secret, t0)); !errors.Is(err, ErrNoDevice) {
		t.Errorf("only a pending device: error = %v, want ErrNoDevice", err)
	}

	a := e.enrol(t, alice, "A")
	b := e.enrol(t, alice, "B")
	bobs := e.enrol(t, bob, "bob's")
	e.clock.Add(time.Minute)
	now := e.clock.Now()

	if _, err := e.totp.Verify(ctx, alice, codeAt(t, pendingOnly.Secret, now)); !errors.Is(err, ErrWrongCode) {
		t.Errorf("pending device's code: error = %v, want ErrWrongCode", err)
	}
	if _, err := e.totp.Verify(ctx, alice, codeAt(t, bobs.Secret, now)); !errors.Is(err, ErrWrongCode) {
		t.Errorf("another user's device's code: error = %v, want ErrWrongCode", err)
	}
	// Each device has its own replay state: both codes of one step work once.
	for _, en := range []Enrolment{b, a} {
		id, err := e.totp.Verify(ctx, alice, codeAt(t, en.Secret, now))
		if err != nil || id != en.DeviceID {
			t.Errorf("Verify(%s's code) = %q, %v; want %q", en.Name, id, err, en.DeviceID)
		}
	}
	for _, en := range []Enrolment{a, b} {
		if _, err := e.totp.Verify(ctx, alice, codeAt(t, en.Secret, now)); !errors.Is(err, ErrCodeUsed) {
			t.Errorf("replayed %s code: error = %v, want ErrCodeUsed", en.Name, err)
		}
	}
}

func TestVerifyBrokenDevice(t *testing.T) {
	ctx := context.Background()
	e := newTOTPEnv(t)
	a := e.enrol(t, alice, "A")
	b := e.enrol(t, alice, "B")
	// Move A's sealed secret onto B: the aad no longer matches, so it must not open.
	da, _ := e.store.get(a.DeviceID)
	db, _ := e.store.get(b.DeviceID)
	db.SecretEnc = da.SecretEnc
	e.store.set(db)
	e.clock.Add(time.Minute)

	if id, err := e.totp.Verify(ctx, alice, codeAt(t, a.Secret, e.clock.Now())); err != nil || id != a.DeviceID {
		t.Errorf("intact device: Verify() = %q, %v; want %q", id, err, a.DeviceID)
	}
	e.clock.Add(time.Minute)
	if _, err := e.totp.Verify(ctx, alice, codeAt(t, b.Secret, e.clock.Now())); !errors.Is(err, ErrUnseal) {
		t.Errorf("broken device: error = %v, want ErrUnseal", err)
	}
}

func TestDevicesAndRemove(t *testing.T) {
	ctx := context.Background()
	e := newTOTPEnv(t)
	a := e.enrol(t, alice, "A")
	e.clock.Add(time.Hour)
	b := e.enrol(t, alice, "B")
	pending := e.begin(t, alice, "pending")
	bobs := e.enrol(t, bob, "bob's")
	e.clock.Add(time.Hour)
	if _, err := e.totp.Verify(ctx, alice, codeAt(t, a.Secret, e.clock.Now())); err != nil {
		t.Fatal(err)
	}

	devs, err := e.totp.Devices(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := []Device{
		{ID: a.DeviceID, Name: "A", CreatedAt: t0, ConfirmedAt: t0, LastUsedAt: t0.Add(2 * time.Hour)},
		{ID: b.DeviceID, Name: "B", CreatedAt: t0.Add(time.Hour), ConfirmedAt: t0.Add(time.Hour), LastUsedAt: t0.Add(time.Hour)},
	}
	if len(devs) != len(want) {
		t.Fatalf("Devices() = %+v, want %+v", devs, want)
	}
	for i := range want {
		if devs[i] != want[i] {
			t.Errorf("Devices()[%d] = %+v, want %+v", i, devs[i], want[i])
		}
	}

	tests := []struct {
		name, user, id string
		wantErr        error
	}{
		{"another user's device", alice, bobs.DeviceID, ErrUnknownDevice},
		{"unknown id", alice, "nope", ErrUnknownDevice},
		{"own device", alice, a.DeviceID, nil},
		{"own device again", alice, a.DeviceID, ErrUnknownDevice},
		{"own pending device", alice, pending.DeviceID, nil},
	}
	for _, tt := range tests {
		if err := e.totp.Remove(ctx, tt.user, tt.id); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Remove() error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if _, ok := e.store.get(bobs.DeviceID); !ok {
		t.Error("another user's device was removed")
	}
	if devs, _ := e.totp.Devices(ctx, alice); len(devs) != 1 || devs[0].ID != b.DeviceID {
		t.Errorf("after removal Devices() = %+v, want only B", devs)
	}
	e.clock.Add(time.Minute)
	if _, err := e.totp.Verify(ctx, alice, codeAt(t, a.Secret, e.clock.Now())); !errors.Is(err, ErrWrongCode) {
		t.Errorf("removed device's code: error = %v, want ErrWrongCode", err)
	}
}

func TestStorageErrorsWrapped(t *testing.T) {
	ctx := context.Background()
	e := newTOTPEnv(t)
	en := e.begin(t, alice, "phone")
	boom := errors.New("database down")
	e.store.err = boom
	calls := map[string]func() error{
		"Begin":   func() error { _, err := e.totp.Begin(ctx, alice, account, "x"); return err },
		"Pending": func() error { _, err := e.totp.Pending(ctx, alice, en.DeviceID); return err },
		"Confirm": func() error { return e.totp.Confirm(ctx, alice, en.DeviceID, "123456", false) },
		"Verify":  func() error { _, err := e.totp.Verify(ctx, alice, "123456"); return err },
		"Devices": func() error { _, err := e.totp.Devices(ctx, alice); return err },
		"Remove":  func() error { return e.totp.Remove(ctx, alice, en.DeviceID) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, boom) {
			t.Errorf("%s: error = %v, want it to wrap the storage error", name, err)
		}
	}
}

func TestQRCodePNG(t *testing.T) {
	e := newTOTPEnv(t)
	en := e.begin(t, alice, "phone")
	for _, size := range []int{128, 200, 256, 512, MaxQRSize} {
		b, err := e.totp.QRCodePNG(en, size)
		if err != nil {
			t.Fatalf("QRCodePNG(%d): %v", size, err)
		}
		if ct := http.DetectContentType(b); ct != "image/png" {
			t.Errorf("content type %q, want image/png", ct)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if r := img.Bounds(); r.Dx() != size || r.Dy() != size {
			t.Errorf("QRCodePNG(%d) is %v", size, r)
		}
	}
	for _, size := range []int{-1, 0, 10, MaxQRSize + 1} {
		if _, err := e.totp.QRCodePNG(en, size); err == nil {
			t.Errorf("QRCodePNG(%d) succeeded, want an error", size)
		}
	}
	if _, err := e.totp.QRCodePNG(Enrolment{URI: "%%%"}, 256); err == nil {
		t.Error("QRCodePNG of a broken URI succeeded")
	}
}

// The sealed payload: a version byte, the 20-byte secret, then the account label
// (which may be empty); anything shorter or of another version is refused.
func TestDecodePayload(t *testing.T) {
	secret := bytes.Repeat([]byte{9}, TOTPSecretSize)
	tests := []struct {
		name    string
		payload []byte
		account string
		ok      bool
	}{
		{"with an account", encodePayload(secret, "alice@example.com"), "alice@example.com", true},
		{"empty account", encodePayload(secret, ""), "", true},
		{"one byte short", encodePayload(secret, "")[:TOTPSecretSize], "", false},
		{"version only", []byte{payloadV1}, "", false},
		{"empty", nil, "", false},
		{"another version", append([]byte{2}, encodePayload(secret, "a")[1:]...), "", false},
	}
	for _, tt := range tests {
		got, account, err := decodePayload(tt.payload)
		switch {
		case tt.ok && (err != nil || !bytes.Equal(got, secret) || account != tt.account):
			t.Errorf("%s: decodePayload = %x, %q, %v", tt.name, got, account, err)
		case !tt.ok && err == nil:
			t.Errorf("%s: decodePayload accepted %x", tt.name, tt.payload)
		}
	}
}

func TestSealer(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := NewAEADSealer(make([]byte, n)); err == nil {
			t.Errorf("NewAEADSealer accepted a %d-byte key", n)
		}
	}
	s, err := NewAEADSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewAEADSealer(bytes.Repeat([]byte{8}, 32))
	plain := []byte("twenty bytes secret!")
	a, b := s.Seal(plain, "dev1"), s.Seal(plain, "dev1")
	if bytes.Equal(a, b) {
		t.Error("two seals are equal: nonce not random")
	}
	if bytes.Contains(a, plain) {
		t.Error("plaintext visible in the sealed value")
	}
	if got, err := s.Open(a, "dev1"); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open() = %q, %v", got, err)
	}
	tampered := bytes.Clone(a)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		sealer Sealer
		sealed []byte
		aad    string
	}{
		{"other aad", s, a, "dev2"},
		{"other key", other, a, "dev1"},
		{"tampered", s, tampered, "dev1"},
		{"truncated", s, a[:10], "dev1"},
		{"empty", s, nil, "dev1"},
	}
	for _, tt := range tests {
		if _, err := tt.sealer.Open(tt.sealed, tt.aad); !errors.Is(err, ErrUnseal) {
			t.Errorf("%s: Open() error = %v, want ErrUnseal", tt.name, err)
		}
	}
}

func TestParseTOTPCodeASCIIOnly(t *testing.T) {
	// Every non-ASCII decimal digit set in Unicode must be refused; spot-check a few.
	for _, zero := range []rune{'０', '٠', '۰', '०', '০', '๐', '𝟎'} {
		if _, err := parseTOTPCode(toDigits("123456", zero)); !errors.Is(err, ErrMalformedCode) {
			t.Errorf("digits from U+%04X accepted", zero)
		}
	}
	if _, err := parseTOTPCode("012345"); err != nil {
		t.Errorf("leading zero refused: %v", err)
	}
}

func TestRename(t *testing.T) {
	e := newTOTPEnv(t)
	en := e.begin(t, alice, "phone")
	ctx := context.Background()
	tests := []struct {
		name, user, device, newName string
		want                        error
		stored                      string
	}{
		{"renamed", alice, en.DeviceID, "  Work phone ", nil, "Work phone"},
		{"blank becomes the default", alice, en.DeviceID, " ", nil, DefaultDeviceName},
		{"too long", alice, en.DeviceID, strings.Repeat("x", MaxDeviceNameLen+1), ErrInvalidName, DefaultDeviceName},
		{"control character", alice, en.DeviceID, "a\x07b", ErrInvalidName, DefaultDeviceName},
		{"another user's device", bob, en.DeviceID, "mine", ErrUnknownDevice, DefaultDeviceName},
		{"unknown device", alice, "nope", "x", ErrUnknownDevice, DefaultDeviceName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.totp.Rename(ctx, tt.user, tt.device, tt.newName); !errors.Is(err, tt.want) {
				t.Fatalf("Rename = %v, want %v", err, tt.want)
			}
			if d, _ := e.store.get(en.DeviceID); d.Name != tt.stored {
				t.Fatalf("stored name %q, want %q", d.Name, tt.stored)
			}
		})
	}
}
