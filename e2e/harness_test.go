package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

// backends runs f once per storage backend.
func backends(t *testing.T, f func(t *testing.T, newStore func(t *testing.T) storage.Storage)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(t *testing.T) storage.Storage { return memory.New() })
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, func(t *testing.T) storage.Storage { return pgtest.NewStore(t) })
	})
}

// server is a running Lockstep with one confidential client, one public client and
// one user.
type server struct {
	t      testing.TB
	URL    string // the issuer
	Store  storage.Storage
	Srv    *app.Server
	Config configs.Config
	// Clock is Lockstep's clock. It runs with real time, at an offset a test may set.
	Clock *testClock

	ClientID, ClientSecret, RedirectURI string
	PublicID, PublicRedirect            string
	FirstPartyID, FirstPartySecret      string
	Email, Password                     string
	UserID                              string
}

const testSecret = "e2e-test-secret-0123456789abcdefghijklmnop"

// fastPasswords keeps argon2id cheap in tests; the real parameters are measured by
// the benchmark.
func fastPasswords(c *configs.Config) {
	c.Password.MemoryKiB, c.Password.Iterations, c.Password.Parallelism = 8*1024, 1, 1
}

// startServer builds and starts Lockstep on a loopback port.
func startServer(t testing.TB, store storage.Storage, tweak ...func(*configs.Config)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	cfg := configs.Default()
	cfg.Issuer, cfg.Secret, cfg.DSN = issuer, testSecret, "memory"
	fastPasswords(&cfg)
	for _, f := range tweak {
		f(&cfg)
	}
	issuer = cfg.Issuer
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	ctx := context.Background()
	clock := &testClock{}
	built, err := app.Build(ctx, cfg, store, log, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(built.Handler)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)

	s := &server{t: t, URL: issuer, Store: store, Srv: built, Config: cfg, Clock: clock,
		RedirectURI: "http://127.0.0.1:1/callback", PublicRedirect: "http://127.0.0.1:2/callback",
		Email: "alice@example.com", Password: "correct horse battery staple"}
	now := time.Now()
	hasher := idp.ClientSecretHasher(cfg.Secret)
	c, secret, err := admin.CreateClient(ctx, store, hasher, admin.ClientSpec{
		Name: "Test App", RedirectURIs: []string{s.RedirectURI}, PostLogoutRedirectURIs: []string{"http://127.0.0.1:1/bye"},
		GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	s.ClientID, s.ClientSecret = c.ID, secret
	pc, _, err := admin.CreateClient(ctx, store, hasher, admin.ClientSpec{
		Name: "Public App", RedirectURIs: []string{s.PublicRedirect}, Public: true,
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	s.PublicID = pc.ID
	fc, fsecret, err := admin.CreateClient(ctx, store, hasher, admin.ClientSpec{
		Name: "First Party", RedirectURIs: []string{s.RedirectURI}, FirstParty: true,
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	s.FirstPartyID, s.FirstPartySecret = fc.ID, fsecret
	u, err := admin.CreateUser(ctx, store, app.PasswordHasher(cfg.Password), admin.UserSpec{
		Email: s.Email, Password: s.Password, GivenName: "Alice", FamilyName: "Liddell",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	s.UserID = u.ID
	return s
}

// testClock is real time shifted by an offset. Tests that need new TOTP time steps
// first move it an hour back and then forward in 30-second steps: Lockstep's own
// times stay in the past of the real clock, which fosite compares some of them with.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// onLocalhost puts the issuer on "localhost": WebAuthn needs a domain, not an IP
// address, as its relying party.
func onLocalhost(c *configs.Config) {
	c.Issuer = strings.Replace(c.Issuer, "127.0.0.1", "localhost", 1)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// browser is a cookie-keeping HTTP client that does not follow redirects, so a
// test sees every hop as a person's browser would take it.
type browser struct {
	t      testing.TB
	client *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}
