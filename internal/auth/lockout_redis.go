package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxRedisFailures bounds the failures one key keeps in Redis. The count saturates
// there, far above any lockout threshold (LOCKOUT_THRESHOLD is at most 100), so a
// flood of failures on one account costs Redis a fixed amount of memory.
const MaxRedisFailures = 1000

// failScript records one failure and answers how many fall inside the window, in
// one atomic round trip. The set holds one member per failure, scored by its time
// in milliseconds; the nonce keeps two failures of the same millisecond apart.
//
// KEYS[1] the key's set. ARGV: now in Unix ms (empty: the server's TIME, one clock
// for every process), window in ms, nonce, cap.
var failScript = redis.NewScript(`
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[4]) + 1))
redis.call('PEXPIRE', KEYS[1], window)
return redis.call('ZCARD', KEYS[1])
`)

// RedisCounter is a FailureCounter kept in Redis, so that every process pointed at
// the same server and prefix counts one account's failures together: an attacker
// spreading guesses over the processes behind a balancer meets the same threshold.
// The window slides like the memory counter's: a failure counts until exactly
// window after it happened.
type RedisCounter struct {
	client redis.UniversalClient
	prefix string
	clock  func() time.Time
}

var (
	_ FailureCounter = (*RedisCounter)(nil)
	_ FailureCounter = (*MemoryCounter)(nil)
)

// NewRedisCounter returns a counter keeping its keys under prefix (for example
// "octopus:"). A nil clock uses the Redis server's TIME, which is what several
// processes on several hosts should share; tests pass their own.
func NewRedisCounter(client redis.UniversalClient, prefix string, clock func() time.Time) *RedisCounter {
	return &RedisCounter{client: client, prefix: prefix, clock: clock}
}

func (r *RedisCounter) key(key string) string { return r.prefix + "lockout:" + key }

// Fail records a failure now and returns how many fall inside window.
func (r *RedisCounter) Fail(ctx context.Context, key string, window time.Duration) (int, error) {
	ms := window.Milliseconds()
	if ms < 1 {
		return 0, fmt.Errorf("redis failures: window %v below a millisecond", window)
	}
	now := ""
	if r.clock != nil {
		now = strconv.FormatInt(r.clock().UnixMilli(), 10)
	}
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return 0, fmt.Errorf("redis failures: %w", err)
	}
	n, err := failScript.Run(ctx, r.client, []string{r.key(key)}, now, ms,
		hex.EncodeToString(nonce), MaxRedisFailures).Int()
	if err != nil {
		return 0, fmt.Errorf("redis failures: %w", err)
	}
	return n, nil
}

// Reset forgets a key's failures.
func (r *RedisCounter) Reset(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.key(key)).Err(); err != nil {
		return fmt.Errorf("redis failures: reset: %w", err)
	}
	return nil
}
