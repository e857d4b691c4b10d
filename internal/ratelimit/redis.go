package ratelimit

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// newScript loads a script from lua/ behind the shared now_ms prelude. Script.Run
// sends EVALSHA and falls back to EVAL only when the server has not cached it yet.
func newScript(name string) *redis.Script {
	prelude, err := luaFiles.ReadFile("lua/now.lua")
	if err != nil {
		panic(fmt.Sprintf("ratelimit: embedded script: %v", err))
	}
	body, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic(fmt.Sprintf("ratelimit: embedded script: %v", err))
	}

	return redis.NewScript(string(prelude) + "\n" + string(body))
}

var allowScript = newScript("allow.lua")

// Redis is a Limiter whose state lives in Redis, so that every process pointed at the
// same server and prefix enforces one shared limit. Each check is one round trip
// running one script, which Redis executes atomically.
type Redis struct {
	client redis.UniversalClient
	prefix string
	clock  func() time.Time
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter keeping its windows under prefix. A nil clock uses the
// Redis server's TIME, which is what several processes on several hosts should do;
// see the package documentation.
func NewRedis(client redis.UniversalClient, prefix string, clock func() time.Time) *Redis {
	return &Redis{client: client, prefix: prefix, clock: clock}
}

// Allow spends cost units of key under rule if they fit. Errors come from an invalid
// rule or cost, or from Redis; WithFailurePolicy decides what the latter mean.
func (r *Redis) Allow(ctx context.Context, rule Rule, key string, cost int) (Decision, error) {
	if err := checkRequest(rule, cost); err != nil {
		return Decision{}, err
	}

	// Rule names cannot contain ':', so name and key cannot run into each other.
	keys := []string{r.prefix + "rl:" + rule.Name + ":" + key}
	res, err := allowScript.Run(ctx, r.client, keys, nowArg(r.clock),
		rule.Window.Milliseconds(), rule.Capacity(), cost).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("redis allow: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("redis allow: unexpected reply of %d values", len(res))
	}

	v := verdict{allowed: res[0] == 1, remaining: res[1], resetMs: res[2], retryMs: res[3]}

	return decide(rule, v), nil
}

// nowArg is the now_ms argument of every script: the clock in Unix milliseconds, or
// empty for the server's TIME.
func nowArg(clock func() time.Time) string {
	if clock == nil {
		return ""
	}

	return strconv.FormatInt(clock().UnixMilli(), 10)
}
