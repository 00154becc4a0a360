package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage/postgres"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	if err := postgres.Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"seed", "--dsn", dsn, "--users", "1000", "--tokens", "10000"}, &out, &out); err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tests := []struct {
		query string
		want  int
	}{
		{"SELECT count(*) FROM users", 1000},
		{"SELECT count(*) FROM tokens", 10000},
		{"SELECT count(*) FROM tokens WHERE expires_at < now()", 2000},
		{"SELECT count(*) FROM tokens t LEFT JOIN users u ON u.id = t.subject WHERE u.id IS NULL", 0},
	}
	for _, tt := range tests {
		var got int
		if err := conn.QueryRow(ctx, tt.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		if got != tt.want {
			t.Errorf("%s = %d, want %d", tt.query, got, tt.want)
		}
	}
}
