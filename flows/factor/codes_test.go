package factor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// fakeCodeStore follows storage.OneTimeCodeStore's and HitThrottle's contracts;
// the real backends are checked by storage/conformance.
type fakeCodeStore struct {
	mu     sync.Mutex
	codes  map[string]storage.OneTimeCode
	counts map[string]int
	// windows are the throttle windows asked for, by key.
	windows map[string]time.Duration
}

func newFakeCodeStore() *fakeCodeStore {
	return &fakeCodeStore{codes: map[string]storage.OneTimeCode{}, counts: map[string]int{}, windows: map[string]time.Duration{}}
}

func (f *fakeCodeStore) PutOneTimeCode(_ context.Context, c storage.OneTimeCode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[c.Key] = c
	return nil
}

func (f *fakeCodeStore) GetOneTimeCode(_ context.Context, key string) (storage.OneTimeCode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.codes[key]
	if !ok {
		return c, storage.ErrNotFound
	}
	return c, nil
}

func (f *fakeCodeStore) UseOneTimeCode(_ context.Context, key, hash string, now time.Time, maxAttempts int) (storage.OneTimeCode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.codes[key]
	switch {
	case !ok:
		return c, storage.ErrNotFound
	case !c.UsedAt.IsZero() || !c.ExpiresAt.After(now) || c.Attempts >= maxAttempts:
		return c, storage.ErrConflict
	case c.Hash != hash:
		c.Attempts++
		f.codes[key] = c
		return c, storage.ErrConflict
	}
	c.UsedAt = now
	f.codes[key] = c
	return c, nil
}

// HitThrottle counts without windows (the tests stay within one day) and
// records the window asked for.
func (f *fakeCodeStore) HitThrottle(_ context.Context, key string, window time.Duration, _ time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows[key] = window
	f.counts[key]++
	return f.counts[key], nil
}

func newCodes(st *fakeCodeStore, clk *clock) *Codes {
	return &Codes{
		Store: st, Channel: "sms", Key: make([]byte, 32), TTL: 5 * time.Minute, Cooldown: 30 * time.Second,
		MaxAttempts: 5, DailyPerUser: 3, DailyPerDestination: 3, Now: clk.Now,
	}
}

func TestCodesCheck(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// act gets a fresh code sent under "k" for "u" and returns the error of the checked guess.
		act  func(c *Codes, clk *clock, code string) error
		want error
	}{
		{"right code", func(c *Codes, _ *clock, code string) error { _, err := c.Check(ctx, "k", "u", code); return err }, nil},
		{"surrounding spaces", func(c *Codes, _ *clock, code string) error {
			_, err := c.Check(ctx, "k", "u", " "+code+"\n")
			return err
		}, nil},
		{"used twice", func(c *Codes, _ *clock, code string) error {
			if _, err := c.Check(ctx, "k", "u", code); err != nil {
				return err
			}
			_, err := c.Check(ctx, "k", "u", code)
			return err
		}, ErrCodeUsed},
		{"expired", func(c *Codes, clk *clock, code string) error {
			clk.Add(5 * time.Minute)
			_, err := c.Check(ctx, "k", "u", code)
			return err
		}, ErrCodeExpired},
		{"just before expiry", func(c *Codes, clk *clock, code string) error {
			clk.Add(5*time.Minute - time.Second)
			_, err := c.Check(ctx, "k", "u", code)
			return err
		}, nil},
		{"another flow's key", func(c *Codes, _ *clock, code string) error { _, err := c.Check(ctx, "other", "u", code); return err }, ErrWrongCode},
		{"wrong code", func(c *Codes, _ *clock, code string) error { _, err := c.Check(ctx, "k", "u", flip(code)); return err }, ErrWrongCode},
		{"five digits", func(c *Codes, _ *clock, code string) error { _, err := c.Check(ctx, "k", "u", code[:5]); return err }, ErrMalformedCode},
		{"seven digits", func(c *Codes, _ *clock, code string) error { _, err := c.Check(ctx, "k", "u", code+"1"); return err }, ErrMalformedCode},
		{"inner space", func(c *Codes, _ *clock, code string) error {
			_, err := c.Check(ctx, "k", "u", code[:3]+" "+code[3:])
			return err
		}, ErrMalformedCode},
		{"fullwidth digits", func(c *Codes, _ *clock, _ string) error {
			_, err := c.Check(ctx, "k", "u", "１２３４５６")
			return err
		}, ErrMalformedCode},
		{"right code after five wrong ones", func(c *Codes, _ *clock, code string) error {
			for range 5 {
				if _, err := c.Check(ctx, "k", "u", flip(code)); !errors.Is(err, ErrWrongCode) {
					return err
				}
			}
			_, err := c.Check(ctx, "k", "u", code)
			return err
		}, ErrTooManyAttempts},
		{"right code after four wrong ones", func(c *Codes, _ *clock, code string) error {
			for range 4 {
				_, _ = c.Check(ctx, "k", "u", flip(code))
			}
			_, err := c.Check(ctx, "k", "u", code)
			return err
		}, nil},
		{"old code after a resend", func(c *Codes, clk *clock, code string) error {
			clk.Add(31 * time.Second)
			if _, err := c.Issue(ctx, "k", "u", "+4915123456789"); err != nil {
				return err
			}
			_, err := c.Check(ctx, "k", "u", code)
			return err
		}, ErrWrongCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			c := newCodes(newFakeCodeStore(), clk)
			code, err := c.Issue(ctx, "k", "u", "+4915123456789")
			if err != nil {
				t.Fatal(err)
			}
			if !isDigits(code, 6) {
				t.Fatalf("code %q is not six digits", code)
			}
			if err := tt.act(c, clk, code); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// flip changes the last digit, so the guess is well-formed and wrong.
func flip(code string) string {
	return code[:5] + string('0'+(code[5]-'0'+1)%10)
}

func TestCodesAreStoredHashedAndBoundToTheKey(t *testing.T) {
	ctx := context.Background()
	st := newFakeCodeStore()
	c := newCodes(st, &clock{t: time.Now()})
	code, err := c.Issue(ctx, "a", "u", "+4915123456789")
	if err != nil {
		t.Fatal(err)
	}
	rec := st.codes["a"]
	if rec.Hash == code || len(rec.Hash) != 64 {
		t.Fatalf("stored hash %q for code %q", rec.Hash, code)
	}
	// The same code under another key hashes differently: a stored hash moved to
	// another flow's key does not work there.
	if c.hash("b", code) == rec.Hash {
		t.Fatal("hash does not depend on the key")
	}
}

func TestCodesResendAndDailyCaps(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	st := newFakeCodeStore()
	c := newCodes(st, clk)
	if _, err := c.Issue(ctx, "k1", "u", "+4915123456789"); err != nil {
		t.Fatal(err)
	}
	// The caps are daily: a shorter window would let the counts reset within the day.
	for _, key := range []string{"sms:day:user:u", "sms:day:to:+4915123456789"} {
		if w := st.windows[key]; w != 24*time.Hour {
			t.Errorf("throttle %s counts over %s, want 24h", key, w)
		}
	}
	_, err := c.Issue(ctx, "k1", "u", "+4915123456789")
	var wait *WaitError
	if !errors.As(err, &wait) || !errors.Is(err, ErrResendTooSoon) || wait.Wait != 30*time.Second {
		t.Fatalf("resend at once: %v", err)
	}
	clk.Add(30 * time.Second)
	if _, err := c.Issue(ctx, "k1", "u", "+4915123456789"); err != nil {
		t.Fatalf("resend after the cooldown: %v", err)
	}
	// Other flows (keys) of the same user share the daily cap of 3 per user.
	if _, err := c.Issue(ctx, "k2", "u", "+4915123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Issue(ctx, "k3", "u", "+4915123456789"); !errors.Is(err, ErrDailyCap) {
		t.Fatalf("fourth code for the user: %v", err)
	}
	// The number's cap (3) counts every user's codes to it.
	if _, err := c.Issue(ctx, "k4", "v", "+4915123456789"); !errors.Is(err, ErrDailyCap) {
		t.Fatalf("fourth code to the number: %v", err)
	}
	if _, err := c.Issue(ctx, "k5", "w", "+4915123456780"); err != nil {
		t.Fatalf("another user and number: %v", err)
	}
}

func TestCodesLinkTokens(t *testing.T) {
	ctx := context.Background()
	c := newCodes(newFakeCodeStore(), &clock{t: time.Now()})
	token, err := c.IssueLink(ctx, "link", "u", "user@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != linkTokenLen {
		t.Fatalf("token %q", token)
	}
	altered := token[:42] + "A"
	if token[42] == 'A' {
		altered = token[:42] + "B"
	}
	if _, err := c.Check(ctx, "link", "u", altered); !errors.Is(err, ErrWrongCode) && !errors.Is(err, ErrMalformedCode) {
		t.Fatalf("altered token: %v", err)
	}
	rec, err := c.Check(ctx, "link", "u", token)
	if err != nil || rec.Destination != "user@example.com" {
		t.Fatalf("token: %v %+v", err, rec)
	}
	if _, err := c.Check(ctx, "link", "u", token); !errors.Is(err, ErrCodeUsed) {
		t.Fatalf("replayed link: %v", err)
	}
}
