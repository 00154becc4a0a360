package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// isProtect reports whether p is the "Protect your account" interrupt: its own
// page, or the answer to /authorize when a sign-in starts there.
func (p page) isProtect() bool {
	return p.callback == nil && strings.Contains(p.body, `action="/enrol/protect"`)
}

// notNow answers the set-up offer p with "Later" ("Not now" when an app asked).
func notNow(t testing.TB, b *browser, s *server, p page) page {
	t.Helper()
	if !p.isProtect() || p.resp.StatusCode != http.StatusOK || !strings.Contains(p.body, `name="decision" value="later"`) {
		t.Fatalf("expected the set-up offer with a way to skip it, got %s (%d): %s", p.url, p.resp.StatusCode, pageMessage(p))
	}
	return b.post(s, s.URL+"/enrol/protect", url.Values{"flow": {p.flowID()}, "decision": {"later"}})
}
