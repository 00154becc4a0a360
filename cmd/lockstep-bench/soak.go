package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/lockstep-id/lockstep/flows"
)

// soakMix is what a soak sends, by share of operations: mostly the API calls of
// signed-in apps, some sign-ins, and some wrong passwords and codes.
var soakMix = []struct {
	kind   string
	weight int
}{
	{"introspect", 35}, {"cc", 20}, {"refresh", 20}, {"login", 10}, {"mfa", 5},
	{"wrong-password", 6}, {"wrong-code", 4},
}

// soakSlots is how many operations of one kind may run at once (each slot is a
// refresh chain, an mfa worker…); an arrival waits for a free slot, and the wait
// counts in its latency.
const soakSlots = 16

// soakMaxInFlight bounds the operations running or waiting at once: beyond it
// the server is not keeping up, and each further arrival is an error.
const soakMaxInFlight = 512

// soakInterval is one reporting interval of a soak.
type soakInterval struct {
	End        float64        `json:"end_seconds"`
	Ops        int            `json:"ops"`
	Errors     int            `json:"errors"`
	Rate       float64        `json:"ops_per_second"`
	P50        float64        `json:"p50_ms"`
	P99        float64        `json:"p99_ms"`
	OpsByKind  map[string]int `json:"ops_by_kind"`
	ErrsByKind map[string]int `json:"errors_by_kind,omitempty"`
	// RSS and Goroutines are the server's, from its /metrics at the interval's end.
	RSSMiB     float64 `json:"server_rss_mib"`
	Goroutines int     `json:"server_goroutines"`
}

type soakReport struct {
	Issuer   string  `json:"issuer"`
	Duration float64 `json:"duration_seconds"`
	// Peak is the mix's closed-loop rate, measured first (0 when --soak-rate set
	// the rate), and Rate the open-loop arrival rate of the soak.
	Peak      float64        `json:"peak_ops_per_second,omitempty"`
	Fraction  float64        `json:"fraction_of_peak,omitempty"`
	Rate      float64        `json:"ops_per_second"`
	Interval  float64        `json:"interval_seconds"`
	Intervals []soakInterval `json:"intervals"`
	Errors    int            `json:"errors"`
	// FirstErrors is the first error of each kind that had one.
	FirstErrors map[string]string `json:"first_errors,omitempty"`
	// RSSGrowth is the server's RSS at the end over its RSS at the end of the
	// second interval (the first when there is one), minus one.
	RSSGrowth float64 `json:"rss_growth"`
	Flat      bool    `json:"memory_flat"`
	// MemoryJudged says whether the run was long enough for Flat to count: at
	// least three intervals of a minute (in a shorter run the server's heap is
	// still growing to its working size).
	MemoryJudged bool `json:"memory_judged"`
	Passed       bool `json:"passed"`
}

// soakOp is one operation of a kind: before (may be nil) waits, unmeasured, for
// what the operation needs; op is measured.
type soakOp struct {
	before func(ctx context.Context) (time.Duration, error)
	op     op
}

// soakTally collects one interval's operations.
type soakTally struct {
	mu    sync.Mutex
	lat   []time.Duration
	ops   map[string]int
	errs  map[string]int
	first map[string]string
}

func newSoakTally() *soakTally {
	return &soakTally{ops: map[string]int{}, errs: map[string]int{}, first: map[string]string{}}
}

func (t *soakTally) record(kind string, d time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.errs[kind]++
		if _, ok := t.first[kind]; !ok {
			t.first[kind] = err.Error()
		}
		return
	}
	t.ops[kind]++
	t.lat = append(t.lat, d)
}

// take returns the interval's figures and starts the next one.
func (t *soakTally) take() (lat []time.Duration, ops, errs map[string]int, first map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lat, ops, errs, first = t.lat, t.ops, t.errs, t.first
	t.lat, t.ops, t.errs, t.first = nil, map[string]int{}, map[string]int{}, map[string]string{}
	return lat, ops, errs, first
}

// runSoak runs the mix open-loop at a fixed arrival rate for o.soak, reporting
// each interval, and fails unless there were no errors and the server's memory
// stayed flat.
func runSoak(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	b := newBencher(o)
	defer b.transport.CloseIdleConnections()
	if o.output == "text" {
		b.progress = stderr
	}
	pools, err := b.setupSoak(ctx)
	if err != nil {
		return err
	}
	report := soakReport{Issuer: o.issuer, Duration: o.soak.Seconds(), Rate: o.soakRate, Interval: o.soakInterval.Seconds()}
	if report.Rate == 0 {
		fmt.Fprintf(b.progress, "measuring the mix's peak for %s…\n", o.soakPeak)
		report.Peak = b.soakPeak(ctx, pools, o.soakPeak)
		report.Fraction = o.soakFraction
		report.Rate = math.Round(report.Peak*o.soakFraction*10) / 10
		if report.Rate <= 0 {
			return errors.New("the mix's peak is 0 operations per second: see the server's log")
		}
	}
	fmt.Fprintf(b.progress, "soaking for %s at %.1f operations/s…\n", o.soak, report.Rate)
	report.Intervals, report.FirstErrors = b.soak(ctx, pools, report.Rate, o.soak, o.soakInterval)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	report.judge()
	if err := writeReport(stdout, o.output, report, report.writeText); err != nil {
		return err
	}
	if !report.Passed {
		return fmt.Errorf("soak failed: %d errors, server RSS %+.1f%% from the second interval to the end", report.Errors, 100*report.RSSGrowth)
	}
	return nil
}

// judge adds up the errors and compares the server's RSS at the end with the
// second interval's: the goal is no error and memory no more than 10 % above it.
func (r *soakReport) judge() {
	r.Errors = 0
	for _, iv := range r.Intervals {
		r.Errors += iv.Errors
	}
	if n := len(r.Intervals); n > 0 {
		base := r.Intervals[min(1, n-1)].RSSMiB
		if base > 0 {
			r.RSSGrowth = math.Round((r.Intervals[n-1].RSSMiB/base-1)*1000) / 1000
		}
		// A leak grows; memory the garbage collector hands back (a short run's
		// last interval can be 10 % below its second) is no leak.
		r.Flat = base > 0 && r.RSSGrowth <= 0.10
	}
	r.MemoryJudged = r.Interval >= 60 && len(r.Intervals) >= 3
	r.Passed = r.Errors == 0 && (r.Flat || !r.MemoryJudged)
}

// setupSoak prepares soakSlots operations of every kind of the mix.
func (b *bencher) setupSoak(ctx context.Context) (map[string]chan soakOp, error) {
	pools := map[string]chan soakOp{}
	add := func(kind string, ops []soakOp) {
		pools[kind] = make(chan soakOp, len(ops))
		for _, o := range ops {
			pools[kind] <- o
		}
	}
	for _, kind := range []string{"cc", "introspect", "refresh", "login"} {
		fmt.Fprintf(b.progress, "setting up %s…\n", kind)
		ops, err := b.setupOps(ctx, kind, soakSlots)
		if err != nil {
			return nil, fmt.Errorf("set up %s: %w", kind, err)
		}
		slots := make([]soakOp, len(ops))
		for i, o := range ops {
			slots[i] = soakOp{op: o}
		}
		add(kind, slots)
	}
	fmt.Fprintf(b.progress, "setting up mfa…\n")
	mfa, err := b.setupMFA(ctx, soakSlots)
	if err != nil {
		return nil, fmt.Errorf("set up mfa: %w", err)
	}
	slots := make([]soakOp, len(mfa.ops))
	for i := range mfa.ops {
		slots[i] = soakOp{before: mfa.before[i], op: mfa.ops[i]}
	}
	add("mfa", slots)

	wrongPW, wrongCode := make([]soakOp, soakSlots), make([]soakOp, soakSlots)
	for i := range soakSlots {
		wrongPW[i] = soakOp{op: b.wrongPassword}
		wrongCode[i] = soakOp{op: func(ctx context.Context) error {
			u := rand.IntN(len(mfa.secrets))
			return b.wrongCode(ctx, b.o.mfaEmails[u], mfa.secrets[u])
		}}
	}
	add("wrong-password", wrongPW)
	add("wrong-code", wrongCode)
	return pools, nil
}

// otherAddress is a client address from 198.18.0.0/15 (set aside for
// benchmarks), sent as X-Forwarded-For: the server counts failures per address,
// and a soak's wrong passwords and codes from the bench's own address would soon
// lock its right ones out. The bench server trusts the bench as its proxy.
func otherAddress() string {
	n := rand.Uint32N(1 << 17)
	return fmt.Sprintf("198.%d.%d.%d", 18+n>>16, n>>8&0xff, n&0xff)
}

// wrongPassword signs in as nobody in particular with a wrong password and
// expects the login page to refuse it (401).
func (b *bencher) wrongPassword(ctx context.Context) error {
	_, err := b.signIn(ctx, signInSpec{scope: "openid", email: "nobody-" + benchRandom(6) + "@example.com",
		password: benchRandom(12), forwardedFor: otherAddress()})
	return refused(err, b.paths.login)
}

// wrongCode signs in as an mfa user with the right password and a wrong code,
// and expects the challenge to refuse it (401).
func (b *bencher) wrongCode(ctx context.Context, email, secret string) error {
	_, err := b.signIn(ctx, signInSpec{
		scope: "openid", params: url.Values{"acr_values": {flows.ACRMultiFactor}}, email: email, password: b.o.mfaPassword,
		forwardedFor: otherAddress(),
		challenge: func(ctx context.Context, br *browser, u *url.URL) (*url.URL, error) {
			code, err := wrongTOTPCode(secret, totpStep(time.Now()))
			if err != nil {
				return nil, err
			}
			return br.post(ctx, withoutQuery(u), flowForm(u, "method", "totp", "code", code))
		},
	})
	return refused(err, b.paths.challenge)
}

// wrongTOTPCode is a code that none of the steps around step accepts.
func wrongTOTPCode(secret string, step int64) (string, error) {
	var right []string
	for s := step - 2; s <= step+2; s++ {
		c, err := totpCode(secret, s)
		if err != nil {
			return "", err
		}
		right = append(right, c)
	}
	for {
		c := fmt.Sprintf("%06d", rand.IntN(1_000_000))
		if !slices.Contains(right, c) {
			return c, nil
		}
	}
}

// refused is nil when err is the page at path answering 401, the refusal a wrong
// password or code gets; anything else (a success too) is an error.
func refused(err error, path string) error {
	var se *statusError
	if errors.As(err, &se) && se.got == http.StatusUnauthorized {
		if u, perr := url.Parse(se.url); perr == nil && u.Path == path {
			return nil
		}
	}
	if err == nil {
		return errors.New("a wrong password or code was accepted")
	}
	return fmt.Errorf("want a refusal (401 from %s): %w", path, err)
}

// pickKind draws a kind of the mix by its weight.
func pickKind(r *rand.Rand) string {
	total := 0
	for _, m := range soakMix {
		total += m.weight
	}
	n := r.IntN(total)
	for _, m := range soakMix {
		if n < m.weight {
			return m.kind
		}
		n -= m.weight
	}
	return soakMix[len(soakMix)-1].kind
}

// runOne takes a slot of kind, runs its operation and returns the slot; the
// latency is from arrival, less what before waited for (a user with an unused
// code: the bench's limit, not the server's).
func runOne(ctx context.Context, pools map[string]chan soakOp, kind string, arrival time.Time) (time.Duration, error) {
	var slot soakOp
	select {
	case slot = <-pools[kind]:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { pools[kind] <- slot }()
	var waited time.Duration
	if slot.before != nil {
		w, err := slot.before(ctx)
		if err != nil {
			return 0, err
		}
		waited = w
	}
	err := slot.op(ctx)
	return time.Since(arrival) - waited, err
}

// soakPeak runs the mix closed-loop (2 × soakSlots workers, each starting its
// next operation when the last ends) for d and returns the operations per second.
// Operations still running at the end finish uncounted: cancelled, a refresh
// could leave its chain with a token the server spent.
func (b *bencher) soakPeak(ctx context.Context, pools map[string]chan soakOp, d time.Duration) float64 {
	stop := time.Now().Add(d)
	var done atomic.Int64
	var wg sync.WaitGroup
	for w := range 2 * soakSlots {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for ctx.Err() == nil && time.Now().Before(stop) {
				_, err := runOne(ctx, pools, pickKind(r), time.Now())
				if err == nil && time.Now().Before(stop) {
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / d.Seconds()
}

// soak sends operations at rate for d, whatever the answers (open loop), and
// returns each interval's figures and the first error of each kind.
func (b *bencher) soak(ctx context.Context, pools map[string]chan soakOp, rate float64, d, every time.Duration) ([]soakInterval, map[string]string) {
	tally := newSoakTally()
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	r := rand.New(rand.NewPCG(1, 2))
	var intervals []soakInterval
	firsts := map[string]string{}
	last := start
	closeInterval := func(at time.Time) {
		lat, ops, errs, first := tally.take()
		iv := summarizeInterval(lat, ops, errs, at.Sub(start), at.Sub(last))
		last = at
		iv.RSSMiB, iv.Goroutines = b.serverMemory(ctx)
		intervals = append(intervals, iv)
		for k, v := range first {
			if _, ok := firsts[k]; !ok {
				firsts[k] = v
			}
		}
		fmt.Fprintf(b.progress, "%6.0fs  %6d ops  %4d errors  %7.1f/s  p50 %7.2f ms  p99 %8.2f ms  rss %6.1f MiB  %4d goroutines\n",
			iv.End, iv.Ops, iv.Errors, iv.Rate, iv.P50, iv.P99, iv.RSSMiB, iv.Goroutines)
	}
	nextReport := start.Add(every)
	for k := 0; ; k++ {
		arrival := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		for !arrival.Before(nextReport) && nextReport.Before(end) {
			if sleepCtx(ctx, time.Until(nextReport)) != nil {
				wg.Wait()
				return intervals, firsts
			}
			closeInterval(nextReport)
			nextReport = nextReport.Add(every)
		}
		if !arrival.Before(end) || sleepCtx(ctx, time.Until(arrival)) != nil {
			break
		}
		kind := pickKind(r)
		if inFlight.Load() >= soakMaxInFlight {
			tally.record(kind, 0, fmt.Errorf("more than %d operations in flight: the server is not keeping up", soakMaxInFlight))
			continue
		}
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			lat, err := runOne(ctx, pools, kind, arrival)
			if ctx.Err() == nil {
				tally.record(kind, lat, err)
			}
		})
	}
	// The last interval ends with the operations that arrived in it.
	wg.Wait()
	if ctx.Err() == nil {
		closeInterval(end)
	}
	return intervals, firsts
}

// summarizeInterval turns one interval's operations into its figures.
func summarizeInterval(lat []time.Duration, ops, errs map[string]int, end, length time.Duration) soakInterval {
	iv := soakInterval{End: math.Round(end.Seconds()*10) / 10, OpsByKind: ops}
	for _, n := range ops {
		iv.Ops += n
	}
	for _, n := range errs {
		iv.Errors += n
	}
	if len(errs) > 0 {
		iv.ErrsByKind = errs
	}
	iv.Rate = math.Round(float64(iv.Ops)/length.Seconds()*10) / 10
	if len(lat) > 0 {
		slices.Sort(lat)
		iv.P50, iv.P99 = ms(percentile(lat, 50)), ms(percentile(lat, 99))
	}
	return iv
}

// serverMemory reads the server's resident memory and goroutines from its
// /metrics (0 when it cannot).
func (b *bencher) serverMemory(ctx context.Context) (rssMiB float64, goroutines int) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.origin+"/metrics", nil)
	if err != nil {
		return 0, 0
	}
	r, err := send(b.client, req, http.StatusOK)
	if err != nil {
		return 0, 0
	}
	rss, g := parseMetrics(r.body)
	return math.Round(rss/(1<<20)*10) / 10, int(g)
}

// parseMetrics finds process_resident_memory_bytes and go_goroutines in a
// Prometheus text exposition.
func parseMetrics(body []byte) (rss, goroutines float64) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			rss = v
		case "go_goroutines":
			goroutines = v
		}
	}
	return rss, goroutines
}

func (r soakReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "lockstep soak against %s\n", r.Issuer)
	if r.Peak > 0 {
		fmt.Fprintf(w, "mix peak %.1f operations/s (closed loop); soak at %.0f%% of it: %.1f/s, open loop, for %gs\n\n", r.Peak, 100*r.Fraction, r.Rate, r.Duration)
	} else {
		fmt.Fprintf(w, "soak at %.1f operations/s, open loop, for %gs\n\n", r.Rate, r.Duration)
	}
	kinds := make([]string, len(soakMix))
	for i, m := range soakMix {
		kinds[i] = m.kind
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "until\tops\terrors\tops/s\tp50 ms\tp99 ms\trss MiB\tgoroutines\t%s\t\n", strings.Join(kinds, "\t"))
	for _, iv := range r.Intervals {
		counts := make([]string, len(kinds))
		for i, k := range kinds {
			counts[i] = strconv.Itoa(iv.OpsByKind[k])
			if e := iv.ErrsByKind[k]; e > 0 {
				counts[i] += fmt.Sprintf(" (%d err)", e)
			}
		}
		fmt.Fprintf(tw, "%.0fs\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.1f\t%d\t%s\t\n", iv.End, iv.Ops, iv.Errors, iv.Rate, iv.P50, iv.P99,
			iv.RSSMiB, iv.Goroutines, strings.Join(counts, "\t"))
	}
	_ = tw.Flush()
	for _, k := range kinds {
		if msg, ok := r.FirstErrors[k]; ok {
			fmt.Fprintf(w, "\n%s: first error: %s\n", k, msg)
		}
	}
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	judged := "goal at most +10%"
	if !r.MemoryJudged {
		judged = "not judged: shorter than three one-minute intervals"
	}
	fmt.Fprintf(w, "\nerrors %d (goal 0); server RSS %+.1f%% from the second interval to the end (%s): %s\n",
		r.Errors, 100*r.RSSGrowth, judged, verdict)
}
