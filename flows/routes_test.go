package flows

import "testing"

// TestAccountReturn: a re-verification comes back only to an account page.
func TestAccountReturn(t *testing.T) {
	for _, tt := range []struct{ stored, want string }{
		{"", "/account"},
		{"/account", "/account"},
		{"/account?done=removed", "/account?done=removed"},
		{"/account/totp/add?replace=1", "/account/totp/add?replace=1"},
		{"/account#keys-heading", "/account#keys-heading"},
		{"/account/recovery-codes/new", "/account/recovery-codes/new"},
		{"//evil.example/account", "/account"},
		{"https://evil.example/account", "/account"},
		{"/accountevil", "/account"},
		{"/account//evil.example", "/account"},
		{"/account/../login", "/account"},
		{"/account/%2e%2e/login", "/account"},
		{"/account/%2F%2Fevil.example", "/account"},
		{"/account\\evil.example", "/account"},
		{"/account/\\\\evil.example", "/account"},
		{"/account\r\nLocation: https://evil.example", "/account"},
		{"/login", "/account"},
		{"javascript:alert(1)", "/account"},
		{"/admin", "/admin"},
		{"/admin/users/u1?email=a", "/admin/users/u1?email=a"},
		{"/administrator", "/account"},
		{"/admin//evil.example", "/account"},
		{"/admin/../login", "/account"},
		{"//evil.example/admin", "/account"},
	} {
		if got := AccountReturn(tt.stored); got != tt.want {
			t.Errorf("AccountReturn(%q) = %q, want %q", tt.stored, got, tt.want)
		}
	}
}
