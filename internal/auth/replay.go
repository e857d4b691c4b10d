package auth

import (
	"context"
	"sync"
	"time"
)

// ReplayGuard remembers accepted request signatures until they would be refused
// as stale anyway. The memory implementation serves one process; several
// processes behind one balancer need a shared one (Redis SET NX PX).
type ReplayGuard interface {
	// Claim records key until expires and reports whether it was not already
	// recorded.
	Claim(ctx context.Context, key string, expires time.Time) (bool, error)
}

var _ ReplayGuard = (*MemoryReplayGuard)(nil)

// MemoryReplayGuard is a bounded in-process ReplayGuard.
type MemoryReplayGuard struct {
	mu        sync.Mutex
	seen      map[string]time.Time
	max       int
	clock     func() time.Time
	nextSweep time.Time
}

// sweepEvery is how often expired entries are dropped; it keeps the map near the
// number of signatures accepted in one window.
const sweepEvery = time.Second

// NewMemoryReplayGuard returns a guard holding at most max live entries.
func NewMemoryReplayGuard(max int, clock func() time.Time) *MemoryReplayGuard {
	if max <= 0 {
		max = DefaultReplayEntries
	}
	if clock == nil {
		clock = time.Now
	}
	return &MemoryReplayGuard{seen: map[string]time.Time{}, max: max, clock: clock}
}

// Claim records key until expires. When the guard is full of live entries it
// returns ErrReplayGuardFull: refusing is safe, forgetting a live entry is not.
func (g *MemoryReplayGuard) Claim(_ context.Context, key string, expires time.Time) (bool, error) {
	now := g.clock()
	g.mu.Lock()
	defer g.mu.Unlock()

	// The window check is inclusive, so an entry lives through its expiry instant.
	if until, ok := g.seen[key]; ok && !now.After(until) {
		return false, nil
	}
	if len(g.seen) >= g.max || now.After(g.nextSweep) {
		for k, until := range g.seen {
			if now.After(until) {
				delete(g.seen, k)
			}
		}
		g.nextSweep = now.Add(sweepEvery)
	}
	if len(g.seen) >= g.max {
		return false, ErrReplayGuardFull
	}
	g.seen[key] = expires
	return true, nil
}

// Len returns how many entries the guard holds, live or not yet swept.
func (g *MemoryReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}
