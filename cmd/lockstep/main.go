// Command lockstep is the Lockstep OpenID provider: the server, dev mode and the
// admin CLI. It only wires packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `lockstep — an OpenID Connect provider with step-up and honest amr/acr

Usage:
  lockstep dev                      start on http://localhost:8080 with the in-memory store and demo data
  lockstep serve [--config FILE]    run the server against the configured store
  lockstep migrate [--config FILE]  apply the database migrations
  lockstep clients create|list|get|delete|rotate-secret ...
  lockstep users create|list|set-org|disable ...
  lockstep orgs create|list|get|policy|groups ...
  lockstep admins grant|revoke|list  who administers everything through the admin API and console
  lockstep keys rotate              create new signing keys; old public keys stay published until their tokens expire

Configuration comes from --config (YAML) and the environment: LOCKSTEP_DSN,
LOCKSTEP_ISSUER, LOCKSTEP_LISTEN, LOCKSTEP_SECRET, LOCKSTEP_DEV, LOCKSTEP_LOG_LEVEL.
Admin commands work on the database LOCKSTEP_DSN names; flags and arguments may
come in any order. Run a command without arguments to see its usage.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lockstep:", err)
		os.Exit(1)
	}
}

// errUsage marks a mistake in the command line; the usage text was printed.
var errUsage = errors.New("see usage above")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	env := os.Getenv
	switch args[0] {
	case "dev":
		return cmdDev(ctx, args[1:], env, stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], env, stderr)
	case "migrate":
		return cmdMigrate(ctx, args[1:], env, stdout)
	case "clients":
		return cmdClients(ctx, args[1:], env, stdout, stderr)
	case "users":
		return cmdUsers(ctx, args[1:], env, stdin, stdout, stderr)
	case "orgs":
		return cmdOrgs(ctx, args[1:], env, stdout, stderr)
	case "admins":
		return cmdAdmins(ctx, args[1:], env, stdout, stderr)
	case "keys":
		return cmdKeys(ctx, args[1:], env, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
