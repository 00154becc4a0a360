package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/consent"
	"github.com/lockstep-id/lockstep/flows/enrol"
	"github.com/lockstep-id/lockstep/flows/signin"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/internal/gctune"
)

// runBench runs the scenarios of o against the server and writes the report to
// stdout, and its progress to stderr when the report is text.
func runBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	// The hash scenario is the ceiling for login: it hashes as the server does,
	// with the same garbage collector setting (with the default it is slower).
	gctune.ForHashing()
	b := newBencher(o)
	defer b.transport.CloseIdleConnections()
	if o.output == "text" {
		b.progress = stderr
	}

	report := benchReport{
		Issuer: o.issuer, GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Duration: o.duration.Seconds(), Warmup: o.warmup.Seconds(), Rounds: o.rounds,
		Concurrency: o.concurrency, LoginConcurrency: o.loginConcurrency,
	}
	// Every scenario runs in --rounds windows, round-robin, so that a machine whose
	// speed drifts during the run (other guests on the host) slows the scenarios
	// alike and their ratios stay fair. Setup happens once, before the first window.
	type progress struct {
		res benchResult
		sc  scenario
		m   measured
	}
	runs := make([]progress, len(o.scenarios))
	slice := o.duration / time.Duration(o.rounds)
	for round := range o.rounds {
		for i, name := range o.scenarios {
			p := &runs[i]
			if p.res.Setup != "" {
				continue
			}
			if o.output == "text" {
				if o.rounds > 1 {
					fmt.Fprintf(stderr, "running %s (round %d of %d)…\n", name, round+1, o.rounds)
				} else {
					fmt.Fprintf(stderr, "running %s…\n", name)
				}
			}
			workers := b.workers(name)
			if round == 0 {
				p.res = benchResult{Scenario: name, Workers: workers}
				sc, err := b.setup(ctx, name, workers)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err != nil {
					p.res.Setup = err.Error()
					continue
				}
				p.sc, p.res.Users, p.res.Enrolled = sc, sc.users, sc.enrolled
			}
			p.m.add(b.window(ctx, p.sc, workers, slice))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.res.ConsentShown += b.consent.Swap(0)
			if msg := b.takeFirstError(); p.res.FirstError == "" {
				p.res.FirstError = msg
			}
		}
	}
	failed := 0
	for _, p := range runs {
		res := p.res
		if res.Setup == "" {
			p.m.fill(&res, slice*time.Duration(o.rounds))
		}
		if res.Setup != "" || res.Errors > 0 {
			failed++
		}
		report.Results = append(report.Results, res)
	}
	report.addGoals()
	if err := writeReport(stdout, o.output, report, report.writeText); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios had errors", failed, len(o.scenarios))
	}
	return nil
}

// writeReport writes report as indented JSON, or as text with writeText.
func writeReport(w io.Writer, output string, report any, writeText func(io.Writer)) error {
	if output != "json" {
		writeText(w)
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

// summary is what one scenario's measured operations come to.
type summary struct {
	Ops    int     `json:"ops"`
	Errors int     `json:"errors"`
	Rate   float64 `json:"ops_per_second"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
	Mean   float64 `json:"mean_ms"`
}

// summarize computes throughput and latency percentiles of the successful
// operations (lat, which it sorts) measured over window. Percentiles are nearest
// rank: the smallest latency that at least p% of operations did not exceed.
func summarize(lat []time.Duration, errs int, window time.Duration) summary {
	s := summary{Ops: len(lat), Errors: errs}
	if window > 0 {
		s.Rate = float64(len(lat)) / window.Seconds()
	}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	s.P50 = ms(percentile(lat, 50))
	s.P90 = ms(percentile(lat, 90))
	s.P99 = ms(percentile(lat, 99))
	s.Max = ms(lat[len(lat)-1])
	s.Mean = ms(total / time.Duration(len(lat)))
	return s
}

// percentile is the nearest-rank p-th percentile of sorted, which is not empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// benchResult is one scenario's line of the report.
type benchResult struct {
	Scenario string `json:"scenario"`
	Workers  int    `json:"workers"`
	summary
	// ConsentShown counts the logins, setup included, that went through the
	// consent page.
	ConsentShown int64 `json:"consent_shown,omitempty"`
	// CPU is the CPU time spent per measured operation, by process.
	CPU *cpuPerOp `json:"cpu_ms_per_op,omitempty"`
	// RoundRates is the rate in each round's window; Steal the share of all CPU
	// time in the scenario's windows that the hypervisor gave to other guests.
	// A scenario whose windows had more steal than another's ran slower for it.
	RoundRates []float64 `json:"round_ops_per_second,omitempty"`
	Steal      *float64  `json:"cpu_steal_share,omitempty"`
	// RoundCPU is the CPU time per operation of all measured processes (the
	// total of CPU) in each round's window, for the CPU ratios by round.
	RoundCPU []float64 `json:"round_cpu_ms_per_op,omitempty"`
	// Users is the number of users of the mfa scenario, Enrolled how many of them
	// setup enrolled, and UserWait the time the workers spent in the measured
	// window waiting for a user whose code for the current step was unused: when
	// it is not zero, the users, not the server, limited the rate.
	Users    int     `json:"users,omitempty"`
	Enrolled int     `json:"enrolled,omitempty"`
	UserWait float64 `json:"waited_for_user_seconds,omitempty"`
	// Setup is why the scenario could not start; FirstError the first failed
	// operation, with the response body.
	Setup      string `json:"setup_error,omitempty"`
	FirstError string `json:"first_error,omitempty"`
}

type benchGoal struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Target   float64 `json:"target"`
	Unit     string  `json:"unit"`
	Achieved bool    `json:"achieved"`
}

type benchReport struct {
	Issuer           string        `json:"issuer"`
	GoVersion        string        `json:"go_version"`
	NumCPU           int           `json:"num_cpu"`
	GOMAXPROCS       int           `json:"gomaxprocs"`
	Duration         float64       `json:"duration_seconds"`
	Warmup           float64       `json:"warmup_seconds"`
	Rounds           int           `json:"rounds"`
	Concurrency      int           `json:"concurrency"`
	LoginConcurrency int           `json:"login_concurrency"`
	Results          []benchResult `json:"results"`
	// LoginHashRatio is login/s over argon2id hashes/s, when both ran: printed,
	// not judged (on a machine the three processes share, it moves with
	// everything else the machine does).
	LoginHashRatio float64 `json:"login_hash_ratio,omitempty"`
	// LoginHashCPURatio is the CPU time of one hash over that of one whole login
	// (client, server and PostgreSQL) over all rounds: the throughput ratio a
	// machine that does nothing else would reach once its CPUs are saturated.
	LoginHashCPURatio float64 `json:"login_hash_cpu_ratio,omitempty"`
	// LoginHashCPURoundRatios is that ratio in each round (the hash's window and
	// login's of the same round), and LoginHashCPUMedian their median: the
	// benchmark's verdict on the sign-in's cost.
	LoginHashCPURoundRatios []float64 `json:"login_hash_cpu_round_ratios,omitempty"`
	LoginHashCPUMedian      float64   `json:"login_hash_cpu_median,omitempty"`
	// LoginHashRoundRatios is the throughput ratio of each round.
	LoginHashRoundRatios []float64 `json:"login_hash_round_ratios,omitempty"`
	// The same for the mfa sign-in.
	MFAHashRatio          float64     `json:"mfa_hash_ratio,omitempty"`
	MFAHashCPURatio       float64     `json:"mfa_hash_cpu_ratio,omitempty"`
	MFAHashCPURoundRatios []float64   `json:"mfa_hash_cpu_round_ratios,omitempty"`
	MFAHashCPUMedian      float64     `json:"mfa_hash_cpu_median,omitempty"`
	Goals                 []benchGoal `json:"goals,omitempty"`
}

func (r *benchReport) result(name string) (benchResult, bool) {
	for _, res := range r.Results {
		if res.Scenario == name && res.Setup == "" {
			return res, true
		}
	}
	return benchResult{}, false
}

// addGoals checks the figures the issues set: client credentials at least 1,500
// tokens/s, refresh 1,000/s, introspection 5,000/s, and the sign-ins' cost as the
// median over rounds of the CPU ratio (one hash alone over one whole sign-in):
// at least 0.78 for the password sign-in, 0.75 with an authenticator app. A
// scenario with errors meets no goal.
func (r *benchReport) addGoals() {
	rate := func(scenario, name, unit string, target float64) {
		if res, ok := r.result(scenario); ok {
			r.Goals = append(r.Goals, benchGoal{Name: name, Value: res.Rate, Target: target, Unit: unit, Achieved: res.Rate >= target && res.Errors == 0})
		}
	}
	rate("cc", "client credentials", "tokens/s", 1500)
	rate("refresh", "refresh", "/s", 1000)
	rate("introspect", "introspection", "/s", 5000)
	hash, okHash := r.result("hash")
	if !okHash || hash.Rate <= 0 {
		return
	}
	if login, ok := r.result("login"); ok {
		r.LoginHashRatio = math.Round(login.Rate/hash.Rate*1000) / 1000
		r.LoginHashRoundRatios = roundRatios(login.RoundRates, hash.RoundRates)
		r.LoginHashCPURatio = cpuRatio(hash, login)
		r.LoginHashCPURoundRatios = cpuRoundRatios(hash, login)
		if len(r.LoginHashCPURoundRatios) > 0 {
			r.LoginHashCPUMedian = median(r.LoginHashCPURoundRatios)
		}
		r.Goals = append(r.Goals, benchGoal{Name: "login CPU ratio (median)", Value: r.LoginHashCPUMedian, Target: 0.78, Unit: "ratio",
			Achieved: r.LoginHashCPUMedian >= 0.78 && login.Errors == 0})
	}
	if mfa, ok := r.result("mfa"); ok {
		r.MFAHashRatio = math.Round(mfa.Rate/hash.Rate*1000) / 1000
		r.MFAHashCPURatio = cpuRatio(hash, mfa)
		r.MFAHashCPURoundRatios = cpuRoundRatios(hash, mfa)
		if len(r.MFAHashCPURoundRatios) > 0 {
			r.MFAHashCPUMedian = median(r.MFAHashCPURoundRatios)
		}
		r.Goals = append(r.Goals, benchGoal{Name: "mfa CPU ratio (median)", Value: r.MFAHashCPUMedian, Target: 0.75, Unit: "ratio",
			Achieved: r.MFAHashCPUMedian >= 0.75 && mfa.Errors == 0})
	}
}

// cpuRoundRatios is the CPU ratio of each round: one hash's CPU time in the
// round's hash window over one sign-in's in its own window of that round. None
// unless the server's CPU time was measured and both have every round.
func cpuRoundRatios(hash, signIn benchResult) []float64 {
	if signIn.CPU == nil || signIn.CPU.Server == nil || len(signIn.RoundCPU) == 0 || len(signIn.RoundCPU) != len(hash.RoundCPU) {
		return nil
	}
	out := make([]float64, len(signIn.RoundCPU))
	for i, c := range signIn.RoundCPU {
		if c <= 0 {
			return nil
		}
		out[i] = math.Round(hash.RoundCPU[i]/c*1000) / 1000
	}
	return out
}

// roundRatios divides the rates of each round; none unless both have every round.
func roundRatios(num, den []float64) []float64 {
	if len(num) != len(den) || len(num) < 2 {
		return nil
	}
	out := make([]float64, len(num))
	for i := range num {
		if den[i] <= 0 {
			return nil
		}
		out[i] = math.Round(num[i]/den[i]*1000) / 1000
	}
	return out
}

// spread describes a list of ratios as "0.781 0.802 0.774 (median 0.781)".
func spread(vs []float64) string {
	words := make([]string, len(vs))
	for i, v := range vs {
		words[i] = fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%s (median %.3f)", strings.Join(words, " "), median(vs))
}

// median of a non-empty list: the middle value, or the mean of the two middle ones.
func median(vs []float64) float64 {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[n/2]
}

// cpuRatio is the CPU time of one hash over that of one sign-in, when the server's
// was measured.
func cpuRatio(hash, signIn benchResult) float64 {
	if signIn.CPU == nil || hash.CPU == nil || signIn.CPU.Server == nil || signIn.CPU.Total <= 0 {
		return 0
	}
	return math.Round(hash.CPU.Total/signIn.CPU.Total*1000) / 1000
}

func (r *benchReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "lockstep bench against %s\n", r.Issuer)
	fmt.Fprintf(w, "%d CPUs (GOMAXPROCS %d), %s; %gs per scenario in %d rounds (the scenarios take turns), each after %gs warm-up;\nconcurrency %d, login concurrency %d\n\n",
		r.NumCPU, r.GOMAXPROCS, r.GoVersion, r.Duration, r.Rounds, r.Warmup, r.Concurrency, r.LoginConcurrency)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tworkers\tops\terrors\tops/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, res := range r.Results {
		if res.Setup != "" {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t-\t-\t\n", res.Scenario, res.Workers)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", res.Scenario, res.Workers,
			res.Ops, res.Errors, res.Rate, res.P50, res.P90, res.P99, res.Max)
	}
	_ = tw.Flush()
	r.writeCPU(w)
	for _, res := range r.Results {
		switch {
		case res.Setup != "":
			fmt.Fprintf(w, "\n%s could not start: %s\n", res.Scenario, res.Setup)
		case res.FirstError != "":
			fmt.Fprintf(w, "\n%s: first error: %s\n", res.Scenario, res.FirstError)
		}
	}
	var notes []string
	for _, res := range r.Results {
		if res.Scenario != "login" && res.Scenario != "refresh" && res.Scenario != "mfa" || res.Setup != "" {
			continue
		}
		if res.ConsentShown > 0 {
			notes = append(notes, fmt.Sprintf("%s: the consent page was shown in %d of its logins, setup included (then the stored consent skips it)", res.Scenario, res.ConsentShown))
		} else {
			notes = append(notes, fmt.Sprintf("%s: no consent page was shown (a first-party client, or consent stored before)", res.Scenario))
		}
	}
	if r.LoginHashRatio > 0 {
		notes = append(notes, fmt.Sprintf("login/hash ratio: %.3f (logins per second over argon2id hashes per second; not judged)", r.LoginHashRatio))
	}
	if len(r.LoginHashRoundRatios) > 0 {
		notes = append(notes, "login/hash ratio by round: "+spread(r.LoginHashRoundRatios))
	}
	if r.LoginHashCPURatio > 0 {
		notes = append(notes, fmt.Sprintf("login/hash CPU ratio: %.3f over all rounds (CPU time of one hash over that of one whole login)", r.LoginHashCPURatio))
	}
	if len(r.LoginHashCPURoundRatios) > 0 {
		notes = append(notes, "login/hash CPU ratio by round: "+spread(r.LoginHashCPURoundRatios)+", the verdict")
	}
	if res, ok := r.result("mfa"); ok {
		notes = append(notes, mfaNote(res))
	}
	if r.MFAHashRatio > 0 {
		notes = append(notes, fmt.Sprintf("mfa/hash ratio: %.3f (password + authenticator-app sign-ins per second over argon2id hashes per second; not judged)", r.MFAHashRatio))
	}
	if r.MFAHashCPURatio > 0 {
		notes = append(notes, fmt.Sprintf("mfa/hash CPU ratio: %.3f over all rounds (CPU time of one hash over that of one whole mfa sign-in)", r.MFAHashCPURatio))
	}
	if len(r.MFAHashCPURoundRatios) > 0 {
		notes = append(notes, "mfa/hash CPU ratio by round: "+spread(r.MFAHashCPURoundRatios)+", the verdict")
	}
	if s := stealNote(r.Results); s != "" {
		notes = append(notes, s)
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
	if len(r.Goals) > 0 {
		fmt.Fprintln(w, "\ngoals:")
		for _, g := range r.Goals {
			verdict := "MET"
			if !g.Achieved {
				verdict = "NOT MET"
			}
			fmt.Fprintf(w, "  %-24s %10.3f %-9s (target ≥ %g)  %s\n", g.Name, g.Value, g.Unit, g.Target, verdict)
		}
	}
}

// stealNote says how much CPU time other guests took in each scenario's windows,
// when any did: a ratio of two scenarios is only fair when they lost alike.
func stealNote(results []benchResult) string {
	var parts []string
	stolen := false
	for _, res := range results {
		if res.Steal == nil {
			continue
		}
		stolen = stolen || *res.Steal > 0
		parts = append(parts, fmt.Sprintf("%s %.1f%%", res.Scenario, 100**res.Steal))
	}
	if !stolen {
		return ""
	}
	return "cpu steal in each scenario's windows (other guests on the host): " + strings.Join(parts, ", ")
}

// mfaNote says who signed in in the mfa scenario and whether they were enough.
func mfaNote(res benchResult) string {
	who := fmt.Sprintf("%d users", res.Users)
	if res.Users == 1 {
		who = "1 user"
	}
	switch {
	case res.Enrolled == res.Users:
		who += ", enrolled in setup"
	case res.Enrolled == 0:
		who += ", with the authenticator-app key given"
	default:
		who += fmt.Sprintf(", %d enrolled in setup", res.Enrolled)
	}
	if res.UserWait == 0 {
		return fmt.Sprintf("mfa: %s; no sign-in waited for a user with an unused code", who)
	}
	return fmt.Sprintf("mfa: %s; workers waited %.3g s in all for a user whose code for the current 30 s step was unused:\n"+
		"  the rate is limited by the users (each signs in once per step), not by the server; give more with --mfa-users", who, res.UserWait)
}

// writeCPU prints the CPU time per operation, when it was measured.
func (r *benchReport) writeCPU(w io.Writer) {
	measured := false
	for _, res := range r.Results {
		measured = measured || res.CPU != nil
	}
	if !measured {
		return
	}
	fmt.Fprintln(w, "\nCPU time per operation (ms), over the measured window:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tbench\tserver\tpostgres\ttotal\t")
	opt := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf("%.3f", *v)
	}
	for _, res := range r.Results {
		if res.CPU == nil {
			continue
		}
		c := res.CPU
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t%.3f\t\n", res.Scenario, c.Client, opt(c.Server), opt(c.Postgres), c.Total)
	}
	_ = tw.Flush()
}

// bencher holds what every scenario shares: one HTTP transport kept alive to the
// server, and the client's credentials.
type bencher struct {
	o         benchOptions
	transport *http.Transport
	// client does not follow redirects and keeps no cookies.
	client    *http.Client
	issuer    *url.URL
	origin    string
	basicAuth string
	redirect  *url.URL
	paths     struct{ token, introspect, login, consent, challenge, enrol, setupApp, setupVerify, setupCodes, setupDone string }
	consent   atomic.Int64
	// progress receives what setup is doing when it takes long (io.Discard when quiet).
	progress   io.Writer
	firstError struct {
		sync.Mutex
		msg string
	}
}

func newBencher(o benchOptions) *bencher {
	conns := max(o.concurrency, o.loginConcurrency)
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	b := &bencher{o: o, transport: tr, progress: io.Discard}
	b.client = &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: noRedirects}
	b.issuer, _ = url.Parse(strings.TrimSuffix(o.issuer, "/"))
	if b.issuer != nil {
		b.origin = b.issuer.Scheme + "://" + b.issuer.Host
	}
	b.redirect, _ = url.Parse(o.redirectURI)
	// RFC 6749 §2.3.1: id and secret are form-encoded before base64.
	b.basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(o.clientID)+":"+url.QueryEscape(o.clientSecret)))
	prefix := ""
	if b.issuer != nil {
		prefix = b.issuer.Path
	}
	b.paths.token = b.origin + prefix + idp.PathToken
	b.paths.introspect = b.origin + prefix + idp.PathIntrospect
	b.paths.login = prefix + signin.PathLogin
	b.paths.consent = prefix + consent.PathConsent
	b.paths.challenge = prefix + signin.PathChallenge
	b.paths.enrol = prefix + enrol.PathSetup
	b.paths.setupApp = prefix + enrol.PathSetupApp
	b.paths.setupVerify = prefix + enrol.PathSetupVerify
	b.paths.setupCodes = prefix + enrol.PathSetupCodes
	b.paths.setupDone = prefix + enrol.PathSetupDone
	return b
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// op is one measured operation of a worker.
type op func(ctx context.Context) error

// scenario is what setup prepares: one op per worker and, for some scenarios,
// what each worker does before each op, unmeasured: it returns how long it waited.
type scenario struct {
	ops    []op
	before []func(ctx context.Context) (time.Duration, error)
	// users and enrolled describe the mfa scenario's users, secrets their
	// authenticator apps' keys.
	users, enrolled int
	secrets         []string
}

// workers is how many workers a scenario runs with.
func (b *bencher) workers(name string) int {
	if name == "login" || name == "mfa" || name == "hash" {
		return b.o.loginConcurrency
	}
	return b.o.concurrency
}

// measured is what the windows of one scenario measured, added up.
type measured struct {
	lat    []time.Duration
	errs   int
	waited time.Duration
	cpu    cpuTimes // CPU time spent in the windows
	// rates is each window's successful operations per second, in order, and
	// roundCPU its CPU time per operation (all measured processes; 0 when none).
	rates, roundCPU []float64
}

func (m *measured) add(w measured) {
	m.lat = append(m.lat, w.lat...)
	m.rates = append(m.rates, w.rates...)
	m.roundCPU = append(m.roundCPU, w.roundCPU...)
	m.errs += w.errs
	m.waited += w.waited
	if m.cpu == (cpuTimes{}) {
		m.cpu = w.cpu
	} else {
		m.cpu = m.cpu.plus(w.cpu)
	}
}

// fill completes a scenario's result from its windows, which lasted window in all.
func (m measured) fill(res *benchResult, window time.Duration) {
	res.summary = summarize(m.lat, m.errs, window)
	res.CPU = m.cpu.perOp(res.Ops + res.Errors)
	res.RoundRates = m.rates
	if slices.ContainsFunc(m.roundCPU, func(v float64) bool { return v > 0 }) {
		res.RoundCPU = m.roundCPU
	}
	res.Steal = m.cpu.stealShare()
	res.UserWait = math.Round(m.waited.Seconds()*1000) / 1000
	if m.waited > 0 && res.UserWait == 0 {
		res.UserWait = 0.001 // a wait, however short, must show
	}
}

// window runs a scenario's workers through the warm-up and a measured window of
// length d, and returns the operations that started in it.
func (b *bencher) window(ctx context.Context, sc scenario, workers int, d time.Duration) measured {
	start := time.Now()
	measureStart := start.Add(b.o.warmup)
	measureEnd := measureStart.Add(d)
	// Waiting before an op ends with the window.
	waitCtx, cancel := context.WithDeadline(ctx, measureEnd)
	defer cancel()
	tallies := make([]measured, workers)
	// CPU times are read when the measured window opens and once every worker
	// has stopped.
	var cpuStart cpuTimes
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		select {
		case <-time.After(time.Until(measureStart)):
		case <-ctx.Done():
		}
		cpuStart = b.cpuNow()
	}()
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			t := &tallies[i]
			t.lat = make([]time.Duration, 0, 1024)
			for ctx.Err() == nil {
				if sc.before != nil {
					waited, err := sc.before[i](waitCtx)
					// The part of the wait, which just ended, inside the window.
					if inWindow := time.Since(measureStart); inWindow > 0 {
						t.waited += min(waited, inWindow)
					}
					if waitCtx.Err() != nil {
						return
					}
					if err != nil {
						b.recordError(err)
						t.errs++
						time.Sleep(10 * time.Millisecond)
						continue
					}
				}
				t0 := time.Now()
				if !t0.Before(measureEnd) {
					return
				}
				err := sc.ops[i](ctx)
				d := time.Since(t0)
				measured := !t0.Before(measureStart)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					b.recordError(err)
					if measured {
						t.errs++
					}
					// A server that fails fast must not be hammered in a tight loop.
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if measured {
					t.lat = append(t.lat, d)
				}
			}
		})
	}
	wg.Wait()
	<-cpuDone
	var m measured
	for _, t := range tallies {
		m.add(t)
	}
	m.cpu = b.cpuNow().since(cpuStart)
	m.rates = []float64{math.Round(float64(len(m.lat))/d.Seconds()*10) / 10}
	m.roundCPU = []float64{0}
	if c := m.cpu.perOp(len(m.lat) + m.errs); c != nil {
		m.roundCPU[0] = c.Total
	}
	return m
}

// takeFirstError returns the first error recorded since it was last called.
func (b *bencher) takeFirstError() string {
	b.firstError.Lock()
	defer b.firstError.Unlock()
	msg := b.firstError.msg
	b.firstError.msg = ""
	return msg
}

func (b *bencher) recordError(err error) {
	b.firstError.Lock()
	defer b.firstError.Unlock()
	if b.firstError.msg == "" {
		b.firstError.msg = err.Error()
	}
}

// setup prepares one op per worker: tokens are obtained here, unmeasured.
func (b *bencher) setup(ctx context.Context, name string, workers int) (scenario, error) {
	b.firstError.msg = ""
	b.consent.Store(0)
	if name == "mfa" {
		return b.setupMFA(ctx, workers)
	}
	ops, err := b.setupOps(ctx, name, workers)
	return scenario{ops: ops}, err
}

func (b *bencher) setupOps(ctx context.Context, name string, workers int) ([]op, error) {
	ops := make([]op, workers)
	switch name {
	case "cc":
		for i := range ops {
			ops[i] = func(ctx context.Context) error { _, err := b.clientCredentials(ctx); return err }
		}
		// One request first, so a wrong client fails with its reason.
		if _, err := b.clientCredentials(ctx); err != nil {
			return nil, err
		}
	case "introspect":
		tok, err := b.clientCredentials(ctx)
		if err != nil {
			return nil, fmt.Errorf("client credentials token to introspect: %w", err)
		}
		body := "token=" + url.QueryEscape(tok.AccessToken) + "&token_type_hint=access_token"
		for i := range ops {
			ops[i] = func(ctx context.Context) error { return b.introspect(ctx, body) }
		}
		if err := b.introspect(ctx, body); err != nil {
			return nil, err
		}
	case "login":
		for i := range ops {
			ops[i] = func(ctx context.Context) error { _, err := b.login(ctx, "openid"); return err }
		}
		// One login first: it grants consent if the client needs it, and a wrong
		// password or redirect URI fails here with its reason.
		if _, err := b.login(ctx, "openid"); err != nil {
			return nil, err
		}
	case "refresh":
		// Each worker rotates its own chain (a refresh token is single use), of
		// its own user when there are enough.
		signIn := func(ctx context.Context, worker int) (string, error) {
			email := b.o.refreshEmails[worker%len(b.o.refreshEmails)]
			t, err := b.signIn(ctx, signInSpec{scope: "openid offline_access", email: email, password: b.o.password})
			if err == nil && t.RefreshToken == "" {
				err = errors.New("the token response has no refresh_token: is the client allowed the refresh_token grant and the offline_access scope?")
			}
			if err != nil {
				return "", fmt.Errorf("sign in as %s for a refresh token: %w", email, err)
			}
			return t.RefreshToken, nil
		}
		tokens := make([]string, workers)
		var err error
		// The first alone: it grants consent if the client needs it.
		if tokens[0], err = signIn(ctx, 0); err != nil {
			return nil, err
		}
		errc := make(chan error, workers)
		var wg sync.WaitGroup
		for i := 1; i < workers; i++ {
			wg.Go(func() {
				var err error
				tokens[i], err = signIn(ctx, i)
				errc <- err
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				return nil, err
			}
		}
		for i := range ops {
			rt := tokens[i]
			ops[i] = func(ctx context.Context) error {
				if rt == "" {
					// The chain broke on an earlier error: start a new one, unmeasured
					// (this operation counts as the error's).
					var err error
					if rt, err = signIn(ctx, i); err != nil {
						return err
					}
					return errors.New("refresh chain restarted after an error")
				}
				t, err := b.refresh(ctx, rt)
				rt = t.RefreshToken
				return err
			}
		}
	case "hash":
		h := app.PasswordHasher(configs.Default().Password)
		for i := range ops {
			ops[i] = func(ctx context.Context) error {
				_, err := h.Hash(ctx, "correct horse battery staple")
				return err
			}
		}
	default:
		return nil, fmt.Errorf("unknown scenario %q", name)
	}
	return ops, nil
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
}

// statusError is a response other than the one expected.
type statusError struct {
	method, url string
	got         int
	want        []int
	location    string
	body        []byte
}

func (e *statusError) Error() string {
	u := e.url
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i] + "?…" // the query may carry codes and flow ids
	}
	want := make([]string, len(e.want))
	for i, w := range e.want {
		want[i] = strconv.Itoa(w)
	}
	msg := fmt.Sprintf("%s %s: status %d, want %s", e.method, u, e.got, strings.Join(want, " or "))
	if e.location != "" {
		msg += "; Location: " + e.location
	}
	body := bytes.TrimSpace(e.body)
	if isHTML(body) {
		body = htmlText(body)
	}
	if len(body) > 800 {
		body = append(body[:800:800], "…"...)
	}
	if len(body) > 0 {
		msg += "; body: " + string(body)
	}
	return msg
}

var (
	htmlTag   = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>|<[^>]*>`)
	htmlSpace = regexp.MustCompile(`\s+`)
	// htmlSecret is what an error message must not repeat: the authenticator-app
	// key on the enrolment page, the link that carries it and recovery codes.
	htmlSecret = regexp.MustCompile(`(?s)<div class="secret"[^>]*>.*?</div>|<code class="code">[^<]*</code>|otpauth://[^"'<>\s]*`)
)

func isHTML(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 100)])
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}

// htmlText is the visible text of a page's main part, where Lockstep's pages say
// what went wrong, with keys and recovery codes left out.
func htmlText(b []byte) []byte {
	for _, start := range []string{"<main", "<body"} {
		if i := bytes.Index(b, []byte(start)); i >= 0 {
			b = b[i:]
			break
		}
	}
	b = htmlSecret.ReplaceAll(b, []byte(" [hidden] "))
	b = htmlTag.ReplaceAll(b, []byte(" "))
	b = []byte(html.UnescapeString(string(b)))
	return bytes.TrimSpace(htmlSpace.ReplaceAll(b, []byte(" ")))
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// send does req with c and reads the whole body, so the connection is reused. A
// status other than those in want is a *statusError.
func send(c *http.Client, req *http.Request, want ...int) (reply, error) {
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
	}
	if !slices.Contains(want, resp.StatusCode) {
		return reply{}, &statusError{method: req.Method, url: req.URL.String(), got: resp.StatusCode, want: want,
			location: resp.Header.Get("Location"), body: body}
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// postClient posts a form to an endpoint that authenticates the client.
func (b *bencher) postClient(ctx context.Context, endpoint, form string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", b.basicAuth)
	req.Header.Set("Accept", "application/json")
	return send(b.client, req, http.StatusOK)
}

func (b *bencher) tokenRequest(ctx context.Context, form string) (tokenResponse, error) {
	r, err := b.postClient(ctx, b.paths.token, form)
	if err != nil {
		return tokenResponse{}, err
	}
	var t tokenResponse
	if err := json.Unmarshal(r.body, &t); err != nil {
		return t, fmt.Errorf("token response is not JSON: %w", err)
	}
	if t.AccessToken == "" {
		return t, fmt.Errorf("token response has no access_token: %s", r.body)
	}
	return t, nil
}

func (b *bencher) clientCredentials(ctx context.Context) (tokenResponse, error) {
	return b.tokenRequest(ctx, "grant_type=client_credentials")
}

func (b *bencher) refresh(ctx context.Context, rt string) (tokenResponse, error) {
	t, err := b.tokenRequest(ctx, "grant_type=refresh_token&refresh_token="+url.QueryEscape(rt))
	if err == nil && t.RefreshToken == "" {
		err = errors.New("refresh response has no new refresh_token")
	}
	return t, err
}

var activeTrue = []byte(`"active":true`)

func (b *bencher) introspect(ctx context.Context, form string) error {
	r, err := b.postClient(ctx, b.paths.introspect, form)
	if err != nil {
		return err
	}
	if !bytes.Contains(r.body, activeTrue) {
		return fmt.Errorf("introspection did not say active: %s", r.body)
	}
	return nil
}

// browser is one fresh browser: its own cookie jar, no redirect following.
type browser struct {
	b      *bencher
	client *http.Client
	// forwardedFor, when set, is sent as X-Forwarded-For: the client address a
	// proxy the server trusts would report.
	forwardedFor string
}

func (b *bencher) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{b: b, client: &http.Client{Transport: b.transport, Jar: jar, Timeout: 30 * time.Second, CheckRedirect: noRedirects}}
}

// do sends a request as a browser does on the server's own pages: a GET, or a
// POST of form (not nil) from one of them.
func (br *browser) do(ctx context.Context, u *url.URL, form url.Values, want ...int) (reply, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Accept", "text/html")
	if br.forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", br.forwardedFor)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// What http.CrossOriginProtection looks at.
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", br.b.origin)
	}
	return send(br.client, req, want...)
}

// get fetches u and expects want; for a redirect it returns the absolute next URL.
func (br *browser) get(ctx context.Context, u *url.URL, want int) (*url.URL, error) {
	r, err := br.do(ctx, u, nil, want)
	if err != nil {
		return nil, err
	}
	return next(u, r)
}

// post submits a form and expects a redirect, to the URL it returns.
func (br *browser) post(ctx context.Context, u *url.URL, form url.Values) (*url.URL, error) {
	r, err := br.do(ctx, u, form, http.StatusSeeOther)
	if err != nil {
		return nil, err
	}
	return next(u, r)
}

func next(base *url.URL, r reply) (*url.URL, error) {
	loc := r.header.Get("Location")
	if loc == "" {
		return nil, nil
	}
	u, err := base.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("bad Location %q: %w", loc, err)
	}
	return u, nil
}

// login is the whole browser sign-in with a password: it ends with the code
// redeemed at the token endpoint, and the token response must hold an ID token.
func (b *bencher) login(ctx context.Context, scope string) (tokenResponse, error) {
	return b.signIn(ctx, signInSpec{scope: scope, email: b.o.email, password: b.o.password})
}

// signInSpec says what one browser sign-in asks for and how it answers the pages.
type signInSpec struct {
	scope string
	// params are added to the authorization request (acr_values, claims).
	params          url.Values
	email, password string
	// forwardedFor is the X-Forwarded-For of every request ("" for none).
	forwardedFor string
	// challenge answers the second-factor page at u, enrol goes through the
	// enrolment pages from u; each returns where the browser goes next. Nil:
	// reaching that page is an error.
	challenge, enrol func(ctx context.Context, br *browser, u *url.URL) (*url.URL, error)
}

// loginStep is the address of the login step of the flow whose password form
// (body) a page answered with, as a redirect to that step would have named it.
func (b *bencher) loginStep(page *url.URL, body []byte) (*url.URL, error) {
	m := pageFlow.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("%s answered 200 without a sign-in form: %.200s", page.Path, htmlText(body))
	}
	return &url.URL{Scheme: page.Scheme, Host: page.Host, Path: b.paths.login, RawQuery: url.Values{"flow": {string(m[1])}}.Encode()}, nil
}

// flowForm is a form posting the flow of the page at u, with name-value pairs.
func flowForm(u *url.URL, kv ...string) url.Values {
	f := url.Values{"flow": {u.Query().Get("flow")}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// withoutQuery is u with no query: where a page posts its form.
func withoutQuery(u *url.URL) *url.URL {
	v := *u
	v.RawQuery = ""
	return &v
}

// signIn is a whole browser sign-in with a fresh cookie jar: GET /authorize (PKCE
// S256, state, nonce), the pages, the redirect URI's code redeemed at the token
// endpoint. The token response must hold an ID token.
func (b *bencher) signIn(ctx context.Context, s signInSpec) (tokenResponse, error) {
	br := b.newBrowser()
	br.forwardedFor = s.forwardedFor
	verifier := benchRandom(32)
	challenge := sha256.Sum256([]byte(verifier))
	state, nonce := benchRandom(16), benchRandom(16)
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {b.o.clientID},
		"redirect_uri":          {b.o.redirectURI},
		"scope":                 {s.scope},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	for k, v := range s.params {
		q[k] = v
	}
	u, err := url.Parse(b.o.issuer + idp.PathAuthorize + "?" + q.Encode())
	if err != nil {
		return tokenResponse{}, err
	}
	var callback *url.URL
	// shown: the response that led to the login step was the login page itself.
	shown := false
	for hops := 0; callback == nil; hops++ {
		if hops == 12 {
			return tokenResponse{}, errors.New("more than 12 redirects without reaching the redirect URI")
		}
		if u == nil {
			return tokenResponse{}, errors.New("a redirect without a Location")
		}
		switch {
		case b.isCallback(u):
			callback = u
		case u.Path == b.paths.login:
			if b.o.pages && !shown {
				if _, err := br.get(ctx, u, http.StatusOK); err != nil {
					return tokenResponse{}, err
				}
			}
			shown = false
			u, err = br.post(ctx, withoutQuery(u), flowForm(u, "email", s.email, "password", s.password))
		case u.Path == b.paths.consent:
			b.consent.Add(1)
			if b.o.pages {
				if _, err := br.get(ctx, u, http.StatusOK); err != nil {
					return tokenResponse{}, err
				}
			}
			u, err = br.post(ctx, withoutQuery(u), flowForm(u, "decision", "allow"))
		case u.Path == b.paths.challenge:
			if s.challenge == nil {
				return tokenResponse{}, fmt.Errorf("the server asks %s for a second factor (%s)", s.email, b.paths.challenge)
			}
			u, err = s.challenge(ctx, br, u)
		case u.Path == b.paths.enrol:
			if s.enrol == nil {
				return tokenResponse{}, fmt.Errorf("the server asks %s to set up an authenticator app (%s)", s.email, b.paths.enrol)
			}
			u, err = s.enrol(ctx, br, u)
		default: // /authorize, /authorize/resume
			var r reply
			if r, err = br.do(ctx, u, nil, http.StatusSeeOther, http.StatusOK); err != nil {
				break
			}
			if r.status == http.StatusSeeOther {
				u, err = next(u, r)
				break
			}
			// A new sign-in's password form comes with the answer to /authorize.
			u, err = b.loginStep(u, r.body)
			shown = err == nil
		}
		if err != nil {
			return tokenResponse{}, err
		}
	}
	cq := callback.Query()
	if e := cq.Get("error"); e != "" {
		return tokenResponse{}, fmt.Errorf("authorization error %s: %s", e, cq.Get("error_description"))
	}
	if cq.Get("state") != state {
		return tokenResponse{}, errors.New("the redirect's state is not the one sent")
	}
	if iss := cq.Get("iss"); iss != "" && strings.TrimSuffix(iss, "/") != b.o.issuer {
		return tokenResponse{}, fmt.Errorf("the redirect's iss is %q, not %q", iss, b.o.issuer)
	}
	code := cq.Get("code")
	if code == "" {
		return tokenResponse{}, errors.New("the redirect carries no code")
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {b.o.redirectURI},
		"code_verifier": {verifier},
	}
	t, err := b.tokenRequest(ctx, form.Encode())
	if err != nil {
		return t, err
	}
	if t.IDToken == "" {
		return t, errors.New("the token response has no id_token")
	}
	return t, nil
}

func (b *bencher) isCallback(u *url.URL) bool {
	r := b.redirect
	return r != nil && u.Scheme == r.Scheme && u.Host == r.Host && u.Path == r.Path
}

func benchRandom(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return base64.RawURLEncoding.EncodeToString(p)
}

// cpuTimes are CPU times (user plus system) read from /proc: this process's,
// the server's and PostgreSQL's. A part that could not be read is not "has".
type cpuTimes struct {
	client, server, postgres          time.Duration
	hasClient, hasServer, hasPostgres bool
	// steal is the CPU time the hypervisor gave to other guests, all the time of
	// every CPU of the machine (/proc/stat).
	steal, all time.Duration
	hasMachine bool
}

func (b *bencher) cpuNow() cpuTimes {
	var c cpuTimes
	var err error
	c.client, err = procCPU("/proc/self/stat")
	c.hasClient = err == nil
	if b.o.serverPID > 0 {
		c.server, err = procCPU(fmt.Sprintf("/proc/%d/stat", b.o.serverPID))
		c.hasServer = err == nil
	}
	if b.o.postgresDB != "" {
		c.postgres, err = postgresCPU(b.o.postgresDB)
		c.hasPostgres = err == nil
	}
	c.steal, c.all, err = machineCPU("/proc/stat")
	c.hasMachine = err == nil
	return c
}

// machineCPU reads the time all CPUs spent, and the part of it stolen by the
// hypervisor for other guests, from the first line of /proc/stat.
func machineCPU(path string) (steal, all time.Duration, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]; guest
	// time is already counted in user and nice.
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("%s: unexpected format", path)
	}
	var ticks [8]uint64
	for i := range ticks {
		if ticks[i], err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%s: unexpected format", path)
		}
	}
	var sum uint64
	for _, t := range ticks {
		sum += t
	}
	tick := func(n uint64) time.Duration { return time.Duration(n) * time.Second / userHZ }
	return tick(ticks[7]), tick(sum), nil
}

// cpuPerOp is CPU milliseconds per operation.
type cpuPerOp struct {
	Client   float64  `json:"bench"`
	Server   *float64 `json:"server,omitempty"`
	Postgres *float64 `json:"postgres,omitempty"`
	Total    float64  `json:"total"`
}

// since is the CPU time spent from start to c; a part not read at both is not had.
func (c cpuTimes) since(start cpuTimes) cpuTimes {
	return cpuTimes{
		client: c.client - start.client, server: c.server - start.server, postgres: c.postgres - start.postgres,
		hasClient: c.hasClient && start.hasClient, hasServer: c.hasServer && start.hasServer,
		hasPostgres: c.hasPostgres && start.hasPostgres,
		steal:       c.steal - start.steal, all: c.all - start.all, hasMachine: c.hasMachine && start.hasMachine,
	}
}

// plus adds the CPU times spent in two windows.
func (c cpuTimes) plus(d cpuTimes) cpuTimes {
	return cpuTimes{
		client: c.client + d.client, server: c.server + d.server, postgres: c.postgres + d.postgres,
		hasClient: c.hasClient && d.hasClient, hasServer: c.hasServer && d.hasServer,
		hasPostgres: c.hasPostgres && d.hasPostgres,
		steal:       c.steal + d.steal, all: c.all + d.all, hasMachine: c.hasMachine && d.hasMachine,
	}
}

// perOp divides the CPU time spent (since) by ops; nil when this process's own
// time could not be read (not Linux) or there were no operations.
func (c cpuTimes) perOp(ops int) *cpuPerOp {
	if !c.hasClient || ops == 0 {
		return nil
	}
	per := func(d time.Duration) float64 { return math.Round(float64(d)/float64(ops)/1e3) / 1e3 }
	out := &cpuPerOp{Client: per(c.client)}
	out.Total = out.Client
	if c.hasServer {
		v := per(c.server)
		out.Server, out.Total = &v, out.Total+v
	}
	if c.hasPostgres {
		v := per(c.postgres)
		out.Postgres, out.Total = &v, out.Total+v
	}
	out.Total = math.Round(out.Total*1e3) / 1e3
	return out
}

// stealShare is the share of the machine's CPU time that other guests took, or
// nil when /proc/stat could not be read.
func (c cpuTimes) stealShare() *float64 {
	if !c.hasMachine || c.all <= 0 {
		return nil
	}
	v := math.Round(float64(c.steal)/float64(c.all)*1000) / 1000
	return &v
}

// userHZ is the unit of the times in /proc/PID/stat; 100 on every Linux
// architecture Go supports.
const userHZ = 100

// procCPU reads utime+stime of a process (all its threads) from a /proc stat file.
func procCPU(path string) (time.Duration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may contain spaces; fields follow the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: unexpected format", path)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: unexpected format", path)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: unexpected format", path)
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// postgresCPU sums the CPU time of the PostgreSQL backends connected to db and of
// the background processes that write WAL and pages for every database.
func postgresCPU(db string) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	found := false
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !isPostgresFor(string(cmd), db) {
			continue
		}
		d, err := procCPU("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // it exited meanwhile
		}
		total += d
		found = true
	}
	if !found {
		return 0, errors.New("no PostgreSQL process found")
	}
	return total, nil
}

// isPostgresFor reports whether a process command line (as PostgreSQL rewrites
// it: "postgres: 15/main: user db 127.0.0.1(5432) idle") belongs to a backend of
// db or to one of the shared writer processes.
func isPostgresFor(cmdline, db string) bool {
	cmdline = strings.TrimRight(strings.ReplaceAll(cmdline, "\x00", " "), " ")
	if !strings.HasPrefix(cmdline, "postgres: ") {
		return false
	}
	for _, bg := range []string{": walwriter", ": checkpointer", ": background writer"} {
		if strings.HasSuffix(cmdline, bg) {
			return true
		}
	}
	return strings.Contains(cmdline, " "+db+" ")
}

// The mfa scenario.

// benchEssentialMFA is a claims parameter that makes the multi-factor level essential:
// a user without a second factor is asked to set one up.
var benchEssentialMFA = `{"id_token":{"acr":{"essential":true,"values":["` + flows.ACRMultiFactor + `"]}}}`

// totpPeriod is the step of the authenticator-app codes Lockstep accepts.
const totpPeriod = 30 * time.Second

// totpStep is the number of the step at t.
func totpStep(t time.Time) int64 {
	s := t.Unix() / int64(totpPeriod/time.Second)
	if t.Unix() < 0 && t.Unix()%int64(totpPeriod/time.Second) != 0 {
		s-- // floor
	}
	return s
}

// stepStart is when step begins.
func stepStart(step int64) time.Time { return time.Unix(step*int64(totpPeriod/time.Second), 0) }

// totpCode is the code an authenticator app shows for the base32 secret in step.
func totpCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, stepStart(step), totp.ValidateOpts{
		Period: uint(totpPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

var (
	enrolSecret = regexp.MustCompile(`(?s)<div class="secret"[^>]*>(.*?)</div>`)
	pageFlow    = regexp.MustCompile(`<input[^>]*name="flow" value="([^"]+)"`)
	tagOrSpace  = regexp.MustCompile(`<[^>]*>|\s+`)
)

// parseEnrolKey reads the key, shown in groups, from the wizard's app page.
func parseEnrolKey(body []byte) (string, error) {
	m := enrolSecret.FindSubmatch(body)
	if m == nil {
		return "", errors.New("the enrolment page shows no key")
	}
	secret, err := normalizeTOTPSecret(html.UnescapeString(tagOrSpace.ReplaceAllString(string(m[1]), "")))
	if err != nil {
		return "", errors.New("the enrolment page's key is not base32")
	}
	return secret, nil
}

// idTokenACR is the acr claim of an ID token; its signature is not checked.
func idTokenACR(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("the id_token is not a JWS in compact form")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", fmt.Errorf("the id_token's payload is not base64url: %w", err)
	}
	var claims struct {
		ACR *string `json:"acr"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("the id_token's payload is not a JSON object: %w", err)
	}
	if claims.ACR == nil {
		return "", errors.New("the id_token has no acr")
	}
	return *claims.ACR, nil
}

func wantMFA(t tokenResponse) error {
	acr, err := idTokenACR(t.IDToken)
	if err == nil && acr != flows.ACRMultiFactor {
		err = fmt.Errorf("the id_token's acr is %q, not %q", acr, flows.ACRMultiFactor)
	}
	return err
}

// userPicker hands out the mfa users: a code is accepted once per user and step,
// so a user signs in at most once per step, and one sign-in at a time.
type userPicker struct {
	mu sync.Mutex
	// last is the latest step whose code each user used (or will use).
	last []int64
	busy []bool
	next int
}

func newUserPicker(n int) *userPicker {
	p := &userPicker{last: make([]int64, n), busy: make([]bool, n)}
	for i := range p.last {
		p.last[i] = math.MinInt64
	}
	return p
}

// pick reserves the next user, round-robin, who has no sign-in under way and has
// not used step yet. When there is none, soon reports that one will be free when a
// sign-in under way ends, before the next step.
func (p *userPicker) pick(step int64) (user int, ok, soon bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.last)
	for k := range n {
		i := (p.next + k) % n
		switch {
		case p.last[i] >= step:
		case p.busy[i]:
			soon = true
		default:
			p.last[i], p.busy[i] = step, true
			p.next = (i + 1) % n
			return i, true, false
		}
	}
	return 0, false, soon
}

// release ends the sign-in of user.
func (p *userPicker) release(user int) {
	p.mu.Lock()
	p.busy[user] = false
	p.mu.Unlock()
}

// used records that user's code for step was used outside pick (at enrolment).
func (p *userPicker) used(user int, step int64) {
	p.mu.Lock()
	p.last[user] = max(p.last[user], step)
	p.mu.Unlock()
}

// latest is the latest step any user used.
func (p *userPicker) latest() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Max(p.last)
}

// wait reserves a user, waiting for one as long as needed, and returns the user,
// the step whose code to send and how long it waited.
func (p *userPicker) wait(ctx context.Context) (user int, step int64, waited time.Duration, err error) {
	var start time.Time
	for {
		now := time.Now()
		step = totpStep(now)
		u, ok, soon := p.pick(step)
		if ok {
			if !start.IsZero() {
				waited = now.Sub(start)
			}
			return u, step, waited, nil
		}
		if start.IsZero() {
			start = now
		}
		d := stepStart(step + 1).Sub(now)
		if soon {
			d = min(d, 5*time.Millisecond)
		}
		if err := sleepCtx(ctx, d); err != nil {
			return 0, 0, time.Since(start), err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setupMFA gives every mfa user an authenticator app (or takes the key given),
// then waits until no user's code for the current step is used, so the run
// starts with every user available.
func (b *bencher) setupMFA(ctx context.Context, workers int) (scenario, error) {
	emails := b.o.mfaEmails
	secrets := make([]string, len(emails))
	sc := scenario{users: len(emails), secrets: secrets}
	picker := newUserPicker(len(emails))
	if b.o.totpSecret != "" {
		secrets[0] = b.o.totpSecret
		// One sign-in first: it grants consent if needed, and a wrong key fails
		// here with its reason. The current step's code may have been used
		// already (by the app's owner, or a bench just before): a refused code is
		// tried once more in the next step.
		for attempt := 0; ; attempt++ {
			u, step, _, err := picker.wait(ctx)
			if err != nil {
				return sc, err
			}
			err = b.mfaLogin(ctx, emails[u], secrets[u], step)
			picker.release(u)
			var se *statusError
			if err != nil && attempt == 0 && errors.As(err, &se) && se.got == http.StatusUnauthorized && strings.HasSuffix(se.url, b.paths.challenge) {
				fmt.Fprintf(b.progress, "the code was refused; trying the next step's…\n")
				continue
			}
			if err != nil {
				return sc, fmt.Errorf("sign in %s with the --totp-secret: %w", emails[u], err)
			}
			break
		}
	} else {
		if err := b.enrolAll(ctx, emails, secrets, picker, 2*workers); err != nil {
			return sc, err
		}
		sc.enrolled = len(emails)
	}
	if next := stepStart(picker.latest() + 1); time.Now().Before(next) {
		fmt.Fprintf(b.progress, "waiting %.0fs for the next %s step, whose codes no user has used…\n",
			math.Ceil(time.Until(next).Seconds()), totpPeriod)
		if err := sleepCtx(ctx, time.Until(next)); err != nil {
			return sc, err
		}
	}

	type reserved struct {
		user int
		step int64
	}
	cur := make([]reserved, workers)
	sc.ops, sc.before = make([]op, workers), make([]func(context.Context) (time.Duration, error), workers)
	for i := range workers {
		sc.before[i] = func(ctx context.Context) (time.Duration, error) {
			u, step, waited, err := picker.wait(ctx)
			cur[i] = reserved{u, step}
			return waited, err
		}
		sc.ops[i] = func(ctx context.Context) error {
			r := cur[i]
			defer picker.release(r.user)
			return b.mfaLogin(ctx, emails[r.user], secrets[r.user], r.step)
		}
	}
	return sc, nil
}

// enrolAll enrols the users, at most conc at a time, stopping at the first error.
func (b *bencher) enrolAll(ctx context.Context, emails, secrets []string, picker *userPicker, conc int) error {
	fmt.Fprintf(b.progress, "enrolling %d users in an authenticator app…\n", len(emails))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var nextUser atomic.Int64
	var wg sync.WaitGroup
	for range min(conc, len(emails)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(nextUser.Add(1) - 1)
				if i >= len(emails) {
					return
				}
				secret, step, err := b.enrol(ctx, emails[i], b.o.mfaPassword)
				if err != nil {
					cancel(fmt.Errorf("enrol %s: %w", emails[i], err))
					return
				}
				secrets[i] = secret
				picker.used(i, step)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// enrol signs a user in with the multi-factor level essential, which makes the
// server ask a user without a second factor to set up an authenticator app, and
// goes through the enrolment pages: the key, a code, the recovery codes. It
// returns the key and the step whose code it used.
func (b *bencher) enrol(ctx context.Context, email, password string) (secret string, step int64, err error) {
	t, err := b.signIn(ctx, signInSpec{
		scope: "openid", params: url.Values{"claims": {benchEssentialMFA}}, email: email, password: password,
		challenge: func(context.Context, *browser, *url.URL) (*url.URL, error) {
			return nil, errors.New("the user already has an authenticator app (the server asks for its code instead of " +
				"offering to set one up): give its key with --totp-secret, or use users without one")
		},
		enrol: func(ctx context.Context, br *browser, u *url.URL) (*url.URL, error) {
			// The wizard: the app's page (which makes the pending device), the
			// code, the recovery codes confirmed as stored, the last page.
			flow := url.Values{"flow": {u.Query().Get("flow")}}
			at := func(path string, q url.Values) *url.URL {
				v := withoutQuery(u)
				v.Path, v.RawQuery = path, q.Encode()
				return v
			}
			scan, err := br.get(ctx, at(b.paths.setupApp, flow), http.StatusSeeOther)
			if err != nil {
				return nil, err
			}
			page, err := br.do(ctx, scan, nil, http.StatusOK)
			if err != nil {
				return nil, err
			}
			key, err := parseEnrolKey(page.body)
			if err != nil {
				return nil, err
			}
			device := scan.Query().Get("device")
			step = totpStep(time.Now())
			code, err := totpCode(key, step)
			if err != nil {
				return nil, err
			}
			if _, err := br.post(ctx, at(b.paths.setupVerify, nil), url.Values{"flow": flow["flow"], "device": {device}, "code": {code}}); err != nil {
				return nil, err
			}
			secret = key
			if _, err := br.post(ctx, at(b.paths.setupCodes, nil), url.Values{"flow": flow["flow"], "stored": {"yes"}}); err != nil {
				return nil, err
			}
			return br.post(ctx, at(b.paths.setupDone, nil), flow)
		},
	})
	if err != nil {
		return "", 0, err
	}
	if secret == "" {
		return "", 0, errors.New("the sign-in did not go through the enrolment page")
	}
	if err := wantMFA(t); err != nil {
		return "", 0, fmt.Errorf("after enrolment: %w", err)
	}
	return secret, step, nil
}

// mfaLogin is the measured mfa sign-in: password, then the code of step.
func (b *bencher) mfaLogin(ctx context.Context, email, secret string, step int64) error {
	t, err := b.signIn(ctx, signInSpec{
		scope: "openid", params: url.Values{"acr_values": {flows.ACRMultiFactor}}, email: email, password: b.o.mfaPassword,
		challenge: func(ctx context.Context, br *browser, u *url.URL) (*url.URL, error) {
			if b.o.pages {
				if _, err := br.get(ctx, u, http.StatusOK); err != nil {
					return nil, err
				}
			}
			code, err := totpCode(secret, step)
			if err != nil {
				return nil, err
			}
			return br.post(ctx, withoutQuery(u), flowForm(u, "method", "totp", "code", code))
		},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", email, err)
	}
	return wantMFA(t)
}
