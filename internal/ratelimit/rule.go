package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the package.
var (
	// ErrInvalidRule marks a Rule that cannot be enforced.
	ErrInvalidRule = errors.New("invalid rate limit rule")
	// ErrInvalidCost marks a cost below one or above the rule's capacity.
	ErrInvalidCost = errors.New("invalid rate limit cost")
	// ErrInvalidIP marks a zero or otherwise unusable address given to a Blocker.
	ErrInvalidIP = errors.New("invalid ip address")
	// ErrInvalidBlock marks a block request with a non-positive duration.
	ErrInvalidBlock = errors.New("invalid block duration")
	// ErrInvalidPolicy marks an AbusePolicy that cannot be applied.
	ErrInvalidPolicy = errors.New("invalid abuse policy")
)

const (
	maxNameLen = 64
	// maxScaled bounds capacity × window in milliseconds. Redis scripts compute in
	// Lua doubles, which hold integers exactly only up to 2^53.
	maxScaled = 1 << 53
)

// Rule is one rate limit policy: Limit units per Window, plus Burst extra units, so
// the capacity per window is Limit + Burst. A Shadow rule is measured but not
// enforced, to try a limit on real traffic before it can reject anyone.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
	Burst  int
	Shadow bool
}

// Capacity returns the units a key may spend per window: Limit + Burst.
func (r Rule) Capacity() int {
	return r.Limit + r.Burst
}

// Validate reports whether the rule can be enforced. Names are restricted to letters,
// digits, '.', '_' and '-' because they appear in storage keys and in headers.
func (r Rule) Validate() error {
	switch {
	case !validName(r.Name):
		return fmt.Errorf("%w: name %q must be 1-%d of [A-Za-z0-9._-]",
			ErrInvalidRule, r.Name, maxNameLen)
	case r.Limit < 1:
		return fmt.Errorf("%w %s: limit must be at least 1", ErrInvalidRule, r.Name)
	case r.Burst < 0:
		return fmt.Errorf("%w %s: burst must not be negative", ErrInvalidRule, r.Name)
	case r.Window < time.Millisecond:
		return fmt.Errorf("%w %s: window must be at least 1ms", ErrInvalidRule, r.Name)
	case int64(r.Limit) > maxScaled || int64(r.Burst) > maxScaled ||
		int64(r.Capacity()) > maxScaled/r.Window.Milliseconds():
		return fmt.Errorf("%w %s: capacity times window is too large", ErrInvalidRule, r.Name)
	}

	return nil
}

// validName reports whether s is a usable rule name.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}

	return true
}

// checkRequest validates the rule and the cost of one Allow call.
func checkRequest(rule Rule, cost int) error {
	if err := rule.Validate(); err != nil {
		return err
	}
	if cost < 1 || cost > rule.Capacity() {
		return fmt.Errorf("%w: %d for rule %s of capacity %d",
			ErrInvalidCost, cost, rule.Name, rule.Capacity())
	}

	return nil
}

// Decision is the outcome of one Allow call.
type Decision struct {
	// Allowed says whether the request may proceed. Shadowed requests are allowed.
	Allowed bool
	// Limit is the rule's capacity per window (Limit + Burst).
	Limit int
	// Remaining is the number of units still available now, after this request.
	Remaining int
	// Reset is the time until the current window closes and its count starts to
	// fade out of the estimate.
	Reset time.Duration
	// RetryAfter, set when the request was refused, is the shortest wait after which
	// the same cost would be admitted if nothing else is spent meanwhile.
	RetryAfter time.Duration
	// Shadowed says the request would have been refused but the rule is a shadow rule.
	Shadowed bool
}

// Limiter decides whether a key may spend cost units under a rule. A refused request
// spends nothing, so a client hammering a closed door does not keep it closed.
type Limiter interface {
	Allow(ctx context.Context, rule Rule, key string, cost int) (Decision, error)
}
