package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// fakeClock is a settable clock starting on a whole second, so that millisecond
// storage in Redis loses nothing.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.now = c.now.Add(d)
}

// redisURL returns OCTOPUS_TEST_REDIS_URL, skipping the test when it is unset unless
// CI=true, where a missing Redis is a failure.
func redisURL(t testing.TB) string {
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

// newRedisClient connects a fresh client to the test server and closes it at the end.
func newRedisClient(t testing.TB) *redis.Client {
	t.Helper()

	opts, err := redis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatalf("parse OCTOPUS_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })

	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping redis: %v", err)
	}

	return client
}

// testPrefix returns a random key prefix for one test and deletes its keys afterwards.
func testPrefix(t testing.TB, client *redis.Client) string {
	t.Helper()

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "octopus-test:" + hex.EncodeToString(b) + ":"

	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("clean up redis keys: %v", err)
		}
	})

	return prefix
}

// deadRedisClient points at a closed port, to play a Redis outage.
func deadRedisClient(t testing.TB) *redis.Client {
	t.Helper()

	client := redis.NewClient(&redis.Options{
		Addr:        "127.0.0.1:1",
		DialTimeout: 200 * time.Millisecond,
		MaxRetries:  -1,
	})
	t.Cleanup(func() { _ = client.Close() })

	return client
}
