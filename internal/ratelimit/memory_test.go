package ratelimit_test

import (
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

func TestMemorySweepsExpiredKeys(t *testing.T) {
	clock := newFakeClock()
	m := ratelimit.NewMemory(clock.Now)
	rule := ratelimit.Rule{Name: "sweep", Limit: 1, Window: time.Second}

	for i := range 1000 {
		mustAllow(t, m, rule, "old-"+strconv.Itoa(i), 1)
	}
	if got := m.Len(); got != 1000 {
		t.Fatalf("Len() = %d, want 1000", got)
	}

	// Past the sweep interval every shard drops the old keys on its next use; 3000
	// new keys reach all 64 shards but with negligible probability.
	clock.Advance(2 * time.Minute)
	for i := range 3000 {
		mustAllow(t, m, rule, "new-"+strconv.Itoa(i), 1)
	}
	if got := m.Len(); got != 3000 {
		t.Errorf("Len() after sweep = %d, want 3000", got)
	}
}

func TestMemoryMaxKeys(t *testing.T) {
	m := ratelimit.NewMemory(newFakeClock().Now, ratelimit.WithMaxKeys(128))
	rule := ratelimit.Rule{Name: "bound", Limit: 1, Window: time.Hour}

	for i := range 10_000 {
		key := "k" + strconv.Itoa(i)
		mustAllow(t, m, rule, key, 1)
		// The key just admitted is never the one evicted to make room for it.
		deny(t, m, rule, key, 1)
	}
	if got := m.Len(); got > 128 {
		t.Errorf("Len() = %d, want at most 128", got)
	}
}

func TestMemoryBlockerMaxEntries(t *testing.T) {
	clock := newFakeClock()
	b := ratelimit.NewMemoryBlocker(clock.Now, 10)
	ctx := context.Background()

	var last netip.Addr
	for i := range 100 {
		clock.Advance(time.Second)
		last = netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		mustBlock(t, b, last, "flood", time.Hour)
	}

	blocks, err := b.List(ctx)
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	if len(blocks) != 10 {
		t.Errorf("List() holds %d blocks, want the bound 10", len(blocks))
	}
	if _, ok, err := b.Blocked(ctx, last); err != nil || !ok {
		t.Errorf("Blocked(newest) = %v, %v; want blocked", ok, err)
	}
}

func TestRedisBlockerServerTime(t *testing.T) {
	client := newRedisClient(t)
	b := ratelimit.NewRedisBlocker(client, testPrefix(t, client), nil)
	ctx := context.Background()

	before := time.Now()
	mustBlock(t, b, ipA, "manual", time.Minute)
	got, ok, err := b.Blocked(ctx, ipA)
	if err != nil || !ok {
		t.Fatalf("Blocked() = %v, %v; want blocked", ok, err)
	}

	// The server runs on this machine, so its TIME is close to ours.
	if skew := got.CreatedAt.Sub(before); skew < -time.Second || skew > 5*time.Second {
		t.Errorf("CreatedAt %v is %v away from the local clock", got.CreatedAt, skew)
	}
	if d := got.Until.Sub(got.CreatedAt); d != time.Minute {
		t.Errorf("block lasts %v, want 1m", d)
	}
}
