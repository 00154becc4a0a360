package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

var param = oauth2.SetAuthURLParam

func wantAMR(t *testing.T, claims map[string]any, want ...string) {
	t.Helper()
	if got := toStrings(claims["amr"]); !slices.Equal(got, want) {
		t.Errorf("amr = %v, want %v", got, want)
	}
}

// mfaUser gives the server's user an authenticator app through the pages (asked
// for by an essential acr) and returns the enrolment and the browser, signed in at
// the multi-factor level.
func mfaUser(t testing.TB, s *server, r *rp) (enrolment, *browser) {
	t.Helper()
	b := newBrowser(t)
	a := r.start(param("claims", essentialMFA))
	p := b.password(s, b.get(s, a.url), s.Email, s.Password)
	e, p := b.enrolTOTP(s, p)
	if p.isConsent() {
		p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
	}
	if p.callback == nil {
		t.Fatalf("enrolment did not end at the client: %s %.300s", p.url, p.body)
	}
	c := r.redeem(a, p.callback).claims
	if c["acr"] != flows.ACRMultiFactor {
		t.Fatalf("acr after enrolment = %v", c["acr"])
	}
	return e, b
}

func TestStepUpWithAuthenticatorApp(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)

		// A password sign-in: the lowest level.
		a := r.start()
		first := r.redeem(a, b.signIn(s, a.url, s.Email, s.Password)).claims
		if first["acr"] != flows.ACRPassword {
			t.Fatalf("acr = %v", first["acr"])
		}
		wantAMR(t, first, "pwd")
		// Two more browsers sign in with the password while the user has no second factor.
		b2, b3 := newBrowser(t), newBrowser(t)
		a = r.start()
		pwdOnly := r.redeem(a, b2.signIn(s, a.url, s.Email, s.Password)).claims
		wantAMR(t, pwdOnly, "pwd")
		a = r.start()
		r.redeem(a, b3.signIn(s, a.url, s.Email, s.Password))

		// Wishing for multi-factor without a second factor: the set-up is offered
		// ("Not now"), and the sign-in stays at the password level, honestly.
		a = r.start(param("acr_values", flows.ACRMultiFactor))
		p := notNow(t, b, s, b.get(s, a.url))
		if p.callback == nil {
			t.Fatalf("acr_values without a factor showed %s", p.url)
		}
		if c := r.redeem(a, p.callback).claims; c["acr"] != flows.ACRPassword {
			t.Errorf("acr = %v, want the password level", c["acr"])
		}

		// Essential multi-factor: enrol on the spot, no password asked again.
		cookie := sessionCookie(t, b, s)
		a = r.start(param("claims", essentialMFA))
		p = b.get(s, a.url)
		e, p := b.enrolTOTP(s, p)
		if p.callback == nil {
			t.Fatalf("after enrolment: %s", p.url)
		}
		tk := r.redeem(a, p.callback)
		c := tk.claims
		if c["acr"] != flows.ACRMultiFactor || c["auth_time"] != first["auth_time"] {
			t.Errorf("after enrolment acr=%v auth_time=%v, want mfa and the password's %v", c["acr"], c["auth_time"], first["auth_time"])
		}
		wantAMR(t, c, "pwd", "otp", "mfa")
		if sessionCookie(t, b, s) == cookie {
			t.Error("the session id did not change at step-up")
		}

		// Refresh keeps acr, amr and auth_time.
		refreshed, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tk.tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		rc := r.verify(refreshed, "").claims
		if rc["acr"] != c["acr"] || rc["auth_time"] != c["auth_time"] {
			t.Errorf("refresh changed acr/auth_time: %v %v", rc["acr"], rc["auth_time"])
		}
		wantAMR(t, rc, "pwd", "otp", "mfa")

		// The session now holds both factors: multi-factor requests need no page.
		a = r.start(param("acr_values", flows.ACRMultiFactor))
		if p := b.get(s, a.url); p.callback == nil {
			t.Errorf("a multi-factor session was asked again: %s", p.url)
		}

		// A browser whose session holds only the password (from before the user set up
		// the app): asked for the code alone, even by a request that names no level —
		// a user's own second factor is always used.
		s.Clock.Advance(30 * time.Second)
		a = r.start()
		p = b2.get(s, a.url)
		if !p.isChallenge() || !strings.Contains(p.body, "Confirm it") {
			t.Fatalf("step-up did not ask only for the code: %s", p.url)
		}
		p = b2.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		c = r.redeem(a, p.callback).claims
		if c["acr"] != flows.ACRMultiFactor || c["auth_time"] != pwdOnly["auth_time"] {
			t.Errorf("step-up acr=%v auth_time=%v, want mfa and %v", c["acr"], c["auth_time"], pwdOnly["auth_time"])
		}
		wantAMR(t, c, "pwd", "otp", "mfa")

		// prompt=none with a password-only session and a multi-factor need: no page, an error.
		p = b3.get(s, r.start(param("prompt", "none"), param("claims", essentialMFA)).url)
		if p.callback == nil || p.callback.Query().Get("error") != "interaction_required" {
			t.Errorf("prompt=none step-up: %v", p.callback)
		}

		// prompt=login at multi-factor: the password and the code again, auth_time later.
		s.Clock.Advance(30 * time.Second)
		a = r.start(param("prompt", "login"), param("acr_values", flows.ACRMultiFactor))
		p = b2.password(s, b2.get(s, a.url), s.Email, s.Password)
		p = b2.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		c2 := r.redeem(a, p.callback).claims
		if c2["auth_time"].(float64) <= c["auth_time"].(float64) || c2["acr"] != flows.ACRMultiFactor {
			t.Errorf("prompt=login: auth_time %v (was %v), acr %v", c2["auth_time"], c["auth_time"], c2["acr"])
		}

		// max_age exceeded at multi-factor: both again as well.
		s.Clock.Advance(90 * time.Second)
		a = r.start(param("max_age", "60"), param("acr_values", flows.ACRMultiFactor))
		p = b2.password(s, b2.get(s, a.url), s.Email, s.Password)
		p = b2.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		if c3 := r.redeem(a, p.callback).claims; c3["auth_time"].(float64) <= c2["auth_time"].(float64) {
			t.Errorf("max_age: auth_time %v not after %v", c3["auth_time"], c2["auth_time"])
		}
		// max_age exceeded for a request naming no level: the user's code is asked
		// again with the password, since the old one no longer counts.
		s.Clock.Advance(90 * time.Second)
		a = r.start(param("max_age", "60"))
		p = b2.password(s, b2.get(s, a.url), s.Email, s.Password)
		p = b2.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		c4 := r.redeem(a, p.callback).claims
		wantAMR(t, c4, "pwd", "otp", "mfa")
		if c4["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v", c4["acr"])
		}

		// Every decision is in the audit log with its reasons.
		events, err := s.Store.ListAudit(context.Background(), storage.AuditFilter{UserID: s.UserID})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, ev := range events {
			if ev.Type == "policy.decision" && ev.Detail["reasons"] != "" {
				seen["decision:"+ev.Detail["outcome"]] = true
			}
			if ev.Type == "factor.success" {
				seen["factor:"+ev.Detail["factor"]] = true
			}
		}
		for _, want := range []string{"decision:prove", "decision:done", "decision:enrol", "factor:pwd", "factor:totp"} {
			if !seen[want] {
				t.Errorf("audit log lacks %s (has %v)", want, seen)
			}
		}
	})
}

func TestTOTPCodesAreStrictAndSingleUse(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		s.Clock.Advance(30 * time.Second)

		b := newBrowser(t)
		a := r.start(param("acr_values", flows.ACRMultiFactor))
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		now := s.Clock.Now()
		right := totpCode(t, e.secret, now)
		toWide := func(s string, base rune) string {
			var out []rune
			for _, c := range s {
				out = append(out, base+(c-'0'))
			}
			return string(out)
		}
		for name, code := range map[string]string{
			"two steps back":   totpCode(t, e.secret, now.Add(-60*time.Second)),
			"two steps ahead":  totpCode(t, e.secret, now.Add(60*time.Second)),
			"five digits":      right[:5],
			"seven digits":     right + "0",
			"space inside":     right[:3] + " " + right[3:],
			"fullwidth digits": toWide(right, '０'),
			"arabic-indic":     toWide(right, '٠'),
			"letters":          "abcdef",
		} {
			if code == right {
				continue // the random key made a neighbouring step's code equal
			}
			q := b.code(s, p, "totp", code)
			if q.callback != nil || q.resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s (%q): %d %v", name, code, q.resp.StatusCode, q.callback)
			}
			p = q
		}
		if !strings.Contains(p.body, "expired") && !strings.Contains(p.body, "not right") && !strings.Contains(p.body, "6 digits") {
			t.Errorf("no clear message on the challenge page: %.300s", p.body)
		}
		done := b.code(s, p, "totp", right)
		if done.callback == nil {
			t.Fatalf("the right code was refused: %.300s", done.body)
		}
		c := r.redeem(a, done.callback).claims
		wantAMR(t, c, "pwd", "otp", "mfa")

		// The same code again, in another sign-in: refused as used.
		b2 := newBrowser(t)
		a2 := r.start(param("acr_values", flows.ACRMultiFactor))
		p2 := b2.password(s, b2.get(s, a2.url), s.Email, s.Password)
		if q := b2.code(s, p2, "totp", right); q.callback != nil || !strings.Contains(q.body, "already used") {
			t.Errorf("replayed code: %d %v", q.resp.StatusCode, q.callback)
		}

		// One new code sent by two sign-ins at the same moment: exactly one succeeds.
		s.Clock.Advance(30 * time.Second)
		next := totpCode(t, e.secret, s.Clock.Now())
		b3 := newBrowser(t)
		a3 := r.start(param("acr_values", flows.ACRMultiFactor))
		p3 := b3.password(s, b3.get(s, a3.url), s.Email, s.Password)
		var wg sync.WaitGroup
		results := make([]page, 2)
		for i, pair := range []struct {
			b *browser
			p page
		}{{b2, p2}, {b3, p3}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = pair.b.post(s, s.URL+"/challenge", url.Values{"flow": {pair.p.flowID()}, "method": {"totp"}, "code": {next}})
			}()
		}
		wg.Wait()
		if ok := btoi(results[0].callback != nil) + btoi(results[1].callback != nil); ok != 1 {
			t.Errorf("the same code in two parallel sign-ins gave %d successes, want 1", ok)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSecondFactorThrottle(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} })
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		s.Clock.Advance(30 * time.Second)

		b := newBrowser(t)
		p := b.password(s, b.get(s, r.start(param("acr_values", flows.ACRMultiFactor)).url), s.Email, s.Password)
		flow := p.flowID()
		right := totpCode(t, e.secret, s.Clock.Now())
		wrong := "000000"
		if wrong == right {
			wrong = "111111"
		}
		attempt := func(i int, code string) int {
			req := mustRequest(t, http.MethodPost, s.URL+"/challenge", strings.NewReader(url.Values{"flow": {flow}, "method": {"totp"}, "code": {code}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(i%250+1)) // a different address each time
			resp, err := b.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		statuses := map[int]int{}
		var mu sync.Mutex
		// 101 wrong codes from many addresses, the first 20 as one concurrent burst.
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := attempt(i, wrong)
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		for i := 20; i < 101; i++ {
			statuses[attempt(i, wrong)]++
		}
		if statuses[http.StatusUnauthorized] > s.Config.MFA.CodeFailures || statuses[http.StatusTooManyRequests] < 101-s.Config.MFA.CodeFailures {
			t.Fatalf("101 wrong codes: %v; want at most %d checked and the rest locked", statuses, s.Config.MFA.CodeFailures)
		}
		// Locked: even the right code is refused now.
		if st := attempt(200, right); st != http.StatusTooManyRequests {
			t.Errorf("right code while locked: %d", st)
		}
	})
}

func TestCannotSkipSecondFactor(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)

		b := newBrowser(t)
		a := r.start(param("acr_values", flows.ACRMultiFactor))
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		if !p.isChallenge() {
			t.Fatalf("no challenge after the password: %s", p.url)
		}
		flow := p.flowID()
		for name, try := range map[string]func() page{
			"consent page": func() page { return b.get(s, s.URL+"/consent?flow="+flow) },
			"consent post": func() page { return b.post(s, s.URL+"/consent", url.Values{"flow": {flow}, "decision": {"allow"}}) },
			"resume":       func() page { return b.get(s, s.URL+"/authorize/resume?flow="+flow) },
			"recovery codes": func() page {
				return b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{"flow": {flow}, "stored": {"yes"}})
			},
			"prompt=none": func() page { return b.get(s, r.start(param("prompt", "none")).url) },
			"another login post": func() page {
				return b.post(s, s.URL+"/login", url.Values{"flow": {flow}, "email": {s.Email}, "password": {s.Password}})
			},
		} {
			if q := try(); q.callback != nil && q.callback.Query().Get("code") != "" {
				t.Errorf("%s: a code was issued before the second factor", name)
			}
		}
		// No session came out of the password alone.
		if p := b.get(s, r.start(param("prompt", "none")).url); p.callback == nil || p.callback.Query().Get("error") != "login_required" {
			t.Errorf("prompt=none after the password only: %v", p.callback)
		}

		// Finish the flow, then replay it: nothing more comes out.
		s.Clock.Advance(30 * time.Second)
		done := b.code(s, b.get(s, s.URL+"/challenge?flow="+flow), "totp", totpCode(t, e.secret, s.Clock.Now()))
		if done.callback == nil {
			t.Fatalf("the right code did not finish the flow: %s", done.url)
		}
		for _, path := range []string{"/authorize/resume", "/challenge", "/consent"} {
			if q := b.get(s, s.URL+path+"?flow="+flow); q.callback != nil {
				t.Errorf("replaying the finished flow at %s redirected to the client", path)
			}
		}
	})
}

// TestManyRightCodesFromOneAddress: people signing in correctly from one address
// (an office behind NAT) never trip the per-address limit, which counts failures.
func TestManyRightCodesFromOneAddress(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) { c.MFA.CodeIPFailures = 3 })
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		for i := range 5 {
			s.Clock.Advance(30 * time.Second)
			b := newBrowser(t)
			a := r.start(param("acr_values", flows.ACRMultiFactor))
			p := b.code(s, b.password(s, b.get(s, a.url), s.Email, s.Password), "totp", totpCode(t, e.secret, s.Clock.Now()))
			if p.callback == nil {
				t.Fatalf("sign-in %d with a right code refused: %d", i+1, p.resp.StatusCode)
			}
		}
	})
}

// TestWrongCodesFromOneAddress: once an address has sent mfa.code_ip_failures wrong
// codes, its code posts are refused (429), a right code too, whatever the user's
// own count; the refusal is audited.
func TestWrongCodesFromOneAddress(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t), func(c *configs.Config) { c.MFA.CodeIPFailures, c.MFA.CodeFailures = 3, 100 })
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		s.Clock.Advance(30 * time.Second)
		b := newBrowser(t)
		a := r.start(param("acr_values", flows.ACRMultiFactor))
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		right := totpCode(t, e.secret, s.Clock.Now())
		wrong := "000000"
		if right == wrong {
			wrong = "111111"
		}
		for i := range 3 {
			if p = b.code(s, p, "totp", wrong); p.resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d, want 401", i+1, p.resp.StatusCode)
			}
		}
		if p = b.code(s, p, "totp", right); p.resp.StatusCode != http.StatusTooManyRequests || p.callback != nil {
			t.Fatalf("a right code after the address's limit: %d %v, want 429", p.resp.StatusCode, p.callback)
		}
		events, err := s.Store.ListAudit(t.Context(), storage.AuditFilter{UserID: s.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if n := countAudit(events, "factor.throttled"); n != 1 {
			t.Errorf("%d factor.throttled events, want 1", n)
		}
	})
}

func countAudit(events []storage.AuditEvent, typ string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}
