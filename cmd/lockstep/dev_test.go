package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// TestDevDemoApp runs dev mode's wiring (demo data, the demo app mounted beside
// Lockstep) and signs in through the demo app as a newcomer would.
func TestDevDemoApp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"LOCKSTEP_ISSUER": "http://" + addr, "LOCKSTEP_LISTEN": addr}
	cfg, err := configs.Load("", func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return devDefaults[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Secret = randomSecret()
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 8*1024, 1
	store := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)), func(string) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("dev server did not start")
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(u string) (*http.Response, string) {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(u string, form url.Values) (*http.Response, string) {
		resp, err := c.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	flowOf := func(body string) string {
		m := regexp.MustCompile(`name="flow" value="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no flow in page: %.300s", body)
		}
		return m[1]
	}

	_, body := get(cfg.Issuer + "/")
	if !strings.Contains(body, devUserEmail) || !strings.Contains(body, devClientID) {
		t.Fatalf("the home page does not show the demo credentials")
	}
	_, body = get(cfg.Issuer + "/demo")
	_, body = post(cfg.Issuer+"/login", url.Values{"flow": {flowOf(body)}, "email": {devUserEmail}, "password": {devUserPassword}})
	resp, body := post(cfg.Issuer+"/consent", url.Values{"flow": {flowOf(body)}, "decision": {"allow"}})
	if resp.Request.URL.Path != "/demo/callback" || !strings.Contains(body, `&#34;acr&#34;: &#34;urn:lockstep:acr:pwd&#34;`) {
		t.Fatalf("the demo app did not show the ID token: %s %.500s", resp.Request.URL, body)
	}
	if resp, body := get(cfg.Issuer + "/dev/outbox"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Outbox") {
		t.Fatalf("dev outbox: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
