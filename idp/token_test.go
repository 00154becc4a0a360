package idp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/flows"
)

// acr, amr and auth_time travel into introspection and JWT access tokens only
// when the session has them.
func TestSessionAuthClaims(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	full := newSession()
	full.Subject = "u"
	full.Claims.AuthenticationContextClassReference = "urn:lockstep:acr:mfa"
	full.Claims.AuthTime = at
	full.Claims.AuthenticationMethodsReferences = []string{"pwd", "otp", "mfa"}
	full.introspectedAs = fosite.AccessToken
	tests := []struct {
		name string
		sess *Session
		want map[string]any
	}{
		{"empty", newSession(), map[string]any{}},
		{"everything", full, map[string]any{
			"acr": "urn:lockstep:acr:mfa", "auth_time": at.Unix(), "amr": []string{"pwd", "otp", "mfa"},
			"token_use": "access_token",
		}},
	}
	for _, tt := range tests {
		if got := tt.sess.GetExtraClaims(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: extra claims %v, want %v", tt.name, got, tt.want)
		}
	}
	full.prepareJWTAccessToken("app", at)
	c := full.JWTClaims
	if c.Subject != "u" || c.Extra["client_id"] != "app" || c.Extra["acr"] != "urn:lockstep:acr:mfa" || c.Extra["auth_time"] != at.Unix() || c.JTI == "" {
		t.Errorf("JWT access token claims %+v", c)
	}
	if _, ok := c.Extra["token_use"]; ok {
		t.Error("a JWT access token carries token_use")
	}
	if full.JWTHeader.Extra["typ"] != "at+jwt" {
		t.Errorf("JWT header %v", full.JWTHeader.Extra)
	}
}

// A token request its client gave up on is logged as abandoned and counted as
// 499, not as a server error, however fosite wrapped the cancellation.
func TestAccessErrorAbandoned(t *testing.T) {
	var logs bytes.Buffer
	p := &Provider{opt: Options{Log: slog.New(slog.NewTextHandler(&logs, nil))}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, PathToken, nil).WithContext(ctx)
	w := httptest.NewRecorder()
	p.accessError(w, r, nil, fosite.ErrServerError.WithWrap(fmt.Errorf("rotate refresh token: %w", context.Canceled)))
	if w.Code != flows.StatusClientClosedRequest || !strings.Contains(logs.String(), "level=INFO") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("abandoned token request: %d, log %s", w.Code, logs.String())
	}
}
