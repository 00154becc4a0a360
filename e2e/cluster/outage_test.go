package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage/postgres"
)

const testSecret = "outage-test-secret-0123456789abcdefghijklmnop"

// requestDeadline is how long any request may take during the outage: the pool's
// connect timeout (2 s in the DSN) plus slack, well under a client's patience.
const requestDeadline = 10 * time.Second

// outageServer is Lockstep in this process on a throwaway cluster the test can
// stop and start.
type outageServer struct {
	pg     *cluster
	store  *postgres.Store
	issuer string
	cfg    configs.Config
}

func startOutageServer(t *testing.T) *outageServer {
	t.Helper()
	ctx := context.Background()
	pg := newCluster(t)
	if err := postgres.Migrate(ctx, pg.DSN()); err != nil {
		t.Fatal(err)
	}
	store, err := postgres.Open(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })

	hs := httptest.NewUnstartedServer(nil)
	issuer := "http://" + hs.Listener.Addr().String()
	cfg := configs.Default()
	cfg.Issuer, cfg.Secret, cfg.DSN = issuer, testSecret, pg.DSN()
	cfg.Password.MemoryKiB, cfg.Password.Iterations, cfg.Password.Parallelism = 8*1024, 1, 1
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// The server's errors are shown when the test fails.
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server errors:\n%s", logs.errors())
		}
	})
	built, err := app.Build(ctx, cfg, store, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError})), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = built.Handler
	hs.Start()
	t.Cleanup(hs.Close)
	return &outageServer{pg: pg, store: store, issuer: issuer, cfg: cfg}
}

func TestStoreOutage(t *testing.T) {
	ctx := context.Background()
	srv := startOutageServer(t)
	pg, store, issuer, cfg := srv.pg, srv.store, srv.issuer, srv.cfg
	c, secret, err := admin.CreateClient(ctx, store, idp.ClientSecretHasher(cfg.Secret), admin.ClientSpec{
		Name: "Service", RedirectURIs: []string{"http://127.0.0.1:1/callback"},
		GrantTypes: []string{"client_credentials"},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	authorize := issuer + idp.PathAuthorize + "?" + url.Values{
		"client_id": {c.ID}, "response_type": {"code"}, "scope": {"openid"},
		"redirect_uri": {"http://127.0.0.1:1/callback"}, "state": {"state-123456"},
	}.Encode()
	hc := &http.Client{Timeout: requestDeadline,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := func() (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, issuer+idp.PathToken,
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(secret))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("token request (must answer within %v): %v", requestDeadline, err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET %s (must answer within %v): %v", u, requestDeadline, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if st, body := token(); st != http.StatusOK {
		t.Fatalf("before the outage: token %d %v", st, body)
	}
	if st, _ := get(issuer + "/readyz"); st != http.StatusOK {
		t.Fatalf("before the outage: readyz %d", st)
	}

	pg.stop()

	t.Run("during", func(t *testing.T) {
		tests := []struct {
			name  string
			check func(t *testing.T)
		}{
			{"token answers 503 temporarily_unavailable", func(t *testing.T) {
				st, body := token()
				if st != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
					t.Fatalf("token: %d %v, want 503 temporarily_unavailable", st, body)
				}
			}},
			{"the sign-in page says try again shortly", func(t *testing.T) {
				st, body := get(authorize)
				if st != http.StatusServiceUnavailable || !strings.Contains(body, "try again shortly") {
					t.Fatalf("authorize: %d, want 503 with a try-again page:\n%s", st, body)
				}
				if strings.Contains(body, "pgconn") || strings.Contains(body, "dial tcp") {
					t.Fatalf("the page shows internals:\n%s", body)
				}
			}},
			{"readyz is not ready", func(t *testing.T) {
				if st, _ := get(issuer + "/readyz"); st != http.StatusServiceUnavailable {
					t.Fatalf("readyz: %d, want 503", st)
				}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, tt.check)
		}
	})

	pg.start()

	// The same process serves again without a restart once the pool reconnects.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, body := token()
		if st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the outage: token still %d %v", st, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st, _ := get(issuer + "/readyz"); st != http.StatusOK {
		t.Fatalf("after the outage: readyz %d", st)
	}
}

// lockedBuffer is a log the server writes from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) errors() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
