package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

const (
	subjectForgot  = "Reset your password"
	subjectChanged = "Your password was changed"
	msgCheckEmail  = "Check your email"
	msgLinkGone    = "This link is no longer valid"
)

// forgot asks for a reset link for addr from the forgot page of the sign-in flow
// ("" for none) and checks the answer: the same page whatever the address.
func forgot(t *testing.T, s *server, b *browser, flow, addr string) (page, time.Duration) {
	t.Helper()
	start := time.Now()
	p := b.post(s, s.URL+"/forgot", url.Values{"flow": {flow}, "email": {addr}})
	took := time.Since(start)
	if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, msgCheckEmail) {
		t.Fatalf("forgot %s: %d %s", addr, p.resp.StatusCode, pageMessage(p))
	}
	return p, took
}

// waitAudit waits for an audit event of type typ (written in the background).
func waitAudit(t *testing.T, s *server, userID, typ string) storage.AuditEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		events, err := s.Store.ListAudit(context.Background(), storage.AuditFilter{UserID: userID})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == typ {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit event %s for user %q", typ, userID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setPassword posts a new password twice with the token of the link on its page.
func setPassword(s *server, b *browser, link, pw, pw2 string) page {
	u, _ := url.Parse(link)
	q := u.Query()
	return b.post(s, s.URL+u.Path, url.Values{"token": {q.Get("token")}, "flow": {q.Get("flow")}, "new_password": {pw}, "confirm_password": {pw2}})
}

// TestRecoverForgottenPassword: "Forgot your password?" answers every address
// alike and emails a link only for an account; the link sets a password that
// follows the rules, works once and for 30 minutes, ends every session and token
// of the user, and never skips the second factor (ACC-8, SECURITY-TESTS 18).
func TestRecoverForgottenPassword(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		ctx := context.Background()
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, signedIn := mfaUser(t, s, r)
		mb.wait(t, s.Email, "Two-step verification is on")
		// A browser signed in with both factors, and an app holding its tokens.
		a := r.start()
		tk := r.redeem(a, signedIn.signIn(s, a.url, s.Email, s.Password))
		if tk.tok.RefreshToken == "" {
			t.Fatal("no refresh token to revoke")
		}

		// The sign-in page links to the forgot page of its flow.
		b := newBrowser(t)
		lp := b.get(s, r.start().url)
		flow := lp.flowID()
		if !lp.isLogin() || !strings.Contains(lp.body, `href="/forgot?flow=`+flow+`">Forgot your password?</a>`) {
			t.Fatalf("no forgot link on the sign-in page: %.500s", lp.body)
		}
		fp := b.get(s, s.URL+"/forgot?flow="+url.QueryEscape(flow))
		if fp.resp.StatusCode != http.StatusOK || !strings.Contains(fp.body, `name="email"`) || !strings.Contains(fp.body, `name="flow" value="`+flow+`"`) {
			t.Fatalf("forgot page: %d %.400s", fp.resp.StatusCode, fp.body)
		}
		for _, bad := range []string{"", "alice", "alice@", "Alice <alice@example.com>"} {
			p := b.post(s, s.URL+"/forgot", url.Values{"flow": {flow}, "email": {bad}})
			refusedWith(t, "address "+bad, p, http.StatusBadRequest, "Enter the email address of your account")
		}

		// A known and an unknown address: the same page, and no wait for either.
		known, tookKnown := forgot(t, s, b, flow, s.Email)
		unknown, tookUnknown := forgot(t, s, b, flow, "nobody@example.com")
		if strings.ReplaceAll(unknown.body, "nobody@example.com", s.Email) != known.body {
			t.Errorf("the answers differ:\n%s\n---\n%s", known.body, unknown.body)
		}
		t.Logf("answer for an account: %v, for no account: %v", tookKnown, tookUnknown)
		if tookKnown > 20*tookUnknown+time.Second || tookUnknown > 20*tookKnown+time.Second {
			t.Errorf("answers took %v (account) and %v (none)", tookKnown, tookUnknown)
		}
		msg := mb.wait(t, s.Email, subjectForgot)
		waitAudit(t, s, s.UserID, "password.reset_requested")
		waitAudit(t, s, "", "password.reset_unknown")
		mb.none(t, subjectForgot, 200*time.Millisecond) // nothing to nobody@

		// The link leads to the form; what breaks a rule is refused and keeps it.
		link := msg.link(t, s.URL+"/forgot/reset?")
		other := newBrowser(t) // the mail app's
		p := other.get(s, link)
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `autocomplete="new-password"`) || !strings.Contains(p.body, s.Email) {
			t.Fatalf("link page: %d %.500s", p.resp.StatusCode, p.body)
		}
		newPW := "seven ravens over the quay"
		for _, tt := range []struct{ name, pw, pw2, want string }{
			{"too short", "short pw", "short pw", "at least 10 characters"},
			{"common", "basketball", "basketball", "one of the 10,000 most common"},
			{"common in capitals", "Basketball", "Basketball", "one of the 10,000 most common"},
			{"not the same twice", newPW, newPW + "!", "The two passwords are not the same."},
			{"empty", "", "", "at least 10 characters"},
		} {
			refusedWith(t, tt.name, setPassword(s, other, link, tt.pw, tt.pw2), http.StatusBadRequest, tt.want)
		}
		if sessions, err := s.Store.ListSessionsByUser(ctx, s.UserID); err != nil || len(sessions) != 1 {
			t.Fatalf("refused passwords touched the sessions: %d %v", len(sessions), err)
		}
		for _, bad := range []string{"", "not-a-token", strings.Repeat("A", 43)} {
			refusedWith(t, "token "+bad, other.get(s, s.URL+"/forgot/reset?token="+bad), http.StatusBadRequest, msgLinkGone)
		}

		// The reset: signed out everywhere, tokens revoked, told by email.
		p = setPassword(s, other, link, newPW, newPW)
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "Your password was changed") || !strings.Contains(p.body, `href="/account"`) {
			t.Fatalf("reset: %d %s", p.resp.StatusCode, pageMessage(p))
		}
		mb.wait(t, s.Email, subjectChanged)
		waitAudit(t, s, s.UserID, "password.reset")
		if sessions, err := s.Store.ListSessionsByUser(ctx, s.UserID); err != nil || len(sessions) != 0 {
			t.Errorf("%d sessions left after the reset (%v)", len(sessions), err)
		}
		if q := signedIn.get(s, r.start().url); !q.isLogin() {
			t.Errorf("the browser signed in before the reset still is: %s", q.url)
		}
		_, in := postForm(t, s.URL+"/oauth/introspect", url.Values{"token": {tk.tok.AccessToken}}, s.ClientID, s.ClientSecret)
		if in["active"] != false {
			t.Errorf("access token still active: %v", in)
		}
		if st, _ := postForm(t, s.URL+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.tok.RefreshToken}}, s.ClientID, s.ClientSecret); st != http.StatusBadRequest && st != http.StatusUnauthorized {
			t.Errorf("refresh after the reset: %d", st)
		}

		// The link works once.
		refusedWith(t, "reused link", other.get(s, link), http.StatusBadRequest, msgLinkGone)
		refusedWith(t, "reused link posted", setPassword(s, other, link, "another fine passphrase", "another fine passphrase"), http.StatusBadRequest, msgLinkGone)

		// The next sign-in: the old password is refused, the new one still asks for
		// the second factor, and only both give mfa.
		if q := b.password(s, b.get(s, r.start().url), s.Email, s.Password); !strings.Contains(q.body, "Incorrect email or password") {
			t.Errorf("the old password still works: %s", pageMessage(q))
		}
		a = r.start(param("acr_values", flows.ACRPassword))
		q := b.password(s, b.get(s, a.url), s.Email, newPW)
		if !q.isChallenge() {
			t.Fatalf("the sign-in after the reset skipped the second factor: %s %v", q.url, q.callback)
		}
		s.Clock.Advance(time.Minute) // a time step the enrolment did not use
		q = b.code(s, q, "totp", totpCode(t, e.secret, s.Clock.Now()))
		if q.isConsent() {
			q = b.post(s, s.URL+"/consent", url.Values{"flow": {q.flowID()}, "decision": {"allow"}})
		}
		if q.callback == nil {
			t.Fatalf("no callback after the code: %s", pageMessage(q))
		}
		if acr := r.redeem(a, q.callback).claims["acr"]; acr != flows.ACRMultiFactor {
			t.Errorf("acr after the reset = %v", acr)
		}

		// A link expires after 30 minutes.
		forgot(t, s, newBrowser(t), "", s.Email)
		expiring := mb.wait(t, s.Email, subjectForgot).link(t, s.URL+"/forgot/reset?")
		s.Clock.Advance(31 * time.Minute)
		refusedWith(t, "expired link", other.get(s, expiring), http.StatusBadRequest, msgLinkGone)
		refusedWith(t, "expired link posted", setPassword(s, other, expiring, "another fine passphrase", "another fine passphrase"), http.StatusBadRequest, msgLinkGone)
	})
}

// TestRecoverBackToSignIn: a reset asked for during a sign-in and opened in the
// same browser goes back to that sign-in's password step, which still asks for
// the second factor.
func TestRecoverBackToSignIn(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, _ := mfaUser(t, s, r)
		s.Clock.Advance(time.Minute) // a new time step for the code below

		b := newBrowser(t)
		a := r.start()
		flow := b.get(s, a.url).flowID()
		forgot(t, s, b, flow, s.Email)
		link := mb.wait(t, s.Email, subjectForgot).link(t, s.URL+"/forgot/reset?")
		if !strings.Contains(link, "flow="+url.QueryEscape(flow)) {
			t.Fatalf("the link does not name the sign-in: %s", link)
		}
		newPW := "lanterns along the canal"
		done := setPassword(s, b, link, newPW, newPW)
		want := `href="/login?flow=` + flow + `">Sign in to continue</a>`
		if done.resp.StatusCode != http.StatusOK || !strings.Contains(done.body, want) {
			t.Fatalf("done page: %d %.600s", done.resp.StatusCode, done.body)
		}
		p := b.get(s, s.URL+"/login?flow="+url.QueryEscape(flow))
		if !p.isLogin() {
			t.Fatalf("not back at the password: %s", pageMessage(p))
		}
		p = b.password(s, p, s.Email, newPW)
		if !p.isChallenge() {
			t.Fatalf("back at the sign-in, the second factor was skipped: %s %v", p.url, p.callback)
		}
		p = b.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		if p.isConsent() {
			p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
		}
		if p.callback == nil {
			t.Fatalf("no callback: %s", pageMessage(p))
		}
		r.redeem(a, p.callback)
	})
}

// TestRecoverThrottled: links are counted per account and address (silently: the
// page stays the same, no email goes out) and requests per network address (said).
func TestRecoverThrottled(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := startServer(t, newStore(t), mb.configure)
		b := newBrowser(t)
		for range 3 {
			forgot(t, s, b, "", s.Email)
			mb.wait(t, s.Email, subjectForgot)
		}
		forgot(t, s, b, "", s.Email)
		waitAudit(t, s, s.UserID, "password.reset_throttled")
		mb.none(t, subjectForgot, 300*time.Millisecond)

		// Per network address: 20 requests an hour, whatever the addresses.
		var p page
		for i := 0; i < 30; i++ {
			p = b.post(s, s.URL+"/forgot", url.Values{"email": {"someone" + string(rune('a'+i)) + "@example.com"}})
			if p.resp.StatusCode != http.StatusOK {
				break
			}
		}
		refusedWith(t, "21st request", p, http.StatusTooManyRequests, "Too many requests from your network")
	})
}

// TestRecoverOffWithoutMail: with no mailbox to reach (no SMTP outside dev mode)
// there is no link on the sign-in page and no forgot page.
func TestRecoverOffWithoutMail(t *testing.T) {
	s := startServer(t, memory.New())
	r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
	b := newBrowser(t)
	if p := b.get(s, r.start().url); !p.isLogin() || strings.Contains(p.body, "Forgot your password?") {
		t.Errorf("sign-in page: %s %.300s", p.url, p.body)
	}
	refusedWith(t, "forgot page", b.get(s, s.URL+"/forgot"), http.StatusNotFound, "Ask your administrator")
	refusedWith(t, "forgot post", b.post(s, s.URL+"/forgot", url.Values{"email": {s.Email}}), http.StatusNotFound, "Ask your administrator")
}
