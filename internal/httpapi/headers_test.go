package httpapi_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestEveryAnswerCarriesTheSecurityHeaders walks answers of every kind the guards
// and the router produce, successes and refusals alike.
func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	v := limitedVenue(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1",
		"RATE_LIMIT_PER_MINUTE": "1", "RATE_LIMIT_BURST": "0", "ABUSE_THRESHOLD": "1",
		"LOGIN_RATE_LIMIT_PER_MINUTE": "100", "MAX_BODY_BYTES": "1024",
		"CORS_ALLOWED_ORIGINS": "https://app.example.com"})
	n := 0
	send := func(method, path string, body any, headers map[string]string) int {
		n++
		h := map[string]string{"X-Forwarded-For": "192.0.2." + strconv.Itoa(n)}
		for k, val := range headers {
			h[k] = val
		}
		r := v.DoHeaders(method, path, body, h)
		for _, name := range []string{"X-Content-Type-Options", "X-Frame-Options",
			"Content-Security-Policy", "Referrer-Policy", "Cache-Control",
			"Cross-Origin-Opener-Policy", "Permissions-Policy", "X-Request-Id"} {
			if r.Header.Get(name) == "" {
				t.Errorf("%s %s (%d): missing %s", method, path, r.Status, name)
			}
		}
		return r.Status
	}
	want := map[int]bool{}
	for _, status := range []int{
		send("GET", "/healthz", nil, nil),
		send("GET", "/api/v1/me", nil, nil),
		send("GET", "/api/v1/nope", nil, nil),
		send("PUT", "/healthz", nil, nil),
		send("POST", "/api/v1/auth/login", strings.Repeat("x", 2048), nil),
		send("POST", "/api/v1/auth/login", `{"username":1}`, nil),
		send("OPTIONS", "/api/v1/orders", nil, map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}),
	} {
		want[status] = true
	}
	// One address: its second request is refused, its third finds it blocked.
	abuse := map[string]string{"X-Forwarded-For": "198.51.100.1"}
	for range 3 {
		r := v.DoHeaders("GET", "/healthz", nil, abuse)
		want[r.Status] = true
		if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Request-Id") == "" {
			t.Errorf("status %d without security headers", r.Status)
		}
	}
	for _, s := range []int{200, 204, 400, 401, 403, 404, 405, 413, 429} {
		if !want[s] {
			t.Errorf("no answer with status %d was checked", s)
		}
	}
}
