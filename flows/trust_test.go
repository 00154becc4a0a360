package flows

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// testCore is a Core over the memory store with a fixed clock and address, and
// the browser's device cookie already holding token "tok" (when device is set).
type testCore struct {
	*Core
	store *memory.Store
	now   time.Time
}

func newTestCore(t *testing.T) *testCore {
	t.Helper()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	store := memory.New()
	tc := &testCore{store: store, now: now}
	tc.Core = &Core{
		Store:         store,
		Now:           func() time.Time { return tc.now },
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		Cookies:       NewCookies("s", bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 32), "/", false, 3600),
		DeviceCookies: NewCookies("d", bytes.Repeat([]byte{3}, 64), bytes.Repeat([]byte{4}, 32), "/", false, 3600),
		ClientIP:      func(*http.Request) string { return "192.0.2.7" },
	}
	return tc
}

// request is a browser request; with cookies from w (a previous response) when given.
func request(w *httptest.ResponseRecorder) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	if w != nil {
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
	}
	return r
}

// withDevice is a request whose device cookie holds tok.
func (tc *testCore) withDevice(t *testing.T, tok string) *http.Request {
	t.Helper()
	w := httptest.NewRecorder()
	if err := tc.DeviceCookies.set(w, request(nil), keyDevice, tok); err != nil {
		t.Fatal(err)
	}
	return request(w)
}

func (tc *testCore) trust(t *testing.T, kind storage.TrustKind, userID, value string, expires time.Time) {
	t.Helper()
	err := tc.store.PutTrust(context.Background(), storage.Trust{
		ID: TrustID(kind, userID, value), UserID: userID, Kind: kind, CreatedAt: tc.now, ExpiresAt: expires,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTrustedReason(t *testing.T) {
	later, earlier := time.Hour, -time.Hour
	tests := []struct {
		name       string
		remember   int
		trustedIPs bool
		kind       storage.TrustKind
		owner      string        // whose trust record it is
		value      string        // the device token or address it names
		expiresIn  time.Duration // from now
		want       string
	}{
		{"remembered device", 30, false, storage.TrustRememberedDevice, "u1", "tok", later, "a remembered device"},
		{"remembered device, expired", 30, false, storage.TrustRememberedDevice, "u1", "tok", earlier, ""},
		{"remembered device, expiring now", 30, false, storage.TrustRememberedDevice, "u1", "tok", 0, ""},
		{"remembered device, remembering turned off", 0, false, storage.TrustRememberedDevice, "u1", "tok", later, ""},
		{"another user's remembered device", 30, false, storage.TrustRememberedDevice, "u2", "tok", later, ""},
		{"another browser's remembered device", 30, false, storage.TrustRememberedDevice, "u1", "other", later, ""},
		{"a known device is not a remembered one", 30, true, storage.TrustKnownDevice, "u1", "tok", later, ""},
		{"trusted address", 0, true, storage.TrustAddress, "u1", "192.0.2.7", later, "a trusted address"},
		{"trusted address, expired", 0, true, storage.TrustAddress, "u1", "192.0.2.7", earlier, ""},
		{"trusted address, trusted addresses off", 30, false, storage.TrustAddress, "u1", "192.0.2.7", later, ""},
		{"another address", 0, true, storage.TrustAddress, "u1", "192.0.2.8", later, ""},
		{"a known address is not a trusted one", 0, true, storage.TrustKnownAddress, "u1", "192.0.2.7", later, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTestCore(t)
			tc.RememberDays, tc.TrustedIPs = tt.remember, tt.trustedIPs
			tc.trust(t, tt.kind, tt.owner, tt.value, tc.now.Add(tt.expiresIn))
			got, err := tc.trustedReason(context.Background(), tc.withDevice(t, "tok"), "u1")
			if err != nil || got != tt.want {
				t.Errorf("trustedReason = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAfterSecondFactor(t *testing.T) {
	tests := []struct {
		name       string
		remember   bool
		days       int
		trustedIPs bool
		wantDevice time.Duration // the remembered device's lifetime, 0 for none
		wantAddr   bool
	}{
		{"nothing asked, nothing on", false, 30, false, 0, false},
		{"remember asked", true, 30, false, 30 * 24 * time.Hour, false},
		{"remember asked, remembering off", true, 0, false, 0, false},
		{"trusted addresses on", false, 30, true, 0, true},
		{"both", true, 7, true, 7 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			tc := newTestCore(t)
			tc.RememberDays, tc.TrustedIPs = tt.days, tt.trustedIPs
			w := httptest.NewRecorder()
			if err := tc.AfterSecondFactor(ctx, w, request(nil), "u1", "app", tt.remember); err != nil {
				t.Fatal(err)
			}
			tok := tc.DeviceToken(request(w))
			dev, err := tc.store.GetTrust(ctx, TrustID(storage.TrustRememberedDevice, "u1", tok))
			switch {
			case tt.wantDevice == 0 && (tok != "" || err == nil):
				t.Errorf("a device was remembered: token %q, %v", tok, dev)
			case tt.wantDevice != 0 && (tok == "" || err != nil):
				t.Fatalf("no remembered device: token %q, %v", tok, err)
			case tt.wantDevice != 0 && (!dev.ExpiresAt.Equal(tc.now.Add(tt.wantDevice)) || dev.UserID != "u1" || dev.Label != "Firefox on Linux"):
				t.Errorf("remembered device %+v, want it to expire after %s", dev, tt.wantDevice)
			}
			addr, err := tc.store.GetTrust(ctx, TrustID(storage.TrustAddress, "u1", "192.0.2.7"))
			switch {
			case !tt.wantAddr && err == nil:
				t.Errorf("the address was trusted: %+v", addr)
			case tt.wantAddr && err != nil:
				t.Fatalf("address not trusted: %v", err)
			case tt.wantAddr && !addr.ExpiresAt.Equal(tc.now.Add(trustedAddressLifetime)):
				t.Errorf("trusted address expires %s", addr.ExpiresAt)
			}
		})
	}
}

func TestNeedsDeviceConfirmation(t *testing.T) {
	pwd := []storage.FactorProof{{Method: "pwd"}}
	tests := []struct {
		name    string
		confirm bool
		codes   bool // EmailCodes set
		kind    Kind
		proven  []storage.FactorProof
		second  []string
		known   storage.TrustKind // a live record of this kind ("" for none)
		value   string
		want    bool
	}{
		{"new browser", true, true, KindAuthorize, pwd, nil, "", "", true},
		{"confirmation off", false, true, KindAuthorize, pwd, nil, "", "", false},
		{"no email codes", true, false, KindAuthorize, pwd, nil, "", "", false},
		{"account re-verification", true, true, KindAccount, pwd, nil, "", "", false},
		{"no password proven (a passkey)", true, true, KindAuthorize, []storage.FactorProof{{Method: "swk"}}, nil, "", "", false},
		{"a user with a second factor", true, true, KindAuthorize, pwd, []string{"otp"}, "", "", false},
		{"known device", true, true, KindAuthorize, pwd, nil, storage.TrustKnownDevice, "tok", false},
		{"known address", true, true, KindAuthorize, pwd, nil, storage.TrustKnownAddress, "192.0.2.7", false},
		{"another device known", true, true, KindAuthorize, pwd, nil, storage.TrustKnownDevice, "other", true},
		{"a remembered device is not a known one", true, true, KindAuthorize, pwd, nil, storage.TrustRememberedDevice, "tok", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTestCore(t)
			tc.ConfirmNewDevices = tt.confirm
			if tt.codes {
				tc.EmailCodes = &factor.Codes{}
			}
			if tt.known != "" {
				tc.trust(t, tt.known, "u1", tt.value, tc.now.Add(time.Hour))
			}
			f := Flow{storage.Flow{UserID: "u1", Kind: string(tt.kind), Proven: tt.proven}}
			got, err := tc.needsDeviceConfirmation(context.Background(), tc.withDevice(t, "tok"), f, Evaluation{SecondFactors: tt.second})
			if err != nil || got != tt.want {
				t.Errorf("needsDeviceConfirmation = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRememberKnownBrowser(t *testing.T) {
	ctx := context.Background()
	tc := newTestCore(t)
	w := httptest.NewRecorder()
	if err := tc.RememberKnownBrowser(ctx, w, request(nil), "u1"); err != nil {
		t.Fatal(err)
	}
	r := request(w)
	if known, err := tc.knownBrowser(ctx, r, "u1"); err != nil || !known {
		t.Fatalf("the browser is not known after confirming it: %v, %v", known, err)
	}
	if known, err := tc.knownBrowser(ctx, r, "u2"); err != nil || known {
		t.Errorf("known for another user: %v, %v", known, err)
	}
	for _, id := range []string{TrustID(storage.TrustKnownDevice, "u1", tc.DeviceToken(r)), TrustID(storage.TrustKnownAddress, "u1", "192.0.2.7")} {
		tr, err := tc.store.GetTrust(ctx, id)
		if err != nil || !tr.ExpiresAt.Equal(tc.now.Add(knownLifetime)) || tr.UserID != "u1" {
			t.Errorf("trust %+v, %v; want it for u1 until %s", tr, err, tc.now.Add(knownLifetime))
		}
	}
	tc.now = tc.now.Add(knownLifetime)
	if known, err := tc.knownBrowser(ctx, r, "u1"); err != nil || known {
		t.Errorf("still known when the records expire: %v, %v", known, err)
	}
}

func TestCurrentSession(t *testing.T) {
	tests := []struct {
		name      string
		disabled  bool
		noUser    bool
		expiresIn time.Duration
		seenAgo   time.Duration
		want      bool
		wantSeen  time.Duration // LastSeenAt after the read, before now
	}{
		{"live session", false, false, time.Hour, time.Minute, true, time.Minute},
		{"last use recorded when stale", false, false, time.Hour, touchEvery, true, 0},
		{"expired", false, false, 0, time.Minute, false, time.Minute},
		{"disabled user", true, false, time.Hour, time.Minute, false, time.Minute},
		{"deleted user", false, true, time.Hour, time.Minute, false, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			tc := newTestCore(t)
			if !tt.noUser {
				if err := tc.store.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com", Disabled: tt.disabled}); err != nil {
					t.Fatal(err)
				}
			}
			w := httptest.NewRecorder()
			if err := tc.Cookies.set(w, request(nil), keySessionToken, "token"); err != nil {
				t.Fatal(err)
			}
			err := tc.store.CreateSession(ctx, storage.Session{
				ID: HashToken("token"), UserID: "u1", CreatedAt: tc.now.Add(-time.Hour),
				ExpiresAt: tc.now.Add(tt.expiresIn), LastSeenAt: tc.now.Add(-tt.seenAgo),
			})
			if err != nil {
				t.Fatal(err)
			}
			sess, user, ok, err := tc.CurrentSession(ctx, request(w))
			if err != nil || ok != tt.want {
				t.Fatalf("CurrentSession ok = %v, %v; want %v", ok, err, tt.want)
			}
			if ok && (user.ID != "u1" || sess.UserID != "u1") {
				t.Errorf("session %+v of user %+v", sess, user)
			}
			stored, err := tc.store.GetSession(ctx, HashToken("token"))
			if err != nil || !stored.LastSeenAt.Equal(tc.now.Add(-tt.wantSeen)) {
				t.Errorf("last seen %s, %v; want %s ago", stored.LastSeenAt, err, tt.wantSeen)
			}
			if ok && !sess.LastSeenAt.Equal(stored.LastSeenAt) {
				t.Errorf("the session read says last seen %s, the store %s", sess.LastSeenAt, stored.LastSeenAt)
			}
			if none, _, ok, err := tc.CurrentSession(ctx, request(nil)); ok || err != nil || none.ID != "" {
				t.Errorf("no cookie: %+v, %v, %v", none, ok, err)
			}
		})
	}
}

// failingStore is the memory store whose audit and session-touch writes fail.
type failingStore struct {
	*memory.Store
}

var errWrite = errors.New("write failed")

func (failingStore) AppendAudit(context.Context, storage.AuditEvent) error { return errWrite }

func (failingStore) TouchSession(context.Context, string, time.Time) error { return errWrite }

// A failed audit append or last-use update is logged and nothing else: the
// request goes on (and a successful one logs nothing).
func TestBestEffortWritesLogged(t *testing.T) {
	ctx := context.Background()
	for _, fail := range []bool{false, true} {
		tc := newTestCore(t)
		var logged bytes.Buffer
		tc.Log = slog.New(slog.NewTextHandler(&logged, nil))
		if fail {
			tc.Store = failingStore{tc.store}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(tc.store.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com"}))
		must(tc.store.CreateSession(ctx, storage.Session{ID: HashToken("token"), UserID: "u1", ExpiresAt: tc.now.Add(time.Hour), LastSeenAt: tc.now.Add(-time.Hour)}))
		w := httptest.NewRecorder()
		must(tc.Cookies.set(w, request(nil), keySessionToken, "token"))

		tc.Audit(ctx, request(nil), "test.event", "u1", "", nil)
		events, err := tc.store.ListAudit(ctx, storage.AuditFilter{UserID: "u1"})
		must(err)
		sess, _, ok, err := tc.CurrentSession(ctx, request(w))
		if err != nil || !ok {
			t.Fatalf("fail=%v: the session is lost when its last use cannot be recorded: %v, %v", fail, ok, err)
		}
		touched := sess.LastSeenAt.Equal(tc.now)
		out := logged.String()
		if fail != strings.Contains(out, "audit append failed") || fail != strings.Contains(out, "last use not recorded") ||
			fail == (len(events) == 1) || fail == touched {
			t.Errorf("fail=%v: %d events stored, last seen now: %v, log %q", fail, len(events), touched, out)
		}
	}
}

// A privilege change gives the browser a new session under a new token (never
// the one from before) and ends the previous one; the new session keeps the
// previous proofs only when they are the same user's (SECURITY-TESTS 22, 23).
func TestUpgradeAndEndSession(t *testing.T) {
	earlier := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		previous string // the previous session's user
		want     []string
	}{
		{"same user: proofs kept", "u1", []string{"pwd", "otp"}},
		{"another user's session: nothing kept", "u2", []string{"otp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			tc := newTestCore(t)
			tc.SessionLifetime = time.Hour
			for _, id := range []string{"u1", "u2"} {
				if err := tc.store.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com"}); err != nil {
					t.Fatal(err)
				}
			}
			prev := storage.Session{ID: HashToken("before"), UserID: tt.previous, CreatedAt: earlier, ExpiresAt: tc.now.Add(time.Hour),
				Factors: []storage.FactorProof{{Method: "pwd", At: earlier}}}
			if err := tc.store.CreateSession(ctx, prev); err != nil {
				t.Fatal(err)
			}
			w0 := httptest.NewRecorder()
			if err := tc.Cookies.set(w0, request(nil), keySessionToken, "before"); err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			sess, err := tc.UpgradeSession(ctx, w, request(w0), "u1", &prev, []storage.FactorProof{{Method: "otp", At: tc.now}})
			if err != nil {
				t.Fatal(err)
			}
			token := tc.Cookies.SessionToken(request(w))
			if token == "" || token == "before" || sess.ID != HashToken(token) || sess.UserID != "u1" || !sess.ExpiresAt.Equal(tc.now.Add(time.Hour)) {
				t.Fatalf("new session %+v under cookie token %q", sess, token)
			}
			var methods []string
			for _, p := range sess.Factors {
				methods = append(methods, p.Method)
			}
			if !slices.Equal(methods, tt.want) {
				t.Errorf("factors %v, want %v", methods, tt.want)
			}
			if _, err := tc.store.GetSession(ctx, prev.ID); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the previous session lives on: %v", err)
			}
			stored, err := tc.store.GetSession(ctx, sess.ID)
			if err != nil || stored.UserID != "u1" {
				t.Fatalf("the new session is not stored: %v", err)
			}

			// Logout ends it on the server, not only in the cookie.
			wOut := httptest.NewRecorder()
			ended, found, err := tc.EndSession(ctx, wOut, request(w))
			if err != nil || !found || ended.ID != sess.ID {
				t.Fatalf("EndSession = %+v, %v, %v", ended, found, err)
			}
			if _, err := tc.store.GetSession(ctx, sess.ID); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the session lives on after logout: %v", err)
			}
			if _, _, ok, err := tc.CurrentSession(ctx, request(w)); ok || err != nil {
				t.Errorf("the old cookie still signs in: %v, %v", ok, err)
			}
			if tok := tc.Cookies.SessionToken(request(wOut)); tok != "" {
				t.Errorf("the cookie still holds a session token after logout")
			}
		})
	}
}
