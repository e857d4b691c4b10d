package app_test

import (
	"net/http"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// TestLimiterMetrics: refusals and backend failures reach the metrics.
func TestLimiterMetrics(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_LIMIT_ENABLED": "true",
		"RATE_LIMIT_PER_MINUTE": "1", "RATE_LIMIT_BURST": "0"}})
	v.Must(v.Do("GET", "/healthz", "", nil), http.StatusOK)
	v.Must(v.Do("GET", "/healthz", "", nil), http.StatusTooManyRequests)
	if got := scrape(t, v, `rate_limited_total{rule="ip"}`); got != 1 {
		t.Fatalf(`rate_limited_total{rule="ip"} = %v, want 1`, got)
	}

	down := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_LIMIT_ENABLED": "true",
		"REDIS_URL": "redis://127.0.0.1:1/0", "RATE_LIMIT_FAIL_OPEN": "true",
		"RATE_LIMIT_TIMEOUT": "100ms"}})
	down.Must(down.Do("GET", "/healthz", "", nil), http.StatusOK)
	if got := scrape(t, down, "ratelimit_backend_errors_total"); got < 1 {
		t.Fatalf("ratelimit_backend_errors_total = %v, want at least 1", got)
	}
}
