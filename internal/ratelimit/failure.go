package ratelimit

import (
	"context"
	"errors"
	"time"
)

// FailClosedRetryAfter is the Retry-After given when the backend is down and the
// policy is to refuse: long enough not to invite a retry storm, short enough to
// recover quickly once Redis is back.
const FailClosedRetryAfter = 5 * time.Second

// failurePolicy turns backend errors into decisions.
type failurePolicy struct {
	next     Limiter
	failOpen bool
	onError  func(error)
}

// WithFailurePolicy wraps l so that its Allow never returns an error. When l fails,
// onError (if not nil) receives the error for a metric or a log line, and the
// request is allowed when failOpen is set or refused with FailClosedRetryAfter
// otherwise. Remaining is unknown then and reported as zero.
//
// An invalid rule or cost is refused even when failing open: it is a configuration
// mistake that would otherwise switch a limit off silently. A shadow rule never
// refuses, so a failing backend only marks its requests as shadowed.
func WithFailurePolicy(l Limiter, failOpen bool, onError func(error)) Limiter {
	return &failurePolicy{next: l, failOpen: failOpen, onError: onError}
}

// Allow asks the wrapped limiter and applies the policy to its errors.
func (p *failurePolicy) Allow(
	ctx context.Context, rule Rule, key string, cost int,
) (Decision, error) {
	d, err := p.next.Allow(ctx, rule, key, cost)
	if err == nil {
		return d, nil
	}
	if p.onError != nil {
		p.onError(err)
	}

	misconfigured := errors.Is(err, ErrInvalidRule) || errors.Is(err, ErrInvalidCost)
	if p.failOpen && !misconfigured {
		return Decision{Allowed: true, Limit: rule.Capacity()}, nil
	}

	return Decision{
		Allowed:    rule.Shadow,
		Shadowed:   rule.Shadow,
		Limit:      rule.Capacity(),
		Reset:      FailClosedRetryAfter,
		RetryAfter: FailClosedRetryAfter,
	}, nil
}
