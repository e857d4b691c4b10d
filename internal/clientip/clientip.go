// Package clientip decides which address a request came from when the server may sit
// behind reverse proxies. Forwarding headers are believed only as far as the chain of
// trusted proxies reaches: anything a client writes itself is ignored.
package clientip

import (
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of a request. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// NewResolver returns a Resolver that believes forwarding headers only when they were
// written by a peer inside one of trusted. An empty list trusts nobody, so the socket
// peer is always the client.
func NewResolver(trusted []netip.Prefix) *Resolver {
	r := &Resolver{trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, p := range trusted {
		if p.IsValid() {
			r.trusted = append(r.trusted, normalizePrefix(p))
		}
	}

	return r
}

// ClientIP returns the address of the client that sent req.
//
// The socket peer (RemoteAddr) is the answer unless it is a trusted proxy. Then the
// hops in X-Forwarded-For are walked from the right, skipping trusted proxies, and the
// first untrusted address wins: every hop to its right was appended by a proxy we
// trust, while everything to its left was supplied by the client and may be forged.
// When no X-Forwarded-For is present, the for= parameters of the RFC 7239 Forwarded
// header are walked the same way. A malformed hop ends the walk and the peer is
// returned. If every hop is trusted, the leftmost one is the client.
//
// Only one header is read: when a proxy writes one kind, a client could otherwise
// forge the other. X-Forwarded-For is preferred because nearly every proxy writes it;
// a proxy that writes only Forwarded must drop X-Forwarded-For from client requests.
//
// The result is unmapped (no IPv4-mapped IPv6) and carries no zone. It is the zero
// Addr only when RemoteAddr itself cannot be parsed.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	peer, ok := parseHop(req.RemoteAddr)
	if !ok || !r.Trusted(peer) {
		return peer
	}

	if xff := req.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return r.walk(peer, xff, splitXFF)
	}
	if fwd := req.Header.Values("Forwarded"); len(fwd) > 0 {
		return r.walk(peer, fwd, splitForwarded)
	}

	return peer
}

// Trusted reports whether addr lies inside a trusted proxy prefix.
func (r *Resolver) Trusted(addr netip.Addr) bool {
	addr = normalizeAddr(addr)
	for _, p := range r.trusted {
		if p.Contains(addr) {
			return true
		}
	}

	return false
}

// splitFunc breaks one header line into its hops, left to right. ok is false when the
// line does not parse.
type splitFunc func(line string) (hops []string, ok bool)

// walk scans the hops right to left, last line first, as proxies append in that order.
func (r *Resolver) walk(peer netip.Addr, lines []string, split splitFunc) netip.Addr {
	var leftmost netip.Addr
	for i := len(lines) - 1; i >= 0; i-- {
		hops, ok := split(lines[i])
		if !ok {
			return peer
		}

		for j := len(hops) - 1; j >= 0; j-- {
			addr, ok := parseHop(hops[j])
			if !ok {
				return peer
			}
			if !r.Trusted(addr) {
				return addr
			}
			leftmost = addr
		}
	}

	if leftmost.IsValid() {
		return leftmost
	}

	return peer
}

// splitXFF breaks an X-Forwarded-For line at its commas. An empty entry later fails
// to parse as an address, which is what a broken chain deserves.
func splitXFF(line string) ([]string, bool) {
	hops := strings.Split(line, ",")
	for i, h := range hops {
		hops[i] = strings.TrimSpace(h)
	}

	return hops, true
}

// parseHop reads an address as proxies write it: "192.0.2.1", "192.0.2.1:443",
// "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:443".
func parseHop(s string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(s); err == nil {
		return normalizeAddr(addr), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalizeAddr(ap.Addr()), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if addr, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && addr.Is6() {
			return normalizeAddr(addr), true
		}
	}

	return netip.Addr{}, false
}

// normalizeAddr drops the zone and turns ::ffff:a.b.c.d into a.b.c.d, so one client
// has one identity whichever way the socket or a proxy spelled it.
func normalizeAddr(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}

// normalizePrefix unmaps an IPv4-mapped prefix (::ffff:10.0.0.0/104 is 10.0.0.0/8)
// and clears host bits, so Contains sees the same address family as normalizeAddr.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	addr, bits := p.Addr().WithZone(""), p.Bits()
	if addr.Is4In6() {
		if bits < 96 {
			// Wider than the mapped range: it also covers non-IPv4 space, keep it as is.
			return netip.PrefixFrom(addr, bits).Masked()
		}
		addr, bits = addr.Unmap(), bits-96
	}

	return netip.PrefixFrom(addr, bits).Masked()
}
