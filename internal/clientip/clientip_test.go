package clientip_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/octopus-venue/octopus/internal/clientip"
)

// testTrusted is the proxy list of every table: a private range, an IPv6 range and
// one bare address.
const testTrusted = "10.0.0.0/8, 2001:db8:ffff::/48, 192.0.2.10"

func newTestResolver(t testing.TB) *clientip.Resolver {
	t.Helper()

	prefixes, err := clientip.ParsePrefixes(testTrusted)
	if err != nil {
		t.Fatalf("parse trusted proxies: %v", err)
	}

	return clientip.NewResolver(prefixes)
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name      string
		remote    string
		xff       []string
		forwarded []string
		want      string
	}{
		{name: "untrusted peer without headers", remote: "203.0.113.5:4000", want: "203.0.113.5"},
		{name: "peer without port", remote: "203.0.113.5", want: "203.0.113.5"},
		{
			name:   "untrusted peer cannot spoof with X-Forwarded-For",
			remote: "203.0.113.5:4000", xff: []string{"10.0.0.1"}, want: "203.0.113.5",
		},
		{
			name:      "untrusted peer cannot spoof with Forwarded",
			remote:    "203.0.113.5:4000",
			forwarded: []string{"for=198.51.100.1"}, want: "203.0.113.5",
		},
		{
			name:   "untrusted peer cannot spoof a trusted proxy address",
			remote: "203.0.113.5:4000", xff: []string{"192.0.2.10, 10.0.0.2"}, want: "203.0.113.5",
		},
		{name: "trusted peer without headers", remote: "10.0.0.1:80", want: "10.0.0.1"},
		{
			name:   "trusted peer forwards one client",
			remote: "10.0.0.1:80", xff: []string{"203.0.113.5"}, want: "203.0.113.5",
		},
		{
			name:   "client prefix before the proxy hop is ignored",
			remote: "10.0.0.1:80", xff: []string{"198.51.100.1, 203.0.113.5"}, want: "203.0.113.5",
		},
		{
			name:   "client claims to be a trusted proxy",
			remote: "10.0.0.1:80", xff: []string{"10.9.9.9, 203.0.113.5"}, want: "203.0.113.5",
		},
		{
			name:   "chain of trusted proxies is skipped",
			remote: "10.0.0.1:80", xff: []string{"203.0.113.5, 192.0.2.10, 10.0.0.3"},
			want: "203.0.113.5",
		},
		{
			name:   "header lines are walked last line first",
			remote: "10.0.0.1:80", xff: []string{"198.51.100.1", "203.0.113.5, 10.0.0.3"},
			want: "203.0.113.5",
		},
		{
			name:   "later line hop wins over earlier line",
			remote: "10.0.0.1:80", xff: []string{"198.51.100.1", "10.0.0.3"}, want: "198.51.100.1",
		},
		{
			name:   "all hops trusted gives the leftmost",
			remote: "10.0.0.1:80", xff: []string{"10.0.0.7, 10.0.0.3"}, want: "10.0.0.7",
		},
		{
			name:   "malformed hop next to the proxy falls back to the peer",
			remote: "10.0.0.1:80", xff: []string{"203.0.113.5, not-an-ip"}, want: "10.0.0.1",
		},
		{
			name:   "malformed hop left of the client is never read",
			remote: "10.0.0.1:80", xff: []string{"<script>, 203.0.113.5"}, want: "203.0.113.5",
		},
		{
			name:   "malformed hop behind trusted hops falls back to the peer",
			remote: "10.0.0.1:80", xff: []string{"bogus, 10.0.0.3"}, want: "10.0.0.1",
		},
		{name: "empty header", remote: "10.0.0.1:80", xff: []string{""}, want: "10.0.0.1"},
		{
			name:   "trailing comma is malformed",
			remote: "10.0.0.1:80", xff: []string{"203.0.113.5,"}, want: "10.0.0.1",
		},
		{
			name:   "hop with port",
			remote: "10.0.0.1:80", xff: []string{"203.0.113.5:5555"}, want: "203.0.113.5",
		},
		{
			name:   "bracketed IPv6 hop with port",
			remote: "10.0.0.1:80", xff: []string{"[2001:db8::5]:443"}, want: "2001:db8::5",
		},
		{
			name:   "bracketed IPv6 hop",
			remote: "10.0.0.1:80", xff: []string{"[2001:db8::5]"}, want: "2001:db8::5",
		},
		{
			name:   "IPv4-mapped hop is unmapped",
			remote: "10.0.0.1:80", xff: []string{"::ffff:203.0.113.5"}, want: "203.0.113.5",
		},
		{name: "IPv4-mapped peer is unmapped", remote: "[::ffff:203.0.113.5]:80", want: "203.0.113.5"},
		{
			name:   "IPv4-mapped trusted peer is trusted",
			remote: "[::ffff:10.0.0.1]:80", xff: []string{"203.0.113.5"}, want: "203.0.113.5",
		},
		{
			name:   "IPv4-mapped trusted hop is skipped",
			remote: "10.0.0.1:80", xff: []string{"203.0.113.5, ::ffff:10.0.0.9"}, want: "203.0.113.5",
		},
		{
			name:   "IPv6 trusted peer",
			remote: "[2001:db8:ffff::1]:80", xff: []string{"2001:db8::5"}, want: "2001:db8::5",
		},
		{name: "zone is dropped", remote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "malformed peer gives the zero address", remote: "somewhere", want: "invalid IP"},
		{name: "empty peer gives the zero address", remote: "", want: "invalid IP"},
		{
			name:      "Forwarded single element",
			remote:    "10.0.0.1:80",
			forwarded: []string{"for=203.0.113.5;proto=https;by=10.0.0.1"}, want: "203.0.113.5",
		},
		{
			name:      "Forwarded quoted IPv6 with port",
			remote:    "10.0.0.1:80",
			forwarded: []string{`for="[2001:db8::5]:4711"`}, want: "2001:db8::5",
		},
		{
			name:      "Forwarded parameter name is case-insensitive",
			remote:    "10.0.0.1:80",
			forwarded: []string{"For=203.0.113.5"}, want: "203.0.113.5",
		},
		{
			name:      "Forwarded chain is walked from the right",
			remote:    "10.0.0.1:80",
			forwarded: []string{"for=198.51.100.1, for=203.0.113.5, for=10.0.0.4"},
			want:      "203.0.113.5",
		},
		{
			name:      "Forwarded quoted string with comma inside",
			remote:    "10.0.0.1:80",
			forwarded: []string{`for=203.0.113.5;ext="a,b"`}, want: "203.0.113.5",
		},
		{
			name:      "Forwarded unknown falls back to the peer",
			remote:    "10.0.0.1:80",
			forwarded: []string{"for=unknown"}, want: "10.0.0.1",
		},
		{
			name:      "Forwarded obfuscated node falls back to the peer",
			remote:    "10.0.0.1:80",
			forwarded: []string{"for=_hidden, for=10.0.0.4"}, want: "10.0.0.1",
		},
		{
			name:      "Forwarded element without for falls back to the peer",
			remote:    "10.0.0.1:80",
			forwarded: []string{"proto=https"}, want: "10.0.0.1",
		},
		{
			name:      "Forwarded repeated for is malformed",
			remote:    "10.0.0.1:80",
			forwarded: []string{"for=203.0.113.5;for=198.51.100.1"}, want: "10.0.0.1",
		},
		{
			name:      "Forwarded unterminated quote is malformed",
			remote:    "10.0.0.1:80",
			forwarded: []string{`for="203.0.113.5`}, want: "10.0.0.1",
		},
		{
			name:      "X-Forwarded-For wins over a forged Forwarded",
			remote:    "10.0.0.1:80",
			xff:       []string{"203.0.113.5"},
			forwarded: []string{"for=198.51.100.1"}, want: "203.0.113.5",
		},
	}

	r := newTestResolver(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tt.forwarded {
				req.Header.Add("Forwarded", v)
			}

			got := r.ClientIP(req)
			if got.String() != tt.want {
				t.Errorf("ClientIP() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewResolverTrustsNobodyByDefault(t *testing.T) {
	r := clientip.NewResolver(nil)
	req := &http.Request{RemoteAddr: "10.0.0.1:80", Header: http.Header{}}
	req.Header.Set("X-Forwarded-For", "203.0.113.5")

	if got := r.ClientIP(req); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("ClientIP() = %s, want the peer 10.0.0.1", got)
	}
}

func TestTrusted(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{name: "inside IPv4 range", addr: "10.200.0.1", want: true},
		{name: "bare address", addr: "192.0.2.10", want: true},
		{name: "neighbour of bare address", addr: "192.0.2.11", want: false},
		{name: "inside IPv6 range", addr: "2001:db8:ffff:1::1", want: true},
		{name: "outside IPv6 range", addr: "2001:db8:fffe::1", want: false},
		{name: "IPv4-mapped inside range", addr: "::ffff:10.1.1.1", want: true},
		{name: "zoned address", addr: "2001:db8:ffff::1%eth0", want: true},
	}

	r := newTestResolver(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Trusted(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("Trusted(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func BenchmarkClientIP(b *testing.B) {
	r := newTestResolver(b)
	req := &http.Request{RemoteAddr: "10.0.0.1:80", Header: http.Header{}}
	req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.5, 10.0.0.3")

	for b.Loop() {
		r.ClientIP(req)
	}
}
