package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
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

	// The newcomer, in the same browser as the banner says, is asked at once to
	// protect their account: the demo organisation requires a second factor.
	_, body = get(cfg.Issuer + "/")
	if !strings.Contains(body, devNewcomerEmail) {
		t.Errorf("the home page does not show the newcomer")
	}
	_, body = get(cfg.Issuer + "/demo?prompt=login")
	resp, body = post(cfg.Issuer+"/login", url.Values{"flow": {flowOf(body)}, "email": {devNewcomerEmail}, "password": {devNewcomerPassword}})
	if !strings.Contains(body, `action="/enrol/protect"`) || !strings.Contains(body, "Protect your account") ||
		!strings.Contains(body, fmt.Sprintf("%d days left", devOrgGraceDays)) {
		t.Fatalf("the newcomer did not meet the interrupt: %s %.800s", resp.Request.URL, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDevSeed: the demo data holds the demo organisation at level high for its
// company-users, the newcomer in it without a second factor and with a deadline,
// and the demo user in no organisation; seeding again changes nothing.
func TestDevSeed(t *testing.T) {
	ctx := t.Context()
	cfg, err := configs.Load("", func(k string) string { return devDefaults[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Secret = randomSecret()
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 8*1024, 1
	store := memory.New()
	if err := seedDemo(ctx, cfg, store); err != nil {
		t.Fatal(err)
	}
	o, err := store.GetOrganisation(ctx, devOrgID)
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: []string{"company-users"}, GraceDays: 5}
	if o.Name != "Demo Company" || !slices.Equal(o.Groups, orgs.DefaultGroups()) || !reflect.DeepEqual(o.Policy, wantPolicy) {
		t.Fatalf("demo organisation = %+v", o)
	}
	n, err := store.GetUserByEmail(ctx, devNewcomerEmail)
	if err != nil {
		t.Fatal(err)
	}
	if n.OrgID != devOrgID || !slices.Equal(n.Groups, []string{"company-users"}) || !orgs.Covered(o, n) ||
		!n.MFADeadline.Equal(n.CreatedAt.Add(5*24*time.Hour)) {
		t.Fatalf("newcomer = %+v", n)
	}
	if f, err := store.SummarizeFactors(ctx, n.ID); err != nil || f != (storage.FactorSummary{}) {
		t.Fatalf("the newcomer has factors: %+v %v", f, err)
	}
	u, err := store.GetUserByEmail(ctx, devUserEmail)
	if err != nil || u.OrgID != "" || !u.MFADeadline.IsZero() {
		t.Fatalf("demo user = %+v %v", u, err)
	}
	if ok, err := store.IsPlatformAdmin(ctx, u.ID); err != nil || !ok {
		t.Fatalf("the demo user is no platform administrator: %v %v", ok, err)
	}
	events, err := store.ListAudit(ctx, storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		if e.Detail["actor"] != devActor {
			t.Errorf("audit event %s by %q", e.Type, e.Detail["actor"])
		}
		types = append(types, e.Type)
	}
	slices.Sort(types)
	if want := []string{admin.EventAdminGranted, orgs.EventCreated, orgs.EventPolicyChanged, orgs.EventUserOrgChanged}; !slices.Equal(types, want) {
		t.Errorf("audit events %q, want %q", types, want)
	}

	if err := seedDemo(ctx, cfg, store); err != nil {
		t.Fatalf("seeding again: %v", err)
	}
	if again, _ := store.GetUserByEmail(ctx, devNewcomerEmail); !reflect.DeepEqual(again, n) {
		t.Errorf("seeding again changed the newcomer: %+v", again)
	}
	if all, _ := store.ListPlatformAdmins(ctx); len(all) != 1 {
		t.Errorf("%d platform administrators after seeding twice", len(all))
	}
	if all, _ := store.ListOrganisations(ctx); len(all) != 1 {
		t.Errorf("%d organisations after seeding twice", len(all))
	}
}

// TestDevBanner: cmd/lockstep-bench still finds the demo user and client in the
// banner (this is its pattern), and the banner says how to meet the newcomer.
func TestDevBanner(t *testing.T) {
	banner := devBanner("http://localhost:8080")
	m := regexp.MustCompile(`Demo user +(\S+) / (\S+)\n +Demo client +(\S+) / (\S+)\n`).FindStringSubmatch(banner)
	if m == nil || m[1] != devUserEmail || m[2] != devUserPassword || m[3] != devClientID || m[4] != devClientSecret {
		t.Fatalf("the bench's pattern finds %q in:\n%s", m, banner)
	}
	for _, want := range []string{devNewcomerEmail + " / " + devNewcomerPassword, "Demo Company", "http://localhost:8080/demo?prompt=login", "Protect your account",
		"http://localhost:8080/admin ", "platform administrator", "http://localhost:8080/admin/api/v1"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner does not say %q:\n%s", want, banner)
		}
	}
}
