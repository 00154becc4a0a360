// Package pgtest gives each test its own freshly migrated PostgreSQL database.
//
// The server comes from LOCKSTEP_TEST_PG_ADMIN_DSN (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), whose user must be
// allowed to create databases. An unreachable server fails the test rather than
// skipping it, so CI cannot pass without running the Postgres suite.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage/postgres"
)

const (
	envAdminDSN     = "LOCKSTEP_TEST_PG_ADMIN_DSN"
	defaultAdminDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

// NewDatabase creates and migrates a database named lockstep_test_<random hex>,
// drops it when the test ends, and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	adminDSN := os.Getenv(envAdminDSN)
	if adminDSN == "" {
		adminDSN = defaultAdminDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		t.Fatalf("pgtest: cannot reach PostgreSQL (set %s to an admin DSN; PostgreSQL is required, these tests never skip): %v", envAdminDSN, err)
	}
	defer admin.Close(ctx)

	b := make([]byte, 8)
	rand.Read(b) // never fails since Go 1.24
	name := "lockstep_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin, err := pgx.Connect(ctx, adminDSN)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		// FORCE ends connections the test leaked, so they cannot keep the database alive.
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	dsn := withDatabase(t, adminDSN, name)
	if err := postgres.Migrate(ctx, dsn); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// NewStore opens a store with opts on a NewDatabase database; both go away when
// the test ends.
func NewStore(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	dsn := NewDatabase(t)
	s, err := postgres.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Registered after NewDatabase's cleanup, so it runs before the drop.
	t.Cleanup(func() { s.Close() })
	return s
}

// withDatabase points dsn, in either URL or keyword=value form, at database name.
func withDatabase(t testing.TB, dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("pgtest: parse %s: %v", envAdminDSN, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	// In keyword=value form the last occurrence of a keyword wins.
	return dsn + " dbname=" + name
}
