package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/store"
)

// limitedVenue starts a venue with rate limiting on (tests turn it off by default)
// and the given settings.
func limitedVenue(t *testing.T, env map[string]string) *apptest.Venue {
	t.Helper()
	all := map[string]string{"RATE_LIMIT_ENABLED": "true"}
	for k, v := range env {
		all[k] = v
	}
	return apptest.Start(t, apptest.Options{Env: all})
}

// from sends a request as if forwarded for client by a trusted proxy.
func from(v *apptest.Venue, client, method, path, token string, body any) apptest.Response {
	v.T.Helper()
	h := map[string]string{"X-Forwarded-For": client}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return v.DoHeaders(method, path, body, h)
}

func TestRateLimitRefusesAtTheConfiguredRate(t *testing.T) {
	v := limitedVenue(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "5", "RATE_LIMIT_BURST": "2"})
	for i := range 7 {
		r := v.Must(v.Do("GET", "/healthz", "", nil), http.StatusOK)
		if got := r.Header.Get("RateLimit-Policy"); got != `"ip";q=7;w=60` {
			t.Fatalf("RateLimit-Policy = %q", got)
		}
		want := fmt.Sprintf(`"ip";r=%d;t=`, 6-i)
		if got := r.Header.Get("RateLimit"); !strings.HasPrefix(got, want) {
			t.Fatalf("request %d: RateLimit = %q, want prefix %q", i+1, got, want)
		}
	}
	r := v.Do("GET", "/healthz", "", nil)
	if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" {
		t.Fatalf("8th request: %d %s, want 429 rate_limited", r.Status, r.Body)
	}
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 120 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	if got := r.Header.Get("RateLimit"); !strings.HasPrefix(got, `"ip";r=0;`) {
		t.Fatalf("RateLimit on refusal = %q", got)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("429 without security headers")
	}
}

func TestLoginHasAStricterLimit(t *testing.T) {
	v := limitedVenue(t, map[string]string{"LOGIN_RATE_LIMIT_PER_MINUTE": "3"})
	body := map[string]string{"username": "admin", "password": "wrong-password-here"}
	for range 3 {
		if r := v.Do("POST", "/api/v1/auth/login", "", body); r.Status != http.StatusUnauthorized {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
	}
	r := v.Do("POST", "/api/v1/auth/login", "", body)
	limited := strings.Contains(r.Header.Get("RateLimit"), `"login"`)
	if r.Status != http.StatusTooManyRequests || !limited {
		t.Fatalf("4th login: %d %v %s", r.Status, r.Header, r.Body)
	}
	r = v.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "x"})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("registration shares the login limit: %d", r.Status)
	}
	v.Must(v.Do("GET", "/healthz", "", nil), http.StatusOK)
}

// TestPrincipalLimitSpansAddresses: a user spreading requests over many addresses
// still spends one budget.
func TestPrincipalLimitSpansAddresses(t *testing.T) {
	v := limitedVenue(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1",
		"RATE_LIMIT_PRINCIPAL_PER_MINUTE": "3", "RATE_LIMIT_BURST": "0"})
	admin := v.Admin()
	for i := range 3 {
		r := from(v, fmt.Sprintf("198.51.100.%d", i+1), "GET", "/api/v1/me", admin, nil)
		v.Must(r, http.StatusOK)
		if !strings.Contains(r.Header.Get("RateLimit-Policy"), `"principal";q=3;w=60`) {
			t.Fatalf("RateLimit-Policy = %q", r.Header.Get("RateLimit-Policy"))
		}
	}
	r := from(v, "198.51.100.9", "GET", "/api/v1/me", admin, nil)
	if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" {
		t.Fatalf("4th request: %d %s", r.Status, r.Body)
	}
}

func TestHeavyRoutesCostMore(t *testing.T) {
	v := limitedVenue(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1",
		"RATE_LIMIT_PER_MINUTE": "20", "RATE_LIMIT_BURST": "0"})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	tests := []struct {
		name  string
		path  string
		spent int
	}{
		{"default depth", "/api/v1/markets/AAPL/book", 1},
		{"depth 100", "/api/v1/markets/AAPL/book?depth=100", 1},
		{"depth 101", "/api/v1/markets/AAPL/book?depth=101", 2},
		{"depth 500", "/api/v1/markets/AAPL/book?depth=500", 5},
		{"bars", "/api/v1/markets/AAPL/bars", 5},
		{"ping", "/healthz", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := from(v, fmt.Sprintf("203.0.113.%d", i+1), "GET", tt.path, admin, nil)
			v.Must(r, http.StatusOK)
			want := fmt.Sprintf(`"ip";r=%d;`, 20-tt.spent)
			if got := r.Header.Get("RateLimit"); !strings.HasPrefix(got, want) {
				t.Fatalf("RateLimit = %q, want prefix %q", got, want)
			}
		})
	}
}

// TestShadowRuleCountsWithoutRefusing: a shadow rule never refuses and tells the
// client nothing.
func TestShadowRuleCountsWithoutRefusing(t *testing.T) {
	v := limitedVenue(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "2", "RATE_LIMIT_BURST": "0",
		"RATE_LIMIT_SHADOW_RULES": "ip"})
	for range 6 {
		r := v.Must(v.Do("GET", "/healthz", "", nil), http.StatusOK)
		if r.Header.Get("RateLimit") != "" || r.Header.Get("RateLimit-Policy") != "" {
			t.Fatalf("shadow rule wrote headers: %v", r.Header)
		}
	}
}

func TestAbuseBlocksAndAdminLiftsTheBlock(t *testing.T) {
	v := limitedVenue(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1",
		"RATE_LIMIT_PER_MINUTE": "2", "RATE_LIMIT_BURST": "0", "ABUSE_THRESHOLD": "3",
		"IP_BLOCK_DURATION": "10m"})
	const abuser = "198.51.100.66"
	admin := v.Admin()
	statuses := []int{}
	for range 6 {
		statuses = append(statuses, from(v, abuser, "GET", "/healthz", "", nil).Status)
	}
	want := []int{200, 200, 429, 429, 429, 403}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
	r := from(v, abuser, "GET", "/healthz", "", nil)
	if r.ErrorCode() != "ip_blocked" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("blocked answer: %d %v %s", r.Status, r.Header, r.Body)
	}

	var list struct {
		Items []struct {
			IP       string `json:"ip"`
			Reason   string `json:"reason"`
			Offenses int    `json:"offenses"`
		} `json:"items"`
	}
	// The admin works from addresses of its own, each with a fresh budget.
	n := 0
	asAdmin := func(method, path string) apptest.Response {
		n++
		return from(v, fmt.Sprintf("192.0.2.%d", n), method, path, admin, nil)
	}
	v.Must(asAdmin("GET", "/api/v1/admin/ip-blocks"), http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].IP != abuser || list.Items[0].Offenses != 1 {
		t.Fatalf("blocks = %+v", list.Items)
	}
	events, err := v.App.Store.ListSecurityEvents(context.Background(),
		store.SecurityEventFilter{Type: "suspicious_api_usage"}, store.Page{Limit: 10})
	if err != nil || len(events) != 1 || events[0].IP != abuser {
		t.Fatalf("suspicious_api_usage events = %+v, %v", events, err)
	}

	r = from(v, "192.0.2.200", "DELETE", "/api/v1/admin/ip-blocks/"+abuser, "", nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous lift: %d %s", r.Status, r.Body)
	}
	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"not an address", "/api/v1/admin/ip-blocks/not-an-ip", http.StatusBadRequest},
		{"lift", "/api/v1/admin/ip-blocks/" + abuser, http.StatusNoContent},
		{"already lifted", "/api/v1/admin/ip-blocks/" + abuser, http.StatusNotFound},
	}
	for _, tt := range tests {
		if r := asAdmin("DELETE", tt.path); r.Status != tt.status {
			t.Fatalf("%s: %d %s, want %d", tt.name, r.Status, r.Body, tt.status)
		}
	}
	if r := from(v, abuser, "GET", "/healthz", "", nil); r.Status == http.StatusForbidden {
		t.Fatalf("still blocked after the block was lifted: %s", r.Body)
	}
	v.Must(asAdmin("GET", "/api/v1/admin/ip-blocks"), http.StatusOK).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("blocks after lifting = %+v", list.Items)
	}
}
