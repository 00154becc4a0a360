package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/branding"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set ignores an empty value, so `--default-acr ""` clears the list in an update.
func (m *multiFlag) Set(v string) error {
	if v != "" {
		*m = append(*m, v)
	}
	return nil
}

type clientJSON struct {
	ID                     string    `json:"client_id"`
	Secret                 string    `json:"client_secret,omitempty"`
	Name                   string    `json:"name"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	GrantTypes             []string  `json:"grant_types"`
	Scopes                 []string  `json:"scopes"`
	Public                 bool      `json:"public"`
	FirstParty             bool      `json:"first_party"`
	MinACR                 string    `json:"min_acr,omitempty"`
	DefaultACRValues       []string  `json:"default_acr_values,omitempty"`
	MaxAuthAgeSeconds      int64     `json:"max_auth_age_seconds,omitempty"`
	AccessTokenFormat      string    `json:"access_token_format"`
	IDTokenAlg             string    `json:"id_token_signed_response_alg,omitempty"`
	LogoURL                string    `json:"logo_url,omitempty"`
	CreatedAt              time.Time `json:"created_at"`
}

func toClientJSON(c storage.Client, secret string) clientJSON {
	return clientJSON{ID: c.ID, Secret: secret, Name: c.Name, RedirectURIs: c.RedirectURIs,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, GrantTypes: c.GrantTypes, Scopes: c.Scopes,
		Public: c.Public, FirstParty: c.FirstParty, MinACR: c.MinACR, DefaultACRValues: c.DefaultACRValues,
		MaxAuthAgeSeconds: int64(c.MaxAuthAge.Seconds()), AccessTokenFormat: c.AccessTokenFormat,
		IDTokenAlg: c.IDTokenAlg, LogoURL: templates.LogoURL(string(storage.LogoClient), c.ID, c.LogoSum), CreatedAt: c.CreatedAt}
}

const clientsUsage = `Usage:
  lockstep clients create --name N --redirect-uri U [--redirect-uri U2 ...] [--post-logout-redirect-uri U]
                          [--public] [--grant-type T ...] [--scope S ...] [--first-party] [--id ID]
                          [--secret S] [--min-acr A] [--default-acr A ...] [--max-auth-age D]
                          [--access-token-format opaque|jwt] [--id-token-alg RS256|ES256] [--output json]
  lockstep clients update ID [the create flags to change, except --id, --secret and --public]
                             [--logo FILE | --remove-logo]
  lockstep clients list [--output json]
  lockstep clients get ID [--output json]
  lockstep clients delete ID
  lockstep clients rotate-secret ID
`

func cmdClients(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, clientsUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("clients "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec admin.ClientSpec
	var redirects, postLogout, grants, scopes multiFlag
	var defaultACR multiFlag
	output := fs.String("output", "text", "text or json")
	if args[0] == "create" || args[0] == "update" {
		fs.StringVar(&spec.Name, "name", "", "display name shown on the consent page")
		fs.BoolVar(&spec.FirstParty, "first-party", false, "skip the consent page")
		fs.Var(&redirects, "redirect-uri", "redirect URI (repeatable)")
		fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect URI (repeatable)")
		fs.Var(&grants, "grant-type", "authorization_code, refresh_token or client_credentials (repeatable)")
		fs.Var(&scopes, "scope", "allowed scope (repeatable)")
		fs.StringVar(&spec.MinACR, "min-acr", "", "lowest acr every sign-in must reach ("+strings.Join(flows.ACRLadder, ", ")+")")
		fs.Var(&defaultACR, "default-acr", "acr asked for when a request names none (repeatable)")
		fs.DurationVar(&spec.MaxAuthAge, "max-auth-age", 0, "oldest a proven factor may be, such as 12h (0: no limit)")
		fs.StringVar(&spec.AccessTokenFormat, "access-token-format", "", "opaque (default) or jwt (RFC 9068)")
		fs.StringVar(&spec.IDTokenAlg, "id-token-alg", "", "RS256 or ES256: signs this client's ID tokens (default: tokens.signing_algorithm)")
	}
	var logo string
	var removeLogo bool
	if args[0] == "update" {
		fs.StringVar(&logo, "logo", "", "image shown on the client's sign-in pages: PNG, JPEG, WebP or SVG, at most 256 KiB")
		fs.BoolVar(&removeLogo, "remove-logo", false, "remove the client's logo")
	}
	if args[0] == "create" {
		fs.StringVar(&spec.ID, "id", "", "client id (generated when empty)")
		fs.StringVar(&spec.Secret, "secret", "", "client secret, at least 32 characters (generated when empty)")
		fs.BoolVar(&spec.Public, "public", false, "public client (no secret; PKCE required)")
	}
	cfg, err := adminConfig(fs, args[1:], env)
	if err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return errors.New("--output must be text or json")
	}
	store, err := adminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	// The admin API's service, acting as the command line: the same checks and
	// the same audit events, with the actor cli.
	svc := &admin.Service{Store: store, Secrets: idp.ClientSecretHasher(cfg.Secret), Now: time.Now}
	cli := admin.Operator(cliActor)
	arg := func() (string, error) {
		if fs.NArg() != 1 {
			return "", fmt.Errorf("clients %s needs exactly one client id", args[0])
		}
		return fs.Arg(0), nil
	}

	switch args[0] {
	case "update":
		if spec.ID, err = arg(); err != nil {
			return err
		}
		changed := flagsGiven(fs)
		if changed["logo"] && changed["remove-logo"] {
			return errors.New("clients update takes --logo or --remove-logo, not both")
		}
		var image []byte
		if changed["logo"] {
			if image, err = readLogoFile(logo); err != nil {
				return err
			}
			// Refused before anything changes.
			if _, err := branding.MediaType(image); err != nil {
				return fmt.Errorf("--logo %s: %w", logo, err)
			}
		}
		setters := map[string]func(s *admin.ClientSpec){
			"name":                     func(s *admin.ClientSpec) { s.Name = spec.Name },
			"first-party":              func(s *admin.ClientSpec) { s.FirstParty = spec.FirstParty },
			"redirect-uri":             func(s *admin.ClientSpec) { s.RedirectURIs = redirects },
			"post-logout-redirect-uri": func(s *admin.ClientSpec) { s.PostLogoutRedirectURIs = postLogout },
			"grant-type":               func(s *admin.ClientSpec) { s.GrantTypes = grants },
			"scope":                    func(s *admin.ClientSpec) { s.Scopes = scopes },
			"min-acr":                  func(s *admin.ClientSpec) { s.MinACR = spec.MinACR },
			"default-acr":              func(s *admin.ClientSpec) { s.DefaultACRValues = defaultACR },
			"max-auth-age":             func(s *admin.ClientSpec) { s.MaxAuthAge = spec.MaxAuthAge },
			"access-token-format":      func(s *admin.ClientSpec) { s.AccessTokenFormat = spec.AccessTokenFormat },
			"id-token-alg":             func(s *admin.ClientSpec) { s.IDTokenAlg = spec.IDTokenAlg },
		}
		// Only a change to the client's settings is an update (and audited as one).
		update := false
		for name := range changed {
			update = update || setters[name] != nil
		}
		c, err := svc.Client(ctx, cli, spec.ID)
		if err == nil && update {
			c, err = svc.UpdateClient(ctx, cli, spec.ID, func(s *admin.ClientSpec) {
				for name := range changed {
					if set := setters[name]; set != nil {
						set(s)
					}
				}
			})
		}
		switch {
		case err != nil:
		case changed["logo"]:
			c, err = svc.SetClientLogo(ctx, cli, spec.ID, image)
		case changed["remove-logo"]:
			if err = svc.RemoveClientLogo(ctx, cli, spec.ID); errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("client %q has no logo", spec.ID)
			}
			if err == nil {
				c, err = svc.Client(ctx, cli, spec.ID)
			}
		}
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no client with id %q", spec.ID)
		}
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSONOut(stdout, toClientJSON(c, ""))
		}
		fmt.Fprintf(stdout, "client %s updated\n", c.ID)
		return nil
	case "create":
		spec.RedirectURIs, spec.PostLogoutRedirectURIs, spec.GrantTypes, spec.Scopes = redirects, postLogout, grants, scopes
		spec.DefaultACRValues = defaultACR
		c, secret, err := svc.CreateClient(ctx, cli, spec)
		if errors.Is(err, storage.ErrAlreadyExists) {
			return fmt.Errorf("a client with id %q exists already", spec.ID)
		}
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSONOut(stdout, toClientJSON(c, secret))
		}
		fmt.Fprintf(stdout, "client_id:     %s\n", c.ID)
		if secret != "" {
			fmt.Fprintf(stdout, "client_secret: %s\n\nThe secret is shown only now; store it safely.\n", secret)
		}
		return nil
	case "list":
		cs, err := store.ListClients(ctx)
		if err != nil {
			return err
		}
		if *output == "json" {
			out := []clientJSON{}
			for _, c := range cs {
				out = append(out, toClientJSON(c, ""))
			}
			return writeJSONOut(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tNAME\tTYPE\tGRANTS")
		for _, c := range cs {
			typ := "confidential"
			if c.Public {
				typ = "public"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, typ, strings.Join(c.GrantTypes, ","))
		}
		return tw.Flush()
	case "get":
		id, err := arg()
		if err != nil {
			return err
		}
		c, err := store.GetClient(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no client with id %q", id)
		}
		if err != nil {
			return err
		}
		return writeJSONOut(stdout, toClientJSON(c, ""))
	case "delete":
		id, err := arg()
		if err != nil {
			return err
		}
		if err := svc.DeleteClient(ctx, cli, id); errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no client with id %q", id)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client %s deleted\n", id)
		return nil
	case "rotate-secret":
		id, err := arg()
		if err != nil {
			return err
		}
		secret, err := svc.RotateClientSecret(ctx, cli, id)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no client with id %q", id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client_secret: %s\n\nThe old secret no longer works. The new one is shown only now.\n", secret)
		return nil
	default:
		fmt.Fprint(stderr, clientsUsage)
		return errUsage
	}
}

const usersUsage = `Usage:
  lockstep users create --email E --password-stdin [--given-name G] [--family-name F]
                        [--org ID --group G [--group G2 ...]]
  lockstep users invite --email E [--given-name G] [--family-name F] [--org ID --group G ...]
  lockstep users invite --resend --email E
  lockstep users list [--output json]
  lockstep users set-org EMAIL --org ID --group G [--group G2 ...]
  lockstep users set-org EMAIL --none
  lockstep users disable EMAIL

--group may also list groups comma-separated. set-org moves the user into the
organisation with exactly these groups; --none takes them out of any organisation
(the server-wide settings then apply). A user whom the organisation's policy covers
gets a deadline to set up a second factor: now plus its grace period, unless they
were covered in it already.
`

func cmdUsers(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "invite" {
		return cmdInvite(ctx, args[1:], env, stdout, stderr)
	}
	if len(args) == 0 || !slices.Contains([]string{"create", "list", "set-org", "disable"}, args[0]) {
		fmt.Fprint(stderr, usersUsage)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec admin.UserSpec
	var orgID string
	var groups listFlag
	pwStdin, none := false, false
	output := "text"
	switch sub {
	case "create":
		fs.StringVar(&spec.Email, "email", "", "email address (the sign-in name)")
		fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
		fs.StringVar(&spec.GivenName, "given-name", "", "first name")
		fs.StringVar(&spec.FamilyName, "family-name", "", "last name")
	case "list":
		fs.StringVar(&output, "output", "text", "text or json")
	case "set-org":
		fs.BoolVar(&none, "none", false, "take the user out of any organisation")
	}
	if sub == "create" || sub == "set-org" {
		fs.StringVar(&orgID, "org", "", "the organisation's id")
		fs.Var(&groups, "group", "a group in the organisation (repeatable, or comma-separated)")
	}
	cfg, err := adminConfig(fs, args[1:], env)
	if err != nil {
		return err
	}
	given := flagsGiven(fs)

	// Check the command line before opening the store.
	var email string
	switch sub {
	case "create", "list":
		if fs.NArg() > 0 {
			return fmt.Errorf("users %s takes no arguments, not %q", sub, fs.Args())
		}
	default:
		if email, err = exactlyOne(fs, "users "+sub+" needs one email"); err != nil {
			return err
		}
		email = strings.ToLower(strings.TrimSpace(email))
	}
	if output != "text" && output != "json" {
		return errors.New("--output must be text or json")
	}
	switch {
	case sub == "create" && !pwStdin:
		return errors.New("give the password on standard input with --password-stdin (never as an argument, where it would land in shell history)")
	case sub == "create" && len(groups) > 0 && orgID == "":
		return errors.New("--group needs --org: a user in no organisation is in no group")
	case sub == "create" && given["org"] && orgID == "":
		return errors.New(`--org "" names no organisation; leave --org out to create a user in none`)
	case sub == "set-org" && none && (given["org"] || given["group"]):
		return errors.New("--none takes the user out of their organisation: give it without --org and --group")
	case sub == "set-org" && !none && orgID == "":
		if given["org"] {
			return errors.New(`--org "" names no organisation; to take the user out of theirs, use --none`)
		}
		return errors.New("users set-org needs --org ID and --group G, or --none")
	}

	store, err := adminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()

	switch sub {
	case "create":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		spec.Password = strings.TrimRight(line, "\r\n")
		u, err := createUser(ctx, store, app.PasswordHasher(cfg.Password), spec, orgID, groups, cliActor, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s created (id %s)\n", u.Email, u.ID)
		if u.OrgID != "" {
			fmt.Fprintf(stdout, "%s\n", describeMembership(u))
		}
		return nil
	case "list":
		us, err := store.ListUsers(ctx)
		if err != nil {
			return err
		}
		all, err := store.ListOrganisations(ctx)
		if err != nil {
			return err
		}
		orgOf := func(id string) storage.Organisation {
			i := slices.IndexFunc(all, func(o storage.Organisation) bool { return o.ID == id })
			if i < 0 {
				return storage.Organisation{}
			}
			return all[i]
		}
		ms, err := members(ctx, store, us, orgOf, cfg.SMSSender() != "")
		if err != nil {
			return err
		}
		if output == "json" {
			return writeJSONOut(stdout, ms)
		}
		return writeMembers(stdout, ms, true)
	case "set-org":
		u, err := store.GetUserByEmail(ctx, email)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no user with email %s", email)
		}
		if err != nil {
			return err
		}
		if err := orgs.SetUserOrg(ctx, store, u.ID, orgID, groups, cliActor, now); err != nil {
			return oneLine(err)
		}
		if u, err = store.GetUser(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s is now %s\n", u.Email, describeMembership(u))
		return nil
	case "disable":
		u, err := admin.DisableUser(ctx, store, email, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s disabled; sessions ended and tokens revoked\n", u.Email)
		return nil
	}
	return nil
}

func cmdKeys(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprint(stderr, "Usage:\n  lockstep keys rotate\n")
		return errUsage
	}
	cfg, err := adminConfig(flag.NewFlagSet("keys rotate", flag.ContinueOnError), args[1:], env)
	if err != nil {
		return err
	}
	store, err := adminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	km, err := idp.NewKeyManager(store, idp.DeriveKey(cfg.Secret, "key-encryption", 32), cfg.Tokens.KeyRetention, time.Now)
	if err != nil {
		return err
	}
	if err := km.Init(ctx); err != nil {
		return err
	}
	if err := km.Rotate(ctx); err != nil {
		return err
	}
	set, err := km.PublicKeys(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signing keys rotated; %d public keys published (retired ones until %s)\n",
		len(set.Keys), time.Now().Add(cfg.Tokens.KeyRetention).UTC().Format(time.RFC3339))
	return nil
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
