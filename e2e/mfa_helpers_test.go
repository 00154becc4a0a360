package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var (
	reSecret   = regexp.MustCompile(`(?s)<div class="secret"[^>]*>(.*?)</div>`)
	reTags     = regexp.MustCompile(`<[^>]+>|\s`)
	reDevice   = regexp.MustCompile(`name="device" value="([^"]+)"`)
	reRecovery = regexp.MustCompile(`<code class="code">([^<]+)</code>`)
)

// totpCode is the authenticator app's code for secret at t.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrolment is what a user kept from setting up an authenticator app.
type enrolment struct {
	secret        string
	recoveryCodes []string
}

// enrolTOTP goes through the set-up wizard from its first page p (a sign-in's
// enrolment), as a person scanning the key would: the app's page, the code, the
// backup phone skipped, the recovery codes, the last page. It returns the page
// after the wizard.
func (b *browser) enrolTOTP(s *server, p page) (enrolment, page) {
	b.t.Helper()
	if p.url.Path != "/account/setup" || p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "What you need") {
		b.t.Fatalf("expected the set-up wizard, got %s (%d): %.300s", p.url, p.resp.StatusCode, p.body)
	}
	flow := p.flowID()
	scan := b.get(s, s.URL+"/account/setup/app?"+url.Values{"flow": {flow}}.Encode())
	m := reSecret.FindStringSubmatch(scan.body)
	device := scan.url.Query().Get("device")
	if m == nil || device == "" {
		b.t.Fatalf("no key or device on the app's page: %.500s", scan.body)
	}
	var e enrolment
	e.secret = reTags.ReplaceAllString(m[1], "")
	if !strings.Contains(scan.body, `src="/account/setup/app/qr?`) {
		b.t.Error("the app's page shows no QR code")
	}
	codes := b.post(s, s.URL+"/account/setup/app/verify", url.Values{"flow": {flow}, "device": {device},
		"device_name": {"Test phone"}, "code": {totpCode(b.t, e.secret, s.Clock.Now())}})
	if codes.url.Path == "/account/setup/phone" { // the optional backup phone
		codes = b.get(s, s.URL+"/account/setup/recovery-codes?"+url.Values{"flow": {flow}}.Encode())
	}
	if codes.resp.StatusCode != http.StatusOK || !strings.Contains(codes.body, "I have safely copied and stored these codes") {
		b.t.Fatalf("after the code: %s %d %.500s", codes.url, codes.resp.StatusCode, codes.body)
	}
	for _, c := range reRecovery.FindAllStringSubmatch(codes.body, -1) {
		e.recoveryCodes = append(e.recoveryCodes, c[1])
	}
	if len(e.recoveryCodes) != 10 {
		b.t.Fatalf("%d recovery codes shown", len(e.recoveryCodes))
	}
	// Not ticking the box is refused, and shows the same codes again.
	again := b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{"flow": {flow}})
	if again.resp.StatusCode != http.StatusBadRequest {
		b.t.Fatalf("continuing without ticking the box: %d", again.resp.StatusCode)
	}
	for i, c := range reRecovery.FindAllStringSubmatch(again.body, -1) {
		if c[1] != e.recoveryCodes[i] {
			b.t.Fatalf("the codes page shown again has other codes")
		}
	}
	done := b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{"flow": {flow}, "stored": {"yes"}})
	if done.url.Path != "/account/setup/done" || !strings.Contains(done.body, "Two-step verification is on") {
		b.t.Fatalf("after the codes: %s %d %.500s", done.url, done.resp.StatusCode, done.body)
	}
	return e, b.post(s, s.URL+"/account/setup/done", url.Values{"flow": {flow}})
}

var reFlowField = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// password posts the password on a login page.
func (b *browser) password(s *server, p page, email, pw string) page {
	b.t.Helper()
	if !p.isLogin() {
		b.t.Fatalf("expected the login page, got %s %v: %.300s", p.url, p.callback, p.body)
	}
	return b.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {email}, "password": {pw}})
}

// code posts a second-factor code on a challenge page.
func (b *browser) code(s *server, p page, method, code string) page {
	b.t.Helper()
	if !p.isChallenge() {
		b.t.Fatalf("expected the challenge page, got %s %v: %.300s", p.url, p.callback, p.body)
	}
	return b.post(s, s.URL+"/challenge", url.Values{"flow": {p.flowID()}, "method": {method}, "code": {code}})
}

func (p page) isChallenge() bool { return p.callback == nil && p.url.Path == "/challenge" }

// essentialMFA is a claims parameter that makes the multi-factor level essential.
const essentialMFA = `{"id_token":{"acr":{"essential":true,"values":["urn:lockstep:acr:mfa"]}}}`

// waitForMail waits for a notification with subject to reach the outbox; they are
// sent in the background.
func waitForMail(t testing.TB, s *server, subject string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range s.Srv.Outbox.Messages() {
			if m.To == s.Email && m.Subject == subject {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("no %q notification for %s; outbox: %v", subject, s.Email, s.Srv.Outbox.Messages())
}
