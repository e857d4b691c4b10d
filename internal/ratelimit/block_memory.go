package ratelimit

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// DefaultMaxBlockEntries bounds each table of a MemoryBlocker: blocks, offense
// records and violation counters.
const DefaultMaxBlockEntries = 1 << 18

// MemoryBlocker is a Blocker and Escalator for a single process.
type MemoryBlocker struct {
	clock      func() time.Time
	maxEntries int

	mu         sync.Mutex
	blocks     map[netip.Addr]Block
	offenses   map[netip.Addr]tally
	violations map[netip.Addr]tally
	nextSweep  time.Time
}

var (
	_ Blocker   = (*MemoryBlocker)(nil)
	_ Escalator = (*MemoryBlocker)(nil)
)

// tally is a count that is forgotten at until.
type tally struct {
	n     int
	until time.Time
}

// NewMemoryBlocker returns an empty blocker reading time from clock, or from
// time.Now when clock is nil. Each of its tables holds at most maxEntries addresses
// (DefaultMaxBlockEntries when maxEntries < 1); when one is full, the entry due to
// expire soonest among a few sampled is dropped.
func NewMemoryBlocker(clock func() time.Time, maxEntries int) *MemoryBlocker {
	if clock == nil {
		clock = time.Now
	}
	if maxEntries < 1 {
		maxEntries = DefaultMaxBlockEntries
	}

	return &MemoryBlocker{
		clock:      clock,
		maxEntries: maxEntries,
		blocks:     make(map[netip.Addr]Block),
		offenses:   make(map[netip.Addr]tally),
		violations: make(map[netip.Addr]tally),
	}
}

// Block blocks ip for d, keeping the offense count it has already earned.
func (m *MemoryBlocker) Block(
	_ context.Context, ip netip.Addr, reason string, d time.Duration,
) error {
	ip, err := normalizeIP(ip)
	if err != nil {
		return err
	}
	if d < time.Millisecond {
		return fmt.Errorf("%w: %v", ErrInvalidBlock, d)
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.now()
	off := m.offenses[ip]
	if !now.Before(off.until) {
		off.n = 0
	}
	m.setBlock(Block{IP: ip, Reason: reason, Until: now.Add(d), Offenses: off.n, CreatedAt: now})

	return nil
}

// Blocked returns the block in force for ip, if any.
func (m *MemoryBlocker) Blocked(_ context.Context, ip netip.Addr) (Block, bool, error) {
	ip, err := normalizeIP(ip)
	if err != nil {
		return Block{}, false, err
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	b, ok := m.blocks[ip]
	if !ok || !m.now().Before(b.Until) {
		return Block{}, false, nil
	}

	return b, true, nil
}

// List returns the blocks in force, soonest to lift first.
func (m *MemoryBlocker) List(context.Context) ([]Block, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.now()
	blocks := make([]Block, 0, len(m.blocks))
	for _, b := range m.blocks {
		if now.Before(b.Until) {
			blocks = append(blocks, b)
		}
	}
	sortBlocks(blocks)

	return blocks, nil
}

// Unblock lifts the block of ip and forgets its offenses and violations.
func (m *MemoryBlocker) Unblock(_ context.Context, ip netip.Addr) (bool, error) {
	ip, err := normalizeIP(ip)
	if err != nil {
		return false, err
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	b, ok := m.blocks[ip]
	delete(m.blocks, ip)
	delete(m.offenses, ip)
	delete(m.violations, ip)

	return ok && m.now().Before(b.Until), nil
}

// Escalate counts a violation of ip and blocks it once p.Threshold is reached.
func (m *MemoryBlocker) Escalate(
	_ context.Context, ip netip.Addr, reason string, p AbusePolicy,
) (bool, Block, error) {
	ip, err := normalizeIP(ip)
	if err != nil {
		return false, Block{}, err
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	now := m.now()
	v := m.violations[ip]
	if !now.Before(v.until) {
		v = tally{until: now.Add(p.Window)}
	}
	v.n++
	if v.n < p.Threshold {
		m.violations[ip] = v
		makeRoom(m.violations, ip, m.maxEntries, func(t tally) time.Time { return t.until })

		return false, Block{}, nil
	}
	delete(m.violations, ip)

	off := m.offenses[ip]
	if !now.Before(off.until) {
		off.n = 0
	}
	off = tally{n: off.n + 1, until: now.Add(p.OffenseTTL)}
	m.offenses[ip] = off
	makeRoom(m.offenses, ip, m.maxEntries, func(t tally) time.Time { return t.until })

	until := now.Add(p.BlockDuration(off.n))
	if cur, ok := m.blocks[ip]; ok && cur.Until.After(until) {
		until = cur.Until
	}
	b := Block{IP: ip, Reason: reason, Until: until, Offenses: off.n, CreatedAt: now}
	m.setBlock(b)

	return true, b, nil
}

// setBlock stores b within the table bound; the caller holds m.mu.
func (m *MemoryBlocker) setBlock(b Block) {
	m.blocks[b.IP] = b
	makeRoom(m.blocks, b.IP, m.maxEntries, func(b Block) time.Time { return b.Until })
}

// now reads the clock at Redis precision and sweeps expired entries once a minute;
// the caller holds m.mu.
func (m *MemoryBlocker) now() time.Time {
	now := msTime(m.clock)
	if now.Before(m.nextSweep) {
		return now
	}

	for ip, b := range m.blocks {
		if !now.Before(b.Until) {
			delete(m.blocks, ip)
		}
	}
	for _, table := range []map[netip.Addr]tally{m.offenses, m.violations} {
		for ip, t := range table {
			if !now.Before(t.until) {
				delete(table, ip)
			}
		}
	}
	m.nextSweep = now.Add(sweepEvery)

	return now
}

// makeRoom drops entries of table, other than keep, until it holds at most limit:
// each time the one expiring soonest among a few sampled.
func makeRoom[T any](table map[netip.Addr]T, keep netip.Addr, limit int, until func(T) time.Time) {
	for len(table) > limit {
		var victim netip.Addr
		var soonest time.Time
		seen := 0
		for ip, v := range table {
			if ip == keep {
				continue
			}
			if seen == 0 || until(v).Before(soonest) {
				victim, soonest = ip, until(v)
			}
			seen++
			if seen == evictSample {
				break
			}
		}
		delete(table, victim)
	}
}
