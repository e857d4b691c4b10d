package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// TestRedisSharedLimit runs two limiters on two clients, as two processes would, on
// the server's clock: together they admit exactly the capacity.
func TestRedisSharedLimit(t *testing.T) {
	first := newRedisClient(t)
	second := newRedisClient(t)
	prefix := testPrefix(t, first)
	limiters := []ratelimit.Limiter{
		ratelimit.NewRedis(first, prefix, nil),
		ratelimit.NewRedis(second, prefix, nil),
	}
	// An hour-long window: a boundary during the test would only fade the count.
	rule := ratelimit.Rule{Name: "shared", Limit: 8, Burst: 2, Window: time.Hour}

	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		l := limiters[i%2]
		wg.Go(func() {
			d, err := l.Allow(context.Background(), rule, "client", 1)
			if err != nil {
				t.Errorf("Allow() error = %v", err)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()

	if got := allowed.Load(); got != int64(rule.Capacity()) {
		t.Errorf("two limiters admitted %d together, want %d", got, rule.Capacity())
	}
	for i, l := range limiters {
		d, err := l.Allow(context.Background(), rule, "client", 1)
		if err != nil || d.Allowed || d.Remaining != 0 {
			t.Errorf("limiter %d after the limit: Allow() = %+v, %v; want refused", i, d, err)
		}
	}
}

// TestRedisOneRoundTrip counts the commands sent per check once the script is cached.
func TestRedisOneRoundTrip(t *testing.T) {
	client := newRedisClient(t)
	counter := &commandCounter{}
	client.AddHook(counter)
	l := ratelimit.NewRedis(client, testPrefix(t, client), nil)
	rule := ratelimit.Rule{Name: "trips", Limit: 100, Window: time.Minute}

	mustAllow(t, l, rule, "k", 1)
	counter.n.Store(0)
	for range 10 {
		mustAllow(t, l, rule, "k", 1)
	}

	if got := counter.n.Load(); got != 10 {
		t.Errorf("10 checks sent %d commands, want 10", got)
	}
}

// commandCounter is a go-redis hook counting commands and pipelines sent.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)

		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)

		return next(ctx, cmds)
	}
}

// TestRedisKeysExpire checks that windows carry a TTL, so abandoned keys disappear.
func TestRedisKeysExpire(t *testing.T) {
	client := newRedisClient(t)
	prefix := testPrefix(t, client)
	l := ratelimit.NewRedis(client, prefix, nil)
	rule := ratelimit.Rule{Name: "ttl", Limit: 1, Window: 10 * time.Second}

	mustAllow(t, l, rule, "k", 1)
	ttl, err := client.PTTL(context.Background(), prefix+"rl:ttl:k").Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	if ttl <= 10*time.Second || ttl > 20*time.Second {
		t.Errorf("TTL = %v, want in (10s, 20s]", ttl)
	}
}
