package admin

import (
	"strings"
	"testing"
	"time"
)

func TestClientSpecValidate(t *testing.T) {
	ok := func() ClientSpec {
		return ClientSpec{Name: "App", RedirectURIs: []string{"https://app.example/cb"}}
	}
	tests := []struct {
		name    string
		mutate  func(*ClientSpec)
		wantErr string
	}{
		{"valid defaults", func(s *ClientSpec) {}, ""},
		{"no name", func(s *ClientSpec) { s.Name = " " }, "needs a name"},
		{"bad id", func(s *ClientSpec) { s.ID = "a b" }, "client id"},
		{"id of every allowed character", func(s *ClientSpec) { s.ID = "azAZ09-_." }, ""},
		{"id of 64 characters", func(s *ClientSpec) { s.ID = strings.Repeat("a", 64) }, ""},
		{"id of 65 characters", func(s *ClientSpec) { s.ID = strings.Repeat("a", 65) }, "client id"},
		{"unknown grant", func(s *ClientSpec) { s.GrantTypes = []string{"password"} }, "not supported"},
		{"implicit refused", func(s *ClientSpec) { s.GrantTypes = []string{"implicit"} }, "not supported"},
		{"public with cc", func(s *ClientSpec) { s.Public = true; s.GrantTypes = []string{"client_credentials"} }, "public client cannot"},
		{"public with secret", func(s *ClientSpec) { s.Public = true; s.Secret = strings.Repeat("x", 40) }, "no secret"},
		{"short secret", func(s *ClientSpec) { s.Secret = "short" }, "at least 32"},
		{"long secret ok", func(s *ClientSpec) { s.Secret = strings.Repeat("x", 32) }, ""},
		{"no redirect for code", func(s *ClientSpec) { s.RedirectURIs = nil }, "at least one redirect"},
		{"cc without redirect ok", func(s *ClientSpec) { s.RedirectURIs = nil; s.GrantTypes = []string{"client_credentials"} }, ""},
		{"http non-loopback", func(s *ClientSpec) { s.RedirectURIs = []string{"http://app.example/cb"} }, "only allowed for localhost"},
		{"http loopback ok", func(s *ClientSpec) { s.RedirectURIs = []string{"http://127.0.0.1:9000/cb"} }, ""},
		{"fragment", func(s *ClientSpec) { s.RedirectURIs = []string{"https://app.example/cb#x"} }, "fragment"},
		{"relative", func(s *ClientSpec) { s.RedirectURIs = []string{"/cb"} }, "absolute"},
		{"userinfo", func(s *ClientSpec) { s.RedirectURIs = []string{"https://u@app.example/cb"} }, "user information"},
		{"javascript", func(s *ClientSpec) { s.RedirectURIs = []string{"javascript:alert(1)"} }, "not allowed"},
		{"private-use scheme ok", func(s *ClientSpec) { s.RedirectURIs = []string{"com.example.app:/cb"} }, ""},
		{"private-use scheme without dot", func(s *ClientSpec) { s.RedirectURIs = []string{"myapp:/cb"} }, "reversed domain"},
		{"bad post-logout", func(s *ClientSpec) { s.PostLogoutRedirectURIs = []string{"http://evil.example/"} }, "post-logout"},
		{"bad scope", func(s *ClientSpec) { s.Scopes = []string{"a b"} }, "valid scope"},
		{"min acr on the ladder", func(s *ClientSpec) { s.MinACR = "urn:lockstep:acr:mfa" }, ""},
		{"min acr at the password level", func(s *ClientSpec) { s.MinACR = "urn:lockstep:acr:pwd" }, ""},
		{"min acr unknown", func(s *ClientSpec) { s.MinACR = "gold" }, "minimum acr"},
		{"default acr at the password level", func(s *ClientSpec) { s.DefaultACRValues = []string{"urn:lockstep:acr:pwd"} }, ""},
		{"default acr unknown", func(s *ClientSpec) { s.DefaultACRValues = []string{"urn:lockstep:acr:mfa", "gold"} }, "default acr"},
		{"negative max age", func(s *ClientSpec) { s.MaxAuthAge = -time.Second }, "negative"},
		{"jwt access tokens", func(s *ClientSpec) { s.AccessTokenFormat = "jwt" }, ""},
		{"unknown token format", func(s *ClientSpec) { s.AccessTokenFormat = "paseto" }, "opaque or jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			tt.mutate(&s)
			err := s.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// validClientID allows exactly a-z, A-Z, 0-9, '-', '_' and '.': the characters
// next to each range are refused.
func TestValidClientID(t *testing.T) {
	for _, c := range "azAZ09-_." {
		if !validClientID(string(c)) {
			t.Errorf("%q refused", c)
		}
	}
	for _, c := range "`{@[/:,~ é" {
		if validClientID("app" + string(c)) {
			t.Errorf("%q allowed", c)
		}
	}
}
