package idp

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// A code or refresh token of a disabled or removed user gets no tokens; other
// grants (client_credentials) have no user to ask about.
func TestUserStillAllowed(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	for _, u := range []storage.User{{ID: "active", Email: "a@example.com"}, {ID: "off", Email: "o@example.com", Disabled: true}} {
		must(t, store.CreateUser(ctx, u))
	}
	p := &Provider{opt: Options{Store: store}}
	tests := []struct {
		grant, subject string
		refused        bool
	}{
		{"authorization_code", "active", false},
		{"refresh_token", "active", false},
		{"authorization_code", "off", true},
		{"refresh_token", "off", true},
		{"authorization_code", "removed", true},
		{"refresh_token", "removed", true},
		{"client_credentials", "off", false},
	}
	for _, tt := range tests {
		sess := newSession()
		sess.Subject = tt.subject
		ar := &fosite.AccessRequest{GrantTypes: fosite.Arguments{tt.grant}, Request: fosite.Request{Session: sess}}
		err := p.userStillAllowed(ctx, ar)
		if refused := errors.Is(err, fosite.ErrInvalidGrant); refused != tt.refused || !refused && err != nil {
			t.Errorf("%s of %s: %v, want refused=%v", tt.grant, tt.subject, err, tt.refused)
		}
	}
}

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
