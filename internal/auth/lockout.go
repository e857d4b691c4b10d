package auth

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// Failure kinds, counted apart: a stranger who knows only a username can burn
// password attempts but never reaches the second factor, so cannot burn those.
const (
	KindPassword = "password"
	KindMFA      = "mfa"
)

// LockoutPolicy says when repeated failures lock an account.
type LockoutPolicy struct {
	Threshold int           // failures within Window that lock (LOCKOUT_THRESHOLD)
	Window    time.Duration // LOCKOUT_WINDOW
	Duration  time.Duration // first lock (LOCKOUT_DURATION); each repeat doubles it
	Max       time.Duration // the longest lock; zero means 24h
}

// FailureCounter counts recent failures per key. The memory implementation serves
// one process; a shared one (Redis) lets several processes count together.
type FailureCounter interface {
	// Fail records a failure now and returns how many fall inside window.
	Fail(ctx context.Context, key string, window time.Duration) (int, error)
	Reset(ctx context.Context, key string) error
}

// Lockout applies a LockoutPolicy.
type Lockout struct {
	policy  LockoutPolicy
	counter FailureCounter
	users   Users
	clock   func() time.Time
}

// NewLockout returns a Lockout; a nil counter counts in memory.
func NewLockout(p LockoutPolicy, c FailureCounter, u Users, clock func() time.Time) *Lockout {
	if p.Threshold <= 0 {
		p.Threshold = 5
	}
	if p.Window <= 0 {
		p.Window = 15 * time.Minute
	}
	if p.Duration <= 0 {
		p.Duration = 15 * time.Minute
	}
	if p.Max <= 0 {
		p.Max = 24 * time.Hour
	}
	if c == nil {
		c = NewMemoryCounter(clock)
	}
	return &Lockout{policy: p, counter: c, users: u, clock: clock}
}

// Locked reports whether u may not log in now, and until when.
func (l *Lockout) Locked(u store.User) (bool, time.Time) {
	if u.Locked {
		return true, time.Time{}
	}
	if !u.LockedUntil.IsZero() && l.clock().Before(u.LockedUntil) {
		return true, u.LockedUntil
	}
	return false, time.Time{}
}

// Fail counts one failure of kind and locks the account when the threshold is hit.
func (l *Lockout) Fail(ctx context.Context, u store.User, kind, ip string, ev Events) {
	key := kind + ":" + strconv.FormatInt(u.ID, 10)
	n, err := l.counter.Fail(ctx, key, l.policy.Window)
	if err != nil || n < l.policy.Threshold {
		return
	}
	d := l.policy.Duration << min(u.LockoutCount, 16)
	if d <= 0 || d > l.policy.Max {
		d = l.policy.Max
	}
	until := l.clock().UTC().Add(d)
	count := u.LockoutCount + 1
	if _, err := l.users.UpdateUser(ctx, u.ID, store.UserUpdate{
		LockedUntil: &until, LockoutCount: &count,
	}); err != nil {
		return
	}
	_ = l.counter.Reset(ctx, key)
	ev.Record(ctx, "account_lockout", u.ID, ip,
		kind+" failures reached "+strconv.Itoa(n)+"; locked for "+d.String())
}

// Succeed clears the failure counts after a complete login.
func (l *Lockout) Succeed(ctx context.Context, userID int64) {
	id := strconv.FormatInt(userID, 10)
	_ = l.counter.Reset(ctx, KindPassword+":"+id)
	_ = l.counter.Reset(ctx, KindMFA+":"+id)
}

// Clear resets the counters of a user an admin unlocked.
func (l *Lockout) Clear(ctx context.Context, userID int64) { l.Succeed(ctx, userID) }

// MemoryCounter is a FailureCounter for one process.
type MemoryCounter struct {
	mu    sync.Mutex
	clock func() time.Time
	fails map[string][]time.Time
}

// NewMemoryCounter returns an empty MemoryCounter.
func NewMemoryCounter(clock func() time.Time) *MemoryCounter {
	if clock == nil {
		clock = time.Now
	}
	return &MemoryCounter{clock: clock, fails: map[string][]time.Time{}}
}

// Fail records a failure and returns the failures inside window.
func (m *MemoryCounter) Fail(_ context.Context, key string, window time.Duration) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	kept := m.fails[key][:0]
	for _, t := range m.fails[key] {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	m.fails[key] = kept
	return len(kept), nil
}

// Reset forgets a key's failures.
func (m *MemoryCounter) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.fails, key)
	m.mu.Unlock()
	return nil
}

// defaultHashSlots keeps one core free of bcrypt. With every core hashing, each
// step of an order waits for the scheduler to preempt a hash: on two cores a flood
// raised order-entry p99 about tenfold, against under twofold with one core free.
func defaultHashSlots() int { return max(runtime.GOMAXPROCS(0)-1, 1) }

// ClearLockout forgets a user's failure counts, after an admin unlock.
func (s *Service) ClearLockout(ctx context.Context, userID int64) { s.lockout.Clear(ctx, userID) }
