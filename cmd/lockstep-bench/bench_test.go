package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/templates"
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
	client := []string{"--client-id", "c", "--client-secret", "s"}
	with := func(args ...string) []string { return append(args, base...) }
	mfa := func(args ...string) []string {
		return append(append([]string{"--scenarios", "mfa"}, client...), args...)
	}
	tests := []struct {
		name     string
		args     []string
		want     []string
		wantErr  string
		emails   []string
		password string
		secret   string
	}{
		{name: "default", args: base, want: []string{"cc", "refresh", "introspect", "login"}},
		{name: "all", args: with("--scenarios", "all"), want: benchScenarios, emails: []string{"e@x"}, password: "p"},
		{name: "hash baseline", args: with("--scenarios", "login", "--hash-baseline"), want: []string{"login", "hash"}},
		{name: "dedupe", args: with("--scenarios", "cc, cc,hash"), want: []string{"cc", "hash"}},
		{name: "hash needs nothing", args: []string{"--scenarios", "hash"}, want: []string{"hash"}},
		{name: "unknown", args: with("--scenarios", "cc,nope"), wantErr: "unknown scenario"},
		{name: "no client", args: []string{"--scenarios", "cc"}, wantErr: "--client-id"},
		{name: "no user", args: []string{"--scenarios", "login", "--client-id", "c", "--client-secret", "s"}, wantErr: "--email"},
		{name: "bad output", args: with("--output", "xml"), wantErr: "--output"},
		{name: "bad issuer", args: with("--issuer", "localhost:8080"), wantErr: "--issuer"},
		{name: "no rounds", args: with("--rounds", "0"), wantErr: "--rounds"},
		{name: "windows too short", args: with("--duration", "1s", "--rounds", "11"), wantErr: "--rounds"},
		{name: "one round", args: with("--rounds", "1"), want: []string{"cc", "refresh", "introspect", "login"}},

		{name: "mfa: the --email user", args: with("--scenarios", "mfa"), want: []string{"mfa"}, emails: []string{"e@x"}, password: "p"},
		{name: "mfa: own user and password", args: mfa("--mfa-email", "m@x", "--mfa-password", "q"),
			want: []string{"mfa"}, emails: []string{"m@x"}, password: "q"},
		{name: "mfa: numbered users", args: mfa("--mfa-email", "m-%d@x", "--mfa-users", "3", "--password", "p"),
			want: []string{"mfa"}, emails: []string{"m-1@x", "m-2@x", "m-3@x"}, password: "p"},
		{name: "mfa: --mfa-password wins", args: with("--scenarios", "mfa", "--mfa-password", "q"), want: []string{"mfa"}, emails: []string{"e@x"}, password: "q"},
		{name: "mfa: key in groups", args: mfa("--mfa-email", "m@x", "--password", "p", "--totp-secret", "jbsw y3dp ehpk 3pxp"),
			want: []string{"mfa"}, emails: []string{"m@x"}, password: "p", secret: "JBSWY3DPEHPK3PXP"},
		{name: "mfa: no user", args: mfa("--password", "p"), wantErr: "--mfa-email"},
		{name: "mfa: no password", args: mfa("--mfa-email", "m@x"), wantErr: "--mfa-password"},
		{name: "mfa: many users without a pattern", args: mfa("--mfa-email", "m@x", "--mfa-users", "2", "--password", "p"), wantErr: "%d"},
		{name: "mfa: no users", args: mfa("--mfa-email", "m-%d@x", "--mfa-users", "0", "--password", "p"), wantErr: "at least 1"},
		{name: "mfa: key for many", args: mfa("--mfa-email", "m-%d@x", "--mfa-users", "2", "--password", "p", "--totp-secret", "JBSWY3DPEHPK3PXP"),
			wantErr: "--mfa-users 1"},
		{name: "mfa: bad key", args: mfa("--mfa-email", "m@x", "--password", "p", "--totp-secret", "not-base32!"), wantErr: "--totp-secret"},
		{name: "mfa flags ignored without mfa", args: with("--scenarios", "login", "--mfa-users", "5"), want: []string{"login"}},
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
			if !slices.Equal(o.mfaEmails, tt.emails) || o.mfaPassword != tt.password || o.totpSecret != tt.secret {
				t.Errorf("mfa users %v, password %q, key %q; want %v, %q, %q", o.mfaEmails, o.mfaPassword, o.totpSecret, tt.emails, tt.password, tt.secret)
			}
		})
	}
}

func TestMFAEmails(t *testing.T) {
	tests := []struct {
		pattern string
		n       int
		want    []string
		wantErr bool
	}{
		{"a@x", 1, []string{"a@x"}, false},
		{"a-%d@x", 1, []string{"a-1@x"}, false},
		{"a-%d@x", 3, []string{"a-1@x", "a-2@x", "a-3@x"}, false},
		{"%d@x", 2, []string{"1@x", "2@x"}, false},
		{"a@x", 2, nil, true},
		{"a-%d-%d@x", 2, nil, true},
		{"a-%s@x", 2, nil, true},
		{"a%@x", 1, nil, true},
		{"a-%d@x", 0, nil, true},
		{"a-%d@x", -1, nil, true},
	}
	for _, tt := range tests {
		got, err := numberedEmails("mfa", tt.pattern, tt.n)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("numberedEmails(%q, %d) = %v, %v; want %v (error %v)", tt.pattern, tt.n, got, err, tt.want, tt.wantErr)
		}
	}
	many, err := numberedEmails("mfa", "bench-mfa-%d@example.com", 1000)
	if err != nil || len(many) != 1000 || many[999] != "bench-mfa-1000@example.com" {
		t.Errorf("1000 users: %d, last %q, %v", len(many), many[len(many)-1], err)
	}
}

func TestNormalizeTOTPSecret(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP", false},
		{"jbsw y3dp ehpk 3pxp", "JBSWY3DPEHPK3PXP", false},
		{"JBSW-Y3DP-EHPK-3PXP", "JBSWY3DPEHPK3PXP", false},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", false},
		{"MFRGGZDFMZTWQ2LK====", "MFRGGZDFMZTWQ2LK", false}, // padded
		{"", "", true},
		{"JBSWY3DP", "", true},          // 40 bits: too short
		{"JBSWY3DPEHPK3PX1", "", true},  // 1 is not base32
		{"JBSWY3DPEHPK3PXPA", "", true}, // not a whole number of bytes
		{"\tJBSWY3DP\nEHPK3PXP ", "JBSWY3DPEHPK3PXP", false},
		{"JBSWY3DP_EHPK3PXP", "", true},
	}
	for _, tt := range tests {
		got, err := normalizeTOTPSecret(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("normalizeTOTPSecret(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// RFC 6238 appendix B, SHA-1, the last six digits of each eight.
func TestTOTPCode(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	tests := []struct {
		unix int64
		step int64
		code string
	}{
		{59, 1, "287082"},
		{1111111109, 37037036, "081804"},
		{1111111111, 37037037, "050471"},
		{1234567890, 41152263, "005924"},
		{2000000000, 66666666, "279037"},
		{20000000000, 666666666, "353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0)
		if got := totpStep(at); got != tt.step {
			t.Errorf("totpStep(%d) = %d, want %d", tt.unix, got, tt.step)
		}
		got, err := totpCode(secret, tt.step)
		if err != nil || got != tt.code {
			t.Errorf("totpCode(step %d) = %q, %v; want %q", tt.step, got, err, tt.code)
		}
		if start := stepStart(tt.step); start.After(at) || !start.Add(totpPeriod).After(at) {
			t.Errorf("stepStart(%d) = %v does not hold %v", tt.step, start.Unix(), tt.unix)
		}
	}
	for _, tt := range []struct{ unix, step int64 }{{0, 0}, {29, 0}, {30, 1}, {-1, -1}, {-30, -1}, {-31, -2}} {
		if got := totpStep(time.Unix(tt.unix, 0)); got != tt.step {
			t.Errorf("totpStep(%d) = %d, want %d", tt.unix, got, tt.step)
		}
	}
	if _, err := totpCode("not base32!", 1); err == nil {
		t.Error("totpCode with a bad key: no error")
	}
}

func TestParseEnrolPage(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	render := func(p templates.WizardPage) string {
		var b strings.Builder
		if err := r.Wizard(&b, p); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	const key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"
	real := render(templates.WizardPage{Stage: templates.WizardScan, FlowID: "f1", DeviceID: "dev_1-A",
		Secret: key, OTPAuthURI: "otpauth://totp/x?secret=" + key, QRCodeURL: "/account/setup/app/qr?flow=f1&device=dev_1-A"})
	tests := []struct {
		name, body string
		secret     string
		wantErr    bool
	}{
		{name: "the template", body: real, secret: key},
		{name: "lower case, spaces, line breaks", body: `<div class="secret" role="group">
			<span>jbsw</span> <span>y3dp</span>
			<span>ehpk</span><span>3pxp</span></div>`,
			secret: "JBSWY3DPEHPK3PXP"},
		{name: "no key", body: `<input type="hidden" name="device" value="d1">`, wantErr: true},
		{name: "key not base32", body: `<div class="secret"><span>0000</span></div>`, wantErr: true},
		{name: "the challenge page", body: `<input type="hidden" name="flow" value="f"><input name="code">`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, err := parseEnrolKey([]byte(tt.body))
			if (err != nil) != tt.wantErr || secret != tt.secret {
				t.Errorf("parseEnrolKey = %q, %v; want %q (error %v)", secret, err, tt.secret, tt.wantErr)
			}
		})
	}
}

func TestIDTokenACR(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	tests := []struct {
		name, tok, want string
		wantErr         bool
	}{
		{"mfa", jwt(`{"sub":"u1","acr":"urn:lockstep:acr:mfa","amr":["pwd","otp","mfa"]}`), "urn:lockstep:acr:mfa", false},
		{"pwd", jwt(`{"acr":"urn:lockstep:acr:pwd"}`), "urn:lockstep:acr:pwd", false},
		{"padded payload", "h." + base64.URLEncoding.EncodeToString([]byte(`{"acr":"x"}`)) + ".s", "x", false},
		{"empty acr", jwt(`{"acr":""}`), "", false},
		{"no acr", jwt(`{"sub":"u1"}`), "", true},
		{"acr not a string", jwt(`{"acr":1}`), "", true},
		{"payload not JSON", jwt(`acr`), "", true},
		{"payload not base64url", "h.!!!.s", "", true},
		{"two parts", "h." + base64.RawURLEncoding.EncodeToString([]byte(`{"acr":"x"}`)), "", true},
		{"empty", "", "", true},
	}
	for _, tt := range tests {
		got, err := idTokenACR(tt.tok)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: idTokenACR = %q, %v; want %q (error %v)", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	if err := wantMFA(tokenResponse{IDToken: jwt(`{"acr":"urn:lockstep:acr:pwd"}`)}); err == nil || !strings.Contains(err.Error(), "urn:lockstep:acr:pwd") {
		t.Errorf("wantMFA of a password-level token: %v", err)
	}
	if err := wantMFA(tokenResponse{IDToken: jwt(`{"acr":"urn:lockstep:acr:mfa"}`)}); err != nil {
		t.Errorf("wantMFA of an mfa token: %v", err)
	}
}

func TestUserPicker(t *testing.T) {
	// Each action is a pick in step (want the user, or none and whether one is soon
	// free), or the release of a user (release >= 0).
	type action struct {
		step    int64
		release int
		user    int
		ok      bool
		soon    bool
	}
	pick := func(step int64, user int) action { return action{step: step, release: -1, user: user, ok: true} }
	none := func(step int64, soon bool) action { return action{step: step, release: -1, soon: soon} }
	release := func(user int) action { return action{release: user} }
	tests := []struct {
		name    string
		n       int
		used    map[int]int64 // enrolment steps
		actions []action
	}{
		{"round robin, once per step", 3, nil, []action{
			pick(10, 0), pick(10, 1), pick(10, 2), release(0), release(1), release(2),
			none(10, false), pick(11, 0), release(0), pick(11, 1), release(1), pick(11, 2), none(11, false),
		}},
		{"a user signing in is not picked, even in a later step", 2, nil, []action{
			pick(10, 0), pick(10, 1), none(11, true), release(1), pick(11, 1), release(0), pick(11, 0),
		}},
		{"used in the current step only: soon is false", 2, nil, []action{
			pick(10, 0), release(0), pick(10, 1), none(10, false),
		}},
		{"round robin goes on after the last pick", 4, nil, []action{
			pick(1, 0), release(0), pick(1, 1), release(1), pick(2, 2), release(2), pick(2, 3), release(3), pick(2, 0), pick(2, 1), none(2, false),
		}},
		{"enrolment steps count", 3, map[int]int64{0: 5, 2: 5}, []action{
			pick(5, 1), none(5, false), pick(6, 2), pick(6, 0), none(6, true), release(1), pick(6, 1), none(6, false),
		}},
		{"one user", 1, nil, []action{
			pick(1, 0), none(1, false), none(2, true), release(0), pick(2, 0), release(0), none(2, false), pick(3, 0),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newUserPicker(tt.n)
			for u, s := range tt.used {
				p.used(u, s)
			}
			for i, a := range tt.actions {
				if a.release >= 0 {
					p.release(a.release)
					continue
				}
				user, ok, soon := p.pick(a.step)
				if ok != a.ok || soon != a.soon || (ok && user != a.user) {
					t.Fatalf("action %d: pick(%d) = %d, %v, %v; want %d, %v, %v", i, a.step, user, ok, soon, a.user, a.ok, a.soon)
				}
			}
		})
	}
	p := newUserPicker(3)
	p.used(1, 7)
	p.used(1, 4) // an older step does not go back
	if got := p.latest(); got != 7 {
		t.Errorf("latest = %d, want 7", got)
	}
}

func TestMFANote(t *testing.T) {
	tests := []struct {
		res  benchResult
		want []string
	}{
		{benchResult{Users: 1000, Enrolled: 1000}, []string{"1000 users, enrolled in setup", "no sign-in waited"}},
		{benchResult{Users: 1}, []string{"1 user, with the authenticator-app key given", "no sign-in waited"}},
		{benchResult{Users: 200, Enrolled: 200, UserWait: 12.5}, []string{"200 users", "waited 12.5 s", "--mfa-users"}},
	}
	for _, tt := range tests {
		got := mfaNote(tt.res)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("mfaNote(%+v) = %q, want it to say %q", tt.res, got, w)
			}
		}
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
	spent := end.since(start)
	got := spent.perOp(1000)
	if got == nil || got.Client != 2 || got.Server == nil || *got.Server != 10 || got.Postgres != nil || got.Total != 12 {
		t.Errorf("perOp = %+v", got)
	}
	// Two windows add up; a part one of them could not read is not had.
	both := spent.plus(spent).perOp(1000)
	if both == nil || both.Client != 4 || both.Server == nil || *both.Server != 20 || both.Total != 24 {
		t.Errorf("two windows: perOp = %+v", both)
	}
	if spent.plus(cpuTimes{client: time.Second, hasClient: true}).perOp(1000).Server != nil {
		t.Error("a window without the server's time still reports it")
	}
	if spent.perOp(0) != nil || end.since(cpuTimes{}).perOp(10) != nil {
		t.Error("perOp without operations or without a start reading should be nil")
	}
	if runtime.GOOS == "linux" {
		if _, err := procCPU("/proc/self/stat"); err != nil {
			t.Errorf("procCPU(/proc/self/stat): %v", err)
		}
		if _, all, err := machineCPU("/proc/stat"); err != nil || all <= 0 {
			t.Errorf("machineCPU(/proc/stat) = %v, %v", all, err)
		}
	}
}

func TestStealShare(t *testing.T) {
	a := cpuTimes{steal: time.Second, all: 10 * time.Second, hasMachine: true, hasClient: true}
	b := cpuTimes{steal: 3 * time.Second, all: 30 * time.Second, hasMachine: true, hasClient: true}
	w1 := b.since(a) // 2 of 20 s stolen
	w2 := cpuTimes{steal: 0, all: 20 * time.Second, hasMachine: true, hasClient: true}
	if got := w1.stealShare(); got == nil || *got != 0.1 {
		t.Errorf("one window: %v, want 0.1", got)
	}
	if got := w1.plus(w2).stealShare(); got == nil || *got != 0.05 {
		t.Errorf("two windows: %v, want 0.05", got)
	}
	if w1.plus(cpuTimes{all: time.Second}).stealShare() != nil || (cpuTimes{}).stealShare() != nil {
		t.Error("a share without /proc/stat at both ends")
	}
}

func TestMachineCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		steal, all time.Duration
		wantErr    bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice, in 1/100 s
		{"kernel 6", "cpu  100 0 50 800 10 0 30 20 0 0\ncpu0 1 2 3\n", 200 * time.Millisecond, 10100 * time.Millisecond, false},
		{"no guest fields", "cpu  100 0 50 800 10 0 30 20\n", 200 * time.Millisecond, 10100 * time.Millisecond, false},
		{"too short", "cpu  100 0 50 800\n", 0, 0, true},
		{"not the total", "cpu0 100 0 50 800 10 0 20 20\n", 0, 0, true},
		{"not a number", "cpu  100 0 x 800 10 0 20 20\n", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stat")
			if err := os.WriteFile(path, []byte(tc.stat), 0o600); err != nil {
				t.Fatal(err)
			}
			steal, all, err := machineCPU(path)
			if (err != nil) != tc.wantErr || steal != tc.steal || all != tc.all {
				t.Errorf("machineCPU = %v, %v, %v; want %v, %v, error %v", steal, all, err, tc.steal, tc.all, tc.wantErr)
			}
		})
	}
}

func TestRoundRatiosAndSpread(t *testing.T) {
	got := roundRatios([]float64{40, 41, 39}, []float64{50, 50, 52})
	if !slices.Equal(got, []float64{0.8, 0.82, 0.75}) {
		t.Errorf("roundRatios = %v", got)
	}
	if s := spread(got); s != "0.800 0.820 0.750 (median 0.800)" {
		t.Errorf("spread = %q", s)
	}
	if s := spread([]float64{0.7, 0.9}); s != "0.700 0.900 (median 0.800)" {
		t.Errorf("spread of two = %q", s)
	}
	for _, tc := range []struct{ num, den []float64 }{
		{[]float64{40, 41}, []float64{50}},    // a round missing
		{[]float64{40}, []float64{50}},        // one round: nothing to spread
		{[]float64{40, 41}, []float64{50, 0}}, // a window with nothing done
	} {
		if got := roundRatios(tc.num, tc.den); got != nil {
			t.Errorf("roundRatios(%v, %v) = %v, want none", tc.num, tc.den, got)
		}
	}
}

func TestStatusErrorHTML(t *testing.T) {
	page := `<!doctype html>
<html><head><title>Sign in · Lockstep</title><style>p{color:red}</style></head>
<body><header>Lockstep</header><main class="card"><h1>Sign in</h1>
<div class="alert alert-error" role="alert">Incorrect email or password.</div>
<script>var x = "<b>";</script><p>Tom &amp; Jerry</p></main></body></html>`
	e := &statusError{method: "POST", url: "http://x/login?flow=secret", got: 401, want: []int{303}, body: []byte(page)}
	want := "POST http://x/login?…: status 401, want 303; body: Sign in Incorrect email or password. Tom & Jerry"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
	e = &statusError{method: "POST", url: "http://x/oauth/token", got: 400, want: []int{200}, location: "/x", body: []byte(` {"error":"invalid_grant"} `)}
	want = `POST http://x/oauth/token: status 400, want 200; Location: /x; body: {"error":"invalid_grant"}`
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
}

// An error on an enrolment or recovery-codes page must not print the key or the codes.
func TestStatusErrorHidesSecrets(t *testing.T) {
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	const key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	var enrol, codes strings.Builder
	if err := r.TOTPEnrol(&enrol, templates.TOTPEnrolPage{Action: "/enrol/totp", FlowID: "f1", Required: true, DeviceID: "d1",
		Secret: key, OTPAuthURI: "otpauth://totp/Lockstep:a@b?secret=" + key + "&issuer=Lockstep", QRCodeURL: "/enrol/totp/qr?flow=f1",
		Error: "That code is not right."}); err != nil {
		t.Fatal(err)
	}
	if err := r.RecoveryCodes(&codes, templates.RecoveryCodesPage{Action: "/enrol/recovery-codes", FlowID: "f1",
		Codes: []string{"abcde-fghij", "klmno-pqrst"}, Error: "Tick the box."}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		page, mustSay string
		secrets       []string
	}{
		{enrol.String(), "That code is not right.", []string{"JBSW", "Y3DP", "otpauth"}},
		{codes.String(), "Tick the box.", []string{"abcde", "klmno"}},
	} {
		msg := (&statusError{method: "POST", url: "http://x/enrol", got: 401, want: []int{200, 303}, body: []byte(tt.page)}).Error()
		if !strings.Contains(msg, "want 200 or 303") || !strings.Contains(msg, tt.mustSay) || !strings.Contains(msg, "[hidden]") {
			t.Errorf("message lacks the status, the page's error or the mark of what it hides: %s", msg)
		}
		for _, s := range tt.secrets {
			if strings.Contains(msg, s) {
				t.Errorf("message repeats %q: %s", s, msg)
			}
		}
	}
}

func TestAddGoals(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	goals := func(r benchReport) map[string]bool {
		out := map[string]bool{}
		for _, g := range r.Goals {
			out[g.Name] = g.Achieved
		}
		return out
	}
	// The verdict is the median of the rounds' CPU ratios, not the throughput
	// ratio (0.6 here) nor the ratio over all rounds.
	r := benchReport{Results: []benchResult{
		{Scenario: "cc", summary: summary{Rate: 1600}},
		{Scenario: "refresh", summary: summary{Rate: 1000}},
		{Scenario: "introspect", summary: summary{Rate: 4999}},
		{Scenario: "login", summary: summary{Rate: 30}, CPU: &cpuPerOp{Client: 1, Server: f(20), Total: 25}, RoundCPU: []float64{25, 20, 30}},
		{Scenario: "mfa", summary: summary{Rate: 25}, CPU: &cpuPerOp{Client: 2, Server: f(30), Total: 40}, RoundCPU: []float64{40, 26, 27}},
		{Scenario: "hash", summary: summary{Rate: 50}, CPU: &cpuPerOp{Client: 20, Total: 20}, RoundCPU: []float64{20, 20, 20}},
	}}
	r.addGoals()
	if r.LoginHashRatio != 0.6 || r.LoginHashCPURatio != 0.8 || !slices.Equal(r.LoginHashCPURoundRatios, []float64{0.8, 1, 0.667}) || r.LoginHashCPUMedian != 0.8 {
		t.Errorf("login ratios %v, %v, %v, median %v", r.LoginHashRatio, r.LoginHashCPURatio, r.LoginHashCPURoundRatios, r.LoginHashCPUMedian)
	}
	if r.MFAHashCPURatio != 0.5 || r.MFAHashCPUMedian != 0.741 {
		t.Errorf("mfa CPU ratio %v, median %v; want 0.5, 0.741", r.MFAHashCPURatio, r.MFAHashCPUMedian)
	}
	want := map[string]bool{"client credentials": true, "refresh": true, "introspection": false,
		"login CPU ratio (median)": true, "mfa CPU ratio (median)": false}
	if got := goals(r); !maps.Equal(got, want) {
		t.Errorf("goals %v, want %v", got, want)
	}

	// Errors meet no goal; without the server's CPU time there is no CPU ratio,
	// and so no verdict met.
	r = benchReport{Results: []benchResult{
		{Scenario: "cc", summary: summary{Rate: 1600, Errors: 1}},
		{Scenario: "login", summary: summary{Rate: 45}, CPU: &cpuPerOp{Client: 2, Total: 2}, RoundCPU: []float64{2, 2}},
		{Scenario: "hash", summary: summary{Rate: 50}, CPU: &cpuPerOp{Client: 20, Total: 20}, RoundCPU: []float64{20, 20}},
	}}
	r.addGoals()
	if got := goals(r); !maps.Equal(got, map[string]bool{"client credentials": false, "login CPU ratio (median)": false}) || r.LoginHashCPURatio != 0 || r.LoginHashCPURoundRatios != nil {
		t.Errorf("goals %v, CPU ratios %v %v; want both unmet and no CPU ratio", got, r.LoginHashCPURatio, r.LoginHashCPURoundRatios)
	}

	// Without the hash scenario there are no ratios; a sign-in that could not
	// start has none either.
	r = benchReport{Results: []benchResult{
		{Scenario: "mfa", Setup: "enrol: …"},
		{Scenario: "login", summary: summary{Rate: 30}, CPU: &cpuPerOp{Client: 1, Server: f(20), Total: 25}},
	}}
	r.addGoals()
	if r.MFAHashRatio != 0 || r.LoginHashRatio != 0 || len(r.Goals) != 0 {
		t.Errorf("without the hash: %+v", r)
	}
}

// devServer is a running `lockstep dev` and the demo data it printed.
type devServer struct {
	issuer, clientID, clientSecret, email, password string
}

var devBanner = regexp.MustCompile(`Demo user +(\S+) / (\S+)\n +Demo client +(\S+) / (\S+)\n`)

// startDevServer builds the lockstep command and runs `lockstep dev` (in memory)
// as its own process on a free port until the test ends: the bench measures a
// server over HTTP, and this is the server a developer runs it against. It
// returns once the server is ready, with the demo user and client the server
// printed.
func startDevServer(t *testing.T) devServer {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "lockstep")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/lockstep-id/lockstep/cmd/lockstep").CombinedOutput(); err != nil {
		t.Fatalf("build lockstep: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	issuer := "http://" + addr
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "dev")
	cmd.Env = append(os.Environ(), "LOCKSTEP_ISSUER="+issuer, "LOCKSTEP_LISTEN="+addr,
		"LOCKSTEP_DSN=memory", "LOCKSTEP_LOG_LEVEL=error")
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the dev server: %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Error("the dev server did not stop")
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(issuer + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dev server never became ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The banner is written before the server accepts connections.
	banner, err := os.ReadFile(stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	m := devBanner.FindSubmatch(banner)
	if m == nil {
		t.Fatalf("the dev server printed no demo user and client:\n%s", banner)
	}
	return devServer{issuer: issuer, email: string(m[1]), password: string(m[2]), clientID: string(m[3]), clientSecret: string(m[4])}
}

// The bench against a dev server: the scenarios take turns in rounds, and the
// report adds their windows up.
func TestBenchAgainstDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dev := startDevServer(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--issuer", dev.issuer, "--client-id", dev.clientID, "--client-secret", dev.clientSecret,
		"--redirect-uri", "http://127.0.0.1:9090/callback", "--email", dev.email, "--password", dev.password,
		"--scenarios", "cc,login,hash", "--duration", "900ms", "--rounds", "3", "--warmup", "0s",
		"--login-concurrency", "2", "--output", "json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var r benchReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if r.Rounds != 3 || r.Duration != 0.9 || len(r.Results) != 3 {
		t.Fatalf("rounds %d, duration %v, %d results; want 3, 0.9, 3", r.Rounds, r.Duration, len(r.Results))
	}
	for _, res := range r.Results {
		if res.Setup != "" || res.Errors != 0 || res.Ops == 0 || res.CPU == nil {
			t.Errorf("%s: %+v", res.Scenario, res)
		}
		// The rate is over the three windows together.
		if want := float64(res.Ops) / 0.9; math.Abs(res.Rate-want) > 0.01 {
			t.Errorf("%s: %d ops at %v/s, want %v/s", res.Scenario, res.Ops, res.Rate, want)
		}
	}
	if r.LoginHashRatio <= 0 {
		t.Errorf("login/hash ratio %v", r.LoginHashRatio)
	}
	// Each round's window has its own rate, and together they make the rate.
	for _, res := range r.Results {
		sum := 0.0
		for _, v := range res.RoundRates {
			sum += v
		}
		if len(res.RoundRates) != 3 || math.Abs(sum/3-res.Rate) > 0.2 {
			t.Errorf("%s: round rates %v for a rate of %v", res.Scenario, res.RoundRates, res.Rate)
		}
	}
	if len(r.LoginHashRoundRatios) != 3 {
		t.Errorf("login/hash ratios by round: %v", r.LoginHashRoundRatios)
	}
}

// The mfa scenario's pages against a dev server (in memory): enrolment, a sign-in
// with a code, the same code refused, a second enrolment refused with a reason.
func TestMFAAgainstDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dev := startDevServer(t)
	ctx := context.Background()

	o, err := parseBenchFlags([]string{"--issuer", dev.issuer, "--client-id", dev.clientID, "--client-secret", dev.clientSecret,
		"--redirect-uri", "http://127.0.0.1:9090/callback", "--scenarios", "mfa",
		"--mfa-email", dev.email, "--mfa-password", dev.password}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b := newBencher(o)
	defer b.transport.CloseIdleConnections()

	secret, step, err := b.enrol(ctx, dev.email, dev.password)
	if err != nil {
		t.Fatalf("enrol: %v", err)
	}
	if _, err := normalizeTOTPSecret(secret); err != nil || step != totpStep(time.Now()) && step != totpStep(time.Now())-1 {
		t.Fatalf("enrol gave key %q (%v), step %d", secret, err, step)
	}
	// The enrolment used this step's code; the next step's is accepted already
	// (one step of clock skew), once.
	if err := b.mfaLogin(ctx, dev.email, secret, step+1); err != nil {
		t.Fatalf("mfa sign-in: %v", err)
	}
	err = b.mfaLogin(ctx, dev.email, secret, step+1)
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("the same code again: %v, want it refused as used", err)
	}
	if _, _, err := b.enrol(ctx, dev.email, dev.password); err == nil || !strings.Contains(err.Error(), "--totp-secret") {
		t.Errorf("enrolling again: %v, want an error naming --totp-secret", err)
	}
	// The user now has a second factor: a password alone no longer gets in.
	if _, err := b.signIn(ctx, signInSpec{scope: "openid", email: dev.email, password: dev.password}); err == nil || !strings.Contains(err.Error(), "/challenge") {
		t.Errorf("a password-only sign-in of a user with an app: %v, want it stopped at the challenge", err)
	}
}
