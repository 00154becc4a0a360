package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// TestSMSEnrolDuringSignIn: a user without a second factor whom a client requires
// to have one can choose text messages instead of an app during the sign-in; the
// number is proven by a code bound to that sign-in, the user gets recovery codes,
// and the tokens say pwd sms mfa.
func TestSMSEnrolDuringSignIn(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s, rc := smsServer(t, newStore(t))
		r := newRP(t, s, s.ClientID, s.ClientSecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start(param("claims", essentialMFA))
		p := b.password(s, b.get(s, a.url), s.Email, s.Password)
		if p.url.Path != "/account/setup" || !strings.Contains(p.body, "Get codes by text message instead") {
			t.Fatalf("the enrolment page offers no text messages: %s %s", p.url, brief(p.body))
		}
		flow := p.flowID()
		p = b.get(s, s.URL+"/account/setup/phone?"+url.Values{"flow": {flow}, "change": {"1"}}.Encode())
		if p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `name="national"`) || !strings.Contains(p.body, "Mobile number") {
			t.Fatalf("the phone form during sign-in: %d %s", p.resp.StatusCode, brief(p.body))
		}

		// A bad number: a clear error, nothing sent.
		p = b.post(s, s.URL+"/account/setup/phone", url.Values{"flow": {flow}, "stage": {"number"}, "country": {"DE"}, "national": {"123"}})
		if p.resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, txtPhoneDigits) || rc.total() != 0 {
			t.Fatalf("a bad number: %d, %d texts: %s", p.resp.StatusCode, rc.total(), brief(p.body))
		}
		p = b.post(s, s.URL+"/account/setup/phone", url.Values{"flow": {flow}, "stage": {"number"}, "country": {"DE"}, "national": {phoneA}})
		if p.url.Path != "/account/setup/phone" || !strings.Contains(p.body, "We sent a 6-digit code") {
			t.Fatalf("after the number: %s %s", p.url, brief(p.body))
		}
		code := rc.lastCode(t, phoneAE164)

		// Another sign-in's code form does not take this code: it is bound to the flow.
		other := newBrowser(t)
		a2 := r.start(param("claims", essentialMFA))
		q := other.password(s, other.get(s, a2.url), s.Email, s.Password)
		q = other.post(s, s.URL+"/account/setup/phone", url.Values{"flow": {q.flowID()}, "stage": {"code"}, "code": {code}})
		if q.resp.StatusCode != http.StatusUnauthorized || q.callback != nil {
			t.Fatalf("a code from another sign-in: %d %v %s", q.resp.StatusCode, q.callback, brief(q.body))
		}
		if _, ok := storedPhone(t, s, s.UserID); ok {
			t.Fatal("a number was stored before its code was entered in its own sign-in")
		}

		form := formFields(t, p.body, "/account/setup/phone", `name="stage" value="code"`)
		form.Set("code", code)
		p = b.post(s, s.URL+"/account/setup/phone", form)
		if !strings.Contains(p.body, "I have safely copied and stored these codes") {
			t.Fatalf("no recovery codes after the first factor: %s %s", p.url, brief(p.body))
		}
		ph, ok := storedPhone(t, s, s.UserID)
		if !ok || ph.E164 != phoneAE164 || !ph.Primary {
			t.Fatalf("stored phone = %+v %v", ph, ok)
		}
		p = b.post(s, s.URL+"/account/setup/recovery-codes", url.Values{"flow": {flow}, "stored": {"yes"}})
		if !strings.Contains(p.body, "Two-step verification is on") || !strings.Contains(p.body, "Text messages to") {
			t.Fatalf("the last page: %s %s", p.url, brief(p.body))
		}
		p = b.post(s, s.URL+"/account/setup/done", url.Values{"flow": {flow}})
		c := r.redeem(a, b.finish(s, p)).claims
		if c["acr"] != flows.ACRMultiFactor || !slices.Equal(toStrings(c["amr"]), []string{"pwd", "sms", "mfa"}) {
			t.Fatalf("acr/amr = %v %v", c["acr"], c["amr"])
		}
		waitForMail(t, s, "Two-step verification is on")

		// The phone is now the user's second factor at the next sign-in.
		if got := smsSignIn(t, s, r, rc, phoneAE164); got["acr"] != flows.ACRMultiFactor {
			t.Fatalf("next sign-in acr = %v", got["acr"])
		}
	})
}
