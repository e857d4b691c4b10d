package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// redisURL returns OCTOPUS_TEST_REDIS_URL, skipping the test when it is unset unless
// CI=true, where a missing Redis is a failure.
func redisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("OCTOPUS_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("OCTOPUS_TEST_REDIS_URL is required when CI=true")
		}
		t.Skip("OCTOPUS_TEST_REDIS_URL not set")
	}
	return url
}

// redisPrefix returns a fresh key prefix and deletes its keys after the test.
func redisPrefix(t *testing.T, url string) string {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse OCTOPUS_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "octopus-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		_ = client.Close()
	})
	return prefix
}

// TestTwoProcessesShareOneLimit runs two venues on one Redis, as two server
// processes behind a load balancer: together they admit the limit once, and a block
// imposed by one is enforced, listed and lifted by the other.
func TestTwoProcessesShareOneLimit(t *testing.T) {
	url := redisURL(t)
	env := map[string]string{"REDIS_URL": url, "RATE_LIMIT_REDIS_PREFIX": redisPrefix(t, url),
		"TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_PER_MINUTE": "6", "RATE_LIMIT_BURST": "0",
		"ABUSE_THRESHOLD": "1"}
	venues := []*apptest.Venue{limitedVenue(t, env), limitedVenue(t, env)}
	const client = "198.51.100.20"
	for i := range 6 {
		v := venues[i%2]
		v.Must(from(v, client, "GET", "/healthz", "", nil), http.StatusOK)
	}
	for i, v := range venues {
		r := from(v, client, "GET", "/healthz", "", nil)
		want := []int{http.StatusTooManyRequests, http.StatusForbidden}[i]
		if r.Status != want {
			t.Fatalf("venue %d after the shared limit: %d %s, want %d", i, r.Status, r.Body, want)
		}
	}

	second := venues[1]
	admin := second.Admin()
	var list struct {
		Items []struct {
			IP string `json:"ip"`
		} `json:"items"`
	}
	second.Must(second.Do("GET", "/api/v1/admin/ip-blocks", admin, nil), 200).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].IP != client {
		t.Fatalf("second venue lists %+v", list.Items)
	}
	second.Must(second.Do("DELETE", "/api/v1/admin/ip-blocks/"+client, admin, nil), 204)
	if r := from(venues[0], client, "GET", "/healthz", "", nil); r.Status == http.StatusForbidden {
		t.Fatalf("first venue still blocks after the second lifted the block: %s", r.Body)
	}
}

// TestRedisOutage points the venue at a closed port: failing open serves without
// rate limit headers, failing closed refuses with 429 and Retry-After; never a 500.
func TestRedisOutage(t *testing.T) {
	tests := []struct {
		name     string
		failOpen string
		status   int
		code     string
	}{
		{"fail open", "true", http.StatusOK, ""},
		{"fail closed", "false", http.StatusTooManyRequests, "rate_limited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := limitedVenue(t, map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0",
				"RATE_LIMIT_FAIL_OPEN": tt.failOpen, "RATE_LIMIT_TIMEOUT": "200ms"})
			for range 3 {
				r := v.Do("GET", "/healthz", "", nil)
				if r.Status != tt.status || r.ErrorCode() != tt.code {
					t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
				}
				if tt.status == http.StatusOK && r.Header.Get("RateLimit") != "" {
					t.Fatalf("failing open still claims a budget: %q", r.Header.Get("RateLimit"))
				}
				if tt.status != http.StatusOK && r.Header.Get("Retry-After") != "5" {
					t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
				}
			}
			if tt.status != http.StatusOK {
				return
			}
			r := v.Do("GET", "/api/v1/admin/ip-blocks", v.Admin(), nil)
			if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "unavailable" {
				t.Fatalf("block list during the outage: %d %s", r.Status, r.Body)
			}
		})
	}
}
