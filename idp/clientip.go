package idp

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns a function giving a request's client address. X-Forwarded-For
// is believed only when the connection comes from a trusted proxy, and then only
// up to the first hop that is not itself a trusted proxy; a header sent by anyone
// else changes nothing.
func ClientIP(trusted []netip.Prefix) func(*http.Request) string {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		peer, err := netip.ParseAddr(host)
		if err != nil {
			return host
		}
		if !isTrusted(peer) {
			return peer.Unmap().String()
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			if !isTrusted(a) {
				return a.Unmap().String()
			}
		}
		return peer.Unmap().String()
	}
}
