package main

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	msd := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	// 1..100 ms in reverse: nearest rank makes p50 50, p90 90, p99 99.
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond
	}
	// 1..1000 µs: p99 is the 990th.
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i+1) * time.Microsecond
	}
	tests := []struct {
		name   string
		lat    []time.Duration
		errs   int
		window time.Duration
		want   summary
	}{
		{"nothing", nil, 0, time.Second, summary{}},
		{"only errors", nil, 7, 2 * time.Second, summary{Errors: 7}},
		{"no window", msd(5), 0, 0, summary{Ops: 1, P50: 5, P90: 5, P99: 5, Max: 5, Mean: 5}},
		{"one", msd(3), 0, time.Second, summary{Ops: 1, Rate: 1, P50: 3, P90: 3, P99: 3, Max: 3, Mean: 3}},
		{"two", msd(10, 20), 0, time.Second, summary{Ops: 2, Rate: 2, P50: 10, P90: 20, P99: 20, Max: 20, Mean: 15}},
		{"unsorted with errors", msd(9, 1, 5, 3, 7), 2, 500 * time.Millisecond,
			summary{Ops: 5, Errors: 2, Rate: 10, P50: 5, P90: 9, P99: 9, Max: 9, Mean: 5}},
		{"hundred", hundred, 0, 10 * time.Second, summary{Ops: 100, Rate: 10, P50: 50, P90: 90, P99: 99, Max: 100, Mean: 50.5}},
		{"thousand", thousand, 1, 4 * time.Second,
			summary{Ops: 1000, Errors: 1, Rate: 250, P50: 0.5, P90: 0.9, P99: 0.99, Max: 1, Mean: 0.501}},
		{"sub-microsecond rounding", []time.Duration{1500 * time.Nanosecond, 2499 * time.Nanosecond}, 0, time.Second,
			summary{Ops: 2, Rate: 2, P50: 0.002, P90: 0.002, P99: 0.002, Max: 0.002, Mean: 0.002}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(slices.Clone(tt.lat), tt.errs, tt.window)
			if got != tt.want {
				t.Errorf("summarize = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
}

func TestPercentileBounds(t *testing.T) {
	s := []time.Duration{1, 2, 3, 4}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {1, 1}, {25, 1}, {26, 2}, {50, 2}, {75, 3}, {99, 4}, {100, 4}, {150, 4}} {
		if got := percentile(s, tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestParseBenchFlags(t *testing.T) {
	base := []string{"--client-id", "c", "--client-secret", "s", "--email", "e@x", "--password", "p"}
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"default", base, []string{"cc", "refresh", "introspect", "login"}, ""},
		{"all", append([]string{"--scenarios", "all"}, base...), benchScenarios, ""},
		{"hash baseline", append([]string{"--scenarios", "login", "--hash-baseline"}, base...), []string{"login", "hash"}, ""},
		{"dedupe", append([]string{"--scenarios", "cc, cc,hash"}, base...), []string{"cc", "hash"}, ""},
		{"hash needs nothing", []string{"--scenarios", "hash"}, []string{"hash"}, ""},
		{"unknown", append([]string{"--scenarios", "cc,nope"}, base...), nil, "unknown scenario"},
		{"no client", []string{"--scenarios", "cc"}, nil, "--client-id"},
		{"no user", []string{"--scenarios", "login", "--client-id", "c", "--client-secret", "s"}, nil, "--email"},
		{"bad output", append([]string{"--output", "xml"}, base...), nil, "--output"},
		{"bad issuer", append([]string{"--issuer", "localhost:8080"}, base...), nil, "--issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseBenchFlags(tt.args, &strings.Builder{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.scenarios, tt.want) {
				t.Errorf("scenarios = %v, want %v", o.scenarios, tt.want)
			}
		})
	}
}

func TestIsPostgresFor(t *testing.T) {
	pad := func(s string) string { return s + strings.Repeat(" ", 40) } // as PostgreSQL pads its title
	tests := []struct {
		cmdline string
		want    bool
	}{
		{pad("postgres: 15/main: postgres lsb_bench 127.0.0.1(57198) idle"), true},
		{pad("postgres: postgres lsb_bench [local] SELECT"), true},
		{pad("postgres: 15/main: postgres other_db 127.0.0.1(57198) idle"), false},
		{pad("postgres: 15/main: postgres lsb_bench_2 127.0.0.1(57198) idle"), false},
		{pad("postgres: 15/main: walwriter"), true},
		{pad("postgres: 15/main: checkpointer"), true},
		{pad("postgres: background writer"), true},
		{pad("postgres: 15/main: autovacuum launcher"), false},
		{"/usr/lib/postgresql/15/bin/postgres\x00-D\x00/var/lib/postgresql/15/main\x00", false},
		{"lockstep\x00serve\x00lsb_bench\x00", false},
	}
	for _, tt := range tests {
		if got := isPostgresFor(tt.cmdline, "lsb_bench"); got != tt.want {
			t.Errorf("isPostgresFor(%q) = %v, want %v", strings.TrimSpace(tt.cmdline), got, tt.want)
		}
	}
}

func TestCPUPerOp(t *testing.T) {
	start := cpuTimes{client: time.Second, server: 2 * time.Second, hasClient: true, hasServer: true}
	end := cpuTimes{client: 3 * time.Second, server: 12 * time.Second, postgres: time.Second, hasClient: true, hasServer: true, hasPostgres: true}
	got := end.perOp(start, 1000)
	if got == nil || got.Client != 2 || got.Server == nil || *got.Server != 10 || got.Postgres != nil || got.Total != 12 {
		t.Errorf("perOp = %+v", got)
	}
	if end.perOp(start, 0) != nil || end.perOp(cpuTimes{}, 10) != nil {
		t.Error("perOp without operations or without a start reading should be nil")
	}
	if runtime.GOOS == "linux" {
		if _, err := procCPU("/proc/self/stat"); err != nil {
			t.Errorf("procCPU(/proc/self/stat): %v", err)
		}
	}
}

func TestStatusErrorHTML(t *testing.T) {
	page := `<!doctype html>
<html><head><title>Sign in · Lockstep</title><style>p{color:red}</style></head>
<body><header>Lockstep</header><main class="card"><h1>Sign in</h1>
<div class="alert alert-error" role="alert">Incorrect email or password.</div>
<script>var x = "<b>";</script><p>Tom &amp; Jerry</p></main></body></html>`
	e := &statusError{method: "POST", url: "http://x/login?flow=secret", got: 401, want: 303, body: []byte(page)}
	want := "POST http://x/login?…: status 401, want 303; body: Sign in Incorrect email or password. Tom & Jerry"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
	e = &statusError{method: "POST", url: "http://x/oauth/token", got: 400, want: 200, location: "/x", body: []byte(` {"error":"invalid_grant"} `)}
	want = `POST http://x/oauth/token: status 400, want 200; Location: /x; body: {"error":"invalid_grant"}`
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
}

func TestAddGoals(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	r := benchReport{Results: []benchResult{
		{Scenario: "cc", summary: summary{Rate: 1600}},
		{Scenario: "login", summary: summary{Rate: 40, Errors: 0}, CPU: &cpuPerOp{Client: 1, Server: f(20), Total: 25}},
		{Scenario: "hash", summary: summary{Rate: 50}, CPU: &cpuPerOp{Client: 20, Total: 20}},
	}}
	r.addGoals()
	if r.LoginHashRatio != 0.8 || r.LoginHashCPURatio != 0.8 {
		t.Errorf("ratios = %v, %v; want 0.8, 0.8", r.LoginHashRatio, r.LoginHashCPURatio)
	}
	if len(r.Goals) != 2 || !r.Goals[0].Achieved || !r.Goals[1].Achieved {
		t.Errorf("goals = %+v, want both met", r.Goals)
	}

	r = benchReport{Results: []benchResult{
		{Scenario: "cc", summary: summary{Rate: 1600, Errors: 1}},
		{Scenario: "login", summary: summary{Rate: 39}},
		{Scenario: "hash", summary: summary{Rate: 50}},
	}}
	r.addGoals()
	if len(r.Goals) != 2 || r.Goals[0].Achieved || r.Goals[1].Achieved || r.LoginHashCPURatio != 0 {
		t.Errorf("goals = %+v, cpu ratio %v; want neither met (errors; 0.78) and no CPU ratio", r.Goals, r.LoginHashCPURatio)
	}
}
