package e2e

// End-to-end tests of the text-message (SMS) second factor: a phone number set up
// on the account page, codes sent through the signed webhook (and the Twilio API)
// to receivers running here, and sign-ins that prove the phone at the challenge.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
)

// The user-facing texts the SMS pages must show; copied here, not imported, so a
// changed message fails a test instead of silently following along.
const (
	txtWrongSMS     = "That code is not right. Check the text message and try again."
	txtExpiredSMS   = "That code has expired. Ask for a new code."
	txtUsedSMS      = "That code was already used. Ask for a new code."
	txtSMSAttempts  = "Too many wrong tries for this code. Ask for a new code."
	txtMalformedSMS = "Enter the 6 digits from the text message."
	txtThrottled    = "Too many wrong codes. For your security, two-step verification is locked for 15 minutes."
	txtSMSWait      = "A code was sent moments ago. Wait a little before asking for another."
	txtSMSCap       = "Too many codes were sent today. Use another method, or try again tomorrow."
	txtSMSNotSent   = "We could not send the text message. Try again in a moment, or use another method."
	txtPhoneDigits  = "does not have the right number of digits for the selected country"
	txtSMSSent      = "We sent a code. It works for 5 minutes."
	txtTextMe       = "Text me a code"
	txtSMSLabel     = "Text a code to your phone"
	txtAppLabel     = "Use your authenticator app"
)

// Phone numbers: German mobiles, typed as a person would (trunk prefix, spaces).
const (
	phoneA, phoneAE164 = "0151 23456789", "+4915123456789"
	phoneB, phoneBE164 = "0170 1234567", "+491701234567"
	smsWebhookSecret   = "sms-webhook-secret-0123456789abcdefghijklmnop"
)

var reSMSCode = regexp.MustCompile(`^(\d{6}) is your .+ verification code\. It expires in 5 minutes\. Never share it\.$`)

// smsReceiver is an SMS gateway's webhook receiver: it checks every request's
// signature with sms.VerifyWebhook and keeps the messages it accepted.
type smsReceiver struct {
	t      testing.TB
	URL    string
	secret string

	mu       sync.Mutex
	msgs     []sms.WebhookPayload
	refused  []string // why requests were refused
	failures int      // answer 503 to this many more valid requests
}

func startSMSReceiver(t testing.TB, secret string) *smsReceiver {
	t.Helper()
	rc := &smsReceiver{t: t, secret: secret}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := sms.VerifyWebhook(r, []byte(rc.secret), 0, time.Now())
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err != nil {
			rc.refused = append(rc.refused, err.Error())
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if rc.failures > 0 {
			rc.failures--
			http.Error(w, "gateway down", http.StatusServiceUnavailable)
			return
		}
		var p sms.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil || r.Method != http.MethodPost {
			rc.refused = append(rc.refused, "bad body or method")
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		rc.msgs = append(rc.msgs, p)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(hs.Close)
	rc.URL = hs.URL
	return rc
}

// tweak configures Lockstep to send through this receiver with secret.
func (rc *smsReceiver) tweak(secret string) func(*configs.Config) {
	return func(c *configs.Config) {
		c.SMS.Sender, c.SMS.WebhookURL, c.SMS.WebhookSecret = "webhook", rc.URL, secret
	}
}

// to lists the messages accepted for a number.
func (rc *smsReceiver) to(number string) []sms.WebhookPayload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []sms.WebhookPayload
	for _, m := range rc.msgs {
		if m.To == number {
			out = append(out, m)
		}
	}
	return out
}

func (rc *smsReceiver) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.msgs)
}

// lastCode is the code in the last message to number.
func (rc *smsReceiver) lastCode(t testing.TB, number string) string {
	t.Helper()
	msgs := rc.to(number)
	if len(msgs) == 0 {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		t.Fatalf("no text message to %s; received %v, refused %v", number, rc.msgs, rc.refused)
	}
	return smsCodeIn(t, msgs[len(msgs)-1].Text)
}

func smsCodeIn(t testing.TB, text string) string {
	t.Helper()
	m := reSMSCode.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("the text message %q has no code in the expected wording", text)
	}
	return m[1]
}

// smsServer starts Lockstep with SMS by webhook to a new receiver, the clock an
// hour back so the test can move it forward.
func smsServer(t *testing.T, store storage.Storage, tweak ...func(*configs.Config)) (*server, *smsReceiver) {
	t.Helper()
	rc := startSMSReceiver(t, smsWebhookSecret)
	s := startServer(t, store, append([]func(*configs.Config){rc.tweak(smsWebhookSecret)}, tweak...)...)
	s.Clock.Advance(-time.Hour)
	return s, rc
}

// accountBrowser signs a user without a second factor in for the account page.
func accountBrowser(t *testing.T, s *server, email, password string) *browser {
	t.Helper()
	b := newBrowser(t)
	p := b.password(s, b.get(s, s.URL+"/account"), email, password)
	if p.url.Path != "/account" || p.resp.StatusCode != http.StatusOK {
		t.Fatalf("signing in for the account page ended at %s (%d): %s", p.url, p.resp.StatusCode, brief(p.body))
	}
	return b
}

var reHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// formFields are the hidden fields of the first form on the page posting to action
// whose fields include want (a name="…" value="…" pair, or "").
func formFields(t testing.TB, body, action, want string) url.Values {
	t.Helper()
	for _, part := range strings.Split(body, `<form `)[1:] {
		form, _, _ := strings.Cut(part, "</form>")
		if !strings.Contains(form, `action="`+action+`"`) || !strings.Contains(form, want) {
			continue
		}
		v := url.Values{}
		for _, m := range reHidden.FindAllStringSubmatch(form, -1) {
			v.Add(m[1], m[2])
		}
		return v
	}
	t.Fatalf("no form to %s with %s on the page: %.600s", action, want, body)
	return nil
}

// phoneNumberStep posts the number form as the page's form does.
func (b *browser) phoneNumberStep(s *server, country, national, mode string) page {
	b.t.Helper()
	form := url.Values{"stage": {"number"}, "country": {country}, "national": {national}}
	if mode != "" {
		form.Set("mode", mode)
	}
	return b.post(s, s.URL+"/account/phone", form)
}

// phoneCodeStep posts the code on the code stage page p with the page's own
// hidden fields.
func (b *browser) phoneCodeStep(s *server, p page, code string) page {
	b.t.Helper()
	form := formFields(b.t, p.body, "/account/phone", `name="stage" value="code"`)
	form.Set("code", code)
	return b.post(s, s.URL+"/account/phone", form)
}

// addPhone sets up a number on the account page (the browser is freshly verified
// there) and returns the account page it ends on.
func (b *browser) addPhone(s *server, rc *smsReceiver, country, national, e164, mode string) page {
	b.t.Helper()
	p := b.phoneNumberStep(s, country, national, mode)
	if p.url.Path != "/account/phone" || p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "We sent a 6-digit code") {
		b.t.Fatalf("after the number: %s (%d): %s", p.url, p.resp.StatusCode, brief(p.body))
	}
	p = b.phoneCodeStep(s, p, rc.lastCode(b.t, e164))
	if strings.Contains(p.body, "I have safely copied and stored these codes") {
		p = b.post(s, s.URL+"/account/recovery-codes?done=phone-added", url.Values{"stored": {"yes"}})
	}
	if p.url.Path != "/account/sms" || p.resp.StatusCode != http.StatusOK {
		b.t.Fatalf("setting up the phone ended at %s (%d): %s", p.url, p.resp.StatusCode, brief(p.body))
	}
	return p
}

// storedPhone is the user's stored number, or ok false.
func storedPhone(t testing.TB, s *server, userID string) (storage.PhoneNumber, bool) {
	t.Helper()
	ph, err := s.Store.GetPhoneNumber(t.Context(), userID)
	if errors.Is(err, storage.ErrNotFound) {
		return ph, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return ph, true
}

// toSMSChallenge starts a multi-factor sign-in in a new browser and gives the
// password; it returns the challenge page.
func toSMSChallenge(t *testing.T, s *server, r *rp) (attempt, *browser, page) {
	t.Helper()
	b := newBrowser(t)
	a := r.start(param("acr_values", flows.ACRMultiFactor))
	p := b.password(s, b.get(s, a.url), s.Email, s.Password)
	if !p.isChallenge() || p.resp.StatusCode != http.StatusOK {
		t.Fatalf("after the password: %s %v (%d): %s", p.url, p.callback, p.resp.StatusCode, brief(p.body))
	}
	return a, b, p
}

// sendSMS presses "Text me a code" (or "Send a new code") on the challenge.
func (b *browser) sendSMS(s *server, flow string) page {
	b.t.Helper()
	return b.post(s, s.URL+"/challenge/sms", url.Values{"flow": {flow}, "method": {"sms"}})
}

// wantSent checks the challenge page after a successful send.
func wantSent(t testing.TB, p page) {
	t.Helper()
	if !p.isChallenge() || p.resp.StatusCode != http.StatusOK || p.url.Query().Get("method") != "sms" ||
		!strings.Contains(p.body, txtSMSSent) || !strings.Contains(p.body, `autocomplete="one-time-code"`) {
		t.Fatalf("after sending: %s %v (%d): %s", p.url, p.callback, p.resp.StatusCode, brief(p.body))
	}
}

// refusedAt checks a refused challenge post: still the challenge, no callback,
// the status and the message.
func refusedAt(t testing.TB, what string, p page, status int, msg string) {
	t.Helper()
	if p.callback != nil {
		t.Fatalf("%s reached the client: %s", what, p.callback)
	}
	if p.resp.StatusCode != status || !strings.Contains(p.body, msg) {
		t.Fatalf("%s: %s %d, want %d and %q: %s", what, p.url, p.resp.StatusCode, status, msg, brief(p.body))
	}
}

// finish allows on the consent page if shown and wants the client's callback.
func (b *browser) finish(s *server, p page) *url.URL {
	b.t.Helper()
	if p.isConsent() {
		p = b.post(s, s.URL+"/consent", url.Values{"flow": {p.flowID()}, "decision": {"allow"}})
	}
	if p.callback == nil {
		b.t.Fatalf("expected the client's callback, stopped at %s (%d): %s", p.url, p.resp.StatusCode, brief(p.body))
	}
	return p.callback
}

// smsSignIn signs in with the password and a texted code and returns the claims.
func smsSignIn(t *testing.T, s *server, r *rp, rc *smsReceiver, number string) map[string]any {
	t.Helper()
	a, b, p := toSMSChallenge(t, s, r)
	p = b.sendSMS(s, p.flowID())
	wantSent(t, p)
	return r.redeem(a, b.finish(s, b.code(s, p, "sms", rc.lastCode(t, number)))).claims
}

// phoneUser is the server's user with phone A set up from the account page; it
// returns the browser that did it.
func phoneUser(t *testing.T, s *server, rc *smsReceiver) *browser {
	t.Helper()
	b := accountBrowser(t, s, s.Email, s.Password)
	b.addPhone(s, rc, "DE", phoneA, phoneAE164, "")
	return b
}

// lotsOfTexts lifts the daily caps for tests that send many codes.
func lotsOfTexts(c *configs.Config) { c.SMS.DailyPerUser, c.SMS.DailyPerNumber = 1000, 1000 }

func TestSMSEnrolPhoneWebhook(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t))
		b := accountBrowser(t, s, s.Email, s.Password)

		acct := b.get(s, s.URL+"/account/sms")
		if !strings.Contains(acct.body, `href="/account/phone?change=1"`) || !strings.Contains(acct.body, "Add a phone number") {
			t.Fatalf("the account page offers no phone number: %s", brief(acct.body))
		}
		form := b.get(s, s.URL+"/account/phone?change=1")
		for _, want := range []string{`name="country"`, `<option value="DE"`, `name="national"`, `value="number"`, "Send code"} {
			if !strings.Contains(form.body, want) {
				t.Errorf("the number form lacks %q", want)
			}
		}
		if strings.Contains(form.body, `name="mode"`) {
			t.Error("the number form asks main or backup although the user has no other method")
		}

		// A number that is no mobile number: a clear error, nothing sent or stored.
		for _, bad := range []struct{ country, national, says string }{
			{"DE", "123", txtPhoneDigits}, {"DE", "030 12345678", "This is a landline number"}, {"XX", phoneA, "Choose a country from the list."},
			{"DE", "0151 CALLME", "contains letters"}, {"DE", "", "Enter a phone number."},
		} {
			p := b.phoneNumberStep(s, bad.country, bad.national, "")
			if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, bad.says) || !strings.Contains(p.body, `aria-invalid="true"`) {
				t.Errorf("number %s %q: %d %s", bad.country, bad.national, p.resp.StatusCode, brief(p.body))
			}
			if bad.national != "" && !strings.Contains(p.body, `value="`+bad.national+`"`) {
				t.Errorf("number %s %q: the form did not keep what was typed", bad.country, bad.national)
			}
		}
		if n := rc.total(); n != 0 {
			t.Fatalf("%d text messages sent for invalid numbers", n)
		}
		if _, err := s.Store.GetOneTimeCode(t.Context(), "sms:phone:"+s.UserID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a code is pending after invalid numbers: %v", err)
		}
		if ph, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatalf("an invalid number was stored: %+v", ph)
		}

		// A valid number: a code goes out, the number is not stored yet.
		p := b.phoneNumberStep(s, "DE", phoneA, "")
		if p.url.Path != "/account/phone" || p.resp.StatusCode != http.StatusOK {
			t.Fatalf("after a valid number: %s %d %s", p.url, p.resp.StatusCode, brief(p.body))
		}
		for _, want := range []string{"We sent a 6-digit code to", htmlMask(phoneAE164), txtSMSSent, `autocomplete="one-time-code"`, "Change number"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the code stage lacks %q", want)
			}
		}
		if strings.Contains(p.body, phoneAE164) {
			t.Error("the code stage shows the whole number")
		}
		if msgs := rc.to(phoneAE164); len(msgs) != 1 {
			t.Fatalf("%d messages to %s, want 1 (all: %d)", len(msgs), phoneAE164, rc.total())
		}
		code := rc.lastCode(t, phoneAE164)
		if ph, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatalf("the number was stored before its code was entered: %+v", ph)
		}
		if f, _ := s.Srv.Core.SecondFactors(t.Context(), s.UserID); len(f) != 0 {
			t.Fatalf("second factors before the code: %v", f)
		}

		// A wrong and a malformed code: refused, nothing stored.
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		q := b.phoneCodeStep(s, p, wrong)
		if q.resp.StatusCode != http.StatusUnauthorized || !strings.Contains(q.body, txtWrongSMS) {
			t.Fatalf("a wrong enrolment code: %d %s", q.resp.StatusCode, brief(q.body))
		}
		q = b.phoneCodeStep(s, p, "12 34 56")
		if q.resp.StatusCode != http.StatusUnauthorized || !strings.Contains(q.body, txtMalformedSMS) {
			t.Fatalf("a malformed enrolment code: %d %s", q.resp.StatusCode, brief(q.body))
		}
		if _, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatal("a wrong code stored the number")
		}

		// The right code: stored as E.164, the first second factor, so recovery codes.
		before := time.Now()
		q = b.phoneCodeStep(s, p, code)
		if q.resp.StatusCode != http.StatusOK || !strings.Contains(q.body, "I have safely copied and stored these codes") {
			t.Fatalf("after the right code: %s %d %s", q.url, q.resp.StatusCode, brief(q.body))
		}
		if n := len(reRecovery.FindAllString(q.body, -1)); n != 10 {
			t.Errorf("%d recovery codes shown", n)
		}
		ph, ok := storedPhone(t, s, s.UserID)
		if !ok || ph.E164 != phoneAE164 || !ph.Primary || ph.VerifiedAt.IsZero() || ph.VerifiedAt.After(before) {
			t.Fatalf("stored phone %+v (found %v), want %s, primary, verified", ph, ok, phoneAE164)
		}
		q = b.post(s, s.URL+"/account/recovery-codes?done=phone-added", url.Values{"stored": {"yes"}})
		if q.url.Path != "/account/sms" || !strings.Contains(q.body, htmlMask(phoneAE164)) || !strings.Contains(q.body, "Main method") ||
			!strings.Contains(b.get(s, s.URL+"/account").body, "Password and text message") {
			t.Fatalf("the account page after the phone: %s %s", q.url, brief(q.body))
		}
		if f, _ := s.Srv.Core.SecondFactors(t.Context(), s.UserID); !slices.Equal(f, []string{"sms"}) {
			t.Errorf("second factors = %v, want [sms]", f)
		}
		waitForMail(t, s, "Two-step verification is on")

		// The code worked once: entering it again does not set anything up again.
		q = b.phoneCodeStep(s, p, code)
		if q.resp.StatusCode != http.StatusUnauthorized || !strings.Contains(q.body, txtUsedSMS) {
			t.Errorf("the used enrolment code again: %d %s", q.resp.StatusCode, brief(q.body))
		}
		// The page at /account/phone with no code pending asks for a number.
		if q := b.get(s, s.URL+"/account/phone"); !strings.Contains(q.body, `value="number"`) {
			t.Errorf("with no code pending the phone page shows %s", brief(q.body))
		}
		for _, m := range rc.to(phoneAE164) {
			if m.ID == "" || m.SentAt == "" {
				t.Errorf("webhook payload without id or sent_at: %+v", m)
			}
		}
	})
}

func TestSMSWebhookRefused(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		// The receiver holds another secret: every request fails its check.
		rc := startSMSReceiver(t, smsWebhookSecret)
		s := startServer(t, newStore(t), rc.tweak("another-secret-of-enough-length-0123456789"))
		s.Clock.Advance(-time.Hour)
		b := accountBrowser(t, s, s.Email, s.Password)
		p := b.phoneNumberStep(s, "DE", phoneA, "")
		if p.resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(p.body, txtSMSNotSent) {
			t.Fatalf("a refused webhook: %s %d %s", p.url, p.resp.StatusCode, brief(p.body))
		}
		rc.mu.Lock()
		refused := slices.Clone(rc.refused)
		rc.mu.Unlock()
		if len(refused) != 1 || !strings.Contains(refused[0], "signature") || rc.total() != 0 {
			t.Fatalf("receiver refused %q, accepted %d", refused, rc.total())
		}
		if _, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatal("a number was stored although no code reached it")
		}

		// The gateway is down once, then back: the user tries again at once and
		// gets a code; nothing was sent before, so no cooldown applies.
		rc.secret = "another-secret-of-enough-length-0123456789"
		rc.mu.Lock()
		rc.failures = 1
		rc.mu.Unlock()
		s.Clock.Advance(time.Minute)
		p = b.phoneNumberStep(s, "DE", phoneA, "")
		if p.resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(p.body, txtSMSNotSent) {
			t.Fatalf("a gateway failure: %d %s", p.resp.StatusCode, brief(p.body))
		}
		if strings.Contains(b.get(s, s.URL+"/account/phone").body, "We sent a 6-digit code") {
			t.Error("after a failed send the phone page says a code was sent")
		}
		p = b.phoneNumberStep(s, "DE", phoneA, "")
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, "We sent a 6-digit code") {
			t.Fatalf("retrying right after a failed send: %d %s", p.resp.StatusCode, brief(p.body))
		}
	})
}

func TestSMSSignIn(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		phoneUser(t, s, rc)
		sent := len(rc.to(phoneAE164))

		// A sign-in that names no level still asks for the phone: the user's own factor.
		a, b, p := toSMSChallenge(t, s, r)
		for _, want := range []string{"We will text a 6-digit code to", htmlMask(phoneAE164), `action="/challenge/sms"`, txtTextMe} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the SMS challenge lacks %q", want)
			}
		}
		if strings.Contains(p.body, `name="code"`) {
			t.Error("the challenge asks for a code before one was sent")
		}
		if n := len(rc.to(phoneAE164)); n != sent {
			t.Fatalf("a code was texted before the user asked: %d messages", n)
		}
		// Entering a code before asking for one: refused, not an error page.
		q := b.code(s, p, "sms", "123456")
		refusedAt(t, "a code before sending", q, http.StatusUnauthorized, txtWrongSMS)

		p = b.sendSMS(s, p.flowID())
		wantSent(t, p)
		if !strings.Contains(p.body, "Enter the code we sent to <strong class=\"nowrap\">"+htmlMask(phoneAE164)) {
			t.Errorf("after sending, the challenge does not say where the code went: %s", brief(p.body))
		}
		if !strings.Contains(p.body, "You can ask for a new code in") || !strings.Contains(p.body, `disabled aria-describedby="resend-hint"`) {
			t.Error("right after sending, the resend button is not disabled with a hint")
		}
		if !strings.Contains(p.body, `name="remember"`) {
			t.Error("the SMS challenge has no remember checkbox")
		}
		code := rc.lastCode(t, phoneAE164)
		claims := r.redeem(a, b.finish(s, b.code(s, p, "sms", code))).claims
		if claims["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v, want %s", claims["acr"], flows.ACRMultiFactor)
		}
		wantAMR(t, claims, "pwd", "sms", "mfa")
		if claims["sub"] != s.UserID {
			t.Errorf("sub = %v", claims["sub"])
		}
		if ph, _ := storedPhone(t, s, s.UserID); ph.LastUsedAt.IsZero() {
			t.Error("the phone's last use was not noted")
		}

		// The same browser asks again at the multi-factor level: no page.
		a = r.start(param("acr_values", flows.ACRMultiFactor))
		if p := b.get(s, a.url); p.callback == nil {
			t.Errorf("a session with the phone proven was asked again: %s", p.url)
		} else {
			wantAMR(t, r.redeem(a, p.callback).claims, "pwd", "sms", "mfa")
		}
	})
}

func TestSMSChallengeBadCodes(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t), lotsOfTexts)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		phoneUser(t, s, rc)

		// sent starts a sign-in and has a code texted: attempt, browser, page, code.
		sent := func() (attempt, *browser, page, string) {
			t.Helper()
			a, b, p := toSMSChallenge(t, s, r)
			p = b.sendSMS(s, p.flowID())
			wantSent(t, p)
			return a, b, p, rc.lastCode(t, phoneAE164)
		}
		other := func(code string) string { // a well-formed code that is not code
			return string(rune('0'+(code[0]-'0'+1)%10)) + code[1:]
		}

		t.Run("expired", func(t *testing.T) {
			_, b, p, code := sent()
			s.Clock.Advance(5*time.Minute + time.Second)
			refusedAt(t, "an expired code", b.code(s, p, "sms", code), http.StatusUnauthorized, txtExpiredSMS)
			// A new code works.
			p = b.sendSMS(s, p.flowID())
			wantSent(t, p)
			if q := b.code(s, p, "sms", rc.lastCode(t, phoneAE164)); q.callback == nil && !q.isConsent() {
				t.Fatalf("a fresh code after an expired one: %s %d", q.url, q.resp.StatusCode)
			}
		})

		t.Run("reused", func(t *testing.T) {
			a, b, p, code := sent()
			cb := b.finish(s, b.code(s, p, "sms", code))
			r.redeem(a, cb)
			// The same post again in the same flow: no second way to the client.
			q := b.code(s, p, "sms", code)
			if q.callback != nil || q.resp.StatusCode != http.StatusBadRequest || !strings.Contains(q.body, "This sign-in was already completed") {
				t.Fatalf("a replayed code post: %s %d %v %s", q.url, q.resp.StatusCode, q.callback, brief(q.body))
			}
			// Replayed from another browser that did not sign in.
			thief := newBrowser(t)
			q = thief.post(s, s.URL+"/challenge", url.Values{"flow": {p.flowID()}, "method": {"sms"}, "code": {code}})
			if q.callback != nil || q.resp.StatusCode != http.StatusForbidden || !strings.Contains(q.body, "belongs to another browser") {
				t.Fatalf("a replay from another browser: %s %d %v %s", q.url, q.resp.StatusCode, q.callback, brief(q.body))
			}
			// In a new sign-in flow: the old code is not this flow's code.
			_, b2, p2, fresh := sent()
			refusedAt(t, "a used code in a new flow", b2.code(s, p2, "sms", code), http.StatusUnauthorized, txtWrongSMS)
			if fresh == code {
				t.Fatal("the new flow got the same code")
			}
		})

		t.Run("crossed", func(t *testing.T) {
			a1, b1, p1, c1 := sent()
			a2, b2, p2, c2 := sent()
			if c1 == c2 {
				t.Skip("two random codes collided")
			}
			refusedAt(t, "flow 2's code in flow 1", b1.code(s, p1, "sms", c2), http.StatusUnauthorized, txtWrongSMS)
			refusedAt(t, "flow 1's code in flow 2", b2.code(s, p2, "sms", c1), http.StatusUnauthorized, txtWrongSMS)
			// Each in its own browser but with the other's flow id: the flow is bound to its browser.
			q := b1.post(s, s.URL+"/challenge", url.Values{"flow": {p2.flowID()}, "method": {"sms"}, "code": {c2}})
			if q.callback != nil || q.resp.StatusCode != http.StatusForbidden || !strings.Contains(q.body, "belongs to another browser") {
				t.Fatalf("another browser's flow: %s %d %v %s", q.url, q.resp.StatusCode, q.callback, brief(q.body))
			}
			wantAMR(t, r.redeem(a1, b1.finish(s, b1.code(s, p1, "sms", c1))).claims, "pwd", "sms", "mfa")
			wantAMR(t, r.redeem(a2, b2.finish(s, b2.code(s, p2, "sms", c2))).claims, "pwd", "sms", "mfa")
		})

		t.Run("brute force", func(t *testing.T) {
			_, b, p, code := sent()
			wrong := other(code)
			for i := range 5 {
				// The fifth wrong code kills the code, and the page says so.
				want := txtWrongSMS
				if i == 4 {
					want = txtSMSAttempts
				}
				refusedAt(t, "wrong code "+string(rune('1'+i)), b.code(s, p, "sms", wrong), http.StatusUnauthorized, want)
				wrong = other(wrong)
				if wrong == code {
					wrong = other(wrong)
				}
			}
			refusedAt(t, "the right code after 5 wrong", b.code(s, p, "sms", code), http.StatusUnauthorized, txtSMSAttempts)
			// The user asks for a new code (after the cooldown): that one works.
			s.Clock.Advance(30 * time.Second)
			p = b.sendSMS(s, p.flowID())
			wantSent(t, p)
			if q := b.code(s, p, "sms", rc.lastCode(t, phoneAE164)); q.callback == nil && !q.isConsent() {
				t.Fatalf("a new code after too many tries: %s %d %s", q.url, q.resp.StatusCode, brief(q.body))
			}
		})

		t.Run("user throttle", func(t *testing.T) {
			// Ten wrong codes over two texted codes: the user's second factor locks,
			// and even the right code is refused.
			_, b, p, code := sent()
			for i := range 10 {
				if i == 5 {
					s.Clock.Advance(30 * time.Second)
					p = b.sendSMS(s, p.flowID())
					wantSent(t, p)
					code = rc.lastCode(t, phoneAE164)
				}
				want := txtWrongSMS
				if i%5 == 4 {
					want = txtSMSAttempts
				}
				refusedAt(t, "a wrong code", b.code(s, p, "sms", other(code)), http.StatusUnauthorized, want)
			}
			q := b.code(s, p, "sms", code)
			refusedAt(t, "the right code when locked", q, http.StatusTooManyRequests, txtThrottled)
			// Another sign-in of the same user is locked too.
			_, b2, p2, c2 := sent()
			refusedAt(t, "another flow when locked", b2.code(s, p2, "sms", c2), http.StatusTooManyRequests, txtThrottled)
			// The lock ends with the window; clean up for the next cases.
			s.Clock.Advance(16 * time.Minute)
		})

		t.Run("malformed", func(t *testing.T) {
			a, b, p, code := sent()
			for _, bad := range []string{code[:5], code + "0", code[:3] + " " + code[3:], toFullwidth(code), "", "abcdef", code[:3] + "-" + code[3:]} {
				q := b.code(s, p, "sms", bad)
				refusedAt(t, "code "+strconvQuote(bad), q, http.StatusUnauthorized, txtMalformedSMS)
			}
			// Malformed input burns none of the code's tries: the right code works.
			wantAMR(t, r.redeem(a, b.finish(s, b.code(s, p, "sms", code))).claims, "pwd", "sms", "mfa")
		})
	})
}

func toFullwidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r - '0' + '０')
	}
	return b.String()
}

func strconvQuote(s string) string { j, _ := json.Marshal(s); return string(j) }

func TestSMSResendCooldownAndDailyCaps(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		t.Run("cooldown", func(t *testing.T) {
			s, rc := smsServer(t, newStore(t), lotsOfTexts)
			r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			phoneUser(t, s, rc)
			a, b, p := toSMSChallenge(t, s, r)
			flow := p.flowID()
			wantSent(t, b.sendSMS(s, flow))
			first := rc.lastCode(t, phoneAE164)
			n := len(rc.to(phoneAE164))

			s.Clock.Advance(20 * time.Second)
			q := b.sendSMS(s, flow)
			refusedAt(t, "a resend within 30s", q, http.StatusTooManyRequests, txtSMSWait)
			if !strings.Contains(q.body, "You can ask for a new code in 10 seconds") {
				t.Errorf("the refused resend does not say how long to wait: %s", brief(q.body))
			}
			if len(rc.to(phoneAE164)) != n {
				t.Fatal("a refused resend sent a text")
			}
			s.Clock.Advance(10 * time.Second)
			p = b.sendSMS(s, flow)
			wantSent(t, p)
			if len(rc.to(phoneAE164)) != n+1 {
				t.Fatal("the resend after 30s sent no text")
			}
			second := rc.lastCode(t, phoneAE164)
			if second != first {
				// The resend replaced the first code.
				refusedAt(t, "the replaced code", b.code(s, p, "sms", first), http.StatusUnauthorized, txtWrongSMS)
			}
			wantAMR(t, r.redeem(a, b.finish(s, b.code(s, p, "sms", second))).claims, "pwd", "sms", "mfa")

			// The same on the account page while setting up a new number.
			s.Clock.Advance(time.Minute)
			acct := newBrowser(t)
			ap := acct.get(s, s.URL+"/account")
			ap = acct.password(s, ap, s.Email, s.Password)
			wantSent(t, acct.sendSMS(s, ap.flowID()))
			if ap = acct.code(s, ap, "sms", rc.lastCode(t, phoneAE164)); ap.url.Path != "/account" {
				t.Fatalf("re-verification with SMS ended at %s %s", ap.url, brief(ap.body))
			}
			ap = acct.phoneNumberStep(s, "DE", phoneB, "")
			if !strings.Contains(ap.body, "We sent a 6-digit code") || len(rc.to(phoneBE164)) != 1 {
				t.Fatalf("new number: %s", brief(ap.body))
			}
			q = acct.post(s, s.URL+"/account/phone/resend", url.Values{})
			if q.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(q.body, txtSMSWait) || len(rc.to(phoneBE164)) != 1 {
				t.Fatalf("an account resend within 30s: %d %s", q.resp.StatusCode, brief(q.body))
			}
			s.Clock.Advance(30 * time.Second)
			q = acct.post(s, s.URL+"/account/phone/resend", url.Values{})
			if q.resp.StatusCode != http.StatusOK || !strings.Contains(q.body, txtSMSSent) || len(rc.to(phoneBE164)) != 2 {
				t.Fatalf("an account resend after 30s: %d %s", q.resp.StatusCode, brief(q.body))
			}
		})

		t.Run("daily per user", func(t *testing.T) {
			s, rc := smsServer(t, newStore(t), func(c *configs.Config) { c.SMS.DailyPerUser, c.SMS.DailyPerNumber = 3, 100 })
			r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			phoneUser(t, s, rc) // text 1
			smsSignIn(t, s, r, rc, phoneAE164)
			smsSignIn(t, s, r, rc, phoneAE164) // text 3
			_, b, p := toSMSChallenge(t, s, r)
			q := b.sendSMS(s, p.flowID())
			refusedAt(t, "the fourth text of the day", q, http.StatusTooManyRequests, txtSMSCap)
			if n := len(rc.to(phoneAE164)); n != 3 {
				t.Fatalf("%d texts sent, want 3", n)
			}
			// The next day the user gets codes again.
			s.Clock.Advance(24*time.Hour + time.Minute)
			_, b, p = toSMSChallenge(t, s, r)
			wantSent(t, b.sendSMS(s, p.flowID()))
		})

		t.Run("daily per number", func(t *testing.T) {
			s, rc := smsServer(t, newStore(t), func(c *configs.Config) { c.SMS.DailyPerUser, c.SMS.DailyPerNumber = 100, 2 })
			r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			phoneUser(t, s, rc)                // text 1 to A
			smsSignIn(t, s, r, rc, phoneAE164) // text 2 to A
			// Another user wants codes at the same number: capped.
			if _, err := admin.CreateUser(t.Context(), s.Store, app.PasswordHasher(s.Config.Password), admin.UserSpec{
				Email: "bob@example.com", Password: "another correct horse battery", GivenName: "Bob",
			}, time.Now()); err != nil {
				t.Fatal(err)
			}
			bob := accountBrowser(t, s, "bob@example.com", "another correct horse battery")
			q := bob.phoneNumberStep(s, "DE", phoneA, "")
			if q.resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(q.body, txtSMSCap) {
				t.Fatalf("a third text to the number: %d %s", q.resp.StatusCode, brief(q.body))
			}
			// Another number still works for him.
			if q := bob.phoneNumberStep(s, "DE", phoneB, ""); !strings.Contains(q.body, "We sent a 6-digit code") {
				t.Fatalf("another number: %d %s", q.resp.StatusCode, brief(q.body))
			}
			if n := len(rc.to(phoneAE164)); n != 2 {
				t.Fatalf("%d texts to A, want 2", n)
			}
		})
	})
}

func TestSMSChangeAndRemovePhone(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t), lotsOfTexts)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := phoneUser(t, s, rc)

		// Six minutes on, the account page asks for the phone again.
		s.Clock.Advance(6 * time.Minute)
		p := b.get(s, s.URL+"/account/phone?change=1")
		if !p.isChallenge() || !strings.Contains(p.body, txtTextMe) {
			t.Fatalf("a stale session changed the phone: %s %s", p.url, brief(p.body))
		}
		wantSent(t, b.sendSMS(s, p.flowID()))
		// It comes back to the form it was asked for.
		if p = b.code(s, p, "sms", rc.lastCode(t, phoneAE164)); p.url.Path != "/account/phone" || p.url.Query().Get("change") != "1" {
			t.Fatalf("re-verification ended at %s", p.url)
		}

		// Change to number B: stored only once B's code is entered.
		p = b.phoneNumberStep(s, "DE", phoneB, "")
		if !strings.Contains(p.body, htmlMask(phoneBE164)) {
			t.Fatalf("the code stage for B: %s", brief(p.body))
		}
		if ph, _ := storedPhone(t, s, s.UserID); ph.E164 != phoneAE164 {
			t.Fatalf("the number changed before its code: %s", ph.E164)
		}
		// A's code (from the last sign-in) does not prove B.
		q := b.phoneCodeStep(s, p, rc.lastCode(t, phoneAE164))
		if q.resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("A's code for B: %d", q.resp.StatusCode)
		}
		if ph, _ := storedPhone(t, s, s.UserID); ph.E164 != phoneAE164 {
			t.Fatalf("a wrong code changed the number to %s", ph.E164)
		}
		q = b.phoneCodeStep(s, p, rc.lastCode(t, phoneBE164))
		if q.url.Path != "/account/sms" || !strings.Contains(q.body, "Phone number saved") || !strings.Contains(q.body, htmlMask(phoneBE164)) {
			t.Fatalf("after B's code: %s %d %s", q.url, q.resp.StatusCode, brief(q.body))
		}
		if ph, _ := storedPhone(t, s, s.UserID); ph.E164 != phoneBE164 {
			t.Fatalf("stored %s, want %s", ph.E164, phoneBE164)
		}
		waitForMail(t, s, "A phone number was added")

		// Sign-ins now text B only.
		nA := len(rc.to(phoneAE164))
		wantAMR(t, smsSignIn(t, s, r, rc, phoneBE164), "pwd", "sms", "mfa")
		if len(rc.to(phoneAE164)) != nA {
			t.Error("a sign-in texted the old number")
		}

		// Remove: the number is gone and sign-ins need the password only.
		q = b.post(s, s.URL+"/account/phone/remove", url.Values{})
		// The texted code's proof left this session too: the password confirms it's
		// still the user, and the browser comes back to the phone's area.
		q = b.password(s, q, s.Email, s.Password)
		if q.url.Path != "/account/sms" || !strings.Contains(q.body, "Phone number removed.") || strings.Contains(q.body, htmlMask(phoneBE164)) {
			t.Fatalf("after removing: %s %s", q.url, brief(q.body))
		}
		if ph, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatalf("still stored: %+v", ph)
		}
		if f, _ := s.Srv.Core.SecondFactors(t.Context(), s.UserID); len(f) != 0 {
			t.Errorf("second factors left: %v", f)
		}
		waitForMail(t, s, "Two-step verification is off")
		a := r.start()
		c := r.redeem(a, newBrowser(t).signIn(s, a.url, s.Email, s.Password)).claims
		wantAMR(t, c, "pwd")
		// An essential multi-factor request now sets up a factor; no challenge.
		b3 := newBrowser(t)
		p3 := b3.password(s, b3.get(s, r.start(param("claims", essentialMFA)).url), s.Email, s.Password)
		if p3.isChallenge() {
			t.Fatalf("a challenge without any factor: %s", brief(p3.body))
		}
	})
}

func TestSMSMainOrBackupPhone(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t), lotsOfTexts)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		e, b := mfaUser(t, s, r)

		// Beside an app, the form asks main or backup; the user picks backup.
		form := b.get(s, s.URL+"/account/phone?change=1")
		if !strings.Contains(form.body, `name="mode" value="backup"`) {
			t.Fatalf("the number form does not offer backup beside an app: %s", brief(form.body))
		}
		// Backup, with a resend on the way: the choice survives both steps.
		p := b.phoneNumberStep(s, "DE", phoneA, "backup")
		if !strings.Contains(p.body, "We sent a 6-digit code") {
			t.Fatalf("after the number: %d %s", p.resp.StatusCode, brief(p.body))
		}
		s.Clock.Advance(30 * time.Second)
		p = b.post(s, s.URL+"/account/phone/resend", formFields(t, p.body, "/account/phone/resend", ""))
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, txtSMSSent) || len(rc.to(phoneAE164)) != 2 {
			t.Fatalf("resend: %d %s", p.resp.StatusCode, brief(p.body))
		}
		p = b.phoneCodeStep(s, p, rc.lastCode(t, phoneAE164))
		if p.url.Path != "/account/sms" || !strings.Contains(p.body, "Backup") {
			t.Errorf("the account page does not show the phone as backup: %s", brief(p.body))
		}
		if ph, _ := storedPhone(t, s, s.UserID); ph.Primary {
			t.Fatal("a phone set up as backup was stored as the main method")
		}

		// Backup: the app comes first; texting a code is among the other methods.
		s.Clock.Advance(30 * time.Second)
		a, b2, p := toSMSChallenge(t, s, r)
		if !strings.Contains(p.body, "authenticator app") || strings.Contains(p.body, txtTextMe) {
			t.Errorf("with a backup phone the challenge does not start with the app: %s", brief(p.body))
		}
		if !strings.Contains(p.body, txtSMSLabel) || !strings.Contains(p.body, "method=sms") {
			t.Errorf("with a backup phone the challenge does not offer it: %s", brief(p.body))
		}
		sp := b2.get(s, s.URL+"/challenge?flow="+url.QueryEscape(p.flowID())+"&method=sms")
		if !strings.Contains(sp.body, txtTextMe) || !strings.Contains(sp.body, txtAppLabel) {
			t.Errorf("the SMS method page: %s", brief(sp.body))
		}
		wantSent(t, b2.sendSMS(s, p.flowID()))
		wantAMR(t, r.redeem(a, b2.finish(s, b2.code(s, sp, "sms", rc.lastCode(t, phoneAE164)))).claims, "pwd", "sms", "mfa")

		// Main: change the number's role; SMS comes first, the app among the others.
		s.Clock.Advance(6 * time.Minute)
		q := b.get(s, s.URL+"/account")
		if q.isChallenge() {
			q = b.code(s, q, "totp", totpCode(t, e.secret, s.Clock.Now()))
		}
		if q.url.Path != "/account" {
			t.Fatalf("re-verification ended at %s", q.url)
		}
		b.addPhone(s, rc, "DE", phoneA, phoneAE164, "primary")
		if ph, _ := storedPhone(t, s, s.UserID); !ph.Primary {
			t.Fatal("a phone set up as the main method was stored as backup")
		}
		a, b3, p := toSMSChallenge(t, s, r)
		if !strings.Contains(p.body, txtTextMe) || !strings.Contains(p.body, txtAppLabel) || strings.Contains(p.body, txtSMSLabel) {
			t.Errorf("with the phone as main method the challenge is: %s", brief(p.body))
		}
		s.Clock.Advance(30 * time.Second)
		q = b3.code(s, p, "totp", totpCode(t, e.secret, s.Clock.Now()))
		wantAMR(t, r.redeem(a, b3.finish(s, q)).claims, "pwd", "otp", "mfa")
	})
}

func TestSMSTwilioSender(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		const sid, token, from = "AC0123456789abcdef0123456789abcdef", "twilio-auth-token-0123456789", "+15005550006"
		var mu sync.Mutex
		var bodies []string
		var problems []string
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			user, pass, ok := r.BasicAuth()
			switch {
			case r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json":
				problems = append(problems, r.Method+" "+r.URL.Path)
				http.NotFound(w, r)
				return
			case !ok || user != sid || pass != token:
				problems = append(problems, "auth "+r.Header.Get("Authorization"))
				w.WriteHeader(http.StatusUnauthorized)
				return
			case r.ParseForm() != nil || r.PostForm.Get("From") != from || r.PostForm.Get("To") == "" || r.PostForm.Get("Body") == "":
				problems = append(problems, "form "+r.PostForm.Encode())
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			bodies = append(bodies, r.PostForm.Get("To")+"|"+r.PostForm.Get("Body"))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"sid":"SM` + strings.Repeat("0", 32) + `","status":"queued"}`))
		}))
		t.Cleanup(api.Close)
		last := func(to string) string {
			t.Helper()
			mu.Lock()
			defer mu.Unlock()
			if len(problems) > 0 {
				t.Fatalf("the Twilio API refused requests: %q", problems)
			}
			for i := len(bodies) - 1; i >= 0; i-- {
				if n, text, _ := strings.Cut(bodies[i], "|"); n == to {
					return smsCodeIn(t, text)
				}
			}
			t.Fatalf("no message to %s at the Twilio API (%d messages)", to, len(bodies))
			return ""
		}
		s := startServer(t, newStore(t), func(c *configs.Config) {
			c.SMS.Sender, c.SMS.TwilioBaseURL = "twilio", api.URL
			c.SMS.TwilioAccountSID, c.SMS.TwilioAuthToken, c.SMS.TwilioFrom = sid, token, from
		})
		s.Clock.Advance(-time.Hour)
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)

		b := accountBrowser(t, s, s.Email, s.Password)
		p := b.phoneNumberStep(s, "DE", phoneA, "")
		if !strings.Contains(p.body, "We sent a 6-digit code") {
			t.Fatalf("after the number: %d %s", p.resp.StatusCode, brief(p.body))
		}
		p = b.phoneCodeStep(s, p, last(phoneAE164))
		if !strings.Contains(p.body, "I have safely copied and stored these codes") {
			t.Fatalf("after the code: %d %s", p.resp.StatusCode, brief(p.body))
		}
		if ph, _ := storedPhone(t, s, s.UserID); ph.E164 != phoneAE164 {
			t.Fatalf("stored %q", ph.E164)
		}

		a, b2, cp := toSMSChallenge(t, s, r)
		cp = b2.sendSMS(s, cp.flowID())
		wantSent(t, cp)
		c := r.redeem(a, b2.finish(s, b2.code(s, cp, "sms", last(phoneAE164)))).claims
		wantAMR(t, c, "pwd", "sms", "mfa")
		if c["acr"] != flows.ACRMultiFactor {
			t.Errorf("acr = %v", c["acr"])
		}
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n != 2 {
			t.Errorf("%d messages at the Twilio API, want 2", n)
		}
	})
}

var reSpaces = regexp.MustCompile(`\s+`)

// brief is a page's main part as text, for failure messages.
func brief(body string) string {
	if _, m, ok := strings.Cut(body, "<main"); ok {
		body, _, _ = strings.Cut(m, "</main>")
	}
	body = strings.TrimSpace(reSpaces.ReplaceAllString(reTags.ReplaceAllString(body, " "), " "))
	if len(body) > 700 {
		body = body[:700] + "…"
	}
	return body
}

// htmlMask is the masked number as the pages' HTML spells it.
func htmlMask(e164 string) string { return strings.ReplaceAll(sms.Mask(e164), "+", "&#43;") }
