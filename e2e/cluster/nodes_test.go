package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage/postgres"
)

// keyPublicationBound is how long a key rotated by the CLI may take to be published
// by every node: the key manager's 30-second cache plus slack (README, Operations).
const keyPublicationBound = 40 * time.Second

// node is one `lockstep serve` process.
type node struct{ URL string }

// buildLockstep builds cmd/lockstep once into a temporary directory.
func buildLockstep(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lockstep")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/lockstep-id/lockstep/cmd/lockstep")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startNode runs `lockstep serve` with the shared issuer, secret and database, on
// its own port, and waits until /readyz answers.
func startNode(t *testing.T, bin string, env []string, args ...string) *node {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = append(append(os.Environ(), env...), "LOCKSTEP_LISTEN=127.0.0.1:"+strconv.Itoa(port))
	logf, err := os.Create(filepath.Join(t.TempDir(), "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	n := &node{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(n.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("node on %d not ready: %v\n%s", port, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// apiClient is the back channel's client: no answer may take longer than the
// request deadline.
var apiClient = &http.Client{Timeout: requestDeadline}

func postForm(t *testing.T, u, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s (must answer within %v): %v", u, requestDeadline, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func kids(t *testing.T, n *node) map[string]bool {
	t.Helper()
	resp, err := http.Get(n.URL + idp.PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, k := range set.Keys {
		out[k.Kid] = true
	}
	return out
}

// pair is two nodes on one database, with what the tests need to drive them.
type pair struct {
	bin    string
	env    []string
	issuer string
	store  *postgres.Store
	a, b   *node
}

// startPair starts a throwaway cluster, migrates it with the CLI and starts two
// `lockstep serve` nodes on it with the same issuer and secret (configFile, when
// not "", is their --config).
func startPair(t *testing.T, configFile string) *pair {
	t.Helper()
	ctx := context.Background()
	pg := newCluster(t)
	p := &pair{bin: buildLockstep(t), issuer: "http://127.0.0.1:" + strconv.Itoa(freePort(t))}
	p.env = []string{"LOCKSTEP_DSN=" + pg.DSN(), "LOCKSTEP_SECRET=" + testSecret, "LOCKSTEP_ISSUER=" + p.issuer}
	migrate := exec.Command(p.bin, "migrate")
	migrate.Env = append(os.Environ(), p.env...)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("lockstep migrate: %v\n%s", err, out)
	}
	store, err := postgres.Open(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	p.store = store
	var args []string
	if configFile != "" {
		args = []string{"--config", configFile}
	}
	p.a, p.b = startNode(t, p.bin, p.env, args...), startNode(t, p.bin, p.env, args...)
	return p
}

func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	p := startPair(t, "")
	bin, env, store, a, b := p.bin, p.env, p.store, p.a, p.b
	c, secret, err := admin.CreateClient(ctx, store, idp.ClientSecretHasher(testSecret), admin.ClientSpec{
		Name: "Service", RedirectURIs: []string{"http://127.0.0.1:1/callback"},
		GrantTypes: []string{"client_credentials"},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a token from A is known to B and revoked on B is dead on A", func(t *testing.T) {
		st, tok := postForm(t, a.URL+idp.PathToken, c.ID, secret, url.Values{"grant_type": {"client_credentials"}})
		if st != http.StatusOK {
			t.Fatalf("token on A: %d %v", st, tok)
		}
		access, _ := tok["access_token"].(string)
		st, in := postForm(t, b.URL+idp.PathIntrospect, c.ID, secret, url.Values{"token": {access}})
		if st != http.StatusOK || in["active"] != true {
			t.Fatalf("introspection on B: %d %v", st, in)
		}
		if st, body := postForm(t, b.URL+idp.PathRevoke, c.ID, secret, url.Values{"token": {access}}); st != http.StatusOK {
			t.Fatalf("revocation on B: %d %v", st, body)
		}
		st, in = postForm(t, a.URL+idp.PathIntrospect, c.ID, secret, url.Values{"token": {access}})
		if st != http.StatusOK || in["active"] != false {
			t.Fatalf("introspection on A after revocation on B: %d %v", st, in)
		}
	})

	t.Run("a key rotated by the CLI is published by both nodes within the bound", func(t *testing.T) {
		before := kids(t, a)
		for k := range kids(t, b) {
			before[k] = true
		}
		rotate := exec.Command(bin, "keys", "rotate")
		rotate.Env = append(os.Environ(), env...)
		if out, err := rotate.CombinedOutput(); err != nil {
			t.Fatalf("lockstep keys rotate: %v\n%s", err, out)
		}
		deadline := time.Now().Add(keyPublicationBound)
		for _, n := range []*node{a, b} {
			for {
				fresh := false
				for k := range kids(t, n) {
					fresh = fresh || !before[k]
				}
				if fresh {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s does not publish the rotated key after %v", n.URL, keyPublicationBound)
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	})
}
