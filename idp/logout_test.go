package idp

import (
	"net/http/httptest"
	"testing"

	"github.com/lockstep-id/lockstep/storage"
)

// TestCameFrom: the logout page's Cancel goes back only to a page on one of the
// client's registered origins (scheme and host, port included).
func TestCameFrom(t *testing.T) {
	cl := storage.Client{
		RedirectURIs:           []string{"https://shop.example/callback", "com.example.app:/cb", "http://127.0.0.1:8080/cb"},
		PostLogoutRedirectURIs: []string{"https://bye.example:8443/bye"},
	}
	for _, tt := range []struct{ referer, want string }{
		{"https://shop.example/orders?page=2", "https://shop.example/orders?page=2"},
		{"https://SHOP.example/", "https://SHOP.example/"},
		{"https://shop.example/a#frag", "https://shop.example/a"},
		{"https://bye.example:8443/home", "https://bye.example:8443/home"},
		{"https://bye.example/home", ""},                             // another port
		{"http://shop.example/orders", ""},                           // another scheme
		{"http://127.0.0.1:8080/home", "http://127.0.0.1:8080/home"}, // a registered http (loopback) origin
		{"https://shop.example.evil/", ""},                           // another host
		{"https://user@shop.example/", ""},                           // user information
		{"com.example.app:/cb", ""},                                  // not a web page
		{"javascript:alert(1)//shop.example/", ""},                   // not a web page
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/logout", nil)
		if tt.referer != "" {
			r.Header.Set("Referer", tt.referer)
		}
		if got := cameFrom(r, cl); got != tt.want {
			t.Errorf("Referer %q: cameFrom = %q, want %q", tt.referer, got, tt.want)
		}
	}
}
