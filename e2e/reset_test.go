package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/storage"
)

const subjectReset = "Two-step verification was reset"

// factorsLeft reports the user's authenticator apps and unused recovery codes.
func factorsLeft(t *testing.T, s *server) (apps, codes int) {
	t.Helper()
	devices, err := s.Store.ListTOTPDevices(context.Background(), s.UserID)
	if err != nil {
		t.Fatal(err)
	}
	_, unused, err := s.Srv.Recovery.Remaining(context.Background(), s.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return len(devices), unused
}

// toReset signs in with the password from b and opens the reset page from the
// challenge page's link.
func toReset(t *testing.T, s *server, b *browser, a attempt) page {
	t.Helper()
	p := b.password(s, b.get(s, a.url), s.Email, s.Password)
	if !p.isChallenge() || !strings.Contains(p.body, "/challenge/reset?flow=") {
		t.Fatalf("no reset link on the challenge page: %s %.300s", p.url, p.body)
	}
	q := b.get(s, s.URL+"/challenge/reset?flow="+url.QueryEscape(p.flowID()))
	if q.resp.StatusCode != http.StatusOK || !strings.Contains(q.body, "Reset two-step verification") {
		t.Fatalf("reset page: %d %.300s", q.resp.StatusCode, q.body)
	}
	return q
}

func resetServer(t *testing.T, store storage.Storage, mb *mailbox, tweaks ...func(*configs.Config)) (*server, *rp, enrolment) {
	t.Helper()
	s := startServer(t, store, append([]func(*configs.Config){mb.configure}, tweaks...)...)
	s.Clock.Advance(-time.Hour)
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	e, _ := mfaUser(t, s, r)
	mb.wait(t, s.Email, "Two-step verification is on")
	return s, r, e
}

// TestResetWithRecoveryCode: a recovery code on the reset page removes every
// second factor, tells the user, and the sign-in goes on at the password level —
// never higher — or through enrolment where a second factor is required (MFA-10).
func TestResetWithRecoveryCode(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s, r, e := resetServer(t, newStore(t), mb, func(c *configs.Config) { c.MFA.TrustedIPs = true })
		if apps, codes := factorsLeft(t, s); apps != 1 || codes != 10 {
			t.Fatalf("before: %d apps, %d codes", apps, codes)
		}

		// A wrong recovery code changes nothing.
		b := newBrowser(t)
		a := r.start(param("acr_values", flows.ACRMultiFactor)) // a wish for mfa
		p := toReset(t, s, b, a)
		flow := p.flowID()
		q := b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {flow}, "code": {"aaaa-bbbb-cccc"}})
		refusedWith(t, "wrong recovery code", q, http.StatusUnauthorized, "not right")
		if apps, codes := factorsLeft(t, s); apps != 1 || codes != 10 {
			t.Errorf("after a wrong code: %d apps, %d codes", apps, codes)
		}

		// The right one: everything goes, the user is told; the app's wish for more
		// is put to the user again ("Not now"), then the password level.
		q = b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {flow}, "code": {e.recoveryCodes[3]}})
		q = notNow(t, b, s, q)
		c := r.redeem(a, through(t, b, s, q)).claims
		if c["acr"] != flows.ACRPassword {
			t.Errorf("acr after a reset = %v, want the password level", c["acr"])
		}
		wantAMR(t, c, "pwd")
		if apps, codes := factorsLeft(t, s); apps != 0 || codes != 0 {
			t.Errorf("after the reset: %d apps, %d codes left", apps, codes)
		}
		if n, _ := s.Srv.Core.SecondFactors(context.Background(), s.UserID); len(n) != 0 {
			t.Errorf("second factors after the reset: %v", n)
		}
		if n := len(trustsOf(t, s, storage.TrustAddress)); n != 0 {
			t.Errorf("%d trusted addresses after the reset", n)
		}
		msg := mb.wait(t, s.Email, subjectReset)
		if !strings.Contains(msg.Text, "recovery codes were removed") {
			t.Errorf("notification text: %s", msg.Text)
		}
		// The session it made holds the password only: an mfa wish is offered the
		// set-up again and, not now, stays at pwd.
		a = r.start(param("acr_values", flows.ACRMultiFactor))
		if p := notNow(t, b, s, b.get(s, a.url)); p.callback == nil {
			t.Errorf("after the reset: %s", p.url)
		} else if c := r.redeem(a, p.callback).claims; c["acr"] != flows.ACRPassword {
			t.Errorf("acr in the reset session = %v", c["acr"])
		}
	})
}

// TestResetThenEnrol: where the client requires multi-factor, a reset leads to
// enrolment of a new factor, and only that raises the level.
func TestResetThenEnrol(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s, _, e := resetServer(t, newStore(t), mb)
		c, secret, err := admin.CreateClient(context.Background(), s.Store, idp.ClientSecretHasher(s.Config.Secret), admin.ClientSpec{
			Name: "Bank", RedirectURIs: []string{s.RedirectURI}, FirstParty: true, MinACR: flows.ACRMultiFactor,
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		bank := newRP(t, s, c.ID, secret, s.RedirectURI)
		for _, tc := range []struct {
			name string
			rp   *rp
			opts []string
		}{
			{"client minimum", bank, nil},
			{"essential acr", bank, []string{"claims", essentialMFA}},
		} {
			b := newBrowser(t)
			a := tc.rp.start()
			if tc.opts != nil {
				a = tc.rp.start(param(tc.opts[0], tc.opts[1]))
			}
			p := toReset(t, s, b, a)
			code := e.recoveryCodes[0]
			p = b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {p.flowID()}, "code": {code}})
			if p.callback != nil {
				t.Fatalf("%s: the reset went to the client without a second factor: %v", tc.name, p.callback)
			}
			mb.wait(t, s.Email, subjectReset)
			s.Clock.Advance(30 * time.Second)
			var cb *url.URL
			e, p = b.enrolTOTP(s, p)
			cb = through(t, b, s, p)
			claims := tc.rp.redeem(a, cb).claims
			if claims["acr"] != flows.ACRMultiFactor {
				t.Errorf("%s: acr after enrolment = %v", tc.name, claims["acr"])
			}
			wantAMR(t, claims, "pwd", "otp", "mfa")
			s.Clock.Advance(30 * time.Second)
		}
	})
}

// TestResetByEmailLink: the emailed link can be opened anywhere, changes nothing
// until confirmed with the box ticked, works once, and a wrong token does nothing.
func TestResetByEmailLink(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s, r, _ := resetServer(t, newStore(t), mb)
		b := newBrowser(t)
		a := r.start()
		p := toReset(t, s, b, a)
		flow := p.flowID()
		if !strings.Contains(p.body, `action="/challenge/reset/email"`) {
			t.Fatalf("no email option on the reset page: %.500s", p.body)
		}
		p = b.post(s, s.URL+"/challenge/reset/email", url.Values{"flow": {flow}})
		if p.url.Path != "/challenge/reset" || !strings.Contains(p.body, "a•••@example.com") {
			t.Fatalf("after asking for the email: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		refusedWith(t, "a second email at once", b.post(s, s.URL+"/challenge/reset/email", url.Values{"flow": {flow}}),
			http.StatusTooManyRequests, "Wait a little")
		link := mb.wait(t, s.Email, "Reset two-step verification").link(t, s.URL+"/reset-2fa?")
		lu, _ := url.Parse(link)
		token := lu.Query().Get("token")
		action := s.URL + "/reset-2fa?flow=" + url.QueryEscape(flow)

		// Opened in another browser: the confirmation page; nothing changed.
		phone := newBrowser(t)
		cp := phone.get(s, link)
		if cp.resp.StatusCode != http.StatusOK || !strings.Contains(cp.body, `name="confirm" value="yes"`) || !strings.Contains(cp.body, s.Email) {
			t.Fatalf("link page: %d %.400s", cp.resp.StatusCode, cp.body)
		}
		if apps, codes := factorsLeft(t, s); apps != 1 || codes != 10 {
			t.Errorf("opening the link changed something: %d apps, %d codes", apps, codes)
		}
		// Without the box: refused, nothing changed.
		refusedWith(t, "no box", phone.post(s, action, url.Values{"token": {token}}), http.StatusBadRequest, "Tick the box")
		// A wrong token: refused, nothing changed.
		wrong := token[:len(token)-4] + "AAAA"
		if wrong == token {
			wrong = token[:len(token)-4] + "BBBB"
		}
		refusedWith(t, "wrong token", phone.post(s, action, url.Values{"token": {wrong}, "confirm": {"yes"}}), http.StatusBadRequest, "no longer valid")
		refusedWith(t, "wrong flow", phone.post(s, s.URL+"/reset-2fa?flow=nope", url.Values{"token": {token}, "confirm": {"yes"}}), http.StatusBadRequest, "no longer valid")
		if apps, codes := factorsLeft(t, s); apps != 1 || codes != 10 {
			t.Fatalf("refused confirmations changed something: %d apps, %d codes", apps, codes)
		}

		// Confirmed: reset.
		done := phone.post(s, action, url.Values{"token": {token}, "confirm": {"yes"}})
		if done.resp.StatusCode != http.StatusOK || !strings.Contains(done.body, "Two-step verification was reset") {
			t.Fatalf("confirm: %d %s", done.resp.StatusCode, pageMessage(done))
		}
		if apps, codes := factorsLeft(t, s); apps != 0 || codes != 0 {
			t.Errorf("after the reset: %d apps, %d codes", apps, codes)
		}
		mb.wait(t, s.Email, subjectReset)
		// The link works once.
		refusedWith(t, "replayed link", phone.post(s, action, url.Values{"token": {token}, "confirm": {"yes"}}), http.StatusBadRequest, "no longer valid")
		// The phone is not signed in by it.
		if q := phone.get(s, r.start(param("prompt", "none")).url); q.callback == nil || q.callback.Query().Get("error") != "login_required" {
			t.Errorf("the browser that confirmed the reset is signed in: %v", q.callback)
		}

		// The waiting browser is offered the set-up again and, later, goes on at the
		// password level.
		c := r.redeem(a, through(t, b, s, notNow(t, b, s, b.get(s, s.URL+"/challenge?flow="+url.QueryEscape(flow))))).claims
		if c["acr"] != flows.ACRPassword {
			t.Errorf("acr = %v", c["acr"])
		}
		wantAMR(t, c, "pwd")
		refusedWith(t, "link after the sign-in", phone.get(s, link), http.StatusBadRequest, "no longer valid")
	})
}

// TestResetRecoveryThrottle: guessing recovery codes on the reset page is locked
// like the challenge, and the lock covers both.
func TestResetRecoveryThrottle(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s, r, e := resetServer(t, newStore(t), mb, func(c *configs.Config) { c.MFA.CodeFailures = 5 })
		b := newBrowser(t)
		p := toReset(t, s, b, r.start())
		flow := p.flowID()
		statuses := map[int]int{}
		for i := range 12 {
			q := b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {flow}, "code": {"wrong-code-" + string(rune('a'+i))}})
			statuses[q.resp.StatusCode]++
		}
		if statuses[http.StatusUnauthorized] > 5 || statuses[http.StatusTooManyRequests] < 7 {
			t.Errorf("12 wrong recovery codes: %v; want at most 5 checked", statuses)
		}
		refusedWith(t, "right recovery code while locked", b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {flow}, "code": {e.recoveryCodes[0]}}),
			http.StatusTooManyRequests, "Too many wrong codes")
		s.Clock.Advance(30 * time.Second)
		q := b.post(s, s.URL+"/challenge", url.Values{"flow": {flow}, "method": {"totp"}, "code": {totpCode(t, e.secret, s.Clock.Now())}})
		refusedWith(t, "the challenge while locked", q, http.StatusTooManyRequests, "Too many wrong codes")
		if apps, codes := factorsLeft(t, s); apps != 1 || codes != 10 {
			t.Errorf("a locked reset changed something: %d apps, %d codes", apps, codes)
		}
		mb.none(t, subjectReset, 200*time.Millisecond)
	})
}

// TestResetEndsOldSecondFactorProofs: a session that proved the old app before a
// reset in that browser does not keep counting it: the acr never says more than
// what the remaining factors can prove.
func TestResetEndsOldSecondFactorProofs(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, b := mfaUser(t, s, r) // b's session holds the password and the app
		s.Clock.Advance(time.Minute)
		a := r.start(param("prompt", "login"))
		p := toReset(t, s, b, a)
		p = b.post(s, s.URL+"/challenge/reset/recovery", url.Values{"flow": {p.flowID()}, "code": {e.recoveryCodes[0]}})
		if c := r.redeem(a, through(t, b, s, notNow(t, b, s, p))).claims; c["acr"] != flows.ACRPassword {
			t.Errorf("acr after the reset = %v", c["acr"])
		}
		mb.wait(t, s.Email, subjectReset)
		a = r.start(param("acr_values", flows.ACRMultiFactor))
		if p := b.get(s, a.url); p.callback != nil {
			if c := r.redeem(a, p.callback).claims; c["acr"] != flows.ACRPassword {
				t.Errorf("after a reset, the session still says acr %v amr %v from the removed app", c["acr"], c["amr"])
			}
		}
		a = r.start(param("claims", essentialMFA))
		if p := b.get(s, a.url); p.callback != nil {
			t.Errorf("essential mfa after a reset went to the client without a new factor: %v", p.callback.Query())
		}
	})
}
