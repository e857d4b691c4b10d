package ratelimit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// testPolicy blocks after 3 violations within a minute, for 1, 2, 4 then at most 5
// minutes, remembering offenses for a day.
var testPolicy = ratelimit.AbusePolicy{
	Threshold:  3,
	Window:     time.Minute,
	BaseBlock:  time.Minute,
	MaxBlock:   5 * time.Minute,
	OffenseTTL: 24 * time.Hour,
}

func TestBlockDuration(t *testing.T) {
	tests := []struct {
		offense int
		want    time.Duration
	}{
		{offense: 0, want: time.Minute},
		{offense: 1, want: time.Minute},
		{offense: 2, want: 2 * time.Minute},
		{offense: 3, want: 4 * time.Minute},
		{offense: 4, want: 5 * time.Minute},
		{offense: 1000, want: 5 * time.Minute},
	}

	for _, tt := range tests {
		if got := testPolicy.BlockDuration(tt.offense); got != tt.want {
			t.Errorf("BlockDuration(%d) = %v, want %v", tt.offense, got, tt.want)
		}
	}
}

func TestAbusePolicyValidate(t *testing.T) {
	_, err := ratelimit.NewAbuseTracker(ratelimit.NewMemoryBlocker(nil, 0), ratelimit.AbusePolicy{})
	if !errors.Is(err, ratelimit.ErrInvalidPolicy) {
		t.Fatalf("NewAbuseTracker(zero policy) error = %v, want ErrInvalidPolicy", err)
	}
	for _, field := range []string{"threshold", "window", "base block", "offense memory"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not mention %s", err, field)
		}
	}

	bad := testPolicy
	bad.MaxBlock = time.Second
	if err := bad.Validate(); !errors.Is(err, ratelimit.ErrInvalidPolicy) {
		t.Errorf("Validate(max < base) error = %v, want ErrInvalidPolicy", err)
	}
	if err := testPolicy.Validate(); err != nil {
		t.Errorf("Validate(testPolicy) error = %v", err)
	}
}

// violation is one step of an escalation sequence, after waiting wait.
type violation struct {
	wait         time.Duration
	wantBlocked  bool
	wantDuration time.Duration
	wantOffenses int
}

// three returns the violations that reach the threshold, the last one blocking.
func three(wait, d time.Duration, offenses int) []violation {
	return []violation{
		{wait: wait},
		{},
		{wantBlocked: true, wantDuration: d, wantOffenses: offenses},
	}
}

func testAbuse(t *testing.T, newStore newBlockStoreFunc) {
	t.Run("escalation", func(t *testing.T) { testEscalation(t, newStore) })
	t.Run("concurrent violations", func(t *testing.T) { testConcurrentViolations(t, newStore) })

	t.Run("unblock forgives offenses", func(t *testing.T) {
		clock := newFakeClock()
		s := newStore(t, clock.Now)
		tracker := newTracker(t, s)

		runViolations(t, clock, tracker, s, three(0, time.Minute, 1))
		if ok, err := s.Unblock(context.Background(), ipA); err != nil || !ok {
			t.Fatalf("Unblock() = %v, %v; want true", ok, err)
		}
		runViolations(t, clock, tracker, s, three(0, time.Minute, 1))
	})

	t.Run("manual block keeps earned offenses", func(t *testing.T) {
		clock := newFakeClock()
		s := newStore(t, clock.Now)
		tracker := newTracker(t, s)

		steps := append(three(0, time.Minute, 1), three(time.Minute, 2*time.Minute, 2)...)
		runViolations(t, clock, tracker, s, steps)
		mustBlock(t, s, ipA, "manual", time.Hour)
		now := clock.Now()
		assertBlocked(t, s, ipA, &ratelimit.Block{
			IP: ipA, Reason: "manual", Until: now.Add(time.Hour), Offenses: 2, CreatedAt: now,
		})
	})
}

func testEscalation(t *testing.T, newStore newBlockStoreFunc) {
	var doubling []violation
	for i, d := range []time.Duration{1, 2, 4, 5, 5} {
		doubling = append(doubling, three(testPolicy.BlockDuration(i), d*time.Minute, i+1)...)
	}

	tests := []struct {
		name  string
		steps []violation
	}{
		{name: "below threshold", steps: []violation{{}, {}}},
		{name: "threshold blocks for base duration", steps: three(0, time.Minute, 1)},
		// Each round waits out the previous block before offending again.
		{name: "repeat offenses double up to the cap", steps: doubling},
		{
			name: "violations outside the window do not add up",
			steps: []violation{
				{}, {},
				{wait: time.Minute},
				{},
				{wantBlocked: true, wantDuration: time.Minute, wantOffenses: 1},
			},
		},
		{
			name: "offenses are forgotten after their memory",
			steps: append(three(0, time.Minute, 1),
				three(25*time.Hour, time.Minute, 1)...),
		},
		{
			name: "offenses within their memory still count",
			steps: append(three(0, time.Minute, 1),
				three(23*time.Hour, 2*time.Minute, 2)...),
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			s := newStore(t, clock.Now)
			runViolations(t, clock, newTracker(t, s), s, tt.steps)
		})
	}
}

func newTracker(t *testing.T, s ratelimit.Escalator) *ratelimit.AbuseTracker {
	t.Helper()

	tracker, err := ratelimit.NewAbuseTracker(s, testPolicy)
	if err != nil {
		t.Fatalf("NewAbuseTracker() error = %v", err)
	}

	return tracker
}

// runViolations plays steps for ipA, checking each outcome and that a block shows up
// in Blocked and List.
func runViolations(
	t *testing.T, clock *fakeClock, tracker *ratelimit.AbuseTracker, s ratelimit.Blocker, steps []violation,
) {
	t.Helper()

	for i, step := range steps {
		clock.Advance(step.wait)
		now := clock.Now()

		blocked, b, err := tracker.Violation(context.Background(), ipA)
		if err != nil {
			t.Fatalf("step %d: Violation() error = %v", i, err)
		}
		if blocked != step.wantBlocked {
			t.Fatalf("step %d: Violation() blocked = %v, want %v", i, blocked, step.wantBlocked)
		}
		if !blocked {
			continue
		}

		want := ratelimit.Block{
			IP:        ipA,
			Reason:    ratelimit.AbuseReason,
			Until:     now.Add(step.wantDuration),
			Offenses:  step.wantOffenses,
			CreatedAt: now,
		}
		if !sameBlock(b, want) {
			t.Fatalf("step %d: Violation() block = %+v, want %+v", i, b, want)
		}
		assertBlocked(t, s, ipA, &want)
		assertList(t, s, want)
	}
}

// testConcurrentViolations races violations of one address: every third one blocks,
// and each offense number is handed out exactly once.
func testConcurrentViolations(t *testing.T, newStore newBlockStoreFunc) {
	const rounds = 10
	s := newStore(t, newFakeClock().Now)
	tracker := newTracker(t, s)

	var mu sync.Mutex
	offenses := map[int]int{}
	var wg sync.WaitGroup
	for range rounds * testPolicy.Threshold {
		wg.Go(func() {
			blocked, b, err := tracker.Violation(context.Background(), ipA)
			if err != nil {
				t.Errorf("Violation() error = %v", err)

				return
			}
			if blocked {
				mu.Lock()
				offenses[b.Offenses]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	for n := 1; n <= rounds; n++ {
		if offenses[n] != 1 {
			t.Errorf("offense %d handed out %d times, want once (all: %v)", n, offenses[n], offenses)
		}
	}
	if len(offenses) != rounds {
		t.Errorf("%d distinct offenses, want %d: %v", len(offenses), rounds, offenses)
	}
}
