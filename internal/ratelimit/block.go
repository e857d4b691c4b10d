package ratelimit

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// AbuseReason is the reason recorded on blocks that an AbuseTracker imposes.
const AbuseReason = "repeated rate limit violations"

// Block is one blocked address.
type Block struct {
	IP     netip.Addr
	Reason string
	// Until is when the block lifts by itself.
	Until time.Time
	// Offenses counts the blocks this address earned while its record was kept.
	Offenses  int
	CreatedAt time.Time
}

// Blocker keeps the list of blocked addresses. Addresses are compared unmapped and
// without zone, so ::ffff:192.0.2.1 and 192.0.2.1 are one client.
type Blocker interface {
	// Block blocks ip for d, replacing any current block of ip.
	Block(ctx context.Context, ip netip.Addr, reason string, d time.Duration) error
	// Blocked returns the current block of ip, if any.
	Blocked(ctx context.Context, ip netip.Addr) (Block, bool, error)
	// List returns the current blocks, soonest to lift first.
	List(ctx context.Context) ([]Block, error)
	// Unblock lifts the block of ip and forgets its offenses and violations. It
	// reports whether a block was in force.
	Unblock(ctx context.Context, ip netip.Addr) (bool, error)
}

// AbusePolicy says when rate limit violations turn into a block: Threshold
// violations within Window block the address for BaseBlock, doubled for each
// further offense remembered within OffenseTTL, and never longer than MaxBlock.
type AbusePolicy struct {
	Threshold  int
	Window     time.Duration
	BaseBlock  time.Duration
	MaxBlock   time.Duration
	OffenseTTL time.Duration
}

// Validate reports every problem with the policy at once.
func (p AbusePolicy) Validate() error {
	var problems []string
	if p.Threshold < 1 {
		problems = append(problems, "threshold must be at least 1")
	}
	if p.Window < time.Millisecond {
		problems = append(problems, "window must be at least 1ms")
	}
	if p.BaseBlock < time.Millisecond {
		problems = append(problems, "base block must be at least 1ms")
	}
	if p.MaxBlock < p.BaseBlock {
		problems = append(problems, "max block must not be shorter than base block")
	}
	if p.OffenseTTL < time.Millisecond {
		problems = append(problems, "offense memory must be at least 1ms")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidPolicy, strings.Join(problems, "; "))
	}

	return nil
}

// BlockDuration returns the block earned by the given offense, counting from one:
// BaseBlock × 2^(offense−1), capped at MaxBlock. escalate.lua computes the same.
func (p AbusePolicy) BlockDuration(offense int) time.Duration {
	d := p.BaseBlock
	for i := 1; i < offense && d < p.MaxBlock; i++ {
		d *= 2
	}

	return min(d, p.MaxBlock)
}

// Escalator records one rate limit violation of ip under policy p and, when the
// threshold is reached, blocks ip in the same atomic step. MemoryBlocker and
// RedisBlocker implement it.
type Escalator interface {
	Escalate(ctx context.Context, ip netip.Addr, reason string, p AbusePolicy) (bool, Block, error)
}

// AbuseTracker turns repeated rate limit violations into escalating blocks.
type AbuseTracker struct {
	store  Escalator
	policy AbusePolicy
}

// NewAbuseTracker returns a tracker applying p through store.
func NewAbuseTracker(store Escalator, p AbusePolicy) (*AbuseTracker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}

	return &AbuseTracker{store: store, policy: p}, nil
}

// Violation records that ip exceeded a rate limit. It reports whether this violation
// got ip blocked, and the block if so.
func (a *AbuseTracker) Violation(ctx context.Context, ip netip.Addr) (bool, Block, error) {
	return a.store.Escalate(ctx, ip, AbuseReason, a.policy)
}

// normalizeIP gives every spelling of an address one identity.
func normalizeIP(ip netip.Addr) (netip.Addr, error) {
	if !ip.IsValid() {
		return netip.Addr{}, ErrInvalidIP
	}

	return ip.WithZone("").Unmap(), nil
}

// sortBlocks orders blocks soonest to lift first, then by address.
func sortBlocks(blocks []Block) {
	slices.SortFunc(blocks, func(a, b Block) int {
		return cmp.Or(a.Until.Compare(b.Until), a.IP.Compare(b.IP))
	})
}

// msTime reads the clock at millisecond precision, the precision Redis stores.
func msTime(clock func() time.Time) time.Time {
	return time.UnixMilli(clock().UnixMilli())
}
