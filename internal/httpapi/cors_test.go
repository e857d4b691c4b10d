package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

func TestCORS(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"CORS_ALLOWED_ORIGINS":   "https://app.example.com, https://desk.example.com:8443",
		"CORS_ALLOW_CREDENTIALS": "true", "CORS_MAX_AGE": "10m"}})
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
		grant   string
	}{
		{"listed origin", "GET", map[string]string{"Origin": "https://app.example.com"},
			200, "https://app.example.com"},
		{"listed origin with port", "GET",
			map[string]string{"Origin": "https://desk.example.com:8443"}, 200,
			"https://desk.example.com:8443"},
		{"unlisted origin", "GET", map[string]string{"Origin": "https://evil.example.net"}, 200, ""},
		{"scheme differs", "GET", map[string]string{"Origin": "http://app.example.com"}, 200, ""},
		{"suffix trick", "GET",
			map[string]string{"Origin": "https://app.example.com.evil.example.net"}, 200, ""},
		{"null origin", "GET", map[string]string{"Origin": "null"}, 200, ""},
		{"no origin", "GET", nil, 200, ""},
		{"preflight", "OPTIONS", map[string]string{"Origin": "https://app.example.com",
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "authorization, content-type, x-octopus-signature"},
			204, "https://app.example.com"},
		{"preflight from unlisted origin", "OPTIONS", map[string]string{
			"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"}, 204, ""},
		{"preflight for an unlisted method", "OPTIONS", map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "TRACE"}, 204, ""},
		{"preflight for an unlisted header", "OPTIONS", map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Headers": "x-forwarded-for"}, 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.DoHeaders(tt.method, "/healthz", nil, tt.headers)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != tt.grant {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tt.grant)
			}
			if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
				t.Fatalf("Vary = %q, want Origin", r.Header.Values("Vary"))
			}
			if tt.grant == "" {
				for _, h := range []string{"Access-Control-Allow-Credentials",
					"Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
					if r.Header.Get(h) != "" {
						t.Fatalf("%s granted without an origin grant", h)
					}
				}
				return
			}
			if r.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Fatal("credentials not allowed")
			}
			if tt.method != "OPTIONS" {
				return
			}
			if got := r.Header.Get("Access-Control-Allow-Methods"); got != "GET, POST, PUT, PATCH, DELETE" {
				t.Fatalf("Access-Control-Allow-Methods = %q", got)
			}
			want := "Authorization, Content-Type, X-API-Key, X-Octopus-Timestamp, X-Octopus-Signature"
			if got := r.Header.Get("Access-Control-Allow-Headers"); got != want {
				t.Fatalf("Access-Control-Allow-Headers = %q", got)
			}
			if got := r.Header.Get("Access-Control-Max-Age"); got != "600" {
				t.Fatalf("Access-Control-Max-Age = %q", got)
			}
		})
	}
	// A preflight is answered before authentication: no credentials needed.
	r := v.DoHeaders("OPTIONS", "/api/v1/orders", nil, map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
	if r.Status != http.StatusNoContent {
		t.Fatalf("preflight of a protected route: %d %s", r.Status, r.Body)
	}
}

func TestCORSWithoutOriginsGrantsNothing(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	r := v.DoHeaders("GET", "/healthz", nil, map[string]string{"Origin": "https://app.example.com"})
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("Access-Control-Allow-Origin = %q with no allowlist", got)
	}
}
