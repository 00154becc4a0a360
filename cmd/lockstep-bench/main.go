// Command lockstep-bench is the load generator that measures a running Lockstep
// (scripts/bench.sh runs it against a fresh server and database). It is a command
// of its own because it measures a server rather than runs or administers one:
// the lockstep binary that operators deploy carries no load generator.
package main

import (
	"context"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lockstep-bench:", err)
		os.Exit(1)
	}
}

// errUsage marks a mistake in the command line; the flag package printed it and
// the usage text.
var errUsage = errors.New("see usage above")

// run parses the flags and runs the bench; --help prints the usage and succeeds.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "seed" {
		err := runSeed(ctx, args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	o, err := parseBenchFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.soak > 0 {
		return runSoak(ctx, o, stdout, stderr)
	}
	return runBench(ctx, o, stdout, stderr)
}

const benchUsage = `Usage: lockstep-bench [flags]

Measures a running Lockstep: each scenario runs for --duration with its workers, in
--rounds windows that take turns with the other scenarios' (each after a warm-up),
and reports operations per second and latency percentiles over its windows.

Scenarios (--scenarios, comma-separated; default cc,refresh,introspect,login):
  cc          client credentials: POST /oauth/token grant_type=client_credentials
  refresh     refresh-token rotation: each worker signs in once with
              scope "openid offline_access", then rotates its own token chain
  introspect  POST /oauth/introspect of a client-credentials access token
  login       the whole browser sign-in as one operation, with a fresh cookie jar
              each time: GET /authorize (PKCE S256, state, nonce), which answers
              with the login form (or a redirect to a step, GET as a browser
              would) → POST /login → [consent the first time] →
              redirect_uri?code=… → POST /oauth/token, which must return an id_token
  mfa         the sign-in with password and authenticator app, as login but asking
              acr_values=urn:lockstep:acr:mfa: … → POST /login → GET /challenge →
              POST /challenge (a TOTP code) → … → POST /oauth/token; the ID token's
              acr must be urn:lockstep:acr:mfa. Setup (not measured) gives each user
              an authenticator app through the enrolment pages, unless --totp-secret
              is its key: a user who already has one cannot be enrolled again.
              A code is accepted once per user and 30 s step, so each sign-in takes a
              user whose code for the current step is unused, round-robin: N users
              allow N sign-ins per step (the run starts at a step boundary); when
              none is left, workers wait for the next step, unmeasured, and the
              report says so
  hash        argon2id alone, in this process, with the default parameters, the
              server's garbage-collector setting and --login-concurrency goroutines:
              the ceiling for login (also --hash-baseline)
  all         all of the above

Soak (--soak DURATION): instead of the scenarios, a mix of them for DURATION, open
loop: 35 % introspection, 20 % client credentials, 20 % refreshes (16 chains), 10 %
password sign-ins, 5 % sign-ins with an authenticator app, 6 % wrong passwords (of
addresses that do not exist) and 4 % wrong codes (of the mfa users), the last two
sent with an X-Forwarded-For from 198.18.0.0/15 (the server must trust the bench as
its proxy, or the failures lock its own address out) and counted as successes when
refused with 401. First the mix runs closed loop for --soak-peak to find its peak,
then operations arrive at --soak-fraction of it (or at --soak-rate), each timed
from its arrival. Every --soak-interval it prints operations and errors by kind,
p50/p99 and the server's RSS and goroutines (from its /metrics); it fails unless
there was no error and, when it ran at least three intervals of a minute or more,
the server's RSS at the end is no more than 10 % above the second interval's.

The client must be confidential, allowed authorization_code, refresh_token and
client_credentials, the scopes openid and offline_access, and --redirect-uri. Nothing
listens on the redirect URI: the code is read from the Location header.

Flags:
`

// benchOptions are the flags of lockstep-bench.
type benchOptions struct {
	issuer, clientID, clientSecret, redirectURI string
	email, password                             string
	duration, warmup                            time.Duration
	concurrency, loginConcurrency               int
	// rounds is how many windows --duration is split into per scenario.
	rounds    int
	scenarios []string
	output    string
	// serverPID and postgresDB, when set, make each scenario report the CPU time
	// the server and PostgreSQL spent per operation (Linux, from /proc).
	serverPID  int
	postgresDB string
	// pages makes the login fetch the login and consent pages before posting them.
	pages bool
	// mfaEmails are the users of the mfa scenario, who share mfaPassword;
	// totpSecret, when set, is the authenticator-app key of the only one.
	mfaEmails   []string
	mfaPassword string
	totpSecret  string
	// soak, when positive, runs the soak mix for that long instead of the
	// scenarios; see benchUsage.
	soak, soakPeak, soakInterval time.Duration
	soakFraction, soakRate       float64
	// refreshEmails are the users whose chains the refresh workers rotate (with
	// --password), worker i the user i mod their number.
	refreshEmails []string
}

var benchScenarios = []string{"cc", "refresh", "introspect", "login", "mfa", "hash"}

func parseBenchFlags(args []string, stderr io.Writer) (benchOptions, error) {
	var o benchOptions
	fs := flag.NewFlagSet("lockstep-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.issuer, "issuer", "http://localhost:8080", "issuer URL of the running server")
	fs.StringVar(&o.clientID, "client-id", "", "confidential client id")
	fs.StringVar(&o.clientSecret, "client-secret", "", "the client's secret")
	fs.StringVar(&o.redirectURI, "redirect-uri", "http://127.0.0.1:1/callback", "a redirect URI registered for the client")
	fs.StringVar(&o.email, "email", "", "email of the user who signs in (login, refresh)")
	fs.StringVar(&o.password, "password", "", "that user's password")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each window")
	fs.IntVar(&o.concurrency, "concurrency", 2*runtime.NumCPU(), "workers for cc, refresh and introspect")
	fs.IntVar(&o.loginConcurrency, "login-concurrency", 2*runtime.NumCPU(), "workers for login, mfa and hash: enough to keep\nthe CPUs busy while some sign-ins wait for the network and PostgreSQL")
	fs.IntVar(&o.rounds, "rounds", 3, "windows per scenario: --duration is split into this many, and the scenarios\ntake turns, so that a machine whose speed drifts slows them alike")
	scen := fs.String("scenarios", "cc,refresh,introspect,login", "comma-separated scenarios: cc, refresh, introspect, login, mfa, hash, all")
	hash := fs.Bool("hash-baseline", false, "also run the hash scenario")
	fs.StringVar(&o.output, "output", "text", "text or json")
	fs.IntVar(&o.serverPID, "server-pid", 0, "process id of the server, to report its CPU time per operation (Linux)")
	fs.StringVar(&o.postgresDB, "postgres-db", "", "database the server uses, to report PostgreSQL's CPU time per operation\n(its backends plus walwriter, checkpointer and background writer; Linux, same machine)")
	fs.BoolVar(&o.pages, "login-pages", true, "login, mfa: GET the login, challenge and consent pages a redirect leads to before posting them, as a browser does")
	mfaEmail := fs.String("mfa-email", "", "mfa: the user's email (default --email), or with --mfa-users above 1 a pattern\nwhere %d stands for 1…N, e.g. bench-mfa-%d@example.com")
	mfaUsers := fs.Int("mfa-users", 1, "mfa: number of users; N users allow N sign-ins per 30 s")
	refreshEmail := fs.String("refresh-email", "", "refresh: with --refresh-users above 1, a pattern where %d stands for 1…N\n(default: every worker signs in as --email)")
	refreshUsers := fs.Int("refresh-users", 1, "refresh: number of users the workers' chains belong to (worker i: user i mod N);\none user for all makes its concurrent spends share its row's lock")
	fs.DurationVar(&o.soak, "soak", 0, "run the soak mix for this long instead of the scenarios (see above)")
	fs.Float64Var(&o.soakFraction, "soak-fraction", 0.8, "soak: the arrival rate as a fraction of the mix's measured peak")
	fs.DurationVar(&o.soakPeak, "soak-peak", 20*time.Second, "soak: how long the mix's peak is measured")
	fs.Float64Var(&o.soakRate, "soak-rate", 0, "soak: operations per second, instead of measuring the peak")
	fs.DurationVar(&o.soakInterval, "soak-interval", time.Minute, "soak: reporting interval")
	fs.StringVar(&o.mfaPassword, "mfa-password", "", "mfa: the users' password (default --password)")
	fs.StringVar(&o.totpSecret, "totp-secret", "", "mfa: base32 key of the user's authenticator app (one user only); without it\nsetup enrols the users, who must not have an app yet")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errUsage
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.issuer = strings.TrimSuffix(o.issuer, "/")
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case s == "all":
			o.scenarios = append(o.scenarios, benchScenarios...)
		case slices.Contains(benchScenarios, s):
			o.scenarios = append(o.scenarios, s)
		default:
			return o, fmt.Errorf("unknown scenario %q (choose from %s, all)", s, strings.Join(benchScenarios, ", "))
		}
	}
	if *hash {
		o.scenarios = append(o.scenarios, "hash")
	}
	if o.soak > 0 {
		// The soak's mix needs what these scenarios need.
		o.scenarios = []string{"cc", "refresh", "introspect", "login", "mfa"}
		if o.soakFraction <= 0 || o.soakFraction > 1 || o.soakPeak <= 0 || o.soakRate < 0 || o.soakInterval <= 0 || o.soakInterval > o.soak {
			return o, errors.New("--soak-fraction must be in (0, 1], --soak-peak and --soak-interval positive (the interval no longer than --soak), --soak-rate not negative")
		}
	}
	o.scenarios = dedupe(o.scenarios)
	if len(o.scenarios) == 0 {
		return o, errors.New("--scenarios names no scenario")
	}
	if o.output != "text" && o.output != "json" {
		return o, errors.New("--output must be text or json")
	}
	if o.duration <= 0 || o.warmup < 0 {
		return o, errors.New("--duration must be positive and --warmup not negative")
	}
	if o.concurrency < 1 || o.loginConcurrency < 1 {
		return o, errors.New("--concurrency and --login-concurrency must be at least 1")
	}
	if o.rounds < 1 || o.duration/time.Duration(o.rounds) < 100*time.Millisecond {
		return o, errors.New("--rounds must be at least 1 and leave each window 100ms of --duration")
	}
	needClient, needUser := false, false
	for _, s := range o.scenarios {
		needClient = needClient || s != "hash"
		needUser = needUser || s == "login" || s == "refresh"
	}
	if needClient {
		u, err := url.Parse(o.issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, fmt.Errorf("--issuer %q is not an http(s) URL", o.issuer)
		}
		if o.clientID == "" || o.clientSecret == "" {
			return o, errors.New("--client-id and --client-secret are required")
		}
	}
	if needUser && (o.email == "" || o.password == "") {
		return o, errors.New("--email and --password are required for the login and refresh scenarios")
	}
	if slices.Contains(o.scenarios, "refresh") {
		if *refreshEmail == "" {
			*refreshEmail = o.email
		}
		var err error
		if o.refreshEmails, err = numberedEmails("refresh", *refreshEmail, *refreshUsers); err != nil {
			return o, err
		}
	}
	if slices.Contains(o.scenarios, "mfa") {
		if *mfaEmail == "" {
			*mfaEmail = o.email
		}
		if o.mfaPassword == "" {
			o.mfaPassword = o.password
		}
		if *mfaEmail == "" || o.mfaPassword == "" {
			return o, errors.New("the mfa scenario needs --mfa-email or --email, and --mfa-password or --password")
		}
		var err error
		if o.mfaEmails, err = numberedEmails("mfa", *mfaEmail, *mfaUsers); err != nil {
			return o, err
		}
		if o.totpSecret != "" {
			if len(o.mfaEmails) != 1 {
				return o, errors.New("--totp-secret is the key of one user: it needs --mfa-users 1")
			}
			if o.totpSecret, err = normalizeTOTPSecret(o.totpSecret); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// numberedEmails expands the --<scenario>-email pattern into n addresses: %d
// stands for 1…n. A single user may be named without %d.
func numberedEmails(scenario, pattern string, n int) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("--%s-users must be at least 1", scenario)
	}
	verbs, numbered := strings.Count(pattern, "%"), strings.Count(pattern, "%d")
	switch {
	case verbs > 1 || verbs != numbered:
		return nil, fmt.Errorf("--%s-email %q: the only %% allowed is one %%d", scenario, pattern)
	case numbered == 0 && n > 1:
		return nil, fmt.Errorf("--%[1]s-users %[2]d needs an --%[1]s-email pattern with %%d, e.g. bench-%[1]s-%%d@example.com", scenario, n)
	case numbered == 0:
		return []string{pattern}, nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Replace(pattern, "%d", strconv.Itoa(i+1), 1)
	}
	return out, nil
}

// normalizeTOTPSecret turns a key as an authenticator app shows it (groups, lower
// case, no padding) into the unpadded upper-case base32 the code generator reads.
func normalizeTOTPSecret(s string) (string, error) {
	s = strings.ToUpper(strings.NewReplacer("-", "", "=", "").Replace(strings.Join(strings.Fields(s), "")))
	// As the code generator decodes it: padded to whole groups of eight.
	padded := s + strings.Repeat("=", (8-len(s)%8)%8)
	key, err := base32.StdEncoding.DecodeString(padded)
	if err != nil || len(key) < 10 {
		return "", errors.New("--totp-secret is not a base32 key of at least 80 bits")
	}
	return s, nil
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
