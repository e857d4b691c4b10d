package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	blockScript    = newScript("block.lua")
	blockedScript  = newScript("blocked.lua")
	unblockScript  = newScript("unblock.lua")
	listScript     = newScript("list.lua")
	escalateScript = newScript("escalate.lua")
)

// RedisBlocker is a Blocker and Escalator shared by every process using the same
// Redis and prefix. Each block is a hash with a TTL, listed in a sorted set scored by
// its end; every operation is one script, so it is atomic and one round trip.
//
// All keys carry the hash tag {ipblock}, so that the scripts touching several of
// them work on Redis Cluster; the whole block list lives in one slot.
type RedisBlocker struct {
	client redis.UniversalClient
	base   string
	clock  func() time.Time
}

var (
	_ Blocker   = (*RedisBlocker)(nil)
	_ Escalator = (*RedisBlocker)(nil)
)

// NewRedisBlocker returns a blocker keeping its keys under prefix. A nil clock uses
// the Redis server's TIME, as NewRedis does.
func NewRedisBlocker(
	client redis.UniversalClient, prefix string, clock func() time.Time,
) *RedisBlocker {
	return &RedisBlocker{client: client, base: prefix + "{ipblock}:", clock: clock}
}

// Block blocks ip for d, keeping the offense count it has already earned.
func (r *RedisBlocker) Block(
	ctx context.Context, ip netip.Addr, reason string, d time.Duration,
) error {
	ip, err := normalizeIP(ip)
	if err != nil {
		return err
	}
	if d < time.Millisecond {
		return fmt.Errorf("%w: %v", ErrInvalidBlock, d)
	}

	keys := []string{r.key("b", ip), r.base + "index", r.key("o", ip)}
	err = blockScript.Run(ctx, r.client, keys, nowArg(r.clock), ip.String(), reason,
		d.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redis block: %w", err)
	}

	return nil
}

// Blocked returns the block in force for ip, if any.
func (r *RedisBlocker) Blocked(ctx context.Context, ip netip.Addr) (Block, bool, error) {
	ip, err := normalizeIP(ip)
	if err != nil {
		return Block{}, false, err
	}

	res, err := blockedScript.Run(ctx, r.client, []string{r.key("b", ip)}, nowArg(r.clock)).Slice()
	if errors.Is(err, redis.Nil) {
		return Block{}, false, nil
	}
	if err != nil {
		return Block{}, false, fmt.Errorf("redis blocked: %w", err)
	}

	b, err := parseBlock(ip, res)
	if err != nil {
		return Block{}, false, fmt.Errorf("redis blocked: %w", err)
	}

	return b, true, nil
}

// List returns the blocks in force, soonest to lift first.
func (r *RedisBlocker) List(ctx context.Context) ([]Block, error) {
	res, err := listScript.Run(ctx, r.client, []string{r.base + "index"}, nowArg(r.clock),
		r.base+"b:").Slice()
	if err != nil {
		return nil, fmt.Errorf("redis list blocks: %w", err)
	}
	if len(res)%5 != 0 {
		return nil, fmt.Errorf("redis list blocks: reply of %d values", len(res))
	}

	blocks := make([]Block, 0, len(res)/5)
	for i := 0; i < len(res); i += 5 {
		s, _ := res[i].(string)
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("redis list blocks: %w", err)
		}
		b, err := parseBlock(ip, res[i+1:i+5])
		if err != nil {
			return nil, fmt.Errorf("redis list blocks: %w", err)
		}
		blocks = append(blocks, b)
	}
	sortBlocks(blocks)

	return blocks, nil
}

// Unblock lifts the block of ip and forgets its offenses and violations.
func (r *RedisBlocker) Unblock(ctx context.Context, ip netip.Addr) (bool, error) {
	ip, err := normalizeIP(ip)
	if err != nil {
		return false, err
	}

	keys := []string{r.key("b", ip), r.base + "index", r.key("o", ip), r.key("v", ip)}
	n, err := unblockScript.Run(ctx, r.client, keys, nowArg(r.clock), ip.String()).Int()
	if err != nil {
		return false, fmt.Errorf("redis unblock: %w", err)
	}

	return n == 1, nil
}

// Escalate counts a violation of ip and blocks it once p.Threshold is reached.
func (r *RedisBlocker) Escalate(
	ctx context.Context, ip netip.Addr, reason string, p AbusePolicy,
) (bool, Block, error) {
	ip, err := normalizeIP(ip)
	if err != nil {
		return false, Block{}, err
	}

	keys := []string{r.key("v", ip), r.key("o", ip), r.key("b", ip), r.base + "index"}
	res, err := escalateScript.Run(ctx, r.client, keys, nowArg(r.clock), ip.String(), reason,
		p.Threshold, p.Window.Milliseconds(), p.BaseBlock.Milliseconds(),
		p.MaxBlock.Milliseconds(), p.OffenseTTL.Milliseconds()).Int64Slice()
	if err != nil {
		return false, Block{}, fmt.Errorf("redis escalate: %w", err)
	}
	if len(res) == 1 {
		return false, Block{}, nil
	}
	if len(res) != 4 {
		return false, Block{}, fmt.Errorf("redis escalate: reply of %d values", len(res))
	}

	return true, Block{
		IP:        ip,
		Reason:    reason,
		Until:     time.UnixMilli(res[1]),
		Offenses:  int(res[2]),
		CreatedAt: time.UnixMilli(res[3]),
	}, nil
}

// key names the per-address hash of one kind: b (block), o (offenses), v (violations).
func (r *RedisBlocker) key(kind string, ip netip.Addr) string {
	return r.base + kind + ":" + ip.String()
}

// parseBlock reads {reason, until_ms, offenses, created_ms} from a script reply.
func parseBlock(ip netip.Addr, fields []any) (Block, error) {
	if len(fields) != 4 {
		return Block{}, fmt.Errorf("block of %d fields", len(fields))
	}
	reason, ok1 := fields[0].(string)
	until, ok2 := fields[1].(int64)
	off, ok3 := fields[2].(int64)
	created, ok4 := fields[3].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return Block{}, errors.New("malformed block fields")
	}

	return Block{
		IP:        ip,
		Reason:    reason,
		Until:     time.UnixMilli(until),
		Offenses:  int(off),
		CreatedAt: time.UnixMilli(created),
	}, nil
}
