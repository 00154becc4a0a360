package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
)

const seedUsage = `Usage: lockstep-bench seed --dsn DSN [--users N] [--tokens N]

Writes N users (password "seeded password", one argon2id hash with the default
parameters shared by all) and N token rows (access and refresh tokens of those users,
one in five expired, so the expired-row cleanup has work) into a migrated database,
with COPY. Rows are realistic in size, not usable tokens: they are for measuring how
Lockstep's speed and the cleanup change as the tables grow.
`

// runSeed is `lockstep-bench seed`.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, seedUsage); fs.PrintDefaults() }
	dsn := fs.String("dsn", "", "PostgreSQL DSN of a migrated Lockstep database")
	users := fs.Int("users", 100_000, "users to write")
	tokens := fs.Int("tokens", 1_000_000, "token rows to write")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *dsn == "" || *users < 1 || *tokens < 0 {
		fs.Usage()
		return errUsage
	}
	start := time.Now()
	if err := seed(ctx, *dsn, *users, *tokens); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d users and %d tokens in %v\n", *users, *tokens, time.Since(start).Round(time.Millisecond))
	return nil
}

// seed writes the rows with COPY in one transaction.
func seed(ctx context.Context, dsn string, users, tokens int) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("seed: connect: %w", err)
	}
	defer conn.Close(ctx)
	hash, err := app.PasswordHasher(configs.Default().Password).Hash(ctx, "seeded password")
	if err != nil {
		return fmt.Errorf("seed: hash: %w", err)
	}
	run := rand.Text()[:8]
	now := time.Now().UTC()
	userID := func(i int) string { return fmt.Sprintf("seed-%s-%07d", run, i) }
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"users"},
		[]string{"id", "email", "password_hash", "given_name", "family_name", "disabled", "created_at", "updated_at"},
		pgx.CopyFromSlice(users, func(i int) ([]any, error) {
			return []any{userID(i), fmt.Sprintf("user%07d.%s@seed.example.com", i, run), hash,
				"Seeded", fmt.Sprintf("User %d", i), false, now, now}, nil
		}))
	if err != nil {
		return fmt.Errorf("seed: users: %w", err)
	}
	data := make([]byte, 600) // about the size of a stored fosite request
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"tokens"},
		[]string{"kind", "signature", "request_id", "client_id", "subject", "active", "data", "created_at", "expires_at"},
		pgx.CopyFromSlice(tokens, func(i int) ([]any, error) {
			kind := "access_token"
			if i%2 == 1 {
				kind = "refresh_token"
			}
			expires := now.Add(time.Hour)
			if i%5 == 0 {
				expires = now.Add(-time.Hour)
			}
			_, _ = rand.Read(data)
			return []any{kind, rand.Text() + rand.Text(), rand.Text(), "seed-client", userID(i % users),
				true, data, now.Add(-time.Minute), expires}, nil
		}))
	if err != nil {
		return fmt.Errorf("seed: tokens: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	_, err = conn.Exec(ctx, "ANALYZE users; ANALYZE tokens")
	return err
}
