package clientip_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientIP feeds arbitrary peers and forwarding headers to a resolver and checks
// the invariants that keep the answer safe to use as a rate limit and block key.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:80", "203.0.113.5, 10.0.0.3", "")
	f.Add("203.0.113.5:4000", "10.0.0.1", "for=10.0.0.2")
	f.Add("[::ffff:10.0.0.1]:80", "", `for="[2001:db8::5]:4711";proto=https`)

	r := newTestResolver(f)
	f.Fuzz(func(t *testing.T, remote, xff, forwarded string) {
		req := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		if forwarded != "" {
			req.Header.Set("Forwarded", forwarded)
		}

		got := r.ClientIP(req)
		if got.Is4In6() || got.Zone() != "" {
			t.Fatalf("ClientIP() = %s, want unmapped and without zone", got)
		}

		peer := parsePeer(remote)
		if !peer.IsValid() || !r.Trusted(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %q resolved to %s, want %s", remote, got, peer)
			}

			return
		}
		if !got.IsValid() {
			t.Fatalf("trusted peer %q resolved to the zero address", remote)
		}
	})
}

// parsePeer reads RemoteAddr independently of the package: host:port as net/http
// produces it, a bare address, and a bracketed IPv6 address without a port, which is
// also how proxies write IPv6 hops.
func parsePeer(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	if inner, ok := strings.CutPrefix(remote, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil && a.Is6() {
				return a.WithZone("").Unmap()
			}
		}
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.WithZone("").Unmap()
	}

	return netip.Addr{}
}
