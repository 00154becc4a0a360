package idp

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	ip := ClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct", "203.0.113.5:1234", "", "203.0.113.5"},
		{"spoofed header from untrusted peer", "203.0.113.5:1234", "1.2.3.4", "203.0.113.5"},
		{"trusted proxy", "10.0.0.2:80", "198.51.100.7", "198.51.100.7"},
		{"trusted chain", "10.0.0.2:80", "198.51.100.7, 10.0.0.3", "198.51.100.7"},
		{"client-supplied prefix ignored", "10.0.0.2:80", "1.1.1.1, 198.51.100.7", "198.51.100.7"},
		{"garbage header", "10.0.0.2:80", "not-an-ip", "10.0.0.2"},
		{"ipv6 peer", "[2001:db8::1]:443", "", "2001:db8::1"},
		{"mapped v4", "[::ffff:203.0.113.9]:1", "", "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := ip(r); got != tt.want {
				t.Fatalf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
