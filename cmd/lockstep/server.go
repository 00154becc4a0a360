package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/internal/gctune"
	"github.com/lockstep-id/lockstep/internal/rsasign"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
	"github.com/lockstep-id/lockstep/storage/postgres"
)

// loadConfig parses the command line (parseArgs), reads --config and the
// environment and validates the result.
func loadConfig(fs *flag.FlagSet, args []string, env func(string) string) (configs.Config, error) {
	path := fs.String("config", "", "YAML configuration file")
	if err := parseArgs(fs, args); err != nil {
		return configs.Config{}, errUsage
	}
	cfg, err := configs.Load(*path, env)
	if err != nil {
		return cfg, err
	}
	if cfg.Dev && cfg.Secret == "" {
		cfg.Secret = randomSecret()
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("configuration refused:\n%w", err)
	}
	return cfg, nil
}

func randomSecret() string {
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newLogger(cfg configs.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openStore opens the configured store. Postgres is migrated first in dev mode only;
// otherwise `lockstep migrate` does it.
func openStore(ctx context.Context, cfg configs.Config) (storage.Storage, error) {
	if cfg.UsesMemory() {
		return memory.New(), nil
	}
	if cfg.Dev {
		if err := postgres.Migrate(ctx, cfg.DSN); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	st, err := postgres.Open(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return st, nil
}

func cmdServe(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(flag.NewFlagSet("serve", flag.ContinueOnError), args, env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return serve(ctx, cfg, store, log, nil, nil)
}

// serve runs the server until ctx ends, then shuts down gracefully. ready, when
// not nil, is called with the bound address once the server accepts connections;
// wrap, when not nil, wraps the handler (dev mode mounts its demo app with it).
func serve(ctx context.Context, cfg configs.Config, store storage.Storage, log *slog.Logger, ready func(addr string), wrap func(http.Handler) http.Handler, tweaks ...func(*idp.Options)) error {
	gctune.ForHashing()
	srv, err := app.Build(ctx, cfg, store, log, time.Now, tweaks...)
	if err != nil {
		return err
	}
	handler := srv.Handler
	if wrap != nil {
		handler = wrap(handler)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go cleanupLoop(ctx, store, log)
	log.Info("lockstep listening", "addr", ln.Addr().String(), "issuer", cfg.Issuer, "dev", cfg.Dev, "rs256", rsasign.Describe())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// cleanupLoop deletes expired tokens, flows, sessions, keys, throttle counters,
// nonces, ceremonies, one-time codes, trusts and emailed links every few minutes.
func cleanupLoop(ctx context.Context, store storage.Storage, log *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		for name, f := range map[string]func(context.Context, time.Time) (int, error){
			"tokens": store.DeleteExpiredTokens, "flows": store.DeleteExpiredFlows,
			"sessions": store.DeleteExpiredSessions, "signing keys": store.DeleteExpiredSigningKeys,
			"throttle counters": store.DeleteExpiredThrottles, "nonces": store.DeleteExpiredNonces,
			"ceremonies": store.DeleteExpiredCeremonies, "one-time codes": store.DeleteExpiredOneTimeCodes,
			"trusts": store.DeleteExpiredTrusts, "email links": store.DeleteExpiredEmailLinks,
		} {
			if n, err := f(ctx, now); err != nil {
				log.Warn("cleanup failed", "what", name, "error", err)
			} else if n > 0 {
				log.Debug("cleanup", "what", name, "deleted", n)
			}
		}
	}
}

func cmdMigrate(ctx context.Context, args []string, env func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(flag.NewFlagSet("migrate", flag.ContinueOnError), args, env)
	if err != nil {
		return err
	}
	if cfg.UsesMemory() {
		return errors.New("LOCKSTEP_DSN names no database (the in-memory store needs no migrations)")
	}
	if err := postgres.Migrate(ctx, cfg.DSN); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// adminStore opens the store for an admin command; the in-memory store is refused
// because whatever the command wrote would vanish with it.
func adminStore(ctx context.Context, cfg configs.Config) (storage.Storage, error) {
	if cfg.UsesMemory() {
		return nil, errors.New("set LOCKSTEP_DSN to the PostgreSQL database to administer (the in-memory store lives only inside a running server)")
	}
	return postgres.Open(ctx, cfg.DSN)
}

// adminConfig is loadConfig for admin commands, which need only the store and the
// secret: the issuer is not required.
func adminConfig(fs *flag.FlagSet, args []string, env func(string) string) (configs.Config, error) {
	wrapped := func(k string) string {
		v := env(k)
		if k == "LOCKSTEP_ISSUER" && v == "" {
			return "http://localhost:8080"
		}
		return v
	}
	return loadConfig(fs, args, wrapped)
}
