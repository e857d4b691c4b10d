package app

import (
	"context"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
)

// failureCounter counts login failures in Redis when it is configured, so several
// processes lock an account together; in memory otherwise.
func (a *App) failureCounter() auth.FailureCounter {
	mem := auth.NewMemoryCounter(a.clock)
	if a.Redis == nil {
		return mem
	}
	return &fallbackCounter{primary: auth.NewRedisCounter(a.Redis, "octopus:", nil), fallback: mem, app: a}
}

// fallbackCounter counts in memory while Redis is unreachable, so an outage of the
// cache never switches lockout off.
type fallbackCounter struct {
	primary  auth.FailureCounter
	fallback auth.FailureCounter
	app      *App
}

func (f *fallbackCounter) Fail(ctx context.Context, key string, window time.Duration) (int, error) {
	n, err := f.primary.Fail(ctx, key, window)
	if err != nil {
		f.app.Log.WarnContext(ctx, "lockout counter in memory: redis unreachable", "error", err)
		return f.fallback.Fail(ctx, key, window)
	}
	return n, nil
}

func (f *fallbackCounter) Reset(ctx context.Context, key string) error {
	_ = f.fallback.Reset(ctx, key)
	return f.primary.Reset(ctx, key)
}
