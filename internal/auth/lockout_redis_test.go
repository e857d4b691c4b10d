package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/store"
)

// redisClient connects to OCTOPUS_TEST_REDIS_URL, skipping when it is unset unless
// CI=true, and returns a fresh key prefix whose keys are deleted afterwards.
func redisClient(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("OCTOPUS_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("OCTOPUS_TEST_REDIS_URL is required when CI=true")
		}
		t.Skip("OCTOPUS_TEST_REDIS_URL not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse OCTOPUS_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping redis: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "octopus-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			_ = c.Del(ctx, keys...).Err()
		}
	})
	return c, prefix
}

func TestRedisCounterSlidingWindow(t *testing.T) {
	c, prefix := redisClient(t)
	ctx := context.Background()
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	rc := auth.NewRedisCounter(c, prefix, clk.Now)
	window := time.Minute

	steps := []struct {
		name    string
		advance time.Duration
		key     string
		want    int
	}{
		{"first failure", 0, "password:1", 1},
		{"second, same instant", 0, "password:1", 2},
		{"third, later", 30 * time.Second, "password:1", 3},
		{"another kind is counted apart", 0, "mfa:1", 1},
		{"another user is counted apart", 0, "password:2", 1},
		{"the first two leave the window", 30 * time.Second, "password:1", 2},
		{"a failure counts until exactly window after", 29*time.Second + 999*time.Millisecond,
			"password:1", 3},
		{"everything old is gone", 2 * time.Minute, "password:1", 1},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		got, err := rc.Fail(ctx, s.key, window)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Fatalf("%s: count %d, want %d", s.name, got, s.want)
		}
	}
	ttl, err := c.PTTL(ctx, prefix+"lockout:password:1").Result()
	if err != nil || ttl <= 0 || ttl > window {
		t.Fatalf("key TTL %v (%v), want within the window", ttl, err)
	}
	if got, _ := rc.Fail(ctx, "mfa:1", window); got != 1 {
		t.Fatalf("mfa:1 now: count %d, want 1", got)
	}
	if err := rc.Reset(ctx, "password:1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := rc.Fail(ctx, "password:1", window); got != 1 {
		t.Fatalf("after reset: count %d, want 1", got)
	}
	if got, _ := rc.Fail(ctx, "mfa:1", window); got != 2 {
		t.Fatalf("reset touched another key: count %d, want 2", got)
	}
	if _, err := rc.Fail(ctx, "password:1", time.Microsecond); err == nil {
		t.Fatal("a window below a millisecond was accepted")
	}
}

func TestRedisCounterSharedAcrossProcesses(t *testing.T) {
	c, prefix := redisClient(t)
	other, _ := redisClient(t)
	ctx := context.Background()
	// Two processes: separate clients, the server's clock, one prefix.
	procs := []*auth.RedisCounter{
		auth.NewRedisCounter(c, prefix, nil), auth.NewRedisCounter(other, prefix, nil)}
	stranger := auth.NewRedisCounter(c, prefix+"other-venue:", nil)

	const workers, each = 8, 25
	seen := make(chan int, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				n, err := procs[w%2].Fail(ctx, "password:7", time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				seen <- n
			}
		})
	}
	wg.Wait()
	close(seen)
	// Every failure got its own count: none was lost or counted twice.
	counts := map[int]bool{}
	for n := range seen {
		if counts[n] {
			t.Fatalf("count %d answered twice", n)
		}
		counts[n] = true
	}
	if len(counts) != workers*each || !counts[workers*each] {
		t.Fatalf("%d distinct counts, want 1..%d", len(counts), workers*each)
	}
	if n, _ := stranger.Fail(ctx, "password:7", time.Minute); n != 1 {
		t.Fatalf("another prefix sees %d failures, want its own 1", n)
	}
}

func TestRedisCounterIsBounded(t *testing.T) {
	c, prefix := redisClient(t)
	ctx := context.Background()
	rc := auth.NewRedisCounter(c, prefix, nil)
	last := 0
	for range auth.MaxRedisFailures + 20 {
		n, err := rc.Fail(ctx, "password:9", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		last = n
	}
	size, err := c.ZCard(ctx, prefix+"lockout:password:9").Result()
	if err != nil {
		t.Fatal(err)
	}
	if last != auth.MaxRedisFailures || size != auth.MaxRedisFailures {
		t.Fatalf("count %d, set size %d, want both %d", last, size, auth.MaxRedisFailures)
	}
}

// lockUsers is the user storage a Lockout needs, in memory and shared by the two
// "processes" of the test below as a database would be.
type lockUsers struct {
	mu    sync.Mutex
	users map[int64]store.User
}

func (s *lockUsers) GetUser(_ context.Context, id int64) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (s *lockUsers) GetUserByUsername(context.Context, string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}

func (s *lockUsers) UpdateUser(_ context.Context, id int64, upd store.UserUpdate) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if upd.LockedUntil != nil {
		u.LockedUntil = *upd.LockedUntil
	}
	if upd.LockoutCount != nil {
		u.LockoutCount = *upd.LockoutCount
	}
	s.users[id] = u
	return u, nil
}

type noEvents struct{}

func (noEvents) Record(context.Context, string, int64, string, string) {}

func TestLockoutAcrossProcessesWithRedis(t *testing.T) {
	c, prefix := redisClient(t)
	ctx := context.Background()
	users := &lockUsers{users: map[int64]store.User{5: {ID: 5, Username: "spread"}}}
	policy := auth.LockoutPolicy{Threshold: 4, Window: time.Minute, Duration: time.Hour}
	a := auth.NewLockout(policy, auth.NewRedisCounter(c, prefix, nil), users, time.Now)
	b := auth.NewLockout(policy, auth.NewRedisCounter(c, prefix, nil), users, time.Now)

	// Two failures on each process: neither alone reaches four.
	for i, l := range []*auth.Lockout{a, b, a, b} {
		u, _ := users.GetUser(ctx, 5)
		if locked, _ := l.Locked(u); locked {
			t.Fatalf("locked after %d failures", i)
		}
		l.Fail(ctx, u, auth.KindPassword, "127.0.0.1", noEvents{})
	}
	u, _ := users.GetUser(ctx, 5)
	if locked, until := a.Locked(u); !locked || time.Until(until) < 59*time.Minute {
		t.Fatalf("not locked for an hour after four failures over two processes: %v", until)
	}
}
