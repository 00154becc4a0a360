package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The 30-second soak CI runs: scripts/bench.sh against PostgreSQL with the whole
// mix (every kind of operation done and none failed, the wrong passwords and codes
// refused as they should be) and the server's memory read every 10 s. What it
// checks is the report's shape and the absence of errors, not its speeds.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server on PostgreSQL")
	}
	cmd := exec.Command("bash", "../../scripts/bench.sh", "--soak", "30s", "--soak-peak", "5s", "--soak-fraction", "0.5",
		"--soak-interval", "10s", "--mfa-users", "200", "--output", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench.sh --soak: %v\n%s\n%s", err, stdout.String(), tail(stderr.String(), 4000))
	}
	// bench.sh prints the machine before the report and the CPU steal after it.
	out := stdout.String()
	begin, end := strings.Index(out, "\n{"), strings.LastIndex(out, "\n}")
	if begin < 0 || end < begin {
		t.Fatalf("no JSON report in:\n%s", out)
	}
	var r soakReport
	if err := json.Unmarshal([]byte(out[begin:end+2]), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if !r.Passed || r.MemoryJudged || r.Errors != 0 || r.Peak <= 0 || r.Rate <= 0 || r.Fraction != 0.5 {
		t.Errorf("soak: passed %v, %d errors (%v), peak %v, rate %v, fraction %v", r.Passed, r.Errors, r.FirstErrors, r.Peak, r.Rate, r.Fraction)
	}
	if len(r.Intervals) != 3 {
		t.Fatalf("%d intervals, want 3: %+v", len(r.Intervals), r.Intervals)
	}
	for _, iv := range r.Intervals {
		if iv.RSSMiB <= 0 || iv.Goroutines <= 0 || iv.Ops == 0 || iv.P99 < iv.P50 {
			t.Errorf("interval %+v", iv)
		}
	}
	for _, m := range soakMix {
		n := 0
		for _, iv := range r.Intervals {
			n += iv.OpsByKind[m.kind]
		}
		if n == 0 {
			t.Errorf("no %s operation in the soak", m.kind)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// The verdict: no error, and, in a run of at least three one-minute intervals,
// the server's RSS at the end no more than 10 % above the second interval's (the
// first interval's, which includes the start-up, does not count).
func TestSoakJudge(t *testing.T) {
	minutes := func(rss ...float64) soakReport {
		out := soakReport{Interval: 60}
		for _, v := range rss {
			out.Intervals = append(out.Intervals, soakInterval{RSSMiB: v})
		}
		return out
	}
	ivs := func(rss ...float64) []soakInterval {
		out := make([]soakInterval, len(rss))
		for i, v := range rss {
			out[i] = soakInterval{RSSMiB: v}
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		r      soakReport
		growth float64
		passed bool
	}{
		{"flat", minutes(50, 100, 105, 109), 0.09, true},
		{"grew", minutes(100, 100, 111), 0.11, false},
		{"gave memory back", minutes(100, 100, 87), -0.13, true},
		{"no memory read", minutes(0, 0, 0), 0, false},
		{"too short to judge memory", soakReport{Interval: 10, Intervals: ivs(100, 100, 150)}, 0.5, true},
		{"two minutes only", minutes(100, 100), 0, true},
		{"an error", soakReport{Interval: 10, Intervals: append(ivs(100), soakInterval{RSSMiB: 100, Errors: 1})}, 0, false},
	} {
		tt.r.judge()
		if tt.r.RSSGrowth != tt.growth || tt.r.Passed != tt.passed {
			t.Errorf("%s: growth %v, passed %v; want %v, %v", tt.name, tt.r.RSSGrowth, tt.r.Passed, tt.growth, tt.passed)
		}
	}
}

// The mix's draws follow its weights, and a wrong code is never one the
// authenticator app would show around that step.
func TestSoakMix(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	counts := map[string]int{}
	const n = 100_000
	for range n {
		counts[pickKind(r)]++
	}
	for _, m := range soakMix {
		if got := float64(counts[m.kind]) / n * 100; got < float64(m.weight)-1 || got > float64(m.weight)+1 {
			t.Errorf("%s: %.1f%% of draws, want about %d%%", m.kind, got, m.weight)
		}
	}
	const secret = "JBSWY3DPEHPK3PXP"
	step := totpStep(time.Now())
	for range 200 {
		code, err := wrongTOTPCode(secret, step)
		if err != nil {
			t.Fatal(err)
		}
		for s := step - 2; s <= step+2; s++ {
			if right, _ := totpCode(secret, s); right == code {
				t.Fatalf("wrong code %s is step %d's", code, s)
			}
		}
	}
}

// A refusal is only a 401 from the page that refuses.
func TestRefused(t *testing.T) {
	login := "/login"
	for _, tt := range []struct {
		err error
		ok  bool
	}{
		{&statusError{url: "http://x/login?flow=1", got: http.StatusUnauthorized}, true},
		{&statusError{url: "http://x/challenge", got: http.StatusUnauthorized}, false},
		{&statusError{url: "http://x/login", got: http.StatusTooManyRequests}, false},
		{&statusError{url: "http://x/login", got: http.StatusInternalServerError}, false},
		{nil, false},
		{os.ErrDeadlineExceeded, false},
	} {
		if got := refused(tt.err, login) == nil; got != tt.ok {
			t.Errorf("refused(%v) ok = %v, want %v", tt.err, got, tt.ok)
		}
	}
}
