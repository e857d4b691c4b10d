package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

func TestForceHTTPSRedirects(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"FORCE_HTTPS": "true", "TRUSTED_PROXIES": "127.0.0.1", "HTTPS_PORT": "8443"}})
	tests := []struct {
		name     string
		method   string
		path     string
		headers  map[string]string
		status   int
		location string
	}{
		{"GET moves permanently", "GET", "/api/v1/symbols?x=1", nil, 301,
			"https://127.0.0.1:8443/api/v1/symbols?x=1"},
		{"HEAD moves permanently", "HEAD", "/api/v1/symbols", nil, 301,
			"https://127.0.0.1:8443/api/v1/symbols"},
		{"POST keeps its method", "POST", "/api/v1/auth/login", nil, 308,
			"https://127.0.0.1:8443/api/v1/auth/login"},
		{"DELETE keeps its method", "DELETE", "/api/v1/orders/1", nil, 308,
			"https://127.0.0.1:8443/api/v1/orders/1"},
		{"host header names the target", "GET", "/api/v1/me?x", map[string]string{
			"Host": "api.example.com"}, 301, "https://api.example.com:8443/api/v1/me?x"},
		{"probes are not redirected", "GET", "/healthz", nil, 200, ""},
		{"trusted proxy says https", "GET", "/api/v1/symbols", map[string]string{
			"X-Forwarded-Proto": "https"}, 401, ""},
		{"mixed proto list is not https", "GET", "/api/v1/symbols", map[string]string{
			"X-Forwarded-Proto": "https, http"}, 301, "https://127.0.0.1:8443/api/v1/symbols"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doNoRedirect(t, v, tt.method, tt.path, tt.headers)
			if r.StatusCode != tt.status || r.Header.Get("Location") != tt.location {
				t.Fatalf("got %d %q, want %d %q", r.StatusCode, r.Header.Get("Location"),
					tt.status, tt.location)
			}
			if r.Header.Get("X-Frame-Options") != "DENY" {
				t.Fatal("redirect without security headers")
			}
		})
	}
	r := doNoRedirect(t, v, "GET", "/healthz", map[string]string{"X-Forwarded-Proto": "https"})
	if got := r.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Fatalf("HSTS over trusted https = %q", got)
	}
}

// TestForwardedProtoFromAnUntrustedPeerIsIgnored: a client cannot claim HTTPS.
func TestForwardedProtoFromAnUntrustedPeerIsIgnored(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"FORCE_HTTPS": "true", "TRUSTED_PROXIES": "10.0.0.0/8", "HSTS_MAX_AGE": "600",
		"HSTS_INCLUDE_SUBDOMAINS": "false"}})
	r := doNoRedirect(t, v, "GET", "/api/v1/me", map[string]string{"X-Forwarded-Proto": "https"})
	if r.StatusCode != http.StatusMovedPermanently {
		t.Fatalf("status %d, want 301", r.StatusCode)
	}
	if got := r.Header.Get("Strict-Transport-Security"); got != "" {
		t.Fatalf("HSTS sent over plain HTTP outside production: %q", got)
	}
}

// doNoRedirect sends a request and returns the answer without following redirects.
func doNoRedirect(t *testing.T, v *apptest.Venue, method, path string,
	headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, v.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	if h, ok := headers["Host"]; ok {
		req.Host = h
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
