package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const (
	// DefaultMaxKeys bounds the keys a Memory limiter holds: about 150 MB when full of
	// IPv6 address keys, measured.
	DefaultMaxKeys = 1 << 20

	memoryShards = 64
	sweepEvery   = time.Minute
	// evictSample is how many keys are compared when a full shard must drop one,
	// the approximated LRU that Redis uses for maxmemory.
	evictSample = 8
)

// Memory is a Limiter for a single process. Keys are spread over mutex-guarded shards
// so that concurrent requests rarely wait on each other; each shard drops expired keys
// once a minute and evicts the stalest of a few sampled keys when it is full.
type Memory struct {
	clock       func() time.Time
	seed        maphash.Seed
	maxPerShard int
	shards      [memoryShards]memoryShard
}

var _ Limiter = (*Memory)(nil)

// memoryShard is one lock and the windows it guards, keyed by rule name and key.
type memoryShard struct {
	mu        sync.Mutex
	windows   map[string]memoryEntry
	nextSweep int64
}

// memoryEntry is a window and the Unix millisecond after which it can be dropped.
type memoryEntry struct {
	window
	expires int64
}

// MemoryOption adjusts a Memory limiter.
type MemoryOption func(*Memory)

// WithMaxKeys bounds the number of keys held; the default is DefaultMaxKeys. When
// full, the least recently active of a few sampled keys is forgotten, which gives
// that key a fresh budget: the price of bounded memory under a flood of new keys.
func WithMaxKeys(n int) MemoryOption {
	return func(m *Memory) {
		m.maxPerShard = max(n/memoryShards, 1)
	}
}

// NewMemory returns an empty in-memory limiter reading time from clock, or from
// time.Now when clock is nil.
func NewMemory(clock func() time.Time, opts ...MemoryOption) *Memory {
	if clock == nil {
		clock = time.Now
	}

	m := &Memory{clock: clock, seed: maphash.MakeSeed()}
	WithMaxKeys(DefaultMaxKeys)(m)
	for _, opt := range opts {
		opt(m)
	}
	for i := range m.shards {
		m.shards[i].windows = make(map[string]memoryEntry)
	}

	return m
}

// Allow spends cost units of key under rule if they fit. It fails only on an invalid
// rule or cost.
func (m *Memory) Allow(_ context.Context, rule Rule, key string, cost int) (Decision, error) {
	if err := checkRequest(rule, cost); err != nil {
		return Decision{}, err
	}

	id := rule.Name + "\x00" + key
	shard := &m.shards[maphash.String(m.seed, id)%memoryShards]
	now := m.clock().UnixMilli()

	shard.mu.Lock()
	v := shard.take(id, now, rule, int64(cost), m.maxPerShard)
	shard.mu.Unlock()

	return decide(rule, v), nil
}

// Len returns the number of keys currently held, for metrics and tests.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.windows)
		s.mu.Unlock()
	}

	return n
}

// take runs the window algorithm for id; the caller holds s.mu.
func (s *memoryShard) take(id string, now int64, rule Rule, cost int64, limit int) verdict {
	if now >= s.nextSweep {
		s.sweep(now)
	}

	winMs := rule.Window.Milliseconds()
	e, found := s.windows[id]
	v := e.take(now, winMs, int64(rule.Capacity()), cost)
	if !v.allowed {
		// Nothing was spent; a rolled-forward state is recomputed next time anyway.
		return v
	}

	if !found && len(s.windows) >= limit {
		s.makeRoom(now, limit)
	}
	e.expires = e.expiresMs(winMs)
	s.windows[id] = e

	return v
}

// sweep drops every window that no longer affects any decision.
func (s *memoryShard) sweep(now int64) {
	for id, e := range s.windows {
		if e.expires <= now {
			delete(s.windows, id)
		}
	}
	s.nextSweep = now + sweepEvery.Milliseconds()
}

// makeRoom frees one slot: expired windows first, else the sampled window that
// expires soonest, which is the one that was active least recently.
func (s *memoryShard) makeRoom(now int64, limit int) {
	s.sweep(now)
	if len(s.windows) < limit {
		return
	}

	victim, oldest, seen := "", int64(0), 0
	for id, e := range s.windows {
		if seen == 0 || e.expires < oldest {
			victim, oldest = id, e.expires
		}
		seen++
		if seen == evictSample {
			break
		}
	}
	delete(s.windows, victim)
}
