package audit_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/octopus-venue/octopus/internal/audit"
)

const (
	fullAPIKey = "oct_abcdefghijkl_abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv"
	sampleJWT  = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
)

func TestFromRequest(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name  string
		req   audit.Request
		check func(t *testing.T, r audit.Record)
	}{
		{"query string dropped", audit.Request{Path: "/api/v1/orders?password=hunter2&x=1"},
			wantField(func(r audit.Record) string { return r.Path }, "/api/v1/orders")},
		{"fragment dropped", audit.Request{Path: "/api/v1/me#token=abc"},
			wantField(func(r audit.Record) string { return r.Path }, "/api/v1/me")},
		{"api key in path redacted", audit.Request{Path: "/api/v1/x/" + fullAPIKey + "/y"},
			wantField(func(r audit.Record) string { return r.Path }, "/api/v1/x/[redacted]/y")},
		{"jwt in user agent redacted", audit.Request{UserAgent: "bot Bearer " + sampleJWT},
			wantField(func(r audit.Record) string { return r.UserAgent }, "bot Bearer [redacted]")},
		{"api key in summary redacted", audit.Request{Summary: "created " + fullAPIKey},
			wantField(func(r audit.Record) string { return r.Summary }, "created [redacted]")},
		{"line breaks cannot forge lines", audit.Request{UserAgent: "a\r\nFAKE: 1\u2028b\x00"},
			wantField(func(r audit.Record) string { return r.UserAgent }, "a??FAKE: 1?b?")},
		{"invalid utf-8 replaced", audit.Request{UserAgent: "a\xff\xfeb"},
			wantField(func(r audit.Record) string { return r.UserAgent }, "a??b")},
		{"valid unicode kept", audit.Request{UserAgent: "Mozilla/5.0 (ünïcode; 日本)"},
			wantField(func(r audit.Record) string { return r.UserAgent }, "Mozilla/5.0 (ünïcode; 日本)")},
		{"long user agent bounded", audit.Request{UserAgent: long},
			wantField(func(r audit.Record) string { return r.UserAgent },
				long[:audit.MaxUserAgent-len("…")]+"…")},
		{"cut at a character boundary", audit.Request{Path: "/" + strings.Repeat("é", 600)},
			func(t *testing.T, r audit.Record) {
				if len(r.Path) > audit.MaxPath || !utf8.ValidString(r.Path) ||
					!strings.HasSuffix(r.Path, "é…") {
					t.Fatalf("path = %q (%d bytes)", r.Path, len(r.Path))
				}
			}},
		{"api key id hashed", audit.Request{APIKeyID: "abcdefghijkl"},
			wantField(func(r audit.Record) string { return r.APIKeyID },
				newHasher(t).Hash("abcdefghijkl"))},
		{"no api key stays empty", audit.Request{},
			wantField(func(r audit.Record) string { return r.APIKeyID }, "")},
		{"time in UTC microseconds, latency in microseconds",
			audit.Request{Time: time.Date(2025, 1, 2, 3, 4, 5, 6789,
				time.FixedZone("X", 3600)), Latency: 1500 * time.Microsecond},
			func(t *testing.T, r audit.Record) {
				want := time.Date(2025, 1, 2, 2, 4, 5, 6000, time.UTC)
				if r.Time != want || r.LatencyMicros != 1500 {
					t.Fatalf("time %v, latency %d; want %v, 1500", r.Time, r.LatencyMicros, want)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := audit.FromRequest(tt.req, newHasher(t))
			tt.check(t, r)
			if r.ID != 0 || r.Hash != nil {
				t.Fatal("FromRequest set chain fields")
			}
		})
	}
}

func wantField(get func(audit.Record) string, want string) func(*testing.T, audit.Record) {
	return func(t *testing.T, r audit.Record) {
		t.Helper()
		if got := get(r); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestHasher(t *testing.T) {
	h := newHasher(t)
	other, err := audit.NewHasher([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	a := h.Hash("abcdefghijkl")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"deterministic", h.Hash("abcdefghijkl"), a},
		{"prefix and hex digest", a[:len(audit.HashPrefix)], audit.HashPrefix},
		{"empty stays empty", h.Hash(""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if len(a) != len(audit.HashPrefix)+64 {
		t.Fatalf("hash %q is not a hex SHA-256", a)
	}
	if other.Hash("abcdefghijkl") == a || h.Hash("abcdefghijkm") == a {
		t.Fatal("different keys or values hash alike")
	}
	if _, err := audit.NewHasher([]byte("short")); err == nil {
		t.Fatal("short secret key accepted")
	}
}
