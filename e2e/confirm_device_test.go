package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

const subjectConfirm = "Confirm your sign-in"

// confirmDeviceServer has new-device confirmation on, email over SMTP to mb, flows
// that outlive the emailed codes, and a trusted proxy so browsers can come from
// different addresses.
func confirmDeviceServer(t *testing.T, store storage.Storage, mb *mailbox) *server {
	t.Helper()
	s := startServer(t, store, mb.configure, func(c *configs.Config) {
		c.MFA.ConfirmNewDevices = true
		c.Session.FlowLifetime = 2 * time.Hour
		c.TrustedProxies = []string{"127.0.0.1/32"}
	})
	s.Clock.Advance(-2 * time.Hour)
	return s
}

// toConfirm signs in with the password and expects the confirmation page.
func toConfirm(t *testing.T, s *server, r *rp, b *browser) (attempt, page) {
	t.Helper()
	a := r.start()
	p := b.password(s, b.get(s, a.url), s.Email, s.Password)
	wantConfirmPage(t, "after the password from a new browser", p)
	return a, p
}

func wantConfirmPage(t *testing.T, what string, p page) {
	t.Helper()
	if p.callback != nil || p.url.Path != "/login/confirm-device" || p.resp.StatusCode != http.StatusOK ||
		!strings.Contains(p.body, "Confirm it") || !strings.Contains(p.body, "a•••@example.com") {
		t.Fatalf("%s: want the confirmation page, got %s %v (%d): %.400s", what, p.url, p.callback, p.resp.StatusCode, p.body)
	}
}

func (b *browser) confirmCode(s *server, flow, code string) page {
	b.t.Helper()
	return b.post(s, s.URL+"/login/confirm-device", url.Values{"flow": {flow}, "code": {code}})
}

func refusedWith(t *testing.T, what string, p page, status int, msg string) {
	t.Helper()
	if p.callback != nil || p.resp.StatusCode != status || !strings.Contains(p.body, msg) {
		t.Errorf("%s: want %d with %q, got %d %v: %s", what, status, msg, p.resp.StatusCode, p.callback, pageMessage(p))
	}
}

var reAlert = regexp.MustCompile(`(?s)role="alert"[^>]*>(.*?)</|<h1[^>]*>(.*?)</h1>`)

// pageMessage is a page's error or heading, for failure messages.
func pageMessage(p page) string {
	var out []string
	for _, m := range reAlert.FindAllStringSubmatch(p.body, -1) {
		out = append(out, strings.TrimSpace(m[1]+m[2]))
	}
	return fmt.Sprintf("%s %q", p.url.Path, out)
}

func otherCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestConfirmNewDevice: a user without a second factor signing in from an unknown
// browser and address confirms it by the emailed code or link (MFA-9) before the
// client gets anything; a confirmed browser is not asked again.
func TestConfirmNewDevice(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := confirmDeviceServer(t, newStore(t), mb)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)

		// A new browser at a new address: the confirmation page, an email.
		b1 := addrBrowser(t, "", "198.51.100.1")
		a, p := toConfirm(t, s, r, b1)
		flow := p.flowID()
		msg := mb.wait(t, s.Email, subjectConfirm)
		if !strings.Contains(msg.Text, "198.51.100.1") {
			t.Errorf("the email does not say the address: %s", msg.Text)
		}
		code := msg.code(t)
		link, _ := url.Parse(msg.link(t, s.URL+"/login/confirm-device/link?"))
		if link.Query().Get("flow") != flow || link.Query().Get("code") != code {
			t.Errorf("the link %s does not carry the flow %s and the code", link, flow)
		}

		// Nothing reaches the client before the confirmation.
		for name, try := range map[string]func() page{
			"resume":      func() page { return b1.get(s, s.URL+"/authorize/resume?flow="+flow) },
			"consent":     func() page { return b1.post(s, s.URL+"/consent", url.Values{"flow": {flow}, "decision": {"allow"}}) },
			"challenge":   func() page { return b1.get(s, s.URL+"/challenge?flow="+flow) },
			"prompt=none": func() page { return b1.get(s, r.start(param("prompt", "none")).url) },
		} {
			if q := try(); q.callback != nil && q.callback.Query().Get("code") != "" {
				t.Errorf("%s: a code was issued before the confirmation", name)
			}
		}

		// A wrong code is refused; the right one goes on to the client.
		refusedWith(t, "wrong code", b1.confirmCode(s, flow, otherCode(code)), http.StatusUnauthorized, "not right")
		tk := r.redeem(a, through(t, b1, s, b1.confirmCode(s, flow, code)))
		if tk.claims["acr"] != flows.ACRPassword {
			t.Errorf("acr = %v", tk.claims["acr"])
		}
		wantAMR(t, tk.claims, "pwd")
		mb.wait(t, s.Email, "New sign-in to your account")

		// The same browser later, even from another address: no confirmation.
		b1.client.Transport = headerTransport{base: http.DefaultTransport, xff: "198.51.100.9"}
		a = r.start(param("prompt", "login"))
		if p = b1.password(s, b1.get(s, a.url), s.Email, s.Password); p.callback == nil {
			t.Fatalf("a confirmed browser was asked again: %s", p.url)
		}
		r.redeem(a, p.callback)

		// A second browser at a new address must confirm.
		b2 := addrBrowser(t, "", "198.51.100.2")
		a, p = toConfirm(t, s, r, b2)
		code2 := mb.wait(t, s.Email, subjectConfirm).code(t)
		if code2 == code {
			t.Log("two flows got the same code by chance")
		}
		r.redeem(a, through(t, b2, s, b2.confirmCode(s, p.flowID(), code2)))

		// By the link, opened in another browser (a phone's mail app).
		b4 := addrBrowser(t, "", "198.51.100.4")
		a, p = toConfirm(t, s, r, b4)
		flow = p.flowID()
		linkURL := mb.wait(t, s.Email, subjectConfirm).link(t, s.URL+"/login/confirm-device/link?")
		phone := addrBrowser(t, "", "198.51.100.200")
		lp := phone.get(s, linkURL)
		if lp.resp.StatusCode != http.StatusOK || !strings.Contains(lp.body, "Is this you signing in?") || !strings.Contains(lp.body, `<form method="post" action="/login/confirm-device/link"`) {
			t.Fatalf("link page: %d %.400s", lp.resp.StatusCode, lp.body)
		}
		// Opening the link changed nothing: the sign-in still waits.
		wantConfirmPage(t, "after the link was opened", b4.get(s, s.URL+"/login/confirm-device?flow="+flow))
		cp := phone.pressLink(s, linkURL)
		if cp.callback != nil || cp.resp.StatusCode != http.StatusOK || !strings.Contains(cp.body, "Sign-in confirmed") {
			t.Fatalf("confirming by the link: %d %v %.400s", cp.resp.StatusCode, cp.callback, cp.body)
		}
		// The phone got no session out of it.
		if q := phone.get(s, r.start(param("prompt", "none")).url); q.callback == nil || q.callback.Query().Get("error") != "login_required" {
			t.Errorf("the browser that confirmed by link is signed in: %v", q.callback)
		}
		// The link works once.
		refusedWith(t, "the link again", phone.pressLink(s, linkURL), http.StatusBadRequest, "no longer valid")
		// The waiting browser goes on.
		r.redeem(a, through(t, b4, s, b4.get(s, s.URL+"/login/confirm-device?flow="+flow)))
		refusedWith(t, "the link after the sign-in", phone.pressLink(s, linkURL), http.StatusBadRequest, "no longer valid")
		// b4 is known now.
		a = r.start(param("prompt", "login"))
		if p = b4.password(s, b4.get(s, a.url), s.Email, s.Password); p.callback == nil {
			t.Errorf("a browser confirmed by link was asked again: %s", p.url)
		}

		// The link opened in the browser that signs in: it goes straight on.
		b5 := addrBrowser(t, "", "198.51.100.5")
		a, _ = toConfirm(t, s, r, b5)
		linkURL = mb.wait(t, s.Email, subjectConfirm).link(t, s.URL+"/login/confirm-device/link?")
		r.redeem(a, through(t, b5, s, b5.pressLink(s, linkURL)))

		// Users with a second factor are never asked to confirm: their factor does it.
		mfa := addrBrowser(t, "", "198.51.100.6")
		s.Clock.Advance(30 * time.Second)
		aa := r.start(param("claims", essentialMFA))
		p = mfa.password(s, mfa.get(s, aa.url), s.Email, s.Password)
		if p.url.Path != "/account/setup" {
			t.Fatalf("essential mfa from a new browser: %s", p.url)
		}
		e, p := mfa.enrolTOTP(s, p)
		r.redeem(aa, through(t, mfa, s, p))
		bNew := addrBrowser(t, "", "198.51.100.7")
		s.Clock.Advance(30 * time.Second)
		a = r.start()
		p = bNew.password(s, bNew.get(s, a.url), s.Email, s.Password)
		if !p.isChallenge() {
			t.Fatalf("a user with an app from a new browser: %s", p.url)
		}
		r.redeem(a, through(t, bNew, s, bNew.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))))
		mb.none(t, subjectConfirm, 300*time.Millisecond)
	})
}

// TestConfirmDeviceBadInputs: codes and links of another flow, used, expired or
// guessed too often are refused.
func TestConfirmDeviceBadInputs(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		mb := newMailbox(t)
		s := confirmDeviceServer(t, newStore(t), mb)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)

		bA := addrBrowser(t, "", "198.51.100.11")
		aA, pA := toConfirm(t, s, r, bA)
		msgA := mb.wait(t, s.Email, subjectConfirm)
		bB := addrBrowser(t, "", "198.51.100.12")
		_, pB := toConfirm(t, s, r, bB)
		msgB := mb.wait(t, s.Email, subjectConfirm)
		codeA, codeB := msgA.code(t), msgB.code(t)
		flowA, flowB := pA.flowID(), pB.flowID()

		// A code from another flow.
		if codeA != codeB {
			refusedWith(t, "A's code in B's flow", bB.confirmCode(s, flowB, codeA), http.StatusUnauthorized, "not right")
			mixed := s.URL + "/login/confirm-device/link?" + url.Values{"flow": {flowB}, "code": {codeA}}.Encode()
			refusedWith(t, "a link with A's code for B's flow", newBrowser(t).pressLink(s, mixed), http.StatusBadRequest, "no longer valid")
		}
		// A link for a flow that does not exist.
		ghost := s.URL + "/login/confirm-device/link?" + url.Values{"flow": {"nope"}, "code": {codeA}}.Encode()
		refusedWith(t, "a link for no flow", newBrowser(t).pressLink(s, ghost), http.StatusBadRequest, "no longer valid")
		// A's own code still works.
		r.redeem(aA, through(t, bA, s, bA.confirmCode(s, flowA, codeA)))
		// A used code cannot confirm anything else.
		refusedWith(t, "A's used code in B's flow", bB.confirmCode(s, flowB, codeA), http.StatusUnauthorized, "")

		// Another email too soon: refused.
		refusedWith(t, "resend at once", bB.post(s, s.URL+"/login/confirm-device/resend", url.Values{"flow": {flowB}}),
			http.StatusTooManyRequests, "Wait a little")

		// After 30 minutes the code has expired (the flow has not).
		s.Clock.Advance(31 * time.Minute)
		refusedWith(t, "expired code", bB.confirmCode(s, flowB, codeB), http.StatusUnauthorized, "expired")
		refusedWith(t, "expired link", newBrowser(t).pressLink(s, msgB.link(t, s.URL+"/login/confirm-device/link?")),
			http.StatusBadRequest, "no longer valid")

		// Another email: a new code.
		p := bB.post(s, s.URL+"/login/confirm-device/resend", url.Values{"flow": {flowB}})
		if p.url.Path != "/login/confirm-device" || !strings.Contains(p.body, "We sent another email") {
			t.Fatalf("resend: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
		msg2 := mb.wait(t, s.Email, subjectConfirm)
		code2 := msg2.code(t)
		// The old code is dead with the new one (a wrong try, the first of five).
		if codeB != code2 {
			refusedWith(t, "the code before the resend", bB.confirmCode(s, flowB, codeB), http.StatusUnauthorized, "not right")
		} else {
			refusedWith(t, "wrong try", bB.confirmCode(s, flowB, otherCode(code2)), http.StatusUnauthorized, "not right")
		}

		// Five wrong tries in all: then even the right code is refused. (The fifth
		// may already say so.)
		for i := range 4 {
			msg := "not right"
			if i == 3 {
				msg = ""
			}
			refusedWith(t, fmt.Sprintf("wrong try %d", i+2), bB.confirmCode(s, flowB, otherCode(code2)), http.StatusUnauthorized, msg)
		}
		refusedWith(t, "the right code after 5 wrong", bB.confirmCode(s, flowB, code2), http.StatusUnauthorized, "Too many wrong tries")
		refusedWith(t, "the link after 5 wrong", newBrowser(t).pressLink(s, msg2.link(t, s.URL+"/login/confirm-device/link?")),
			http.StatusBadRequest, "no longer valid")

		// A third email; its code goes on.
		s.Clock.Advance(31 * time.Second)
		bB.post(s, s.URL+"/login/confirm-device/resend", url.Values{"flow": {flowB}})
		code3 := mb.wait(t, s.Email, subjectConfirm).code(t)
		if p := bB.confirmCode(s, flowB, code3); p.callback == nil && !p.isConsent() {
			t.Errorf("a fresh code after the lock: %s %d %.300s", p.url, p.resp.StatusCode, p.body)
		}
	})
}

// pressLink opens an emailed confirmation link and presses its "Yes, it's me"
// button, which posts the link's flow and code.
func (b *browser) pressLink(s *server, link string) page {
	b.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		b.t.Fatal(err)
	}
	q := u.Query()
	return b.post(s, s.URL+"/login/confirm-device/link", url.Values{"flow": {q.Get("flow")}, "code": {q.Get("code")}})
}
