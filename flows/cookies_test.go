package flows

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCookieAttributes(t *testing.T) {
	hashKey, blockKey := bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 32)
	for _, secure := range []bool{true, false} {
		c := NewCookies("lockstep_session", hashKey, blockKey, "/", secure, 3600)
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		token := newToken()
		if err := c.set(w, r, keySessionToken, token); err != nil {
			t.Fatal(err)
		}
		resp := w.Result()
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("%d cookies", len(cookies))
		}
		ck := cookies[0]
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != secure || ck.Path != "/" {
			t.Errorf("secure=%v: cookie %+v", secure, ck)
		}
		if strings.Contains(ck.Value, token) {
			t.Error("the session token is readable in the cookie")
		}
		// The cookie reads back; a tampered one reads as absent.
		r2 := httptest.NewRequest(http.MethodGet, "/", nil)
		r2.AddCookie(ck)
		if got := c.SessionToken(r2); got != token {
			t.Errorf("read back %q", got)
		}
		r3 := httptest.NewRequest(http.MethodGet, "/", nil)
		bad := *ck
		bad.Value = ck.Value[:len(ck.Value)-2] + "AA"
		r3.AddCookie(&bad)
		if got := c.SessionToken(r3); got != "" {
			t.Errorf("a tampered cookie gave %q", got)
		}
	}
}
