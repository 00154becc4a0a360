package password

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fast keeps tests quick; DefaultParams is exercised by TestHashFormat.
var fast = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashFormat(t *testing.T) {
	h := NewHasher(DefaultParams(), 2)
	ctx := context.Background()
	a, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(a) {
		t.Errorf("Hash() = %q, want a PHC argon2id string with default params", a)
	}
	b, _ := h.Hash(ctx, "correct horse battery staple")
	if a == b {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if ok, rehash, err := h.Verify(ctx, "correct horse battery staple", a); !ok || rehash || err != nil {
		t.Errorf("Verify() = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestVerify(t *testing.T) {
	h := NewHasher(fast, 4)
	ctx := context.Background()
	tests := []struct {
		name, stored, given string
		wantOK              bool
		wantErr             error
	}{
		{"same password", "hunter2", "hunter2", true, nil},
		{"wrong password", "hunter2", "hunter3", false, nil},
		{"other case", "Hunter2", "hunter2", false, nil},
		{"prefix", "hunter2", "hunter", false, nil},
		{"unicode", "pässwörd 🔑", "pässwörd 🔑", true, nil},
		{"longest allowed", strings.Repeat("x", MaxLen), strings.Repeat("x", MaxLen), true, nil},
		{"empty given", "hunter2", "", false, ErrEmptyPassword},
		{"too long given", "hunter2", strings.Repeat("x", MaxLen+1), false, ErrPasswordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := h.Hash(ctx, tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := h.Verify(ctx, tt.given, encoded)
			if ok != tt.wantOK || rehash || !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify() = %v, %v, %v; want %v, false, %v", ok, rehash, err, tt.wantOK, tt.wantErr)
			}
		})
	}
}

func TestHashRejectsPasswords(t *testing.T) {
	h := NewHasher(fast, 1)
	for _, tt := range []struct {
		password string
		want     error
	}{
		{"", ErrEmptyPassword},
		{strings.Repeat("x", MaxLen+1), ErrPasswordTooLong},
	} {
		if s, err := h.Hash(context.Background(), tt.password); s != "" || !errors.Is(err, tt.want) {
			t.Errorf("Hash(%d bytes) = %q, %v; want \"\", %v", len(tt.password), s, err, tt.want)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := NewHasher(fast, 1)
	good, err := h.Hash(context.Background(), "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$") // "", alg, version, params, salt, key
	join := func(alg, version, params, salt, key string) string {
		return strings.Join([]string{"", alg, version, params, salt, key}, "$")
	}
	alg, version, params, salt, key := f[1], f[2], f[3], f[4], f[5]
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join("argon2i", version, params, salt, key)},
		{"argon2d", join("argon2d", version, params, salt, key)},
		{"version 16", join(alg, "v=16", params, salt, key)},
		{"no version", "$" + strings.Join([]string{alg, params, salt, key}, "$")},
		{"extra field", good + "$"},
		{"leading text", "x" + good},
		{"params reordered", join(alg, version, "t=1,m=64,p=1", salt, key)},
		{"params with keyid", join(alg, version, params+",keyid=1", salt, key)},
		{"params with spaces", join(alg, version, "m=64, t=1, p=1", salt, key)},
		{"params signed", join(alg, version, "m=+64,t=1,p=1", salt, key)},
		{"params negative", join(alg, version, "m=-64,t=1,p=1", salt, key)},
		{"params not numbers", join(alg, version, "m=lots,t=1,p=1", salt, key)},
		{"memory zero", join(alg, version, "m=0,t=1,p=1", salt, key)},
		{"memory below 8 KiB per thread", join(alg, version, "m=31,t=1,p=4", salt, key)},
		{"memory over 4 GiB", join(alg, version, "m=4194305,t=1,p=1", salt, key)},
		{"memory overflows uint32", join(alg, version, "m=4294967296,t=1,p=1", salt, key)},
		{"iterations zero", join(alg, version, "m=64,t=0,p=1", salt, key)},
		{"iterations over 100", join(alg, version, "m=64,t=101,p=1", salt, key)},
		{"parallelism zero", join(alg, version, "m=64,t=1,p=0", salt, key)},
		{"parallelism overflows uint8", join(alg, version, "m=4096,t=1,p=256", salt, key)},
		{"salt not base64", join(alg, version, params, "!!!!!!!!!!!!!!!!!!!!!!", key)},
		{"salt padded", join(alg, version, params, salt+"==", key)},
		{"salt too short", join(alg, version, params, "AAAAAA", key)},
		{"salt empty", join(alg, version, params, "", key)},
		{"key not base64", join(alg, version, params, salt, key[:len(key)-1]+"*")},
		{"key url-safe alphabet", join(alg, version, params, salt, strings.NewReplacer("+", "-", "/", "_").Replace(key)+"-_")},
		{"key non-zero trailing bits", join(alg, version, params, salt, key[:len(key)-1]+"B")},
		{"key too short", join(alg, version, params, salt, key[:20])},
		{"key too long", join(alg, version, params, salt, strings.Repeat("A", 100))},
		{"huge input", join(alg, version, params, strings.Repeat("A", 10000), key)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "hunter2", tt.encoded)
			if ok || rehash || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrMalformedHash", tt.encoded, ok, rehash, err)
			}
		})
	}
}

// A well-formed hash whose salt or key was changed must simply not match.
func TestVerifyTampered(t *testing.T) {
	h := NewHasher(fast, 1)
	ctx := context.Background()
	good, err := h.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$")
	flip := func(s string) string { // changes the first character, keeping valid base64
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	for name, encoded := range map[string]string{
		"salt":   strings.Join([]string{"", f[1], f[2], f[3], flip(f[4]), f[5]}, "$"),
		"key":    strings.Join([]string{"", f[1], f[2], f[3], f[4], flip(f[5])}, "$"),
		"params": strings.Join([]string{"", f[1], f[2], "m=72,t=1,p=1", f[4], f[5]}, "$"),
	} {
		if ok, _, err := h.Verify(ctx, "hunter2", encoded); ok || err != nil {
			t.Errorf("tampered %s: Verify() = %v, %v; want false, nil", name, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(fast, 1)
	encoded, err := old.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Params)
		want   bool
	}{
		{"same params", func(*Params) {}, false},
		{"more memory", func(p *Params) { p.MemoryKiB *= 2 }, true},
		{"more iterations", func(p *Params) { p.Iterations++ }, true},
		{"more threads", func(p *Params) { p.Parallelism++ }, true},
		{"longer salt", func(p *Params) { p.SaltLen = 32 }, true},
		{"longer key", func(p *Params) { p.KeyLen = 64 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fast
			tt.change(&p)
			h := NewHasher(p, 1)
			if ok, rehash, err := h.Verify(ctx, "hunter2", encoded); !ok || rehash != tt.want || err != nil {
				t.Errorf("Verify() = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A rehash is only worth doing after a successful login.
			if ok, rehash, _ := h.Verify(ctx, "wrong", encoded); ok || rehash {
				t.Errorf("Verify(wrong) = %v, %v; want false, false", ok, rehash)
			}
			// The new hash uses the new params and verifies with them.
			fresh, err := h.Hash(ctx, "hunter2")
			if err != nil {
				t.Fatal(err)
			}
			if ok, rehash, err := h.Verify(ctx, "hunter2", fresh); !ok || rehash || err != nil {
				t.Errorf("Verify(fresh) = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestConcurrencyBound(t *testing.T) {
	h := NewHasher(fast, 1)
	encoded, err := h.Hash(context.Background(), "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	h.sem <- struct{}{} // another computation holds the only slot

	hash := func(ctx context.Context) error { _, err := h.Hash(ctx, "pw"); return err }
	verify := func(ctx context.Context) error { _, _, err := h.Verify(ctx, "hunter2", encoded); return err }
	unknown := func(ctx context.Context) error { h.VerifyUnknownUser(ctx, "pw"); return ctx.Err() }
	calls := []struct {
		name string
		call func(context.Context) error
		// want is context.Canceled for a context cancelled before the call, and
		// context.DeadlineExceeded for one that ends while the call waits.
		want error
	}{
		{"Hash", hash, context.Canceled},
		{"Hash", hash, context.DeadlineExceeded},
		{"Verify", verify, context.Canceled},
		{"Verify", verify, context.DeadlineExceeded},
		{"VerifyUnknownUser", unknown, context.DeadlineExceeded},
	}
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if c.want == context.Canceled {
			cancel()
		}
		if err := c.call(ctx); !errors.Is(err, c.want) {
			t.Errorf("%s: error = %v, want %v", c.name, err, c.want)
		}
		cancel()
	}

	// A caller without a deadline waits for the slot, then proceeds.
	done := make(chan error, 1)
	go func() {
		_, _, err := h.Verify(context.Background(), "hunter2", encoded)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Verify finished (err %v) while the only slot was held", err)
	case <-time.After(50 * time.Millisecond):
	}
	<-h.sem
	if err := <-done; err != nil {
		t.Fatalf("Verify after the slot was freed: %v", err)
	}
	if n := len(h.sem); n != 0 {
		t.Errorf("%d slots still held after all calls returned", n)
	}
}

func TestVerifyUnknownUser(t *testing.T) {
	h := NewHasher(fast, 2)
	ctx := context.Background()
	for _, pw := range []string{"hunter2", "", strings.Repeat("x", MaxLen+1)} {
		h.VerifyUnknownUser(ctx, pw)
	}
	// It verifies against a well-formed dummy made with h's own params, so it
	// pays for a full hash exactly as a wrong password would.
	p, _, _, err := decode(h.dummy)
	if err != nil || p != fast {
		t.Errorf("dummy %q decodes to %+v, %v; want %+v", h.dummy, p, err, fast)
	}
	if len(h.sem) != 0 {
		t.Error("VerifyUnknownUser left a slot held")
	}
}

func TestNewHasherPanics(t *testing.T) {
	tests := []struct {
		name          string
		change        func(*Params)
		maxConcurrent int
	}{
		{"zero params", func(p *Params) { *p = Params{} }, 1},
		{"no iterations", func(p *Params) { p.Iterations = 0 }, 1},
		{"memory over 4 GiB", func(p *Params) { p.MemoryKiB = maxMemoryKiB + 1 }, 1},
		{"short salt", func(p *Params) { p.SaltLen = 4 }, 1},
		{"no slots", func(*Params) {}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewHasher did not panic")
				}
			}()
			p := fast
			tt.change(&p)
			NewHasher(p, tt.maxConcurrent)
		})
	}
}

// TestCheckNew: one rule for every new password, counted in characters (not
// bytes) up to MinLen, and in bytes up to MaxLen.
func TestCheckNew(t *testing.T) {
	for _, tt := range []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", ErrTooShort},
		{"one short", strings.Repeat("a", MinLen-1), ErrTooShort},
		{"nine accented letters are nine characters", strings.Repeat("é", MinLen-1), ErrTooShort},
		{"exactly the minimum", strings.Repeat("a", MinLen), nil},
		{"ten accented letters", strings.Repeat("é", MinLen), nil},
		{"the longest", strings.Repeat("a", MaxLen), nil},
		{"one byte too long", strings.Repeat("a", MaxLen+1), ErrPasswordTooLong},
		{"a common password", "basketball", ErrCommon},
		{"a common password in capitals", "BasketBall", ErrCommon},
		{"a keyboard walk", "1q2w3e4r5t", ErrCommon},
		{"a common password with a character more", "basketball!", nil},
	} {
		if err := CheckNew(tt.pw); !errors.Is(err, tt.want) {
			t.Errorf("%s: CheckNew = %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{ErrTooShort, "password.too_short"},
		{ErrPasswordTooLong, "password.too_long"},
		{ErrCommon, "password.common"},
		{ErrEmptyPassword, "password.unusable"},
	} {
		if got, _ := Explain(tt.err); got != tt.want {
			t.Errorf("Explain(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if _, args := Explain(ErrTooShort); !slices.Equal(args, []any{"Min", MinLen}) {
		t.Errorf("Explain(ErrTooShort) gives %v, want the minimum length", args)
	}
	if n := len(common); n != 10000 {
		t.Errorf("the common-password list has %d distinct entries, want 10,000", n)
	}
	if MinLen != 10 {
		t.Errorf("MinLen = %d: README's account section says 10", MinLen)
	}
}

// BenchmarkHash measures one hash with DefaultParams: the dominant cost of a
// password login.
func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams(), 1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// Params.valid accepts every bound itself and refuses one step past it: the
// bounds keep a stored hash from asking for gigabytes or minutes, or from
// being too weak to mean anything.
func TestParamsBounds(t *testing.T) {
	base := Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	tests := []struct {
		name   string
		change func(*Params)
		valid  bool
	}{
		{"base", func(*Params) {}, true},
		{"one lane", func(p *Params) { p.Parallelism = 1 }, true},
		{"no lane", func(p *Params) { p.Parallelism = 0 }, false},
		{"8 KiB per lane", func(p *Params) { p.Parallelism, p.MemoryKiB = 4, 32 }, true},
		{"less than 8 KiB per lane", func(p *Params) { p.Parallelism, p.MemoryKiB = 4, 31 }, false},
		{"most memory", func(p *Params) { p.MemoryKiB = maxMemoryKiB }, true},
		{"too much memory", func(p *Params) { p.MemoryKiB = maxMemoryKiB + 1 }, false},
		{"one iteration", func(p *Params) { p.Iterations = 1 }, true},
		{"no iteration", func(p *Params) { p.Iterations = 0 }, false},
		{"most iterations", func(p *Params) { p.Iterations = maxIterations }, true},
		{"too many iterations", func(p *Params) { p.Iterations = maxIterations + 1 }, false},
		{"shortest salt", func(p *Params) { p.SaltLen = minSaltLen }, true},
		{"salt too short", func(p *Params) { p.SaltLen = minSaltLen - 1 }, false},
		{"longest salt", func(p *Params) { p.SaltLen = maxSaltLen }, true},
		{"salt too long", func(p *Params) { p.SaltLen = maxSaltLen + 1 }, false},
		{"shortest key", func(p *Params) { p.KeyLen = minKeyLen }, true},
		{"key too short", func(p *Params) { p.KeyLen = minKeyLen - 1 }, false},
		{"longest key", func(p *Params) { p.KeyLen = maxKeyLen }, true},
		{"key too long", func(p *Params) { p.KeyLen = maxKeyLen + 1 }, false},
	}
	for _, tt := range tests {
		p := base
		tt.change(&p)
		if got := p.valid(); got != tt.valid {
			t.Errorf("%s: %+v valid = %v, want %v", tt.name, p, got, tt.valid)
		}
	}
}
