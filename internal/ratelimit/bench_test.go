package ratelimit_test

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

var benchRule = ratelimit.Rule{Name: "bench", Limit: 1 << 30, Window: time.Minute}

func BenchmarkMemoryAllow(b *testing.B) {
	b.Run("one key", func(b *testing.B) {
		benchAllow(b, ratelimit.NewMemory(nil), func(int64) string { return "hot" })
	})
	b.Run("many keys parallel", func(b *testing.B) {
		benchAllowParallel(b, ratelimit.NewMemory(nil))
	})
}

func BenchmarkRedisAllow(b *testing.B) {
	client := newRedisClient(b)
	prefix := testPrefix(b, client)
	b.Run("one key", func(b *testing.B) {
		benchAllow(b, ratelimit.NewRedis(client, prefix, nil), func(int64) string { return "hot" })
	})
	b.Run("many keys parallel", func(b *testing.B) {
		benchAllowParallel(b, ratelimit.NewRedis(client, prefix, nil))
	})
}

func benchAllow(b *testing.B, l ratelimit.Limiter, key func(int64) string) {
	ctx := context.Background()
	var i int64
	for b.Loop() {
		if _, err := l.Allow(ctx, benchRule, key(i), 1); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchAllowParallel(b *testing.B, l ratelimit.Limiter) {
	ctx := context.Background()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := strconv.FormatInt(n.Add(1)%10_000, 10)
			if _, err := l.Allow(ctx, benchRule, key, 1); err != nil {
				b.Error(err)

				return
			}
		}
	})
}

func BenchmarkWriteHeaders(b *testing.B) {
	d := ratelimit.Decision{Limit: 100, Remaining: 0, Reset: 30 * time.Second, RetryAfter: 2 * time.Second}
	for b.Loop() {
		ratelimit.WriteHeaders(http.Header{}, benchRule, d)
	}
}
