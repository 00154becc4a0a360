package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

// TestLogosCLI: clients update --logo/--remove-logo and orgs brand set what the
// pages show, audited with the actor cli; a file that is no image changes nothing.
func TestLogosCLI(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	dir := t.TempDir()
	svg := filepath.Join(dir, "logo.svg")
	fake := filepath.Join(dir, "fake.png")
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="4"/></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, []byte("<html><script>alert(1)</script></html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dsn, "", "clients", "create", "--name", "Shop", "--id", "shop", "--redirect-uri", "https://shop.example/cb")
	mustCLI(t, dsn, "", "clients", "update", "shop", "--logo", svg)
	st := openTestStore(t, dsn)
	c, err := st.GetClient(ctx, "shop")
	if err != nil || c.LogoSum == "" {
		t.Fatalf("client after --logo: %+v, %v", c, err)
	}
	if _, errOut, err := cli(t, dsn, "", "clients", "update", "shop", "--name", "Shop 2", "--logo", fake); err == nil {
		t.Fatalf("a fake PNG was accepted: %s", errOut)
	} else if !strings.Contains(err.Error(), "not a PNG, JPEG, WebP or SVG") {
		t.Errorf("refusal: %v", err)
	}
	if got, _ := st.GetClient(ctx, "shop"); got.Name != "Shop" || got.LogoSum != c.LogoSum {
		t.Errorf("a refused logo changed the client: %+v", got)
	}
	mustCLI(t, dsn, "", "clients", "update", "shop", "--remove-logo")
	if _, err := st.GetLogo(ctx, storage.LogoClient, "shop"); err == nil {
		t.Error("the logo stayed after --remove-logo")
	}

	mustCLI(t, dsn, "", "orgs", "create", "--name", "Acme", "--id", "acme")
	out := mustCLI(t, dsn, "", "orgs", "brand", "acme", "--brand-name", "Acme Portal", "--logo", svg)
	if !strings.Contains(out, "brand name Acme Portal") || !strings.Contains(out, "/static/logos/org/acme?v=") {
		t.Errorf("orgs brand said %q", out)
	}
	o, err := st.GetOrganisation(ctx, "acme")
	if err != nil || o.BrandName != "Acme Portal" || o.LogoSum == "" {
		t.Fatalf("organisation after orgs brand: %+v, %v", o, err)
	}
	if _, _, err := cli(t, dsn, "", "orgs", "brand", "acme"); err == nil {
		t.Error("orgs brand without a flag was accepted")
	}
	mustCLI(t, dsn, "", "orgs", "brand", "acme", "--remove-logo", "--brand-name", "")

	var types []string
	for _, q := range []storage.AuditQuery{{ClientID: "shop"}, {OrgID: "acme"}} {
		events, err := st.QueryAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Detail["actor"] != cliActor {
				t.Errorf("%s by %q", e.Type, e.Detail["actor"])
			}
			types = append(types, e.Type)
		}
	}
	want := []string{admin.EventClientLogoRemoved, admin.EventClientLogoSet, admin.EventClientCreated,
		admin.EventOrgLogoRemoved, admin.EventOrgBrandNamed, admin.EventOrgLogoSet, admin.EventOrgBrandNamed, "org.created"}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Errorf("audit %v, want %v", types, want)
	}
}
