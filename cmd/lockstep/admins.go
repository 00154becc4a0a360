package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/storage"
)

const adminsUsage = `Usage:
  lockstep admins grant EMAIL    make the user a platform administrator (every client, user and organisation)
  lockstep admins revoke EMAIL   take the role back
  lockstep admins list

Organisation administrators need no grant: they are the members of their
organisation's "administrators" group (lockstep users set-org).
`

func cmdAdmins(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminsUsage)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("admins "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := adminConfig(fs, args[1:], env)
	if err != nil {
		return err
	}
	wantArgs := 1
	switch sub {
	case "grant", "revoke":
	case "list":
		wantArgs = 0
	default:
		fmt.Fprint(stderr, adminsUsage)
		return errUsage
	}
	if fs.NArg() != wantArgs {
		fmt.Fprint(stderr, adminsUsage)
		return errUsage
	}
	store, err := adminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "list" {
		us, err := store.ListPlatformAdmins(ctx)
		if err != nil {
			return err
		}
		if len(us) == 0 {
			fmt.Fprintln(stdout, "no platform administrators (grant one with: lockstep admins grant EMAIL)")
		}
		for _, u := range us {
			fmt.Fprintf(stdout, "%s\t%s\n", u.ID, u.Email)
		}
		return nil
	}
	u, err := admin.SetPlatformAdmin(ctx, store, fs.Arg(0), sub == "grant", cliActor, time.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no user with email %s", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	if sub == "grant" {
		fmt.Fprintf(stdout, "%s is a platform administrator\n", u.Email)
	} else {
		fmt.Fprintf(stdout, "%s is no longer a platform administrator\n", u.Email)
	}
	return nil
}
