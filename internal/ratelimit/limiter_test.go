package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// newLimiterFunc builds a fresh, empty limiter of one backend reading clock.
type newLimiterFunc func(t *testing.T, clock func() time.Time) ratelimit.Limiter

func TestMemoryLimiter(t *testing.T) {
	testLimiter(t, func(_ *testing.T, clock func() time.Time) ratelimit.Limiter {
		return ratelimit.NewMemory(clock)
	})
}

func TestRedisLimiter(t *testing.T) {
	client := newRedisClient(t)
	testLimiter(t, func(t *testing.T, clock func() time.Time) ratelimit.Limiter {
		return ratelimit.NewRedis(client, testPrefix(t, client), clock)
	})
}

// testLimiter is the contract every Limiter backend must meet.
func testLimiter(t *testing.T, newLimiter newLimiterFunc) {
	t.Run("sequence", func(t *testing.T) { testSequences(t, newLimiter) })
	t.Run("retry after is exact", func(t *testing.T) { testRetryAfterExact(t, newLimiter) })
	t.Run("keys and rules are independent", func(t *testing.T) { testIndependence(t, newLimiter) })
	t.Run("invalid input", func(t *testing.T) { testInvalidInput(t, newLimiter) })
	t.Run("concurrent", func(t *testing.T) { testConcurrent(t, newLimiter) })
}

// step is one Allow call in a sequence, after advancing the clock by wait.
type step struct {
	wait          time.Duration
	cost          int
	wantAllowed   bool
	wantRemaining int
	wantReset     time.Duration
	wantRetry     time.Duration
	wantShadowed  bool
}

func testSequences(t *testing.T, newLimiter newLimiterFunc) {
	perSecond := ratelimit.Rule{Name: "seq", Limit: 3, Burst: 2, Window: 10 * time.Second}
	shadow := perSecond
	shadow.Shadow = true

	tests := []struct {
		name  string
		rule  ratelimit.Rule
		steps []step
	}{
		{
			name: "limit plus burst then refusal",
			rule: perSecond,
			steps: []step{
				{cost: 1, wantAllowed: true, wantRemaining: 4, wantReset: 10 * time.Second},
				{cost: 1, wantAllowed: true, wantRemaining: 3, wantReset: 10 * time.Second},
				{cost: 1, wantAllowed: true, wantRemaining: 2, wantReset: 10 * time.Second},
				{cost: 1, wantAllowed: true, wantRemaining: 1, wantReset: 10 * time.Second},
				{cost: 1, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
				// Next window at 10s: 5 × (10 − e)/10 + 1 ≤ 5 from e = 2s on.
				{cost: 1, wantReset: 10 * time.Second, wantRetry: 12 * time.Second},
			},
		},
		{
			name: "cost weighs several units",
			rule: perSecond,
			steps: []step{
				{cost: 2, wantAllowed: true, wantRemaining: 3, wantReset: 10 * time.Second},
				{cost: 2, wantAllowed: true, wantRemaining: 1, wantReset: 10 * time.Second},
				// 4 + 2 > 5: next window, 4 × (10 − e)/10 + 2 ≤ 5 from e = 2.5s.
				{cost: 2, wantRemaining: 1, wantReset: 10 * time.Second, wantRetry: 12500 * time.Millisecond},
				{cost: 1, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
			},
		},
		{
			name: "refusals spend nothing",
			rule: perSecond,
			steps: []step{
				{cost: 5, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
				{cost: 1, wantReset: 10 * time.Second, wantRetry: 12 * time.Second},
				{cost: 1, wantReset: 10 * time.Second, wantRetry: 12 * time.Second},
				{wait: 5 * time.Second, cost: 1, wantReset: 5 * time.Second, wantRetry: 7 * time.Second},
				// At 12s only the 5 units of the first window count, faded by 0.8.
				{wait: 7 * time.Second, cost: 1, wantAllowed: true, wantRemaining: 0, wantReset: 8 * time.Second},
			},
		},
		{
			name: "previous window fades out",
			rule: perSecond,
			steps: []step{
				{cost: 5, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
				// 10s: weight 1, nothing fits; 5 × 1 + 1 > 5.
				{wait: 10 * time.Second, cost: 1, wantReset: 10 * time.Second, wantRetry: 2 * time.Second},
				// 15s: weight 0.5, used 2.5, room for 2.
				{wait: 5 * time.Second, cost: 2, wantAllowed: true, wantRemaining: 0, wantReset: 5 * time.Second},
				// 3 + 2.5 > 5 with cost 1: wait until 5 × (10 − e)/10 ≤ 2, e = 6s.
				{cost: 1, wantReset: 5 * time.Second, wantRetry: time.Second},
				// 20s: the 5 units are gone, the 2 units now fade from full weight.
				{wait: 5 * time.Second, cost: 3, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
				// 40s: two windows later everything has faded.
				{wait: 20 * time.Second, cost: 5, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
			},
		},
		{
			name: "shadow rule allows and flags",
			rule: shadow,
			steps: []step{
				{cost: 5, wantAllowed: true, wantRemaining: 0, wantReset: 10 * time.Second},
				{
					cost: 1, wantAllowed: true, wantShadowed: true,
					wantReset: 10 * time.Second, wantRetry: 12 * time.Second,
				},
				// A shadowed request spends nothing, exactly like a refused one.
				{
					wait: 12 * time.Second, cost: 1, wantAllowed: true,
					wantRemaining: 0, wantReset: 8 * time.Second,
				},
			},
		},
		{
			name: "clock going back keeps the count",
			rule: perSecond,
			steps: []step{
				{wait: 4 * time.Second, cost: 5, wantAllowed: true, wantRemaining: 0, wantReset: 6 * time.Second},
				// Treated as the start of the stored window, never as a fresh one.
				{wait: -15 * time.Second, cost: 1, wantReset: 10 * time.Second, wantRetry: 12 * time.Second},
			},
		},
		{
			name: "mid-window start counts elapsed time",
			rule: perSecond,
			steps: []step{
				{wait: 7 * time.Second, cost: 1, wantAllowed: true, wantRemaining: 4, wantReset: 3 * time.Second},
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := newLimiter(t, clock.Now)
			for i, s := range tt.steps {
				clock.Advance(s.wait)
				got, err := l.Allow(context.Background(), tt.rule, "client", s.cost)
				if err != nil {
					t.Fatalf("step %d: Allow() error = %v", i, err)
				}

				want := ratelimit.Decision{
					Allowed:    s.wantAllowed,
					Limit:      tt.rule.Capacity(),
					Remaining:  s.wantRemaining,
					Reset:      s.wantReset,
					RetryAfter: s.wantRetry,
					Shadowed:   s.wantShadowed,
				}
				if got != want {
					t.Fatalf("step %d: Allow() = %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

// testRetryAfterExact checks that RetryAfter is the shortest wait: a millisecond less
// is still refused, the full wait is admitted.
func testRetryAfterExact(t *testing.T, newLimiter newLimiterFunc) {
	rule := ratelimit.Rule{Name: "retry", Limit: 7, Window: 3 * time.Second}
	tests := []struct {
		name   string
		offset time.Duration
		spend  []int
		cost   int
	}{
		{name: "full window", offset: 0, spend: []int{7}, cost: 1},
		{name: "late in window", offset: 2900 * time.Millisecond, spend: []int{4, 3}, cost: 3},
		{name: "carried into next window", offset: 1234 * time.Millisecond, spend: []int{6}, cost: 2},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := newLimiter(t, clock.Now)
			ctx := context.Background()

			for _, units := range tt.spend {
				mustAllow(t, l, rule, "k", units)
			}
			clock.Advance(tt.offset)
			// Spending continues across the window so both counts are in play.
			d := deny(t, l, rule, "k", tt.cost)

			clock.Advance(d.RetryAfter - time.Millisecond)
			if early, err := l.Allow(ctx, rule, "k", tt.cost); err != nil || early.Allowed {
				t.Fatalf("1ms before RetryAfter %v: Allow() = %+v, %v; want refused",
					d.RetryAfter, early, err)
			}
			clock.Advance(time.Millisecond)
			if on, err := l.Allow(ctx, rule, "k", tt.cost); err != nil || !on.Allowed {
				t.Fatalf("at RetryAfter %v: Allow() = %+v, %v; want allowed", d.RetryAfter, on, err)
			}
		})
	}
}

func testIndependence(t *testing.T, newLimiter newLimiterFunc) {
	clock := newFakeClock()
	l := newLimiter(t, clock.Now)
	a := ratelimit.Rule{Name: "a", Limit: 1, Window: time.Minute}
	b := ratelimit.Rule{Name: "b", Limit: 1, Window: time.Minute}

	mustAllow(t, l, a, "alice", 1)
	deny(t, l, a, "alice", 1)
	mustAllow(t, l, a, "bob", 1)
	mustAllow(t, l, b, "alice", 1)
	// Colons in keys must not let one key reach another's counter.
	mustAllow(t, l, a, "x:y", 1)
	mustAllow(t, l, a, "x", 1)
}

func testInvalidInput(t *testing.T, newLimiter newLimiterFunc) {
	valid := ratelimit.Rule{Name: "ok", Limit: 2, Burst: 1, Window: time.Second}
	tests := []struct {
		name    string
		rule    ratelimit.Rule
		cost    int
		wantErr error
	}{
		{
			name:    "empty name",
			rule:    ratelimit.Rule{Limit: 1, Window: time.Second},
			cost:    1,
			wantErr: ratelimit.ErrInvalidRule,
		},
		{
			name:    "name with colon",
			rule:    ratelimit.Rule{Name: "a:b", Limit: 1, Window: time.Second},
			cost:    1,
			wantErr: ratelimit.ErrInvalidRule,
		},
		{
			name:    "zero limit",
			rule:    ratelimit.Rule{Name: "z", Window: time.Second},
			cost:    1,
			wantErr: ratelimit.ErrInvalidRule,
		},
		{
			name:    "negative burst",
			rule:    ratelimit.Rule{Name: "n", Limit: 1, Burst: -1, Window: time.Second},
			cost:    1,
			wantErr: ratelimit.ErrInvalidRule,
		},
		{
			name:    "sub-millisecond window",
			rule:    ratelimit.Rule{Name: "w", Limit: 1, Window: time.Microsecond},
			cost:    1,
			wantErr: ratelimit.ErrInvalidRule,
		},
		{
			name:    "capacity too large for exact arithmetic",
			rule:    ratelimit.Rule{Name: "big", Limit: 1 << 40, Window: time.Hour},
			cost:    1,
			wantErr: ratelimit.ErrInvalidRule,
		},
		{name: "zero cost", rule: valid, cost: 0, wantErr: ratelimit.ErrInvalidCost},
		{name: "cost above capacity", rule: valid, cost: 4, wantErr: ratelimit.ErrInvalidCost},
	}

	l := newLimiter(t, newFakeClock().Now)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Allow(context.Background(), tt.rule, "k", tt.cost)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Allow() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// testConcurrent races many callers for one key: exactly Limit + Burst get through.
func testConcurrent(t *testing.T, newLimiter newLimiterFunc) {
	const attempts = 400
	rule := ratelimit.Rule{Name: "race", Limit: 20, Burst: 5, Window: time.Minute}
	l := newLimiter(t, newFakeClock().Now)

	var allowed, denied atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, attempts)
	for range attempts {
		wg.Go(func() {
			<-start
			d, err := l.Allow(context.Background(), rule, "hot", 1)
			switch {
			case err != nil:
				errs <- err
			case d.Allowed:
				allowed.Add(1)
			default:
				denied.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)

	for err := range errs {
		t.Fatalf("Allow() error = %v", err)
	}
	if got := allowed.Load(); got != int64(rule.Capacity()) {
		t.Errorf("allowed %d of %d concurrent attempts, want exactly %d",
			got, attempts, rule.Capacity())
	}
	if got := denied.Load(); got != attempts-int64(rule.Capacity()) {
		t.Errorf("denied %d, want %d", got, attempts-rule.Capacity())
	}
}

func mustAllow(t *testing.T, l ratelimit.Limiter, rule ratelimit.Rule, key string, cost int) {
	t.Helper()

	d, err := l.Allow(context.Background(), rule, key, cost)
	if err != nil || !d.Allowed {
		t.Fatalf("Allow(%s, %q, %d) = %+v, %v; want allowed", rule.Name, key, cost, d, err)
	}
}

func deny(
	t *testing.T, l ratelimit.Limiter, rule ratelimit.Rule, key string, cost int,
) ratelimit.Decision {
	t.Helper()

	d, err := l.Allow(context.Background(), rule, key, cost)
	if err != nil || d.Allowed {
		t.Fatalf("Allow(%s, %q, %d) = %+v, %v; want refused", rule.Name, key, cost, d, err)
	}
	if d.RetryAfter <= 0 {
		t.Fatalf("refused with RetryAfter %v, want positive", d.RetryAfter)
	}

	return d
}
