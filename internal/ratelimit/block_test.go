package ratelimit_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// blockStore is what both blocker backends offer.
type blockStore interface {
	ratelimit.Blocker
	ratelimit.Escalator
}

// newBlockStoreFunc builds a fresh, empty blocker of one backend reading clock.
type newBlockStoreFunc func(t *testing.T, clock func() time.Time) blockStore

func TestMemoryBlocker(t *testing.T) {
	newStore := func(_ *testing.T, clock func() time.Time) blockStore {
		return ratelimit.NewMemoryBlocker(clock, 0)
	}
	testBlocker(t, newStore)
	testAbuse(t, newStore)
}

func TestRedisBlocker(t *testing.T) {
	client := newRedisClient(t)
	newStore := func(t *testing.T, clock func() time.Time) blockStore {
		return ratelimit.NewRedisBlocker(client, testPrefix(t, client), clock)
	}
	testBlocker(t, newStore)
	testAbuse(t, newStore)
}

var (
	ipA = netip.MustParseAddr("192.0.2.1")
	ipB = netip.MustParseAddr("2001:db8::b")
)

func testBlocker(t *testing.T, newStore newBlockStoreFunc) {
	t.Run("block list unblock", func(t *testing.T) {
		clock := newFakeClock()
		s := newStore(t, clock.Now)
		ctx := context.Background()
		start := clock.Now()

		mustBlock(t, s, ipA, "manual", 10*time.Minute)
		mustBlock(t, s, ipB, "scanner", 5*time.Minute)
		wantA := ratelimit.Block{
			IP: ipA, Reason: "manual", Until: start.Add(10 * time.Minute), CreatedAt: start,
		}
		wantB := ratelimit.Block{
			IP: ipB, Reason: "scanner", Until: start.Add(5 * time.Minute), CreatedAt: start,
		}

		assertBlocked(t, s, ipA, &wantA)
		assertBlocked(t, s, netip.MustParseAddr("192.0.2.2"), nil)
		assertList(t, s, wantB, wantA)

		for i, want := range []bool{true, false} {
			got, err := s.Unblock(ctx, ipA)
			if err != nil || got != want {
				t.Fatalf("Unblock #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		assertBlocked(t, s, ipA, nil)
		assertList(t, s, wantB)
	})

	t.Run("blocks lift by themselves", func(t *testing.T) {
		clock := newFakeClock()
		s := newStore(t, clock.Now)
		start := clock.Now()

		mustBlock(t, s, ipA, "manual", time.Minute)
		clock.Advance(time.Minute - time.Millisecond)
		assertBlocked(t, s, ipA, &ratelimit.Block{
			IP: ipA, Reason: "manual", Until: start.Add(time.Minute), CreatedAt: start,
		})

		clock.Advance(time.Millisecond)
		assertBlocked(t, s, ipA, nil)
		assertList(t, s)
		if got, err := s.Unblock(context.Background(), ipA); err != nil || got {
			t.Errorf("Unblock of a lifted block = %v, %v; want false", got, err)
		}
	})

	t.Run("blocking again replaces the block", func(t *testing.T) {
		clock := newFakeClock()
		s := newStore(t, clock.Now)

		mustBlock(t, s, ipA, "first", time.Hour)
		clock.Advance(time.Second)
		mustBlock(t, s, ipA, "second", time.Minute)
		now := clock.Now()
		want := ratelimit.Block{IP: ipA, Reason: "second", Until: now.Add(time.Minute), CreatedAt: now}
		assertBlocked(t, s, ipA, &want)
		assertList(t, s, want)
	})

	t.Run("mapped and zoned spellings are one address", func(t *testing.T) {
		clock := newFakeClock()
		s := newStore(t, clock.Now)

		mustBlock(t, s, netip.MustParseAddr("::ffff:192.0.2.1"), "mapped", time.Minute)
		mustBlock(t, s, netip.MustParseAddr("2001:db8::b%eth0"), "zoned", time.Minute)
		for _, ip := range []netip.Addr{ipA, ipB} {
			if _, ok, err := s.Blocked(context.Background(), ip); err != nil || !ok {
				t.Errorf("Blocked(%s) = %v, %v; want blocked", ip, ok, err)
			}
		}
	})

	t.Run("invalid input", func(t *testing.T) {
		s := newStore(t, newFakeClock().Now)
		ctx := context.Background()
		var zero netip.Addr
		_, _, blockedErr := s.Blocked(ctx, zero)
		_, unblockErr := s.Unblock(ctx, zero)
		_, _, escalateErr := s.Escalate(ctx, zero, "x", testPolicy)

		tests := []struct {
			name    string
			err     error
			wantErr error
		}{
			{
				name:    "block zero address",
				err:     s.Block(ctx, zero, "x", time.Minute),
				wantErr: ratelimit.ErrInvalidIP,
			},
			{name: "block for zero time", err: s.Block(ctx, ipA, "x", 0), wantErr: ratelimit.ErrInvalidBlock},
			{name: "blocked zero address", err: blockedErr, wantErr: ratelimit.ErrInvalidIP},
			{name: "unblock zero address", err: unblockErr, wantErr: ratelimit.ErrInvalidIP},
			{name: "escalate zero address", err: escalateErr, wantErr: ratelimit.ErrInvalidIP},
		}
		for _, tt := range tests {
			if !errors.Is(tt.err, tt.wantErr) {
				t.Errorf("%s: error = %v, want %v", tt.name, tt.err, tt.wantErr)
			}
		}
	})
}

func mustBlock(t *testing.T, s ratelimit.Blocker, ip netip.Addr, reason string, d time.Duration) {
	t.Helper()

	if err := s.Block(context.Background(), ip, reason, d); err != nil {
		t.Fatalf("Block(%s) error = %v", ip, err)
	}
}

// assertBlocked checks Blocked(ip) against want, nil meaning not blocked.
func assertBlocked(t *testing.T, s ratelimit.Blocker, ip netip.Addr, want *ratelimit.Block) {
	t.Helper()

	got, ok, err := s.Blocked(context.Background(), ip)
	if err != nil {
		t.Fatalf("Blocked(%s) error = %v", ip, err)
	}
	if want == nil {
		if ok {
			t.Errorf("Blocked(%s) = %+v, want not blocked", ip, got)
		}

		return
	}
	if !ok || !sameBlock(got, *want) {
		t.Errorf("Blocked(%s) = %+v, %v; want %+v", ip, got, ok, *want)
	}
}

func assertList(t *testing.T, s ratelimit.Blocker, want ...ratelimit.Block) {
	t.Helper()

	got, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("List() = %+v, want %+v", got, want)
	}
	for i := range got {
		if !sameBlock(got[i], want[i]) {
			t.Errorf("List()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// sameBlock compares blocks, times by instant rather than by location.
func sameBlock(a, b ratelimit.Block) bool {
	return a.IP == b.IP && a.Reason == b.Reason && a.Offenses == b.Offenses &&
		a.Until.Equal(b.Until) && a.CreatedAt.Equal(b.CreatedAt)
}
