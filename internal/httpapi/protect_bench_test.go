package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// BenchmarkProtect measures what the guards add to a request: the same ping through
// the whole middleware chain without a limiter, with the in-memory limiter and
// block list, and with Redis. Each iteration comes from one of 1024 addresses.
func BenchmarkProtect(b *testing.B) {
	rule := func(name string) ratelimit.Rule {
		return ratelimit.Rule{Name: name, Limit: 1 << 30, Window: time.Minute}
	}
	opts := httpapi.Options{Protection: httpapi.Protection{IPRule: rule("ip"),
		PrincipalRule: rule("principal"), LoginRule: rule("login")}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	run := func(b *testing.B, d httpapi.Deps) {
		d.Logger = log
		api := httpapi.New(d, opts)
		reqs := make([]string, 1024)
		for i := range reqs {
			reqs[i] = "10." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) + ".1:4000"
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			req := httptest.NewRequest("GET", "/healthz", nil)
			req.RemoteAddr = reqs[i%len(reqs)]
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}

	b.Run("none", func(b *testing.B) { run(b, httpapi.Deps{}) })
	b.Run("memory", func(b *testing.B) {
		run(b, httpapi.Deps{Limiter: ratelimit.NewMemory(nil),
			Blocker: ratelimit.NewMemoryBlocker(nil, 0)})
	})
	b.Run("redis", func(b *testing.B) {
		url := os.Getenv("OCTOPUS_TEST_REDIS_URL")
		if url == "" {
			b.Skip("OCTOPUS_TEST_REDIS_URL not set")
		}
		o, err := redis.ParseURL(url)
		if err != nil {
			b.Fatal(err)
		}
		client := redis.NewClient(o)
		defer client.Close()
		if err := client.Ping(context.Background()).Err(); err != nil {
			b.Skip("redis unreachable")
		}
		prefix := "octopus-bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
		defer func() {
			ctx := context.Background()
			iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				client.Del(ctx, iter.Val())
			}
		}()
		run(b, httpapi.Deps{Limiter: ratelimit.NewRedis(client, prefix, nil),
			Blocker: ratelimit.NewRedisBlocker(client, prefix, nil)})
	})
}
