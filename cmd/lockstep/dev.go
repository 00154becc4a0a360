package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
)

// Demo data that dev mode creates and prints.
const (
	devUserEmail    = "demo@lockstep.test"
	devUserPassword = "lockstep-demo-password"
	devClientID     = "demo-app"
	devClientSecret = "demo-app-secret-for-local-development-only"

	// The demo organisation requires a second factor of its company-users within
	// devOrgGraceDays; the newcomer is one of them without one, so their first
	// sign-in meets "Protect your account". The demo user is in no organisation.
	devOrgID            = "demo-company"
	devOrgName          = "Demo Company"
	devOrgGroup         = "company-users"
	devOrgGraceDays     = 5
	devNewcomerEmail    = "newcomer@lockstep.test"
	devNewcomerPassword = "lockstep-newcomer-password"
	// devActor is the actor the audit log records for the demo data.
	devActor = "dev"
)

// devDefaults are used for any setting the environment does not give.
var devDefaults = map[string]string{
	"LOCKSTEP_ISSUER":     "http://localhost:8080",
	"LOCKSTEP_LISTEN":     "localhost:8080",
	"LOCKSTEP_DSN":        "memory",
	"LOCKSTEP_DEV":        "true",
	"LOCKSTEP_LOG_FORMAT": "text",
}

func cmdDev(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	withDefaults := func(k string) string {
		if v := env(k); v != "" {
			return v
		}
		return devDefaults[k]
	}
	cfg, err := loadConfig(flag.NewFlagSet("dev", flag.ContinueOnError), args, withDefaults)
	if err != nil {
		return err
	}
	cfg.Dev = true
	if !cfg.UsesMemory() && env("LOCKSTEP_SECRET") == "" {
		// Keys and client secrets stored in a database must outlive this process.
		return fmt.Errorf("dev mode with a database needs LOCKSTEP_SECRET (at least %d characters)", configs.MinSecretLen)
	}
	log := newLogger(cfg, stderr)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return runDev(ctx, cfg, store, log, func(addr string) { fmt.Fprint(stdout, devBanner(cfg.Issuer)) })
}

// devBanner is what dev mode prints once it serves. cmd/lockstep-bench reads the
// demo user and client from it: keep their two lines together and as they are.
func devBanner(issuer string) string {
	return fmt.Sprintf(`
Lockstep is running in development mode (in-memory store; nothing is kept).

  Issuer        %[1]s
  Discovery     %[1]s/.well-known/openid-configuration
  Try it        %[1]s/demo   (a built-in demo app signs you in and shows the tokens)
  Account       %[1]s/account   (two-step verification settings)
  Outbox        %[1]s/dev/outbox   (the emails and text messages, not sent in dev mode)
  Admin         %[1]s/admin   (the console; the demo user is a platform administrator,
                set up two-step verification first) and the API at %[1]s/admin/api/v1

  Demo user     %[2]s / %[3]s
  Demo client   %[4]s / %[5]s
                redirect URIs: %[1]s/demo/callback, http://127.0.0.1:9090/callback
  Newcomer      %[6]s / %[7]s
                in %[8]s (%[9]s), which requires a second factor of %[10]s within %[11]d days:
                sign in with it at %[1]s/demo?prompt=login to see "Protect your account"

Stop with Ctrl-C.
`, issuer, devUserEmail, devUserPassword, devClientID, devClientSecret,
		devNewcomerEmail, devNewcomerPassword, devOrgName, devOrgID, devOrgGroup, devOrgGraceDays)
}

// runDev seeds the demo data and serves Lockstep with the demo app beside it.
func runDev(ctx context.Context, cfg configs.Config, store storage.Storage, log *slog.Logger, ready func(addr string)) error {
	if err := seedDemo(ctx, cfg, store); err != nil {
		return err
	}
	demo := newDemoApp(cfg.Issuer, devClientID, devClientSecret)
	mountDemo := func(h http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/demo", demo)
		mux.Handle("/demo/", demo)
		mux.Handle("/", h)
		return mux
	}
	hints := func(o *idp.Options) {
		o.DevUser, o.DevPassword, o.DevClientID = devUserEmail, devUserPassword, devClientID
		o.DevHints = []string{
			"Open " + cfg.Issuer + "/demo to sign in through the demo app and see the ID token.",
			"From there, ask for two-step verification to set up an authenticator app and see acr and amr change.",
			"Emails and text messages (SMS codes) are not sent in dev mode: read them at " + cfg.Issuer + "/dev/outbox.",
			"Sign in as " + devNewcomerEmail + " (password " + devNewcomerPassword + ") to be a newcomer at " + devOrgName +
				", which requires two-step verification of its " + devOrgGroup + ": you are asked to protect your account at once.",
		}
	}
	return serve(ctx, cfg, store, log, ready, mountDemo, hints)
}

// seedDemo creates the demo user, client and organisation, with the newcomer in
// it, unless they exist.
func seedDemo(ctx context.Context, cfg configs.Config, store storage.Storage) error {
	now := time.Now()
	if _, err := store.GetUserByEmail(ctx, devUserEmail); err != nil {
		_, err := admin.CreateUser(ctx, store, app.PasswordHasher(cfg.Password), admin.UserSpec{
			Email: devUserEmail, Password: devUserPassword, GivenName: "Demo", FamilyName: "User",
		}, now)
		if err != nil {
			return fmt.Errorf("seed demo user: %w", err)
		}
	}
	// The demo user administers everything (the console asks for a second factor).
	demoUser, err := store.GetUserByEmail(ctx, devUserEmail)
	if err != nil {
		return fmt.Errorf("seed demo user: %w", err)
	}
	if ok, err := store.IsPlatformAdmin(ctx, demoUser.ID); err != nil {
		return fmt.Errorf("seed demo administrator: %w", err)
	} else if !ok {
		if _, err := admin.SetPlatformAdmin(ctx, store, devUserEmail, true, devActor, now); err != nil {
			return fmt.Errorf("seed demo administrator: %w", err)
		}
	}
	if _, err := store.GetClient(ctx, devClientID); err != nil {
		_, _, err := admin.CreateClient(ctx, store, idp.ClientSecretHasher(cfg.Secret), admin.ClientSpec{
			ID:                     devClientID,
			Name:                   "Demo App",
			Secret:                 devClientSecret,
			RedirectURIs:           []string{cfg.Issuer + "/demo/callback", "http://127.0.0.1:9090/callback"},
			PostLogoutRedirectURIs: []string{cfg.Issuer + "/demo"},
			GrantTypes:             []string{"authorization_code", "refresh_token", "client_credentials"},
		}, now)
		if err != nil {
			return fmt.Errorf("seed demo client: %w", err)
		}
	}
	if _, err := store.GetOrganisation(ctx, devOrgID); errors.Is(err, storage.ErrNotFound) {
		if _, err := orgs.Create(ctx, store, orgs.CreateSpec{ID: devOrgID, Name: devOrgName}, devActor, now); err != nil {
			return fmt.Errorf("seed demo organisation: %w", err)
		}
		p := storage.OrgPolicy{Level: storage.LevelHigh, CoveredGroups: []string{devOrgGroup}, GraceDays: devOrgGraceDays}
		if err := orgs.SetPolicy(ctx, store, devOrgID, p, devActor, now); err != nil {
			return fmt.Errorf("seed demo organisation's policy: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("seed demo organisation: %w", err)
	}
	if _, err := store.GetUserByEmail(ctx, devNewcomerEmail); err != nil {
		_, err := createUser(ctx, store, app.PasswordHasher(cfg.Password), admin.UserSpec{
			Email: devNewcomerEmail, Password: devNewcomerPassword, GivenName: "New", FamilyName: "Comer",
		}, devOrgID, []string{devOrgGroup}, devActor, now)
		if err != nil {
			return fmt.Errorf("seed demo newcomer: %w", err)
		}
	}
	return nil
}
