package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage/postgres"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

const cliSecret = "cli-test-secret-0123456789abcdefghijklmn"

// cli runs the command line as a user would, against the database dsn.
func cli(t *testing.T, dsn, stdin string, args ...string) (string, string, error) {
	t.Helper()
	t.Setenv("LOCKSTEP_DSN", dsn)
	t.Setenv("LOCKSTEP_SECRET", cliSecret)
	t.Setenv("LOCKSTEP_ISSUER", "http://127.0.0.1:8080")
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestClientsCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)

	out, _, err := cli(t, dsn, "", "clients", "create", "--name", "Shop", "--id", "shop",
		"--redirect-uri", "https://shop.example/cb", "--redirect-uri", "https://shop.example/cb2",
		"--post-logout-redirect-uri", "https://shop.example/", "--scope", "openid", "--scope", "email", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var created clientJSON
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create output %q: %v", out, err)
	}
	if created.ID != "shop" || len(created.Secret) < 43 || len(created.RedirectURIs) != 2 {
		t.Fatalf("created = %+v", created)
	}

	// The secret is stored as a keyed hash, never in clear, and works for client auth.
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetClient(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(c.SecretHash, []byte(created.Secret)) || len(c.SecretHash) != 32 {
		t.Fatalf("secret stored as %q", c.SecretHash)
	}
	if err := idp.ClientSecretHasher(cliSecret).Compare(context.Background(), c.SecretHash, []byte(created.Secret)); err != nil {
		t.Fatalf("stored hash does not match the printed secret: %v", err)
	}

	// Bad input: a clear error and nothing changed.
	for name, args := range map[string][]string{
		"short secret":   {"--name", "X", "--redirect-uri", "https://x.example/cb", "--secret", "too-short"},
		"http redirect":  {"--name", "X", "--redirect-uri", "http://x.example/cb"},
		"no name":        {"--redirect-uri", "https://x.example/cb"},
		"duplicate id":   {"--name", "X", "--id", "shop", "--redirect-uri", "https://x.example/cb"},
		"public with cc": {"--name", "X", "--public", "--grant-type", "client_credentials"},
	} {
		if _, _, err := cli(t, dsn, "", append([]string{"clients", "create"}, args...)...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	list, _, err := cli(t, dsn, "", "clients", "list")
	if err != nil || strings.Count(list, "\n") != 2 || !strings.Contains(list, "shop") {
		t.Fatalf("list after bad input = %q, %v", list, err)
	}

	out, _, err = cli(t, dsn, "", "clients", "create", "--name", "Own", "--secret", strings.Repeat("s", 32),
		"--grant-type", "client_credentials")
	if err != nil || !strings.Contains(out, "client_secret: "+strings.Repeat("s", 32)) {
		t.Fatalf("create with --secret: %q %v", out, err)
	}

	out, _, err = cli(t, dsn, "", "clients", "rotate-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	newSecret := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(out, "\n", 2)[0], "client_secret:"))
	c2, _ := st.GetClient(context.Background(), "shop")
	if bytes.Equal(c2.SecretHash, c.SecretHash) || idp.ClientSecretHasher(cliSecret).Compare(context.Background(), c2.SecretHash, []byte(newSecret)) != nil {
		t.Fatal("rotate-secret did not replace the secret")
	}

	// Assurance settings, at creation and by update; bad values change nothing.
	out, _, err = cli(t, dsn, "", "clients", "create", "--name", "Bank", "--id", "bank", "--redirect-uri", "https://bank.example/cb",
		"--min-acr", "urn:lockstep:acr:mfa", "--max-auth-age", "12h", "--access-token-format", "jwt", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var bank clientJSON
	if err := json.Unmarshal([]byte(out), &bank); err != nil || bank.MinACR != "urn:lockstep:acr:mfa" || bank.MaxAuthAgeSeconds != 12*3600 || bank.AccessTokenFormat != "jwt" {
		t.Fatalf("bank = %+v %v", bank, err)
	}
	if _, _, err := cli(t, dsn, "", "clients", "update", "bank", "--min-acr", "gold"); err == nil {
		t.Fatal("an unknown acr was accepted")
	}
	if _, _, err := cli(t, dsn, "", "clients", "update", "bank", "--default-acr", "urn:lockstep:acr:mfa", "--max-auth-age", "5m", "--name", "Big Bank"); err != nil {
		t.Fatal(err)
	}
	b, err := st.GetClient(context.Background(), "bank")
	if err != nil || b.MinACR != "urn:lockstep:acr:mfa" || b.MaxAuthAge != 5*time.Minute || b.Name != "Big Bank" ||
		len(b.DefaultACRValues) != 1 || b.AccessTokenFormat != "jwt" || len(b.RedirectURIs) != 1 {
		t.Fatalf("after update: %+v %v", b, err)
	}
	if _, _, err := cli(t, dsn, "", "clients", "update", "bank", "--id-token-alg", "HS256"); err == nil {
		t.Fatal("an ID token algorithm other than RS256 or ES256 was accepted")
	}
	// The client id may also come after the flags.
	if _, _, err := cli(t, dsn, "", "clients", "update", "--id-token-alg", "ES256", "bank"); err != nil {
		t.Fatal(err)
	}
	if b, _ := st.GetClient(context.Background(), "bank"); b.IDTokenAlg != "ES256" || b.Name != "Big Bank" {
		t.Fatalf("after --id-token-alg: %+v", b)
	}
	if _, _, err := cli(t, dsn, "", "clients", "update", "bank", "--min-acr", ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := st.GetClient(context.Background(), "bank"); b.MinACR != "" || b.MaxAuthAge != 5*time.Minute {
		t.Fatalf("clearing the minimum: %+v", b)
	}
	if _, _, err := cli(t, dsn, "", "clients", "update", "nobody", "--name", "x"); err == nil || !strings.Contains(err.Error(), "no client") {
		t.Fatalf("update of an unknown client: %v", err)
	}

	out, _, err = cli(t, dsn, "", "clients", "get", "shop")
	if err != nil || !strings.Contains(out, `"client_id": "shop"`) || strings.Contains(out, "client_secret") {
		t.Fatalf("get = %q %v", out, err)
	}
	if _, _, err := cli(t, dsn, "", "clients", "delete", "shop"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, dsn, "", "clients", "get", "shop"); err == nil || !strings.Contains(err.Error(), "no client") {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestUsersCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	if _, _, err := cli(t, dsn, "", "users", "create", "--email", "bob@example.com"); err == nil {
		t.Fatal("a password on the command line, or none, must be refused")
	}
	out, _, err := cli(t, dsn, "a long enough password\n", "users", "create", "--email", "Bob@Example.com",
		"--password-stdin", "--given-name", "Bob", "--family-name", "Builder")
	if err != nil || !strings.Contains(out, "bob@example.com") {
		t.Fatalf("create: %q %v", out, err)
	}
	if _, _, err := cli(t, dsn, "another password\n", "users", "create", "--email", "bob@example.com", "--password-stdin"); err == nil {
		t.Fatal("duplicate email accepted")
	}
	if _, _, err := cli(t, dsn, "short\n", "users", "create", "--email", "carol@example.com", "--password-stdin"); err == nil {
		t.Fatal("short password accepted")
	}
	if _, _, err := cli(t, dsn, "long enough password\n", "users", "create", "--email", "not-an-email", "--password-stdin"); err == nil {
		t.Fatal("bad email accepted")
	}

	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUserByEmail(context.Background(), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(u.PasswordHash, "long enough") {
		t.Fatalf("password stored as %q", u.PasswordHash)
	}

	if _, _, err := cli(t, dsn, "", "users", "disable", "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	list, _, err := cli(t, dsn, "", "users", "list")
	if err != nil || !strings.Contains(list, "disabled") || !strings.Contains(list, "Bob Builder") {
		t.Fatalf("list = %q %v", list, err)
	}
	if _, _, err := cli(t, dsn, "", "users", "disable", "nobody@example.com"); err == nil {
		t.Fatal("disabling an unknown user succeeded")
	}
}

func TestKeysRotateCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	for range 2 {
		if out, _, err := cli(t, dsn, "", "keys", "rotate"); err != nil || !strings.Contains(out, "rotated") {
			t.Fatalf("keys rotate: %q %v", out, err)
		}
	}
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active++
		}
		if bytes.Contains(k.PrivateEnc, []byte("PRIVATE")) {
			t.Fatal("private key stored in clear")
		}
	}
	// First start creates two keys, each rotation two more; only the newest pair signs.
	if len(keys) != 6 || active != 2 {
		t.Fatalf("%d keys, %d active", len(keys), active)
	}
}

func TestServeRefusesInsecureConfig(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"http issuer":    {"LOCKSTEP_ISSUER": "http://id.example.com", "LOCKSTEP_SECRET": cliSecret},
		"short secret":   {"LOCKSTEP_ISSUER": "https://id.example.com", "LOCKSTEP_SECRET": "short"},
		"missing secret": {"LOCKSTEP_ISSUER": "https://id.example.com", "LOCKSTEP_SECRET": ""},
		"no issuer":      {"LOCKSTEP_ISSUER": "", "LOCKSTEP_SECRET": cliSecret},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LOCKSTEP_DSN", "memory")
			t.Setenv("LOCKSTEP_DEV", "")
			for k, v := range env {
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"serve"}, strings.NewReader(""), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), "configuration refused") {
				t.Fatalf("serve started with an insecure config: %v", err)
			}
			if strings.Contains(err.Error(), cliSecret) {
				t.Fatal("the error shows the secret")
			}
		})
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	t.Setenv("LOCKSTEP_DSN", pgtest.NewDatabase(t))
	t.Setenv("LOCKSTEP_SECRET", cliSecret)
	t.Setenv("LOCKSTEP_ISSUER", "http://127.0.0.1:18089")
	t.Setenv("LOCKSTEP_LISTEN", "127.0.0.1:18089")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errOut bytes.Buffer
	go func() { done <- run(ctx, []string{"serve"}, strings.NewReader(""), &out, &errOut) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:18089/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server never became ready: %v\n%s", err, errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(errOut.String(), "shutting down") {
		t.Errorf("no shutdown log: %s", errOut.String())
	}
}
