package siem

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff defaults.
const (
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// Backoff computes the wait before a retry: Base doubled per failed
// attempt up to Max, with "equal jitter" (half of the step fixed, half
// random) so that sinks recovering from one outage do not retry in step.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
	// Jitter returns a number in [0, n); rand.Int64N when nil.
	Jitter func(n int64) int64
}

// Delay returns the wait after the given failed attempt (1 for the first).
func (b Backoff) Delay(attempt int) time.Duration {
	base, limit := b.Base, b.Max
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if limit < base {
		limit = max(DefaultBackoffMax, base)
	}

	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)

	jitter := b.Jitter
	if jitter == nil {
		jitter = rand.Int64N
	}
	half := d / 2
	return half + time.Duration(jitter(int64(d-half)+1))
}

// sleepContext waits for d or until ctx ends, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
